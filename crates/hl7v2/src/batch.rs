//! Batches: FHS/BHS … BTS/FTS envelopes split into the messages they carry.

use crate::delims::Delimiters;
use crate::error::{ParseError, ParseErrorKind};

/// A batch file split into its envelope segments and its messages (borrowed slices).
#[derive(Debug, Clone, Default)]
pub struct Batch<'a> {
    /// The FHS segment, if any.
    pub file_header: Option<&'a [u8]>,
    /// The BHS segment, if any.
    pub batch_header: Option<&'a [u8]>,
    /// Each message, from its MSH up to the next MSH or envelope segment.
    pub messages: Vec<&'a [u8]>,
    /// The BTS segment, if any.
    pub batch_trailer: Option<&'a [u8]>,
    /// The FTS segment, if any.
    pub file_trailer: Option<&'a [u8]>,
}

impl<'a> Batch<'a> {
    /// True when the bytes start (after any byte-order mark or blank lines) with FHS or BHS.
    pub fn is_batch(input: &[u8]) -> bool {
        let body = skip_lead(input);
        body.starts_with(b"FHS") || body.starts_with(b"BHS")
    }

    /// Splits a batch. A plain message (starting with MSH) is a batch of one.
    pub fn split(input: &'a [u8]) -> Result<Self, ParseError> {
        let body = skip_lead(input);
        let base = input.len() - body.len();
        if body.is_empty() {
            return Err(ParseError::at(ParseErrorKind::Empty, input.len()));
        }
        if !(body.starts_with(b"FHS") || body.starts_with(b"BHS") || body.starts_with(b"MSH")) {
            return Err(ParseError::at(ParseErrorKind::NoMsh, base));
        }
        Delimiters::from_header(body).map_err(|mut e| {
            e.offset += base;
            e
        })?;
        let mut batch = Batch::default();
        let mut msg_start: Option<usize> = None;
        let mut msg_end = 0;
        let mut pos = base;
        while pos < input.len() {
            let len = input[pos..]
                .iter()
                .position(|&b| b == b'\r' || b == b'\n')
                .unwrap_or(input.len() - pos);
            let line = &input[pos..pos + len];
            let name = line.get(..3).unwrap_or(line);
            let envelope = matches!(name, b"FHS" | b"BHS" | b"BTS" | b"FTS");
            if (envelope || name == b"MSH")
                && msg_start.is_some()
                && let Some(s) = msg_start.take()
            {
                batch.messages.push(&input[s..msg_end]);
            }
            match name {
                b"FHS" => batch.file_header = Some(line),
                b"BHS" => batch.batch_header = Some(line),
                b"BTS" => batch.batch_trailer = Some(line),
                b"FTS" => batch.file_trailer = Some(line),
                b"MSH" => msg_start = Some(pos),
                _ => {}
            }
            if msg_start.is_some() && !line.iter().all(u8::is_ascii_whitespace) {
                msg_end = pos + len;
            }
            pos += len;
            while pos < input.len() && (input[pos] == b'\r' || input[pos] == b'\n') {
                if msg_start.is_some() && input[pos] == b'\r' && msg_end == pos {
                    msg_end = pos + 1;
                }
                pos += 1;
            }
        }
        if let Some(s) = msg_start {
            batch.messages.push(&input[s..msg_end]);
        }
        Ok(batch)
    }
}

fn skip_lead(input: &[u8]) -> &[u8] {
    let body = input
        .strip_prefix(b"\xEF\xBB\xBF".as_slice())
        .unwrap_or(input);
    let n = body
        .iter()
        .take_while(|b| matches!(b, b'\r' | b'\n' | b' ' | b'\t'))
        .count();
    &body[n..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_an_envelope() {
        let input =
            b"FHS|^~\\&|PAS\rBHS|^~\\&|PAS\rMSH|^~\\&|A\rPID|1\rMSH|^~\\&|B\rPID|2\rBTS|2\rFTS|1\r";
        let b = Batch::split(input).unwrap();
        assert!(Batch::is_batch(input));
        assert_eq!(
            b.messages,
            vec![&b"MSH|^~\\&|A\rPID|1\r"[..], &b"MSH|^~\\&|B\rPID|2\r"[..]]
        );
        assert_eq!(b.batch_trailer, Some(&b"BTS|2"[..]));
        assert_eq!(b.file_trailer, Some(&b"FTS|1"[..]));
    }

    #[test]
    fn a_plain_message_is_a_batch_of_one() {
        let b = Batch::split(b"MSH|^~\\&|A\nPID|1\n").unwrap();
        assert_eq!(b.messages.len(), 1);
        assert!(b.file_header.is_none());
    }

    #[test]
    fn rejects_non_hl7() {
        assert!(Batch::split(b"hello").is_err());
        assert!(Batch::split(b"").is_err());
    }
}
