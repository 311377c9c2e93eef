//! What can go wrong talking to MESH ([`MeshError`]), how a sink turns it into a delivery
//! outcome, and how MESH's error bodies (v2 `detail[]`, v1 `errorCode`/`errorDescription`, or
//! a plain `detail`) become one line of text.

use std::time::Duration;

use http::{HeaderMap, StatusCode};
use junction_connectors::SendOutcome;
use junction_connectors::http_client;
use serde_json::Value;

/// Longest MESH error text kept.
const MAX_TEXT: usize = 300;

/// Why a MESH call did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MeshError {
    /// The client could not be built (bad URL, unreadable TLS files).
    #[error("mesh: configuration: {0}")]
    Config(String),
    /// Connecting, sending or reading failed.
    #[error("mesh: request failed: {0}")]
    Transport(String),
    /// No answer within the timeout.
    #[error("mesh: no answer within {ms} ms")]
    Timeout {
        /// The timeout.
        ms: u128,
    },
    /// 403: MESH refused the mailbox's credentials (wrong password or shared key, a mailbox
    /// that does not match the token, a reused token) or the caller's right to this message.
    #[error("mesh: {operation}: HTTP 403 forbidden{}", detail_suffix(.detail))]
    Forbidden {
        /// What was being done (`handshake`, `send`, …).
        operation: &'static str,
        /// MESH's error text, if it gave one.
        detail: Option<String>,
    },
    /// Any other answer that says no: 4xx other than 403, or an unexpected status.
    #[error("mesh: {operation}: HTTP {status}{}", detail_suffix(.detail))]
    Rejected {
        /// What was being done.
        operation: &'static str,
        /// The status.
        status: u16,
        /// MESH's error code and description (e.g. `12: Unregistered to address`).
        detail: Option<String>,
    },
    /// 429 or 5xx: MESH is busy or broken; try again later.
    #[error("mesh: {operation}: HTTP {status}{}", detail_suffix(.detail))]
    Unavailable {
        /// What was being done.
        operation: &'static str,
        /// The status.
        status: u16,
        /// MESH's error text, if any.
        detail: Option<String>,
        /// How long MESH asked us to wait (`Retry-After`), if it said.
        retry_after: Option<Duration>,
    },
    /// MESH answered 2xx with something we cannot read (no message id, a chunk missing, a
    /// body that says gzip but is not).
    #[error("mesh: {operation}: {reason}")]
    Protocol {
        /// What was being done.
        operation: &'static str,
        /// What was wrong (never message content).
        reason: String,
    },
}

fn detail_suffix(detail: &Option<String>) -> String {
    detail
        .as_deref()
        .map(|d| format!(": {d}"))
        .unwrap_or_default()
}

impl MeshError {
    /// The error for a non-2xx answer.
    pub fn from_answer(
        operation: &'static str,
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Self {
        let detail = error_text(body);
        if status == StatusCode::FORBIDDEN {
            Self::Forbidden { operation, detail }
        } else if status == StatusCode::TOO_MANY_REQUESTS
            || status == StatusCode::REQUEST_TIMEOUT
            || status.is_server_error()
        {
            Self::Unavailable {
                operation,
                status: status.as_u16(),
                detail,
                retry_after: http_client::retry_after(headers),
            }
        } else {
            Self::Rejected {
                operation,
                status: status.as_u16(),
                detail,
            }
        }
    }

    /// Whether trying again later may help: transport failures, timeouts, 408/429/5xx and
    /// unreadable answers. A 403 or another 4xx will not change by itself.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::Transport(_)
                | Self::Timeout { .. }
                | Self::Unavailable { .. }
                | Self::Protocol { .. }
        )
    }

    /// The delivery outcome: [`SendOutcome::Retry`] when [`Self::is_transient`], else
    /// [`SendOutcome::Permanent`] with this error's text.
    pub fn outcome(&self) -> SendOutcome {
        if let Self::Unavailable { retry_after, .. } = self {
            SendOutcome::Retry {
                error: self.to_string(),
                retry_after: *retry_after,
            }
        } else if self.is_transient() {
            SendOutcome::retry(self.to_string())
        } else {
            SendOutcome::permanent(self.to_string())
        }
    }
}

/// MESH's error body as one line: `code: description` from a v2 `detail[]` or a v1
/// `errorCode`/`errorDescription`, else a plain `detail` or `message`; cut at 300 bytes.
pub fn error_text(body: &[u8]) -> Option<String> {
    let v: Value = serde_json::from_slice(body).ok()?;
    let text = match v.get("detail") {
        Some(Value::Array(items)) => {
            let parts: Vec<String> = items.iter().filter_map(detail_item).collect();
            (!parts.is_empty()).then(|| parts.join("; "))
        }
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        _ => None,
    }
    .or_else(|| code_and_text(str_at(&v, "errorCode"), str_at(&v, "errorDescription")))
    .or_else(|| str_at(&v, "message").map(str::to_string))?;
    Some(cut(text))
}

fn detail_item(item: &Value) -> Option<String> {
    code_and_text(str_at(item, "code"), str_at(item, "msg"))
}

fn code_and_text(code: Option<&str>, text: Option<&str>) -> Option<String> {
    match (
        code.filter(|c| !c.is_empty()),
        text.filter(|t| !t.is_empty()),
    ) {
        (Some(c), Some(t)) => Some(format!("{c}: {t}")),
        (Some(c), None) => Some(c.to_string()),
        (None, Some(t)) => Some(t.to_string()),
        (None, None) => None,
    }
}

fn str_at<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

fn cut(mut text: String) -> String {
    if text.len() > MAX_TEXT {
        let mut at = MAX_TEXT;
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        text.truncate(at);
        text.push('…');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_v2_v1_and_plain_error_bodies() {
        let v2 = br#"{"message_id":null,"detail":[{"event":"SEND","code":"12","msg":"Unregistered to address"}]}"#;
        assert_eq!(error_text(v2).unwrap(), "12: Unregistered to address");
        let v1 = br#"{"errorEvent":"SEND","errorCode":"12","errorDescription":"Unregistered to address"}"#;
        assert_eq!(error_text(v1).unwrap(), "12: Unregistered to address");
        let plain = br#"{"detail":"Invalid Authentication Token"}"#;
        assert_eq!(error_text(plain).unwrap(), "Invalid Authentication Token");
        assert_eq!(error_text(b"<html>"), None);
    }

    #[test]
    fn maps_statuses_to_outcomes() {
        let unknown = MeshError::from_answer(
            "send",
            StatusCode::EXPECTATION_FAILED,
            &HeaderMap::new(),
            br#"{"detail":[{"event":"SEND","code":"12","msg":"Unregistered to address"}]}"#,
        );
        assert_eq!(
            unknown.outcome(),
            SendOutcome::permanent("mesh: send: HTTP 417: 12: Unregistered to address")
        );
        let forbidden =
            MeshError::from_answer("send", StatusCode::FORBIDDEN, &HeaderMap::new(), b"");
        assert!(matches!(forbidden.outcome(), SendOutcome::Permanent { .. }));
        for s in [
            StatusCode::TOO_MANY_REQUESTS,
            StatusCode::INTERNAL_SERVER_ERROR,
            StatusCode::SERVICE_UNAVAILABLE,
        ] {
            let e = MeshError::from_answer("send", s, &HeaderMap::new(), b"");
            assert!(matches!(e.outcome(), SendOutcome::Retry { .. }), "{s}");
        }
        assert!(MeshError::Transport("refused".into()).is_transient());
    }
}
