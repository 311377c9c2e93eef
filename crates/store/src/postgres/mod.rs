//! The PostgreSQL backend of [`Store`], for several Junction nodes sharing one database: a
//! deadpool of tokio-postgres connections, a group-committing append task, deliveries claimed
//! with `FOR UPDATE SKIP LOCKED`, and `LISTEN/NOTIFY` wake-ups for new deliveries.
//!
//! The schema (and why its indexes keep inserts fast at 100 million rows) is in `schema`.

mod notify;
mod outbox;
mod read;
mod schema;
mod write;
mod writer;

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use deadpool_postgres::Pool;
use tokio::sync::{Mutex, broadcast, mpsc, oneshot};
use tokio_postgres::IsolationLevel;

use crate::error::StoreError;
use crate::store::{NoopObserver, Store, StoreObserver, StoredMessage};
use crate::{
    Appended, DEFAULT_DEDUP_WINDOW_MS, Delivery, DeliveryId, MessageDetail, MessageFilter,
    MessageId, MessageSummary, NewMessage, Outcome, PrunePolicy, PruneReport, QueueDepth, Replayed,
    RouteOutcome, StoreStats,
};
use writer::{Counters, WriterCtx};

/// How the PostgreSQL store connects.
#[derive(Clone)]
pub struct PgOptions {
    /// Connection URL, e.g. `postgres://junction@db.example:5432/junction`.
    pub url: String,
    /// Schema holding Junction's tables (created when missing; `search_path` is set to it),
    /// or `None` for the user's default. 1-40 of `[a-z0-9_]`.
    pub schema: Option<String>,
    /// Most pooled connections (default 16).
    pub pool: usize,
    /// Door-duplicate window, ms (default 7 days).
    pub dedup_window_ms: i64,
    /// Most appends in one group commit.
    pub max_batch: usize,
    /// Connect and pool-wait timeout.
    pub timeout: Duration,
    /// Told about every commit (metrics).
    pub observer: Arc<dyn StoreObserver>,
}

impl PgOptions {
    /// Defaults for `url`.
    pub fn new(url: impl Into<String>) -> Self {
        PgOptions {
            url: url.into(),
            schema: None,
            pool: 16,
            dedup_window_ms: DEFAULT_DEDUP_WINDOW_MS,
            max_batch: 512,
            timeout: Duration::from_secs(10),
            observer: Arc::new(NoopObserver),
        }
    }
}

impl fmt::Debug for PgOptions {
    // The URL may hold a password: never shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgOptions")
            .field("schema", &self.schema)
            .field("pool", &self.pool)
            .field("dedup_window_ms", &self.dedup_window_ms)
            .field("max_batch", &self.max_batch)
            .finish_non_exhaustive()
    }
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(err: tokio_postgres::Error) -> Self {
        // Only the SQLSTATE: server messages may quote values.
        match err.code() {
            Some(code) => StoreError::Unavailable(format!("postgres {}", code.code())),
            None if err.is_closed() => StoreError::Unavailable("postgres connection closed".into()),
            None => match std::error::Error::source(&err)
                .and_then(|s| s.downcast_ref::<std::io::Error>())
            {
                Some(io) => StoreError::Unavailable(format!("postgres connect: {}", io.kind())),
                None => StoreError::Unavailable("postgres client error".into()),
            },
        }
    }
}

impl From<deadpool_postgres::PoolError> for StoreError {
    fn from(err: deadpool_postgres::PoolError) -> Self {
        match err {
            deadpool_postgres::PoolError::Backend(e) => e.into(),
            deadpool_postgres::PoolError::Timeout(_) => {
                StoreError::Unavailable("postgres pool timed out".into())
            }
            _ => StoreError::Unavailable("postgres pool error".into()),
        }
    }
}

struct Inner {
    pool: Pool,
    appends: mpsc::Sender<writer::Request>,
    counters: Arc<Counters>,
    observer: Arc<dyn StoreObserver>,
    config: tokio_postgres::Config,
    channel: String,
    wakes: broadcast::Sender<String>,
    listener: Mutex<Option<notify::Listener>>,
    schema: Option<String>,
}

/// The PostgreSQL store. Cheap to clone; the append task stops when the last clone is
/// dropped, after answering the appends already queued.
#[derive(Clone)]
pub struct PostgresStore {
    inner: Arc<Inner>,
}

impl fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresStore")
            .field("schema", &self.inner.schema)
            .finish_non_exhaustive()
    }
}

/// Runs `$body` (which uses the transaction `$txn`) in a read-write transaction on a pooled
/// connection and commits it; an `Err` from the body rolls back.
macro_rules! in_txn {
    ($store:expr, $txn:ident => $body:expr) => {{
        let inner = &$store.inner;
        let started = Instant::now();
        let mut client = inner.pool.get().await?;
        let $txn = client.transaction().await?;
        let value = $body?;
        let res = $txn.commit().await;
        inner
            .counters
            .record(&*inner.observer, 1, started, res.is_ok());
        res?;
        Ok::<_, StoreError>(value)
    }};
}

/// Runs `$body` in a read-only repeatable-read transaction (one consistent snapshot).
macro_rules! in_read {
    ($store:expr, $txn:ident => $body:expr) => {{
        let mut client = $store.inner.pool.get().await?;
        let $txn = client
            .build_transaction()
            .read_only(true)
            .isolation_level(IsolationLevel::RepeatableRead)
            .start()
            .await?;
        let value = $body?;
        $txn.commit().await?;
        Ok::<_, StoreError>(value)
    }};
}

impl PostgresStore {
    /// Connects, migrates the schema (safe when several nodes start at once) and starts the
    /// append task. Fails with [`StoreError::Unavailable`] when the server cannot be reached.
    pub async fn open(opts: PgOptions) -> Result<PostgresStore, StoreError> {
        let config = schema::config(&opts.url, opts.schema.as_deref(), opts.timeout)?;
        let pool = schema::pool(config.clone(), opts.pool, opts.timeout)?;
        schema::migrate(&pool, opts.schema.as_deref()).await?;
        let counters = Arc::new(Counters::default());
        let max_batch = opts.max_batch.max(1);
        let (appends, rx) = mpsc::channel(max_batch * 4);
        let ctx = WriterCtx {
            pool: pool.clone(),
            window_ms: opts.dedup_window_ms,
            max_batch,
            observer: Arc::clone(&opts.observer),
            counters: Arc::clone(&counters),
        };
        tokio::spawn(writer::run(ctx, rx));
        let (wakes, _) = broadcast::channel(1024);
        let inner = Inner {
            pool,
            appends,
            counters,
            observer: opts.observer,
            config,
            channel: notify::channel(opts.schema.as_deref()),
            wakes,
            listener: Mutex::new(None),
            schema: opts.schema,
        };
        Ok(PostgresStore {
            inner: Arc::new(inner),
        })
    }

    /// Destination names as routing transactions commit deliveries for them (from any node).
    /// Wake-ups are hints: a subscriber still polls on start and after a lag or a lost
    /// connection (a later call reconnects the listener).
    pub async fn subscribe(&self) -> Result<broadcast::Receiver<String>, StoreError> {
        let mut listener = self.inner.listener.lock().await;
        let rx = self.inner.wakes.subscribe();
        if !listener.as_ref().is_some_and(notify::Listener::alive) {
            *listener = Some(
                notify::listen(
                    &self.inner.config,
                    &self.inner.channel,
                    self.inner.wakes.clone(),
                )
                .await?,
            );
        }
        Ok(rx)
    }

    /// The schema holding the tables, when one was named.
    pub fn schema(&self) -> Option<&str> {
        self.inner.schema.as_deref()
    }
}

impl Store for PostgresStore {
    async fn append(&self, msg: NewMessage) -> Result<Appended, StoreError> {
        let (reply, rx) = oneshot::channel();
        self.inner
            .appends
            .send(writer::Request { msg, reply })
            .await
            .map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    async fn route(
        &self,
        id: MessageId,
        outcome: RouteOutcome,
        now: i64,
    ) -> Result<(), StoreError> {
        let channel = &self.inner.channel;
        in_txn!(self, txn => write::route(&txn, id, &outcome, now, channel).await)
    }

    async fn unrouted(&self, limit: usize) -> Result<Vec<StoredMessage>, StoreError> {
        in_read!(self, txn => read::unrouted(&txn, limit).await)
    }

    async fn lease(
        &self,
        destination: &str,
        max: usize,
        now: i64,
        lease_ms: i64,
        worker: &str,
    ) -> Result<Vec<Delivery>, StoreError> {
        in_txn!(self, txn => outbox::lease(&txn, destination, max, now, lease_ms, worker).await)
    }

    async fn complete(
        &self,
        id: DeliveryId,
        lease_owner: &str,
        outcome: Outcome,
    ) -> Result<(), StoreError> {
        in_txn!(self, txn => outbox::complete(&txn, id, lease_owner, &outcome).await)
    }

    async fn list_messages(
        &self,
        filter: MessageFilter,
    ) -> Result<Vec<MessageSummary>, StoreError> {
        in_read!(self, txn => read::list_messages(&txn, &filter).await)
    }

    async fn get_message(&self, id: MessageId) -> Result<Option<MessageDetail>, StoreError> {
        in_read!(self, txn => read::get_message(&txn, id).await)
    }

    async fn queue_depths(&self, now: i64) -> Result<Vec<QueueDepth>, StoreError> {
        in_read!(self, txn => read::queue_depths(&txn, now).await)
    }

    async fn replay_message(&self, id: MessageId, now: i64) -> Result<Replayed, StoreError> {
        in_txn!(self, txn => write::replay_message(&txn, id, now).await)
    }

    async fn replay_dead(&self, destination: &str, now: i64) -> Result<u64, StoreError> {
        in_txn!(self, txn => outbox::replay_dead(&txn, destination, now).await)
    }

    async fn release_leases(&self, worker: &str) -> Result<u64, StoreError> {
        in_txn!(self, txn => outbox::release_leases(&txn, worker).await)
    }

    async fn purge_dead(&self, destination: &str) -> Result<u64, StoreError> {
        in_txn!(self, txn => outbox::purge_dead(&txn, destination).await)
    }

    async fn prune(
        &self,
        now: i64,
        policy: PrunePolicy,
        batch: usize,
    ) -> Result<PruneReport, StoreError> {
        let cutoff = now.saturating_sub(policy.keep_delivered_ms);
        let batch = batch.max(1);
        let mut report = PruneReport::default();
        // Each batch is its own short transaction; space is reclaimed by autovacuum, so
        // `pages_freed` stays 0 on this backend.
        loop {
            let (messages, deliveries): (u64, u64) =
                in_txn!(self, txn => write::prune_batch(&txn, cutoff, batch).await)?;
            report.batches += 1;
            report.messages += messages;
            report.deliveries += deliveries;
            if messages < batch as u64 {
                break;
            }
        }
        Ok(report)
    }

    async fn get_state(&self, key: &str) -> Result<Option<String>, StoreError> {
        in_read!(self, txn => read::state(&txn, key).await)
    }

    async fn put_state(&self, key: &str, value: Option<&str>, now: i64) -> Result<(), StoreError> {
        in_txn!(self, txn => write::put_state(&txn, key, value, now).await)
    }

    async fn try_lead(
        &self,
        name: &str,
        node: &str,
        now: i64,
        ttl_ms: i64,
    ) -> Result<bool, StoreError> {
        in_txn!(self, txn => write::try_lead(&txn, name, node, now, ttl_ms).await)
    }

    fn stats(&self) -> StoreStats {
        self.inner.counters.stats()
    }
}
