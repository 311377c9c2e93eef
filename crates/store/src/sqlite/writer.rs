//! Group commit: one thread owns the write connection and runs every queued request in one
//! `BEGIN IMMEDIATE … COMMIT`, answering each caller once the commit is durable (or, for a
//! lease or an outcome, once it is committed: see "Who waits for the sync").
//!
//! A batch runs its requests one after another with nothing between them. If one fails (a
//! lost lease, a bad route), the whole transaction is rolled back and the batch runs again
//! with each request in its own savepoint, so the failing one rolls back alone while the rest
//! commit. Failures are rare, and a savepoint per request was ~6 % of the writer thread in a
//! profile of the 16-connection bench (`SAVEPOINT`/`RELEASE` statements, and SQLite copying
//! every page a savepoint first changes into its statement journal). A request may therefore
//! run twice: it touches nothing but the connection (a message id it reserved the first time
//! is simply not used). A failed commit fails every request in the batch: none of them is durable.
//!
//! Durability ([`SyncMode`]): with `Pipelined` (the default) the connection runs
//! `synchronous=NORMAL` and a second thread, the syncer, `fdatasync`s the WAL after each
//! commit before answering anyone in it, while the writer already runs the next batch; one
//! sync covers every commit made before it started. That is `synchronous=FULL`'s guarantee
//! (FULL is NORMAL plus a WAL sync at each commit) without the writer idling through the
//! disk's flush. A power cut loses an unsynced commit together with everything after it (WAL
//! frames carry a running checksum, so recovery stops at the first missing one).
//!
//! Who waits for the sync: a caller of [`Writer::call`] always — nothing outside the store (an
//! ACK, a send of a delivery a route just made) ever acts on a commit a power cut could still
//! take back. A caller of [`Writer::call_at_commit`] (a lease, a delivery's outcome) is
//! answered at its commit when nothing in its batch waits for the sync and every earlier
//! commit that waited for a sync is durable too. The messages and deliveries it read then
//! exist for good, and losing it (or an earlier outcome) in a power cut only means a
//! delivery is sent again under the same id, which every sink makes idempotent; a process
//! crash loses nothing, the page cache keeps it. One sync a message on a serial connection
//! instead of three (the journal append, the lease, the outcome).

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
    /// Runs the request's statements; `false` when it failed and must be rolled back. May be
    /// called again after its transaction was rolled back (see the module's notes).
    fn run(&mut self, conn: &Connection) -> bool;
    /// Answers the caller: its own result if `commit` is `Ok`, else the commit error.
    fn finish(self: Box<Self>, commit: Result<(), StoreError>);
    /// Whether it must run outside any transaction (e.g. `incremental_vacuum`).
    fn standalone(&self) -> bool;
    /// Whether its caller must wait for the sync (see [`Writer::call_at_commit`]).
    fn waits_for_sync(&self) -> bool;
}

struct Call<T, F> {
    f: F,
    res: Option<Result<T, StoreError>>,
    reply: oneshot::Sender<Result<T, StoreError>>,
    standalone: bool,
    waits_for_sync: bool,
}

impl<T, F> Task for Call<T, F>
where
    T: Send,
    F: FnMut(&Connection) -> Result<T, StoreError> + Send,
{
    fn run(&mut self, conn: &Connection) -> bool {
        let res = (self.f)(conn);
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

    fn waits_for_sync(&self) -> bool {
        self.waits_for_sync
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

/// Makes every commit so far durable (the syncer's `fdatasync` of the WAL).
type SyncFn = Box<dyn FnMut() -> Result<(), StoreError> + Send>;

/// A committed batch on its way to its callers.
struct Committed {
    tasks: Vec<Box<dyn Task>>,
    res: Result<(), StoreError>,
    started: Instant,
}

impl Committed {
    /// Records the commit and answers every caller in it; `synced` is how the sync went.
    fn answer(
        self,
        synced: Result<(), StoreError>,
        counters: &Counters,
        observer: &dyn StoreObserver,
    ) {
        let res = self.res.and(synced);
        record(
            counters,
            observer,
            self.tasks.len(),
            self.started,
            res.is_ok(),
        );
        for task in self.tasks {
            task.finish(res.clone());
        }
    }
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
        let sync: Option<SyncFn> = match sync {
            SyncMode::Pipelined(wal) => {
                let mut file = None;
                Some(Box::new(move || sync_wal(&wal, &mut file)))
            }
            SyncMode::InCommit | SyncMode::Off => None,
        };
        Writer::start_with(conn, max_batch, sync, observer)
    }

    /// Starts the writer thread, the syncer making commits durable with `sync`.
    fn start_with(
        conn: Connection,
        max_batch: usize,
        sync: Option<SyncFn>,
        observer: Arc<dyn StoreObserver>,
    ) -> Result<Writer, StoreError> {
        let (tx, rx) = mpsc::channel(max_batch.max(1) * 4);
        let (done_tx, done_rx) = std::sync::mpsc::channel::<Committed>();
        let counters = Arc::new(Counters::default());
        // A weak sender, so the syncer never keeps the writer's channel open at shutdown.
        let writer_tx = tx.downgrade();
        let syncer_counters = Arc::clone(&counters);
        let writer_counters = Arc::clone(&counters);
        let writer_observer = Arc::clone(&observer);
        let syncer = std::thread::Builder::new()
            .name("junction-store-syncer".into())
            .spawn(move || sync_loop(done_rx, sync, &*observer, &syncer_counters, &writer_tx))?;
        let thread = std::thread::Builder::new()
            .name("junction-store-writer".into())
            .spawn(move || {
                run(
                    conn,
                    rx,
                    max_batch.max(1),
                    &done_tx,
                    &writer_counters,
                    &*writer_observer,
                )
            })?;
        Ok(Writer {
            tx: Some(tx),
            thread: Some(thread),
            syncer: Some(syncer),
            counters,
        })
    }

    /// Queues `f` for the next batch transaction and waits until that batch is durable. `f`
    /// runs a second time if another request of its batch fails (see the module's notes), so
    /// it touches nothing but the connection.
    pub(crate) async fn call<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnMut(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        self.submit(f, false, true).await
    }

    /// Like [`Writer::call`], but answered as soon as its batch has committed when nothing
    /// in that batch waits for the sync and every earlier commit is already durable (see the
    /// module's notes): for writes whose loss in a power cut only repeats an idempotent send.
    pub(crate) async fn call_at_commit<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnMut(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        self.submit(f, false, false).await
    }

    /// Runs `f` on the write connection outside any transaction (after the current batch).
    pub(crate) async fn call_standalone<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnMut(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        self.submit(f, true, true).await
    }

    async fn submit<T, F>(
        &self,
        f: F,
        standalone: bool,
        waits_for_sync: bool,
    ) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnMut(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let (reply, rx) = oneshot::channel();
        let task: Box<dyn Task> = Box::new(Call {
            f,
            res: None,
            reply,
            standalone,
            waits_for_sync,
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
    counters: &Counters,
    observer: &dyn StoreObserver,
) {
    let unsynced = &counters.unsynced;
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
            let at_commit = !txn.tasks.iter().any(|t| t.waits_for_sync());
            let committed = txn.commit(&conn);
            if at_commit && unsynced.load(Ordering::Acquire) == 0 {
                committed.answer(Ok(()), counters, observer);
            } else {
                unsynced.fetch_add(1, Ordering::AcqRel);
                let _ = done.send(committed);
            }
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
    mut sync: Option<SyncFn>,
    observer: &dyn StoreObserver,
    counters: &Counters,
    writer: &mpsc::WeakSender<Msg>,
) {
    while let Ok(first) = rx.recv() {
        let mut groups = vec![first];
        while let Ok(more) = rx.try_recv() {
            groups.push(more);
        }
        let synced = match &mut sync {
            Some(sync) if groups.iter().any(|g| g.res.is_ok()) => sync(),
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
            group.answer(synced.clone(), counters, observer);
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

/// A batch transaction being filled: `BEGIN IMMEDIATE`, the requests, then `COMMIT`. The
/// fixed statements are prepared once and cached: re-parsing them cost a tenth of the writer.
struct Open {
    tasks: Vec<Box<dyn Task>>,
    /// The first statement that failed outside a request: the batch is then rolled back and
    /// every request in it answered with this error.
    failed: Option<StoreError>,
    /// Whether each request runs in its own savepoint: after one failed without.
    guarded: bool,
    started: Instant,
}

impl Open {
    fn begin(conn: &Connection) -> Open {
        Open {
            tasks: Vec::new(),
            failed: exec(conn, "BEGIN IMMEDIATE").err(),
            guarded: false,
            started: Instant::now(),
        }
    }

    fn run(&mut self, conn: &Connection, tasks: Vec<Box<dyn Task>>) {
        for mut task in tasks {
            if self.failed.is_none() {
                if self.guarded {
                    self.failed = run_guarded(conn, &mut *task).err();
                } else if !task.run(conn) {
                    // Its writes so far are mixed with the others': undo the whole batch and
                    // run it again, each request in its own savepoint.
                    self.tasks.push(task);
                    self.failed = self.run_again_guarded(conn).err();
                    continue;
                }
            }
            self.tasks.push(task);
        }
    }

    fn run_again_guarded(&mut self, conn: &Connection) -> Result<(), StoreError> {
        self.guarded = true;
        // An I/O or full-disk error may already have rolled the transaction back.
        if !conn.is_autocommit() {
            exec(conn, "ROLLBACK")?;
        }
        exec(conn, "BEGIN IMMEDIATE")?;
        for task in &mut self.tasks {
            run_guarded(conn, &mut **task)?;
        }
        Ok(())
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

/// Runs `task` in a savepoint of its own, rolled back to if it fails.
fn run_guarded(conn: &Connection, task: &mut dyn Task) -> Result<(), StoreError> {
    exec(conn, "SAVEPOINT request")?;
    if !task.run(conn) {
        exec(conn, "ROLLBACK TO request")?;
    }
    exec(conn, "RELEASE request")
}

/// Runs a fixed statement with no parameters, prepared once (`BEGIN`, `SAVEPOINT`, …).
pub(crate) fn exec(conn: &Connection, sql: &str) -> Result<(), StoreError> {
    conn.prepare_cached(sql)?.execute([])?;
    Ok(())
}

#[cfg(test)]
mod tests;
