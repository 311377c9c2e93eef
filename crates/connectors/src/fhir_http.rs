//! The FHIR HTTP sink: POSTs (or PUTs) an event's FHIR content to a FHIR R4 server.
//!
//! What is sent ([`FhirSendMode`]): the event's `bundle` (a transaction or batch to the base
//! URL, a message bundle to `$process-message`, any other bundle to `Bundle`), or its first
//! resource (PUT `Type/id` when it has an id, an idempotent upsert; POST `Type` otherwise). A
//! payload that is itself a FHIR resource is sent the same way.
//!
//! Every request carries `X-Request-ID`: a UUID (v5) derived from the configured namespace and
//! the delivery id, the same on every retry so the server can de-duplicate. Outcomes: 2xx
//! delivered; 408, 429, 5xx, connection errors and timeouts retry (honouring `Retry-After`);
//! any other status is permanent, with the status and the server's OperationOutcome
//! diagnostics (never our payload).
//!
//! HTTP client: hyper-util's legacy client over hyper-rustls (ring), not reqwest: it is what
//! axum already brings in, and it leaves TLS configuration (CA file, client certificate) in
//! our hands through the same `tls` module the MLLP connectors use.

use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Method, Request, header};
use http_body_util::{BodyExt, Full, Limited};
use serde_json::Value;
use tracing::debug;
use uuid::Uuid;

use crate::error::ConnectorError;
use crate::http_client::{self, HttpClient};
use crate::metrics::Metrics;
use crate::sink::{OutboundDelivery, SendOutcome, Sink};
use crate::tls::TlsClientConfig;

/// What to send from the event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FhirSendMode {
    /// The whole bundle.
    #[default]
    Bundle,
    /// The bundle's first resource.
    FirstResource,
}

/// Settings for one FHIR destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FhirHttpConfig {
    /// The server's base URL, e.g. `https://fhir.example.nhs.uk/R4`.
    pub base_url: String,
    /// Sent as `Authorization: Bearer …` when set.
    pub bearer_token: Option<String>,
    /// Time allowed for the whole exchange (connect, send, read the answer).
    pub timeout: Duration,
    /// What to send.
    pub mode: FhirSendMode,
    /// TLS trust for `https` URLs (default: the system trust store).
    pub tls: TlsClientConfig,
    /// Mixed into `X-Request-ID` so two installations never send the same id for their own
    /// delivery 1 (use the trust's ODS code and the node name, say).
    pub request_id_namespace: String,
}

impl FhirHttpConfig {
    /// Bundle mode, 30 s timeout, no token.
    pub fn new(base_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            bearer_token: None,
            timeout: Duration::from_secs(30),
            mode: FhirSendMode::Bundle,
            tls: TlsClientConfig::default(),
            request_id_namespace: "junction".into(),
        }
    }
}

/// The fixed namespace of Junction's request ids.
const JUNCTION_NAMESPACE: Uuid = Uuid::from_u128(0x6a75_6e63_7469_4f6e_8a0e_6b5f_9d2c_1e47);
/// Most of a server's answer we read (for its OperationOutcome).
const MAX_ANSWER: usize = 256 * 1024;

/// The `X-Request-ID` for a delivery: stable across retries, unique per installation.
pub fn request_id(namespace: &str, delivery_id: i64) -> String {
    Uuid::new_v5(
        &JUNCTION_NAMESPACE,
        format!("{namespace}/delivery/{delivery_id}").as_bytes(),
    )
    .to_string()
}

/// Sends events to one FHIR server.
pub struct FhirHttpSink {
    config: FhirHttpConfig,
    base: String,
    client: HttpClient,
    metrics: Metrics,
}

impl FhirHttpSink {
    /// Checks the URL and builds the client (TLS material is loaded only for `https`).
    pub fn new(config: FhirHttpConfig, metrics: Metrics) -> Result<Self, ConnectorError> {
        let client = http_client::build(&config.base_url, &config.tls)?;
        let base = config.base_url.trim_end_matches('/').to_string();
        Ok(Self {
            config,
            base,
            client,
            metrics,
        })
    }

    async fn send_inner(&self, d: &OutboundDelivery) -> SendOutcome {
        let (method, path, body) = match plan(&d.payload, self.config.mode) {
            Ok(p) => p,
            Err(e) => return SendOutcome::permanent(e),
        };
        let url = if path.is_empty() {
            self.base.clone()
        } else {
            format!("{}/{path}", self.base)
        };
        let mut req = Request::builder()
            .method(method)
            .uri(url)
            .header(header::CONTENT_TYPE, "application/fhir+json")
            .header(header::ACCEPT, "application/fhir+json")
            .header(
                "x-request-id",
                request_id(&self.config.request_id_namespace, d.id),
            );
        if let Some(token) = &self.config.bearer_token {
            req = req.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let req = match req.body(Full::new(Bytes::from(body))) {
            Ok(r) => r,
            Err(e) => return SendOutcome::permanent(format!("cannot build the request: {e}")),
        };
        let exchange = async {
            let res = self
                .client
                .request(req)
                .await
                .map_err(|e| http_client::transport_error(&e))?;
            let status = res.status();
            let retry_after = http_client::retry_after(res.headers());
            let body = Limited::new(res.into_body(), MAX_ANSWER)
                .collect()
                .await
                .map(|b| b.to_bytes())
                .unwrap_or_default();
            Ok::<_, String>((status, retry_after, body))
        };
        match tokio::time::timeout(self.config.timeout, exchange).await {
            Err(_) => SendOutcome::retry(format!(
                "no answer within {} ms",
                self.config.timeout.as_millis()
            )),
            Ok(Err(e)) => SendOutcome::retry(format!("request failed: {e}")),
            Ok(Ok((status, retry_after, body))) => http_client::judge(status, retry_after, &body),
        }
    }
}

impl Sink for FhirHttpSink {
    async fn send(&self, d: &OutboundDelivery) -> SendOutcome {
        let started = Instant::now();
        let outcome = self.send_inner(d).await;
        debug!(
            destination = d.destination,
            delivery_id = d.id,
            outcome = outcome.label(),
            "FHIR send"
        );
        self.metrics
            .sink_send(&d.destination, &outcome, started.elapsed());
        outcome
    }
}

/// An event's envelope, read only as far as its bundle's raw text.
#[derive(serde::Deserialize)]
struct Envelope<'a> {
    #[serde(borrow)]
    bundle: Option<&'a serde_json::value::RawValue>,
}

/// What the path of a whole bundle depends on.
#[derive(serde::Deserialize)]
struct BundleHead<'a> {
    #[serde(rename = "resourceType")]
    resource_type: Option<&'a str>,
    #[serde(rename = "type")]
    type_: Option<&'a str>,
}

/// Bundle mode for an event: the bundle's own text is the body, found without building the
/// JSON tree (the send path's biggest allocation); `None` when the payload is not that shape.
fn plan_event_bundle(payload: &str) -> Option<(Method, String, Vec<u8>)> {
    let bundle = serde_json::from_str::<Envelope<'_>>(payload).ok()?.bundle?;
    let head: BundleHead<'_> = serde_json::from_str(bundle.get()).ok()?;
    if head.resource_type != Some("Bundle") {
        return None;
    }
    let path = match head.type_ {
        Some("transaction" | "batch") => String::new(),
        Some("message") => "$process-message".to_string(),
        _ => "Bundle".to_string(),
    };
    Some((Method::POST, path, bundle.get().as_bytes().to_vec()))
}

/// Method, path under the base URL, and body for a payload. Errors name the problem only.
fn plan(payload: &str, mode: FhirSendMode) -> Result<(Method, String, Vec<u8>), String> {
    if mode == FhirSendMode::Bundle
        && let Some(planned) = plan_event_bundle(payload)
    {
        return Ok(planned);
    }
    let value: Value =
        serde_json::from_str(payload).map_err(|_| "payload is not JSON".to_string())?;
    let bundle = match value.get("bundle") {
        Some(b) => b,
        None if value.get("resourceType").is_some() => &value,
        None => return Err("payload has neither a bundle nor a resourceType".into()),
    };
    let is_bundle = bundle.get("resourceType").and_then(Value::as_str) == Some("Bundle");
    let resource = match mode {
        FhirSendMode::FirstResource if is_bundle => bundle
            .get("entry")
            .and_then(|e| e.get(0))
            .and_then(|e| e.get("resource"))
            .ok_or("bundle has no first resource")?,
        _ => bundle,
    };
    let rtype = resource
        .get("resourceType")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_alphabetic()))
        .ok_or("resource has no valid resourceType")?;
    let body = serde_json::to_vec(resource).map_err(|_| "cannot serialise the resource")?;
    if rtype == "Bundle" {
        let path = match resource.get("type").and_then(Value::as_str) {
            Some("transaction" | "batch") => String::new(),
            Some("message") => "$process-message".to_string(),
            _ => "Bundle".to_string(),
        };
        return Ok((Method::POST, path, body));
    }
    match resource.get("id").and_then(Value::as_str) {
        Some(id) if is_fhir_id(id) => Ok((Method::PUT, format!("{rtype}/{id}"), body)),
        Some(_) => Err(format!("{rtype}.id is not a valid FHIR id")),
        None => Ok((Method::POST, rtype.to_string(), body)),
    }
}

fn is_fhir_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_stable_uuids() {
        let a = request_id("RXX", 42);
        assert_eq!(a, request_id("RXX", 42));
        assert_ne!(a, request_id("RXX", 43));
        assert_ne!(a, request_id("RYY", 42));
        assert_eq!(a.len(), 36);
        assert!(Uuid::parse_str(&a).is_ok());
    }

    #[test]
    fn plans_by_mode_and_bundle_type() {
        let ev = r#"{"id":"e1","bundle":{"resourceType":"Bundle","type":"message","entry":[{"resource":{"resourceType":"Patient","id":"p-1","name":[{"family":"O\u0027Brien \"x\""}]}}]},"kind":"patient.updated"}"#;
        let (m, p, body) = plan(ev, FhirSendMode::Bundle).unwrap();
        assert_eq!((m, p.as_str()), (Method::POST, "$process-message"));
        // The bundle's own text, and the same JSON the tree would have given.
        let tree: Value = serde_json::from_str(ev).unwrap();
        let sent: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(sent, tree["bundle"]);
        assert!(body.starts_with(b"{\"resourceType\":\"Bundle\""));
        let (m, p, body) = plan(ev, FhirSendMode::FirstResource).unwrap();
        assert_eq!((m, p.as_str()), (Method::PUT, "Patient/p-1"));
        assert!(
            String::from_utf8(body)
                .unwrap()
                .starts_with("{\"resourceType\":\"Patient\"")
        );
        let tx = r#"{"resourceType":"Bundle","type":"transaction"}"#;
        assert_eq!(plan(tx, FhirSendMode::Bundle).unwrap().1, "");
        let obs = r#"{"resourceType":"Observation"}"#;
        assert_eq!(plan(obs, FhirSendMode::Bundle).unwrap().1, "Observation");
        assert!(plan("[]", FhirSendMode::Bundle).is_err());
        assert!(
            plan(
                r#"{"resourceType":"Patient","id":"a/b"}"#,
                FhirSendMode::Bundle
            )
            .is_err()
        );
    }
}
