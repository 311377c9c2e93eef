//! MSH → MessageHeader: the v2-0003 event coding, source and destination from MSH-3/4 and
//! MSH-5/6, and the sending facility as the sender organisation (an ODS code in England).

use junction_hl7v2::Header;
use junction_model::fhir::{
    Coding, MessageDestination, MessageEvent, MessageHeader, MessageSource, Reference,
};
use junction_model::uk_core::{self, systems};

use super::triggers::Trigger;

const CS_V2_EVENT_TYPE: &str = "http://terminology.hl7.org/CodeSystem/v2-0003";

/// The MessageHeader for a message; `focus` is the Encounter (or Patient) reference.
pub(crate) fn message_header(
    id: String,
    msh: &Header<'_>,
    trigger: Trigger,
    focus: Reference,
) -> MessageHeader {
    v2_message_header(id, msh, trigger.code(), Some(trigger.display()), focus)
}

/// The MessageHeader of any HL7 v2 message, shared by the HL7 v2 adapters: the v2-0003 event
/// `code` (with its `display`), source and destination from MSH-3/4 and MSH-5/6, the sending
/// facility as the sender organisation, and the `focus` resource.
pub(crate) fn v2_message_header(
    id: String,
    msh: &Header<'_>,
    code: &str,
    display: Option<&str>,
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
            code,
            display,
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

/// `urn:hl7v2:<application>:<facility>` (HL7 v2 has no URL for an application), each part
/// reduced to URN-safe characters.
pub(crate) fn endpoint(app: Option<&str>, facility: Option<&str>) -> String {
    let mut s = String::from("urn:hl7v2:");
    for (i, part) in [app, facility].into_iter().enumerate() {
        if i > 0 {
            s.push(':');
        }
        s.extend(part.unwrap_or("unknown").chars().map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_') {
                c
            } else {
                '_'
            }
        }));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_are_urns() {
        assert_eq!(endpoint(Some("PAS"), Some("RXX")), "urn:hl7v2:PAS:RXX");
        assert_eq!(endpoint(Some("MY APP"), None), "urn:hl7v2:MY_APP:unknown");
    }
}
