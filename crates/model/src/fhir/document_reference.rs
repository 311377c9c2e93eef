//! DocumentReference: letters, discharge summaries and reports (MDM, MESH).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::datatypes::{
    Attachment, CodeableConcept, Coding, Extension, Identifier, Meta, Narrative, Period, Reference,
};
use super::resource::{Resource, ResourceTag};

/// A reference to a document (`DocumentReference`), UK Core `UKCore-DocumentReference`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct DocumentReference {
    /// Always `"DocumentReference"`; serialised first.
    #[serde(rename = "resourceType")]
    pub resource_type: ResourceTag<DocumentReference>,
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
    /// Master version identifier.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub master_identifier: Option<Identifier>,
    /// Other identifiers.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub identifier: Vec<Identifier>,
    /// `current | superseded | entered-in-error`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// `preliminary | final | amended | entered-in-error`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub doc_status: Option<String>,
    /// Kind of document (SNOMED record artifact).
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_: Option<CodeableConcept>,
    /// Categorisation.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub category: Vec<CodeableConcept>,
    /// The patient.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<Reference>,
    /// When this reference was created (FHIR instant).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// Authors.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub author: Vec<Reference>,
    /// Who authenticated it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authenticator: Option<Reference>,
    /// Organisation maintaining the document.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custodian: Option<Reference>,
    /// Relationships to other documents.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub relates_to: Vec<DocumentRelatesTo>,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Security labels.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub security_label: Vec<CodeableConcept>,
    /// The document content.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub content: Vec<DocumentContent>,
    /// Clinical context.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<DocumentContext>,
    /// Unknown fields, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A relationship to another document (`DocumentReference.relatesTo`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct DocumentRelatesTo {
    /// Element id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Extensions on the element.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// `replaces | transforms | signs | appends`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The other document.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<Reference>,
    /// Unknown fields, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Document content (`DocumentReference.content`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct DocumentContent {
    /// Element id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Extensions on the element.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// Where and how to get the document.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attachment: Option<Attachment>,
    /// Format/content rules.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<Coding>,
    /// Unknown fields, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Clinical context (`DocumentReference.context`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct DocumentContext {
    /// Element id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Extensions on the element.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// Encounters.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub encounter: Vec<Reference>,
    /// Main clinical acts documented.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub event: Vec<CodeableConcept>,
    /// Time of service documented.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<Period>,
    /// Kind of facility.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub facility_type: Option<CodeableConcept>,
    /// Clinical specialty.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub practice_setting: Option<CodeableConcept>,
    /// Patient demographics at the time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_patient_info: Option<Reference>,
    /// Related identifiers or resources.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<Reference>,
    /// Unknown fields, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fhir::test_util::round_trip;

    #[test]
    fn discharge_summary_reference_round_trips() {
        let doc: DocumentReference = round_trip(
            r#"{
              "resourceType": "DocumentReference",
              "id": "doc1",
              "masterIdentifier": {"system": "urn:ietf:rfc:3986", "value": "urn:uuid:4f7a6c1e-0000-8000-8000-000000000001"},
              "status": "current",
              "docStatus": "final",
              "type": {"coding": [{"system": "http://snomed.info/sct", "code": "373942005", "display": "Discharge summary"}]},
              "subject": {"reference": "Patient/p1"},
              "date": "2024-03-03T16:00:00+00:00",
              "author": [{"reference": "Practitioner/pr1"}],
              "custodian": {"identifier": {"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "RXX"}},
              "relatesTo": [{"code": "replaces", "target": {"reference": "DocumentReference/doc0"}}],
              "content": [{"attachment": {"contentType": "application/pdf", "url": "Binary/b1", "title": "Discharge summary"},
                "format": {"system": "https://fhir.nhs.uk/England/CodeSystem/England-NRLFormatCode", "code": "urn:nhs-ic:unstructured"}}],
              "context": {"encounter": [{"reference": "Encounter/e1"}], "period": {"start": "2024-03-01", "end": "2024-03-03"},
                "practiceSetting": {"text": "General medicine"}}
            }"#,
        );
        assert_eq!(
            doc.content[0]
                .attachment
                .as_ref()
                .unwrap()
                .content_type
                .as_deref(),
            Some("application/pdf")
        );
    }
}
