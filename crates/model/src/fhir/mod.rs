//! FHIR R4 resources in UK Core form, hand-written for the fields that PAS,
//! RIS/PACS, prescribing and referral integrations use.
//!
//! Conventions, shared by every type here:
//! - field names are the FHIR names in snake case (`type` is `type_`, `use`
//!   is `use_`); JSON is exactly FHIR JSON (camelCase);
//! - optional elements are `Option`, repeating ones `Vec` (omitted when
//!   empty); all types derive `Default` so adapters can write
//!   `Patient { gender: Some(..), ..Default::default() }`;
//! - choice elements (`value[x]`, `deceased[x]`, …) are enums whose variants
//!   serialise to the FHIR key (`valueQuantity`, `deceasedDateTime`);
//! - unknown members land in `extra` and are written back unchanged, so
//!   JSON → struct → JSON loses nothing (for valid FHIR input);
//! - each resource struct serialises with `"resourceType"` first, alone or
//!   inside [`Resource`].

pub mod datatypes;

mod allergy_intolerance;
mod appointment;
mod bundle;
mod choice;
mod diagnostic_report;
mod document_reference;
mod encounter;
mod episode_of_care;
mod imaging_study;
mod location;
mod medication;
mod medication_request;
mod message_header;
mod observation;
mod operation_outcome;
mod organization;
mod patient;
mod practitioner;
mod provenance;
mod resource;
mod service_request;
#[cfg(test)]
mod test_util;

pub use allergy_intolerance::{AllergyIntolerance, AllergyReaction, Onset};
pub use appointment::{Appointment, AppointmentParticipant};
pub use bundle::{
    Bundle, BundleEntry, BundleEntryRequest, BundleEntryResponse, BundleEntrySearch, BundleLink,
};
pub use choice::{Effective, Occurrence};
pub use datatypes::*;
pub use diagnostic_report::DiagnosticReport;
pub use document_reference::{
    DocumentContent, DocumentContext, DocumentReference, DocumentRelatesTo,
};
pub use encounter::{Encounter, EncounterHospitalization, EncounterLocation, EncounterParticipant};
pub use episode_of_care::EpisodeOfCare;
pub use imaging_study::{ImagingInstance, ImagingSeries, ImagingStudy};
pub use location::Location;
pub use medication::{IngredientItem, Medication, MedicationBatch, MedicationIngredient};
pub use medication_request::{
    DispenseRequest, MedicationChoice, MedicationRequest, MedicationSubstitution,
    SubstitutionAllowed,
};
pub use message_header::{
    MessageDestination, MessageEvent, MessageHeader, MessageResponse, MessageSource,
};
pub use observation::{
    Observation, ObservationComponent, ObservationReferenceRange, ObservationValue,
};
pub use operation_outcome::{OperationOutcome, OperationOutcomeIssue};
pub use organization::Organization;
pub use patient::{
    Deceased, MultipleBirth, Patient, PatientCommunication, PatientContact, PatientLink,
};
pub use practitioner::{Practitioner, PractitionerQualification, PractitionerRole};
pub use provenance::{Occurred, Provenance, ProvenanceAgent, ProvenanceEntity};
pub(crate) use resource::redact_quoted;
pub use resource::{FhirResource, Resource, ResourceTag};
pub use service_request::ServiceRequest;
