//! ACK and NAK builder: MSA-1 AA/AE/AR (CA/CE/CR in enhanced mode), MSA-2 echoing MSH-10, an
//! ERR segment in the form the sender's version expects, and MSH with sender and receiver swapped.

use crate::builder::MessageBuf;
use crate::delims::Delimiters;
use crate::message::Message;

/// The acknowledgment code (HL7 table 0008).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AckCode {
    /// Application accept.
    AA,
    /// Application error.
    AE,
    /// Application reject.
    AR,
    /// Commit accept (enhanced mode).
    CA,
    /// Commit error (enhanced mode).
    CE,
    /// Commit reject (enhanced mode).
    CR,
}

/// The outcome to acknowledge, turned into the right code for the sender's mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Stored: AA (or CA).
    Accept,
    /// The message is wrong and resending it will not help: AE (or CE).
    Error,
    /// We could not take it now (store unavailable, …); the sender should retry: AR (or CR).
    Reject,
}

impl AckCode {
    /// The code for `outcome`: commit codes when the sender asked for enhanced
    /// acknowledgment (MSH-15 present), original-mode codes otherwise.
    pub fn for_outcome(outcome: Outcome, enhanced: bool) -> Self {
        match (outcome, enhanced) {
            (Outcome::Accept, false) => Self::AA,
            (Outcome::Error, false) => Self::AE,
            (Outcome::Reject, false) => Self::AR,
            (Outcome::Accept, true) => Self::CA,
            (Outcome::Error, true) => Self::CE,
            (Outcome::Reject, true) => Self::CR,
        }
    }

    /// The two letters of MSA-1.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AA => "AA",
            Self::AE => "AE",
            Self::AR => "AR",
            Self::CA => "CA",
            Self::CE => "CE",
            Self::CR => "CR",
        }
    }
}

/// Where in the original message the error is (ERR-1 in v2.4, ERR-2 in v2.5+).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorLocation {
    /// Segment name, e.g. `PID`.
    pub segment: String,
    /// Which occurrence of that segment (1-based).
    pub sequence: usize,
    /// Field number, if known.
    pub field: Option<usize>,
    /// Repetition, if known.
    pub repetition: Option<usize>,
    /// Component, if known.
    pub component: Option<usize>,
    /// Subcomponent, if known.
    pub subcomponent: Option<usize>,
}

/// What was wrong, for the ERR segment. `text` must never contain patient data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AckError {
    /// HL7 table 0357 code: 100 segment sequence, 101 required field missing, 102 data type,
    /// 103 table value not found, 200 unsupported message type, 201 unsupported event,
    /// 203 unsupported version, 207 application internal error.
    pub code: u16,
    /// A reason a human can act on.
    pub text: String,
    /// Where, if known.
    pub location: Option<ErrorLocation>,
}

impl AckError {
    /// The display text of the table 0357 code.
    pub fn code_text(&self) -> &'static str {
        match self.code {
            0 => "Message accepted",
            100 => "Segment sequence error",
            101 => "Required field missing",
            102 => "Data type error",
            103 => "Table value not found",
            200 => "Unsupported message type",
            201 => "Unsupported event code",
            202 => "Unsupported processing id",
            203 => "Unsupported version id",
            204 => "Unknown key identifier",
            205 => "Duplicate key identifier",
            206 => "Application record locked",
            _ => "Application internal error",
        }
    }
}

/// What the acknowledging side supplies: its own control id and timestamp (the builder reads
/// no clock).
#[derive(Debug, Clone, Copy)]
pub struct AckParams<'a> {
    /// MSH-10 of the ACK.
    pub control_id: &'a str,
    /// MSH-7 of the ACK, HL7 TS format.
    pub timestamp: &'a str,
}

/// Builds the ACK for a parsed message.
pub fn build_ack(
    original: &Message<'_>,
    outcome: Outcome,
    params: AckParams<'_>,
    error: Option<&AckError>,
) -> MessageBuf {
    let h = original.header();
    let enhanced = h.accept_ack_type().is_some();
    let code = AckCode::for_outcome(outcome, enhanced);
    let mut ack = MessageBuf::new(*original.delimiters());
    if !ack.delimiters().is_complete() {
        ack = MessageBuf::new(Delimiters::default());
    }
    let raw = |n: usize| {
        original
            .get(&format!("MSH-{n}"))
            .map(|v| v.raw_str().to_string())
    };
    // Sender and receiver swapped, values copied as sent (they share the delimiters).
    for (to, from) in [(3, 5), (4, 6), (5, 3), (6, 4), (11, 11), (12, 12)] {
        if let Some(v) = raw(from) {
            let _ = ack.set_raw(&format!("MSH-{to}"), v);
        }
    }
    let version = h
        .version()
        .map(|v| v.into_owned())
        .unwrap_or_else(|| "2.4".into());
    finish(
        &mut ack,
        code,
        &version,
        h.trigger_event().as_deref(),
        h.control_id().as_deref(),
        params,
        error,
    );
    ack
}

/// Builds a NAK for bytes that did not parse: the MSH line is salvaged when it can be, so the
/// sender still sees its control id echoed.
pub fn build_nak_for_unparsed(
    raw: &[u8],
    outcome: Outcome,
    params: AckParams<'_>,
    error: &AckError,
) -> MessageBuf {
    let first_line = raw
        .split(|&b| b == b'\r' || b == b'\n')
        .find(|l| !l.is_empty())
        .unwrap_or_default();
    let first_line = first_line
        .strip_prefix(b"\xEF\xBB\xBF".as_slice())
        .unwrap_or(first_line);
    match Message::parse(first_line) {
        Ok(msh) => build_ack(&msh, outcome, params, Some(error)),
        Err(_) => {
            let mut ack = MessageBuf::new(Delimiters::default());
            let code = AckCode::for_outcome(outcome, false);
            finish(&mut ack, code, "2.4", None, None, params, Some(error));
            ack
        }
    }
}

fn finish(
    ack: &mut MessageBuf,
    code: AckCode,
    version: &str,
    trigger: Option<&str>,
    original_control_id: Option<&str>,
    params: AckParams<'_>,
    error: Option<&AckError>,
) {
    let set = |ack: &mut MessageBuf, path: &str, text: &str| {
        let _ = ack.set(path, text);
    };
    set(ack, "MSH-7", params.timestamp);
    set(ack, "MSH-9.1", "ACK");
    if let Some(t) = trigger {
        set(ack, "MSH-9.2", t);
    }
    if version_at_least(version, (2, 3, 1)) {
        set(ack, "MSH-9.3", "ACK");
    }
    set(ack, "MSH-10", params.control_id);
    if ack.get_raw("MSH-11").is_none() {
        set(ack, "MSH-11", "P");
    }
    set(ack, "MSH-12", version);
    set(ack, "MSA-1", code.as_str());
    set(ack, "MSA-2", original_control_id.unwrap_or(""));
    let Some(err) = error else {
        return;
    };
    set(ack, "MSA-3", &err.text);
    let loc = err.location.clone().unwrap_or_default();
    let num = |n: Option<usize>| n.map(|n| n.to_string()).unwrap_or_default();
    if version_at_least(version, (2, 5, 0)) {
        if !loc.segment.is_empty() {
            set(ack, "ERR-2.1", &loc.segment);
            set(ack, "ERR-2.2", &loc.sequence.max(1).to_string());
            set(ack, "ERR-2.3", &num(loc.field));
            set(ack, "ERR-2.4", &num(loc.repetition));
            set(ack, "ERR-2.5", &num(loc.component));
            set(ack, "ERR-2.6", &num(loc.subcomponent));
        }
        set(ack, "ERR-3.1", &err.code.to_string());
        set(ack, "ERR-3.2", err.code_text());
        set(ack, "ERR-3.3", "HL70357");
        set(
            ack,
            "ERR-4",
            if code == AckCode::AA || code == AckCode::CA {
                "W"
            } else {
                "E"
            },
        );
        set(ack, "ERR-8", &err.text);
    } else {
        set(ack, "ERR-1.1", &loc.segment);
        if !loc.segment.is_empty() {
            set(ack, "ERR-1.2", &loc.sequence.max(1).to_string());
        }
        set(ack, "ERR-1.3", &num(loc.field));
        set(ack, "ERR-1.4.1", &err.code.to_string());
        set(ack, "ERR-1.4.2", err.code_text());
        set(ack, "ERR-1.4.3", "HL70357");
    }
}

/// Compares an MSH-12 version like `2.3.1` or `2.5` with `(major, minor, patch)`.
fn version_at_least(version: &str, min: (u32, u32, u32)) -> bool {
    let mut parts = version
        .trim()
        .split('.')
        .map(|p| p.parse::<u32>().unwrap_or(0));
    let v = (
        parts.next().unwrap_or(2),
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
    );
    v >= min
}

#[cfg(test)]
mod tests {
    use super::*;

    const PARAMS: AckParams<'static> = AckParams {
        control_id: "ACK1",
        timestamp: "20260101120000",
    };

    fn msg(version: &str, msh15: &str) -> Vec<u8> {
        format!(
            "MSH|^~\\&|PAS|RXX|JUNCTION|RXX|20260101115959||ADT^A01^ADT_A01|MSG0001|P|{version}|||{msh15}\rPID|1\r"
        )
        .into_bytes()
    }

    #[test]
    fn accept_swaps_sender_and_echoes_control_id() {
        let bytes = msg("2.4", "");
        let m = Message::parse(&bytes).unwrap();
        let ack = build_ack(&m, Outcome::Accept, PARAMS, None).to_bytes();
        assert_eq!(
            String::from_utf8(ack).unwrap(),
            "MSH|^~\\&|JUNCTION|RXX|PAS|RXX|20260101120000||ACK^A01^ACK|ACK1|P|2.4\rMSA|AA|MSG0001\r"
        );
    }

    #[test]
    fn enhanced_mode_uses_commit_codes() {
        let bytes = msg("2.5", "AL");
        let m = Message::parse(&bytes).unwrap();
        let ack = build_ack(&m, Outcome::Reject, PARAMS, None).to_bytes();
        let ack = Message::parse(&ack)
            .unwrap()
            .text("MSA-1")
            .unwrap()
            .into_owned();
        assert_eq!(ack, "CR");
    }

    fn error() -> AckError {
        AckError {
            code: 101,
            text: "PID-3 is required".into(),
            location: Some(ErrorLocation {
                segment: "PID".into(),
                sequence: 1,
                field: Some(3),
                ..Default::default()
            }),
        }
    }

    #[test]
    fn v24_error_uses_err1() {
        let bytes = msg("2.4", "");
        let m = Message::parse(&bytes).unwrap();
        let ack = build_ack(&m, Outcome::Error, PARAMS, Some(&error())).to_bytes();
        let ack = String::from_utf8(ack).unwrap();
        assert!(ack.contains("MSA|AE|MSG0001|PID-3 is required\r"), "{ack}");
        assert!(
            ack.contains("ERR|PID^1^3^101&Required field missing&HL70357\r"),
            "{ack}"
        );
    }

    #[test]
    fn v25_error_uses_err2_to_err8() {
        let bytes = msg("2.5.1", "");
        let m = Message::parse(&bytes).unwrap();
        let ack = build_ack(&m, Outcome::Error, PARAMS, Some(&error())).to_bytes();
        let ack = String::from_utf8(ack).unwrap();
        assert!(
            ack.contains(
                "ERR||PID^1^3|101^Required field missing^HL70357|E||||PID-3 is required\r"
            ),
            "{ack}"
        );
    }

    #[test]
    fn nak_for_garbage_still_builds() {
        let err = AckError {
            code: 100,
            text: "message does not start with MSH".into(),
            location: None,
        };
        let nak = build_nak_for_unparsed(b"garbage", Outcome::Error, PARAMS, &err).to_bytes();
        let parsed = Message::parse(&nak).unwrap();
        assert_eq!(parsed.text("MSA-1").unwrap(), "AE");
        assert_eq!(parsed.text("ERR-1.4.1").unwrap(), "100");
    }

    #[test]
    fn nak_for_bad_body_salvages_msh() {
        let err = AckError {
            code: 100,
            text: "bad segment".into(),
            location: None,
        };
        let raw = b"MSH|^~\\&|PAS|RXX|J|RXX|2026||ADT^A01|C42|P|2.4\rp1d|x\r";
        let nak = build_nak_for_unparsed(raw, Outcome::Error, PARAMS, &err).to_bytes();
        let parsed = Message::parse(&nak).unwrap();
        assert_eq!(parsed.text("MSA-2").unwrap(), "C42");
        assert_eq!(parsed.text("MSH-5").unwrap(), "PAS");
    }
}
