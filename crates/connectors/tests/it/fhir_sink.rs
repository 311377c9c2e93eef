//! The FHIR HTTP sink against a local axum FHIR server that records requests and answers from
//! a script.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use junction_connectors::fhir_http::{FhirHttpConfig, FhirHttpSink, FhirSendMode, request_id};
use junction_connectors::{Metrics, OutboundDelivery, SendOutcome, Sink};
use prometheus::Registry;

use crate::support::metric;

#[derive(Clone)]
enum Answer {
    Status(StatusCode, Vec<(&'static str, &'static str)>, &'static str),
    Hang,
}

#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    headers: HeaderMap,
    body: Bytes,
}

#[derive(Default)]
struct Server {
    script: Mutex<VecDeque<Answer>>,
    seen: Mutex<Vec<Seen>>,
}

async fn record(State(s): State<Arc<Server>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
    s.seen.lock().unwrap().push(Seen {
        method: parts.method.to_string(),
        path: parts.uri.path().to_string(),
        headers: parts.headers,
        body,
    });
    let answer = s.script.lock().unwrap().pop_front();
    match answer.unwrap_or(Answer::Status(StatusCode::CREATED, vec![], "{}")) {
        Answer::Status(status, headers, body) => {
            let mut res = (status, body.to_string()).into_response();
            for (k, v) in headers {
                res.headers_mut().insert(k, v.parse().unwrap());
            }
            res
        }
        Answer::Hang => std::future::pending().await,
    }
}

async fn server(script: Vec<Answer>) -> (SocketAddr, Arc<Server>) {
    let state = Arc::new(Server {
        script: Mutex::new(script.into()),
        ..Default::default()
    });
    let app = Router::new()
        .fallback(record)
        .with_state(Arc::clone(&state));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (addr, state)
}

fn sink(
    addr: SocketAddr,
    registry: &Registry,
    f: impl FnOnce(&mut FhirHttpConfig),
) -> FhirHttpSink {
    let mut config = FhirHttpConfig::new(format!("http://{addr}/fhir/"));
    config.bearer_token = Some("t0ken".into());
    config.request_id_namespace = "RXX".into();
    f(&mut config);
    FhirHttpSink::new(config, Metrics::new(registry).unwrap()).unwrap()
}

const EVENT: &str = r#"{"id":"ev1","kind":"patient.admitted","bundle":{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Patient","id":"p-1"}},{"resource":{"resourceType":"Encounter"}}]}}"#;

fn delivery(id: i64) -> OutboundDelivery {
    OutboundDelivery {
        id,
        destination: "fhir".into(),
        payload: EVENT.into(),
        message_id: 3,
    }
}

const OO: &str = r#"{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"invalid","diagnostics":"Bundle.entry[0] is not valid"}]}"#;

#[tokio::test]
async fn retry_after_503_keeps_the_request_id() {
    let (addr, srv) = server(vec![Answer::Status(
        StatusCode::SERVICE_UNAVAILABLE,
        vec![],
        "",
    )])
    .await;
    let registry = Registry::new();
    let sink = sink(addr, &registry, |_| {});
    let first = sink.send(&delivery(77)).await;
    assert!(
        matches!(&first, SendOutcome::Retry { error, retry_after: None } if error == "HTTP 503"),
        "{first:?}"
    );
    assert_eq!(sink.send(&delivery(77)).await, SendOutcome::Delivered);
    let seen = srv.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2);
    let ids: Vec<_> = seen
        .iter()
        .map(|s| s.headers["x-request-id"].to_str().unwrap().to_string())
        .collect();
    assert_eq!(ids[0], ids[1]);
    assert_eq!(ids[0], request_id("RXX", 77));
    let s = &seen[0];
    assert_eq!(
        (s.method.as_str(), s.path.as_str()),
        ("POST", "/fhir/Bundle")
    );
    assert_eq!(s.headers["content-type"], "application/fhir+json");
    assert_eq!(s.headers["authorization"], "Bearer t0ken");
    let body: serde_json::Value = serde_json::from_slice(&s.body).unwrap();
    assert_eq!(body["resourceType"], "Bundle");
    assert_eq!(
        metric(
            &registry,
            "junction_sink_sends_total",
            &[("destination", "fhir"), ("outcome", "retry")]
        ),
        1.0
    );
    assert_eq!(
        metric(
            &registry,
            "junction_sink_sends_total",
            &[("destination", "fhir"), ("outcome", "delivered")]
        ),
        1.0
    );
}

#[tokio::test]
async fn bad_request_is_permanent_with_diagnostics() {
    let (addr, _srv) = server(vec![Answer::Status(
        StatusCode::BAD_REQUEST,
        vec![("content-type", "application/fhir+json")],
        OO,
    )])
    .await;
    let sink = sink(addr, &Registry::new(), |_| {});
    assert_eq!(
        sink.send(&delivery(1)).await,
        SendOutcome::permanent("HTTP 400: Bundle.entry[0] is not valid")
    );
}

#[tokio::test]
async fn throttled_429_honours_retry_after() {
    let (addr, _srv) = server(vec![Answer::Status(
        StatusCode::TOO_MANY_REQUESTS,
        vec![("retry-after", "12")],
        "",
    )])
    .await;
    let sink = sink(addr, &Registry::new(), |_| {});
    let outcome = sink.send(&delivery(1)).await;
    assert!(
        matches!(&outcome, SendOutcome::Retry { retry_after: Some(d), .. } if *d == Duration::from_secs(12)),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn first_resource_with_an_id_is_put() {
    let (addr, srv) = server(vec![]).await;
    let sink = sink(addr, &Registry::new(), |c| {
        c.mode = FhirSendMode::FirstResource;
        c.bearer_token = None;
    });
    assert_eq!(sink.send(&delivery(5)).await, SendOutcome::Delivered);
    let seen = srv.seen.lock().unwrap().clone();
    assert_eq!(
        (seen[0].method.as_str(), seen[0].path.as_str()),
        ("PUT", "/fhir/Patient/p-1")
    );
    assert!(!seen[0].headers.contains_key("authorization"));
}

#[tokio::test(start_paused = true)]
async fn a_server_that_never_answers_times_out_into_a_retry() {
    let (addr, _srv) = server(vec![Answer::Hang]).await;
    let sink = sink(addr, &Registry::new(), |c| {
        c.timeout = Duration::from_secs(20)
    });
    let outcome = sink.send(&delivery(1)).await;
    assert!(
        matches!(&outcome, SendOutcome::Retry { error, .. } if error.contains("no answer")),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn connection_refused_is_a_retry_and_a_bad_payload_permanent() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let sink = sink(addr, &Registry::new(), |_| {});
    assert!(matches!(
        sink.send(&delivery(1)).await,
        SendOutcome::Retry { .. }
    ));
    let bad = OutboundDelivery {
        payload: "not json".into(),
        ..delivery(2)
    };
    assert_eq!(
        sink.send(&bad).await,
        SendOutcome::permanent("payload is not JSON")
    );
}
