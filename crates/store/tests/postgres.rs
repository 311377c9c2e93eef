//! Runs the backend-independent suite (`suite/`) against `PostgresStore` on the PostgreSQL at
//! 127.0.0.1:5432 (user postgres, database `test`; `JUNCTION_TEST_PG_URL` overrides), each
//! test in a fresh schema dropped afterwards, plus the multi-node checks only PostgreSQL has:
//! concurrent leasing, lease expiry across nodes, concurrent migration, NOTIFY wake-ups.
//!
//! An unreachable server fails every test loudly; nothing is skipped.

#![allow(
    clippy::unwrap_used,
    reason = "test code: a failed unwrap is a failed test"
)]

mod suite;

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use junction_store::{DeliveryId, Outcome, PgOptions, PostgresStore, Store, StoreError};
use suite::{Harness, T0, ingest};
use tokio::sync::Mutex;

fn url() -> String {
    std::env::var("JUNCTION_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

static SEQ: AtomicUsize = AtomicUsize::new(0);

/// A schema of its own, dropped (with everything in it) when the harness goes.
struct Pg {
    schema: String,
}

impl Pg {
    fn new() -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        Pg {
            schema: format!(
                "jt_{}_{}_{nanos}",
                std::process::id(),
                SEQ.fetch_add(1, Ordering::Relaxed)
            ),
        }
    }

    fn options(&self) -> PgOptions {
        PgOptions {
            schema: Some(self.schema.clone()),
            pool: 4,
            ..PgOptions::new(url())
        }
    }
}

impl Harness for Pg {
    type S = PostgresStore;

    async fn open(&self) -> PostgresStore {
        match PostgresStore::open(self.options()).await {
            Ok(store) => store,
            Err(err) => panic!(
                "\n\n*** PostgreSQL is required by these tests and could not be used at {} \
                 ({err}). Start it (user postgres, trust auth, database `test`) or set \
                 JUNCTION_TEST_PG_URL. ***\n\n",
                url()
            ),
        }
    }
}

impl Drop for Pg {
    fn drop(&mut self) {
        // Drop may run inside a runtime: do the cleanup on a thread with its own.
        let schema = self.schema.clone();
        let cleanup = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                let Ok(cfg) = url().parse::<tokio_postgres::Config>() else {
                    return;
                };
                let Ok((client, conn)) = cfg.connect(tokio_postgres::NoTls).await else {
                    return;
                };
                tokio::spawn(conn);
                let _ = client
                    .batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                    .await;
            });
        });
        let _ = cleanup.join();
    }
}

every_scenario!(Pg::new());

/// Every delivery leased, with its key, in the order the leases returned.
type LeaseLog = Arc<Mutex<Vec<(Option<String>, DeliveryId)>>>;

/// Two nodes (store handles with their own pools) leasing the same destination concurrently
/// never get the same delivery, deliver everything exactly once, and hand out each ordering
/// key's deliveries in id order, one at a time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_never_share_a_delivery() {
    let h = Pg::new();
    let a = h.open().await;
    let b = h.open().await;
    let keys = [Some("p1"), Some("p2"), None, Some("p3"), None];
    for n in 0..40 {
        let spec: Vec<(&str, Option<&str>)> = (0..5).map(|k| ("fhir", keys[(n + k) % 5])).collect();
        ingest(&a, T0, &spec).await;
    }
    let log: LeaseLog = Arc::default();
    let mut tasks = Vec::new();
    for (node, store) in [("a", a.clone()), ("b", b.clone())] {
        for w in 0..4 {
            let (store, log) = (store.clone(), Arc::clone(&log));
            let worker = format!("{node}/{w}");
            tasks.push(tokio::spawn(async move {
                let mut idle = 0;
                while idle < 20 {
                    let got = store.lease("fhir", 3, T0, 60_000, &worker).await.unwrap();
                    if got.is_empty() {
                        idle += 1;
                        tokio::task::yield_now().await;
                        continue;
                    }
                    idle = 0;
                    for d in got {
                        log.lock().await.push((d.ordering_key.clone(), d.id));
                        store
                            .complete(d.id, &worker, Outcome::Delivered { at: T0 })
                            .await
                            .unwrap();
                    }
                }
            }));
        }
    }
    for t in tasks {
        t.await.unwrap();
    }
    let log = log.lock().await;
    let unique: HashSet<DeliveryId> = log.iter().map(|(_, id)| *id).collect();
    assert_eq!(unique.len(), log.len(), "a delivery was leased twice");
    assert_eq!(log.len(), 200, "every delivery leased once");
    let mut per_key: BTreeMap<&str, Vec<DeliveryId>> = BTreeMap::new();
    for (key, id) in log.iter() {
        if let Some(key) = key {
            per_key.entry(key.as_str()).or_default().push(*id);
        }
    }
    for (key, ids) in per_key {
        assert!(
            ids.windows(2).all(|w| w[0] < w[1]),
            "{key} out of order: {ids:?}"
        );
    }
    let depths = b.queue_depths(T0).await.unwrap();
    assert!(depths.is_empty(), "{depths:?}");
}

/// A node that stops renewing loses its lease when it expires; the other node takes the
/// delivery and the first node's late outcome is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lease_expiry_lets_the_other_node_take_over() {
    let h = Pg::new();
    let a = h.open().await;
    let b = h.open().await;
    ingest(&a, T0, &[("fhir", Some("p1")), ("fhir", Some("p1"))]).await;
    let held = a.lease("fhir", 5, T0, 100, "a/fhir").await.unwrap();
    assert_eq!(held.len(), 1);
    assert!(
        b.lease("fhir", 5, T0 + 99, 100, "b/fhir")
            .await
            .unwrap()
            .is_empty()
    );
    let taken = b.lease("fhir", 5, T0 + 100, 100, "b/fhir").await.unwrap();
    assert_eq!(
        taken.iter().map(|d| d.id).collect::<Vec<_>>(),
        vec![held[0].id]
    );
    let late = a
        .complete(held[0].id, "a/fhir", Outcome::Delivered { at: T0 + 150 })
        .await;
    assert_eq!(late, Err(StoreError::LeaseLost(held[0].id.0)));
    b.complete(taken[0].id, "b/fhir", Outcome::Delivered { at: T0 + 150 })
        .await
        .unwrap();
    let next = a.lease("fhir", 5, T0 + 151, 100, "a/fhir").await.unwrap();
    assert_eq!(next.len(), 1);
    assert!(next[0].id > held[0].id);
}

/// Several nodes starting at once on an empty schema migrate it exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_migration_is_safe() {
    let h = Arc::new(Pg::new());
    let opens: Vec<_> = (0..4)
        .map(|_| {
            let h = Arc::clone(&h);
            tokio::spawn(async move { h.open().await })
        })
        .collect();
    let mut stores = Vec::new();
    for o in opens {
        stores.push(o.await.unwrap());
    }
    let cfg: tokio_postgres::Config = url().parse().unwrap();
    let (client, conn) = cfg.connect(tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(conn);
    let row = client
        .query_one(
            &format!(
                "SELECT COUNT(*), COUNT(DISTINCT version), MAX(version) FROM {}.schema_version",
                h.schema
            ),
            &[],
        )
        .await
        .unwrap();
    let (rows, distinct, max): (i64, i64, i32) = (row.get(0), row.get(1), row.get(2));
    assert_eq!((rows, distinct), (i64::from(max), i64::from(max)));
    // Every handle works.
    for s in &stores {
        ingest(s, T0, &[("fhir", None)]).await;
    }
    assert_eq!(stores[0].queue_depths(T0).await.unwrap()[0].pending, 4);
}

/// A routing transaction on one node wakes a subscriber on another with the destination.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notify_wakes_a_subscriber() {
    let h = Pg::new();
    let a = h.open().await;
    let b = h.open().await;
    let mut wakes = a.subscribe().await.unwrap();
    ingest(&b, T0, &[("mllp", None), ("fhir", None), ("fhir", None)]).await;
    let mut got = Vec::new();
    while got.len() < 2 {
        let name = tokio::time::timeout(Duration::from_secs(10), wakes.recv())
            .await
            .expect("no NOTIFY within 10 s")
            .unwrap();
        got.push(name);
    }
    got.sort();
    assert_eq!(got, ["fhir", "mllp"], "one wake per destination");
    // Another schema's routing does not wake this one.
    let other = Pg::new();
    let c = other.open().await;
    ingest(&c, T0, &[("fhir", None)]).await;
    ingest(&b, T0, &[("ris", None)]).await;
    let name = tokio::time::timeout(Duration::from_secs(10), wakes.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(name, "ris");
}

/// An unreachable server is an error at open, not a hang.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_server_fails_open() {
    let opts = PgOptions {
        timeout: Duration::from_secs(2),
        ..PgOptions::new("postgres://postgres@127.0.0.1:1/test")
    };
    let err = PostgresStore::open(opts).await.unwrap_err();
    assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
}

/// Bad schema names are refused before anything is sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_schema_name_is_refused() {
    let opts = PgOptions {
        schema: Some("x; DROP TABLE y".into()),
        ..PgOptions::new(url())
    };
    let err = PostgresStore::open(opts).await.unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
}
