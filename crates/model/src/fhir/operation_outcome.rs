//! OperationOutcome: errors and warnings returned by FHIR servers and national
//! APIs.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::datatypes::{CodeableConcept, Extension, Meta, Narrative};
use super::resource::{Resource, ResourceTag};

/// Information about the outcome of an operation (`OperationOutcome`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct OperationOutcome {
    /// Always `"OperationOutcome"`; serialised first.
    #[serde(rename = "resourceType")]
    pub resource_type: ResourceTag<OperationOutcome>,
    /// Logical id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Metadata: version, profiles, security labels.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// Human-readable narrative.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<Narrative>,
    /// Contained, inline resources.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub contained: Vec<Resource>,
    /// Extensions.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// Extensions that modify meaning.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub modifier_extension: Vec<Extension>,
    /// Issues.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub issue: Vec<OperationOutcomeIssue>,
    /// Unknown fields, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One issue (`OperationOutcome.issue`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct OperationOutcomeIssue {
    /// Element id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Extensions on the element.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// `fatal | error | warning | information`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<String>,
    /// Issue type code (`invalid`, `not-found`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Detailed code (e.g. Spine error code).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<CodeableConcept>,
    /// Diagnostic text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diagnostics: Option<String>,
    /// Deprecated XPath locations.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub location: Vec<String>,
    /// FHIRPath of the element(s).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub expression: Vec<String>,
    /// Unknown fields, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl OperationOutcome {
    /// An outcome with one issue, e.g. `single("error", "invalid", "PID-3 missing")`.
    /// Keep patient data out of `diagnostics`.
    pub fn single(severity: &str, code: &str, diagnostics: impl Into<String>) -> Self {
        Self {
            issue: vec![OperationOutcomeIssue {
                severity: Some(severity.to_owned()),
                code: Some(code.to_owned()),
                diagnostics: Some(diagnostics.into()),
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    /// Whether any issue is `fatal` or `error`.
    pub fn has_errors(&self) -> bool {
        self.issue
            .iter()
            .any(|i| matches!(i.severity.as_deref(), Some("fatal" | "error")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fhir::test_util::round_trip;

    #[test]
    fn spine_error_round_trips() {
        let oo: OperationOutcome = round_trip(
            r#"{
              "resourceType": "OperationOutcome",
              "issue": [{
                "severity": "error",
                "code": "value",
                "details": {"coding": [{"system": "https://fhir.nhs.uk/R4/CodeSystem/Spine-ErrorOrWarningCode",
                  "version": "1", "code": "INVALID_RESOURCE_ID", "display": "Resource Id is invalid"}]},
                "expression": ["Patient.id"]
              }]
            }"#,
        );
        assert!(oo.has_errors());
        assert!(!OperationOutcome::single("warning", "informational", "ok").has_errors());
        assert!(OperationOutcome::single("fatal", "exception", "PID-3 missing").has_errors());
    }
}
