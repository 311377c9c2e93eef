//! The admin API and the telemetry routes, served on 127.0.0.1:0 over a real `SqliteStore` in
//! a temp dir and called over HTTP: roles, audit, exposure, filters, queues, metrics, readiness.
//!
//! The binary has no library target, so the two modules are compiled into this test as well.

#[allow(dead_code, unused_imports)]
#[path = "../../src/admin/mod.rs"]
mod admin;
#[allow(dead_code, unused_imports)]
#[path = "../../src/telemetry/mod.rs"]
mod telemetry;

mod access;
mod api;
mod lists;

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
