//! The format-neutral middle of the mapping: what the HL7 v2 and HL7 v3 readers extract
//! ([`Message`] with its [`Item`]s, [`Patient`] facts and [`Prescriber`]), which `build`
//! turns into events. Both wire formats meet here, so the FHIR output cannot drift apart.

use junction_model::EventKind;
use junction_model::fhir::{
    CodeableConcept, Dosage, Duration, Extension, HumanName, Identifier, Period, Quantity,
};

/// One decoded prescribing message: shared parts plus one [`Item`] per medication line.
pub(crate) struct Message {
    /// `RDE^O11`, `PORX_IN020101SM31`, …
    pub message_type: String,
    /// `MessageHeader.source.endpoint`.
    pub source_endpoint: String,
    /// `MessageHeader.source.name`.
    pub source_name: Option<String>,
    /// ODS code of the sending organisation, when known.
    pub sender_ods: Option<String>,
    pub patient: Patient,
    pub prescriber: Option<Prescriber>,
    pub items: Vec<Item>,
}

/// What the message says about the patient.
#[derive(Default)]
pub(crate) struct Patient {
    pub identifiers: Vec<Identifier>,
    /// `nhs:<n>` or `mrn:<authority>:<id>`.
    pub key: Option<String>,
    pub name: Option<HumanName>,
    pub gender: Option<junction_model::fhir::AdministrativeGender>,
    pub birth_date: Option<String>,
    /// ODS code of the registered GP practice.
    pub gp_practice: Option<String>,
}

/// The prescriber and the organisation they prescribe for.
#[derive(Default)]
pub(crate) struct Prescriber {
    /// Stable key for the Practitioner id (a code or the name).
    pub key: String,
    pub identifiers: Vec<Identifier>,
    pub name: Option<HumanName>,
    /// SDS role profile id and job role code (v3), for the PractitionerRole.
    pub role_ids: Vec<Identifier>,
    pub role_code: Option<CodeableConcept>,
    pub phone: Option<String>,
    /// ODS code and name of the prescribing organisation.
    pub org_ods: Option<String>,
    pub org_name: Option<String>,
    /// ODS code and name of the organisation that the prescribing one is part of.
    pub parent_ods: Option<String>,
    pub parent_name: Option<String>,
}

/// One medication line (an ORC/RXE group or a v3 `pertinentLineItem`).
#[derive(Default)]
pub(crate) struct Item {
    pub kind: Option<EventKind>,
    /// `active`, `cancelled`, `stopped`, `completed`, …
    pub status: &'static str,
    pub status_reason: Option<CodeableConcept>,
    /// Key that makes ids unique within the message (order number or line item id).
    pub key: String,
    pub identifiers: Vec<Identifier>,
    /// The prescription (order group) identifier.
    pub group: Option<Identifier>,
    pub medication: Option<CodeableConcept>,
    pub dosage: Option<Dosage>,
    pub quantity: Option<Quantity>,
    pub supply_duration: Option<Duration>,
    pub validity: Option<Period>,
    pub repeats: Option<u32>,
    /// `(system, code, display)` of `courseOfTherapyType`.
    pub course: Option<(&'static str, &'static str, &'static str)>,
    pub priority: Option<&'static str>,
    pub authored_on: Option<String>,
    /// When the real-world event happened (dispense time for RDS), for the event envelope.
    pub occurred_at: Option<String>,
    /// ODS code of the intended (nominated) or actual dispenser.
    pub dispenser: Option<String>,
    pub extensions: Vec<Extension>,
    pub dispense_extensions: Vec<Extension>,
    pub notes: Vec<String>,
}
