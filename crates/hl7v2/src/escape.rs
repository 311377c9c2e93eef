//! HL7 v2 escape sequences: decoding `\F\ \S\ \T\ \R\ \E\ \P\ \Xhh..\ \.br\` to text, and
//! encoding text so that it can sit in a field. Formatting escapes that have no plain-text
//! meaning (`\H\ \N\ \.sp\ \.in\ …`) and unknown sequences are kept as they are.

use std::borrow::Cow;

use crate::delims::{ABSENT, Delimiters};

/// Decodes the escape sequences in `raw`. Borrows when there is nothing to decode.
pub fn decode<'a>(raw: &'a str, d: &Delimiters) -> Cow<'a, str> {
    if d.escape == ABSENT || !raw.as_bytes().contains(&d.escape) {
        return Cow::Borrowed(raw);
    }
    let esc = char::from(d.escape);
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(open) = rest.find(esc) {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find(esc) else {
            // No closing escape character: a literal backslash, kept as sent.
            out.push_str(&rest[open..]);
            return Cow::Owned(out);
        };
        let seq = &after[..close];
        if decode_sequence(seq, d, &mut out) {
            rest = &after[close + 1..];
        } else {
            // Unknown or formatting-only: keep the opening escape character and carry on
            // from the next one, so `C:\temp\x` style text survives as sent.
            out.push(esc);
            rest = after;
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// Appends the meaning of one escape sequence, or returns false to keep it as sent.
fn decode_sequence(seq: &str, d: &Delimiters, out: &mut String) -> bool {
    let delim = |b: u8| (b != ABSENT).then(|| char::from(b));
    let ch = match seq {
        "F" => Some(char::from(d.field)),
        "S" => delim(d.component),
        "T" => delim(d.subcomponent),
        "R" => delim(d.repetition),
        "E" => delim(d.escape),
        "P" => d.truncation.map(char::from),
        ".br" => Some('\n'),
        _ => None,
    };
    if let Some(c) = ch {
        out.push(c);
        return true;
    }
    if let Some(hex) = seq.strip_prefix('X') {
        return decode_hex(hex, out);
    }
    false
}

fn decode_hex(hex: &str, out: &mut String) -> bool {
    if hex.is_empty() || !hex.len().is_multiple_of(2) || !hex.bytes().all(|b| b.is_ascii_hexdigit())
    {
        return false;
    }
    let bytes: Vec<u8> = hex
        .as_bytes()
        .chunks(2)
        .filter_map(|p| {
            std::str::from_utf8(p)
                .ok()
                .and_then(|s| u8::from_str_radix(s, 16).ok())
        })
        .collect();
    match String::from_utf8(bytes) {
        Ok(s) => out.push_str(&s),
        // Not UTF-8: read the bytes as Latin-1, the usual meaning of \X..\ from 8-bit senders.
        Err(e) => out.extend(e.into_bytes().into_iter().map(char::from)),
    }
    true
}

/// Appends `text` to `out`, escaping every delimiter and line break so the result is one value.
pub fn encode_into(text: &str, d: &Delimiters, out: &mut String) {
    let esc = char::from(d.escape);
    let seq = |out: &mut String, code: &str| {
        out.push(esc);
        out.push_str(code);
        out.push(esc);
    };
    for c in text.chars() {
        let code = if !c.is_ascii() {
            None
        } else {
            let b = c as u8;
            match b {
                _ if b == d.field => Some("F"),
                _ if b == d.component && b != ABSENT => Some("S"),
                _ if b == d.subcomponent && b != ABSENT => Some("T"),
                _ if b == d.repetition && b != ABSENT => Some("R"),
                _ if b == d.escape && b != ABSENT => Some("E"),
                _ if Some(b) == d.truncation => Some("P"),
                b'\n' => Some(".br"),
                b'\r' => Some("X0D"),
                _ => None,
            }
        };
        match code {
            Some(code) if d.escape != ABSENT => seq(out, code),
            // Without an escape character a delimiter cannot be carried: it becomes a space.
            Some(_) => out.push(' '),
            None => out.push(c),
        }
    }
}

/// Escapes `text` for use as one value. Borrows when nothing needs escaping.
pub fn encode<'a>(text: &'a str, d: &Delimiters) -> Cow<'a, str> {
    let needs = text.bytes().any(|b| {
        d.is_separator(b) || b == d.escape || b == b'\n' || b == b'\r' || Some(b) == d.truncation
    });
    if !needs {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    encode_into(text, d, &mut out);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> String {
        decode(s, &Delimiters::default()).into_owned()
    }

    #[test]
    fn decodes_delimiter_escapes() {
        assert_eq!(dec(r"A\F\B\S\C\T\D\R\E\E\F"), r"A|B^C&D~E\F");
    }

    #[test]
    fn decodes_hex_and_line_breaks() {
        assert_eq!(dec(r"line1\.br\line2\X0D0A\end"), "line1\nline2\r\nend");
        assert_eq!(dec(r"caf\XC3A9\"), "café");
        assert_eq!(dec(r"caf\XE9\"), "café");
    }

    #[test]
    fn keeps_formatting_and_unknown_escapes() {
        assert_eq!(dec(r"\H\bold\N\ \.sp2\ \Q\"), r"\H\bold\N\ \.sp2\ \Q\");
        assert_eq!(dec(r"C:\temp\file"), r"C:\temp\file");
        assert_eq!(dec(r"trailing\"), r"trailing\");
        assert_eq!(dec(r"\XZZ\"), r"\XZZ\");
    }

    #[test]
    fn encode_then_decode_is_identity() {
        let d = Delimiters::default();
        let text = "O'Brien|^&~\\ line\nnext\r\nend #";
        let enc = encode(text, &d);
        assert!(!enc.contains(['|', '^', '&', '~', '\n', '\r']));
        assert_eq!(decode(&enc, &d), text);
    }

    #[test]
    fn encode_borrows_plain_text() {
        assert!(matches!(
            encode("SMITH", &Delimiters::default()),
            Cow::Borrowed(_)
        ));
    }
}
