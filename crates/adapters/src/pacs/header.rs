//! MSH → MessageHeader for PACS events: the v2-0003 event coding (O01, O19, O23, R01, S12…),
//! source and destination as `urn:hl7v2:<application>:<facility>`, the sending facility as
//! the sender organisation, and the focus resource.

use junction_hl7v2::Header;
use junction_model::fhir::{MessageHeader, Reference};

use crate::pas::header::v2_message_header;

/// HL7 table 0003 display for the triggers this adapter handles.
fn display(trigger: &str) -> Option<&'static str> {
    Some(match trigger {
        "O01" => "ORM - Order message",
        "O19" => "OMG - General clinical order message",
        "O23" => "OMI - Imaging order",
        "R01" => "ORU/ACK - Unsolicited transmission of an observation message",
        "S12" => "SIU/ACK - Notification of new appointment booking",
        "S13" => "SIU/ACK - Notification of appointment rescheduling",
        "S14" => "SIU/ACK - Notification of appointment modification",
        "S15" => "SIU/ACK - Notification of appointment cancellation",
        "S26" => "SIU/ACK - Notification that patient did not show up for scheduled appointment",
        _ => return None,
    })
}

/// The MessageHeader of one event, built as the PAS adapter builds its own.
pub(crate) fn message_header(
    id: String,
    msh: &Header<'_>,
    trigger: &str,
    focus: Reference,
) -> MessageHeader {
    v2_message_header(id, msh, trigger, display(trigger), focus)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays() {
        assert!(display("S26").is_some());
        assert!(display("A01").is_none());
    }
}
