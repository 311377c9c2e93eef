//! Tests of the writer: the syncer held at a gate to see who waits for a sync, and a batch
//! with a failing request.

use std::sync::mpsc as std_mpsc;

use rusqlite::Connection;

use super::*;
use crate::store::NoopObserver;

/// A writer on a new WAL database with one table `t(n)`, whose syncer reports each sync
/// it starts and finishes it only when the test gives it a turn.
struct Gated {
    // Dropped first: a syncer waiting at the gate then fails its sync and lets the
    // writer's drop join it.
    gate: std_mpsc::Sender<()>,
    entered: std_mpsc::Receiver<()>,
    writer: Arc<Writer>,
    reader: Connection,
    _dir: tempfile::TempDir,
}

impl Gated {
    fn start() -> Gated {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.db");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch("PRAGMA journal_mode=WAL; CREATE TABLE t (n INTEGER NOT NULL);")
            .unwrap();
        let (entered_tx, entered) = std_mpsc::channel();
        let (gate, turns) = std_mpsc::channel::<()>();
        let sync: SyncFn = Box::new(move || {
            let _ = entered_tx.send(());
            turns
                .recv()
                .map_err(|_| StoreError::Unavailable("gate dropped".into()))
        });
        let writer = Writer::start_with(conn, 8, Some(sync), Arc::new(NoopObserver)).unwrap();
        let reader = Connection::open(&path).unwrap();
        Gated {
            gate,
            entered,
            writer: Arc::new(writer),
            reader,
            _dir: dir,
        }
    }

    /// Runs `f` on the writer as a task: `at_commit` picks `call_at_commit`.
    fn spawn<F>(&self, at_commit: bool, f: F) -> tokio::task::JoinHandle<Result<i64, StoreError>>
    where
        F: FnMut(&Connection) -> Result<i64, StoreError> + Send + 'static,
    {
        let writer = Arc::clone(&self.writer);
        tokio::spawn(async move {
            if at_commit {
                writer.call_at_commit(f).await
            } else {
                writer.call(f).await
            }
        })
    }

    /// Runs `insert(n)` on the writer as a task: `at_commit` picks `call_at_commit`.
    fn spawn_insert(
        &self,
        n: i64,
        at_commit: bool,
    ) -> tokio::task::JoinHandle<Result<i64, StoreError>> {
        self.spawn(at_commit, insert(n))
    }

    /// Waits until the syncer has started a sync (it then waits at the gate).
    fn sync_started(&self) {
        self.entered.recv().unwrap();
    }

    /// Lets the syncer finish one sync.
    fn finish_sync(&self) {
        self.gate.send(()).unwrap();
    }

    /// Waits until `n`'s commit is visible to another connection.
    async fn committed(&self, n: i64) {
        let count = |n: i64| -> i64 {
            self.reader
                .query_row("SELECT count(*) FROM t WHERE n = ?1", [n], |r| r.get(0))
                .unwrap()
        };
        while count(n) == 0 {
            tokio::task::yield_now().await;
        }
    }
}

fn insert(n: i64) -> impl FnMut(&Connection) -> Result<i64, StoreError> + Send + 'static {
    move |conn| {
        conn.execute("INSERT INTO t (n) VALUES (?1)", [n])?;
        Ok(n)
    }
}

/// A lease or an outcome does not wait for a sync when nothing before it needs one; a
/// journal append does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_at_commit_is_answered_before_any_sync_when_nothing_earlier_waits() {
    let w = Gated::start();
    let lease = w.spawn_insert(1, true);
    assert_eq!(
        lease.await.unwrap().unwrap(),
        1,
        "answered with the gate shut"
    );

    let append = w.spawn_insert(2, false);
    w.sync_started();
    w.committed(2).await;
    assert!(
        !append.is_finished(),
        "a call is answered only after its sync"
    );
    w.finish_sync();
    assert_eq!(append.await.unwrap().unwrap(), 2);
}

/// A call at commit made while an earlier commit still waits for its sync is not answered
/// before that sync: it may have read what that commit wrote (a delivery a route made,
/// which must not be sent before it is durable).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_at_commit_waits_for_an_earlier_commit_still_unsynced() {
    use std::future::Future;
    use std::task::{Context, Waker};

    let w = Gated::start();
    let append = w.spawn_insert(1, false);
    w.sync_started();
    // Polled by hand, so the test sees whether it has an answer at a given moment.
    let mut lease = std::pin::pin!(w.writer.call_at_commit(insert(2)));
    let mut cx = Context::from_waker(Waker::noop());
    assert!(lease.as_mut().poll(&mut cx).is_pending(), "queued");
    w.committed(2).await;
    // A later request runs once the writer has answered or handed on the lease's batch.
    let later = w.spawn_insert(3, true);
    w.committed(3).await;
    assert!(
        lease.as_mut().poll(&mut cx).is_pending(),
        "answered before the append it follows was durable"
    );

    // The append's sync, then at most two more for the later commits.
    for _ in 0..3 {
        w.finish_sync();
    }
    assert_eq!(append.await.unwrap().unwrap(), 1);
    assert_eq!(lease.await.unwrap(), 2);
    assert_eq!(later.await.unwrap().unwrap(), 3);
}

/// Requests of one batch run without savepoints; when one fails the batch runs again with
/// a savepoint each: the failing one's writes are undone, the others' kept once, and all
/// of it is still one commit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_request_rolls_back_alone_and_its_batch_commits_once() {
    let w = Gated::start();
    for _ in 0..4 {
        w.finish_sync();
    }
    // Holds the writer inside a first batch until the next three are queued behind it.
    let (inside_tx, inside) = std_mpsc::channel::<()>();
    let (release, held) = std_mpsc::channel::<()>();
    let held = std::sync::Mutex::new(held);
    let first = w.spawn(false, move |conn| {
        let _ = inside_tx.send(());
        let _ = held.lock().map(|rx| rx.recv());
        insert(0)(conn)
    });
    inside.recv().unwrap();
    let ok_one = w.spawn_insert(1, false);
    let failing = w.spawn(false, |conn| {
        insert(2)(conn)?;
        Err(StoreError::LeaseLost(2))
    });
    let ok_three = w.spawn_insert(3, false);
    while w
        .writer
        .tx
        .as_ref()
        .map_or(0, |tx| tx.max_capacity() - tx.capacity())
        < 3
    {
        tokio::task::yield_now().await;
    }
    release.send(()).unwrap();

    assert_eq!(first.await.unwrap().unwrap(), 0);
    assert_eq!(ok_one.await.unwrap().unwrap(), 1);
    assert!(matches!(
        failing.await.unwrap(),
        Err(StoreError::LeaseLost(2))
    ));
    assert_eq!(ok_three.await.unwrap().unwrap(), 3);
    let rows: Vec<i64> = w
        .reader
        .prepare("SELECT n FROM t ORDER BY n")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(rows, [0, 1, 3], "2 undone, 1 and 3 kept once");
    let stats = w.writer.stats();
    assert_eq!(stats.requests, 4);
    assert_eq!(
        stats.commits, 2,
        "the held request, then the other three in one batch"
    );
}
