//! `Message`: a parsed HL7 v2 message that borrows its input and indexes every delimiter.

use std::borrow::Cow;

use crate::charset::{Charset, check_utf8};
use crate::delims::Delimiters;
use crate::error::{ParseError, ParseErrorKind};
use crate::header::Header;
use crate::parse::{Index, index};
use crate::path::Path;
use crate::value::{Segment, Value};

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// A parsed HL7 v2 message. Parsing locates every segment, field, repetition, component and
/// subcomponent in one pass; values are slices of the input (copied only when MSH-18 declares
/// an 8-bit character set that must be transcoded to UTF-8).
#[derive(Debug, Clone)]
pub struct Message<'a> {
    buf: Cow<'a, [u8]>,
    delims: Delimiters,
    charset: Charset,
    idx: Index,
}

impl<'a> Message<'a> {
    /// Parses one message. Segment terminators may be CR, LF or CRLF; a leading UTF-8
    /// byte-order mark, blank lines and trailing whitespace are tolerated.
    pub fn parse(input: &'a [u8]) -> Result<Self, ParseError> {
        let start = if input.starts_with(BOM) { BOM.len() } else { 0 };
        let body = &input[start..];
        let lead = body
            .iter()
            .take_while(|b| matches!(b, b'\r' | b'\n' | b' ' | b'\t'))
            .count();
        let start = start + lead;
        if input.len() <= start {
            return Err(ParseError::at(ParseErrorKind::Empty, input.len()));
        }
        if !input[start..].starts_with(b"MSH") {
            return Err(ParseError::at(ParseErrorKind::NoMsh, start));
        }
        let (delims, _) = Delimiters::from_header(&input[start..])
            .map_err(|e| shift(e, start).in_segment(1, b"MSH"))?;
        let idx = index(input, start, &delims)?;
        let mut msg = Self {
            buf: Cow::Borrowed(input),
            delims,
            charset: Charset::Utf8,
            idx,
        };
        msg.charset = msg.declared_charset()?;
        match msg.charset {
            Charset::Utf8 => check_utf8(input).map_err(|e| msg.locate(e))?,
            latin => {
                if !input.is_ascii() {
                    let owned = latin.to_utf8(input);
                    msg.idx = index(&owned, start, &delims)?;
                    msg.buf = Cow::Owned(owned);
                }
            }
        }
        Ok(msg)
    }

    fn declared_charset(&self) -> Result<Charset, ParseError> {
        let Some(msh18) = self.get_path(&Path::msh(18)) else {
            return Ok(Charset::Utf8);
        };
        let first = msh18.repetition(1).map_or(msh18.raw(), |r| r.raw());
        Charset::from_msh18(first, msh18.offset()).map_err(|e| e.in_segment(1, b"MSH").in_field(18))
    }

    /// Adds the segment and field that hold `err.offset` to an error found after indexing.
    fn locate(&self, mut err: ParseError) -> ParseError {
        let off = err.offset as u32;
        if let Some((i, seg)) = self
            .idx
            .segments
            .iter()
            .enumerate()
            .find(|(_, s)| s.start <= off && off <= s.end)
        {
            let name = &self.buf[seg.start as usize..seg.start as usize + 3];
            let fields = &self.idx.fields[seg.first_field as usize..][..seg.field_count as usize];
            let n = fields
                .iter()
                .take_while(|&&f| self.idx.seps[f as usize] < off)
                .count();
            let n = if name == b"MSH" && n > 0 { n + 1 } else { n };
            err = err.in_segment(i + 1, name);
            if n > 0 {
                err = err.in_field(n);
            }
        }
        err
    }

    /// The delimiters this message declared.
    pub fn delimiters(&self) -> &Delimiters {
        &self.delims
    }

    /// The character set the bytes were in (the message is UTF-8 after parsing).
    pub fn charset(&self) -> Charset {
        self.charset
    }

    /// The whole message as UTF-8 bytes (the input itself unless it was transcoded).
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }

    /// The number of segments.
    pub fn segment_count(&self) -> usize {
        self.idx.segments.len()
    }

    /// The `i`-th segment (0-based), in message order.
    pub fn segment_at(&self, i: usize) -> Option<Segment<'_>> {
        let seg = *self.idx.segments.get(i)?;
        Some(Segment::new(&self.buf, &self.idx, seg, i, self.delims))
    }

    /// Every segment in order.
    pub fn segments(&self) -> impl Iterator<Item = Segment<'_>> + '_ {
        (0..self.segment_count()).filter_map(|i| self.segment_at(i))
    }

    /// Every segment with this name, in order (`OBX` rows of a result, say).
    pub fn segments_named<'s>(&'s self, name: &str) -> impl Iterator<Item = Segment<'s>> {
        self.segments().filter(move |s| s.name() == name)
    }

    /// The `n`-th (1-based) segment with this name.
    pub fn segment(&self, name: &str, n: usize) -> Option<Segment<'_>> {
        let n = n.checked_sub(1)?;
        let name = name.as_bytes();
        let i = (0..self.segment_count())
            .filter(|&i| {
                let s = self.idx.segments[i].start as usize;
                self.buf.get(s..s + 3) == Some(name)
            })
            .nth(n)?;
        self.segment_at(i)
    }

    /// The value at a terse path such as `PID-3[2].4.1`, `PID-5.1`, `OBX[3]-5` or `MSH-9.2`.
    /// `None` when the value is absent or the path is malformed.
    pub fn get(&self, path: &str) -> Option<Value<'_>> {
        self.get_path(&Path::parse(path).ok()?)
    }

    /// The value at a parsed path (parse once, look up many times).
    pub fn get_path(&self, path: &Path) -> Option<Value<'_>> {
        let seg = self.segment(path.segment(), path.occurrence())?;
        let Some(field) = path.field() else {
            return Some(seg.as_value());
        };
        let mut v = seg.field(field)?;
        if let Some(rep) = path.repetition() {
            v = v.repetition(rep)?;
        } else if path.component().is_some() {
            v = v.repetition(1)?;
        }
        if let Some(c) = path.component() {
            v = v.component(c)?;
        }
        if let Some(s) = path.subcomponent() {
            v = v.subcomponent(s)?;
        }
        Some(v)
    }

    /// The decoded text at a path, or `None` when absent or empty.
    pub fn text(&self, path: &str) -> Option<Cow<'_, str>> {
        self.get(path).filter(|v| !v.is_empty()).map(|v| v.text())
    }

    /// A typed view of the MSH segment.
    pub fn header(&self) -> Header<'_> {
        Header::new(self)
    }

    /// Serialises the message: every segment as indexed, each ended by CR. For a well-formed
    /// input (CR terminators, no byte-order mark or trailing whitespace) this reproduces the
    /// input byte for byte.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        for seg in &self.idx.segments {
            out.extend_from_slice(&self.buf[seg.start as usize..seg.end as usize]);
            out.push(b'\r');
        }
    }

    /// [`Message::write_to`] into a new buffer.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.buf.len() + 1);
        self.write_to(&mut out);
        out
    }

    /// Copies the message so it no longer borrows its input.
    pub fn into_owned(self) -> Message<'static> {
        Message {
            buf: Cow::Owned(self.buf.into_owned()),
            delims: self.delims,
            charset: self.charset,
            idx: self.idx,
        }
    }
}

fn shift(mut e: ParseError, by: usize) -> ParseError {
    e.offset += by;
    e
}
