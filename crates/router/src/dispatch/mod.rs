//! The dispatcher: one loop per destination that leases due deliveries from the outbox, sends
//! each through the destination's [`Sink`] on its own task (up to `concurrency` at once), and
//! records the outcome, with retries, a circuit breaker, prompt wake-ups and graceful shutdown.
//!
//! Ordering per patient key comes from the store's lease rule: a delivery is handed out only
//! while no earlier delivery with the same `(destination, ordering_key)` is pending or leased,
//! so a retrying delivery holds back later ones for its key and no others.

mod breaker;
mod clock;
mod observer;
mod retry;
mod send;
mod sink;
mod wake;

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use junction_store::{Outcome, Store, StoreError};
use tokio::sync::{Notify, mpsc, watch};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

pub use breaker::{BreakerPolicy, BreakerState};
pub use clock::{Clock, SystemClock, TokioClock};
pub use observer::{DispatchObserver, NoopDispatchObserver};
pub use retry::RetryPolicy;
pub use sink::{SendOutcome, Sink};
pub use wake::Wakers;

use breaker::{Allowance, Breaker};
use send::{Answer, Done, SendCtx};

/// Send tasks per send slot that may be in flight at once, counting those whose send was
/// answered and whose outcome is still being recorded.
const TASKS_PER_SLOT: usize = 4;

/// One destination's dispatch settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DispatchConfig {
    /// Destination name, as in the deliveries.
    pub destination: String,
    /// This worker's name, recorded as the lease owner (e.g. `node-a/fhir`); unique per node.
    pub worker: String,
    /// Sends in flight at once (different patient keys; one key is always one at a time).
    pub concurrency: usize,
    /// A send taking longer is abandoned and retried.
    pub send_timeout: Duration,
    /// How long a lease lasts; must exceed `send_timeout` so a slow send's outcome can still
    /// be recorded before another worker may take the delivery.
    pub lease: Duration,
    /// Look for due deliveries at least this often, even without a wake-up.
    pub poll_interval: Duration,
    /// Retries.
    pub retry: RetryPolicy,
    /// Circuit breaker.
    pub breaker: BreakerPolicy,
}

impl DispatchConfig {
    /// Defaults for `destination` leased as `worker`: 4 in flight, 30 s send timeout, 60 s
    /// lease, 1 s poll, default retry and breaker policies.
    pub fn new(destination: impl Into<String>, worker: impl Into<String>) -> DispatchConfig {
        DispatchConfig {
            destination: destination.into(),
            worker: worker.into(),
            concurrency: 4,
            send_timeout: Duration::from_secs(30),
            lease: Duration::from_secs(60),
            poll_interval: Duration::from_secs(1),
            retry: RetryPolicy::default(),
            breaker: BreakerPolicy::default(),
        }
    }

    /// Every problem with the settings (no I/O).
    pub fn validate(&self) -> Result<(), Vec<String>> {
        let mut errors = Vec::new();
        if self.destination.is_empty() || self.worker.is_empty() {
            errors.push("destination and worker need names".to_owned());
        }
        if self.concurrency == 0 {
            errors.push("concurrency must be at least 1".to_owned());
        }
        if self.lease <= self.send_timeout {
            errors.push("lease must be longer than send_timeout".to_owned());
        }
        if self.poll_interval.is_zero() {
            errors.push("poll_interval must be above zero".to_owned());
        }
        if self.retry.max_attempts == 0 {
            errors.push("retry.max_attempts must be at least 1".to_owned());
        }
        if self.retry.initial_backoff > self.retry.max_backoff {
            errors.push("retry.initial_backoff must not exceed retry.max_backoff".to_owned());
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

/// What a dispatcher did, returned when it stops.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DispatchReport {
    /// Deliveries recorded delivered.
    pub delivered: u64,
    /// Failed sends recorded for retry.
    pub retried: u64,
    /// Deliveries recorded dead.
    pub dead: u64,
    /// Outcomes the store did not record (lease lost or store error); those are sent again.
    pub unrecorded: u64,
    /// Lease calls that failed.
    pub lease_errors: u64,
}

/// One destination's dispatcher. Build it, keep [`Dispatcher::breaker_state`] for metrics or
/// health, and `run` it on a task until the shutdown token is cancelled.
pub struct Dispatcher<S, K> {
    config: DispatchConfig,
    ctx: SendCtx<S, K>,
    answers: mpsc::UnboundedReceiver<Answer>,
    wake: Arc<Notify>,
    state: watch::Sender<BreakerState>,
}

impl<S: Store, K: Sink> Dispatcher<S, K> {
    /// A dispatcher for `config.destination`, woken by `wake` (from [`Wakers::handle`]), with
    /// the system clock and no observer.
    pub fn new(config: DispatchConfig, store: Arc<S>, sink: Arc<K>, wake: Arc<Notify>) -> Self {
        let (answers_tx, answers) = mpsc::unbounded_channel();
        let ctx = SendCtx {
            store,
            sink,
            clock: Arc::new(SystemClock),
            observer: Arc::new(NoopDispatchObserver),
            retry: config.retry,
            send_timeout: config.send_timeout,
            answers: answers_tx,
        };
        Dispatcher {
            config,
            ctx,
            answers,
            wake,
            state: watch::Sender::new(BreakerState::Closed),
        }
    }

    /// Uses `clock` for every time given to the store (tests: [`TokioClock`]).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.ctx.clock = clock;
        self
    }

    /// Reports outcomes and breaker changes to `observer`.
    pub fn with_observer(mut self, observer: Arc<dyn DispatchObserver>) -> Self {
        self.ctx.observer = observer;
        self
    }

    /// The breaker's state, updated as it changes.
    pub fn breaker_state(&self) -> watch::Receiver<BreakerState> {
        self.state.subscribe()
    }

    /// Runs until `shutdown` is cancelled: then leases nothing more, waits for the sends in
    /// flight to finish and be recorded (each is bounded by `send_timeout`), and returns.
    ///
    /// Dropping the future instead (a crash) abandons the sends in flight; their leases run
    /// out and whoever dispatches next sends them again.
    pub async fn run(mut self, shutdown: CancellationToken) -> DispatchReport {
        let dest = self.config.destination.clone();
        let lease_ms = i64::try_from(self.config.lease.as_millis()).unwrap_or(i64::MAX);
        let poll_ms = i64::try_from(self.config.poll_interval.as_millis()).unwrap_or(i64::MAX);
        let clock = Arc::clone(&self.ctx.clock);
        let mut breaker = Breaker::new(self.config.breaker);
        let mut report = DispatchReport::default();
        let mut inflight: JoinSet<Done> = JoinSet::new();
        // Sends waiting for the destination's answer: what `concurrency` bounds. A task whose
        // send was answered stays in `inflight` until its outcome is recorded.
        let mut sending = 0usize;
        // Leased ahead of a free slot, in lease (id) order: a slot that frees is filled without
        // waiting for a store round trip, and one lease call serves several sends.
        let mut queued: VecDeque<junction_store::Delivery> = VecDeque::new();
        let send_timeout_ms =
            i64::try_from(self.config.send_timeout.as_millis()).unwrap_or(i64::MAX);
        // The earliest retry this loop scheduled: wake then rather than at the next poll.
        let mut next_due: Option<i64> = None;
        self.ctx.observer.breaker(&dest, breaker.state());
        // Leases this worker held before a crash were cut off mid-send: take them back now
        // rather than waiting for them to expire.
        match self.ctx.store.release_leases(&self.config.worker).await {
            Ok(0) => {}
            Ok(n) => {
                tracing::info!(destination = %dest, released = n, "released leases from before a restart")
            }
            Err(e) => {
                tracing::warn!(destination = %dest, error = %e, "could not release old leases")
            }
        }

        while !shutdown.is_cancelled() {
            let now = clock.now_ms();
            if next_due.is_some_and(|due| due <= now) {
                next_due = None;
            }
            if sending == 0 {
                breaker.idle();
            }
            let tasks_cap = self.config.concurrency * TASKS_PER_SLOT;
            let free = (self.config.concurrency.saturating_sub(sending))
                .min(tasks_cap.saturating_sub(inflight.len()));
            let (allowance, changed) = breaker.allowance(now, free);
            self.publish(changed);
            let mut deadline = now.saturating_add(poll_ms);
            match allowance {
                Allowance::Send(0) => {}
                Allowance::Send(n) => {
                    if queued.len() < n {
                        // While the breaker is closed, lease `concurrency` more than the free
                        // slots need; probing a half-open destination leases only the probe.
                        let ahead = match breaker.state() {
                            BreakerState::Closed => self.config.concurrency,
                            BreakerState::Open | BreakerState::HalfOpen => 0,
                        };
                        match self.lease(n + ahead - queued.len(), now, lease_ms).await {
                            Ok(batch) => {
                                for delivery in batch {
                                    // One whose lease ran out while queued may come back.
                                    queued.retain(|q| q.id != delivery.id);
                                    queued.push_back(delivery);
                                }
                            }
                            Err(err) => {
                                report.lease_errors += 1;
                                tracing::warn!(destination = %dest, error = %err, "lease failed");
                            }
                        }
                    }
                    let mut started = 0;
                    while started < n {
                        let Some(delivery) = queued.pop_front() else {
                            break;
                        };
                        // Too little lease left to send and record in time: let it expire and
                        // be leased again rather than risk two senders.
                        if delivery.lease_until.saturating_sub(send_timeout_ms) <= now {
                            continue;
                        }
                        breaker.sent(delivery.id);
                        sending += 1;
                        started += 1;
                        inflight.spawn(send::send(self.ctx.clone(), delivery));
                    }
                }
                Allowance::Wait(until) => {
                    deadline = deadline.min(until.unwrap_or(i64::MAX));
                }
            }
            if let Some(due) = next_due {
                deadline = deadline.min(due);
            }
            let wait = u64::try_from(deadline.saturating_sub(clock.now_ms())).unwrap_or(0);
            tokio::select! {
                biased;
                () = shutdown.cancelled() => break,
                Some(answer) = self.answers.recv() => {
                    sending = sending.saturating_sub(1);
                    let changed = breaker.record(answer.id, answer.answered, clock.now_ms());
                    self.publish(changed);
                }
                Some(res) = inflight.join_next(), if !inflight.is_empty() => {
                    if let Some(due) = self.finish(res, &mut report) {
                        next_due = Some(next_due.map_or(due, |d| d.min(due)));
                    }
                }
                () = self.wake.notified() => {}
                () = tokio::time::sleep(Duration::from_millis(wait)) => {}
            }
        }
        while let Some(res) = inflight.join_next().await {
            self.finish(res, &mut report);
        }
        // Every send is recorded, so the worker's remaining leases are the queued ones: give
        // them back now rather than making another node wait for them to expire.
        if !queued.is_empty()
            && let Err(e) = self.ctx.store.release_leases(&self.config.worker).await
        {
            tracing::warn!(destination = %dest, error = %e, "could not release queued leases");
        }
        report
    }

    async fn lease(
        &self,
        max: usize,
        now: i64,
        lease_ms: i64,
    ) -> Result<Vec<junction_store::Delivery>, StoreError> {
        let cfg = &self.config;
        self.ctx
            .store
            .lease(&cfg.destination, max, now, lease_ms, &cfg.worker)
            .await
    }

    /// Takes in a finished send; returns its retry time when it was recorded for retry.
    fn finish(
        &self,
        res: Result<Done, tokio::task::JoinError>,
        report: &mut DispatchReport,
    ) -> Option<i64> {
        // A send task only fails by panicking outside the sink (which it guards): the lease
        // runs out and the delivery goes again (its slot came back through `answers`).
        let done = res
            .inspect_err(|err| tracing::error!(error = %err, "send task failed"))
            .ok()?;
        if done.recorded.is_err() {
            report.unrecorded += 1;
            return None;
        }
        match done.outcome {
            Outcome::Delivered { .. } => report.delivered += 1,
            Outcome::Dead { .. } => report.dead += 1,
            Outcome::Retry {
                next_attempt_at, ..
            } => {
                report.retried += 1;
                return Some(next_attempt_at);
            }
        }
        None
    }

    fn publish(&self, changed: Option<BreakerState>) {
        if let Some(state) = changed {
            tracing::info!(destination = %self.config.destination, state = %state, "breaker");
            self.state.send_replace(state);
            self.ctx.observer.breaker(&self.config.destination, state);
        }
    }
}
