//! Practitioner and PractitionerRole: clinicians identified by GMC, GMP, NMC or
//! SDS codes, and the roles they act in.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::AdministrativeGender;
use super::datatypes::{
    Address, CodeableConcept, ContactPoint, Extension, HumanName, Identifier, Meta, Narrative,
    Period, Reference,
};
use super::resource::{Resource, ResourceTag};

/// A person providing care (`Practitioner`), UK Core `UKCore-Practitioner`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Practitioner {
    /// Always `"Practitioner"`; serialised first.
    #[serde(rename = "resourceType")]
    pub resource_type: ResourceTag<Practitioner>,
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
    /// Identifiers: GMC, GMP, NMC, SDS user id, local codes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub identifier: Vec<Identifier>,
    /// Whether the record is in active use.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    /// Names.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub name: Vec<HumanName>,
    /// Contact details.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub telecom: Vec<ContactPoint>,
    /// Addresses.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub address: Vec<Address>,
    /// Administrative gender.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gender: Option<AdministrativeGender>,
    /// Date of birth.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<String>,
    /// Qualifications.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub qualification: Vec<PractitionerQualification>,
    /// Unknown fields, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A qualification (`Practitioner.qualification`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PractitionerQualification {
    /// Element id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Extensions on the element.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// Identifiers for the qualification.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub identifier: Vec<Identifier>,
    /// The qualification.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<CodeableConcept>,
    /// When valid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<Period>,
    /// Issuing organisation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<Reference>,
    /// Unknown fields, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A role a practitioner performs for an organisation (`PractitionerRole`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PractitionerRole {
    /// Always `"PractitionerRole"`; serialised first.
    #[serde(rename = "resourceType")]
    pub resource_type: ResourceTag<PractitionerRole>,
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
    /// Identifiers, e.g. SDS role profile id.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub identifier: Vec<Identifier>,
    /// Whether the role is active.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    /// When the role is held.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<Period>,
    /// The practitioner.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub practitioner: Option<Reference>,
    /// The organisation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization: Option<Reference>,
    /// Roles (SDS job role codes).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub code: Vec<CodeableConcept>,
    /// Specialties (treatment functions).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub specialty: Vec<CodeableConcept>,
    /// Where the role is performed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub location: Vec<Reference>,
    /// Services provided.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub healthcare_service: Vec<Reference>,
    /// Contact details.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub telecom: Vec<ContactPoint>,
    /// Unknown fields, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fhir::test_util::round_trip;

    #[test]
    fn practitioner_and_role_round_trip() {
        let prac: Practitioner = round_trip(
            r#"{
              "resourceType": "Practitioner",
              "id": "a8c85454-f8cb-498d-9629-78e2cb5fa47a",
              "identifier": [
                {"system": "https://fhir.nhs.uk/Id/sds-user-id", "value": "555086689106"},
                {"system": "https://fhir.hl7.org.uk/Id/gmc-number", "value": "6150129"}
              ],
              "name": [{"family": "TESTDOCTOR", "given": ["Sam"], "prefix": ["Dr"]}],
              "gender": "female",
              "qualification": [{"code": {"text": "MBBS"}, "period": {"start": "2001-07-01"}}]
            }"#,
        );
        assert_eq!(prac.identifier.len(), 2);
        let role: PractitionerRole = round_trip(
            r#"{
              "resourceType": "PractitionerRole",
              "id": "56166769-c1c4-4d07-afa8-132b5dfca666",
              "identifier": [{"system": "https://fhir.nhs.uk/Id/sds-role-profile-id", "value": "601986680555"}],
              "practitioner": {"reference": "urn:uuid:a8c85454-f8cb-498d-9629-78e2cb5fa47a"},
              "organization": {"reference": "urn:uuid:3b4b03a5-52ba-4ba6-9b82-70350aa109d8"},
              "code": [{"coding": [{"system": "https://fhir.nhs.uk/CodeSystem/NHSDigital-SDS-JobRoleCode", "code": "S8000:G8000:R8000"}]}],
              "specialty": [{"coding": [{"system": "https://fhir.nhs.uk/CodeSystem/NHSDataModelAndDictionary-treatment-function", "code": "100"}]}],
              "telecom": [{"system": "phone", "value": "01234567890", "use": "work"}],
              "availableTime": [{"daysOfWeek": ["mon"]}]
            }"#,
        );
        assert!(role.extra.contains_key("availableTime"));
    }
}
