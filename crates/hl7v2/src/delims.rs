//! The delimiter set a message declares in MSH-1/MSH-2 (or FHS/BHS), validated once per message.

use crate::error::{ParseError, ParseErrorKind};

/// The five HL7 v2 delimiters, plus the v2.7 truncation character when declared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Delimiters {
    /// Field separator (MSH-1), usually `|`.
    pub field: u8,
    /// Component separator, usually `^`.
    pub component: u8,
    /// Repetition separator, usually `~`.
    pub repetition: u8,
    /// Escape character, usually `\`.
    pub escape: u8,
    /// Subcomponent separator, usually `&`.
    pub subcomponent: u8,
    /// Truncation character of v2.7+, usually `#`, when MSH-2 declares one.
    pub truncation: Option<u8>,
}

/// Marks a delimiter the message did not declare: a byte that can never be a legal delimiter,
/// so it never matches as one.
pub(crate) const ABSENT: u8 = 0;

impl Default for Delimiters {
    fn default() -> Self {
        Self {
            field: b'|',
            component: b'^',
            repetition: b'~',
            escape: b'\\',
            subcomponent: b'&',
            truncation: None,
        }
    }
}

impl Delimiters {
    /// Reads the delimiters from the start of a header segment (`MSH`, `FHS` or `BHS`):
    /// byte 3 is the field separator, then up to five encoding characters run to the next
    /// field separator. Returns the delimiters and the offset just past MSH-2.
    pub fn from_header(seg: &[u8]) -> Result<(Self, usize), ParseError> {
        if seg.len() < 4 {
            return Err(ParseError::at(ParseErrorKind::MshTooShort, seg.len()));
        }
        let field = seg[3];
        let enc_start = 4;
        let enc_len = seg[enc_start..]
            .iter()
            .position(|&b| b == field || b == b'\r' || b == b'\n')
            .unwrap_or(seg.len() - enc_start);
        let enc = &seg[enc_start..enc_start + enc_len];
        if enc.is_empty() {
            return Err(ParseError::at(ParseErrorKind::MshTooShort, enc_start));
        }
        if enc.len() > 5 {
            return Err(ParseError::at(
                ParseErrorKind::BadDelimiters("MSH-2 has more than five encoding characters"),
                enc_start + 5,
            ));
        }
        let pick = |i: usize| enc.get(i).copied().unwrap_or(ABSENT);
        let delims = Self {
            field,
            component: pick(0),
            repetition: pick(1),
            escape: pick(2),
            subcomponent: pick(3),
            truncation: enc.get(4).copied(),
        };
        delims.validate(enc_start)?;
        Ok((delims, enc_start + enc_len))
    }

    fn validate(&self, offset: usize) -> Result<(), ParseError> {
        let all = [
            Some(self.field),
            Some(self.component),
            Some(self.repetition),
            Some(self.escape),
            Some(self.subcomponent),
            self.truncation,
        ];
        let declared: Vec<u8> = all
            .iter()
            .flatten()
            .copied()
            .filter(|&b| b != ABSENT)
            .collect();
        for (i, &b) in declared.iter().enumerate() {
            if b.is_ascii_alphanumeric() {
                return Err(bad("a delimiter is a letter or digit", offset));
            }
            if !b.is_ascii() || b.is_ascii_control() || b == b' ' {
                return Err(bad(
                    "a delimiter is not a printable ASCII character",
                    offset,
                ));
            }
            if declared[..i].contains(&b) {
                return Err(bad("the same character is declared twice", offset));
            }
        }
        Ok(())
    }

    /// MSH-2 as it should be written: the encoding characters that are declared.
    pub fn encoding_characters(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(5);
        for b in [
            self.component,
            self.repetition,
            self.escape,
            self.subcomponent,
        ] {
            if b == ABSENT {
                break;
            }
            out.push(b);
        }
        if let Some(t) = self.truncation {
            out.push(t);
        }
        out
    }

    /// Is `b` one of the separators (field, component, repetition, subcomponent)?
    pub(crate) fn is_separator(&self, b: u8) -> bool {
        b != ABSENT
            && (b == self.field
                || b == self.component
                || b == self.repetition
                || b == self.subcomponent)
    }
}

fn bad(why: &'static str, offset: usize) -> ParseError {
    ParseError::at(ParseErrorKind::BadDelimiters(why), offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_standard_set() {
        let (d, end) = Delimiters::from_header(b"MSH|^~\\&|APP").unwrap();
        assert_eq!(d, Delimiters::default());
        assert_eq!(end, 8);
    }

    #[test]
    fn reads_the_v27_truncation_character() {
        let (d, end) = Delimiters::from_header(b"MSH|^~\\&#|APP").unwrap();
        assert_eq!(d.truncation, Some(b'#'));
        assert_eq!(d.encoding_characters(), b"^~\\&#");
        assert_eq!(end, 9);
    }

    #[test]
    fn reads_a_custom_set() {
        let (d, _) = Delimiters::from_header(b"MSH!@*$%!APP").unwrap();
        assert_eq!(
            (d.field, d.component, d.repetition, d.escape, d.subcomponent),
            (b'!', b'@', b'*', b'$', b'%')
        );
    }

    #[test]
    fn accepts_fewer_encoding_characters() {
        let (d, _) = Delimiters::from_header(b"MSH|^~|APP").unwrap();
        assert_eq!(d.escape, ABSENT);
        assert_eq!(d.encoding_characters(), b"^~");
    }

    #[test]
    fn rejects_illegal_sets() {
        for bad in [
            &b"MSH|A~\\&|"[..],
            b"MSH|^^\\&|",
            b"MSH|",
            b"MSH||",
            b"MSH|^ \\&|",
        ] {
            assert!(
                Delimiters::from_header(bad).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }
}
