//! The EPS (Electronic Prescription Service) destination: Junction's `prescription.issued` and
//! `prescription.cancelled` events (as the `prescribing` adapter writes them) become the FHIR
//! R4 messages of the EPS prescribing API and are sent through the API platform client.
//!
//! ```text
//! event ─▶ build (pure) ─▶ prescription-order ─▶ POST $prepare ─▶ POST $process-message
//!                     └──▶ prescription-order-update (cancel) ───▶ POST $process-message
//! ```
//!
//! - [`build`]: the message Bundles, field for field as the EPS examples
//!   (`1-Process-Request-Send-200_OK.json`, `1-Process-Request-Cancel-200_OK.json`).
//! - [`sink`]: [`EpsSink`], the `Sink` over [`crate::platform::ServiceClient`].
//! - [`config`]: [`EpsConfig`] and [`check_config`], the rule that unsigned prescriptions go
//!   only to a sandbox or simulator.
//!
//! # Signatures
//! A prescription is signed by the prescriber's own system, not by Junction. An event carries
//! the signature as the EPS examples do: a `Provenance` resource in the event's bundle whose
//! `signature[].data` is the base64 XML-DSig and whose `target` names the MedicationRequests.
//! The sink relays it unchanged. With no signature the sink sends only when its config allows
//! unsigned prescriptions, which [`check_config`] permits only for a sandbox endpoint.
//!
//! # One event, one EPS message
//! The adapter writes one event per prescription line. [`build_prescription_order`] sends the
//! lines of one event; [`build_prescription_order_lines`] joins several events of one
//! prescription (same `groupIdentifier`) for a caller that holds them all.

pub mod build;
pub mod config;
mod items;
mod parts;
mod read;
pub mod sink;

pub use build::{
    EpsBuildError, build_cancellation, build_prescription_order, build_prescription_order_lines,
    is_signed, prepare_body,
};
pub use config::{EpsConfig, EpsConfigError, EpsEnvironment, EpsOptions, check_config};
pub use sink::{EpsSink, EpsSinkError};

/// The `MessageHeader.eventCoding` system of EPS messages.
pub const MESSAGE_EVENT_SYSTEM: &str = "https://fhir.nhs.uk/CodeSystem/message-event";
/// The event code of a new prescription.
pub const PRESCRIPTION_ORDER: &str = "prescription-order";
/// The event code of a cancellation.
pub const PRESCRIPTION_ORDER_UPDATE: &str = "prescription-order-update";
/// The FHIR JSON content type EPS takes and answers in.
pub const FHIR_JSON: &str = "application/fhir+json";
