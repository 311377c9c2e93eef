//! A FHIR R4 server simulator: `POST [base]` (transaction/batch Bundle), `POST [base]/$process-message`,
//! `POST [base]/{type}`, `PUT [base]/{type}/{id}`, `GET [base]/{type}/{id}`, `GET [base]/metadata`.
//!
//! It keeps resources in memory, answers with the status codes and `OperationOutcome`s the FHIR
//! RESTful API specifies, and treats `X-Request-ID` as an idempotency key: a retried request
//! with the same id gets the first answer again and creates nothing new.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

const FHIR_JSON: &str = "application/fhir+json";

/// What the simulator has seen, for tests and the demo.
#[derive(Debug, Default, Clone)]
pub struct Stats {
    /// Requests that created or updated something.
    pub writes: u64,
    /// Requests answered from the idempotency cache (same `X-Request-ID`).
    pub replays: u64,
    /// Requests refused as malformed.
    pub rejected: u64,
}

#[derive(Default)]
struct Inner {
    resources: HashMap<(String, String), Value>,
    answers: HashMap<String, (StatusCode, Value)>,
    next_id: u64,
    stats: Stats,
}

/// The simulator's shared state.
#[derive(Clone, Default)]
pub struct FhirServer {
    inner: Arc<Mutex<Inner>>,
}

impl FhirServer {
    /// An empty server.
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts so far.
    pub fn stats(&self) -> Stats {
        self.lock().stats.clone()
    }

    /// A stored resource.
    pub fn get(&self, resource_type: &str, id: &str) -> Option<Value> {
        self.lock()
            .resources
            .get(&(resource_type.to_string(), id.to_string()))
            .cloned()
    }

    /// How many resources are stored.
    pub fn len(&self) -> usize {
        self.lock().resources.len()
    }

    /// True when nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The routes, mounted under `base` (e.g. `/fhir`).
    pub fn router(&self, base: &str) -> Router {
        let base = base.trim_end_matches('/');
        Router::new()
            .route(&format!("{base}/metadata"), get(metadata))
            .route(&format!("{base}/{{rtype}}"), post(create))
            .route(&format!("{base}/{{rtype}}/{{id}}"), get(read).put(update))
            .route(&format!("{base}/"), post(bundle))
            .route(base, post(bundle))
            .with_state(self.clone())
    }

    /// Serves on `listener` until the task is dropped.
    pub async fn serve(self, listener: tokio::net::TcpListener, base: &str) -> std::io::Result<()> {
        axum::serve(listener, self.router(base)).await
    }

    /// Runs a write once per `X-Request-ID`.
    fn idempotent(
        &self,
        headers: &HeaderMap,
        write: impl FnOnce(&mut Inner) -> (StatusCode, Value),
    ) -> Response {
        let key = headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let mut inner = self.lock();
        if let Some(answer) = key.as_ref().and_then(|k| inner.answers.get(k)).cloned() {
            inner.stats.replays += 1;
            return fhir(answer.0, &answer.1, headers);
        }
        let answer = write(&mut inner);
        if answer.0.is_success() {
            inner.stats.writes += 1;
            if let Some(k) = key {
                inner.answers.insert(k, answer.clone());
            }
        } else {
            inner.stats.rejected += 1;
        }
        fhir(answer.0, &answer.1, headers)
    }
}

fn fhir(status: StatusCode, body: &Value, req: &HeaderMap) -> Response {
    let mut res = (status, body.to_string()).into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(FHIR_JSON));
    if let Some(id) = req.get("x-request-id") {
        res.headers_mut().insert("x-request-id", id.clone());
    }
    res
}

/// An OperationOutcome with one error issue.
pub fn outcome(code: &str, diagnostics: &str) -> Value {
    json!({
        "resourceType": "OperationOutcome",
        "issue": [{ "severity": "error", "code": code, "diagnostics": diagnostics }]
    })
}

/// Checks the content type and parses a JSON object with a `resourceType`.
fn parse(headers: &HeaderMap, body: &Bytes) -> Result<Value, (StatusCode, Value)> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mime = ct.split(';').next().unwrap_or("").trim();
    if mime != FHIR_JSON && mime != "application/json" {
        return Err((
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            outcome(
                "not-supported",
                "Content-Type must be application/fhir+json",
            ),
        ));
    }
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        (
            StatusCode::BAD_REQUEST,
            outcome(
                "structure",
                &format!("not JSON: line {} column {}", e.line(), e.column()),
            ),
        )
    })?;
    if value.get("resourceType").and_then(Value::as_str).is_none() {
        return Err((
            StatusCode::BAD_REQUEST,
            outcome("structure", "no resourceType"),
        ));
    }
    Ok(value)
}

fn store(inner: &mut Inner, mut resource: Value, id: Option<String>) -> (StatusCode, Value) {
    let rtype = resource["resourceType"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let id = id.unwrap_or_else(|| {
        inner.next_id += 1;
        format!("sim-{}", inner.next_id)
    });
    let version = inner
        .resources
        .get(&(rtype.clone(), id.clone()))
        .map_or(1, |old| {
            old["meta"]["versionId"]
                .as_str()
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(1)
                + 1
        });
    resource["id"] = json!(id);
    resource["meta"]["versionId"] = json!(version.to_string());
    let status = if version == 1 {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    inner.resources.insert((rtype, id), resource.clone());
    (status, resource)
}

async fn metadata() -> Response {
    let body = json!({
        "resourceType": "CapabilityStatement",
        "status": "active",
        "kind": "instance",
        "fhirVersion": "4.0.1",
        "format": [FHIR_JSON],
        "rest": [{ "mode": "server" }]
    });
    fhir(StatusCode::OK, &body, &HeaderMap::new())
}

async fn create(
    State(sim): State<FhirServer>,
    Path(rtype): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if rtype == "$process-message" {
        return bundle(State(sim), headers, body).await;
    }
    sim.idempotent(&headers, |inner| match parse(&headers, &body) {
        Err(e) => e,
        Ok(r) if r["resourceType"] != json!(rtype) => (
            StatusCode::BAD_REQUEST,
            outcome("invalid", "resourceType does not match the URL"),
        ),
        Ok(r) => store(inner, r, None),
    })
}

async fn update(
    State(sim): State<FhirServer>,
    Path((rtype, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    sim.idempotent(&headers, |inner| match parse(&headers, &body) {
        Err(e) => e,
        Ok(r) if r["resourceType"] != json!(rtype) => (
            StatusCode::BAD_REQUEST,
            outcome("invalid", "resourceType does not match the URL"),
        ),
        Ok(r) if r.get("id").and_then(Value::as_str) != Some(id.as_str()) => (
            StatusCode::BAD_REQUEST,
            outcome("invalid", "id in the body does not match the URL"),
        ),
        Ok(r) => store(inner, r, Some(id)),
    })
}

async fn read(
    State(sim): State<FhirServer>,
    Path((rtype, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    match sim.get(&rtype, &id) {
        Some(r) => fhir(StatusCode::OK, &r, &headers),
        None => fhir(
            StatusCode::NOT_FOUND,
            &outcome("not-found", "no such resource"),
            &headers,
        ),
    }
}

/// A Bundle posted to the base (transaction/batch) or to `$process-message` (message): every
/// entry's resource is stored; the answer is a response Bundle.
async fn bundle(State(sim): State<FhirServer>, headers: HeaderMap, body: Bytes) -> Response {
    sim.idempotent(&headers, |inner| {
        let bundle = match parse(&headers, &body) {
            Err(e) => return e,
            Ok(b) if b["resourceType"] != "Bundle" => return (StatusCode::BAD_REQUEST, outcome("invalid", "expected a Bundle")),
            Ok(b) => b,
        };
        let kind = bundle["type"].as_str().unwrap_or_default().to_string();
        if !matches!(kind.as_str(), "transaction" | "batch" | "message" | "collection") {
            return (StatusCode::BAD_REQUEST, outcome("invalid", "Bundle.type must be transaction, batch, message or collection"));
        }
        let entries = bundle["entry"].as_array().cloned().unwrap_or_default();
        let mut responses = Vec::new();
        for entry in entries {
            let Some(resource) = entry.get("resource").cloned().filter(|r| r["resourceType"].is_string()) else {
                return (StatusCode::BAD_REQUEST, outcome("structure", "an entry has no resource"));
            };
            let id = resource.get("id").and_then(Value::as_str).map(str::to_string);
            let (status, stored) = store(inner, resource, id);
            responses.push(json!({ "response": {
                "status": status.as_u16().to_string(),
                "location": format!("{}/{}", stored["resourceType"].as_str().unwrap_or_default(), stored["id"].as_str().unwrap_or_default()),
            }}));
        }
        let response_type = match kind.as_str() {
            "transaction" => "transaction-response",
            "batch" => "batch-response",
            _ => "collection",
        };
        (StatusCode::OK, json!({ "resourceType": "Bundle", "type": response_type, "entry": responses }))
    })
}
