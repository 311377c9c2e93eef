//! Appointment: outpatient bookings (SIU) and e-RS appointments.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::datatypes::{
    CodeableConcept, Extension, Identifier, Meta, Narrative, Period, Reference,
};
use super::resource::{Resource, ResourceTag};

/// A booking (`Appointment`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Appointment {
    /// Always `"Appointment"`; serialised first.
    #[serde(rename = "resourceType")]
    pub resource_type: ResourceTag<Appointment>,
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
    /// Identifiers: placer/filler appointment ids.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub identifier: Vec<Identifier>,
    /// `proposed | pending | booked | arrived | fulfilled | cancelled | noshow | entered-in-error | checked-in | waitlist`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Why the appointment was cancelled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cancelation_reason: Option<CodeableConcept>,
    /// Broad service category.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub service_category: Vec<CodeableConcept>,
    /// Specific service.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub service_type: Vec<CodeableConcept>,
    /// Specialty (treatment function).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub specialty: Vec<CodeableConcept>,
    /// Appointment type (new, follow-up).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub appointment_type: Option<CodeableConcept>,
    /// Coded reasons.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reason_code: Vec<CodeableConcept>,
    /// Reasons as references.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reason_reference: Vec<Reference>,
    /// Priority (0 = undefined).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<u32>,
    /// Shown on a subject line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Additional information.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub supporting_information: Vec<Reference>,
    /// Start (FHIR instant).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    /// End (FHIR instant).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
    /// Length in minutes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub minutes_duration: Option<u32>,
    /// Slots booked.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub slot: Vec<Reference>,
    /// When the appointment was created.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// Comments.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Instructions for the patient.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patient_instruction: Option<String>,
    /// Requests (referrals) this fulfils.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub based_on: Vec<Reference>,
    /// Participants: patient, clinician, location.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub participant: Vec<AppointmentParticipant>,
    /// Preferred periods.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub requested_period: Vec<Period>,
    /// Unknown fields, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A participant (`Appointment.participant`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct AppointmentParticipant {
    /// Element id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Extensions on the element.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// Role.
    #[serde(rename = "type", skip_serializing_if = "Vec::is_empty")]
    pub type_: Vec<CodeableConcept>,
    /// Patient, practitioner, location…
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor: Option<Reference>,
    /// `required | optional | information-only`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub required: Option<String>,
    /// `accepted | declined | tentative | needs-action`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// When they take part.
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

    #[test]
    fn appointment_round_trips() {
        let appt: Appointment = round_trip(
            r#"{
              "resourceType": "Appointment",
              "id": "appt1",
              "identifier": [{"system": "https://fhir.rxx.nhs.uk/Id/appointment", "value": "A0001"}],
              "status": "booked",
              "serviceType": [{"text": "Cardiology outpatients"}],
              "specialty": [{"coding": [{"system": "https://fhir.nhs.uk/CodeSystem/NHSDataModelAndDictionary-treatment-function", "code": "320"}]}],
              "appointmentType": {"text": "New"},
              "priority": 0,
              "start": "2024-04-02T09:00:00+01:00",
              "end": "2024-04-02T09:20:00+01:00",
              "minutesDuration": 20,
              "created": "2024-03-01",
              "basedOn": [{"identifier": {"system": "https://fhir.nhs.uk/Id/UBRN", "value": "000000000001"}}],
              "participant": [
                {"actor": {"reference": "Patient/p1"}, "required": "required", "status": "accepted"},
                {"type": [{"text": "clinic"}], "actor": {"reference": "Location/clinic-c1"}, "status": "accepted"}
              ]
            }"#,
        );
        assert_eq!(appt.participant.len(), 2);
        assert_eq!(appt.minutes_duration, Some(20));
    }
}
