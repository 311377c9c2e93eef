//! Character sets named in MSH-18: which ones we decode, and transcoding 8-bit text to UTF-8.

use crate::error::{ParseError, ParseErrorKind};

/// A character set a message may declare in MSH-18.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charset {
    /// Nothing declared, `ASCII`, `UNICODE UTF-8` or `UNICODE`: the bytes must be UTF-8.
    Utf8,
    /// `8859/1`: Latin-1. Bytes 0x80–0x9F are read as Windows-1252, as senders labelled
    /// Latin-1 in practice mean it (the same rule browsers apply to that label).
    Latin1,
    /// `8859/15`: Latin-9, Latin-1 with the euro sign and seven other changes.
    Latin9,
}

impl Charset {
    /// Reads an MSH-18 value. Unknown names are an error that names the value (a charset
    /// name is not patient data).
    pub fn from_msh18(value: &[u8], offset: usize) -> Result<Self, ParseError> {
        let name = String::from_utf8_lossy(value);
        let norm = name.trim().to_ascii_uppercase().replace(['-', '_'], " ");
        match norm.as_str() {
            "" | "ASCII" | "US ASCII" | "UNICODE UTF 8" | "UTF 8" | "UTF8" | "UNICODE" => {
                Ok(Self::Utf8)
            }
            "8859/1" | "ISO 8859 1" | "ISO IR100" | "LATIN1" => Ok(Self::Latin1),
            "8859/15" | "ISO 8859 15" => Ok(Self::Latin9),
            _ => Err(ParseError::at(
                ParseErrorKind::UnsupportedCharset(name.into_owned()),
                offset,
            )),
        }
    }

    /// Transcodes 8-bit text to UTF-8. Only meaningful for `Latin1`/`Latin9`.
    pub fn to_utf8(self, bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 8);
        let mut tmp = [0u8; 4];
        for &b in bytes {
            if b < 0x80 {
                out.push(b);
                continue;
            }
            let ch = match self {
                Self::Utf8 | Self::Latin1 => latin1_char(b),
                Self::Latin9 => latin9_char(b),
            };
            out.extend_from_slice(ch.encode_utf8(&mut tmp).as_bytes());
        }
        out
    }
}

/// Windows-1252 for 0x80–0x9F (undefined positions keep their C1 code point), Latin-1 above.
fn latin1_char(b: u8) -> char {
    const C1: [u16; 32] = [
        0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
        0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
        0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
    ];
    let code = if (0x80..0xA0).contains(&b) {
        u32::from(C1[usize::from(b - 0x80)])
    } else {
        u32::from(b)
    };
    char::from_u32(code).unwrap_or('\u{FFFD}')
}

fn latin9_char(b: u8) -> char {
    match b {
        0xA4 => '\u{20AC}',
        0xA6 => '\u{0160}',
        0xA8 => '\u{0161}',
        0xB4 => '\u{017D}',
        0xB8 => '\u{017E}',
        0xBC => '\u{0152}',
        0xBD => '\u{0153}',
        0xBE => '\u{0178}',
        _ => char::from(b),
    }
}

/// Checks that `bytes` are UTF-8, naming the offset of the first byte that is not.
pub(crate) fn check_utf8(bytes: &[u8]) -> Result<(), ParseError> {
    match std::str::from_utf8(bytes) {
        Ok(_) => Ok(()),
        Err(e) => Err(ParseError::at(ParseErrorKind::NotUtf8, e.valid_up_to())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_map_to_charsets() {
        assert_eq!(Charset::from_msh18(b"8859/1", 0).unwrap(), Charset::Latin1);
        assert_eq!(
            Charset::from_msh18(b"UNICODE UTF-8", 0).unwrap(),
            Charset::Utf8
        );
        assert_eq!(Charset::from_msh18(b"", 0).unwrap(), Charset::Utf8);
        assert!(Charset::from_msh18(b"ISO IR87", 0).is_err());
    }

    #[test]
    fn latin1_transcodes_to_utf8() {
        assert_eq!(
            Charset::Latin1.to_utf8(b"Jos\xe9 M\xfcller \x80"),
            "José Müller €".as_bytes()
        );
        assert_eq!(Charset::Latin9.to_utf8(b"\xa4"), "€".as_bytes());
    }

    #[test]
    fn utf8_check_names_offset() {
        let err = check_utf8(b"abc\xe9def").unwrap_err();
        assert_eq!(err.offset, 3);
    }
}
