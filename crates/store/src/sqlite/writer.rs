//! Group commit: one thread owns the write connection and runs every queued request in one
//! `BEGIN IMMEDIATE … COMMIT`, answering each caller only once the commit is durable.
//!
//! Each request runs inside its own savepoint, so one failing request (a lost lease, a bad
//! route) rolls back alone while the rest of the batch commits. A failed commit fails every
//! request in the batch: none of them is durable.
//!
//! Durability ([`SyncMode`]): with `Pipelined` (the default) the connection runs
//! `synchronous=NORMAL` and a second thread, the syncer, `fdatasync`s the WAL after each
//! commit before answering anyone in it, while the writer already runs the next batch; one
//! sync covers every commit made before it started. That is `synchronous=FULL`'s guarantee
//! (FULL is NORMAL plus a WAL sync at each commit) without the writer idling through the
//! disk's flush. Every caller waits for the sync, so nothing outside the store (an ACK, a
//! send after a lease) ever acts on a commit that could still be lost; a read may see such a
//! commit, and a crash then loses it together with everything after it (WAL frames carry a
//! running checksum, so recovery stops at the first missing one).

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::Instant;

use rusqlite::Connection;
use tokio::sync::{mpsc, oneshot};

use crate::error::StoreError;
use crate::store::StoreObserver;
use crate::types::StoreStats;

/// A transaction of at most this many requests commits without waiting for the syncer (see
/// `run`). `loadgen`, six alternating pairs against waiting: serial 1,407 → 1,480 msgs/s on
/// average (five pairs of six better), 16 connections unchanged (9,089 → 9,133).
const COMMIT_AT_ONCE_UP_TO: usize = 2;

/// What the writer thread receives.
enum Msg {
    Task(Box<dyn Task>),
    /// The syncer has made every commit handed to it durable.
    SyncerIdle,
}

/// One queued request: run inside the batch transaction, then answered with the commit result.
trait Task: Send {
    /// Runs the request's statements; `false` when it failed and must be rolled back.
    fn run(&mut self, conn: &Connection) -> bool;
    /// Answers the caller: its own result if `commit` is `Ok`, else the commit error.
    fn finish(self: Box<Self>, commit: Result<(), StoreError>);
    /// Whether it must run outside any transaction (e.g. `incremental_vacuum`).
    fn standalone(&self) -> bool;
}

struct Call<T, F> {
    f: Option<F>,
    res: Option<Result<T, StoreError>>,
    reply: oneshot::Sender<Result<T, StoreError>>,
    standalone: bool,
}

impl<T, F> Task for Call<T, F>
where
    T: Send,
    F: FnOnce(&Connection) -> Result<T, StoreError> + Send,
{
    fn run(&mut self, conn: &Connection) -> bool {
        let Some(f) = self.f.take() else { return false };
        let res = f(conn);
        let ok = res.is_ok();
        self.res = Some(res);
        ok
    }

    fn finish(self: Box<Self>, commit: Result<(), StoreError>) {
        let out = match (commit, self.res) {
            (Err(err), _) => Err(err),
            (Ok(()), Some(res)) => res,
            (Ok(()), None) => Err(StoreError::Unavailable("request not run".into())),
        };
        // The caller may have gone away (cancelled); the work is committed either way.
        let _ = self.reply.send(out);
    }

    fn standalone(&self) -> bool {
        self.standalone
    }
}

#[derive(Default)]
struct Counters {
    commits: AtomicU64,
    requests: AtomicU64,
    last_batch_size: AtomicU64,
    max_batch_size: AtomicU64,
    last_commit_micros: AtomicU64,
    failed_commits: AtomicU64,
    /// Commits handed to the syncer and not yet durable.
    unsynced: AtomicU64,
}

/// How commits are made durable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncMode {
    /// `synchronous=NORMAL`, and the syncer thread `fdatasync`s this WAL file after each
    /// commit, before anyone in it is answered (the default).
    Pipelined(PathBuf),
    /// `synchronous=FULL`: SQLite syncs inside every COMMIT, on the writer thread.
    InCommit,
    /// `synchronous=NORMAL` and no sync per commit (tests only: a power cut may lose the
    /// last commits; a process crash loses nothing).
    Off,
}

/// A committed batch on its way to its callers.
struct Committed {
    tasks: Vec<Box<dyn Task>>,
    res: Result<(), StoreError>,
    started: Instant,
}

/// The handle callers use to reach the writer thread. Dropping it stops and joins the thread.
pub(crate) struct Writer {
    tx: Option<mpsc::Sender<Msg>>,
    thread: Option<JoinHandle<()>>,
    syncer: Option<JoinHandle<()>>,
    counters: Arc<Counters>,
}

impl Writer {
    /// Starts the writer thread on `conn`.
    pub(crate) fn start(
        conn: Connection,
        max_batch: usize,
        sync: SyncMode,
        observer: Arc<dyn StoreObserver>,
    ) -> Result<Writer, StoreError> {
        let (tx, rx) = mpsc::channel(max_batch.max(1) * 4);
        let (done_tx, done_rx) = std::sync::mpsc::channel::<Committed>();
        let counters = Arc::new(Counters::default());
        // A weak sender, so the syncer never keeps the writer's channel open at shutdown.
        let writer_tx = tx.downgrade();
        let syncer_counters = Arc::clone(&counters);
        let wal = match sync {
            SyncMode::Pipelined(wal) => Some(wal),
            SyncMode::InCommit | SyncMode::Off => None,
        };
        let writer_counters = Arc::clone(&counters);
        let syncer = std::thread::Builder::new()
            .name("junction-store-syncer".into())
            .spawn(move || sync_loop(done_rx, wal, &*observer, &syncer_counters, &writer_tx))?;
        let thread = std::thread::Builder::new()
            .name("junction-store-writer".into())
            .spawn(move || {
                run(
                    conn,
                    rx,
                    max_batch.max(1),
                    &done_tx,
                    &writer_counters.unsynced,
                )
            })?;
        Ok(Writer {
            tx: Some(tx),
            thread: Some(thread),
            syncer: Some(syncer),
            counters,
        })
    }

    /// Queues `f` for the next batch transaction and waits until that batch has committed.
    pub(crate) async fn call<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        self.submit(f, false).await
    }

    /// Runs `f` on the write connection outside any transaction (after the current batch).
    pub(crate) async fn call_standalone<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        self.submit(f, true).await
    }

    async fn submit<T, F>(&self, f: F, standalone: bool) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let (reply, rx) = oneshot::channel();
        let task: Box<dyn Task> = Box::new(Call {
            f: Some(f),
            res: None,
            reply,
            standalone,
        });
        let tx = self.tx.as_ref().ok_or(StoreError::Closed)?;
        tx.send(Msg::Task(task))
            .await
            .map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    /// The counters so far.
    pub(crate) fn stats(&self) -> StoreStats {
        let c = &self.counters;
        StoreStats {
            commits: c.commits.load(Ordering::Relaxed),
            requests: c.requests.load(Ordering::Relaxed),
            last_batch_size: c.last_batch_size.load(Ordering::Relaxed),
            max_batch_size: c.max_batch_size.load(Ordering::Relaxed),
            last_commit_micros: c.last_commit_micros.load(Ordering::Relaxed),
            failed_commits: c.failed_commits.load(Ordering::Relaxed),
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        // Closing the channel lets the thread finish the queued batch and exit.
        self.tx.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        // The writer's end of the syncer's channel went with it: the syncer answers the last
        // batches and exits.
        if let Some(syncer) = self.syncer.take() {
            let _ = syncer.join();
        }
    }
}

fn run(
    conn: Connection,
    mut rx: mpsc::Receiver<Msg>,
    max_batch: usize,
    done: &std::sync::mpsc::Sender<Committed>,
    unsynced: &AtomicU64,
) {
    let mut standalone = Vec::new();
    while let Some(first) = rx.blocking_recv() {
        let Msg::Task(first) = first else { continue };
        let mut batch = vec![first];
        let mut open: Option<Open> = None;
        loop {
            while batch.len() < max_batch {
                match rx.try_recv() {
                    Ok(Msg::Task(task)) => batch.push(task),
                    Ok(Msg::SyncerIdle) => {}
                    Err(_) => break,
                }
            }
            let (alone, in_txn): (Vec<_>, Vec<_>) =
                batch.drain(..).partition(|task| task.standalone());
            standalone.extend(alone);
            if !in_txn.is_empty() {
                let txn = open.get_or_insert_with(|| Open::begin(&conn));
                txn.run(&conn, in_txn);
            }
            // While the syncer is still flushing earlier commits, nobody in this transaction
            // could be answered before its next sync anyway: keep taking requests into it
            // rather than committing, so each commit writes its pages once for more requests.
            // Not for a transaction of one or two (one connection sending serially, a lease):
            // committed at once, its WAL write overlaps the flush in progress and its callers
            // wait for one sync, not for the rest of that one and then their own.
            let size = open.as_ref().map_or(0, |t| t.tasks.len());
            let syncer_idle = unsynced.load(Ordering::Acquire) == 0;
            if syncer_idle || size <= COMMIT_AT_ONCE_UP_TO || size >= max_batch {
                break;
            }
            match rx.blocking_recv() {
                Some(Msg::Task(task)) => batch.push(task),
                Some(Msg::SyncerIdle) => {}
                None => break,
            }
        }
        if let Some(txn) = open.take() {
            unsynced.fetch_add(1, Ordering::AcqRel);
            let _ = done.send(txn.commit(&conn));
        }
        for mut task in standalone.drain(..) {
            let started = Instant::now();
            let _ = task.run(&conn);
            unsynced.fetch_add(1, Ordering::AcqRel);
            let _ = done.send(Committed {
                tasks: vec![task],
                res: Ok(()),
                started,
            });
        }
    }
    // Connection closes here; the syncer answers what is still in flight.
}

/// Answers committed batches once they are durable: one `fdatasync` of the WAL for all the
/// batches committed since the last one.
fn sync_loop(
    rx: std::sync::mpsc::Receiver<Committed>,
    wal: Option<PathBuf>,
    observer: &dyn StoreObserver,
    counters: &Counters,
    writer: &mpsc::WeakSender<Msg>,
) {
    let mut file: Option<std::fs::File> = None;
    while let Ok(first) = rx.recv() {
        let mut groups = vec![first];
        while let Ok(more) = rx.try_recv() {
            groups.push(more);
        }
        let synced = match &wal {
            Some(path) if groups.iter().any(|g| g.res.is_ok()) => sync_wal(path, &mut file),
            _ => Ok(()),
        };
        let handed = groups.len() as u64;
        if counters.unsynced.fetch_sub(handed, Ordering::AcqRel) == handed {
            // The writer may be holding a transaction open until this sync is done.
            if let Some(tx) = writer.upgrade() {
                let _ = tx.try_send(Msg::SyncerIdle);
            }
        }
        for group in groups {
            let res = group.res.and(synced.clone());
            record(
                counters,
                observer,
                group.tasks.len(),
                group.started,
                res.is_ok(),
            );
            for task in group.tasks {
                task.finish(res.clone());
            }
        }
    }
}

/// `fdatasync` of the WAL file (opened once; SQLite keeps the same file while the writer's
/// connection is open, rewinding it after checkpoints rather than replacing it).
fn sync_wal(path: &std::path::Path, file: &mut Option<std::fs::File>) -> Result<(), StoreError> {
    let io = |e: std::io::Error| StoreError::Unavailable(format!("syncing the WAL: {e}"));
    if file.is_none() {
        *file = Some(std::fs::File::open(path).map_err(io)?);
    }
    match file {
        Some(f) => f.sync_data().map_err(io),
        None => Ok(()),
    }
}

fn record(
    counters: &Counters,
    observer: &dyn StoreObserver,
    size: usize,
    started: Instant,
    ok: bool,
) {
    let elapsed = started.elapsed();
    if ok {
        counters.commits.fetch_add(1, Ordering::Relaxed);
        counters
            .last_batch_size
            .store(size as u64, Ordering::Relaxed);
        counters
            .max_batch_size
            .fetch_max(size as u64, Ordering::Relaxed);
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        counters.last_commit_micros.store(micros, Ordering::Relaxed);
    } else {
        counters.failed_commits.fetch_add(1, Ordering::Relaxed);
    }
    counters.requests.fetch_add(size as u64, Ordering::Relaxed);
    observer.commit(size, elapsed, ok);
}

/// A batch transaction being filled: `BEGIN IMMEDIATE`, then each request in its own
/// savepoint, then `COMMIT`. The fixed statements are prepared once and cached: re-parsing them
/// cost a tenth of the writer.
struct Open {
    tasks: Vec<Box<dyn Task>>,
    /// The first statement that failed outside a request: the batch is then rolled back and
    /// every request in it answered with this error.
    failed: Option<StoreError>,
    started: Instant,
}

impl Open {
    fn begin(conn: &Connection) -> Open {
        Open {
            tasks: Vec::new(),
            failed: exec(conn, "BEGIN IMMEDIATE").err(),
            started: Instant::now(),
        }
    }

    fn run(&mut self, conn: &Connection, tasks: Vec<Box<dyn Task>>) {
        for mut task in tasks {
            if self.failed.is_none() {
                let res = exec(conn, "SAVEPOINT request").and_then(|()| {
                    if !task.run(conn) {
                        exec(conn, "ROLLBACK TO request")?;
                    }
                    exec(conn, "RELEASE request")
                });
                self.failed = res.err();
            }
            self.tasks.push(task);
        }
    }

    fn commit(self, conn: &Connection) -> Committed {
        let res = match self.failed {
            Some(err) => Err(err),
            None => exec(conn, "COMMIT"),
        };
        if res.is_err() && !conn.is_autocommit() {
            let _ = conn.execute_batch("ROLLBACK");
        }
        Committed {
            tasks: self.tasks,
            res,
            started: self.started,
        }
    }
}

/// Runs a fixed statement with no parameters, prepared once (`BEGIN`, `SAVEPOINT`, …).
pub(crate) fn exec(conn: &Connection, sql: &str) -> Result<(), StoreError> {
    conn.prepare_cached(sql)?.execute([])?;
    Ok(())
}
