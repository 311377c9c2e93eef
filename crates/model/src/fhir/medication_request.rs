//! MedicationRequest: a prescription or medication order (EPMA, EPS).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::datatypes::{
    Annotation, CodeableConcept, Dosage, Duration, Extension, Identifier, Meta, Narrative, Period,
    Quantity, Reference,
};
use super::resource::{Resource, ResourceTag};

/// `medication[x]`: coded (dm+d) or a reference to a Medication.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum MedicationChoice {
    /// `medicationCodeableConcept`.
    #[serde(rename = "medicationCodeableConcept")]
    CodeableConcept(CodeableConcept),
    /// `medicationReference`.
    #[serde(rename = "medicationReference")]
    Reference(Reference),
}

/// `MedicationRequest.substitution.allowed[x]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum SubstitutionAllowed {
    /// `allowedBoolean`.
    #[serde(rename = "allowedBoolean")]
    Boolean(bool),
    /// `allowedCodeableConcept`.
    #[serde(rename = "allowedCodeableConcept")]
    CodeableConcept(CodeableConcept),
}

/// A medication order (`MedicationRequest`), UK Core `UKCore-MedicationRequest`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct MedicationRequest {
    /// Always `"MedicationRequest"`; serialised first.
    #[serde(rename = "resourceType")]
    pub resource_type: ResourceTag<MedicationRequest>,
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
    /// Identifiers, e.g. prescription order item number.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub identifier: Vec<Identifier>,
    /// `active | on-hold | cancelled | completed | entered-in-error | stopped | draft | unknown`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Reason for the current status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<CodeableConcept>,
    /// `proposal | plan | order | original-order | reflex-order | filler-order | instance-order | option`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub intent: Option<String>,
    /// Inpatient, outpatient, community, discharge.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub category: Vec<CodeableConcept>,
    /// `routine | urgent | asap | stat`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<String>,
    /// True if the medication must not be given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub do_not_perform: Option<bool>,
    /// `medication[x]`.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub medication: Option<MedicationChoice>,
    /// The patient.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<Reference>,
    /// Encounter.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encounter: Option<Reference>,
    /// Supporting information.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub supporting_information: Vec<Reference>,
    /// When written (FHIR dateTime).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authored_on: Option<String>,
    /// Prescriber (usually a PractitionerRole).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requester: Option<Reference>,
    /// Intended performer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub performer: Option<Reference>,
    /// Kind of performer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub performer_type: Option<CodeableConcept>,
    /// Who entered the order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recorder: Option<Reference>,
    /// Coded reasons.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reason_code: Vec<CodeableConcept>,
    /// Reasons as references.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reason_reference: Vec<Reference>,
    /// What the order fulfils.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub based_on: Vec<Reference>,
    /// Prescription (group) identifier.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_identifier: Option<Identifier>,
    /// Acute, continuous, repeat dispensing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub course_of_therapy_type: Option<CodeableConcept>,
    /// Comments.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub note: Vec<Annotation>,
    /// How to take the medication.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dosage_instruction: Vec<Dosage>,
    /// Dispensing details.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dispense_request: Option<DispenseRequest>,
    /// Whether substitution is allowed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub substitution: Option<MedicationSubstitution>,
    /// Order this one replaces.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prior_prescription: Option<Reference>,
    /// Unknown fields, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Dispensing details (`MedicationRequest.dispenseRequest`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct DispenseRequest {
    /// Element id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Extensions on the element.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// Minimum period between dispenses.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dispense_interval: Option<Duration>,
    /// Period the prescription is valid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub validity_period: Option<Period>,
    /// Number of refills authorised.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number_of_repeats_allowed: Option<u32>,
    /// Amount to dispense.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quantity: Option<Quantity>,
    /// Days supply.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_supply_duration: Option<Duration>,
    /// Intended dispenser.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub performer: Option<Reference>,
    /// Unknown fields, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Substitution rules (`MedicationRequest.substitution`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct MedicationSubstitution {
    /// Element id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Extensions on the element.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// `allowed[x]`.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub allowed: Option<SubstitutionAllowed>,
    /// Why substitution is (not) allowed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<CodeableConcept>,
    /// Unknown fields, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fhir::test_util::round_trip;
    use crate::fhir::{AsNeeded, Dose, Rate, TimingBounds};

    const ORDER: &str = r#"{
      "resourceType": "MedicationRequest",
      "id": "a54219b8-f741-4c47-b662-e4f8dfa49ab6",
      "identifier": [{"system": "https://fhir.nhs.uk/Id/prescription-order-item-number", "value": "c7f5c532-6835-4907-b83e-dc46f758129c"}],
      "status": "active",
      "intent": "order",
      "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/medicationrequest-category", "code": "inpatient"}]}],
      "medicationCodeableConcept": {"coding": [{"system": "http://snomed.info/sct", "code": "39720311000001101", "display": "Paracetamol 500mg tablets"}]},
      "subject": {"reference": "urn:uuid:f1d6a1f6-2b1f-4f0b-9a65-3c0ab0f8c001"},
      "authoredOn": "2024-03-01T10:00:00+00:00",
      "requester": {"reference": "urn:uuid:56166769-c1c4-4d07-afa8-132b5dfca666"},
      "groupIdentifier": {"system": "https://fhir.nhs.uk/Id/prescription-order-number", "value": "B61BA2-0RRERP-F2ACDV"},
      "courseOfTherapyType": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/medicationrequest-course-of-therapy", "code": "acute"}]},
      "dosageInstruction": [
        {"sequence": 1, "text": "1 to 2 tablets up to four times a day when required",
         "timing": {"repeat": {"frequency": 4, "period": 1, "periodUnit": "d",
           "boundsDuration": {"value": 5, "unit": "day", "system": "http://unitsofmeasure.org", "code": "d"}}},
         "asNeededBoolean": true,
         "route": {"coding": [{"system": "http://snomed.info/sct", "code": "26643006", "display": "Oral"}]},
         "doseAndRate": [{"doseRange": {"low": {"value": 1, "unit": "tablet"}, "high": {"value": 2, "unit": "tablet"}}}],
         "maxDosePerPeriod": {"numerator": {"value": 8}, "denominator": {"value": 1, "unit": "day"}}},
        {"sequence": 2, "text": "Infusion",
         "doseAndRate": [{"doseQuantity": {"value": 0.5, "unit": "g"},
           "rateRatio": {"numerator": {"value": 12.50, "unit": "mL"}, "denominator": {"value": 1, "unit": "h"}}}]}
      ],
      "dispenseRequest": {"validityPeriod": {"start": "2024-03-01", "end": "2024-03-29"},
        "numberOfRepeatsAllowed": 0,
        "quantity": {"value": 32, "unit": "tablet", "system": "http://snomed.info/sct", "code": "428673006"},
        "expectedSupplyDuration": {"value": 8, "unit": "day", "system": "http://unitsofmeasure.org", "code": "d"}},
      "substitution": {"allowedBoolean": false}
    }"#;

    #[test]
    fn medication_request_with_dosage_round_trips() {
        let mr: MedicationRequest = round_trip(ORDER);
        assert!(matches!(
            mr.medication,
            Some(MedicationChoice::CodeableConcept(_))
        ));
        let first = &mr.dosage_instruction[0];
        assert_eq!(first.as_needed, Some(AsNeeded::Boolean(true)));
        let repeat = first.timing.as_ref().unwrap().repeat.as_ref().unwrap();
        assert_eq!(repeat.frequency, Some(4));
        assert!(matches!(repeat.bounds, Some(TimingBounds::Duration(_))));
        assert!(matches!(first.dose_and_rate[0].dose, Some(Dose::Range(_))));
        let second = &mr.dosage_instruction[1].dose_and_rate[0];
        assert!(matches!(second.dose, Some(Dose::Quantity(_))));
        assert!(matches!(second.rate, Some(Rate::Ratio(_))));
        let allowed = &mr.substitution.as_ref().unwrap().allowed;
        assert_eq!(allowed, &Some(SubstitutionAllowed::Boolean(false)));
    }
}
