//! One delivery's send, run as its own task by the dispatcher loop: call the sink (guarded by
//! a timeout and against panics), tell the loop the destination answered (which frees the send
//! slot and feeds the breaker), turn the answer into a store outcome with the retry policy,
//! record it, and tell the observer.

use std::sync::Arc;
use std::time::Duration;

use junction_store::{Delivery, DeliveryId, Outcome, Store, StoreError};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::{Clock, DispatchObserver, RetryPolicy, SendOutcome, Sink};

/// Everything a send task needs; cloned into each task.
pub(crate) struct SendCtx<S, K> {
    pub(crate) store: Arc<S>,
    pub(crate) sink: Arc<K>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) observer: Arc<dyn DispatchObserver>,
    pub(crate) retry: RetryPolicy,
    pub(crate) send_timeout: Duration,
    /// Where a send reports that the destination answered, before its outcome is recorded.
    pub(crate) answers: mpsc::UnboundedSender<Answer>,
}

/// A send's answer, for the loop: the slot is free again, and the breaker learns whether the
/// destination answered (delivered or refused for good) or failed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Answer {
    pub(crate) id: DeliveryId,
    pub(crate) answered: bool,
}

/// Reports a send's answer once: explicitly, or as a failure if the task ends without one (a
/// panic, or the task aborted), so the loop never loses a slot.
struct AnswerOnce {
    tx: mpsc::UnboundedSender<Answer>,
    id: DeliveryId,
    sent: bool,
}

impl AnswerOnce {
    fn report(&mut self, answered: bool) {
        if !self.sent {
            self.sent = true;
            let _ = self.tx.send(Answer {
                id: self.id,
                answered,
            });
        }
    }
}

impl Drop for AnswerOnce {
    fn drop(&mut self) {
        self.report(false);
    }
}

impl<S, K> Clone for SendCtx<S, K> {
    fn clone(&self) -> Self {
        SendCtx {
            store: Arc::clone(&self.store),
            sink: Arc::clone(&self.sink),
            clock: Arc::clone(&self.clock),
            observer: Arc::clone(&self.observer),
            retry: self.retry,
            send_timeout: self.send_timeout,
            answers: self.answers.clone(),
        }
    }
}

/// What a finished send task reports to the loop.
#[derive(Debug)]
pub(crate) struct Done {
    /// The outcome that was (or failed to be) recorded.
    pub(crate) outcome: Outcome,
    /// Whether the store recorded it.
    pub(crate) recorded: Result<(), StoreError>,
}

/// Sends `delivery` and records the outcome. The loop learns of the answer as soon as the
/// destination gives it, so the next send (of another patient key: this delivery stays leased,
/// holding back its own key, until the record is durable) need not wait for the store.
pub(crate) async fn send<S: Store, K: Sink>(ctx: SendCtx<S, K>, delivery: Delivery) -> Done {
    let mut answer = AnswerOnce {
        tx: ctx.answers.clone(),
        id: delivery.id,
        sent: false,
    };
    let destination = delivery.destination.clone();
    let started = Instant::now();
    let sent = call_sink(&ctx, &delivery).await;
    let latency = started.elapsed();
    answer.report(!matches!(sent, SendOutcome::Retry { .. }));
    let now = ctx.clock.now_ms();
    let outcome = ctx.retry.outcome(delivery.id, delivery.attempts, sent, now);
    let recorded = ctx
        .store
        .complete(delivery.id, &delivery.lease_owner, outcome.clone())
        .await;
    match &recorded {
        Ok(()) => match &outcome {
            Outcome::Delivered { .. } => ctx.observer.delivered(&destination, latency),
            Outcome::Retry { .. } => ctx.observer.retried(&destination),
            Outcome::Dead { .. } => ctx.observer.dead(&destination),
        },
        // The lease ran out and someone else holds it: they will send it again, and the
        // destination drops the duplicate by the delivery id.
        Err(err) => tracing::warn!(
            destination = %destination,
            delivery = %delivery.id,
            error = %err,
            "delivery outcome not recorded; it will be sent again"
        ),
    }
    Done { outcome, recorded }
}

/// The sink's answer; a timeout or a panic in the sink counts as a retryable failure.
async fn call_sink<S, K: Sink>(ctx: &SendCtx<S, K>, delivery: &Delivery) -> SendOutcome {
    let sink = Arc::clone(&ctx.sink);
    let owned = delivery.clone();
    // Aborted when this future is dropped (timeout, or the dispatcher itself going away).
    let mut task = AbortOnDrop(tokio::spawn(async move { sink.send(&owned).await }));
    match tokio::time::timeout(ctx.send_timeout, &mut task.0).await {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(_)) => SendOutcome::Retry {
            error: "sink panicked".into(),
            retry_after: None,
        },
        Err(_) => SendOutcome::Retry {
            error: format!("send timed out after {} ms", ctx.send_timeout.as_millis()),
            retry_after: None,
        },
    }
}

struct AbortOnDrop<T>(JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}
