//! Parse errors: ordinary values with a position, so a caller can NAK with a reason a human can act on.
//!
//! Nothing here ever carries message content: only offsets, segment names and field numbers.

use std::fmt;

/// What was wrong with a message that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseErrorKind {
    /// The input held no segment at all.
    Empty,
    /// The first segment is not `MSH` (nor `FHS`/`BHS` for a batch).
    NoMsh,
    /// `MSH` ends before its encoding characters.
    MshTooShort,
    /// The delimiters in MSH-1/MSH-2 are not a legal set.
    BadDelimiters(&'static str),
    /// A segment name is not three upper-case letters or digits: most often a segment wrapped
    /// onto a new line.
    BadSegmentName,
    /// A NUL byte, which HL7 v2 never allows.
    NulByte,
    /// A byte that is not UTF-8 where no 8-bit character set was declared in MSH-18.
    NotUtf8,
    /// MSH-18 names a character set this parser cannot decode.
    UnsupportedCharset(String),
    /// A header field every message must carry (MSH-9 message type, MSH-10 control id) is empty.
    MissingHeaderField(u8),
    /// The message is larger than the 4 GiB a 32-bit index can address.
    TooLarge,
}

/// A message that could not be parsed: what was wrong, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// What was wrong.
    pub kind: ParseErrorKind,
    /// Byte offset into the input where the problem was found.
    pub offset: usize,
    /// 1-based index of the segment in the message, where known.
    pub segment_index: Option<usize>,
    /// The segment's name, where known (a name is never patient data).
    pub segment: Option<String>,
    /// 1-based field number, where known.
    pub field: Option<usize>,
}

impl ParseError {
    pub(crate) fn at(kind: ParseErrorKind, offset: usize) -> Self {
        Self {
            kind,
            offset,
            segment_index: None,
            segment: None,
            field: None,
        }
    }

    pub(crate) fn in_segment(mut self, index: usize, name: &[u8]) -> Self {
        self.segment_index = Some(index);
        self.segment = Some(String::from_utf8_lossy(name).into_owned());
        self
    }

    /// Names the segment by position only, for when its name itself is not trustworthy.
    pub(crate) fn in_segment_at(mut self, index: usize) -> Self {
        self.segment_index = Some(index);
        self
    }

    pub(crate) fn in_field(mut self, field: usize) -> Self {
        self.field = Some(field);
        self
    }

    /// A short reason suitable for an ACK's text or an operator's screen.
    pub fn reason(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for ParseErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("message is empty"),
            Self::NoMsh => f.write_str("message does not start with an MSH segment"),
            Self::MshTooShort => f.write_str("MSH segment ends before its encoding characters"),
            Self::BadDelimiters(why) => write!(f, "illegal delimiters in MSH-1/MSH-2: {why}"),
            Self::BadSegmentName => f.write_str(
                "line does not start with a segment name (three upper-case letters or digits): \
                 a segment looks wrapped onto a new line (a line break inside a field, as when \
                 text is pasted from a document)",
            ),
            Self::NulByte => f.write_str("NUL byte is not allowed in HL7 v2"),
            Self::NotUtf8 => f.write_str(
                "byte is not valid UTF-8 and MSH-18 declares no 8-bit character set (e.g. 8859/1)",
            ),
            Self::UnsupportedCharset(name) => {
                write!(f, "unsupported character set in MSH-18: {name:?}")
            }
            Self::MissingHeaderField(n) => write!(f, "required field MSH-{n} is empty"),
            Self::TooLarge => f.write_str("message is larger than 4 GiB"),
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.kind)?;
        match (&self.segment, self.segment_index) {
            (Some(name), Some(i)) => write!(f, " (segment {i} {name}")?,
            (None, Some(i)) => write!(f, " (segment {i}")?,
            _ => write!(f, " (")?,
        }
        if let Some(field) = self.field {
            write!(f, ", field {field}")?;
        }
        if self.segment_index.is_some() || self.field.is_some() {
            write!(f, ", ")?;
        }
        write!(f, "byte offset {})", self.offset)
    }
}

impl std::error::Error for ParseError {}
