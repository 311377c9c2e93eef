//! Several nodes on one PostgreSQL store: work that must run on one node at a time (the e-RS
//! and MESH pollers, retention) runs only while this process holds its leader lease, and
//! deliveries routed on any node wake this node's dispatchers through `LISTEN/NOTIFY`.
//!
//! Leases are held by *process*, not by node name: the holder is `<node>#<random>`, fresh on
//! every start, so a node restarted after `kill -9` never mistakes a lease its previous life
//! held (or another node has since taken) for its own; it waits for the lease to expire like
//! everyone else. Node names must still be unique per cluster: dispatchers record
//! `<node>/<destination>` as the owner of the deliveries they lease and release those leases
//! when they start, so two live nodes with one name would take each other's work.
//!
//! A holder renews every `ttl / 3` and stops its work as soon as a renewal fails or is refused,
//! well before the lease expires for the others (clocks across nodes are assumed to agree to
//! within a fraction of `ttl`). With SQLite (one node) the work simply runs.

use std::collections::HashSet;
use std::future::Future;
use std::hash::{BuildHasher, RandomState};
use std::sync::Arc;
use std::time::Duration;

use junction_router::Wakers;
use junction_store::{AnyStore, PostgresStore, Store};
use tokio::sync::broadcast::error::RecvError;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::clock::now_ms;
use crate::config::{Config, StoreBackend};

/// How often the wake relay re-checks its `LISTEN` connection (reconnecting a dropped one) and
/// wakes every dispatcher in case a notification was missed meanwhile.
const RECHECK: Duration = Duration::from_secs(5);
/// Longest wait between attempts to re-subscribe after the database refused.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// The namespace of the ids sent with each delivery (FHIR `X-Request-ID`, MESH local id,
/// national services' request ids). Every node of a cluster must derive the same id for a
/// delivery, or a delivery re-sent by another node after a crash would look new to an
/// idempotent destination: with PostgreSQL it is `[store] cluster` (default the schema name,
/// else `junction`); with SQLite, the node name.
pub fn id_namespace(cfg: &Config) -> String {
    match &cfg.store.backend {
        StoreBackend::Sqlite(_) => cfg.node.name.clone(),
        StoreBackend::Postgres(pg) => pg
            .cluster
            .clone()
            .or_else(|| pg.schema.clone())
            .unwrap_or_else(|| "junction".into()),
    }
}

/// `url` with `password` added: as a percent-encoded `password` query parameter for a
/// `postgres://` URL, as a quoted `password='…'` pair for a `key=value` connection string.
pub fn with_password(url: &str, password: &str) -> String {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let mut encoded = String::with_capacity(password.len() * 3);
        for b in password.bytes() {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                encoded.push(char::from(b));
            } else {
                encoded.push_str(&format!("%{b:02X}"));
            }
        }
        let sep = if url.contains('?') { '&' } else { '?' };
        format!("{url}{sep}password={encoded}")
    } else {
        let quoted = password.replace('\\', "\\\\").replace('\'', "\\'");
        format!("{url} password='{quoted}'")
    }
}

/// Runs singleton work: under a leader lease with a shared store, directly otherwise.
#[derive(Clone)]
pub struct Leases {
    store: Arc<AnyStore>,
    holder: String,
    ttl: Duration,
}

impl Leases {
    /// Leases for this process of node `cfg.node.name` in `store`.
    pub fn new(cfg: &Config, store: Arc<AnyStore>) -> Leases {
        let ttl = match &cfg.store.backend {
            StoreBackend::Postgres(pg) => pg.leader_ttl,
            StoreBackend::Sqlite(_) => Duration::from_secs(15),
        };
        Leases {
            store,
            holder: holder(&cfg.node.name),
            ttl: ttl.max(Duration::from_millis(300)),
        }
    }

    /// Spawns `work` on `tasks`: with PostgreSQL, a new run of it for each term in which this
    /// process holds the lease `name` (its token is cancelled when the term ends); otherwise
    /// once. `stop` ends it all; on a graceful stop the lease is handed back at once.
    pub fn spawn<F, Fut>(
        &self,
        tasks: &mut JoinSet<()>,
        name: String,
        stop: CancellationToken,
        mut work: F,
    ) where
        F: FnMut(CancellationToken) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        if matches!(*self.store, AnyStore::Sqlite(_)) {
            tasks.spawn(work(stop));
            return;
        }
        let leases = self.clone();
        tasks.spawn(async move {
            loop {
                if leases.try_lead(&name, leases.ttl).await {
                    tracing::info!(lease = %name, holder = %leases.holder, "lease taken: running");
                    let term = stop.child_token();
                    let mut task = tokio::spawn(work(term.clone()));
                    let held = leases.hold(&name, &stop, &mut task).await;
                    term.cancel();
                    let _ = task.await;
                    if !held {
                        // Stopping: hand the lease over now rather than at expiry.
                        leases.try_lead(&name, Duration::ZERO).await;
                        return;
                    }
                    tracing::warn!(lease = %name, "lease lost or work ended: stopped");
                }
                tokio::select! {
                    () = stop.cancelled() => return,
                    () = tokio::time::sleep(leases.ttl / 3) => {}
                }
            }
        });
    }

    /// Renews `name` every `ttl / 3` while `task` runs: returns `true` when the lease was lost
    /// (or the work ended by itself), `false` when `stop` fired.
    async fn hold(
        &self,
        name: &str,
        stop: &CancellationToken,
        task: &mut tokio::task::JoinHandle<()>,
    ) -> bool {
        loop {
            tokio::select! {
                () = stop.cancelled() => return false,
                _ = &mut *task => return true,
                () = tokio::time::sleep(self.ttl / 3) => {
                    if !self.try_lead(name, self.ttl).await {
                        return true;
                    }
                }
            }
        }
    }

    /// One attempt to take or renew `name` until now + `ttl`, bounded by `ttl / 3`: a store
    /// that does not answer in time counts as a refusal.
    async fn try_lead(&self, name: &str, ttl: Duration) -> bool {
        let ttl_ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX);
        let attempt = self.store.try_lead(name, &self.holder, now_ms(), ttl_ms);
        match tokio::time::timeout(self.ttl / 3, attempt).await {
            Ok(Ok(held)) => held,
            Ok(Err(e)) => {
                tracing::warn!(lease = %name, error = %e, "leader lease: store error");
                false
            }
            Err(_) => {
                tracing::warn!(lease = %name, "leader lease: store did not answer in time");
                false
            }
        }
    }
}

/// `<node>#<16 hex digits>`, random per process start.
fn holder(node: &str) -> String {
    // `RandomState` is seeded from the OS's randomness, once per process.
    let random = RandomState::new().hash_one(std::process::id());
    format!("{node}#{random:016x}")
}

/// Relays the store's delivery notifications (from every node's routing transactions) to the
/// local dispatchers of `destinations`, until `stop`. A dropped `LISTEN` connection is
/// re-established; the dispatchers' own polling covers any notification missed meanwhile.
pub async fn relay_wakes(
    store: PostgresStore,
    wakers: Wakers,
    destinations: HashSet<String>,
    stop: CancellationToken,
) {
    let mut backoff = Duration::from_secs(1);
    let mut recheck = tokio::time::interval(RECHECK);
    recheck.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut rx = loop {
        match store.subscribe().await {
            Ok(rx) => break rx,
            Err(e) => {
                tracing::warn!(error = %e, "LISTEN for deliveries failed; retrying");
                tokio::select! {
                    () = stop.cancelled() => return,
                    () = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    };
    wakers.wake_all();
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            msg = rx.recv() => match msg {
                Ok(dest) => {
                    if destinations.contains(&dest) {
                        wakers.wake(&dest);
                    }
                }
                Err(RecvError::Lagged(_)) => wakers.wake_all(),
                // The store keeps the sender alive; nothing to do but re-subscribe.
                Err(RecvError::Closed) => recheck.reset_immediately(),
            },
            _ = recheck.tick() => {
                // `subscribe` reconnects the listener if its connection has gone.
                match store.subscribe().await {
                    Ok(fresh) => {
                        rx = fresh;
                        backoff = Duration::from_secs(1);
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "re-LISTEN for deliveries failed");
                        tokio::select! {
                            () = stop.cancelled() => return,
                            () = tokio::time::sleep(backoff) => {}
                        }
                        backoff = (backoff * 2).min(MAX_BACKOFF);
                    }
                }
                wakers.wake_all();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{holder, with_password};

    #[test]
    fn passwords_join_either_url_form() {
        assert_eq!(
            with_password("postgres://u@h/db", "p@ss word"),
            "postgres://u@h/db?password=p%40ss%20word"
        );
        assert_eq!(
            with_password("postgres://u@h/db?sslmode=disable", "x"),
            "postgres://u@h/db?sslmode=disable&password=x"
        );
        assert_eq!(
            with_password("host=h user=u", "it's"),
            "host=h user=u password='it\\'s'"
        );
    }

    #[test]
    fn holders_differ_per_start_but_keep_the_node_name() {
        let (a, b) = (holder("node-a"), holder("node-a"));
        assert!(a.starts_with("node-a#") && b.starts_with("node-a#"));
        assert_eq!(a.len(), "node-a#".len() + 16);
        assert_ne!(a, b, "each start draws a new suffix");
    }
}
