//! Patient: demographics from PAS (PID) and PDS, in UK Core form.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::AdministrativeGender;
use super::datatypes::{
    Address, CodeableConcept, ContactPoint, Element, Extension, HumanName, Identifier, Meta,
    Narrative, Period, Reference,
};
use super::resource::{Resource, ResourceTag};
use crate::nhs_number::NhsNumber;
use crate::uk_core::{self, VerificationStatus};

/// `Patient.deceased[x]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Deceased {
    /// `deceasedBoolean`.
    #[serde(rename = "deceasedBoolean")]
    Boolean(bool),
    /// `deceasedDateTime`.
    #[serde(rename = "deceasedDateTime")]
    DateTime(String),
}

/// `Patient.multipleBirth[x]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum MultipleBirth {
    /// `multipleBirthBoolean`.
    #[serde(rename = "multipleBirthBoolean")]
    Boolean(bool),
    /// `multipleBirthInteger`.
    #[serde(rename = "multipleBirthInteger")]
    Integer(i32),
}

/// A patient (`Patient`), UK Core profile `UKCore-Patient`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Patient {
    /// Always `"Patient"`; serialised first.
    #[serde(rename = "resourceType")]
    pub resource_type: ResourceTag<Patient>,
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
    /// Identifiers: NHS number, local MRNs.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub identifier: Vec<Identifier>,
    /// Whether the record is in active use.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    /// Names.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub name: Vec<HumanName>,
    /// Phone numbers, email addresses.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub telecom: Vec<ContactPoint>,
    /// Administrative gender.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gender: Option<AdministrativeGender>,
    /// Date of birth (FHIR date).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<String>,
    /// Extensions on `birthDate` (e.g. birth time).
    #[serde(rename = "_birthDate", skip_serializing_if = "Option::is_none")]
    pub birth_date_ext: Option<Element>,
    /// `deceased[x]`.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub deceased: Option<Deceased>,
    /// Addresses.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub address: Vec<Address>,
    /// Marital status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub marital_status: Option<CodeableConcept>,
    /// `multipleBirth[x]`.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub multiple_birth: Option<MultipleBirth>,
    /// Next of kin and other contacts.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub contact: Vec<PatientContact>,
    /// Languages spoken.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub communication: Vec<PatientCommunication>,
    /// Registered GP practice or GP (ODS reference).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub general_practitioner: Vec<Reference>,
    /// Organisation holding the record.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub managing_organization: Option<Reference>,
    /// Links to other patient records (merges).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub link: Vec<PatientLink>,
    /// Unknown fields, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A contact party (`Patient.contact`), e.g. next of kin.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PatientContact {
    /// Element id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Extensions on the element.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// Relationship to the patient.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub relationship: Vec<CodeableConcept>,
    /// Contact name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<HumanName>,
    /// Contact details.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub telecom: Vec<ContactPoint>,
    /// Contact address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
    /// Contact gender.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gender: Option<AdministrativeGender>,
    /// Organisation the contact works for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization: Option<Reference>,
    /// When the contact is valid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<Period>,
    /// Unknown fields, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A language the patient uses (`Patient.communication`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PatientCommunication {
    /// Element id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Extensions on the element.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// The language.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<CodeableConcept>,
    /// Whether it is preferred.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preferred: Option<bool>,
    /// Unknown fields, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A link to another patient record (`Patient.link`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PatientLink {
    /// Element id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Extensions on the element.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// The other Patient (or RelatedPerson).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub other: Option<Reference>,
    /// `replaced-by | replaces | refer | seealso`.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_: Option<String>,
    /// Unknown fields, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Patient {
    /// The first valid NHS number among the identifiers.
    pub fn nhs_number(&self) -> Option<NhsNumber> {
        uk_core::nhs_number_from_identifiers(&self.identifier)
    }

    /// The verification status on the first NHS number identifier, if any.
    pub fn nhs_number_verification(&self) -> Option<VerificationStatus> {
        self.identifier
            .iter()
            .find(|id| id.system.as_deref() == Some(uk_core::systems::NHS_NUMBER))
            .and_then(VerificationStatus::from_identifier)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fhir::test_util::round_trip;
    use crate::fhir::{Deceased, ExtensionValue, MultipleBirth};

    const UK_CORE_PATIENT: &str = r##"{
      "resourceType": "Patient",
      "id": "f1d6a1f6-2b1f-4f0b-9a65-3c0ab0f8c001",
      "meta": {"profile": ["https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient"]},
      "implicitRules": "https://trust.example/rules",
      "contained": [
        {"resourceType": "FamilyMemberHistory", "id": "fmh1", "status": "completed",
         "patient": {"reference": "#"}, "relationship": {"text": "mother"}}
      ],
      "extension": [
        {"url": "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-EthnicCategory",
         "valueCodeableConcept": {"coding": [{"system": "https://fhir.hl7.org.uk/CodeSystem/UKCore-EthnicCategoryEngland",
           "code": "A", "display": "White - British"}]}},
        {"url": "https://example.org/fhir/StructureDefinition/x-sampled",
         "valueSampledData": {"origin": {"value": 0}, "period": 1, "dimensions": 1, "data": "1 2"}}
      ],
      "identifier": [
        {"extension": [{"url": "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSNumberVerificationStatus",
           "valueCodeableConcept": {"coding": [{"system": "https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatusEngland",
             "code": "01", "display": "Number present and verified"}]}}],
         "system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9990000018"},
        {"use": "usual", "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}]},
         "system": "https://fhir.rxx.nhs.uk/Id/local-patient-identifier", "value": "RXX123456",
         "assigner": {"identifier": {"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "RXX"}}}
      ],
      "active": true,
      "name": [{"use": "official", "family": "TESTPATIENT", "given": ["Alex", "Sam"], "prefix": ["Mx"]}],
      "telecom": [{"system": "phone", "value": "01632 960000", "use": "mobile", "rank": 1}],
      "gender": "unknown",
      "birthDate": "1980-02-29",
      "_birthDate": {"extension": [{"url": "http://hl7.org/fhir/StructureDefinition/patient-birthTime",
        "valueDateTime": "1980-02-29T06:15:00+00:00"}]},
      "deceasedBoolean": false,
      "address": [{"use": "home", "line": ["1 Test Street"], "city": "Leeds", "postalCode": "LS1 1AA",
        "period": {"start": "2020-01-01"}}],
      "multipleBirthBoolean": false,
      "contact": [{"relationship": [{"text": "Next of kin"}], "name": {"text": "Jo TESTPATIENT"},
        "telecom": [{"system": "phone", "value": "01632 960001"}]}],
      "communication": [{"language": {"coding": [{"system": "https://fhir.hl7.org.uk/CodeSystem/UKCore-HumanLanguage", "code": "en"}]},
        "preferred": true}],
      "generalPractitioner": [{"type": "Organization",
        "identifier": {"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "Y12345"}}],
      "managingOrganization": {"reference": "Organization/rxx", "display": "RXX TRUST"},
      "link": [{"other": {"reference": "Patient/old"}, "type": "replaces"}],
      "photo": [{"contentType": "image/png", "data": "iVBORw0KGgo="}],
      "x-local-unknown": {"nested": [1, 2.5, "three", null]}
    }"##;

    #[test]
    fn uk_core_patient_round_trips() {
        let p: Patient = round_trip(UK_CORE_PATIENT);
        assert_eq!(
            p.nhs_number().map(|n| n.to_string()).as_deref(),
            Some("9990000018")
        );
        assert_eq!(
            p.nhs_number_verification(),
            Some(VerificationStatus::Verified)
        );
        assert_eq!(p.gender, Some(crate::fhir::AdministrativeGender::Unknown));
        assert_eq!(p.deceased, Some(Deceased::Boolean(false)));
        assert_eq!(p.multiple_birth, Some(MultipleBirth::Boolean(false)));
        let birth_time = &p.birth_date_ext.as_ref().unwrap().extension[0];
        assert_eq!(
            birth_time.value,
            Some(ExtensionValue::DateTime("1980-02-29T06:15:00+00:00".into()))
        );
        assert!(matches!(p.contained[0], Resource::Unknown(_)));
        assert_eq!(p.contained[0].resource_type(), "FamilyMemberHistory");
        assert!(p.extra.contains_key("photo") && p.extra.contains_key("implicitRules"));
        // An extension value type we do not model stays in `extra`.
        assert!(p.extension[1].value.is_none());
        assert!(p.extension[1].extra.contains_key("valueSampledData"));
    }

    #[test]
    fn choice_types_use_fhir_keys() {
        let p = Patient {
            deceased: Some(Deceased::DateTime("2024-05-01T10:00:00Z".into())),
            multiple_birth: Some(MultipleBirth::Integer(2)),
            ..Default::default()
        };
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(
            json,
            r#"{"resourceType":"Patient","deceasedDateTime":"2024-05-01T10:00:00Z","multipleBirthInteger":2}"#
        );
    }

    #[test]
    fn wrong_resource_type_is_rejected() {
        let err = serde_json::from_str::<Patient>(r#"{"resourceType":"Encounter"}"#).unwrap_err();
        assert!(err.to_string().contains("expected resourceType `Patient`"));
    }
}
