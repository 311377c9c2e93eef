//! EpisodeOfCare: a spell of care (e.g. a referral-to-treatment pathway) that
//! groups encounters.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::datatypes::{
    CodeableConcept, Extension, Identifier, Meta, Narrative, Period, Reference,
};
use super::resource::{Resource, ResourceTag};

/// An episode of care (`EpisodeOfCare`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct EpisodeOfCare {
    /// Always `"EpisodeOfCare"`; serialised first.
    #[serde(rename = "resourceType")]
    pub resource_type: ResourceTag<EpisodeOfCare>,
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
    /// Identifiers, e.g. pathway id.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub identifier: Vec<Identifier>,
    /// `planned | waitlist | active | onhold | finished | cancelled | entered-in-error`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Type of episode.
    #[serde(rename = "type", skip_serializing_if = "Vec::is_empty")]
    pub type_: Vec<CodeableConcept>,
    /// The patient.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patient: Option<Reference>,
    /// Organisation responsible.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub managing_organization: Option<Reference>,
    /// Start and end.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<Period>,
    /// Originating referrals.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub referral_request: Vec<Reference>,
    /// Care coordinator.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub care_manager: Option<Reference>,
    /// Care teams.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub team: Vec<Reference>,
    /// Unknown fields, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fhir::test_util::round_trip;

    #[test]
    fn episode_of_care_round_trips() {
        let eoc: EpisodeOfCare = round_trip(
            r#"{
              "resourceType": "EpisodeOfCare",
              "id": "eoc1",
              "identifier": [{"system": "https://fhir.nhs.uk/Id/rtt-pathway-id", "value": "RXX000123456789"}],
              "status": "active",
              "statusHistory": [{"status": "waitlist", "period": {"start": "2024-01-10"}}],
              "type": [{"text": "Referral to treatment pathway"}],
              "patient": {"reference": "Patient/p1"},
              "managingOrganization": {"identifier": {"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "RXX"}},
              "period": {"start": "2024-01-10"},
              "referralRequest": [{"reference": "ServiceRequest/ubrn-000000000001"}],
              "careManager": {"display": "Dr Test"}
            }"#,
        );
        assert_eq!(eoc.status.as_deref(), Some("active"));
    }
}
