//! [`EpsSink`]: delivers `prescription.issued` events as `$prepare` then `$process-message`
//! (`prescription-order`), and `prescription.cancelled` events as `$process-message`
//! (`prescription-order-update`), through the API platform client.
//!
//! Headers, as the EPS spec requires for prescribing: `X-Request-ID` (the delivery's stable
//! id for `$process-message`; for `$prepare` a second UUID derived from it, since "each new
//! HTTP request must use a different X-Request-ID" yet a resend must repeat it),
//! `X-Correlation-ID` (the journal id of the message), `NHSD-Session-URID` (the prescriber's
//! SDS role profile id, else the configured one), `Content-Type: application/fhir+json`, and
//! the bearer token the client adds. Outcomes: 2xx delivered; EPS errors carry their code and
//! display (OperationOutcome `details.coding`, or a cancel-response Bundle's
//! `DM-PrescriptionTaskStatusReason`); 4xx permanent, 408/429/5xx retry.

use bytes::Bytes;
use junction_connectors::http_client;
use junction_connectors::{ConnectorError, OutboundDelivery, SendOutcome, Sink};
use junction_model::{Event, EventKind};
use serde_json::Value;

use super::FHIR_JSON;
use super::build::{build_cancellation, build_prescription_order, is_signed, prepare_body};
use super::config::{EpsConfig, EpsConfigError, check_config};
use super::read;
use crate::platform::{ApiRequest, ApiResponse, ServiceClient, ServiceConfig};

const SDS_ROLE: &str = "https://fhir.nhs.uk/Id/sds-role-profile-id";
const TASK_STATUS_REASON: &str =
    "https://fhir.nhs.uk/StructureDefinition/Extension-DM-PrescriptionTaskStatusReason";
/// The error of an unsigned prescription bound for a live endpoint.
pub const UNSIGNED_REFUSED: &str = "EPS: unsigned prescription refused for a live endpoint";

/// The EPS destination could not be built.
#[derive(Debug, thiserror::Error)]
pub enum EpsSinkError {
    /// The EPS settings are refused (see [`check_config`]).
    #[error(transparent)]
    Config(#[from] EpsConfigError),
    /// The HTTP client could not be built.
    #[error(transparent)]
    Client(#[from] ConnectorError),
}

/// The EPS sink.
pub struct EpsSink {
    client: ServiceClient,
    config: EpsConfig,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Operation {
    Order,
    Cancel,
}

impl EpsSink {
    /// Checks `config` against the endpoint ([`check_config`]) and builds the client.
    pub fn new(service: ServiceConfig, config: EpsConfig) -> Result<Self, EpsSinkError> {
        check_config(&config, &service.base_url)?;
        let client = ServiceClient::new(service)?;
        Ok(Self { client, config })
    }

    /// Counts the client's token fetches and 429 answers in `metrics`.
    pub fn with_metrics(mut self, metrics: crate::metrics::NationalMetrics) -> Self {
        self.client = self.client.with_metrics(metrics);
        self
    }

    /// The platform client (its name, its delivery request ids).
    pub fn client(&self) -> &ServiceClient {
        &self.client
    }

    async fn deliver(&self, d: &OutboundDelivery) -> SendOutcome {
        let event = match Event::from_json(&d.payload) {
            Ok(e) => e,
            Err(e) => {
                return SendOutcome::permanent(format!(
                    "EPS: the payload is not a Junction event: {e}"
                ));
            }
        };
        let opts = &self.config.options;
        let (op, built) = match &event.kind {
            EventKind::PrescriptionIssued => {
                (Operation::Order, build_prescription_order(&event, opts))
            }
            EventKind::PrescriptionCancelled => {
                (Operation::Cancel, build_cancellation(&event, opts))
            }
            other => {
                return SendOutcome::permanent(format!(
                    "EPS: takes prescription.issued and prescription.cancelled events, not {other}"
                ));
            }
        };
        let bundle = match built {
            Ok(b) => b,
            Err(e) => return SendOutcome::permanent(e.to_string()),
        };
        if op == Operation::Order && !is_signed(&bundle) && !self.config.allow_unsigned {
            return SendOutcome::permanent(UNSIGNED_REFUSED);
        }
        let Some(urid) = session_urid(&bundle, &self.config) else {
            return SendOutcome::permanent(
                "EPS: no NHSD-Session-URID: the prescriber has no SDS role profile id and none is configured",
            );
        };
        let request_id = self.client.delivery_request_id(d.id);
        let correlation_id = d.message_id.to_string();
        if op == Operation::Order {
            let prepare_id = read::derived_id(&[&request_id, "$prepare"]);
            let req = request(
                "/$prepare",
                &prepare_body(&bundle),
                prepare_id,
                &correlation_id,
                &urid,
            );
            let res = match self.client.send(&req).await {
                Ok(r) => r,
                Err(e) => return labelled("$prepare", e.outcome()),
            };
            let outcome = judge(&res);
            if outcome != SendOutcome::Delivered {
                return labelled("$prepare", outcome);
            }
            if !has_digest(&res) {
                return SendOutcome::retry("EPS $prepare: answered without a digest");
            }
        }
        let req = request(
            "/$process-message",
            &bundle,
            request_id,
            &correlation_id,
            &urid,
        );
        match self.client.send(&req).await {
            Ok(res) => labelled("$process-message", judge(&res)),
            Err(e) => labelled("$process-message", e.outcome()),
        }
    }
}

impl Sink for EpsSink {
    fn send(&self, d: &OutboundDelivery) -> impl Future<Output = SendOutcome> + Send {
        self.deliver(d)
    }
}

fn request(
    path: &str,
    body: &Value,
    request_id: String,
    correlation_id: &str,
    urid: &str,
) -> ApiRequest {
    let mut req = ApiRequest::post(path, FHIR_JSON, Bytes::from(body.to_string()))
        .header("nhsd-session-urid", urid)
        .header("accept", FHIR_JSON);
    req.request_id = request_id;
    req.correlation_id = Some(correlation_id.to_string());
    req
}

/// The prescriber's SDS role profile id (the PractitionerRole the MessageHeader's sender
/// refers to), when it is digits; else the configured one.
fn session_urid(bundle: &Value, config: &EpsConfig) -> Option<String> {
    let entries = read::entries(bundle);
    let sender = entries.first().and_then(|h| h.resource.get("sender"));
    read::resolve(&entries, sender)
        .and_then(|role| read::identifier(role.resource, SDS_ROLE))
        .filter(|id| id.bytes().all(|b| b.is_ascii_digit()))
        .map(str::to_string)
        .or_else(|| config.session_urid.clone())
}

fn has_digest(res: &ApiResponse) -> bool {
    res.json().is_some_and(|p| {
        p["resourceType"] == "Parameters"
            && p["parameter"].as_array().is_some_and(|ps| {
                ps.iter()
                    .any(|x| x["name"] == "digest" && read::present(x, "valueString").is_some())
            })
    })
}

/// The outcome of an EPS answer: the platform's rules, plus the code and display of a
/// cancel-response Bundle (`R-0002` … `R-0010`), which is not an OperationOutcome.
fn judge(res: &ApiResponse) -> SendOutcome {
    if res.status.is_success() {
        return SendOutcome::Delivered;
    }
    let Some(reason) = res.json().as_ref().and_then(cancel_response_reason) else {
        return res.outcome();
    };
    let error = format!("HTTP {}: {reason}", res.status.as_u16());
    if http_client::is_transient(res.status) {
        SendOutcome::Retry {
            error,
            retry_after: http_client::retry_after(&res.headers),
        }
    } else {
        SendOutcome::permanent(error)
    }
}

/// `R-000n: display` from a cancel-response Bundle's MedicationRequest.
fn cancel_response_reason(body: &Value) -> Option<String> {
    if body["resourceType"] != "Bundle" {
        return None;
    }
    read::entries(body).iter().find_map(|e| {
        read::extensions(e.resource, TASK_STATUS_REASON)
            .into_iter()
            .flat_map(|x| read::extensions(x, "status"))
            .find_map(|status| {
                let coding = status.get("valueCoding")?;
                let code = coding.get("code")?.as_str()?;
                Some(match coding.get("display").and_then(Value::as_str) {
                    Some(display) => format!("{code}: {display}"),
                    None => code.to_string(),
                })
            })
    })
}

/// Prefixes the error with the operation, so the dead-letter view says which step failed.
fn labelled(op: &str, outcome: SendOutcome) -> SendOutcome {
    match outcome {
        SendOutcome::Delivered => SendOutcome::Delivered,
        SendOutcome::Retry { error, retry_after } => SendOutcome::Retry {
            error: format!("EPS {op}: {error}"),
            retry_after,
        },
        SendOutcome::Permanent { error } => SendOutcome::Permanent {
            error: format!("EPS {op}: {error}"),
        },
    }
}
