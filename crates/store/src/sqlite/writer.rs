//! Group commit: one thread owns the write connection and runs every queued request in one
//! `BEGIN IMMEDIATE … COMMIT`, answering each caller only after the commit returned.
//!
//! Each request runs inside its own savepoint, so one failing request (a lost lease, a bad
//! route) rolls back alone while the rest of the batch commits. A failed commit fails every
//! request in the batch: none of them is durable.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::Instant;

use rusqlite::Connection;
use tokio::sync::{mpsc, oneshot};

use crate::error::StoreError;
use crate::store::StoreObserver;
use crate::types::StoreStats;

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
}

/// The handle callers use to reach the writer thread. Dropping it stops and joins the thread.
pub(crate) struct Writer {
    tx: Option<mpsc::Sender<Box<dyn Task>>>,
    thread: Option<JoinHandle<()>>,
    counters: Arc<Counters>,
}

impl Writer {
    /// Starts the writer thread on `conn`.
    pub(crate) fn start(
        conn: Connection,
        max_batch: usize,
        observer: Arc<dyn StoreObserver>,
    ) -> Result<Writer, StoreError> {
        let (tx, rx) = mpsc::channel(max_batch.max(1) * 4);
        let counters = Arc::new(Counters::default());
        let thread_counters = Arc::clone(&counters);
        let thread = std::thread::Builder::new()
            .name("junction-store-writer".into())
            .spawn(move || run(conn, rx, max_batch.max(1), &*observer, &thread_counters))?;
        Ok(Writer {
            tx: Some(tx),
            thread: Some(thread),
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
        tx.send(task).await.map_err(|_| StoreError::Closed)?;
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
    }
}

fn run(
    conn: Connection,
    mut rx: mpsc::Receiver<Box<dyn Task>>,
    max_batch: usize,
    observer: &dyn StoreObserver,
    counters: &Counters,
) {
    while let Some(first) = rx.blocking_recv() {
        let mut batch = vec![first];
        while batch.len() < max_batch {
            match rx.try_recv() {
                Ok(task) => batch.push(task),
                Err(_) => break,
            }
        }
        let (standalone, in_txn): (Vec<_>, Vec<_>) =
            batch.into_iter().partition(|task| task.standalone());
        if !in_txn.is_empty() {
            commit_batch(&conn, in_txn, observer, counters);
        }
        for mut task in standalone {
            let _ = task.run(&conn);
            counters.requests.fetch_add(1, Ordering::Relaxed);
            task.finish(Ok(()));
        }
    }
    // Connection closes here; WAL content is already durable.
}

fn commit_batch(
    conn: &Connection,
    mut batch: Vec<Box<dyn Task>>,
    observer: &dyn StoreObserver,
    counters: &Counters,
) {
    let started = Instant::now();
    let size = batch.len();
    let res = run_batch(conn, &mut batch);
    let elapsed = started.elapsed();
    let ok = res.is_ok();
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
    for task in batch {
        task.finish(res.clone());
    }
}

/// Runs every task between `BEGIN IMMEDIATE` and `COMMIT`, each in its own savepoint. The
/// fixed statements are prepared once and cached: re-parsing them cost a tenth of the writer.
fn run_batch(conn: &Connection, batch: &mut [Box<dyn Task>]) -> Result<(), StoreError> {
    let run = |sql: &str| -> Result<(), StoreError> {
        conn.prepare_cached(sql)?.execute([])?;
        Ok(())
    };
    run("BEGIN IMMEDIATE")?;
    let res = (|| -> Result<(), StoreError> {
        for task in batch.iter_mut() {
            run("SAVEPOINT request")?;
            if !task.run(conn) {
                run("ROLLBACK TO request")?;
            }
            run("RELEASE request")?;
        }
        run("COMMIT")?;
        Ok(())
    })();
    if res.is_err() && !conn.is_autocommit() {
        let _ = conn.execute_batch("ROLLBACK");
    }
    res
}
