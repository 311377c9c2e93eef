//! The HTTP source: `POST /ingest/{source}` with an HL7 v2 message or a FHIR JSON resource.
//! Answers 202 `{"id": …}` after the journal commit; 400 with an OperationOutcome for bad input
//! (the bytes are still journaled as rejected); 404 for an unknown source; 413 over the body
//! limit; 415 for other content types; 503 when the journal is unavailable. Built as an
//! [`axum::Router`] so the binary can merge it with the admin API.

mod outcome;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use bytes::Bytes;
use tracing::{debug, info, warn};

pub use outcome::operation_outcome;

use crate::hl7::{self, Info, Invalid};
use crate::ingest::{
    FHIR_JSON_CONTENT_TYPE, HL7V2_CONTENT_TYPE, Inbound, Ingest, IngestOutcome, XML_CONTENT_TYPE,
};
use crate::metrics::{Metrics, RejectReason};

/// Settings for the HTTP source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpSourceConfig {
    /// Source names accepted in the path; any other answers 404 (names become metric labels,
    /// so they must come from config, not from the request).
    pub sources: Vec<String>,
    /// Largest body accepted, in bytes; larger answers 413.
    pub max_body: usize,
}

impl HttpSourceConfig {
    /// These sources, 10 MiB bodies.
    pub fn new(sources: impl IntoIterator<Item = impl Into<String>>) -> Self {
        Self {
            sources: sources.into_iter().map(Into::into).collect(),
            max_body: 10 * 1024 * 1024,
        }
    }
}

struct HttpState<I> {
    config: HttpSourceConfig,
    ingest: Arc<I>,
    metrics: Metrics,
}

/// The ingest routes (`POST /ingest/{source}`), ready to merge into the binary's router. Serve
/// with `into_make_service_with_connect_info::<SocketAddr>()` to record peers.
pub fn router<I: Ingest>(config: HttpSourceConfig, ingest: Arc<I>, metrics: Metrics) -> Router {
    let state = Arc::new(HttpState {
        config,
        ingest,
        metrics,
    });
    Router::new()
        .route("/ingest/{source}", post(handle::<I>))
        .with_state(state)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Hl7,
    Fhir,
    Xml,
}

fn kind_of(headers: &HeaderMap) -> Option<Kind> {
    let value = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    let essence = value.split(';').next()?.trim().to_ascii_lowercase();
    match essence.as_str() {
        "x-application/hl7-v2+er7" | "text/plain" => Some(Kind::Hl7),
        "application/fhir+json" => Some(Kind::Fhir),
        "application/xml" | "text/xml" | "application/hl7-v3+xml" => Some(Kind::Xml),
        _ => None,
    }
}

async fn handle<I: Ingest>(
    State(st): State<Arc<HttpState<I>>>,
    Path(source): Path<String>,
    req: Request,
) -> Response {
    let Some(source) = st.config.sources.iter().find(|s| **s == source).cloned() else {
        return error(StatusCode::NOT_FOUND, "not-found", "no such ingest source");
    };
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.to_string());
    let Some(kind) = kind_of(req.headers()) else {
        return error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "not-supported",
            "Content-Type must be x-application/hl7-v2+er7, text/plain, application/fhir+json or application/xml (HL7 v3)",
        );
    };
    let body = match read_body(req.into_body(), st.config.max_body).await {
        Ok(b) => b,
        Err(status) => {
            if status == StatusCode::PAYLOAD_TOO_LARGE {
                st.metrics.received(&source, None);
                st.metrics.rejected(&source, RejectReason::Oversize);
                warn!(
                    source,
                    peer,
                    limit = st.config.max_body,
                    "HTTP ingest body too large"
                );
                let text = format!("body exceeds {} bytes", st.config.max_body);
                return error(status, "too-long", &text);
            }
            return error(status, "incomplete", "could not read the request body");
        }
    };
    let started = Instant::now();
    let (checked, content_type) = match kind {
        Kind::Hl7 => (check_hl7(&body), HL7V2_CONTENT_TYPE),
        Kind::Fhir => (outcome::check_fhir(&body), FHIR_JSON_CONTENT_TYPE),
        Kind::Xml => (outcome::check_xml(&body), XML_CONTENT_TYPE),
    };
    let (info, invalid) = match checked {
        Ok(info) => (info, None),
        Err(invalid) => (invalid.info.clone(), Some(invalid)),
    };
    st.metrics.received(&source, info.message_type.as_deref());
    let message_type = info.message_type.clone();
    let msg = Inbound {
        source: source.clone(),
        peer: peer.clone(),
        received_at_ms: crate::now_ms(),
        content_type: content_type.to_string(),
        raw: body,
        message_type: info.message_type,
        control_id: info.control_id,
        sender: info.sender,
    };
    let res = match &invalid {
        None => st.ingest.accept(msg).await,
        Some(invalid) => st.ingest.reject(msg, invalid.reason().to_string()).await,
    };
    let response = match (res, invalid) {
        (IngestOutcome::Unavailable { reason }, _) => {
            st.metrics.rejected(&source, RejectReason::Unavailable);
            warn!(source, peer, reason, "journal unavailable: 503");
            let text = format!("message not stored, resend later: {reason}");
            error(StatusCode::SERVICE_UNAVAILABLE, "transient", &text)
        }
        (IngestOutcome::Accepted { id }, None) => {
            st.metrics.accepted(&source, message_type.as_deref());
            debug!(source, peer, journal_id = id, "HTTP message journaled");
            accepted(id, false)
        }
        (IngestOutcome::Duplicate { original }, None) => {
            st.metrics.duplicate(&source);
            debug!(source, peer, journal_id = original, "HTTP duplicate");
            accepted(original, true)
        }
        (
            IngestOutcome::Accepted { id } | IngestOutcome::Duplicate { original: id },
            Some(invalid),
        ) => {
            st.metrics.rejected(&source, invalid.kind);
            info!(
                source,
                peer,
                journal_id = id,
                reason = invalid.reason(),
                "HTTP message rejected"
            );
            let code = if invalid.kind == RejectReason::Validate {
                "invalid"
            } else {
                "structure"
            };
            error(StatusCode::BAD_REQUEST, code, invalid.reason())
        }
    };
    st.metrics.ack_latency(&source, started);
    response
}

fn check_hl7(body: &[u8]) -> Result<Info, Invalid> {
    if junction_hl7v2::Batch::is_batch(body) {
        return Err(Invalid::other(
            RejectReason::Parse,
            "HL7 v2 batches are not accepted over HTTP: send one message per request".into(),
        ));
    }
    hl7::check(body)
}

async fn read_body(body: Body, limit: usize) -> Result<Bytes, StatusCode> {
    axum::body::to_bytes(body, limit).await.map_err(|e| {
        let too_large = std::error::Error::source(&e)
            .is_some_and(|s| s.is::<http_body_util::LengthLimitError>())
            || e.to_string().contains("length limit");
        if too_large {
            StatusCode::PAYLOAD_TOO_LARGE
        } else {
            StatusCode::BAD_REQUEST
        }
    })
}

fn accepted(id: i64, duplicate: bool) -> Response {
    let body = if duplicate {
        serde_json::json!({ "id": id, "duplicate": true })
    } else {
        serde_json::json!({ "id": id })
    };
    (StatusCode::ACCEPTED, axum::Json(body)).into_response()
}

fn error(status: StatusCode, code: &str, diagnostics: &str) -> Response {
    let body = operation_outcome(code, diagnostics).to_string();
    (
        status,
        [(header::CONTENT_TYPE, FHIR_JSON_CONTENT_TYPE)],
        body,
    )
        .into_response()
}
