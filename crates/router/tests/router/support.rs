//! Test kit shared by the router's integration tests: a real SQLite store in a temp dir, event
//! builders, message ingestion through `route_message`, a scriptable recording `Sink`, and a
//! recording `DispatchObserver`. Waiting is on signals (`Notify`), never on sleeps.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use junction_model::{Event, EventKind};
use junction_router::{
    BreakerState, Clock, DispatchConfig, DispatchObserver, Dispatcher, EventJson, Payloads,
    RouteSpec, RouteWith, Router, SendOutcome, Sink, TokioClock, Wakers, route_message,
};
use junction_store::{
    Delivery, DeliveryDetail, MessageId, MessageState, MessageStatus, NewMessage, SqliteStore,
    Store, StoreOptions,
};
use tempfile::TempDir;

use crate::paused::PausedStore;
use tokio::sync::{Notify, Semaphore};
use tokio_util::sync::CancellationToken;

/// Unix ms the tests' clocks start at.
pub const T0: i64 = 1_700_000_000_000;

/// A store in its own temp dir; `reopen` opens the same file again.
pub struct Db {
    pub dir: TempDir,
    pub store: Arc<PausedStore>,
}

impl Db {
    pub fn new() -> Db {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(open(&dir));
        Db { dir, store }
    }

    pub fn reopen(&mut self) {
        self.store = Arc::new(open(&self.dir));
    }

    /// Every delivery of message `id`, in id order.
    pub async fn deliveries(&self, id: MessageId) -> Vec<DeliveryDetail> {
        self.store
            .get_message(id)
            .await
            .unwrap()
            .unwrap()
            .deliveries
    }
}

fn open(dir: &TempDir) -> PausedStore {
    let opts = StoreOptions {
        synchronous_full: false,
        ..StoreOptions::default()
    };
    PausedStore(SqliteStore::open(dir.path().join("junction.db"), opts).unwrap())
}

/// An event of `kind` for patient `key` with id `id`, message type `ADT^A01`, from `pas`.
pub fn event(id: &str, kind: &str, key: Option<&str>) -> Event {
    let mut e = Event::new(
        id,
        EventKind::from_name(kind),
        "pas",
        "2024-03-01T09:31:00Z",
        format!("corr-{id}"),
        junction_model::Bundle::default(),
    );
    e.message_type = Some("ADT^A01".into());
    e.patient_key = key.map(str::to_owned);
    e
}

/// `n` `patient.updated` events `{prefix}0…`, each for a patient of its own (`nhs:0…`).
pub fn patients(prefix: &str, n: usize) -> Vec<Event> {
    (0..n)
        .map(|i| {
            event(
                &format!("{prefix}{i}"),
                "patient.updated",
                Some(&format!("nhs:{i}")),
            )
        })
        .collect()
}

/// One route sending every event to `destination`.
pub fn route_all(destination: &str) -> Router {
    let spec = RouteSpec {
        name: "all".into(),
        destinations: vec![destination.into()],
        ..RouteSpec::default()
    };
    Router::compile(&[spec], &Default::default()).unwrap()
}

/// Journals one message from `pas` and routes `events` through `router`; returns its id.
pub async fn ingest(
    store: &PausedStore,
    wakers: &Wakers,
    router: &Router,
    events: &[Event],
    now: i64,
) -> MessageId {
    ingest_with(store, wakers, router, &EventJson, events, now)
        .await
        .0
}

/// [`ingest`] with each destination's payload made by `payloads`; returns the message's id
/// and the status its routing recorded.
pub async fn ingest_with(
    store: &PausedStore,
    wakers: &Wakers,
    router: &Router,
    payloads: &dyn Payloads,
    events: &[Event],
    now: i64,
) -> (MessageId, MessageStatus) {
    let control_id = events.first().map_or("none".into(), |e| e.id.clone());
    let msg = NewMessage {
        source: "pas".into(),
        received_at: now,
        peer: None,
        content_type: "x-application/hl7-v2+er7".into(),
        raw: format!("MSH|^~\\&|{control_id}").into_bytes(),
        message_type: Some("ADT^A01".into()),
        control_id: Some(control_id),
        sender: Some("PAS^RXX".into()),
        state: MessageState::Received,
    };
    let id = store.append(msg).await.unwrap().id();
    let with = RouteWith {
        store,
        wakers,
        router,
        payloads,
    };
    let status = route_message(&with, id, "pas", events, None, now)
        .await
        .unwrap();
    (id, status)
}

/// One send the test sink saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    pub delivery: i64,
    pub event_id: String,
    pub key: Option<String>,
    pub attempts: u32,
    pub at: i64,
    pub outcome: SendOutcome,
}

type Rule = Box<dyn Fn(&Delivery, &[Sent]) -> SendOutcome + Send>;

/// What the sink and the observer saw, with a signal on every change.
#[derive(Default)]
pub struct Seen {
    pub sends: Vec<Sent>,
    pub started: usize,
    pub delivered: usize,
    pub retried: usize,
    pub dead: usize,
    pub breaker: Vec<(BreakerState, i64)>,
}

/// A sink that records every send, answers by a rule (default: delivered), and can hold sends
/// at a gate; it is also the dispatcher's observer.
pub struct Probe {
    pub clock: TokioClock,
    seen: Mutex<Seen>,
    rule: Mutex<Option<Rule>>,
    gate: Option<Semaphore>,
    changed: Notify,
}

impl Probe {
    pub fn new(clock: TokioClock) -> Arc<Probe> {
        Probe::build(clock, false)
    }

    /// A probe whose sends wait until `open_gate`.
    pub fn gated(clock: TokioClock) -> Arc<Probe> {
        Probe::build(clock, true)
    }

    fn build(clock: TokioClock, gated: bool) -> Arc<Probe> {
        Arc::new(Probe {
            clock,
            seen: Mutex::default(),
            rule: Mutex::new(None),
            gate: gated.then(|| Semaphore::new(0)),
            changed: Notify::new(),
        })
    }

    pub fn set_rule(&self, rule: impl Fn(&Delivery, &[Sent]) -> SendOutcome + Send + 'static) {
        *self.rule.lock().unwrap() = Some(Box::new(rule));
    }

    pub fn open_gate(&self) {
        if let Some(gate) = &self.gate {
            gate.add_permits(Semaphore::MAX_PERMITS / 2);
        }
    }

    fn update(&self, f: impl FnOnce(&mut Seen)) {
        f(&mut self.seen.lock().unwrap());
        self.changed.notify_waiters();
    }

    /// Reads what was seen.
    pub fn seen<T>(&self, f: impl FnOnce(&Seen) -> T) -> T {
        f(&self.seen.lock().unwrap())
    }

    /// Waits (on signals; at most a virtual hour) until `cond` holds.
    pub async fn until(&self, what: &str, cond: impl Fn(&Seen) -> bool) {
        let wait = async {
            loop {
                let notified = self.changed.notified();
                tokio::pin!(notified);
                notified.as_mut().enable();
                if self.seen(&cond) {
                    return;
                }
                notified.await;
            }
        };
        tokio::time::timeout(Duration::from_secs(3600), wait)
            .await
            .unwrap_or_else(|_| {
                let (started, delivered) = self.seen(|s| (s.started, s.delivered));
                panic!("timed out waiting for {what}: {started} started, {delivered} delivered")
            });
    }
}

impl Sink for Probe {
    async fn send(&self, delivery: &Delivery) -> SendOutcome {
        self.update(|s| s.started += 1);
        if let Some(gate) = &self.gate {
            gate.acquire().await.unwrap().forget();
        }
        let at = self.clock.now_ms();
        let mut seen = self.seen.lock().unwrap();
        let outcome = match &*self.rule.lock().unwrap() {
            Some(rule) => rule(delivery, &seen.sends),
            None => SendOutcome::Delivered,
        };
        seen.sends.push(Sent {
            delivery: delivery.id.0,
            event_id: delivery.event_id.clone(),
            key: delivery.ordering_key.clone(),
            attempts: delivery.attempts,
            at,
            outcome: outcome.clone(),
        });
        drop(seen);
        self.changed.notify_waiters();
        outcome
    }
}

impl DispatchObserver for Probe {
    fn delivered(&self, _destination: &str, _latency: Duration) {
        self.update(|s| s.delivered += 1);
    }
    fn retried(&self, _destination: &str) {
        self.update(|s| s.retried += 1);
    }
    fn dead(&self, _destination: &str) {
        self.update(|s| s.dead += 1);
    }
    fn breaker(&self, _destination: &str, state: BreakerState) {
        let at = self.clock.now_ms();
        self.update(|s| s.breaker.push((state, at)));
    }
}

/// A dispatcher config for `dest` with test-friendly settings: 4 in flight, no breaker,
/// generous timeouts so held sends are not abandoned.
pub fn config(dest: &str) -> DispatchConfig {
    let mut cfg = DispatchConfig::new(dest, "w1");
    cfg.send_timeout = Duration::from_secs(600);
    cfg.lease = Duration::from_secs(1200);
    cfg.breaker.failure_threshold = 0;
    cfg.retry.max_attempts = 100;
    cfg.retry.initial_backoff = Duration::from_secs(2);
    cfg.retry.max_backoff = Duration::from_secs(60);
    cfg
}

/// Starts a dispatcher on its own task with `probe` as sink and observer.
pub fn start(
    cfg: DispatchConfig,
    db: &Db,
    probe: &Arc<Probe>,
    wakers: &Wakers,
) -> (
    CancellationToken,
    tokio::sync::watch::Receiver<BreakerState>,
    tokio::task::JoinHandle<junction_router::DispatchReport>,
) {
    let wake = wakers.handle(&cfg.destination);
    let dispatcher = Dispatcher::new(cfg, Arc::clone(&db.store), Arc::clone(probe), wake)
        .with_clock(Arc::new(probe.clock))
        .with_observer(Arc::clone(probe) as Arc<dyn DispatchObserver>);
    let state = dispatcher.breaker_state();
    let token = CancellationToken::new();
    let handle = tokio::spawn(dispatcher.run(token.clone()));
    (token, state, handle)
}

/// The event ids of successful sends, in send order.
pub fn delivered_ids(seen: &Seen) -> Vec<String> {
    seen.sends
        .iter()
        .filter(|s| s.outcome == SendOutcome::Delivered)
        .map(|s| s.event_id.clone())
        .collect()
}
