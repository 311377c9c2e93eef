//! Group commit of journal appends: one task takes every append queued meanwhile and runs
//! them in one transaction, answering each caller only after `COMMIT` returned.
//!
//! Door-duplicate keys of the batch are locked first (transaction advisory locks, in sorted
//! order so two nodes never deadlock), so the same message arriving at two nodes at once is
//! journaled once. If a statement fails before `COMMIT`, the batch is rolled back and each
//! append is retried alone, so one bad message fails alone; a failed `COMMIT` fails the batch.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use deadpool_postgres::{Pool, Transaction};
use tokio::sync::{mpsc, oneshot};

use crate::error::StoreError;
use crate::store::StoreObserver;
use crate::types::StoreStats;
use crate::{Appended, MessageId, MessageState, NewMessage};

/// One queued append and where its answer goes.
pub(crate) struct Request {
    pub(crate) msg: NewMessage,
    pub(crate) reply: oneshot::Sender<Result<Appended, StoreError>>,
}

/// Commit counters, shared by the writer and the store's other write transactions.
#[derive(Default)]
pub(crate) struct Counters {
    commits: AtomicU64,
    requests: AtomicU64,
    last_batch_size: AtomicU64,
    max_batch_size: AtomicU64,
    last_commit_micros: AtomicU64,
    failed_commits: AtomicU64,
}

impl Counters {
    /// Records one transaction of `size` requests.
    pub(crate) fn record(
        &self,
        observer: &dyn StoreObserver,
        size: usize,
        started: Instant,
        ok: bool,
    ) {
        let elapsed = started.elapsed();
        if ok {
            self.commits.fetch_add(1, Ordering::Relaxed);
            self.last_batch_size.store(size as u64, Ordering::Relaxed);
            self.max_batch_size
                .fetch_max(size as u64, Ordering::Relaxed);
            let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
            self.last_commit_micros.store(micros, Ordering::Relaxed);
        } else {
            self.failed_commits.fetch_add(1, Ordering::Relaxed);
        }
        self.requests.fetch_add(size as u64, Ordering::Relaxed);
        observer.commit(size, elapsed, ok);
    }

    /// The counters so far.
    pub(crate) fn stats(&self) -> StoreStats {
        StoreStats {
            commits: self.commits.load(Ordering::Relaxed),
            requests: self.requests.load(Ordering::Relaxed),
            last_batch_size: self.last_batch_size.load(Ordering::Relaxed),
            max_batch_size: self.max_batch_size.load(Ordering::Relaxed),
            last_commit_micros: self.last_commit_micros.load(Ordering::Relaxed),
            failed_commits: self.failed_commits.load(Ordering::Relaxed),
        }
    }
}

/// What the writer task needs.
pub(crate) struct WriterCtx {
    pub(crate) pool: Pool,
    pub(crate) window_ms: i64,
    pub(crate) max_batch: usize,
    pub(crate) observer: Arc<dyn StoreObserver>,
    pub(crate) counters: Arc<Counters>,
}

/// Runs until every sender is gone, after answering what was queued.
pub(crate) async fn run(ctx: WriterCtx, mut rx: mpsc::Receiver<Request>) {
    let max = ctx.max_batch.max(1);
    let mut batch = Vec::with_capacity(max);
    while rx.recv_many(&mut batch, max).await > 0 {
        let reqs = std::mem::take(&mut batch);
        let started = Instant::now();
        let size = reqs.len();
        match commit(&ctx, &reqs).await {
            Ok(results) => {
                ctx.counters.record(&*ctx.observer, size, started, true);
                for (req, res) in reqs.into_iter().zip(results) {
                    let _ = req.reply.send(Ok(res));
                }
            }
            Err(Failed::Commit(err)) => {
                ctx.counters.record(&*ctx.observer, size, started, false);
                for req in reqs {
                    let _ = req.reply.send(Err(err.clone()));
                }
            }
            Err(Failed::Statement(_)) if size > 1 => {
                ctx.counters.record(&*ctx.observer, size, started, false);
                // Nothing was committed: each one alone, so only the bad one fails.
                for req in reqs {
                    let started = Instant::now();
                    let res = commit(&ctx, std::slice::from_ref(&req)).await;
                    ctx.counters.record(&*ctx.observer, 1, started, res.is_ok());
                    let res = res
                        .map_err(Failed::into_error)
                        .and_then(|mut r| r.pop().ok_or(StoreError::Invalid("empty batch")));
                    let _ = req.reply.send(res);
                }
            }
            Err(Failed::Statement(err)) => {
                ctx.counters.record(&*ctx.observer, size, started, false);
                for req in reqs {
                    let _ = req.reply.send(Err(err.clone()));
                }
            }
        }
    }
}

enum Failed {
    /// Failed before `COMMIT` was sent: certainly not committed.
    Statement(StoreError),
    /// `COMMIT` itself failed: treat as not done (the caller NAKs and the sender resends,
    /// which the door-duplicate check then catches).
    Commit(StoreError),
}

impl Failed {
    fn into_error(self) -> StoreError {
        match self {
            Failed::Statement(e) | Failed::Commit(e) => e,
        }
    }
}

async fn commit(ctx: &WriterCtx, reqs: &[Request]) -> Result<Vec<Appended>, Failed> {
    let mut client = ctx.pool.get().await.map_err(|e| Failed::Commit(e.into()))?;
    let txn = client
        .transaction()
        .await
        .map_err(|e| Failed::Commit(e.into()))?;
    let results = append_all(&txn, reqs, ctx.window_ms)
        .await
        .map_err(Failed::Statement)?;
    txn.commit().await.map_err(|e| Failed::Commit(e.into()))?;
    Ok(results)
}

fn dedup_key(msg: &NewMessage) -> Option<(&str, &str)> {
    match (&msg.state, &msg.sender, &msg.control_id) {
        (MessageState::Received, Some(sender), Some(control_id)) => {
            Some((sender.as_str(), control_id.as_str()))
        }
        _ => None,
    }
}

async fn append_all(
    txn: &Transaction<'_>,
    reqs: &[Request],
    window_ms: i64,
) -> Result<Vec<Appended>, StoreError> {
    let mut keys: Vec<String> = reqs
        .iter()
        .filter_map(|r| dedup_key(&r.msg).map(|(s, c)| format!("{}\u{1}{s}\u{1}{c}", r.msg.source)))
        .collect();
    keys.sort();
    keys.dedup();
    if !keys.is_empty() {
        // One statement locks them all, in sorted order.
        txn.execute(
            "SELECT pg_advisory_xact_lock(hashtext(k)) FROM unnest($1::TEXT[]) AS k ORDER BY k",
            &[&keys],
        )
        .await?;
    }
    let find = txn
        .prepare_cached(
            "SELECT id FROM messages
             WHERE source = $1 AND sender = $2 AND control_id = $3
               AND received_at > $4 AND state <> 'rejected'
             ORDER BY id DESC LIMIT 1",
        )
        .await?;
    let dup = txn
        .prepare_cached("INSERT INTO duplicates (message_id, at, peer) VALUES ($1, $2, $3)")
        .await?;
    let insert = txn
        .prepare_cached(
            "INSERT INTO messages (source, received_at, peer, content_type, raw, message_type,
                                   control_id, sender, state, reason)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .await?;
    let mut out = Vec::with_capacity(reqs.len());
    for req in reqs {
        let msg = &req.msg;
        if let Some((sender, control_id)) = dedup_key(msg) {
            let since = msg.received_at.saturating_sub(window_ms);
            let row = txn
                .query_opt(&find, &[&msg.source, &sender, &control_id, &since])
                .await?;
            if let Some(row) = row {
                let id: i64 = row.try_get(0)?;
                txn.execute(&dup, &[&id, &msg.received_at, &msg.peer])
                    .await?;
                out.push(Appended::Duplicate {
                    original: MessageId(id),
                });
                continue;
            }
        }
        let (state, reason) = crate::rules::journal_state(msg);
        let row = txn
            .query_one(
                &insert,
                &[
                    &msg.source,
                    &msg.received_at,
                    &msg.peer,
                    &msg.content_type,
                    &msg.raw,
                    &msg.message_type,
                    &msg.control_id,
                    &msg.sender,
                    &state,
                    &reason,
                ],
            )
            .await?;
        out.push(Appended::New(MessageId(row.try_get(0)?)));
    }
    Ok(out)
}
