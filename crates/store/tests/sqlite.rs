//! Runs the backend-independent suite (`suite/`) against `SqliteStore` on real files in a
//! temp dir, plus the SQLite-only checks (space given back by prune).

#![allow(
    clippy::unwrap_used,
    reason = "test code: a failed unwrap is a failed test"
)]

mod suite;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use junction_store::{Outcome, PrunePolicy, SqliteStore, Store, StoreObserver, StoreOptions};
use suite::{DAY, Harness, T0, ingest};
use tempfile::TempDir;

/// A fresh database file in its own temp dir; `open` reopens the same file.
struct Sqlite {
    dir: TempDir,
}

impl Sqlite {
    fn new() -> Self {
        Sqlite {
            dir: tempfile::tempdir().unwrap(),
        }
    }
}

impl Harness for Sqlite {
    type S = SqliteStore;

    async fn open(&self) -> SqliteStore {
        SqliteStore::open(self.dir.path().join("junction.db"), StoreOptions::default()).unwrap()
    }
}

every_scenario!(Sqlite::new());

fn pages(path: &std::path::Path) -> (i64, i64) {
    let conn = rusqlite::Connection::open(path).unwrap();
    let count = conn
        .query_row("PRAGMA page_count", [], |r| r.get(0))
        .unwrap();
    let free = conn
        .query_row("PRAGMA freelist_count", [], |r| r.get(0))
        .unwrap();
    (count, free)
}

/// Pruning delivered messages and vacuuming incrementally shrinks the database.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prune_gives_pages_back() {
    let h = Sqlite::new();
    let store = h.open().await;
    let path = store.path().to_path_buf();
    for n in 0..300 {
        let mut m = suite::msg("pas", Some(&format!("P{n}")), T0);
        m.raw = vec![b'x'; 8 * 1024];
        let id = store.append(m).await.unwrap().id();
        store
            .route(id, suite::routed(&[("fhir", None)]), T0)
            .await
            .unwrap();
    }
    ingest(&store, T0, &[("fhir", None)]).await;
    loop {
        let leased = store.lease("fhir", 100, T0, 1000, "w").await.unwrap();
        if leased.is_empty() {
            break;
        }
        for d in leased {
            store
                .complete(d.id, "w", Outcome::Delivered { at: T0 })
                .await
                .unwrap();
        }
    }
    let (before, _) = pages(&path);
    let report = store
        .prune(T0 + 31 * DAY, PrunePolicy::default(), 50)
        .await
        .unwrap();
    assert_eq!(report.messages, 301);
    assert!(report.batches >= 7, "{report:?}");
    assert!(report.pages_freed > 0, "{report:?}");
    let (after, free) = pages(&path);
    assert!(
        after < before / 4,
        "page_count {before} -> {after}, {report:?}"
    );
    assert_eq!(free, 0);
}

#[derive(Default)]
struct Counting {
    commits: AtomicUsize,
    requests: AtomicUsize,
}

impl StoreObserver for Counting {
    fn commit(&self, batch_size: usize, _elapsed: Duration, ok: bool) {
        assert!(ok);
        self.commits.fetch_add(1, Ordering::Relaxed);
        self.requests.fetch_add(batch_size, Ordering::Relaxed);
    }
}

/// The observer sees every committed request, in fewer commits than requests.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn observer_sees_batches() {
    let dir = tempfile::tempdir().unwrap();
    let observer = Arc::new(Counting::default());
    let opts = StoreOptions {
        observer: observer.clone(),
        ..StoreOptions::default()
    };
    let store = Arc::new(SqliteStore::open(dir.path().join("j.db"), opts).unwrap());
    let tasks: Vec<_> = (0..50)
        .map(|n| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                store
                    .append(suite::msg("pas", Some(&format!("O{n}")), T0))
                    .await
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert_eq!(observer.requests.load(Ordering::Relaxed), 50);
    let stats = store.stats();
    assert_eq!(
        stats.commits as usize,
        observer.commits.load(Ordering::Relaxed)
    );
    assert_eq!(stats.requests, 50);
}

/// The baseline sync mode (SQLite's own `synchronous=FULL`) keeps the same semantics.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_commit_sync_mode_keeps_what_it_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("junction.db");
    let opts = || StoreOptions {
        pipelined_sync: false,
        ..StoreOptions::default()
    };
    let store = SqliteStore::open(&path, opts()).unwrap();
    let id = store
        .append(suite::msg("pas", Some("FULL1"), T0))
        .await
        .unwrap()
        .id();
    drop(store);
    let store = SqliteStore::open(&path, opts()).unwrap();
    assert!(store.get_message(id).await.unwrap().is_some());
}
