//! The backend-independent store test suite: every scenario and the model test take a
//! [`Harness`], so the SQLite and PostgreSQL backends run the same checks.

pub mod journal;
pub mod lead;
pub mod model;
pub mod outbox;

use std::future::Future;

use junction_store::{
    MessageId, MessageState, NewDelivery, NewMessage, RouteOutcome, Store, StoredEvent,
};

/// A fixed "now" for deterministic tests: 2023-11-14, unix ms.
pub const T0: i64 = 1_700_000_000_000;
/// One day in ms.
pub const DAY: i64 = 24 * 60 * 60 * 1000;

/// Opens a store over one database; opening again after dropping the previous handle must
/// show everything that was committed (that is how the suite simulates a crash and restart).
pub trait Harness: Send + Sync {
    /// The backend under test.
    type S: Store;
    /// Opens (or reopens) the store.
    fn open(&self) -> impl Future<Output = Self::S> + Send;
}

/// A received HL7-ish message from `source` with MSH-10 `control_id` at time `at`.
pub fn msg(source: &str, control_id: Option<&str>, at: i64) -> NewMessage {
    NewMessage {
        source: source.to_owned(),
        received_at: at,
        peer: Some("127.0.0.1:40000".to_owned()),
        content_type: "x-application/hl7-v2+er7".to_owned(),
        raw: format!(
            "MSH|^~\\&|PAS|RXX|||{at}||ADT^A01|{}|P|2.4\r",
            control_id.unwrap_or("-")
        )
        .into_bytes(),
        message_type: Some("ADT^A01".to_owned()),
        control_id: control_id.map(str::to_owned),
        sender: Some("PAS^RXX".to_owned()),
        state: MessageState::Received,
    }
}

/// A routed outcome with one event (and patient key) per delivery.
pub fn routed(deliveries: &[(&str, Option<&str>)]) -> RouteOutcome {
    let events = deliveries
        .iter()
        .enumerate()
        .map(|(n, (_, key))| StoredEvent {
            id: format!("e{n}"),
            kind: "patient.admitted".to_owned(),
            patient_key: key.map(str::to_owned),
            json: format!("{{\"n\":{n}}}"),
        })
        .collect();
    let deliveries = deliveries
        .iter()
        .enumerate()
        .map(|(n, (dest, key))| NewDelivery {
            event_id: format!("e{n}"),
            destination: (*dest).to_owned(),
            ordering_key: key.map(str::to_owned),
            // Even deliveries carry their event's JSON (stored once), odd ones a payload of
            // their own, so both ways of storing a payload are exercised.
            payload: (n % 2 == 1).then(|| format!("{{\"payload\":{n}}}")),
        })
        .collect();
    RouteOutcome::Routed { events, deliveries }
}

/// Appends a fresh message at `at` and routes it to `deliveries`; returns the message id.
pub async fn ingest<S: Store>(
    store: &S,
    at: i64,
    deliveries: &[(&str, Option<&str>)],
) -> MessageId {
    let id = store.append(msg("pas", None, at)).await.unwrap().id();
    store.route(id, routed(deliveries), at).await.unwrap();
    id
}

/// Every scenario of the suite, plus the model-based property test, as tests over the harness
/// `$harness` builds: the one list both backends' test files expand, so a scenario added here
/// runs on SQLite and PostgreSQL alike.
#[macro_export]
macro_rules! every_scenario {
    ($harness:expr) => {
        $crate::every_scenario!(@each $harness;
            journal::append_and_read_back,
            journal::dedup_window,
            journal::route_outcomes,
            journal::list_messages,
            journal::group_commit,
            journal::reopen_keeps_everything,
            journal::prune_keeps_unfinished,
            journal::state_survives_reopen,
            journal::append_routed,
            outbox::lease_expiry,
            outbox::release_leases,
            outbox::payloads_read_back,
            outbox::stale_owner,
            outbox::ordering_per_key,
            outbox::depths_replay_purge,
            lead::leader_lease,
        );

        proptest::proptest! {
            #![proptest_config(proptest::prelude::ProptestConfig {
                cases: 64,
                ..proptest::prelude::ProptestConfig::default()
            })]

            #[test]
            fn model(ops in suite::model::ops(60)) {
                suite::model::run($harness, ops);
            }
        }
    };
    (@each $harness:expr; $($module:ident :: $name:ident),* $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            suite::$module::$name($harness).await;
        }
    )*};
}
