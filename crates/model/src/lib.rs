//! Junction's common model: what every adapter emits and the router reads.
//!
//! - [`fhir`]: hand-written serde types for the FHIR R4 resources Junction
//!   handles, in UK Core form. JSON in → struct → JSON out loses nothing:
//!   unknown members are kept in each type's `extra` map and unknown resource
//!   types in [`fhir::Resource::Unknown`].
//! - [`uk_core`]: UK Core constants (identifier systems, extension and profile
//!   URLs), NHS number verification status, ethnic category, gender mappings
//!   and helper constructors such as [`uk_core::nhs_number_identifier`].
//! - [`NhsNumber`]: a validated (modulus 11) NHS number whose `Debug` and
//!   errors never reveal the number.
//! - [`event`]: the [`Event`] envelope (kind, patient key, FHIR bundle,
//!   warnings) and [`deterministic_id`] for replay-stable ids.
//! - [`code_table`]: local-code → national-code lookup tables.
//!
//! This crate does no I/O and knows nothing of HL7 v2, TOML or storage.
//!
//! # Example: what an adapter builds
//!
//! ```
//! use junction_model::fhir::{
//!     AdministrativeGender, Coding, Encounter, MessageEvent, MessageHeader, Patient, Reference,
//! };
//! use junction_model::uk_core::{self, VerificationStatus, systems};
//! use junction_model::{Bundle, Event, EventKind, NhsNumber, Warning, deterministic_id, event};
//!
//! let msg_id = "MSG00001"; // MSH-10
//! let id = |part: &str| deterministic_id("pas", &[msg_id, part]);
//! let nhs = NhsNumber::parse("999 000 0018").expect("valid NHS number");
//!
//! let patient = Patient {
//!     id: Some(id("Patient")),
//!     meta: Some(uk_core::profile_meta(systems::profile::PATIENT)),
//!     identifier: vec![uk_core::nhs_number_identifier(&nhs, Some(VerificationStatus::Verified))],
//!     gender: uk_core::gender_from_hl7v2("F"),
//!     birth_date: Some("1980-02-29".into()),
//!     general_practitioner: vec![uk_core::ods_reference("Y12345", None)],
//!     ..Default::default()
//! };
//! let encounter = Encounter {
//!     id: Some(id("Encounter")),
//!     status: Some("in-progress".into()),
//!     class: Some(Coding::new(systems::V3_ACT_CODE, "IMP", Some("inpatient encounter"))),
//!     subject: Some(Reference::to(format!("urn:uuid:{}", id("Patient")))),
//!     service_provider: Some(uk_core::ods_reference("RXX", None)),
//!     ..Default::default()
//! };
//! let header = MessageHeader {
//!     id: Some(id("MessageHeader")),
//!     event: Some(MessageEvent::Coding(Coding::new(systems::MESSAGE_EVENT, "admit-patient", None))),
//!     focus: vec![Reference::to(format!("urn:uuid:{}", id("Encounter")))],
//!     ..Default::default()
//! };
//! let recorded_at = "2024-03-01T09:31:00Z"; // adapter input, not the clock
//! let bundle = Bundle::message(
//!     header,
//!     vec![patient.into(), encounter.into()],
//!     id("Bundle"),
//!     recorded_at,
//! );
//! let event = Event {
//!     message_type: Some("ADT^A01".into()),
//!     patient_key: Some(event::patient_key::nhs(&nhs)),
//!     warnings: vec![Warning::new("ward-unmapped", "PV1-3.1", "ward code not in table `ward`")],
//!     ..Event::new(id("event"), EventKind::PatientAdmitted, "pas", recorded_at, msg_id, bundle)
//! };
//!
//! assert_eq!(event.bundle.first::<Patient>().unwrap().gender, Some(AdministrativeGender::Female));
//! assert!(!format!("{event:?}").contains("9990000018")); // Debug hides patient data
//! assert_eq!(Event::from_json(&event.to_json()).unwrap(), event);
//! ```

pub mod code_table;
pub mod event;
pub mod fhir;
pub mod nhs_number;
pub mod uk_core;

pub use code_table::{CodeTable, CodeTableError, CodeTables, LookupError, Mapping, UnmappedCode};
pub use event::{Event, EventKind, Warning, deterministic_id};
pub use fhir::{Bundle, Resource};
pub use nhs_number::{NhsNumber, NhsNumberError};
