//! The e-RS client, poller and sink against the e-RS simulator over real HTTP on loopback:
//! each new referral version journaled once, nothing marked seen when the journal is down, A028
//! sent with the role headers, `If-Match` and the delivery's ids, and its answers judged.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::StatusCode;
use junction_connectors::{Inbound, Ingest, IngestOutcome, OutboundDelivery, SendOutcome, Sink};
use junction_model::{Bundle, Event, EventKind};
use junction_national::ers::{
    AccessMode, ErsClient, ErsConfig, ErsError, ErsSink, MemorySeen, ReviewOutcome,
    STU3_CONTENT_TYPE, SeenReferrals, WorklistPoller,
};
use junction_national::platform::{ServiceClient, ServiceConfig};
use junction_sim::ers::{Access, ErsSim, Operation};
use serde_json::{Value, json};

/// The spec's A005 examples listed under service 11002.
const SERVICE_11002: &[&str] = &[
    "000000070000",
    "000000070001",
    "000000070005",
    "000000070011",
    "000000070012",
];

/// A journal in memory that can be switched to Unavailable; `count` follows the accepted.
struct TestIngest {
    accepted: Mutex<Vec<Inbound>>,
    down: Mutex<bool>,
    count: tokio::sync::watch::Sender<usize>,
}

impl Default for TestIngest {
    fn default() -> Self {
        Self {
            accepted: Mutex::default(),
            down: Mutex::default(),
            count: tokio::sync::watch::Sender::new(0),
        }
    }
}

impl TestIngest {
    fn accepted(&self) -> Vec<Inbound> {
        self.accepted.lock().unwrap().clone()
    }
    fn set_down(&self, down: bool) {
        *self.down.lock().unwrap() = down;
    }
}

impl Ingest for TestIngest {
    async fn accept(&self, msg: Inbound) -> IngestOutcome {
        if *self.down.lock().unwrap() {
            return IngestOutcome::Unavailable {
                reason: "store down".into(),
            };
        }
        let mut accepted = self.accepted.lock().unwrap();
        if let Some(i) = accepted.iter().position(|m| m.control_id == msg.control_id) {
            return IngestOutcome::Duplicate {
                original: i as i64 + 1,
            };
        }
        accepted.push(msg);
        self.count.send_replace(accepted.len());
        IngestOutcome::Accepted {
            id: accepted.len() as i64,
        }
    }
    async fn reject(&self, _msg: Inbound, reason: String) -> IngestOutcome {
        IngestOutcome::Unavailable { reason }
    }
}

async fn start(sim: &ErsSim) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(sim.clone().serve(listener, "/referrals/FHIR"));
    format!("http://{addr}/referrals/FHIR")
}

fn client(base: &str, config: ErsConfig) -> Arc<ErsClient> {
    let api = ServiceClient::new(ServiceConfig::new("ers", base)).unwrap();
    Arc::new(ErsClient::new(api, config))
}

async fn setup(sim: &ErsSim) -> Arc<ErsClient> {
    let base = start(sim).await;
    client(&base, ErsConfig::new("R69", vec!["11002".into()]))
}

fn control_ids(ingest: &TestIngest) -> Vec<String> {
    let mut ids: Vec<String> = ingest
        .accepted()
        .iter()
        .filter_map(|m| m.control_id.clone())
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn a_poll_journals_each_new_referral_version_once() {
    let sim = ErsSim::new();
    let poller = WorklistPoller::new(setup(&sim).await, "ers");
    let ingest = TestIngest::default();
    let mut seen = MemorySeen::default();

    let report = poller.poll_once(&ingest, &mut seen).await.unwrap();
    assert_eq!((report.listed, report.fetched, report.accepted), (5, 5, 5));
    let expected: Vec<String> = SERVICE_11002.iter().map(|u| format!("{u}@5")).collect();
    assert_eq!(control_ids(&ingest), expected);

    let msg = ingest
        .accepted()
        .into_iter()
        .find(|m| m.control_id.as_deref() == Some("000000070012@5"))
        .unwrap();
    assert_eq!(msg.content_type, STU3_CONTENT_TYPE);
    assert_eq!(msg.message_type.as_deref(), Some("ReferralRequest"));
    assert_eq!(msg.sender.as_deref(), Some("ers"));
    assert_eq!(msg.source, "ers");
    let doc: Value = serde_json::from_slice(&msg.raw).unwrap();
    assert_eq!(
        (doc["resourceType"].as_str(), doc["type"].as_str()),
        (Some("Bundle"), Some("collection"))
    );
    let referral = &doc["entry"][0]["resource"];
    assert_eq!(referral["resourceType"], "ReferralRequest");
    assert_eq!(referral["id"], "000000070012");
    assert_eq!(referral["meta"]["versionId"], "5");
    let attachments = referral["contained"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["resourceType"] == "DocumentReference")
        .count();
    assert_eq!(
        attachments, 3,
        "the attachment list travels with the referral"
    );

    let retrievals = sim.stats().retrievals;
    let again = poller.poll_once(&ingest, &mut seen).await.unwrap();
    assert_eq!(
        (again.listed, again.already_seen, again.accepted),
        (5, 5, 0)
    );
    assert_eq!(
        sim.stats().retrievals,
        retrievals,
        "seen versions are not fetched again"
    );
    assert_eq!(ingest.accepted().len(), 5);

    assert_eq!(sim.bump_version("000000070001"), Some(6));
    let third = poller.poll_once(&ingest, &mut seen).await.unwrap();
    assert_eq!((third.accepted, third.already_seen), (1, 4));
    assert!(control_ids(&ingest).contains(&"000000070001@6".to_string()));
    assert!(seen.contains("000000070001", 6));
}

#[tokio::test]
async fn run_polls_until_shut_down() {
    let sim = ErsSim::new();
    let poller = WorklistPoller::new(setup(&sim).await, "ers");
    let ingest = Arc::new(TestIngest::default());
    let mut count = ingest.count.subscribe();
    let shutdown = tokio_util::sync::CancellationToken::new();
    let task = tokio::spawn({
        let (ingest, shutdown) = (ingest.clone(), shutdown.clone());
        async move {
            let mut seen = MemorySeen::default();
            poller
                .run(&ingest, &mut seen, Duration::from_secs(3600), shutdown)
                .await;
            seen
        }
    });
    count.wait_for(|n| *n == 5).await.unwrap();
    shutdown.cancel();
    let seen = task.await.unwrap();
    assert_eq!(seen.len(), 5);
}

#[tokio::test]
async fn an_unavailable_journal_leaves_referrals_unseen() {
    let sim = ErsSim::new();
    let poller = WorklistPoller::new(setup(&sim).await, "ers");
    let ingest = TestIngest::default();
    let mut seen = MemorySeen::default();

    ingest.set_down(true);
    let err = poller.poll_once(&ingest, &mut seen).await.unwrap_err();
    assert!(matches!(err, ErsError::IngestUnavailable { .. }), "{err}");
    assert!(err.is_transient());
    assert!(seen.is_empty());

    ingest.set_down(false);
    let report = poller.poll_once(&ingest, &mut seen).await.unwrap();
    assert_eq!(report.accepted, 5);
    assert_eq!(seen.len(), 5);
}

#[tokio::test]
async fn failed_fetches_are_retried_on_the_next_poll() {
    let sim = ErsSim::new();
    let poller = WorklistPoller::new(setup(&sim).await, "ers");
    let ingest = TestIngest::default();
    let mut seen = MemorySeen::default();
    // A referral on another service's worklist is not ours.
    sim.add_referral(
        json!({"resourceType": "ReferralRequest", "id": "000000090000", "meta": {"versionId": "2"}}),
        "99999",
    );

    sim.fail_next(Operation::FetchWorklist, StatusCode::SERVICE_UNAVAILABLE, 1);
    let err = poller.poll_once(&ingest, &mut seen).await.unwrap_err();
    assert!(
        matches!(
            err,
            ErsError::Status {
                operation: "A008",
                status: 503,
                ..
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string().contains("SYSTEM_UNAVAILABLE") && err.is_transient(),
        "{err}"
    );

    sim.fail_next(
        Operation::RetrieveReferral,
        StatusCode::INTERNAL_SERVER_ERROR,
        2,
    );
    let partial = poller.poll_once(&ingest, &mut seen).await.unwrap();
    assert_eq!((partial.accepted, partial.failed.len()), (3, 2));
    assert!(
        partial.failed[0].contains("A005: HTTP 500"),
        "{:?}",
        partial.failed
    );

    let rest = poller.poll_once(&ingest, &mut seen).await.unwrap();
    assert_eq!((rest.accepted, rest.already_seen), (2, 3));
    let ids = control_ids(&ingest);
    assert_eq!(ids.len(), 5);
    assert!(!ids.iter().any(|c| c.starts_with("000000090000")));
}

#[tokio::test]
async fn role_headers_follow_the_access_mode() {
    let ingest = TestIngest::default();
    let mut seen = MemorySeen::default();
    let mut user = ErsConfig::new("R69", vec!["11002".into()]);
    user.access = AccessMode::UserRestricted;

    // Auth required and no bearer token: 401 with e-RS's NO_ACCESS.
    let locked = ErsSim::new()
        .with_access(Access::UserRestricted)
        .with_auth(true);
    let poller = WorklistPoller::new(client(&start(&locked).await, user.clone()), "ers");
    let err = poller.poll_once(&ingest, &mut seen).await.unwrap_err();
    assert!(matches!(err, ErsError::Status { status: 401, .. }), "{err}");
    assert!(err.to_string().contains("NO_ACCESS"), "{err}");

    // Application-restricted calls (no role headers) to user-restricted e-RS: 400.
    let sim = ErsSim::new().with_access(Access::UserRestricted);
    let base = start(&sim).await;
    let app = WorklistPoller::new(
        client(&base, ErsConfig::new("R69", vec!["11002".into()])),
        "ers",
    );
    let err = app.poll_once(&ingest, &mut seen).await.unwrap_err();
    assert!(matches!(err, ErsError::Status { status: 400, .. }), "{err}");
    assert!(err.to_string().contains("MISSING_VALUE"), "{err}");

    // An admin without the clinician it acts for is refused; with one, the poll works.
    user.business_function = "SERVICE_PROVIDER_CLINICIAN_ADMIN".into();
    let err = WorklistPoller::new(client(&base, user.clone()), "ers")
        .poll_once(&ingest, &mut seen)
        .await
        .unwrap_err();
    assert!(matches!(err, ErsError::Status { status: 403, .. }), "{err}");
    user.on_behalf_of = Some("021600556514".into());
    let poller = WorklistPoller::new(client(&base, user), "ers");
    assert_eq!(
        poller.poll_once(&ingest, &mut seen).await.unwrap().accepted,
        5
    );
}

fn delivery(id: i64, review: &ReviewOutcome) -> OutboundDelivery {
    let bundle: Bundle = serde_json::from_value(review.to_bundle()).unwrap();
    let event = Event::new(
        "ev-1",
        EventKind::ReferralReviewed,
        "pas",
        "2026-01-01T00:00:00Z",
        "7",
        bundle,
    );
    OutboundDelivery {
        id,
        destination: "ers".into(),
        payload: event.to_json(),
        message_id: 7,
    }
}

fn review(version: u64) -> ReviewOutcome {
    ReviewOutcome {
        ubrn: "000000070000".into(),
        version,
        outcome: "ACCEPT_REFER_BOOK_LATER".into(),
        comments: "Urgent action needed. To be booked ASAP".into(),
        priority: Some("URGENT".into()),
    }
}

#[tokio::test]
async fn the_sink_records_the_outcome_against_the_reviewed_version() {
    let sim = ErsSim::new();
    let client = setup(&sim).await;
    let sink = ErsSink::new(client.clone());

    assert_eq!(
        sink.send(&delivery(42, &review(5))).await,
        SendOutcome::Delivered
    );
    let recorded = sim.review_outcomes();
    assert_eq!(recorded.len(), 1);
    let r = &recorded[0];
    assert_eq!(
        (r.ubrn.as_str(), r.version, r.if_match.as_str()),
        ("000000070000", 5, "W/\"5\"")
    );
    assert_eq!(r.request_id, Some(client.api().delivery_request_id(42)));
    assert_eq!(r.correlation_id.as_deref(), Some("7"));
    assert_eq!(
        (r.ods.as_str(), r.business_function.as_str()),
        ("R69", "SERVICE_PROVIDER_CLINICIAN")
    );
    assert_eq!(
        r.parameters["parameter"],
        review(5).parameters()["parameter"]
    );
    assert_eq!(sim.version("000000070000"), Some(6));

    // Reviewed, so off the worklist.
    let report = WorklistPoller::new(client, "ers")
        .poll_once(&TestIngest::default(), &mut MemorySeen::default())
        .await
        .unwrap();
    assert_eq!(report.listed, 4);
}

#[tokio::test]
async fn a_stale_version_is_permanent() {
    let sim = ErsSim::new();
    let sink = ErsSink::new(setup(&sim).await);
    sim.bump_version("000000070000");
    match sink.send(&delivery(1, &review(5))).await {
        SendOutcome::Permanent { error } => {
            assert!(
                error.contains("409") && error.contains("version conflict"),
                "{error}"
            );
        }
        other => panic!("expected permanent, got {other:?}"),
    }
    assert!(sim.review_outcomes().is_empty());
}

#[tokio::test]
async fn server_errors_retry_and_the_retry_is_the_same_request() {
    let sim = ErsSim::new();
    let client = setup(&sim).await;
    let sink = ErsSink::new(client.clone());
    sim.fail_next(
        Operation::RecordReviewOutcome,
        StatusCode::SERVICE_UNAVAILABLE,
        1,
    );
    match sink.send(&delivery(9, &review(5))).await {
        SendOutcome::Retry { error, .. } => {
            assert!(
                error.contains("503") && error.contains("SYSTEM_UNAVAILABLE"),
                "{error}"
            );
        }
        other => panic!("expected retry, got {other:?}"),
    }
    assert_eq!(
        sink.send(&delivery(9, &review(5))).await,
        SendOutcome::Delivered
    );
    assert_eq!(
        sim.review_outcomes()[0].request_id,
        Some(client.api().delivery_request_id(9))
    );
}

#[tokio::test]
async fn business_errors_and_bad_events_are_permanent() {
    let sim = ErsSim::new();
    let sink = ErsSink::new(setup(&sim).await);

    let mut unsupported = review(5);
    unsupported.outcome = "CANCEL_APPOINTMENT_ACTION_LATER".into();
    match sink.send(&delivery(2, &unsupported)).await {
        SendOutcome::Permanent { error } => {
            assert!(
                error.contains("422") && error.contains("INVALID_CODE"),
                "{error}"
            );
        }
        other => panic!("expected permanent, got {other:?}"),
    }

    let mut unknown = review(5);
    unknown.ubrn = "000000000404".into();
    match sink.send(&delivery(3, &unknown)).await {
        SendOutcome::Permanent { error } => assert!(error.contains("404"), "{error}"),
        other => panic!("expected permanent, got {other:?}"),
    }

    let bad = OutboundDelivery {
        id: 4,
        destination: "ers".into(),
        payload: "{}".into(),
        message_id: 1,
    };
    assert!(matches!(
        sink.send(&bad).await,
        SendOutcome::Permanent { .. }
    ));
    assert!(sim.review_outcomes().is_empty());
}
