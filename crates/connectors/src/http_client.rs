//! The outbound HTTP client every HTTP sink and national-service client shares: hyper-util's
//! legacy client over hyper-rustls, with TLS from [`crate::tls`], and the one way we judge an
//! HTTP answer ([`judge`]): 2xx delivered; 408, 429 and 5xx retry (honouring `Retry-After`);
//! any other status permanent, with the server's OperationOutcome text (never our payload).

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::{HeaderMap, StatusCode, header};
use http_body_util::Full;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

use crate::error::ConnectorError;
use crate::sink::SendOutcome;
use crate::tls::{TlsClientConfig, client_config};

pub mod retry_after;

/// The client type: HTTP/1.1 over TCP or TLS, bodies sent whole.
pub type HttpClient = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

/// Longest OperationOutcome text kept in an error.
const MAX_DIAGNOSTICS: usize = 500;

/// Builds a client for `base_url` (`http://` or `https://`); TLS material is loaded only for
/// `https`.
pub fn build(base_url: &str, tls: &TlsClientConfig) -> Result<HttpClient, ConnectorError> {
    let uri: http::Uri = base_url
        .parse()
        .map_err(|e| ConnectorError::Config(format!("URL {base_url:?}: {e}")))?;
    let tls = match uri.scheme_str() {
        Some("https") => client_config(tls)?,
        Some("http") => Arc::new(
            rustls::ClientConfig::builder_with_provider(Arc::new(
                rustls::crypto::ring::default_provider(),
            ))
            .with_safe_default_protocol_versions()
            .map_err(|e| ConnectorError::Tls(e.to_string()))?
            .with_root_certificates(rustls::RootCertStore::empty())
            .with_no_client_auth(),
        ),
        _ => {
            return Err(ConnectorError::Config(format!(
                "URL {base_url:?} must start with http:// or https://"
            )));
        }
    };
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config((*tls).clone())
        .https_or_http()
        .enable_http1()
        .build();
    Ok(Client::builder(TokioExecutor::new()).build(connector))
}

/// The wait an answer's `Retry-After` asks for, if it has a readable one.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    headers
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| retry_after::parse(v, SystemTime::now()))
}

/// A transport error with its cause chain, for a delivery error (no payload content in it).
pub fn transport_error(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// The outcome of an HTTP answer.
pub fn judge(status: StatusCode, retry_after: Option<Duration>, body: &[u8]) -> SendOutcome {
    if status.is_success() {
        return SendOutcome::Delivered;
    }
    let error = match operation_outcome_text(body) {
        Some(d) => format!("HTTP {}: {d}", status.as_u16()),
        None => format!("HTTP {}", status.as_u16()),
    };
    if is_transient(status) {
        SendOutcome::Retry { error, retry_after }
    } else {
        SendOutcome::Permanent { error }
    }
}

/// 408, 429 and 5xx: worth trying again later.
pub fn is_transient(status: StatusCode) -> bool {
    status == StatusCode::REQUEST_TIMEOUT
        || status == StatusCode::TOO_MANY_REQUESTS
        || status.is_server_error()
}

/// The issues of an OperationOutcome answer as one line: each issue's `details.coding[0]`
/// code and display (how NHS APIs report errors, e.g. `INVALID_VALUE: Invalid value`) and its
/// diagnostics, joined by `; `, cut at 500 bytes. `None` when the body is not an
/// OperationOutcome or says nothing.
pub fn operation_outcome_text(body: &[u8]) -> Option<String> {
    let value: Value = serde_json::from_slice(body).ok()?;
    if value.get("resourceType")?.as_str()? != "OperationOutcome" {
        return None;
    }
    let texts: Vec<String> = value
        .get("issue")?
        .as_array()?
        .iter()
        .filter_map(issue_text)
        .collect();
    if texts.is_empty() {
        return None;
    }
    let mut text = texts.join("; ");
    if text.len() > MAX_DIAGNOSTICS {
        let mut cut = MAX_DIAGNOSTICS;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push('…');
    }
    Some(text)
}

fn issue_text(issue: &Value) -> Option<String> {
    let details = issue.get("details");
    let coding = details.and_then(|d| d.get("coding")).and_then(|c| c.get(0));
    let code = coding.and_then(|c| c.get("code")).and_then(Value::as_str);
    let display = coding
        .and_then(|c| c.get("display"))
        .and_then(Value::as_str);
    let text = issue
        .get("diagnostics")
        .and_then(Value::as_str)
        .or_else(|| details?.get("text")?.as_str());
    let parts: Vec<&str> = [code, display, text].into_iter().flatten().collect();
    match parts.as_slice() {
        [] => None,
        [only] => Some((*only).to_string()),
        [code, rest @ ..] => Some(format!("{code}: {}", rest.join(" — "))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn judges_statuses() {
        assert_eq!(judge(StatusCode::OK, None, b""), SendOutcome::Delivered);
        assert!(matches!(
            judge(StatusCode::TOO_MANY_REQUESTS, Some(Duration::from_secs(3)), b""),
            SendOutcome::Retry { retry_after: Some(d), .. } if d == Duration::from_secs(3)
        ));
        assert!(matches!(
            judge(StatusCode::BAD_GATEWAY, None, b""),
            SendOutcome::Retry { .. }
        ));
        assert_eq!(
            judge(StatusCode::BAD_REQUEST, None, b"not json"),
            SendOutcome::permanent("HTTP 400")
        );
        let oo = br#"{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"invalid","diagnostics":"Patient.birthDate invalid"}]}"#;
        assert_eq!(
            judge(StatusCode::BAD_REQUEST, None, oo),
            SendOutcome::permanent("HTTP 400: Patient.birthDate invalid")
        );
        assert!(matches!(
            judge(StatusCode::REQUEST_TIMEOUT, None, b""),
            SendOutcome::Retry { .. }
        ));
        assert!(matches!(
            judge(StatusCode::CONFLICT, None, b""),
            SendOutcome::Permanent { .. }
        ));
    }

    #[test]
    fn reads_nhs_style_operation_outcomes() {
        let body = br#"{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"value",
            "details":{"coding":[{"system":"https://fhir.nhs.uk/R4/CodeSystem/Spine-ErrorOrWarningCode",
            "code":"INVALID_VALUE","display":"Provided value is invalid"}]},
            "diagnostics":"Invalid value - 'x' in header 'NHSD-Session-URID'"}]}"#;
        assert_eq!(
            operation_outcome_text(body).unwrap(),
            "INVALID_VALUE: Provided value is invalid — Invalid value - 'x' in header 'NHSD-Session-URID'"
        );
        let plain = br#"{"resourceType":"OperationOutcome","issue":[{"diagnostics":"boom"}]}"#;
        assert_eq!(operation_outcome_text(plain).unwrap(), "boom");
        assert_eq!(
            operation_outcome_text(br#"{"resourceType":"Patient"}"#),
            None
        );
    }
}
