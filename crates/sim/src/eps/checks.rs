//! The EPS simulator's header and check-character rules: `X-Request-ID` (a UUID),
//! `NHSD-Session-URID` (digits), `Content-Type` (FHIR JSON), the NHS number's mod-11 check and
//! the short-form prescription id's ISO/IEC 7064 Mod 37-2 check character; and the coded
//! OperationOutcome ([`outcome`]) every refusal carries.

use axum::http::{HeaderMap, StatusCode, header};
use serde_json::Value;

use crate::outcome::{Coded, SPINE_CODES};

/// A refused request: its status and OperationOutcome (or cancel-response Bundle).
#[derive(Debug, Clone)]
pub struct Reject {
    /// The status.
    pub status: StatusCode,
    /// The body.
    pub body: Value,
}

impl Reject {
    /// A 400 with one coded issue.
    pub fn bad(code: &str, spine: &str, display: &str, diagnostics: &str) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            body: outcome(code, spine, display, diagnostics),
        }
    }

    pub(crate) fn value(diagnostics: &str) -> Self {
        Self::bad(
            "value",
            "INVALID_VALUE",
            "Provided value is invalid",
            diagnostics,
        )
    }

    pub(crate) fn missing(diagnostics: &str) -> Self {
        Self::bad(
            "required",
            "MISSING_VALUE",
            "Required value is missing",
            diagnostics,
        )
    }
}

/// An OperationOutcome with one error issue coded from the Spine error codes.
pub fn outcome(code: &str, spine: &str, display: &str, diagnostics: &str) -> Value {
    let coded = Coded {
        system: SPINE_CODES,
        version: None,
        code: spine,
        display,
    };
    crate::outcome::error(code, coded, Some(diagnostics))
}

/// `X-Request-ID`: present and a UUID.
pub fn request_id(headers: &HeaderMap) -> Result<String, Reject> {
    let id = headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| Reject::missing("Missing value - header 'X-Request-ID'"))?;
    if !is_uuid(id) {
        return Err(Reject::value(
            "Invalid value in header 'X-Request-ID': must be a UUID",
        ));
    }
    Ok(id.to_string())
}

/// `NHSD-Session-URID` (digits) and `Content-Type`; returns the URID.
pub fn headers(headers: &HeaderMap) -> Result<String, Reject> {
    let urid = headers
        .get("nhsd-session-urid")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| Reject::missing("Missing value - header 'NHSD-Session-URID'"))?;
    if urid.is_empty() || !urid.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Reject::value(
            "Invalid value in header 'NHSD-Session-URID': must be digits",
        ));
    }
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let mime = ct.split(';').next().unwrap_or_default().trim();
    if mime != super::FHIR_JSON && mime != "application/json" {
        return Err(Reject {
            status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
            body: outcome(
                "not-supported",
                "INVALID_VALUE",
                "Provided value is invalid",
                "Content-Type must be application/fhir+json",
            ),
        });
    }
    Ok(urid.to_string())
}

/// 8-4-4-4-12 hex digits.
pub fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The NHS number mod-11 check.
pub fn nhs_number_ok(s: &str) -> bool {
    let digits: Vec<u32> = s.chars().filter_map(|c| c.to_digit(10)).collect();
    if digits.len() != 10 || s.len() != 10 {
        return false;
    }
    let sum: u32 = digits[..9]
        .iter()
        .zip((2..=10).rev())
        .map(|(d, w)| d * w)
        .sum();
    match 11 - sum % 11 {
        11 => digits[9] == 0,
        10 => false,
        check => digits[9] == check,
    }
}

/// The short-form prescription id's ISO/IEC 7064 Mod 37-2 check character.
pub fn prescription_id_ok(id: &str) -> bool {
    const CHARS: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ+";
    let raw: Vec<char> = id.chars().filter(|c| *c != '-').collect();
    let Some((check, body)) = raw.split_last() else {
        return false;
    };
    if id.len() != 20 || body.len() != 17 {
        return false;
    }
    let mut total = 0u32;
    for c in body {
        let Some(v) = c.to_digit(36) else {
            return false;
        };
        total = ((total + v) * 2) % 37;
    }
    let expected = CHARS[((38 - total) % 37) as usize];
    u32::from(expected) == u32::from(*check)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_characters() {
        assert!(nhs_number_ok("9000000009"));
        assert!(nhs_number_ok("9449304122"));
        assert!(!nhs_number_ok("9000000001"));
        assert!(!nhs_number_ok("90000000"));
        for id in [
            "1A7D94-0RRERP-549310",
            "DE1AF4-A99968-4C918K",
            "B407F7-A99968-4DB2AU",
        ] {
            assert!(prescription_id_ok(id), "{id}");
        }
        assert!(!prescription_id_ok("1A7D94-0RRERP-549311"));
        assert!(is_uuid("60e0b220-8136-4ca5-ae46-1d97ef59d068"));
        assert!(!is_uuid("60e0b220-8136-4ca5-ae46-1d97ef59d06"));
    }
}
