//! The FHIR simulator over real HTTP: status codes, OperationOutcomes, idempotent retries.

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use junction_sim::fhir::FhirServer;
use serde_json::{Value, json};

async fn start() -> (FhirServer, String) {
    let sim = FhirServer::new();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/fhir", listener.local_addr().unwrap());
    tokio::spawn(sim.clone().serve(listener, "/fhir"));
    (sim, base)
}

async fn call(
    method: &str,
    url: &str,
    content_type: &str,
    request_id: Option<&str>,
    body: &str,
) -> (u16, Value) {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let mut req = hyper::Request::builder()
        .method(method)
        .uri(url)
        .header("content-type", content_type);
    if let Some(id) = request_id {
        req = req.header("x-request-id", id);
    }
    let res = client
        .request(req.body(Full::new(Bytes::from(body.to_string()))).unwrap())
        .await
        .unwrap();
    let status = res.status().as_u16();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

const FHIR: &str = "application/fhir+json";

#[tokio::test]
async fn create_read_and_update() {
    let (sim, base) = start().await;
    let patient =
        json!({"resourceType": "Patient", "name": [{"family": "TESTPATIENT"}]}).to_string();
    let (status, created) = call("POST", &format!("{base}/Patient"), FHIR, None, &patient).await;
    assert_eq!(status, 201);
    let id = created["id"].as_str().unwrap().to_string();
    let (status, read) = call("GET", &format!("{base}/Patient/{id}"), FHIR, None, "").await;
    assert_eq!(
        (status, read["meta"]["versionId"].as_str()),
        (200, Some("1"))
    );
    let updated = json!({"resourceType": "Patient", "id": id, "active": true}).to_string();
    let (status, body) = call("PUT", &format!("{base}/Patient/{id}"), FHIR, None, &updated).await;
    assert_eq!(
        (status, body["meta"]["versionId"].as_str()),
        (200, Some("2"))
    );
    assert_eq!(sim.stats().writes, 2);
}

#[tokio::test]
async fn a_retry_with_the_same_request_id_creates_nothing_new() {
    let (sim, base) = start().await;
    let patient = json!({"resourceType": "Patient"}).to_string();
    let (s1, first) = call(
        "POST",
        &format!("{base}/Patient"),
        FHIR,
        Some("req-1"),
        &patient,
    )
    .await;
    let (s2, again) = call(
        "POST",
        &format!("{base}/Patient"),
        FHIR,
        Some("req-1"),
        &patient,
    )
    .await;
    assert_eq!((s1, s2), (201, 201));
    assert_eq!(first["id"], again["id"]);
    assert_eq!(sim.len(), 1);
    assert_eq!(sim.stats().replays, 1);
    let (_, other) = call(
        "POST",
        &format!("{base}/Patient"),
        FHIR,
        Some("req-2"),
        &patient,
    )
    .await;
    assert_ne!(first["id"], other["id"]);
}

#[tokio::test]
async fn message_and_transaction_bundles_store_every_entry() {
    let (sim, base) = start().await;
    let bundle = json!({"resourceType": "Bundle", "type": "message", "entry": [
        {"resource": {"resourceType": "MessageHeader", "id": "h1"}},
        {"resource": {"resourceType": "Patient", "id": "p1"}},
    ]})
    .to_string();
    let (status, body) = call(
        "POST",
        &format!("{base}/$process-message"),
        FHIR,
        None,
        &bundle,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["entry"].as_array().unwrap().len(), 2);
    assert!(sim.get("Patient", "p1").is_some());
    let tx = json!({"resourceType": "Bundle", "type": "transaction", "entry": [{"resource": {"resourceType": "Encounter"}}]}).to_string();
    let (status, body) = call("POST", &base, FHIR, None, &tx).await;
    assert_eq!(
        (status, body["type"].as_str()),
        (200, Some("transaction-response"))
    );
}

#[tokio::test]
async fn malformed_requests_get_operation_outcomes() {
    let (sim, base) = start().await;
    let cases = [
        (
            "POST",
            format!("{base}/Patient"),
            "text/plain",
            "{}",
            415,
            "not-supported",
        ),
        (
            "POST",
            format!("{base}/Patient"),
            FHIR,
            "{not json",
            400,
            "structure",
        ),
        (
            "POST",
            format!("{base}/Patient"),
            FHIR,
            "{\"a\":1}",
            400,
            "structure",
        ),
        (
            "POST",
            format!("{base}/Patient"),
            FHIR,
            "{\"resourceType\":\"Encounter\"}",
            400,
            "invalid",
        ),
        (
            "PUT",
            format!("{base}/Patient/x"),
            FHIR,
            "{\"resourceType\":\"Patient\",\"id\":\"y\"}",
            400,
            "invalid",
        ),
        (
            "GET",
            format!("{base}/Patient/missing"),
            FHIR,
            "",
            404,
            "not-found",
        ),
        (
            "POST",
            base.clone(),
            FHIR,
            "{\"resourceType\":\"Bundle\",\"type\":\"searchset\"}",
            400,
            "invalid",
        ),
    ];
    for (method, url, ct, body, status, code) in cases {
        let (got, outcome) = call(method, &url, ct, None, body).await;
        assert_eq!(got, status, "{method} {url} {body}");
        assert_eq!(outcome["resourceType"], "OperationOutcome");
        assert_eq!(outcome["issue"][0]["code"], code, "{method} {url} {body}");
    }
    assert!(sim.is_empty());
}
