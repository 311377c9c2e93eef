//! The one-pass scanner: finds every segment and every delimiter of a message and records
//! their offsets, so that any field, repetition, component or subcomponent is a slice away.

use crate::delims::{ABSENT, Delimiters};
use crate::error::{ParseError, ParseErrorKind};

/// Byte classes of the scanner's lookup table.
const PLAIN: u8 = 0;
const FIELD: u8 = 1;
const INNER: u8 = 2;
const CR: u8 = 3;
const LF: u8 = 4;
const NUL: u8 = 5;

/// Where one segment sits in the buffer and in the delimiter index.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SegIdx {
    /// Offset of the segment name.
    pub start: u32,
    /// Offset just past the segment's last byte (its terminator is not included).
    pub end: u32,
    /// Index into `Index::fields` of this segment's first field.
    pub first_field: u32,
    /// How many fields follow the name (for MSH, MSH-2 is the first).
    pub field_count: u32,
    /// Index into `Index::seps` just past this segment's last separator.
    pub sep_end: u32,
}

/// The positions of everything in a message.
#[derive(Debug, Default, Clone)]
pub(crate) struct Index {
    /// Offsets of every field, repetition, component and subcomponent separator, in order.
    /// The byte at an offset says which kind it is.
    pub seps: Vec<u32>,
    /// For each field, the index into `seps` of the field separator that opens it.
    pub fields: Vec<u32>,
    pub segments: Vec<SegIdx>,
}

fn class_table(d: &Delimiters) -> [u8; 256] {
    let mut t = [PLAIN; 256];
    t[usize::from(b'\r')] = CR;
    t[usize::from(b'\n')] = LF;
    t[0] = NUL;
    for b in [d.component, d.repetition, d.subcomponent] {
        if b != ABSENT {
            t[usize::from(b)] = INNER;
        }
    }
    t[usize::from(d.field)] = FIELD;
    t
}

/// Is this the name of a segment whose second field holds encoding characters?
pub(crate) fn is_header_name(name: &[u8]) -> bool {
    matches!(name, b"MSH" | b"FHS" | b"BHS")
}

fn valid_segment_name(name: &[u8]) -> bool {
    name.len() == 3
        && name[0].is_ascii_uppercase()
        && name[1..]
            .iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// The offset of the next byte at or after `pos` that is not plain text. Most HL7 values are
/// short, so the first 64 bytes are scanned with the class table; a value still going after
/// that is probably long (base64 in OBX-5, report narrative), and the rest is searched a window
/// at a time with memchr's vectorised search.
#[inline]
fn next_special(buf: &[u8], pos: usize, table: &[u8; 256], d: &Delimiters) -> Option<usize> {
    let short_end = (pos + 64).min(buf.len());
    match buf[pos..short_end]
        .iter()
        .position(|&b| table[usize::from(b)] != PLAIN)
    {
        Some(n) => Some(pos + n),
        None if short_end < buf.len() => next_special_long(buf, short_end, d),
        None => None,
    }
}

/// Window size for the vectorised search: large enough to amortise the calls, small enough
/// that separators close together never make it rescan much.
const WINDOW: usize = 16 * 1024;

/// The vectorised search of [`next_special`]. An undeclared delimiter is `ABSENT` (0), the
/// same byte as NUL, which must be found anyway.
fn next_special_long(buf: &[u8], mut pos: usize, d: &Delimiters) -> Option<usize> {
    while pos < buf.len() {
        let window = &buf[pos..(pos + WINDOW).min(buf.len())];
        let hit = [
            memchr::memchr3(d.field, b'\r', b'\n', window),
            memchr::memchr3(d.component, d.repetition, d.subcomponent, window),
            memchr::memchr(0, window),
        ]
        .into_iter()
        .flatten()
        .min();
        if let Some(n) = hit {
            return Some(pos + n);
        }
        pos += window.len();
    }
    None
}

/// Indexes `buf` from `start`, with delimiters already read from its header segment.
pub(crate) fn index(buf: &[u8], start: usize, delims: &Delimiters) -> Result<Index, ParseError> {
    if buf.len() >= u32::MAX as usize {
        return Err(ParseError::at(ParseErrorKind::TooLarge, 0));
    }
    let table = class_table(delims);
    // A rough guess that avoids most reallocation for ordinary messages (one separator every
    // 6 bytes), capped so a multi-megabyte report (mostly one base64 value) does not reserve
    // megabytes of index it will never use.
    let guess = (buf.len() / 6).min(16 * 1024);
    let mut idx = Index {
        seps: Vec::with_capacity(guess + 16),
        fields: Vec::with_capacity(guess / 2 + 8),
        segments: Vec::with_capacity(guess / 10 + 4),
    };
    let mut pos = start;
    loop {
        // Skip blank lines and whitespace-only lines between (and after) segments.
        while pos < buf.len() && matches!(buf[pos], b'\r' | b'\n' | b' ' | b'\t') {
            pos += 1;
        }
        if pos >= buf.len() {
            break;
        }
        let seg_start = pos;
        let seg_no = idx.segments.len() + 1;
        let name_len = buf[pos..]
            .iter()
            .position(|&b| b == delims.field || b == b'\r' || b == b'\n')
            .unwrap_or(buf.len() - pos);
        let name = &buf[pos..pos + name_len];
        if !valid_segment_name(name) {
            // A line of trailing whitespace after the last segment is tolerated.
            if !name.is_empty() && name.iter().all(|b| b.is_ascii_whitespace()) {
                pos += name_len;
                continue;
            }
            // The bytes are not shown: a stray CR inside a field makes patient data look like
            // a segment name, and this reason reaches NAKs and logs.
            return Err(ParseError::at(ParseErrorKind::BadSegmentName, pos).in_segment_at(seg_no));
        }
        let first_field = idx.fields.len() as u32;
        pos += name_len;
        if is_header_name(name) && pos < buf.len() && buf[pos] == delims.field {
            // MSH-1 opens the segment; MSH-2 holds the encoding characters, not separators.
            idx.fields.push(idx.seps.len() as u32);
            idx.seps.push(pos as u32);
            pos += 1;
            pos += buf[pos..]
                .iter()
                .position(|&b| b == delims.field || b == b'\r' || b == b'\n')
                .unwrap_or(buf.len() - pos);
        }
        loop {
            match next_special(buf, pos, &table, delims) {
                None => {
                    pos = buf.len();
                    break;
                }
                Some(at) => {
                    pos = at;
                    match table[usize::from(buf[pos])] {
                        FIELD => {
                            idx.fields.push(idx.seps.len() as u32);
                            idx.seps.push(pos as u32);
                        }
                        INNER => idx.seps.push(pos as u32),
                        CR | LF => break,
                        _ => {
                            let field = (idx.fields.len() as u32 - first_field) as usize;
                            return Err(ParseError::at(ParseErrorKind::NulByte, pos)
                                .in_segment(seg_no, name)
                                .in_field(field));
                        }
                    }
                    pos += 1;
                }
            }
        }
        idx.segments.push(SegIdx {
            start: seg_start as u32,
            end: pos as u32,
            first_field,
            field_count: idx.fields.len() as u32 - first_field,
            sep_end: idx.seps.len() as u32,
        });
    }
    Ok(idx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indexes_segments_and_separators() {
        let buf = b"MSH|^~\\&|A|B\rPID|1||X^Y~Z\r";
        let idx = index(buf, 0, &Delimiters::default()).unwrap();
        assert_eq!(idx.segments.len(), 2);
        let pid = idx.segments[1];
        assert_eq!(&buf[pid.start as usize..pid.end as usize], b"PID|1||X^Y~Z");
        assert_eq!(pid.field_count, 3);
    }

    #[test]
    fn a_line_without_a_name_is_an_error_not_a_hang() {
        let err = index(b"MSH|^~\\&|A\r|B\r", 0, &Delimiters::default()).unwrap_err();
        assert_eq!(err.kind, ParseErrorKind::BadSegmentName);
        assert_eq!(err.offset, 11);
        // A segment pasted from a document, wrapped in the middle of a field: the reason says
        // so, and quotes nothing of the wrapped text.
        let wrapped = b"MSH|^~\\&|A\rPID|1||9990000018^^^NHS^NH||TESTPATIENT^\nAlex\r";
        let err = index(wrapped, 0, &Delimiters::default()).unwrap_err();
        let reason = err.reason();
        assert!(reason.contains("wrapped onto a new line"), "{reason}");
        assert!(!reason.contains("Alex"), "{reason}");
    }

    #[test]
    fn long_values_find_every_separator() {
        // Separators at every distance from a value's start, past the 64-byte short scan and
        // across search windows, are found exactly as the byte-by-byte scan finds them.
        for gap in [0, 1, 7, 8, 63, 64, 65, 1000, 16_383, 16_384, 16_385, 40_000] {
            for sep in [b'|', b'^', b'~', b'&', b'\r', 0] {
                let mut buf = b"MSH|^~\\&|A\rOBX|".to_vec();
                let at = buf.len() + gap;
                buf.extend(std::iter::repeat_n(b'x', gap));
                buf.push(sep);
                buf.extend_from_slice(b"yy");
                let table = class_table(&Delimiters::default());
                let start = 15;
                let expect = buf[start..]
                    .iter()
                    .position(|&b| table[usize::from(b)] != PLAIN)
                    .map(|n| n + start);
                assert_eq!(
                    next_special(&buf, start, &table, &Delimiters::default()),
                    expect
                );
                assert_eq!(expect, Some(at), "gap {gap} sep {sep}");
            }
        }
    }

    #[test]
    fn nul_byte_names_segment_and_field() {
        let buf = b"MSH|^~\\&|A\rPID|1|\0\r";
        let err = index(buf, 0, &Delimiters::default()).unwrap_err();
        assert_eq!(err.kind, ParseErrorKind::NulByte);
        assert_eq!(err.segment.as_deref(), Some("PID"));
        assert_eq!(err.field, Some(2));
        assert_eq!(err.offset, 17);
    }
}
