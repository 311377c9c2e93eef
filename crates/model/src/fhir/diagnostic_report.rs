//! DiagnosticReport: a pathology or radiology report (ORU), with its results
//! and any presented form (PDF, text).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::choice::Effective;
use super::datatypes::{
    Attachment, CodeableConcept, Extension, Identifier, Meta, Narrative, Reference,
};
use super::resource::{Resource, ResourceTag};

/// A diagnostic report (`DiagnosticReport`), UK Core `UKCore-DiagnosticReport`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct DiagnosticReport {
    /// Always `"DiagnosticReport"`; serialised first.
    #[serde(rename = "resourceType")]
    pub resource_type: ResourceTag<DiagnosticReport>,
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
    /// Identifiers: filler order number, accession number.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub identifier: Vec<Identifier>,
    /// The requests being reported on.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub based_on: Vec<Reference>,
    /// `registered | partial | preliminary | final | amended | corrected | appended | cancelled | entered-in-error | unknown`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Service category (e.g. `LAB`, `RAD`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub category: Vec<CodeableConcept>,
    /// Name or code of the report.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<CodeableConcept>,
    /// The patient.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<Reference>,
    /// Encounter of the request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encounter: Option<Reference>,
    /// `effective[x]`: clinically relevant time.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub effective: Option<Effective>,
    /// When the report was released (FHIR instant).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issued: Option<String>,
    /// Responsible service or practitioner.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub performer: Vec<Reference>,
    /// Who interpreted the results.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub results_interpreter: Vec<Reference>,
    /// Specimens.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub specimen: Vec<Reference>,
    /// Observations.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub result: Vec<Reference>,
    /// Imaging studies.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub imaging_study: Vec<Reference>,
    /// Clinical conclusion.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conclusion: Option<String>,
    /// Coded conclusions.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conclusion_code: Vec<CodeableConcept>,
    /// Entire report as issued (PDF, text).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub presented_form: Vec<Attachment>,
    /// Unknown fields, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fhir::test_util::round_trip;

    const REPORT: &str = r#"{
      "resourceType": "DiagnosticReport",
      "id": "dr1",
      "identifier": [{"system": "https://fhir.rxx.nhs.uk/Id/accession-number", "value": "RXX24000123"}],
      "basedOn": [{"reference": "ServiceRequest/sr1"}],
      "status": "final",
      "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0074", "code": "RAD"}]}],
      "code": {"coding": [{"system": "http://snomed.info/sct", "code": "399208008", "display": "Plain chest X-ray"}]},
      "subject": {"reference": "Patient/p1"},
      "effectiveDateTime": "2024-03-01T11:00:00+00:00",
      "issued": "2024-03-01T12:34:56.789+00:00",
      "performer": [{"type": "Organization", "identifier": {"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "RXX"}}],
      "imagingStudy": [{"reference": "ImagingStudy/is1"}],
      "conclusion": "No acute abnormality.",
      "presentedForm": [
        {"contentType": "text/plain", "language": "en-GB", "data": "Tm8gYWN1dGUgYWJub3JtYWxpdHku", "title": "Report"},
        {"contentType": "application/pdf", "url": "https://pacs.rxx.example/reports/dr1.pdf", "size": 48213,
         "hash": "2jmj7l5rSw0yVb/vlWAYkK/YBwk=", "creation": "2024-03-01T12:30:00+00:00"}
      ]
    }"#;

    #[test]
    fn diagnostic_report_with_presented_form_round_trips() {
        let dr: DiagnosticReport = round_trip(REPORT);
        assert_eq!(
            dr.effective,
            Some(crate::fhir::Effective::DateTime(
                "2024-03-01T11:00:00+00:00".into()
            ))
        );
        assert_eq!(dr.presented_form.len(), 2);
        assert_eq!(dr.presented_form[1].size, Some(48213));
    }
}
