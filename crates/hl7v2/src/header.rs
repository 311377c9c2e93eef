//! A typed view of MSH: message type, trigger, structure, control id, version and the rest.

use std::borrow::Cow;

use crate::error::{ParseError, ParseErrorKind};
use crate::message::Message;
use crate::value::Value;

/// The MSH segment of a parsed message, field by field. Every accessor returns decoded text,
/// `None` when the field is absent or empty.
#[derive(Debug, Clone, Copy)]
pub struct Header<'m> {
    msh: Option<crate::value::Segment<'m>>,
}

impl<'m> Header<'m> {
    pub(crate) fn new(msg: &'m Message<'_>) -> Self {
        Self {
            msh: msg.segment("MSH", 1),
        }
    }

    /// MSH field `n` as a value.
    pub fn field(&self, n: usize) -> Option<Value<'m>> {
        self.msh?.field(n)
    }

    fn comp(&self, field: usize, comp: usize) -> Option<Cow<'m, str>> {
        self.field(field)?.component_text(comp)
    }

    fn trimmed_comp(&self, field: usize, comp: usize) -> Option<Cow<'m, str>> {
        match self.comp(field, comp)? {
            Cow::Borrowed(s) => Some(Cow::Borrowed(s.trim())),
            Cow::Owned(s) => Some(Cow::Owned(s.trim().to_owned())),
        }
        .filter(|s| !s.is_empty())
    }

    fn whole(&self, field: usize) -> Option<Cow<'m, str>> {
        self.field(field)
            .filter(|v| !v.is_empty())
            .map(|v| v.text())
    }

    /// Checks the fields a gateway cannot do without: MSH-9.1 (message type, for routing) and
    /// MSH-10 (control id, to correlate the ACK and detect resends). Names the first one missing.
    pub fn validate(&self) -> Result<(), ParseError> {
        for (n, present) in [
            (9u8, self.message_code().is_some()),
            (10, self.control_id().is_some()),
        ] {
            if !present {
                let offset = self.field(usize::from(n)).map_or(0, |v| v.offset());
                return Err(
                    ParseError::at(ParseErrorKind::MissingHeaderField(n), offset)
                        .in_segment(1, b"MSH")
                        .in_field(usize::from(n)),
                );
            }
        }
        Ok(())
    }

    /// MSH-3.1 sending application (namespace id).
    pub fn sending_application(&self) -> Option<Cow<'m, str>> {
        self.comp(3, 1)
    }
    /// MSH-4.1 sending facility (usually an ODS code in England).
    pub fn sending_facility(&self) -> Option<Cow<'m, str>> {
        self.comp(4, 1)
    }
    /// MSH-5.1 receiving application.
    pub fn receiving_application(&self) -> Option<Cow<'m, str>> {
        self.comp(5, 1)
    }
    /// MSH-6.1 receiving facility.
    pub fn receiving_facility(&self) -> Option<Cow<'m, str>> {
        self.comp(6, 1)
    }
    /// MSH-7 date/time of message (as sent, HL7 TS format).
    pub fn datetime(&self) -> Option<Cow<'m, str>> {
        self.comp(7, 1)
    }
    /// MSH-9.1 message code, e.g. `ADT` (surrounding spaces, which some senders pad with,
    /// trimmed; MSH-9.2 and .3 alike).
    pub fn message_code(&self) -> Option<Cow<'m, str>> {
        self.trimmed_comp(9, 1)
    }
    /// MSH-9.2 trigger event, e.g. `A01`.
    pub fn trigger_event(&self) -> Option<Cow<'m, str>> {
        self.trimmed_comp(9, 2)
    }
    /// MSH-9.3 message structure, e.g. `ADT_A01` (absent before v2.3.1).
    pub fn structure(&self) -> Option<Cow<'m, str>> {
        self.trimmed_comp(9, 3)
    }
    /// `CODE^TRIGGER` (or just the code when there is no trigger), e.g. `ADT^A01`.
    pub fn message_type(&self) -> Option<String> {
        let code = self.message_code()?;
        Some(match self.trigger_event() {
            Some(t) => format!("{code}^{t}"),
            None => code.into_owned(),
        })
    }
    /// MSH-10 message control id.
    pub fn control_id(&self) -> Option<Cow<'m, str>> {
        self.whole(10)
    }
    /// MSH-11.1 processing id (`P`, `T`, `D`).
    pub fn processing_id(&self) -> Option<Cow<'m, str>> {
        self.comp(11, 1)
    }
    /// MSH-12.1 version id, e.g. `2.4`.
    pub fn version(&self) -> Option<Cow<'m, str>> {
        self.comp(12, 1)
    }
    /// MSH-15 accept acknowledgment type (`AL`, `NE`, `ER`, `SU`): set means enhanced mode.
    pub fn accept_ack_type(&self) -> Option<Cow<'m, str>> {
        self.whole(15)
    }
    /// MSH-16 application acknowledgment type.
    pub fn application_ack_type(&self) -> Option<Cow<'m, str>> {
        self.whole(16)
    }
    /// MSH-18 character set (first repetition).
    pub fn charset(&self) -> Option<Cow<'m, str>> {
        self.field(18)?
            .repetition(1)
            .filter(|v| !v.is_empty())
            .map(|v| v.text())
    }
}

#[cfg(test)]
mod tests {
    use crate::Message;

    #[test]
    fn message_type_components_are_trimmed() {
        let msg =
            Message::parse(b"MSH|^~\\&|LAB|RXX|J|RXX|20260101||ORU ^R01 ^ ORU_R01|C1|P|2.4\r")
                .expect("parses");
        let h = msg.header();
        assert_eq!(h.message_code().as_deref(), Some("ORU"));
        assert_eq!(h.trigger_event().as_deref(), Some("R01"));
        assert_eq!(h.structure().as_deref(), Some("ORU_R01"));
        assert_eq!(h.message_type().as_deref(), Some("ORU^R01"));
        let blank = Message::parse(b"MSH|^~\\&|LAB|RXX|J|RXX|20260101||ADT^ |C1|P|2.4\r").unwrap();
        assert_eq!(blank.header().trigger_event(), None);
    }
}
