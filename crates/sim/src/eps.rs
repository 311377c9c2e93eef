//! An EPS (Electronic Prescription Service) prescribing API simulator, from the published
//! OpenAPI spec: `POST /electronic-prescriptions/FHIR/R4/$prepare` and
//! `POST …/$process-message` (`prescription-order`, `prescription-order-update`).
//!
//! It checks strictly what the spec requires (headers, content type, the message Bundle's
//! shape, required resources and fields, NHS number and prescription id check characters; see
//! [`validate`], [`checks`]) and answers the spec's shapes: a `Parameters` (digest, timestamp, algorithm)
//! for `$prepare`, an OperationOutcome for a prescription order, a cancel-response Bundle
//! (`R-0001` …) for a cancellation, and OperationOutcomes coded from
//! `https://fhir.nhs.uk/R4/CodeSystem/Spine-ErrorOrWarningCode` for errors. `X-Request-ID` is
//! the idempotency key: a repeat of a request that succeeded gets the first answer and is not
//! recorded again (a failed request may be resent with the same id, as the spec says). Tests
//! read what it accepted ([`EpsSim::accepted`]) and inject failures ([`EpsSim::fail_next`]).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::Value;

mod answers;
pub mod checks;
pub mod validate;

pub use validate::Operation;

/// Where the API is mounted.
pub const BASE: &str = "/electronic-prescriptions/FHIR/R4";
/// The FHIR JSON content type.
pub const FHIR_JSON: &str = "application/fhir+json";

/// How strict the simulator is beyond the spec's always-on checks.
#[derive(Debug, Clone, Copy, Default)]
pub struct EpsSimOptions {
    /// Accept only `Authorization: Bearer <token>` (a live environment); the sandbox takes none.
    pub require_auth: bool,
    /// Refuse a `prescription-order` without a signed Provenance (`MISSING_DIGITAL_SIGNATURE`).
    pub require_signature: bool,
}

/// One request the simulator accepted.
#[derive(Debug, Clone)]
pub struct Accepted {
    /// What it was.
    pub operation: Operation,
    /// Its `X-Request-ID`.
    pub request_id: String,
    /// Its `X-Correlation-ID`.
    pub correlation_id: Option<String>,
    /// Its `NHSD-Session-URID`.
    pub session_urid: String,
    /// The Bundle as received.
    pub bundle: Value,
}

/// A failure to answer the next request with, instead of processing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// This status with an OperationOutcome (e.g. 500, 503, 504).
    Status(u16),
    /// 429 with `Retry-After: <secs>`.
    TooManyRequests {
        /// The `Retry-After` seconds.
        retry_after_secs: u64,
    },
}

#[derive(Default)]
struct Prescription {
    nhs_number: String,
    /// Line item id → cancelled.
    items: HashMap<String, bool>,
}

#[derive(Default)]
struct Inner {
    answers: HashMap<String, (StatusCode, Value)>,
    accepted: Vec<Accepted>,
    failures: VecDeque<Failure>,
    prescriptions: HashMap<String, Prescription>,
    replays: u64,
}

/// The simulator's shared state.
#[derive(Clone, Default)]
pub struct EpsSim {
    inner: Arc<Mutex<Inner>>,
    opts: EpsSimOptions,
}

impl EpsSim {
    /// An empty simulator.
    pub fn new(opts: EpsSimOptions) -> Self {
        Self {
            inner: Arc::default(),
            opts,
        }
    }

    /// Every request accepted so far, in order.
    pub fn accepted(&self) -> Vec<Accepted> {
        self.lock().accepted.clone()
    }

    /// How many requests were answered from the idempotency cache.
    pub fn replays(&self) -> u64 {
        self.lock().replays
    }

    /// Answers the next request that passes the auth and `X-Request-ID` checks with `failure`
    /// (queued: several calls fail several requests).
    pub fn fail_next(&self, failure: Failure) {
        self.lock().failures.push_back(failure);
    }

    /// The routes, under [`BASE`].
    pub fn router(&self) -> Router {
        Router::new()
            .route(&format!("{BASE}/$prepare"), post(prepare))
            .route(&format!("{BASE}/$process-message"), post(process_message))
            .with_state(self.clone())
    }

    /// Serves on `listener` until the task is dropped.
    pub async fn serve(self, listener: tokio::net::TcpListener) -> std::io::Result<()> {
        axum::serve(listener, self.router()).await
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn handle(&self, prepare: bool, headers: &HeaderMap, body: &Bytes) -> Response {
        if self.opts.require_auth && !bearer_ok(headers) {
            let oo = checks::outcome(
                "forbidden",
                "ACCESS_DENIED",
                "Access Denied - Unauthorised",
                "missing or invalid bearer token",
            );
            return answer(StatusCode::UNAUTHORIZED, &oo, headers);
        }
        let request_id = match checks::request_id(headers) {
            Ok(id) => id,
            Err(r) => return answer(r.status, &r.body, headers),
        };
        let mut inner = self.lock();
        if let Some((status, body)) = inner.answers.get(&request_id).cloned() {
            inner.replays += 1;
            return answer(status, &body, headers);
        }
        if let Some(failure) = inner.failures.pop_front() {
            return injected(failure, headers);
        }
        let checked = checks::headers(headers).and_then(|urid| {
            let msg = validate::message(prepare, body, self.opts.require_signature)?;
            Ok((urid, msg))
        });
        let (urid, msg) = match checked {
            Ok(ok) => ok,
            Err(r) => return answer(r.status, &r.body, headers),
        };
        let result = match msg.operation {
            Operation::Prepare => Ok(answers::prepared(&msg)),
            Operation::Order => answers::order(&mut inner, &msg),
            Operation::Cancel => answers::cancel(&mut inner, &msg),
        };
        let (status, body_out) = match result {
            Ok(body) => (StatusCode::OK, body),
            Err(r) => return answer(r.status, &r.body, headers),
        };
        inner
            .answers
            .insert(request_id.clone(), (status, body_out.clone()));
        inner.accepted.push(Accepted {
            operation: msg.operation,
            request_id,
            correlation_id: headers
                .get("x-correlation-id")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string),
            session_urid: urid,
            bundle: msg.bundle,
        });
        answer(status, &body_out, headers)
    }
}

/// The bearer check of a live environment: `Authorization: Bearer <non-empty token>`.
pub fn bearer_ok(headers: &HeaderMap) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|token| !token.trim().is_empty())
}

async fn prepare(State(sim): State<EpsSim>, headers: HeaderMap, body: Bytes) -> Response {
    sim.handle(true, &headers, &body)
}

async fn process_message(State(sim): State<EpsSim>, headers: HeaderMap, body: Bytes) -> Response {
    sim.handle(false, &headers, &body)
}

fn answer(status: StatusCode, body: &Value, req: &HeaderMap) -> Response {
    let mut res = (status, body.to_string()).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(FHIR_JSON));
    for name in ["x-request-id", "x-correlation-id"] {
        if let Some(v) = req.get(name) {
            h.insert(name, v.clone());
        }
    }
    res
}

fn injected(failure: Failure, headers: &HeaderMap) -> Response {
    match failure {
        Failure::TooManyRequests { retry_after_secs } => {
            let oo = checks::outcome(
                "throttled",
                "TOO_MANY_REQUESTS",
                "Too Many Requests",
                "rate limit exceeded",
            );
            let mut res = answer(StatusCode::TOO_MANY_REQUESTS, &oo, headers);
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
            res
        }
        Failure::Status(code) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let oo = checks::outcome(
                "exception",
                "INTERNAL_SERVER_ERROR",
                "Unexpected internal server error",
                "simulated failure",
            );
            answer(status, &oo, headers)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_needs_a_token() {
        let mut h = HeaderMap::new();
        assert!(!bearer_ok(&h));
        for (value, ok) in [
            ("Bearer abc", true),
            ("Bearer ", false),
            ("Bearer   ", false),
            ("Basic abc", false),
        ] {
            h.insert(header::AUTHORIZATION, HeaderValue::from_static(value));
            assert_eq!(bearer_ok(&h), ok, "{value}");
        }
    }
}
