//! ServiceRequest: orders (ORM/OMG, radiology and pathology requests) and
//! referrals (e-RS).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::choice::Occurrence;
use super::datatypes::{
    Annotation, AsNeeded, CodeableConcept, Extension, Identifier, Meta, Narrative, Reference,
};
use super::resource::{Resource, ResourceTag};

/// An order or referral (`ServiceRequest`), UK Core `UKCore-ServiceRequest`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ServiceRequest {
    /// Always `"ServiceRequest"`; serialised first.
    #[serde(rename = "resourceType")]
    pub resource_type: ResourceTag<ServiceRequest>,
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
    /// Identifiers: placer/filler order numbers, UBRN.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub identifier: Vec<Identifier>,
    /// What this request fulfils.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub based_on: Vec<Reference>,
    /// Requests this one replaces.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub replaces: Vec<Reference>,
    /// Composite request (group) identifier.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requisition: Option<Identifier>,
    /// `draft | active | on-hold | revoked | completed | entered-in-error | unknown`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// `proposal | plan | directive | order | …`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub intent: Option<String>,
    /// Classification of the service.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub category: Vec<CodeableConcept>,
    /// `routine | urgent | asap | stat`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<String>,
    /// True if the service must not be performed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub do_not_perform: Option<bool>,
    /// What is requested (procedure or test code).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<CodeableConcept>,
    /// Additional order information.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub order_detail: Vec<CodeableConcept>,
    /// The patient.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<Reference>,
    /// Encounter the request was made in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encounter: Option<Reference>,
    /// `occurrence[x]`: when the service should happen.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub occurrence: Option<Occurrence>,
    /// `asNeeded[x]`.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub as_needed: Option<AsNeeded>,
    /// When the request was signed (FHIR dateTime).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authored_on: Option<String>,
    /// Who asked for it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requester: Option<Reference>,
    /// Kind of performer wanted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub performer_type: Option<CodeableConcept>,
    /// Requested performers.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub performer: Vec<Reference>,
    /// Requested location (coded).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub location_code: Vec<CodeableConcept>,
    /// Coded reasons (clinical indication).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reason_code: Vec<CodeableConcept>,
    /// Reasons as references.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reason_reference: Vec<Reference>,
    /// Additional clinical information.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub supporting_info: Vec<Reference>,
    /// Specimens.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub specimen: Vec<Reference>,
    /// Body sites.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub body_site: Vec<CodeableConcept>,
    /// Comments.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub note: Vec<Annotation>,
    /// Instructions for the patient.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patient_instruction: Option<String>,
    /// Unknown fields, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fhir::test_util::round_trip;

    #[test]
    fn radiology_order_round_trips() {
        let sr: ServiceRequest = round_trip(
            r#"{
              "resourceType": "ServiceRequest",
              "id": "sr1",
              "meta": {"profile": ["https://fhir.hl7.org.uk/StructureDefinition/UKCore-ServiceRequest"]},
              "identifier": [
                {"type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "PLAC"}]},
                 "system": "https://fhir.rxx.nhs.uk/Id/placer-order", "value": "ORD0001"},
                {"system": "https://fhir.nhs.uk/Id/UBRN", "value": "000000000001"}
              ],
              "requisition": {"system": "https://fhir.rxx.nhs.uk/Id/placer-group", "value": "GRP1"},
              "status": "active",
              "intent": "order",
              "category": [{"coding": [{"system": "http://snomed.info/sct", "code": "363679005", "display": "Imaging"}]}],
              "priority": "urgent",
              "code": {"coding": [{"system": "http://snomed.info/sct", "code": "399208008", "display": "Plain chest X-ray"}]},
              "subject": {"reference": "Patient/p1"},
              "encounter": {"reference": "Encounter/e1"},
              "occurrencePeriod": {"start": "2024-03-01T10:00:00+00:00", "end": "2024-03-02T10:00:00+00:00"},
              "asNeededBoolean": false,
              "authoredOn": "2024-03-01T09:45:00+00:00",
              "requester": {"type": "Practitioner", "identifier": {"system": "https://fhir.hl7.org.uk/Id/gmc-number", "value": "C1234567"}},
              "reasonCode": [{"text": "Shortness of breath"}],
              "note": [{"text": "Patient uses a wheelchair"}],
              "patientInstruction": "Remove jewellery"
            }"#,
        );
        assert!(matches!(
            sr.occurrence,
            Some(crate::fhir::Occurrence::Period(_))
        ));
        assert_eq!(sr.as_needed, Some(crate::fhir::AsNeeded::Boolean(false)));
    }
}
