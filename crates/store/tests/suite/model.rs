//! Model-based test of the outbox (after Vector's `disk_v2` model tests): random operation
//! sequences run against a store and a tiny in-memory reference model, compared after every
//! step. Checks that no delivery is lost, none is leased twice at once, per-key order holds,
//! stale owners are refused, and finished deliveries stay finished across reopen.

use std::collections::BTreeMap;

use junction_store::{DeliveryId, DeliveryState, MessageId, Outcome, Store, StoreError};
use proptest::prelude::*;

use super::{Harness, T0, ingest};

const DESTS: [&str; 2] = ["fhir", "mllp"];
const KEYS: [&str; 3] = ["p1", "p2", "p3"];
const WORKERS: [&str; 3] = ["w1", "w2", "w3"];

/// Which owner a completion claims.
#[derive(Debug, Clone, Copy)]
pub enum Owner {
    /// The model's current lease holder (when any).
    Current,
    /// Whoever held the lease before (a slow worker whose lease expired).
    Previous,
    /// Some worker.
    Worker(usize),
}

/// How a completion ends.
#[derive(Debug, Clone, Copy)]
pub enum Finish {
    /// Delivered.
    Delivered,
    /// Retry after this many ms.
    Retry(i64),
    /// Dead.
    Dead,
}

/// One step of a generated scenario.
#[derive(Debug, Clone)]
pub enum Op {
    /// Append a message and route it to these (destination, key) deliveries.
    Ingest(Vec<(usize, Option<usize>)>),
    /// Lease for a destination.
    Lease {
        dest: usize,
        worker: usize,
        max: usize,
        lease_ms: i64,
    },
    /// Complete the `pick`-th leased delivery (or any delivery when none is leased).
    Complete {
        pick: usize,
        owner: Owner,
        finish: Finish,
    },
    /// Move the clock on.
    Advance(i64),
    /// Drop the store and open it again.
    Reopen,
}

/// Operation sequences weighted towards the interesting steps.
pub fn ops(max_len: usize) -> impl Strategy<Value = Vec<Op>> {
    let ingest = prop::collection::vec(
        (0..DESTS.len(), prop::option::weighted(0.7, 0..KEYS.len())),
        0..4,
    )
    .prop_map(Op::Ingest);
    let lease = (
        0..DESTS.len(),
        0..WORKERS.len(),
        1..4usize,
        prop_oneof![Just(10i64), Just(100i64)],
    )
        .prop_map(|(dest, worker, max, lease_ms)| Op::Lease {
            dest,
            worker,
            max,
            lease_ms,
        });
    let owner = prop_oneof![
        6 => Just(Owner::Current),
        2 => Just(Owner::Previous),
        1 => (0..WORKERS.len()).prop_map(Owner::Worker),
    ];
    let finish = prop_oneof![
        3 => Just(Finish::Delivered),
        2 => (0..60i64).prop_map(Finish::Retry),
        1 => Just(Finish::Dead),
    ];
    let complete = (any::<usize>(), owner, finish).prop_map(|(pick, owner, finish)| Op::Complete {
        pick,
        owner,
        finish,
    });
    let op = prop_oneof![
        3 => ingest,
        4 => lease,
        4 => complete,
        2 => (1..120i64).prop_map(Op::Advance),
        1 => Just(Op::Reopen),
    ];
    prop::collection::vec(op, 1..max_len)
}

#[derive(Debug, Clone, PartialEq)]
enum State {
    Pending { due: i64 },
    Leased { owner: &'static str, until: i64 },
    Delivered,
    Dead,
}

#[derive(Debug)]
struct ModelDelivery {
    message: MessageId,
    dest: &'static str,
    key: Option<&'static str>,
    state: State,
    previous_owner: Option<&'static str>,
}

#[derive(Debug, Default)]
struct Model {
    now: i64,
    deliveries: BTreeMap<DeliveryId, ModelDelivery>,
    messages: Vec<MessageId>,
}

impl Model {
    fn non_terminal(state: &State) -> bool {
        matches!(state, State::Pending { .. } | State::Leased { .. })
    }

    /// The ids a correct store hands out for this lease call.
    fn expected_lease(&self, dest: &str, max: usize) -> Vec<DeliveryId> {
        let mut out = Vec::new();
        for (id, d) in &self.deliveries {
            if d.dest != dest || out.len() == max {
                continue;
            }
            let due = match d.state {
                State::Pending { due } => due <= self.now,
                State::Leased { until, .. } => until <= self.now,
                _ => false,
            };
            let blocked = d.key.is_some()
                && self.deliveries.range(..*id).any(|(_, e)| {
                    e.dest == d.dest && e.key == d.key && Self::non_terminal(&e.state)
                });
            if due && !blocked {
                out.push(*id);
            }
        }
        out
    }
}

/// Runs one generated scenario against a fresh store from `harness`.
pub fn run<H: Harness>(harness: H, ops: Vec<Op>) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(run_async(harness, ops));
}

async fn run_async<H: Harness>(harness: H, ops: Vec<Op>) {
    let mut store = harness.open().await;
    let mut model = Model {
        now: T0,
        ..Model::default()
    };
    for (step, op) in ops.into_iter().enumerate() {
        match op {
            Op::Ingest(spec) => {
                let spec: Vec<(&str, Option<&str>)> = spec
                    .iter()
                    .map(|&(d, k)| (DESTS[d], k.map(|k| KEYS[k])))
                    .collect();
                let id = ingest(&store, model.now, &spec).await;
                let detail = store.get_message(id).await.unwrap().unwrap();
                assert_eq!(
                    detail.deliveries.len(),
                    spec.len(),
                    "step {step}: deliveries stored"
                );
                let newest = model.deliveries.keys().next_back().copied();
                for (d, (dest, key)) in detail.deliveries.iter().zip(&spec) {
                    assert!(Some(d.id) > newest, "step {step}: delivery ids grow");
                    model.deliveries.insert(
                        d.id,
                        ModelDelivery {
                            message: id,
                            dest,
                            key: *key,
                            state: State::Pending { due: model.now },
                            previous_owner: None,
                        },
                    );
                }
                model.messages.push(id);
            }
            Op::Lease {
                dest,
                worker,
                max,
                lease_ms,
            } => {
                let (dest, worker) = (DESTS[dest], WORKERS[worker]);
                let expected = model.expected_lease(dest, max);
                let got = store
                    .lease(dest, max, model.now, lease_ms, worker)
                    .await
                    .unwrap();
                let got_ids: Vec<_> = got.iter().map(|d| d.id).collect();
                for id in &got_ids {
                    let d = &model.deliveries[id];
                    if let State::Leased { owner, until } = d.state {
                        assert!(
                            until <= model.now,
                            "step {step}: {id} leased to {owner} and {worker}"
                        );
                    }
                }
                assert_eq!(
                    got_ids, expected,
                    "step {step}: lease of {dest} at {}",
                    model.now
                );
                for id in got_ids {
                    let d = model.deliveries.get_mut(&id).unwrap();
                    if let State::Leased { owner, .. } = d.state {
                        d.previous_owner = Some(owner);
                    }
                    d.state = State::Leased {
                        owner: worker,
                        until: model.now + lease_ms,
                    };
                }
            }
            Op::Complete {
                pick,
                owner,
                finish,
            } => {
                if model.deliveries.is_empty() {
                    continue;
                }
                let leased: Vec<DeliveryId> = model
                    .deliveries
                    .iter()
                    .filter(|(_, d)| matches!(d.state, State::Leased { .. }))
                    .map(|(id, _)| *id)
                    .collect();
                let id = if leased.is_empty() {
                    *model
                        .deliveries
                        .keys()
                        .nth(pick % model.deliveries.len())
                        .unwrap()
                } else {
                    leased[pick % leased.len()]
                };
                let d = model.deliveries.get_mut(&id).unwrap();
                let current = match d.state {
                    State::Leased { owner, .. } => Some(owner),
                    _ => None,
                };
                let claimed = match owner {
                    Owner::Current => current.unwrap_or("w1"),
                    Owner::Previous => d.previous_owner.unwrap_or("w-gone"),
                    Owner::Worker(w) => WORKERS[w],
                };
                let now = model.now;
                let outcome = match finish {
                    Finish::Delivered => Outcome::Delivered { at: now },
                    Finish::Retry(after) => Outcome::Retry {
                        at: now,
                        next_attempt_at: now + after,
                        error: "503".into(),
                    },
                    Finish::Dead => Outcome::Dead {
                        at: now,
                        error: "400".into(),
                    },
                };
                let res = store.complete(id, claimed, outcome).await;
                if current == Some(claimed) {
                    assert_eq!(res, Ok(()), "step {step}: owner {claimed} completes {id}");
                    d.state = match finish {
                        Finish::Delivered => State::Delivered,
                        Finish::Retry(after) => State::Pending { due: now + after },
                        Finish::Dead => State::Dead,
                    };
                } else {
                    assert_eq!(
                        res,
                        Err(StoreError::LeaseLost(id.0)),
                        "step {step}: {claimed} on {id}"
                    );
                }
            }
            Op::Advance(ms) => model.now += ms,
            Op::Reopen => {
                drop(store);
                store = harness.open().await;
                check_all(&store, &model, step).await;
            }
        }
        check_depths(&store, &model, step).await;
    }
    check_all(&store, &model, usize::MAX).await;
}

/// Per-destination counts agree with the model (cheap, after every step).
async fn check_depths<S: Store>(store: &S, model: &Model, step: usize) {
    let depths = store.queue_depths(model.now).await.unwrap();
    for dest in DESTS {
        let count = |f: fn(&State) -> bool| {
            model
                .deliveries
                .values()
                .filter(|d| d.dest == dest && f(&d.state))
                .count() as u64
        };
        let pending = count(|s| matches!(s, State::Pending { .. }));
        let leased = count(|s| matches!(s, State::Leased { .. }));
        let dead = count(|s| matches!(s, State::Dead));
        let got = depths.iter().find(|q| q.destination == dest);
        let got = got.map_or((0, 0, 0), |q| (q.pending, q.leased, q.dead));
        assert_eq!(
            got,
            (pending, leased, dead),
            "step {step}: depths of {dest}"
        );
    }
}

/// Every model delivery is in the store in exactly the model's state, and nothing else is.
async fn check_all<S: Store>(store: &S, model: &Model, step: usize) {
    let mut seen = 0;
    for &message in &model.messages {
        let detail = store
            .get_message(message)
            .await
            .unwrap()
            .expect("message kept");
        for d in &detail.deliveries {
            let m = model
                .deliveries
                .get(&d.id)
                .expect("store has no extra deliveries");
            assert_eq!(m.message, message);
            let expected = match m.state {
                State::Pending { .. } => DeliveryState::Pending,
                State::Leased { .. } => DeliveryState::Leased,
                State::Delivered => DeliveryState::Delivered,
                State::Dead => DeliveryState::Dead,
            };
            assert_eq!(d.state, expected, "step {step}: state of {}", d.id);
            match m.state {
                State::Pending { due } => assert_eq!(d.next_attempt_at, due),
                State::Leased { owner, until } => {
                    assert_eq!(d.lease_owner.as_deref(), Some(owner));
                    assert_eq!(d.lease_until, Some(until));
                }
                _ => {}
            }
            seen += 1;
        }
    }
    assert_eq!(
        seen,
        model.deliveries.len(),
        "step {step}: no delivery lost"
    );
}
