//! The admin API and the telemetry routes, served on 127.0.0.1:0 over a real `SqliteStore` in
//! a temp dir and called over HTTP: roles, audit, exposure, filters, queues, metrics, readiness.
//!
//! The binary has no library target, so the two modules are compiled into this test as well.

#[allow(dead_code, unused_imports)]
#[path = "../src/admin/mod.rs"]
mod admin;
#[allow(dead_code, unused_imports)]
#[path = "../src/telemetry/mod.rs"]
mod telemetry;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use admin::{AdminState, AuditLog, Exposure, Role, Token};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Request, header};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use junction_store::{
    Appended, MessageId, NewDelivery, NewMessage, Outcome, RouteOutcome, SqliteStore, Store,
    StoreOptions, StoredEvent,
};
use serde_json::{Value, json};
use telemetry::{DeliveryOutcome, Metrics, Readiness, TelemetryState};

const VIEWER: &str = "viewer-secret-0123456789";
const OPERATOR: &str = "operator-secret-0123456789";
const ADMIN: &str = "admin-secret-0123456789";
/// A patient key used in seeded events: it must never appear where patient data is barred.
const PATIENT: &str = "9434765919";
const T0: i64 = 1_700_000_000_000;

fn now_ms() -> i64 {
    let d = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    i64::try_from(d.as_millis()).unwrap()
}

fn tokens() -> Vec<Token> {
    [
        ("vic", VIEWER, Role::Viewer),
        ("ops-alice", OPERATOR, Role::Operator),
        ("root-bob", ADMIN, Role::Admin),
    ]
    .into_iter()
    .map(|(name, secret, role)| Token::new(name, secret, role))
    .collect()
}

struct Resp {
    status: u16,
    headers: hyper::HeaderMap,
    body: Bytes,
}

impl Resp {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("{e}: {:?}", self.body))
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// The fields `keys` of `v`, as one object, to compare with `json!` in one line.
fn pick(v: &Value, keys: &[&str]) -> Value {
    Value::Object(keys.iter().map(|k| (k.to_string(), v[k].clone())).collect())
}

struct Gateway {
    addr: SocketAddr,
    store: SqliteStore,
    metrics: Metrics,
    readiness: Readiness,
    audit_path: PathBuf,
    replays: Arc<AtomicUsize>,
    client: Client<HttpConnector, Full<Bytes>>,
    _dir: tempfile::TempDir,
}

impl Gateway {
    async fn start() -> Gateway {
        Gateway::with(tokens(), None, true).await
    }

    /// Admin and telemetry routes on 127.0.0.1:0, served with or without client addresses.
    async fn with(tokens: Vec<Token>, audit: Option<&str>, connect_info: bool) -> Gateway {
        let dir = tempfile::tempdir().unwrap();
        let registry = prometheus::Registry::new();
        let metrics = Metrics::new(&registry, "0.1.0-test").unwrap();
        let observer = metrics.store_observer();
        let opts = StoreOptions {
            synchronous_full: false,
            observer,
            ..StoreOptions::default()
        };
        let store = SqliteStore::open(dir.path().join("junction.db"), opts).unwrap();
        let audit_path = audit.map_or_else(|| dir.path().join("audit.jsonl"), PathBuf::from);
        let replays = Arc::new(AtomicUsize::new(0));
        let hook = Arc::clone(&replays);
        let readiness = Readiness::new();
        let admin = admin::router(AdminState {
            store: store.clone(),
            tokens,
            audit: AuditLog::open(&audit_path).unwrap(),
            replay_hook: Arc::new(move || {
                hook.fetch_add(1, Ordering::SeqCst);
            }),
            // `ris` is left out: listed only while the outbox holds deliveries for it.
            destinations: vec!["fhir".into(), "quiet".into(), "ris".into()],
            mesh_destinations: Vec::new(),
        });
        let ops = telemetry::router(TelemetryState {
            registry,
            metrics: metrics.clone(),
            store: store.clone(),
            readiness: readiness.clone(),
        });
        let app = admin.merge(ops);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        if connect_info {
            tokio::spawn(admin::serve(listener, app, std::future::pending()));
        } else {
            tokio::spawn(async move { axum::serve(listener, app).await });
        }
        let client = Client::builder(TokioExecutor::new()).build_http();
        let _dir = dir;
        Gateway {
            addr,
            store,
            metrics,
            readiness,
            audit_path,
            replays,
            client,
            _dir,
        }
    }

    /// `req` is `"METHOD /path"`; the token goes in as a bearer token.
    async fn call(&self, token: Option<&str>, req: impl AsRef<str>) -> Resp {
        let auth = token.map(|t| format!("Bearer {t}"));
        self.call_with(req.as_ref(), auth).await
    }
    async fn anon(&self, req: impl AsRef<str>) -> Resp {
        self.call(None, req).await
    }
    async fn viewer(&self, req: impl AsRef<str>) -> Resp {
        self.call(Some(VIEWER), req).await
    }
    async fn operator(&self, req: impl AsRef<str>) -> Resp {
        self.call(Some(OPERATOR), req).await
    }
    async fn admin(&self, req: impl AsRef<str>) -> Resp {
        self.call(Some(ADMIN), req).await
    }

    async fn call_with(&self, req: &str, authorization: Option<String>) -> Resp {
        let (method, path) = req.split_once(' ').unwrap();
        let uri = format!("http://{}{path}", self.addr);
        let mut req = Request::builder().method(method).uri(uri);
        if let Some(value) = authorization {
            req = req.header(header::AUTHORIZATION, value);
        }
        let res = self.client.request(req.body(Full::default()).unwrap());
        let (parts, body) = res.await.unwrap().into_parts();
        let body = body.collect().await.unwrap().to_bytes();
        Resp {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body,
        }
    }

    fn audit(&self) -> Vec<Value> {
        let text = std::fs::read_to_string(&self.audit_path).unwrap();
        assert!(!text.contains(PATIENT), "patient data in the audit log");
        text.lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    fn replays(&self) -> usize {
        self.replays.load(Ordering::SeqCst)
    }
}

fn new_message(i: i64, source: &str, msg_type: &str, raw: Vec<u8>) -> NewMessage {
    NewMessage {
        source: source.into(),
        received_at: T0 + i * 1000,
        peer: Some(format!("127.0.0.1:{}", 40000 + i)),
        content_type: "x-application/hl7-v2+er7; charset=UTF-8".into(),
        raw,
        message_type: Some(msg_type.into()),
        control_id: Some(format!("CTRL{i}")),
        sender: Some("PAS^RX1".into()),
        state: junction_store::MessageState::Received,
    }
}

/// One journaled ADT message from `source`, routed to `fhir` and `ris` with one event.
async fn seed_one(store: &SqliteStore, i: i64, source: &str, ty: &str, patient: &str) -> MessageId {
    let raw =
        format!("MSH|^~\\&|PAS|RX1|JUNCTION|RX1|20231114||{ty}|CTRL{i}|P|2.4\rPID|||{patient}\r");
    let appended = store
        .append(new_message(i, source, ty, raw.into_bytes()))
        .await;
    let Ok(Appended::New(id)) = appended else {
        panic!("{appended:?}")
    };
    let event = StoredEvent {
        id: "e1".into(),
        kind: "patient.admitted".into(),
        patient_key: Some(patient.into()),
        json: format!(r#"{{"resourceType":"Bundle","nhs":"{patient}"}}"#),
    };
    let deliveries = ["fhir", "ris"].map(|d| NewDelivery {
        event_id: "e1".into(),
        destination: d.into(),
        ordering_key: Some(patient.into()),
        payload: Some(format!(r#"{{"patient":"{patient}"}}"#)),
    });
    let outcome = RouteOutcome::Routed {
        events: vec![event],
        deliveries: deliveries.into(),
    };
    store.route(id, outcome, now_ms() - 5_000).await.unwrap();
    id
}

/// `n` messages alternating between sources `pas`/`ris` and types `ADT^A01`/`ADT^A08`;
/// every third is about [`PATIENT`].
async fn seed(store: &SqliteStore, n: i64) -> Vec<MessageId> {
    let mut ids = Vec::new();
    for i in 0..n {
        let (source, ty) = if i % 2 == 0 {
            ("pas", "ADT^A01")
        } else {
            ("ris", "ADT^A08")
        };
        let patient = if i % 3 == 0 { PATIENT } else { "9000000009" };
        ids.push(seed_one(store, i, source, ty, patient).await);
    }
    ids
}

/// Leases due deliveries of `destination` and reports `outcome` for each, round after round
/// (one per ordering key at a time) while `repeat`; returns how many.
async fn settle(store: &SqliteStore, destination: &str, outcome: Outcome, repeat: bool) -> usize {
    let mut n = 0;
    loop {
        let leased = store.lease(destination, 100, now_ms(), 30_000, "w1");
        let leased = leased.await.unwrap();
        for d in &leased {
            store.complete(d.id, "w1", outcome.clone()).await.unwrap();
        }
        n += leased.len();
        if leased.is_empty() || !repeat {
            return n;
        }
    }
}

/// Every delivery of `destination` dead (a dead one no longer blocks its ordering key).
async fn kill_all(store: &SqliteStore, destination: &str) -> usize {
    let dead = Outcome::Dead {
        at: now_ms(),
        error: "HTTP 422".into(),
    };
    settle(store, destination, dead, true).await
}

#[tokio::test]
async fn viewer_sees_metadata_but_no_bodies_and_cannot_change_anything() {
    let gw = Gateway::start().await;
    let id = seed(&gw.store, 3).await[0];

    let list = gw.viewer("GET /api/messages").await;
    assert_eq!(list.status, 200);
    assert_eq!(list.json()["messages"].as_array().unwrap().len(), 3);
    let detail = gw.viewer(format!("GET /api/messages/{id}")).await;
    assert_eq!(detail.status, 200);
    let v = detail.json();
    assert_eq!(v["message"]["control_id"], "CTRL0");
    let event = json!({"id": "e1", "kind": "patient.admitted"});
    assert_eq!(v["events"][0], event);
    assert_eq!(v["deliveries"].as_array().unwrap().len(), 2);
    assert!(
        !detail.text().contains(PATIENT),
        "patient data shown to a viewer"
    );
    assert!(v.get("raw").is_none());
    assert_eq!(gw.viewer("GET /api/queues").await.status, 200);

    for req in [
        format!("GET /api/messages/{id}?include=body"),
        format!("GET /api/messages/{id}/raw"),
        format!("POST /api/messages/{id}/replay"),
        "POST /api/destinations/fhir/replay-dead".to_owned(),
        "DELETE /api/destinations/fhir/dead".to_owned(),
    ] {
        let res = gw.viewer(&req).await;
        assert_eq!(res.status, 403, "{req}");
        assert!(res.json()["error"].as_str().unwrap().contains("role"));
        assert!(!res.text().contains(PATIENT));
    }
    assert!(gw.audit().is_empty(), "refused requests are not audited");
    assert_eq!(gw.replays(), 0);
}

#[tokio::test]
async fn operator_views_bodies_and_replays_and_each_is_audited() {
    let gw = Gateway::start().await;
    let id = seed(&gw.store, 1).await[0];

    let raw = gw.operator(format!("GET /api/messages/{id}/raw")).await;
    assert_eq!(raw.status, 200);
    let content_type = &raw.headers[header::CONTENT_TYPE];
    assert_eq!(content_type, "text/plain; charset=UTF-8");
    assert_eq!(raw.headers[header::CACHE_CONTROL], "no-store");
    assert!(raw.text().starts_with("MSH|^~\\&|PAS|RX1") && raw.text().contains(PATIENT));

    let full = gw.operator(format!("GET /api/messages/{id}?include=body"));
    let full = full.await;
    assert_eq!(full.status, 200);
    let v = full.json();
    assert!(v["raw"].as_str().unwrap().starts_with("MSH|"));
    assert_eq!(v["events"][0]["patient_key"], PATIENT);
    assert_eq!(v["events"][0]["json"]["resourceType"], "Bundle");
    let payload = format!(r#"{{"patient":"{PATIENT}"}}"#);
    assert_eq!(v["deliveries"][0]["payload"], payload);

    // Deliver one, kill the other; a replay puts both back to pending and wakes dispatchers.
    let delivered = Outcome::Delivered { at: now_ms() };
    assert_eq!(settle(&gw.store, "fhir", delivered, false).await, 1);
    assert_eq!(kill_all(&gw.store, "ris").await, 1);
    let replay = gw.operator(format!("POST /api/messages/{id}/replay")).await;
    assert_eq!(replay.status, 200, "{}", replay.text());
    assert_eq!(replay.json()["deliveries"], 2);
    assert_eq!(gw.replays(), 1);
    let detail = gw.store.get_message(id).await.unwrap().unwrap();
    let mut states = detail.deliveries.iter().map(|d| d.state.as_str());
    assert!(states.all(|s| s == "pending"));

    let purge = gw.operator("DELETE /api/destinations/ris/dead").await;
    assert_eq!(purge.status, 403);

    let audit = gw.audit();
    let actions: Vec<&Value> = audit.iter().map(|r| &r["action"]).collect();
    let want = json!(["message.view_raw", "message.view", "message.replay"]);
    assert_eq!(Value::from_iter(actions.into_iter().cloned()), want);
    for r in &audit {
        let want = json!({"token": "ops-alice", "message_id": id.0});
        assert_eq!(pick(r, &["token", "message_id"]), want);
        assert!(r["client"].as_str().unwrap().starts_with("127.0.0.1:"));
        assert!(r["time"].as_str().unwrap().ends_with('Z'));
    }
}

#[tokio::test]
async fn admin_purges_and_operator_replays_dead_deliveries() {
    let gw = Gateway::start().await;
    seed(&gw.store, 3).await;
    assert_eq!(kill_all(&gw.store, "fhir").await, 3);
    assert_eq!(kill_all(&gw.store, "ris").await, 3);

    let res = gw.operator("POST /api/destinations/fhir/replay-dead").await;
    assert_eq!(
        (res.status, res.json()["replayed"].clone()),
        (200, json!(3))
    );
    assert_eq!(gw.replays(), 1);
    // Names from the URL must be configured destinations: no silent `replayed: 0`.
    for name in [
        "nope",
        "..%2F..%2Fetc%2Fpasswd",
        "x%0D%0A%7B%22forged%22%3Atrue%7D",
    ] {
        let res = gw
            .operator(&format!("POST /api/destinations/{name}/replay-dead"))
            .await;
        assert_eq!(res.status, 404, "{name}");
    }
    assert_eq!(gw.replays(), 1, "nothing replayed for unknown names");
    let res = gw.admin("DELETE /api/destinations/nope/dead").await;
    assert_eq!(res.status, 404);
    let res = gw.admin("DELETE /api/destinations/ris/dead").await;
    assert_eq!((res.status, res.json()["purged"].clone()), (200, json!(3)));

    let v = gw.admin("GET /api/queues").await.json();
    let expected = json!([
        {"destination": "fhir", "pending": 3, "dead": 0},
        {"destination": "quiet", "pending": 0, "dead": 0},
        {"destination": "ris", "pending": 0, "dead": 0},
    ]);
    let queues = v["queues"].as_array().unwrap().iter();
    let queues = queues.map(|q| pick(q, &["destination", "pending", "dead"]));
    assert_eq!(Value::from_iter(queues), expected, "ris has nothing left");

    let audit = gw.audit();
    let audit = audit
        .iter()
        .map(|r| pick(r, &["token", "action", "destination"]));
    let expected = json!([
        {"token": "ops-alice", "action": "destination.replay_dead", "destination": "fhir"},
        {"token": "root-bob", "action": "destination.purge_dead", "destination": "ris"},
    ]);
    assert_eq!(Value::from_iter(audit), expected);
}

#[tokio::test]
async fn missing_or_unknown_tokens_are_401_with_a_bearer_challenge() {
    let gw = Gateway::start().await;
    let id = seed(&gw.store, 1).await[0];
    let near_miss = format!("Bearer {}", &VIEWER[..VIEWER.len() - 1]);
    let unknown = "Bearer not-a-token-0123456789".to_owned();
    let basic = format!("Basic {VIEWER}");
    let wrong = [None, Some(unknown), Some(near_miss), Some(basic)];
    let raw = format!("GET /api/messages/{id}/raw");
    for req in ["GET /api/messages", &raw, "GET /api/queues"] {
        for auth in &wrong {
            let res = gw.call_with(req, auth.clone()).await;
            assert_eq!(res.status, 401, "{req} {auth:?}");
            let challenge = res.headers[header::WWW_AUTHENTICATE].to_str().unwrap();
            assert!(challenge.starts_with("Bearer"));
            assert!(res.json()["error"].is_string());
        }
    }
    assert!(gw.audit().is_empty());
}

#[tokio::test]
async fn without_tokens_only_loopback_is_served() {
    let addr = |s: &str| s.parse::<SocketAddr>().unwrap();
    assert_eq!(
        admin::check_exposure(addr("127.0.0.1:80"), &[]),
        Ok(Exposure::LoopbackOnly)
    );
    assert_eq!(
        admin::check_exposure(addr("[::1]:80"), &[]),
        Ok(Exposure::LoopbackOnly)
    );
    let err = admin::check_exposure(addr("0.0.0.0:80"), &[]).unwrap_err();
    assert!(err.contains("not loopback"), "{err}");
    assert!(admin::check_exposure(addr("10.1.2.3:80"), &[]).is_err());
    assert_eq!(
        admin::check_exposure(addr("10.1.2.3:80"), &tokens()),
        Ok(Exposure::Tokens(3))
    );
    let weak = Token::new("x", "short", Role::Admin);
    assert!(admin::check_exposure(addr("10.1.2.3:80"), &[weak]).is_err());

    // Open mode: a loopback client gets everything, audited as `loopback`.
    let gw = Gateway::with(vec![], None, true).await;
    let id = seed(&gw.store, 1).await[0];
    let raw = gw.anon(format!("GET /api/messages/{id}/raw")).await;
    assert_eq!(raw.status, 200);
    assert_eq!(gw.audit()[0]["token"], admin::LOOPBACK_CALLER);

    // Served without client addresses, open mode cannot tell who is calling and refuses.
    let blind = Gateway::with(vec![], None, false).await;
    assert_eq!(blind.anon("GET /api/queues").await.status, 401);
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn an_unwritable_audit_log_fails_the_request_and_nothing_is_done() {
    // Every write to /dev/full fails with ENOSPC.
    let gw = Gateway::with(tokens(), Some("/dev/full"), true).await;
    let id = seed(&gw.store, 1).await[0];
    assert_eq!(kill_all(&gw.store, "fhir").await, 1);

    for (req, token) in [
        (format!("GET /api/messages/{id}/raw"), OPERATOR),
        (format!("GET /api/messages/{id}?include=body"), OPERATOR),
        (format!("POST /api/messages/{id}/replay"), OPERATOR),
        ("DELETE /api/destinations/fhir/dead".to_owned(), ADMIN),
    ] {
        let res = gw.call(Some(token), &req).await;
        assert_eq!(res.status, 500, "{req}");
        assert!(res.json()["error"].as_str().unwrap().contains("audit"));
        assert!(!res.text().contains(PATIENT) && !res.text().contains("MSH"));
    }
    let detail = gw.store.get_message(id).await.unwrap().unwrap();
    let state = detail.deliveries[0].state.as_str();
    assert_eq!(state, "dead", "acted on without a record");
    assert_eq!(gw.replays(), 0);
    // Metadata needs no audit record.
    let metadata = gw.viewer(format!("GET /api/messages/{id}")).await;
    assert_eq!(metadata.status, 200);
}

/// The ids of one page, and its `next` cursor.
async fn page(gw: &Gateway, query: &str) -> (Vec<i64>, Option<i64>) {
    let res = gw.viewer(format!("GET /api/messages?{query}")).await;
    assert_eq!(res.status, 200, "{query}: {}", res.text());
    let v = res.json();
    let ids = v["messages"].as_array().unwrap().iter();
    (
        ids.map(|m| m["id"].as_i64().unwrap()).collect(),
        v["next"].as_i64(),
    )
}

#[tokio::test]
async fn list_filters_and_keyset_pagination() {
    let gw = Gateway::start().await;
    let ids: Vec<i64> = seed(&gw.store, 7).await.iter().map(|m| m.0).collect();
    let newest_first: Vec<i64> = ids.iter().rev().copied().collect();

    // Pages of 3 cover everything once, newest first; the last page has no `next`.
    let (p1, next1) = page(&gw, "limit=3").await;
    let (p2, next2) = page(&gw, &format!("limit=3&before={}", next1.unwrap())).await;
    let (p3, next3) = page(&gw, &format!("limit=3&before={}", next2.unwrap())).await;
    assert_eq!((p3.len(), next3), (1, None));
    assert_eq!([p1, p2, p3].concat(), newest_first);
    assert_eq!(
        page(&gw, "limit=7").await.1,
        None,
        "an exact fit has no next page"
    );

    let window = format!("from={}&to={}", T0 + 2000, T0 + 4000);
    for (query, want) in [
        ("source=pas", vec![6, 4, 2, 0]),
        ("message_type=ADT%5EA08", vec![5, 3, 1]),
        ("control_id=CTRL4", vec![4]),
        ("state=routed", vec![6, 5, 4, 3, 2, 1, 0]),
        ("state=failed", vec![]),
        (&window, vec![3, 2]),
        ("from=2023-11-14T22:13:25Z", vec![6, 5]),
        ("source=ris&limit=1&before=6", vec![3]),
        (&format!("patient_key={PATIENT}"), vec![6, 3, 0]),
    ] {
        let want: Vec<i64> = want.into_iter().map(|i| ids[i]).collect();
        assert_eq!(page(&gw, query).await.0, want, "{query}");
    }
    // A search by patient is answerable, without the key being written down.
    let audit = gw.audit();
    assert_eq!(
        (audit.len(), audit[0]["action"].as_str()),
        (1, Some("messages.search_by_patient"))
    );

    let bad = "state=lost limit=0 limit=100000 before=abc from=yesterday colour=red";
    for query in bad.split(' ') {
        let res = gw.viewer(format!("GET /api/messages?{query}")).await;
        assert_eq!(res.status, 400, "{query}");
        assert!(res.json()["error"].is_string(), "{query}");
    }
    let res = gw.viewer("GET /api/messages/99999").await;
    assert_eq!(res.status, 404);
    assert_eq!(res.json(), json!({"error": "message 99999 not found"}));
    assert_eq!(gw.viewer("GET /api/messages/x1").await.status, 400);
}

#[tokio::test]
async fn detail_shows_duplicates_and_delivery_history() {
    let gw = Gateway::start().await;
    let id = seed(&gw.store, 1).await[0];
    let mut again = new_message(0, "pas", "ADT^A01", b"MSH|resent".to_vec());
    again.received_at += 60_000;
    again.peer = Some("127.0.0.1:40001".into());
    assert_eq!(
        gw.store.append(again).await,
        Ok(Appended::Duplicate { original: id })
    );
    let now = now_ms();
    let retry = Outcome::Retry {
        at: now,
        next_attempt_at: now,
        error: "HTTP 503".into(),
    };
    assert_eq!(settle(&gw.store, "fhir", retry, false).await, 1);

    let v = gw.viewer(format!("GET /api/messages/{id}")).await.json();
    assert_eq!(v["message"]["duplicates"], 1);
    assert_eq!(v["duplicate_attempts"][0]["peer"], "127.0.0.1:40001");
    let fhir = &v["deliveries"][0];
    let want =
        json!({"destination": "fhir", "state": "pending", "attempts": 1, "last_error": "HTTP 503"});
    assert_eq!(
        pick(fhir, &["destination", "state", "attempts", "last_error"]),
        want
    );
    assert_eq!(fhir["history"][0]["outcome"], "retry");
    assert!(fhir.get("payload").is_none() && fhir.get("ordering_key").is_none());
}

#[tokio::test]
async fn queue_depths_after_routing() {
    let gw = Gateway::start().await;
    seed(&gw.store, 4).await;
    gw.store
        .lease("fhir", 1, now_ms(), 30_000, "w1")
        .await
        .unwrap();
    assert_eq!(kill_all(&gw.store, "ris").await, 4);

    let v = gw.viewer("GET /api/queues").await.json();
    let q = v["queues"].as_array().unwrap();
    let keys = ["destination", "pending", "leased", "dead"];
    let got: Vec<Value> = q.iter().map(|q| pick(q, &keys)).collect();
    let want = json!([
        {"destination": "fhir", "pending": 3, "leased": 1, "dead": 0},
        {"destination": "quiet", "pending": 0, "leased": 0, "dead": 0},
        {"destination": "ris", "pending": 0, "leased": 0, "dead": 4},
    ]);
    assert_eq!(
        Value::from(got),
        want,
        "every configured destination (idle ones too) and any other the outbox holds"
    );
    assert!(q[0]["oldest_pending_age_ms"].as_i64().unwrap() >= 5_000);
    assert_eq!(q[2]["oldest_pending_age_ms"], 0);
}

#[tokio::test]
async fn metrics_name_every_core_metric_after_activity() {
    let gw = Gateway::start().await;
    gw.metrics.add_destination("fhir");
    gw.metrics.add_source("pas");
    seed(&gw.store, 2).await; // its commits feed the store histograms through the observer
    gw.metrics
        .routed("pas", junction_store::MessageStatus::Routed);
    gw.metrics.delivery("fhir", DeliveryOutcome::Delivered);
    gw.metrics.delivery("fhir", DeliveryOutcome::Retried);
    gw.metrics
        .delivery_latency("fhir", Duration::from_millis(120));
    gw.metrics.breaker("fhir", true);

    let res = gw.anon("GET /metrics").await;
    assert_eq!(res.status, 200);
    let content_type = res.headers[header::CONTENT_TYPE].to_str().unwrap();
    assert!(content_type.starts_with("text/plain"));
    let text = res.text();
    for name in telemetry::metrics::NAMES {
        assert!(
            text.contains(&format!("# TYPE {name} ")),
            "{name} missing:\n{text}"
        );
    }
    for line in [
        r#"junction_deliveries_total{destination="fhir",outcome="delivered"} 1"#,
        r#"junction_deliveries_total{destination="fhir",outcome="dead"} 0"#,
        r#"junction_queue_depth{destination="fhir",state="pending"} 2"#,
        r#"junction_queue_depth{destination="ris",state="pending"} 2"#,
        r#"junction_breaker_open{destination="fhir"} 1"#,
        r#"junction_messages_routed_total{outcome="routed",source="pas"} 1"#,
        r#"junction_build_info{version="0.1.0-test"} 1"#,
        r#"junction_delivery_latency_seconds_count{destination="fhir"} 1"#,
    ] {
        assert!(text.contains(line), "{line} missing:\n{text}");
    }
    assert!(!text.contains("junction_store_commit_batch_size_count 0"));
    assert!(
        !text.contains(PATIENT) && !text.contains("CTRL"),
        "message data in labels"
    );

    // A drained queue reads zero instead of vanishing.
    let delivered = Outcome::Delivered { at: now_ms() };
    assert_eq!(settle(&gw.store, "ris", delivered, true).await, 2);
    let text = gw.anon("GET /metrics").await.text();
    let drained = r#"junction_queue_depth{destination="ris",state="pending"} 0"#;
    assert!(text.contains(drained), "{text}");
}

#[tokio::test]
async fn readyz_is_503_until_every_listener_is_bound() {
    let gw = Gateway::start().await;
    let health = gw.anon("GET /healthz").await;
    assert_eq!((health.status, health.text().as_str()), (200, "ok"));

    gw.readiness.expected(["mllp-pas", "http"]);
    let res = gw.anon("GET /readyz").await;
    assert_eq!(res.status, 503);
    assert_eq!(res.json()["not_ready"].as_array().unwrap().len(), 2);
    gw.readiness.set_listener_bound("http");
    let res = gw.anon("GET /readyz").await;
    assert_eq!(res.status, 503);
    assert_eq!(
        res.json(),
        json!({"ready": false, "not_ready": ["listener mllp-pas not bound"]})
    );
    gw.readiness.set_listener_bound("mllp-pas");
    let res = gw.anon("GET /readyz").await;
    assert_eq!((res.status, res.json()), (200, json!({"ready": true})));
}
