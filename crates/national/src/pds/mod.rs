//! PDS, the Personal Demographics Service (`…/personal-demographics/FHIR/R4`): a [`PdsClient`]
//! over the platform's [`ServiceClient`] that reads `GET /Patient/{nhsNumber}`, and the routing
//! step `pds_verify` built on it ([`Verifier`]: compare the event's patient with PDS, annotate
//! the event) plus [`redact_restricted`] for destinations that may not see a restricted
//! record's location.
//!
//! Errors and outcome strings never carry the NHS number: PDS's own diagnostics are dropped,
//! only its Spine error code (`ACCESS_DENIED`, `SERVICE_UNAVAILABLE`, …) is kept.

use std::time::Duration;

use http::StatusCode;
use junction_connectors::{ConnectorError, SendOutcome};
use junction_model::NhsNumber;
use junction_model::fhir::Patient;
use serde_json::Value;

use crate::platform::{ApiError, ApiRequest, ApiResponse, ServiceClient, ServiceConfig};

mod cache;
mod compare;
mod redact;
mod verify;

pub use compare::{Comparison, Field, compare};
pub use redact::redact_restricted;
pub use verify::{Verifier, VerifierConfig};

/// What PDS holds for an NHS number.
#[derive(Debug, Clone, PartialEq)]
pub enum Lookup {
    /// The patient (for a superseded number, the superseding record: its id differs).
    Found(Box<PdsPatient>),
    /// No record (`RESOURCE_NOT_FOUND`).
    NotFound,
    /// The record was invalidated and not superseded (`INVALIDATED_RESOURCE`).
    Invalidated,
    /// PDS says the number is not a valid NHS number (`INVALID_RESOURCE_ID`).
    InvalidNhsNumber,
}

/// A patient as PDS returned it.
#[derive(Debug, Clone, PartialEq)]
pub struct PdsPatient {
    /// The record.
    pub patient: Patient,
    /// The `ETag` version (`W/"2"` → `2`), needed for a later PATCH.
    pub version: Option<String>,
}

impl PdsPatient {
    /// The NHS number PDS holds the record under (its `id`).
    pub fn nhs_number(&self) -> Option<NhsNumber> {
        self.patient
            .id
            .as_deref()
            .and_then(|id| NhsNumber::parse(id).ok())
    }

    /// True when `meta.security` marks the record restricted (`R`) or very restricted (`V`).
    pub fn restricted(&self) -> bool {
        self.patient.meta.as_ref().is_some_and(|m| {
            m.security
                .iter()
                .any(|c| matches!(c.code.as_deref(), Some("R" | "V")))
        })
    }
}

/// Why PDS gave no usable answer. Never carries the NHS number or patient data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PdsError {
    /// No answer: transport, timeout or no token.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// PDS is overloaded or down (408, 429, 5xx): try again later.
    #[error("pds: HTTP {status} ({code}), try again later")]
    Unavailable {
        /// The status.
        status: u16,
        /// PDS's Spine error code, or `-`.
        code: String,
        /// How long PDS asked us to wait.
        retry_after: Option<Duration>,
    },
    /// PDS refused the request (a 4xx other than not-found): auth or configuration.
    #[error("pds: refused: HTTP {status} ({code})")]
    Refused {
        /// The status.
        status: u16,
        /// PDS's Spine error code, or `-`.
        code: String,
    },
    /// A 200 whose body is not a Patient.
    #[error("pds: the answer is not a Patient resource")]
    Malformed,
}

impl PdsError {
    /// Whether the same request may succeed later (everything but a refusal or a bad body).
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Api(_) | Self::Unavailable { .. })
    }

    /// As a delivery outcome: retry when [`Self::is_retryable`], else permanent.
    pub fn outcome(&self) -> SendOutcome {
        match self {
            Self::Unavailable { retry_after, .. } => SendOutcome::Retry {
                error: self.to_string(),
                retry_after: *retry_after,
            },
            e if e.is_retryable() => SendOutcome::retry(e.to_string()),
            e => SendOutcome::permanent(e.to_string()),
        }
    }
}

/// A PDS client.
pub struct PdsClient {
    client: ServiceClient,
}

impl PdsClient {
    /// Builds the client for `config` (its base URL ends in `/personal-demographics/FHIR/R4`).
    pub fn new(config: ServiceConfig) -> Result<Self, ConnectorError> {
        Ok(Self::from_service(ServiceClient::new(config)?))
    }

    /// Wraps an existing service client.
    pub fn from_service(client: ServiceClient) -> Self {
        Self { client }
    }

    /// Counts lookups, token fetches and 429 answers in `metrics`.
    pub fn with_metrics(self, metrics: crate::metrics::NationalMetrics) -> Self {
        Self {
            client: self.client.with_metrics(metrics),
        }
    }

    /// The metrics its service client counts in.
    pub fn metrics(&self) -> &crate::metrics::NationalMetrics {
        self.client.metrics()
    }

    /// `GET /Patient/{nhsNumber}` with a fresh `X-Request-ID` and, when given,
    /// `X-Correlation-ID`.
    pub async fn get_patient(
        &self,
        nhs_number: &NhsNumber,
        correlation_id: Option<&str>,
    ) -> Result<Lookup, PdsError> {
        let mut req = ApiRequest::get(format!("/Patient/{}", nhs_number.as_digits()));
        req.correlation_id = correlation_id.map(str::to_string);
        let res = self.client.send(&req).await?;
        read_answer(&res)
    }
}

/// Turns PDS's answer into a [`Lookup`] or an error.
fn read_answer(res: &ApiResponse) -> Result<Lookup, PdsError> {
    if res.status == StatusCode::OK {
        let patient: Patient =
            serde_json::from_slice(&res.body).map_err(|_| PdsError::Malformed)?;
        let version = res
            .headers
            .get(http::header::ETAG)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.trim_start_matches("W/").trim_matches('"').to_string());
        return Ok(Lookup::Found(Box::new(PdsPatient { patient, version })));
    }
    let code = spine_code(&res.body);
    match (res.status.as_u16(), code.as_str()) {
        (404, "INVALIDATED_RESOURCE") => Ok(Lookup::Invalidated),
        (404, _) => Ok(Lookup::NotFound),
        (400, "INVALID_RESOURCE_ID") => Ok(Lookup::InvalidNhsNumber),
        (status, _) if junction_connectors::http_client::is_transient(res.status) => {
            Err(PdsError::Unavailable {
                status,
                code,
                retry_after: junction_connectors::http_client::retry_after(&res.headers),
            })
        }
        (status, _) => Err(PdsError::Refused { status, code }),
    }
}

/// The first issue's Spine error code (`details.coding[0].code`), if it looks like one
/// (upper-case letters, digits and `_`), else `-`.
fn spine_code(body: &[u8]) -> String {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| {
            v.pointer("/issue/0/details/coding/0/code")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .filter(|c| {
            !c.is_empty()
                && c.len() <= 64
                && c.bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
        })
        .unwrap_or_else(|| "-".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spine_codes_only() {
        let body = br#"{"resourceType":"OperationOutcome","issue":[{"details":{"coding":[{"code":"ACCESS_DENIED"}]}}]}"#;
        assert_eq!(spine_code(body), "ACCESS_DENIED");
        let leaky = br#"{"issue":[{"details":{"coding":[{"code":"bad 9000000009"}]}}]}"#;
        assert_eq!(spine_code(leaky), "-");
        assert_eq!(spine_code(b"not json"), "-");
    }
}
