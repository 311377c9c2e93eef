//! The ADT trigger events the PAS adapter handles, and what each means: the event kind, the
//! Encounter status it implies, which dates it requires and whether it is a merge.

use junction_model::EventKind;

/// A supported ADT trigger event (MSH-9.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Trigger {
    A01,
    A02,
    A03,
    A04,
    A05,
    A08,
    A11,
    A12,
    A13,
    A21,
    A22,
    A28,
    A31,
    A34,
    A35,
    A38,
    A40,
}

impl Trigger {
    /// The trigger for an MSH-9.2 code, if supported.
    pub fn from_code(code: &str) -> Option<Self> {
        Some(match code {
            "A01" => Self::A01,
            "A02" => Self::A02,
            "A03" => Self::A03,
            "A04" => Self::A04,
            "A05" => Self::A05,
            "A08" => Self::A08,
            "A11" => Self::A11,
            "A12" => Self::A12,
            "A13" => Self::A13,
            "A21" => Self::A21,
            "A22" => Self::A22,
            "A28" => Self::A28,
            "A31" => Self::A31,
            "A34" => Self::A34,
            "A35" => Self::A35,
            "A38" => Self::A38,
            "A40" => Self::A40,
            _ => return None,
        })
    }

    /// The MSH-9.2 code.
    pub fn code(self) -> &'static str {
        match self {
            Self::A01 => "A01",
            Self::A02 => "A02",
            Self::A03 => "A03",
            Self::A04 => "A04",
            Self::A05 => "A05",
            Self::A08 => "A08",
            Self::A11 => "A11",
            Self::A12 => "A12",
            Self::A13 => "A13",
            Self::A21 => "A21",
            Self::A22 => "A22",
            Self::A28 => "A28",
            Self::A31 => "A31",
            Self::A34 => "A34",
            Self::A35 => "A35",
            Self::A38 => "A38",
            Self::A40 => "A40",
        }
    }

    /// HL7 table 0003 display for the MessageHeader event coding.
    pub fn display(self) -> &'static str {
        match self {
            Self::A01 => "ADT/ACK - Admit/visit notification",
            Self::A02 => "ADT/ACK - Transfer a patient",
            Self::A03 => "ADT/ACK - Discharge/end visit",
            Self::A04 => "ADT/ACK - Register a patient",
            Self::A05 => "ADT/ACK - Pre-admit a patient",
            Self::A08 => "ADT/ACK - Update patient information",
            Self::A11 => "ADT/ACK - Cancel admit/visit notification",
            Self::A12 => "ADT/ACK - Cancel transfer",
            Self::A13 => "ADT/ACK - Cancel discharge/end visit",
            Self::A21 => "ADT/ACK - Patient goes on a \"leave of absence\"",
            Self::A22 => "ADT/ACK - Patient returns from a \"leave of absence\"",
            Self::A28 => "ADT/ACK - Add person information",
            Self::A31 => "ADT/ACK - Update person information",
            Self::A34 => "ADT/ACK - Merge patient information - patient ID only",
            Self::A35 => "ADT/ACK - Merge patient information - account number only",
            Self::A38 => "ADT/ACK - Cancel pre-admit",
            Self::A40 => "ADT/ACK - Merge patient - patient identifier list",
        }
    }

    /// The event kind routes match on.
    pub fn kind(self) -> EventKind {
        match self {
            Self::A01 => EventKind::PatientAdmitted,
            Self::A02 => EventKind::PatientTransferred,
            Self::A03 => EventKind::PatientDischarged,
            Self::A04 | Self::A28 => EventKind::PatientRegistered,
            Self::A05 => EventKind::PatientPreAdmitted,
            Self::A08 | Self::A31 => EventKind::PatientUpdated,
            Self::A11 | Self::A12 | Self::A13 | Self::A38 => EventKind::EncounterCancelled,
            Self::A21 => EventKind::PatientLeaveStarted,
            Self::A22 => EventKind::PatientLeaveEnded,
            Self::A34 | Self::A35 | Self::A40 => EventKind::PatientMerged,
        }
    }

    /// Merge events carry MRG.
    pub fn is_merge(self) -> bool {
        matches!(self, Self::A34 | Self::A35 | Self::A40)
    }

    /// Person-level events: no Encounter even if a PV1 is sent.
    pub fn is_person_only(self) -> bool {
        matches!(self, Self::A28 | Self::A31) || self.is_merge()
    }

    /// Pre-admission events (PV2-8/9 give the planned period).
    pub fn is_planned(self) -> bool {
        matches!(self, Self::A05 | Self::A38)
    }

    /// Visit events: PV1 (with a patient class) is required.
    pub fn needs_visit(self) -> bool {
        !matches!(self, Self::A08) && !self.is_person_only()
    }

    /// A01 must say when the patient was admitted (PV1-44).
    pub fn needs_admit_date(self) -> bool {
        self == Self::A01
    }

    /// A03's discharge date (PV1-45), when sent, must be a date (ITK: "should be present").
    pub fn checks_discharge_date(self) -> bool {
        self == Self::A03
    }

    /// The Encounter status after this event. `discharged`: PV1-45 is set; `class`: PV1-2.
    pub fn encounter_status(self, discharged: bool, class: &str) -> &'static str {
        match self {
            Self::A03 => "finished",
            Self::A05 => "planned",
            Self::A11 | Self::A38 => "cancelled",
            Self::A21 => "onleave",
            Self::A01 | Self::A02 | Self::A12 | Self::A13 | Self::A22 => "in-progress",
            // An A04 sent after the attendance, with its end in PV1-45, is finished, as an A08
            // carrying the same visit is.
            Self::A04 if discharged => "finished",
            Self::A04 => "in-progress",
            Self::A08 | Self::A28 | Self::A31 | Self::A34 | Self::A35 | Self::A40 => {
                if discharged {
                    "finished"
                } else if class == "P" || class == "W" {
                    "planned"
                } else {
                    "in-progress"
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_kinds() {
        for code in [
            "A01", "A02", "A03", "A04", "A05", "A08", "A11", "A12", "A13", "A21", "A22", "A28",
            "A31", "A34", "A35", "A38", "A40",
        ] {
            let t = Trigger::from_code(code).unwrap();
            assert_eq!(t.code(), code);
        }
        assert_eq!(Trigger::from_code("A99"), None);
        assert_eq!(Trigger::A40.kind(), EventKind::PatientMerged);
        assert_eq!(Trigger::A38.kind(), EventKind::EncounterCancelled);
        assert_eq!(Trigger::A08.encounter_status(true, "I"), "finished");
        assert_eq!(Trigger::A21.encounter_status(false, "I"), "onleave");
    }
}
