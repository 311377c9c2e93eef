//! HL7 v2 helpers shared by the sources: check a message (parse + header validation), map a
//! parser error to an HL7 ERR, and build the ACK/NAK bytes with the hl7v2 crate's builder.

use std::sync::atomic::{AtomicU64, Ordering};

use junction_hl7v2::{
    AckError, AckParams, ErrorLocation, Message, Outcome, ParseError, ParseErrorKind, build_ack,
    build_nak_for_unparsed, ts,
};

use crate::metrics::RejectReason;

/// What a source reads from a valid message header without decoding the message.
#[derive(Debug, Clone, Default)]
pub(crate) struct Info {
    pub message_type: Option<String>,
    pub control_id: Option<String>,
    pub sender: Option<String>,
}

impl Info {
    fn of(msg: &Message<'_>) -> Self {
        let h = msg.header();
        let sender = match (h.sending_application(), h.sending_facility()) {
            (Some(a), Some(f)) => Some(format!("{a}^{f}")),
            (Some(a), None) => Some(a.into_owned()),
            (None, Some(f)) => Some(format!("^{f}")),
            (None, None) => None,
        };
        Self {
            message_type: h.message_type(),
            control_id: h.control_id().map(|c| c.into_owned()),
            sender,
        }
    }
}

/// Why a message cannot be taken: the reason (positions, never content), the HL7 error, and
/// whatever header fields could still be read.
#[derive(Debug, Clone)]
pub(crate) struct Invalid {
    pub kind: RejectReason,
    pub error: Box<AckError>,
    pub info: Info,
}

impl Invalid {
    /// A problem with the frame as a whole (too large, empty batch): HL7 code 207.
    pub fn other(kind: RejectReason, text: String) -> Self {
        Self {
            kind,
            error: Box::new(AckError {
                code: 207,
                text,
                location: None,
            }),
            info: Info::default(),
        }
    }

    /// From a parser or header-validation error.
    pub fn from_parse(e: &ParseError, kind: RejectReason, info: Info) -> Self {
        let code = match e.kind {
            ParseErrorKind::Empty
            | ParseErrorKind::NoMsh
            | ParseErrorKind::MshTooShort
            | ParseErrorKind::BadSegmentName => 100,
            ParseErrorKind::MissingHeaderField(_) => 101,
            _ => 102,
        };
        let location = e.segment.as_ref().map(|name| ErrorLocation {
            segment: name.clone(),
            sequence: 1,
            field: e.field,
            ..Default::default()
        });
        Self {
            kind,
            error: Box::new(AckError {
                code,
                text: e.reason(),
                location,
            }),
            info,
        }
    }

    /// The reason recorded with the rejected bytes.
    pub fn reason(&self) -> &str {
        &self.error.text
    }
}

/// Parses and validates one message (not a batch).
pub(crate) fn check(raw: &[u8]) -> Result<Info, Invalid> {
    let msg = Message::parse(raw)
        .map_err(|e| Invalid::from_parse(&e, RejectReason::Parse, Info::default()))?;
    let info = Info::of(&msg);
    msg.header()
        .validate()
        .map_err(|e| Invalid::from_parse(&e, RejectReason::Validate, info.clone()))?;
    Ok(info)
}

/// The ACK (or NAK) for `raw`, ready to frame. A message that parses gets a full ACK with
/// sender and receiver swapped; one that does not gets a NAK with whatever MSH was salvageable.
pub(crate) fn ack_bytes(
    raw: &[u8],
    outcome: Outcome,
    control_id: &str,
    error: Option<&AckError>,
) -> Vec<u8> {
    let timestamp = ts::format_unix_millis(crate::now_ms());
    let params = AckParams {
        control_id,
        timestamp: &timestamp,
    };
    match (Message::parse(raw), error) {
        (Ok(msg), error) => build_ack(&msg, outcome, params, error).to_bytes(),
        (Err(_), Some(error)) => build_nak_for_unparsed(raw, outcome, params, error).to_bytes(),
        (Err(e), None) => {
            let invalid = Invalid::from_parse(&e, RejectReason::Parse, Info::default());
            build_nak_for_unparsed(raw, outcome, params, &invalid.error).to_bytes()
        }
    }
}

/// MSH-10 for an ACK: `J<journal id>` when the message was journaled, else a fresh
/// `JT<hex>` from the clock and a counter (unique within the process, at most 20 characters).
pub(crate) fn ack_control_id(journal_id: Option<i64>) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    match journal_id {
        Some(id) => format!("J{id}"),
        None => {
            let n = COUNTER.fetch_add(1, Ordering::Relaxed) % 4096;
            let ms = u64::try_from(crate::now_ms()).unwrap_or(0);
            format!("JT{:x}", (ms << 12) | n)
        }
    }
}

/// The HL7 error for a journal that could not store a message (the sender should retry).
pub(crate) fn unavailable_error(reason: &str) -> AckError {
    AckError {
        code: 207,
        text: format!("message not stored, resend later: {reason}"),
        location: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_msh9_is_a_validation_error_with_code_101() {
        let err = check(b"MSH|^~\\&|PAS|RXX|J|RXX|2026||||P|2.4\r").unwrap_err();
        assert_eq!(err.kind, RejectReason::Validate);
        assert_eq!(err.error.code, 101);
        assert!(err.reason().contains("MSH-9"), "{}", err.reason());
    }

    #[test]
    fn garbage_is_a_parse_error_with_code_100() {
        let err = check(b"hello").unwrap_err();
        assert_eq!(err.kind, RejectReason::Parse);
        assert_eq!(err.error.code, 100);
    }

    #[test]
    fn ack_ids_fit_msh10() {
        assert_eq!(ack_control_id(Some(42)), "J42");
        let a = ack_control_id(None);
        let b = ack_control_id(None);
        assert_ne!(a, b);
        assert!(a.len() <= 20, "{a}");
    }
}
