//! `EventKind`: what happened, as a dotted name (`patient.admitted`). Routes
//! match on it; serde and `Display` use the dotted string.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! kinds {
    ($($variant:ident => $name:literal,)*) => {
        /// The kind of an [`Event`](super::Event). Serialises as its dotted
        /// name; names this crate does not know become [`EventKind::Other`].
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum EventKind {
            $(
                #[doc = concat!("`", $name, "`.")]
                $variant,
            )*
            /// A supplier-defined kind, e.g. `"x-acme.bed-cleaned"`.
            Other(String),
        }

        impl EventKind {
            /// Every built-in kind (not `Other`).
            pub const BUILT_IN: &'static [EventKind] = &[$(EventKind::$variant,)*];

            /// The dotted name, e.g. `"patient.admitted"`.
            pub fn as_str(&self) -> &str {
                match self {
                    $(EventKind::$variant => $name,)*
                    EventKind::Other(name) => name,
                }
            }

            /// The kind for a dotted name; unknown names become `Other`.
            /// Never fails: use `str::parse` to reject malformed names.
            pub fn from_name(name: &str) -> Self {
                match name {
                    $($name => EventKind::$variant,)*
                    other => EventKind::Other(other.to_owned()),
                }
            }
        }
    };
}

kinds! {
    PatientRegistered => "patient.registered",
    PatientAdmitted => "patient.admitted",
    PatientPreAdmitted => "patient.pre-admitted",
    PatientTransferred => "patient.transferred",
    PatientDischarged => "patient.discharged",
    PatientUpdated => "patient.updated",
    PatientMerged => "patient.merged",
    PatientLeaveStarted => "patient.leave-started",
    PatientLeaveEnded => "patient.leave-ended",
    EncounterCancelled => "encounter.cancelled",
    EncounterUpdated => "encounter.updated",
    OrderPlaced => "order.placed",
    OrderUpdated => "order.updated",
    OrderCancelled => "order.cancelled",
    ResultReported => "result.reported",
    ImagingStudyAvailable => "imaging.study-available",
    PrescriptionIssued => "prescription.issued",
    PrescriptionCancelled => "prescription.cancelled",
    MedicationDispensed => "medication.dispensed",
    ReferralReceived => "referral.received",
    ReferralReviewed => "referral.reviewed",
    AppointmentBooked => "appointment.booked",
    AppointmentRescheduled => "appointment.rescheduled",
    AppointmentCancelled => "appointment.cancelled",
}

/// A malformed event kind name: empty, or containing whitespace or
/// control characters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid event kind {0:?}: must be non-empty with no whitespace")]
pub struct InvalidEventKind(pub String);

/// Kinds that do not say what happened clinically but carry the message itself: `hl7v2.ADT.A09`
/// for any HL7 v2 message, `hl7v3.PORX_IN020101SM31` for any HL7 v3 XML one (its interaction),
/// `junction.decode-failed` for one its adapter could not decode.
pub const PASS_THROUGH_PREFIXES: [&str; 3] = ["hl7v2.", "hl7v3.", "junction."];

/// The kind of the event a message gets when its adapter cannot decode it.
pub const DECODE_FAILED: &str = "junction.decode-failed";

impl EventKind {
    /// A pass-through kind ([`PASS_THROUGH_PREFIXES`]): routes match it only when their `kinds`
    /// name it, so a route written for clinical events is not sent every message twice.
    pub fn is_pass_through(&self) -> bool {
        let name = self.as_str();
        PASS_THROUGH_PREFIXES.iter().any(|p| name.starts_with(p))
    }
}

impl FromStr for EventKind {
    type Err = InvalidEventKind;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.is_empty() || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(InvalidEventKind(s.to_owned()));
        }
        Ok(Self::from_name(s))
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for EventKind {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for EventKind {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        assert_eq!(EventKind::BUILT_IN.len(), 24);
        for kind in EventKind::BUILT_IN {
            assert_eq!(kind.as_str().parse::<EventKind>().unwrap(), *kind);
            let json = serde_json::to_string(kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
            assert_eq!(serde_json::from_str::<EventKind>(&json).unwrap(), *kind);
        }
        assert_eq!(
            EventKind::PatientPreAdmitted.as_str(),
            "patient.pre-admitted"
        );
        assert_eq!(
            EventKind::ImagingStudyAvailable.to_string(),
            "imaging.study-available"
        );
    }

    #[test]
    fn other_kinds() {
        let kind: EventKind = "x-acme.bed-cleaned".parse().unwrap();
        assert_eq!(kind, EventKind::Other("x-acme.bed-cleaned".into()));
        assert_eq!(
            serde_json::to_string(&kind).unwrap(),
            "\"x-acme.bed-cleaned\""
        );
        assert!("".parse::<EventKind>().is_err());
        assert!("patient admitted".parse::<EventKind>().is_err());
        assert!(serde_json::from_str::<EventKind>("\"\"").is_err());
    }
}
