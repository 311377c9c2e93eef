//! Encounter: an inpatient stay, outpatient attendance or ED visit, built from
//! ADT (PV1/PV2) messages.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::datatypes::{
    CodeableConcept, Coding, Duration, Extension, Identifier, Meta, Narrative, Period, Reference,
};
use super::resource::{Resource, ResourceTag};

/// An interaction with a patient (`Encounter`), UK Core `UKCore-Encounter`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Encounter {
    /// Always `"Encounter"`; serialised first.
    #[serde(rename = "resourceType")]
    pub resource_type: ResourceTag<Encounter>,
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
    /// Identifiers, e.g. the PAS visit number.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub identifier: Vec<Identifier>,
    /// `planned | arrived | triaged | in-progress | onleave | finished | cancelled | entered-in-error | unknown`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Class: `IMP`, `AMB`, `EMER`, … (v3 ActCode).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class: Option<Coding>,
    /// Specific type of encounter.
    #[serde(rename = "type", skip_serializing_if = "Vec::is_empty")]
    pub type_: Vec<CodeableConcept>,
    /// Broad service category (treatment function).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_type: Option<CodeableConcept>,
    /// Urgency.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<CodeableConcept>,
    /// The patient.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<Reference>,
    /// Episodes of care this encounter belongs to.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub episode_of_care: Vec<Reference>,
    /// Referrals or requests that led to this encounter.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub based_on: Vec<Reference>,
    /// Staff involved (consultant, attending, …).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub participant: Vec<EncounterParticipant>,
    /// Appointments that scheduled this encounter.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub appointment: Vec<Reference>,
    /// Start and end.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<Period>,
    /// Length of the encounter.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub length: Option<Duration>,
    /// Coded reasons.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reason_code: Vec<CodeableConcept>,
    /// Reasons as references (Condition, Procedure…).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reason_reference: Vec<Reference>,
    /// Admission and discharge details.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hospitalization: Option<EncounterHospitalization>,
    /// Locations (ward, bed) and when the patient was there.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub location: Vec<EncounterLocation>,
    /// Organisation responsible (ODS reference).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_provider: Option<Reference>,
    /// Encounter this one is part of.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub part_of: Option<Reference>,
    /// Unknown fields, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A participant in an encounter (`Encounter.participant`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct EncounterParticipant {
    /// Element id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Extensions on the element.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// Role, e.g. `ATND`, `CON`.
    #[serde(rename = "type", skip_serializing_if = "Vec::is_empty")]
    pub type_: Vec<CodeableConcept>,
    /// When they took part.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<Period>,
    /// The practitioner.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub individual: Option<Reference>,
    /// Unknown fields, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Admission and discharge details (`Encounter.hospitalization`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct EncounterHospitalization {
    /// Element id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Extensions on the element.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// Pre-admission identifier.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pre_admission_identifier: Option<Identifier>,
    /// Where the patient came from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<Reference>,
    /// Source of admission.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admit_source: Option<CodeableConcept>,
    /// Type of readmission.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub re_admission: Option<CodeableConcept>,
    /// Diet preferences.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub diet_preference: Vec<CodeableConcept>,
    /// Special arrangements (wheelchair, interpreter…).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub special_arrangement: Vec<CodeableConcept>,
    /// Where the patient went on discharge.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination: Option<Reference>,
    /// Discharge destination/method category.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discharge_disposition: Option<CodeableConcept>,
    /// Unknown fields, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A location the patient was at (`Encounter.location`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct EncounterLocation {
    /// Element id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Extensions on the element.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// The Location (ward, bay, bed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Reference>,
    /// `planned | active | reserved | completed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Kind of location (ward, bed, room).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub physical_type: Option<CodeableConcept>,
    /// When the patient was there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<Period>,
    /// Unknown fields, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fhir::test_util::round_trip;

    const INPATIENT_ENCOUNTER: &str = r#"{
      "resourceType": "Encounter",
      "id": "2b1f8c2e-6d2a-8c1e-9f00-000000000001",
      "meta": {"profile": ["https://fhir.hl7.org.uk/StructureDefinition/UKCore-Encounter"]},
      "identifier": [{"system": "https://fhir.rxx.nhs.uk/Id/visit-number", "value": "V000123"}],
      "status": "in-progress",
      "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP", "display": "inpatient encounter"},
      "type": [{"coding": [{"system": "http://snomed.info/sct", "code": "183452005", "display": "Emergency hospital admission"}]}],
      "serviceType": {"coding": [{"system": "https://fhir.nhs.uk/CodeSystem/NHSDataModelAndDictionary-treatment-function", "code": "300"}]},
      "priority": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActPriority", "code": "EM"}]},
      "subject": {"reference": "urn:uuid:f1d6a1f6-2b1f-4f0b-9a65-3c0ab0f8c001"},
      "episodeOfCare": [{"reference": "EpisodeOfCare/eoc1"}],
      "participant": [{"type": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "code": "CON"}]}],
        "individual": {"type": "Practitioner", "identifier": {"system": "https://fhir.hl7.org.uk/Id/gmc-number", "value": "C1234567"}}}],
      "period": {"start": "2024-03-01T09:30:00+00:00"},
      "length": {"value": 2, "unit": "days", "system": "http://unitsofmeasure.org", "code": "d"},
      "reasonCode": [{"text": "Chest pain"}],
      "hospitalization": {
        "preAdmissionIdentifier": {"system": "https://fhir.rxx.nhs.uk/Id/pre-admission", "value": "PA1"},
        "origin": {"display": "Usual place of residence"},
        "admitSource": {"coding": [{"system": "https://fhir.hl7.org.uk/CodeSystem/UKCore-SourceOfAdmission", "code": "19"}]},
        "reAdmission": {"text": "Not a readmission"},
        "dischargeDisposition": {"coding": [{"system": "https://fhir.hl7.org.uk/CodeSystem/UKCore-DischargeDestination", "code": "19"}]},
        "destination": {"display": "Home"}
      },
      "location": [
        {"location": {"identifier": {"system": "https://fhir.nhs.uk/Id/ods-site-code", "value": "RXX01"}, "display": "Ward 1"},
         "status": "active", "period": {"start": "2024-03-01T09:30:00+00:00"},
         "physicalType": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/location-physical-type", "code": "wa"}]}}
      ],
      "serviceProvider": {"type": "Organization", "identifier": {"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "RXX"}},
      "partOf": {"reference": "Encounter/parent"},
      "statusHistory": [{"status": "arrived", "period": {"start": "2024-03-01T09:00:00+00:00"}}]
    }"#;

    #[test]
    fn encounter_round_trips() {
        let enc: Encounter = round_trip(INPATIENT_ENCOUNTER);
        assert_eq!(
            enc.class.as_ref().and_then(|c| c.code.as_deref()),
            Some("IMP")
        );
        let hosp = enc.hospitalization.as_ref().unwrap();
        assert_eq!(
            hosp.pre_admission_identifier
                .as_ref()
                .unwrap()
                .value
                .as_deref(),
            Some("PA1")
        );
        assert_eq!(
            enc.location[0]
                .location
                .as_ref()
                .unwrap()
                .display
                .as_deref(),
            Some("Ward 1")
        );
        assert_eq!(enc.length.as_ref().unwrap().value, Some(2.into()));
        assert!(enc.extra.contains_key("statusHistory"));
    }
}
