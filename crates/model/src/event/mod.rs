//! The `Event` envelope the router sees: what happened ([`EventKind`]), to
//! whom (the patient ordering key), where it came from (source and raw
//! message id), and the FHIR [`Bundle`] that carries the data.
//!
//! Adapters are pure: `id`, `recorded_at` and everything else are derived
//! from the message and the adapter's inputs, so a replay yields the same
//! event (see [`deterministic_id`]).

mod id;
mod kind;

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::fhir::Bundle;
use crate::nhs_number::NhsNumber;

pub use id::deterministic_id;
pub use kind::{DECODE_FAILED, EventKind, InvalidEventKind, PASS_THROUGH_PREFIXES};

/// One event decoded from a raw message.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Deterministic id derived by the adapter from the message (replay gives the same id).
    pub id: String,
    /// What happened.
    pub kind: EventKind,
    /// Source name from config.
    pub source: String,
    /// Message type, e.g. `"ADT^A01"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_type: Option<String>,
    /// FHIR dateTime of the real-world event (e.g. EVN-6 / EVN-2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub occurred_at: Option<String>,
    /// FHIR instant: when Junction received the message (an adapter input).
    pub recorded_at: String,
    /// Ordering key, e.g. `"nhs:9990000018"` or `"mrn:RXX:12345"`; see [`patient_key`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patient_key: Option<String>,
    /// The raw message's id (journal id or MSH-10).
    pub correlation_id: String,
    /// Data-quality problems that did not stop the flow.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<Warning>,
    /// What routing steps found out about the event, by step name (e.g. `pds` →
    /// `{"outcome": "mismatch", "fields": ["family"]}`); route predicates can test them
    /// (`annotations.pds.outcome == "verified"`). Adapters leave this empty.
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub annotations: serde_json::Map<String, serde_json::Value>,
    /// The FHIR Bundle: type `message` with a MessageHeader first, or `collection`.
    pub bundle: Bundle,
    /// The message as received, as text, on pass-through and decode-failed events (see
    /// [`EventKind::is_pass_through`]), so a destination can be sent it unchanged. Clinical
    /// events leave it out: their bundle holds what the message said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw: Option<String>,
}

/// A data-quality problem that did not stop the flow. `message` must never
/// contain patient data: name the field and the problem, not the value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    /// Stable machine-readable code, e.g. `"nhs-number-invalid"`.
    pub code: String,
    /// Where: an HL7 path (`PID-3[1].1`) or FHIRPath.
    pub path: String,
    /// Human-readable explanation, without patient data.
    pub message: String,
}

impl Warning {
    /// A warning from its three parts.
    pub fn new(
        code: impl Into<String>,
        path: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            code: code.into(),
            path: path.into(),
            message: message.into(),
        }
    }
}

/// Why event JSON could not be read. The message has quoted values
/// redacted, so it is safe to log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid event JSON at line {line} column {column}: {message}")]
pub struct EventDecodeError {
    /// Line of the error (1-based; 0 if unknown).
    pub line: usize,
    /// Column of the error (1-based; 0 if unknown).
    pub column: usize,
    /// serde's message, with quoted values replaced by `***`.
    pub message: String,
}

impl Event {
    /// An event with no message type, occurrence time, patient key or
    /// warnings; set those fields directly.
    pub fn new(
        id: impl Into<String>,
        kind: EventKind,
        source: impl Into<String>,
        recorded_at: impl Into<String>,
        correlation_id: impl Into<String>,
        bundle: Bundle,
    ) -> Self {
        Self {
            id: id.into(),
            kind,
            source: source.into(),
            message_type: None,
            occurred_at: None,
            recorded_at: recorded_at.into(),
            patient_key: None,
            correlation_id: correlation_id.into(),
            warnings: Vec::new(),
            annotations: serde_json::Map::new(),
            bundle,
            raw: None,
        }
    }

    /// Compact JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("Event serialises: all map keys are strings")
    }

    /// Indented JSON (for golden files and the admin API).
    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).expect("Event serialises: all map keys are strings")
    }

    /// Reads an event from JSON (as written by [`Event::to_json`]).
    pub fn from_json(json: &str) -> Result<Self, EventDecodeError> {
        serde_json::from_str(json).map_err(|err| EventDecodeError {
            line: err.line(),
            column: err.column(),
            message: crate::fhir::redact_quoted(&err.to_string()),
        })
    }
}

/// `Debug` shows only non-patient fields: id, kind, source, message type and
/// warning codes. The bundle, patient key and times are left out.
impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let codes: Vec<&str> = self.warnings.iter().map(|w| w.code.as_str()).collect();
        f.debug_struct("Event")
            .field("id", &self.id)
            .field("kind", &self.kind.as_str())
            .field("source", &self.source)
            .field("message_type", &self.message_type)
            .field("warnings", &codes)
            .finish_non_exhaustive()
    }
}

/// Builders for [`Event::patient_key`], so every adapter spells keys alike.
pub mod patient_key {
    use super::NhsNumber;

    /// `"nhs:<10 digits>"`.
    pub fn nhs(nhs_number: &NhsNumber) -> String {
        format!("nhs:{nhs_number}")
    }

    /// `"mrn:<assigning authority>:<local id>"`, e.g. `"mrn:RXX:12345"`.
    pub fn mrn(assigning_authority: &str, local_id: &str) -> String {
        format!("mrn:{assigning_authority}:{local_id}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fhir::{MessageHeader, Patient};
    use crate::uk_core::{VerificationStatus, nhs_number_identifier};

    fn sample() -> Event {
        let nhs = NhsNumber::parse("9990000018").unwrap();
        let patient = Patient {
            id: Some(deterministic_id("pas", &["MSG00001", "Patient"])),
            identifier: vec![nhs_number_identifier(
                &nhs,
                Some(VerificationStatus::Verified),
            )],
            ..Default::default()
        };
        let header = MessageHeader {
            id: Some(deterministic_id("pas", &["MSG00001", "MessageHeader"])),
            ..Default::default()
        };
        let bundle = Bundle::message(
            header,
            vec![patient.into()],
            deterministic_id("pas", &["MSG00001", "Bundle"]),
            "2024-03-01T09:31:00Z",
        );
        Event {
            message_type: Some("ADT^A01".into()),
            occurred_at: Some("2024-03-01T09:30:00+00:00".into()),
            patient_key: Some(patient_key::nhs(&nhs)),
            warnings: vec![Warning::new(
                "pv1-ward-unmapped",
                "PV1-3.1",
                "ward code not in table",
            )],
            ..Event::new(
                deterministic_id("pas", &["MSG00001", "event"]),
                EventKind::PatientAdmitted,
                "pas",
                "2024-03-01T09:31:00Z",
                "MSG00001",
                bundle,
            )
        }
    }

    #[test]
    fn json_round_trip() {
        let event = sample();
        let json = event.to_json();
        assert!(json.contains(r#""kind":"patient.admitted""#));
        assert!(json.contains(r#""patient_key":"nhs:9990000018""#));
        assert!(json.contains(r#""bundle":{"resourceType":"Bundle""#));
        assert_eq!(Event::from_json(&json).unwrap(), event);
        assert_eq!(Event::from_json(&event.to_json_pretty()).unwrap(), event);
        // Optional fields are omitted when empty and default when absent.
        let bare = Event::new(
            "e",
            EventKind::Other("x.y".into()),
            "s",
            "t",
            "c",
            Bundle::default(),
        );
        let json = bare.to_json();
        assert!(
            !json.contains("warnings") && !json.contains("patient_key"),
            "{json}"
        );
        assert_eq!(Event::from_json(&json).unwrap(), bare);
    }

    #[test]
    fn debug_shows_no_patient_data() {
        let event = sample();
        let debug = format!("{event:?}");
        assert!(debug.contains("patient.admitted") && debug.contains("pv1-ward-unmapped"));
        assert!(debug.contains("ADT^A01"));
        assert!(!debug.contains("9990000018"), "{debug}");
        assert!(!debug.contains("Bundle"), "{debug}");
        let pretty = format!("{event:#?}");
        assert!(!pretty.contains("9990000018"));
    }

    #[test]
    fn decode_errors_are_redacted() {
        let mut value = serde_json::to_value(sample()).unwrap();
        value["recorded_at"] = serde_json::json!(9990000018u64);
        value["patient_key"] = serde_json::json!(["nhs:9990000018"]);
        let err = Event::from_json(&value.to_string()).unwrap_err();
        assert!(!err.to_string().contains("9990000018"), "{err}");
        assert!(err.line >= 1);
    }

    #[test]
    fn patient_keys() {
        let nhs = NhsNumber::parse("999 000 0026").unwrap();
        assert_eq!(patient_key::nhs(&nhs), "nhs:9990000026");
        assert_eq!(patient_key::mrn("RXX", "12345"), "mrn:RXX:12345");
    }
}
