//! [`DecodeError`]: why an adapter refused a message, with the HL7 table 0357 code the MLLP
//! source puts in its NAK's ERR segment. Errors name fields and positions, never values.

use std::fmt;

use junction_hl7v2::ParseError;
use serde::{Deserialize, Serialize};

/// What kind of problem stopped a message from being decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DecodeErrorCode {
    /// The bytes are not a message in the adapter's format (HL7 `100`).
    Unparseable,
    /// A segment the message type requires is absent (HL7 `100`, segment sequence error).
    MissingSegment,
    /// A required field is absent or empty (HL7 `101`).
    MissingField,
    /// A required field holds a value of the wrong shape, e.g. a date that is not a date
    /// (HL7 `102`, data type error).
    BadValue,
    /// A required field holds a code the adapter does not know (HL7 `103`).
    UnknownCode,
    /// The message type is not one this adapter handles (HL7 `200`).
    UnsupportedMessage,
    /// The message type is handled but this trigger event is not (HL7 `201`).
    UnsupportedEvent,
    /// A bug in the adapter (HL7 `207`, application internal error).
    Internal,
}

impl DecodeErrorCode {
    /// The kebab-case name used in JSON and logs, e.g. `"missing-field"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unparseable => "unparseable",
            Self::MissingSegment => "missing-segment",
            Self::MissingField => "missing-field",
            Self::BadValue => "bad-value",
            Self::UnknownCode => "unknown-code",
            Self::UnsupportedMessage => "unsupported-message",
            Self::UnsupportedEvent => "unsupported-event",
            Self::Internal => "internal",
        }
    }
}

impl fmt::Display for DecodeErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a message could not be decoded. Safe to log and to put in a NAK: `path` is a terse
/// position such as `"PV1-44"` and `message` says what is wrong and how to fix it, never what
/// the value was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecodeError {
    /// What kind of problem.
    pub code: DecodeErrorCode,
    /// Where, as a terse path (`"MSH-9"`, `"PID"`, `"PV1-44"`), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// A human-actionable reason without patient data.
    pub message: String,
}

impl DecodeError {
    /// An error from its parts.
    pub fn new(code: DecodeErrorCode, path: Option<&str>, message: impl Into<String>) -> Self {
        Self {
            code,
            path: path.map(str::to_owned),
            message: message.into(),
        }
    }

    /// A required segment is absent.
    pub fn missing_segment(segment: &str, message: impl Into<String>) -> Self {
        Self::new(DecodeErrorCode::MissingSegment, Some(segment), message)
    }

    /// A required field is absent.
    pub fn missing_field(path: &str, message: impl Into<String>) -> Self {
        Self::new(DecodeErrorCode::MissingField, Some(path), message)
    }

    /// A required field has a value of the wrong shape.
    pub fn bad_value(path: &str, message: impl Into<String>) -> Self {
        Self::new(DecodeErrorCode::BadValue, Some(path), message)
    }

    /// The HL7 v2 table 0357 (message error condition) code for a NAK's ERR segment.
    pub fn hl7_error_code(&self) -> u16 {
        match self.code {
            DecodeErrorCode::Unparseable | DecodeErrorCode::MissingSegment => 100,
            DecodeErrorCode::MissingField => 101,
            DecodeErrorCode::BadValue => 102,
            DecodeErrorCode::UnknownCode => 103,
            DecodeErrorCode::UnsupportedMessage => 200,
            DecodeErrorCode::UnsupportedEvent => 201,
            DecodeErrorCode::Internal => 207,
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code)?;
        if let Some(path) = &self.path {
            write!(f, " at {path}")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for DecodeError {}

impl From<ParseError> for DecodeError {
    fn from(err: ParseError) -> Self {
        let path = match (&err.segment, err.field) {
            (Some(seg), Some(field)) => Some(format!("{seg}-{field}")),
            (Some(seg), None) => Some(seg.clone()),
            _ => None,
        };
        Self {
            code: DecodeErrorCode::Unparseable,
            path,
            message: err.reason(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use junction_hl7v2::Message;

    #[test]
    fn hl7_codes_follow_table_0357() {
        let cases = [
            (DecodeErrorCode::Unparseable, 100),
            (DecodeErrorCode::MissingSegment, 100),
            (DecodeErrorCode::MissingField, 101),
            (DecodeErrorCode::BadValue, 102),
            (DecodeErrorCode::UnknownCode, 103),
            (DecodeErrorCode::UnsupportedMessage, 200),
            (DecodeErrorCode::UnsupportedEvent, 201),
            (DecodeErrorCode::Internal, 207),
        ];
        for (code, want) in cases {
            assert_eq!(DecodeError::new(code, None, "x").hl7_error_code(), want);
        }
    }

    #[test]
    fn display_and_json() {
        let err = DecodeError::bad_value("PV1-44", "admit date/time is not an HL7 TS");
        assert_eq!(
            err.to_string(),
            "bad-value at PV1-44: admit date/time is not an HL7 TS"
        );
        let json = serde_json::to_value(&err).unwrap();
        assert_eq!(json["code"], "bad-value");
        let back: DecodeError = serde_json::from_value(json).unwrap();
        assert_eq!(back, err);
    }

    #[test]
    fn from_parse_error_names_the_position() {
        let err = Message::parse(b"PID|1||123\r").unwrap_err();
        let err = DecodeError::from(err);
        assert_eq!(err.code, DecodeErrorCode::Unparseable);
        assert_eq!(err.hl7_error_code(), 100);
        assert!(err.message.contains("MSH"), "{err}");
        let bad = Message::parse(b"MSH|^~\\&|A|B|C|D|20260101||ADT^A01|1|P|2.4\rPID|1||\x00\r")
            .unwrap_err();
        let bad = DecodeError::from(bad);
        assert!(bad.path.is_some(), "{bad}");
    }
}
