//! AllergyIntolerance: allergies and adverse reactions (AL1/IAM segments).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::datatypes::{
    Age, Annotation, CodeableConcept, Extension, Identifier, Meta, Narrative, Period, Range,
    Reference,
};
use super::resource::{Resource, ResourceTag};

/// `AllergyIntolerance.onset[x]`.
#[allow(
    clippy::large_enum_variant,
    reason = "FHIR choice values are built once per message; unboxed variants are simpler to construct"
)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Onset {
    /// `onsetDateTime`.
    #[serde(rename = "onsetDateTime")]
    DateTime(String),
    /// `onsetAge`.
    #[serde(rename = "onsetAge")]
    Age(Age),
    /// `onsetPeriod`.
    #[serde(rename = "onsetPeriod")]
    Period(Period),
    /// `onsetRange`.
    #[serde(rename = "onsetRange")]
    Range(Range),
    /// `onsetString`.
    #[serde(rename = "onsetString")]
    String(String),
}

/// An allergy or intolerance (`AllergyIntolerance`), UK Core `UKCore-AllergyIntolerance`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct AllergyIntolerance {
    /// Always `"AllergyIntolerance"`; serialised first.
    #[serde(rename = "resourceType")]
    pub resource_type: ResourceTag<AllergyIntolerance>,
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
    /// Identifiers.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub identifier: Vec<Identifier>,
    /// `active | inactive | resolved`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clinical_status: Option<CodeableConcept>,
    /// `unconfirmed | confirmed | refuted | entered-in-error`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verification_status: Option<CodeableConcept>,
    /// `allergy | intolerance`.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_: Option<String>,
    /// `food | medication | environment | biologic`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub category: Vec<String>,
    /// `low | high | unable-to-assess`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub criticality: Option<String>,
    /// The substance or class.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<CodeableConcept>,
    /// The patient.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patient: Option<Reference>,
    /// Encounter when recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encounter: Option<Reference>,
    /// `onset[x]`.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub onset: Option<Onset>,
    /// When recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recorded_date: Option<String>,
    /// Who recorded it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recorder: Option<Reference>,
    /// Source of the information.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub asserter: Option<Reference>,
    /// Last known occurrence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_occurrence: Option<String>,
    /// Comments.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub note: Vec<Annotation>,
    /// Reactions.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reaction: Vec<AllergyReaction>,
    /// Unknown fields, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// An adverse reaction event (`AllergyIntolerance.reaction`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct AllergyReaction {
    /// Element id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Extensions on the element.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// Specific substance.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub substance: Option<CodeableConcept>,
    /// Clinical symptoms.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub manifestation: Vec<CodeableConcept>,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// When the reaction started.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub onset: Option<String>,
    /// `mild | moderate | severe`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<String>,
    /// Route of exposure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exposure_route: Option<CodeableConcept>,
    /// Comments.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub note: Vec<Annotation>,
    /// Unknown fields, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fhir::test_util::round_trip;

    #[test]
    fn allergy_round_trips() {
        let allergy: AllergyIntolerance = round_trip(
            r#"{
              "resourceType": "AllergyIntolerance",
              "id": "al1",
              "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "code": "active"}]},
              "verificationStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification", "code": "confirmed"}]},
              "type": "allergy",
              "category": ["medication"],
              "criticality": "high",
              "code": {"coding": [{"system": "http://snomed.info/sct", "code": "764146007", "display": "Penicillin"}]},
              "patient": {"reference": "Patient/p1"},
              "onsetAge": {"value": 12, "unit": "years", "system": "http://unitsofmeasure.org", "code": "a"},
              "recordedDate": "2024-03-01",
              "reaction": [{"manifestation": [{"text": "Rash"}], "severity": "moderate"}]
            }"#,
        );
        assert!(matches!(allergy.onset, Some(Onset::Age(_))));
        assert_eq!(allergy.category, ["medication"]);
    }
}
