//! MSH → MessageHeader for PACS events: the v2-0003 event coding (O01, O19, O23, R01, S12…),
//! source and destination as `urn:hl7v2:<application>:<facility>`, the sending facility as
//! the sender organisation, and the focus resource.

use junction_hl7v2::Header;
use junction_model::fhir::{
    Coding, MessageDestination, MessageEvent, MessageHeader, MessageSource, Reference,
};
use junction_model::uk_core::{self, systems};

const CS_V2_EVENT_TYPE: &str = "http://terminology.hl7.org/CodeSystem/v2-0003";

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

/// The MessageHeader of one event.
pub(crate) fn message_header(
    id: String,
    msh: &Header<'_>,
    trigger: &str,
    focus: Reference,
) -> MessageHeader {
    let app = msh.sending_application();
    let facility = msh.sending_facility();
    let dest_app = msh.receiving_application();
    let dest_facility = msh.receiving_facility();
    MessageHeader {
        id: Some(id),
        meta: Some(uk_core::profile_meta(systems::profile::MESSAGE_HEADER)),
        event: Some(MessageEvent::Coding(Coding::new(
            CS_V2_EVENT_TYPE,
            trigger,
            display(trigger),
        ))),
        source: Some(MessageSource {
            name: app.as_deref().map(str::to_owned),
            endpoint: Some(endpoint(app.as_deref(), facility.as_deref())),
            ..Default::default()
        }),
        destination: vec![MessageDestination {
            name: dest_app.as_deref().map(str::to_owned),
            endpoint: Some(endpoint(dest_app.as_deref(), dest_facility.as_deref())),
            ..Default::default()
        }],
        sender: facility.as_deref().map(|f| uk_core::ods_reference(f, None)),
        focus: vec![focus],
        ..Default::default()
    }
}

/// `urn:hl7v2:<application>:<facility>`, parts reduced to URN-safe characters (the same form
/// the PAS adapter uses, so routes can match either).
fn endpoint(app: Option<&str>, facility: Option<&str>) -> String {
    let safe = |s: Option<&str>| -> String {
        s.unwrap_or("unknown")
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_') {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    };
    format!("urn:hl7v2:{}:{}", safe(app), safe(facility))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_and_displays() {
        assert_eq!(endpoint(Some("CRIS"), Some("RXX")), "urn:hl7v2:CRIS:RXX");
        assert_eq!(endpoint(None, Some("R X")), "urn:hl7v2:unknown:R_X");
        assert!(display("S26").is_some());
        assert!(display("A01").is_none());
    }
}
