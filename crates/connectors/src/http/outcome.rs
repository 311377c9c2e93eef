//! FHIR pieces of the HTTP source: the OperationOutcome it answers errors with, and the check
//! that a FHIR JSON body is an object with a `resourceType`.

use serde_json::{Value, json};

use crate::hl7::{Info, Invalid};
use crate::metrics::RejectReason;

/// An OperationOutcome with one error issue. `diagnostics` must never hold patient data.
pub fn operation_outcome(code: &str, diagnostics: &str) -> Value {
    json!({
        "resourceType": "OperationOutcome",
        "issue": [{ "severity": "error", "code": code, "diagnostics": diagnostics }]
    })
}

/// Checks a FHIR JSON body: JSON (structure), an object with a non-empty string
/// `resourceType` (invalid otherwise). Reasons give positions and field names, never values.
pub(crate) fn check_fhir(body: &[u8]) -> Result<Info, Invalid> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        Invalid::other(
            RejectReason::Parse,
            format!(
                "body is not JSON: {} at line {} column {}",
                json_problem(&e),
                e.line(),
                e.column()
            ),
        )
    })?;
    let Some(obj) = value.as_object() else {
        return Err(Invalid::other(
            RejectReason::Validate,
            "body is not a JSON object".into(),
        ));
    };
    let resource_type = match obj.get("resourceType") {
        Some(Value::String(t)) if !t.is_empty() => t.clone(),
        _ => {
            return Err(Invalid::other(
                RejectReason::Validate,
                "resourceType is missing or not a non-empty string".into(),
            ));
        }
    };
    Ok(Info {
        message_type: Some(resource_type),
        control_id: obj.get("id").and_then(Value::as_str).map(str::to_string),
        sender: None,
    })
}

/// Checks an XML body just enough to journal it: text that opens with an element (after an
/// optional BOM, XML declaration, comments and whitespace). The root element's name (e.g.
/// `PORX_IN020101SM31`) is the message type; the adapter does the real parsing.
pub(crate) fn check_xml(body: &[u8]) -> Result<Info, Invalid> {
    let text = std::str::from_utf8(body).map_err(|e| {
        Invalid::other(
            RejectReason::Parse,
            format!("body is not UTF-8 (byte {})", e.valid_up_to()),
        )
    })?;
    let mut rest = text.trim_start_matches('\u{feff}').trim_start();
    loop {
        if let Some(after) = rest.strip_prefix("<?") {
            rest = after.split_once("?>").map_or("", |(_, r)| r).trim_start();
        } else if let Some(after) = rest.strip_prefix("<!--") {
            rest = after.split_once("-->").map_or("", |(_, r)| r).trim_start();
        } else {
            break;
        }
    }
    let name: String = rest
        .strip_prefix('<')
        .unwrap_or("")
        .chars()
        .take_while(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ':'))
        .collect();
    if name.is_empty() {
        return Err(Invalid::other(
            RejectReason::Parse,
            "body is not XML: no root element".into(),
        ));
    }
    let local = name.rsplit(':').next().unwrap_or(&name).to_owned();
    Ok(Info {
        message_type: Some(local),
        control_id: None,
        sender: None,
    })
}

/// serde_json's category of error, without its message (which may quote input).
fn json_problem(e: &serde_json::Error) -> &'static str {
    match e.classify() {
        serde_json::error::Category::Io => "read error",
        serde_json::error::Category::Syntax => "syntax error",
        serde_json::error::Category::Data => "unexpected data",
        serde_json::error::Category::Eof => "unexpected end of input",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_check() {
        let ok = check_xml(b"\xef\xbb\xbf<?xml version=\"1.0\"?>\n<!-- x --><hl7:PORX_IN020101SM31 xmlns:hl7=\"urn:hl7-org:v3\">").unwrap();
        assert_eq!(ok.message_type.as_deref(), Some("PORX_IN020101SM31"));
        assert!(check_xml(b"{\"resourceType\":\"Patient\"}").is_err());
        assert!(check_xml(b"\xff<a/>").is_err());
    }

    #[test]
    fn fhir_check() {
        assert!(check_fhir(br#"{"resourceType":"Patient","id":"p1"}"#).is_ok());
        let e = check_fhir(br#"{"resourceType": 3}"#).unwrap_err();
        assert_eq!(e.kind, RejectReason::Validate);
        let e = check_fhir(b"[1,2]").unwrap_err();
        assert_eq!(e.kind, RejectReason::Validate);
        let e = check_fhir(b"{\"name\": \"SMITH\"").unwrap_err();
        assert_eq!(e.kind, RejectReason::Parse);
        assert!(!e.reason().contains("SMITH"), "{}", e.reason());
    }
}
