//! The OperationOutcome NHS APIs answer errors with: one `error` issue whose `details.coding`
//! carries the service's own error code (Spine's, or e-RS's), as PDS, e-RS and EPS word them.

use serde_json::{Value, json};

/// Spine's error code system (PDS, EPS).
pub const SPINE_CODES: &str = "https://fhir.nhs.uk/R4/CodeSystem/Spine-ErrorOrWarningCode";

/// The service's coded error.
#[derive(Debug, Clone, Copy)]
pub struct Coded<'a> {
    /// The code system.
    pub system: &'a str,
    /// The code system's version, when the service sends one (PDS: `"1"`).
    pub version: Option<&'a str>,
    /// The code, e.g. `INVALID_VALUE`.
    pub code: &'a str,
    /// Its display.
    pub display: &'a str,
}

/// An OperationOutcome with one error issue (`issue_code` from FHIR's IssueType).
pub fn error(issue_code: &str, coded: Coded<'_>, diagnostics: Option<&str>) -> Value {
    let mut coding =
        json!({ "system": coded.system, "code": coded.code, "display": coded.display });
    if let Some(v) = coded.version {
        coding["version"] = json!(v);
    }
    let mut issue = json!({
        "severity": "error",
        "code": issue_code,
        "details": { "coding": [coding] },
    });
    if let Some(d) = diagnostics {
        issue["diagnostics"] = json!(d);
    }
    json!({ "resourceType": "OperationOutcome", "issue": [issue] })
}
