//! Provenance: who and what produced a resource (the source system and message).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::datatypes::{CodeableConcept, Extension, Meta, Narrative, Period, Reference};
use super::resource::{Resource, ResourceTag};

/// `Provenance.occurred[x]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Occurred {
    /// `occurredPeriod`.
    #[serde(rename = "occurredPeriod")]
    Period(Period),
    /// `occurredDateTime`.
    #[serde(rename = "occurredDateTime")]
    DateTime(String),
}

/// Provenance of resources (`Provenance`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Provenance {
    /// Always `"Provenance"`; serialised first.
    #[serde(rename = "resourceType")]
    pub resource_type: ResourceTag<Provenance>,
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
    /// Resources this provenance is about.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub target: Vec<Reference>,
    /// `occurred[x]`.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub occurred: Option<Occurred>,
    /// When recorded (FHIR instant).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recorded: Option<String>,
    /// Policies.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub policy: Vec<String>,
    /// Where the activity occurred.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Reference>,
    /// Reasons.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reason: Vec<CodeableConcept>,
    /// Activity (create, update…).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub activity: Option<CodeableConcept>,
    /// Agents involved.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub agent: Vec<ProvenanceAgent>,
    /// Entities used (e.g. the source HL7 message).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub entity: Vec<ProvenanceEntity>,
    /// Unknown fields, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// An agent (`Provenance.agent`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ProvenanceAgent {
    /// Element id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Extensions on the element.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// How the agent took part.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_: Option<CodeableConcept>,
    /// Roles.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub role: Vec<CodeableConcept>,
    /// Who took part.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub who: Option<Reference>,
    /// On behalf of whom.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_behalf_of: Option<Reference>,
    /// Unknown fields, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// An entity used (`Provenance.entity`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ProvenanceEntity {
    /// Element id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Extensions on the element.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// `derivation | revision | quotation | source | removal`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// Identity of the entity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub what: Option<Reference>,
    /// Unknown fields, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fhir::test_util::round_trip;

    #[test]
    fn provenance_round_trips() {
        let prov: Provenance = round_trip(
            r#"{
              "resourceType": "Provenance",
              "id": "prov1",
              "target": [{"reference": "urn:uuid:f1d6a1f6-2b1f-4f0b-9a65-3c0ab0f8c001"}],
              "occurredDateTime": "2024-03-01T09:30:00+00:00",
              "recorded": "2024-03-01T09:31:00.123+00:00",
              "activity": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-DataOperation", "code": "CREATE"}]},
              "agent": [{"type": {"text": "author"}, "who": {"display": "PAS"},
                "onBehalfOf": {"identifier": {"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "RXX"}}}],
              "entity": [{"role": "source", "what": {"identifier": {"system": "urn:junction:journal", "value": "MSG00001"}}}]
            }"#,
        );
        assert_eq!(
            prov.occurred,
            Some(Occurred::DateTime("2024-03-01T09:30:00+00:00".into()))
        );
        assert_eq!(prov.entity[0].role.as_deref(), Some("source"));
    }
}
