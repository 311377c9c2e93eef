//! The HTTP source over a real socket: 202 after the commit, 400 with an OperationOutcome
//! (bytes still journaled), 404, 413, 415, 503.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use junction_connectors::Metrics;
use junction_connectors::http::{HttpSourceConfig, router};
use prometheus::Registry;
use serde_json::Value;

use crate::support::*;

pub struct Http {
    pub addr: SocketAddr,
    pub ingest: Arc<TestIngest>,
    pub registry: Registry,
}

pub async fn start_http(ingest: Arc<TestIngest>, metrics: Metrics, registry: Registry) -> Http {
    let mut config = HttpSourceConfig::new(["epma"]);
    config.max_body = 4096;
    let app = router(config, Arc::clone(&ingest), metrics);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    Http {
        addr,
        ingest,
        registry,
    }
}

async fn start() -> Http {
    let registry = Registry::new();
    let metrics = Metrics::new(&registry).unwrap();
    start_http(TestIngest::new(), metrics, registry).await
}

pub async fn post(
    addr: SocketAddr,
    path: &str,
    content_type: &str,
    body: impl Into<Bytes>,
) -> (u16, Value) {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let req = http::Request::post(format!("http://{addr}{path}"))
        .header("content-type", content_type)
        .body(Full::new(body.into()))
        .unwrap();
    let res = client.request(req).await.unwrap();
    let status = res.status().as_u16();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

fn diagnostics(v: &Value) -> &str {
    assert_eq!(v["resourceType"], "OperationOutcome", "{v}");
    assert_eq!(v["issue"][0]["severity"], "error");
    v["issue"][0]["diagnostics"].as_str().unwrap()
}

#[tokio::test]
async fn hl7_and_fhir_are_accepted_with_202() {
    let h = start().await;
    let (status, body) = post(
        h.addr,
        "/ingest/epma",
        "x-application/hl7-v2+er7",
        adt("H1"),
    )
    .await;
    assert_eq!((status, &body), (202, &serde_json::json!({ "id": 1 })));
    let (status, _) = post(
        h.addr,
        "/ingest/epma",
        "text/plain; charset=utf-8",
        adt("H2"),
    )
    .await;
    assert_eq!(status, 202);
    let patient = r#"{"resourceType":"Patient","id":"p1"}"#;
    let (status, body) = post(h.addr, "/ingest/epma", "application/fhir+json", patient).await;
    assert_eq!((status, body["id"].as_i64()), (202, Some(3)));
    let accepted = h.ingest.accepted.lock().unwrap().clone();
    assert_eq!(accepted.len(), 3);
    assert_eq!(accepted[0].message_type.as_deref(), Some("ADT^A01"));
    assert_eq!(accepted[2].content_type, "application/fhir+json");
    assert_eq!(accepted[2].message_type.as_deref(), Some("Patient"));
    assert_eq!(accepted[2].raw.as_ref(), patient.as_bytes());
    assert!(
        accepted[2]
            .peer
            .as_deref()
            .unwrap()
            .starts_with("127.0.0.1:")
    );
    let (status, body) = post(h.addr, "/ingest/epma", "text/plain", adt("H1")).await;
    assert_eq!(
        (status, &body),
        (202, &serde_json::json!({ "id": 1, "duplicate": true }))
    );
    assert_eq!(
        metric(
            &h.registry,
            "junction_messages_accepted_total",
            &[("source", "epma"), ("type", "ADT^A01")]
        ),
        2.0
    );
    assert_eq!(
        metric(
            &h.registry,
            "junction_ack_latency_seconds",
            &[("source", "epma")]
        ),
        4.0
    );
}

#[tokio::test]
async fn bad_input_is_400_and_still_journaled() {
    let h = start().await;
    let (status, body) = post(
        h.addr,
        "/ingest/epma",
        "x-application/hl7-v2+er7",
        "PID|1||9990000018",
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["issue"][0]["code"], "structure");
    assert!(diagnostics(&body).contains("MSH"), "{body}");
    let (status, body) = post(
        h.addr,
        "/ingest/epma",
        "text/plain",
        "MSH|^~\\&|A|B|C|D|2026|||X1|P|2.4\r",
    )
    .await;
    assert_eq!(
        (status, body["issue"][0]["code"].as_str()),
        (400, Some("invalid"))
    );
    assert!(diagnostics(&body).contains("MSH-9"));
    let (status, body) = post(
        h.addr,
        "/ingest/epma",
        "application/fhir+json",
        r#"{"name":"SMITH""#,
    )
    .await;
    assert_eq!(
        (status, body["issue"][0]["code"].as_str()),
        (400, Some("structure"))
    );
    assert!(!diagnostics(&body).contains("SMITH"));
    let (status, body) = post(
        h.addr,
        "/ingest/epma",
        "application/fhir+json",
        r#"{"name":"SMITH"}"#,
    )
    .await;
    assert_eq!(
        (status, body["issue"][0]["code"].as_str()),
        (400, Some("invalid"))
    );
    assert!(diagnostics(&body).contains("resourceType"));
    let rejected = h.ingest.rejected_raw();
    assert_eq!(rejected.len(), 4);
    assert_eq!(rejected[0].0, b"PID|1||9990000018");
    assert!(h.ingest.accepted_raw().is_empty());
}

#[tokio::test]
async fn hl7_v3_xml_is_accepted_and_named_by_its_root_element() {
    let h = start().await;
    let xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<hl7:PORX_IN020101SM31 xmlns:hl7=\"urn:hl7-org:v3\"/>";
    let (status, _) = post(h.addr, "/ingest/epma", "application/xml", xml).await;
    assert_eq!(status, 202);
    let accepted = h.ingest.accepted.lock().unwrap().clone();
    assert_eq!(accepted[0].content_type, "application/xml");
    assert_eq!(
        accepted[0].message_type.as_deref(),
        Some("PORX_IN020101SM31")
    );
    let (status, body) = post(h.addr, "/ingest/epma", "text/xml", "not xml").await;
    assert_eq!(status, 400);
    assert!(diagnostics(&body).contains("no root element"));
}

#[tokio::test]
async fn other_content_types_unknown_sources_and_big_bodies_are_refused() {
    let h = start().await;
    let (status, body) = post(h.addr, "/ingest/epma", "application/pdf", "%PDF-1.7").await;
    assert_eq!(status, 415);
    diagnostics(&body);
    let (status, _) = post(h.addr, "/ingest/nobody", "text/plain", adt("X")).await;
    assert_eq!(status, 404);
    let (status, body) = post(h.addr, "/ingest/epma", "text/plain", vec![b'M'; 10_000]).await;
    assert_eq!(status, 413);
    assert!(diagnostics(&body).contains("4096"));
    assert!(h.ingest.accepted_raw().is_empty() && h.ingest.rejected_raw().is_empty());
    assert_eq!(
        metric(
            &h.registry,
            "junction_messages_rejected_total",
            &[("reason", "oversize")]
        ),
        1.0
    );
}

#[tokio::test]
async fn unavailable_journal_is_503() {
    let h = start().await;
    h.ingest.set_unavailable(true);
    let (status, body) = post(h.addr, "/ingest/epma", "text/plain", adt("U1")).await;
    assert_eq!(status, 503);
    assert_eq!(body["issue"][0]["code"], "transient");
    assert!(diagnostics(&body).contains("store is read-only"));
    let (status, _) = post(h.addr, "/ingest/epma", "text/plain", "garbage").await;
    assert_eq!(
        status, 503,
        "a rejection that could not be stored is not final either"
    );
}
