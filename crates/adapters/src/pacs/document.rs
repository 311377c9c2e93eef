//! Encapsulated documents: an OBX with OBX-2 `ED` and OBX-5 = `<source>^<type>^<subtype>^
//! Base64^<data>` → an Attachment for `DiagnosticReport.presentedForm`.
//!
//! Memory: the base64 text is never decoded. Parsing only indexed it (base64 holds no HL7
//! delimiters, so the index stays small); the one copy is here, from the message slice into
//! `Attachment.data` (`String::from` of the raw slice, sized exactly). A 5 MB report therefore
//! costs the input plus one 5 MB String until the event is serialised. The alphabet check is a
//! single pass over the bytes with no allocation. (A message whose MSH-18 declares 8859/1 or
//! 8859/15 and holds non-ASCII bytes is transcoded whole by the parser first: one more copy.)

use junction_hl7v2::Value;
use junction_model::fhir::Attachment;

use super::ctx::{Ctx, comp, path};
use super::groups::Seg;

/// The Attachment of an ED row, or `None` (with a warning) when it cannot be one.
pub(crate) fn attachment(ctx: &mut Ctx<'_>, obx: &Seg<'_>) -> Option<Attachment> {
    let at = path("OBX", obx.n, 5);
    let Some(ed) = obx.seg.field(5).and_then(|f| f.repetition(1)) else {
        ctx.warn(
            "field-missing",
            at,
            "encapsulated document (OBX-5) is empty; no attachment",
        );
        return None;
    };
    let encoding = comp(ed, 4);
    if !encoding
        .as_deref()
        .is_some_and(|e| e.eq_ignore_ascii_case("Base64"))
    {
        ctx.warn(
            "code-unmapped",
            format!("{at}.4"),
            "encapsulated document encoding is not Base64; no attachment",
        );
        return None;
    }
    let data: Value<'_> = ed.component(5).filter(|v| !v.is_empty())?;
    let raw = data.raw_str();
    if !is_base64(raw.as_bytes()) {
        ctx.warn(
            "field-invalid",
            format!("{at}.5"),
            "encapsulated document data is not valid base64; passed on as sent",
        );
    }
    let content_type = match (comp(ed, 2), comp(ed, 3)) {
        (Some(t), Some(s)) => Some(format!("{t}/{s}").to_ascii_lowercase()),
        _ => None,
    };
    Some(Attachment {
        content_type,
        size: Some(decoded_len(raw.as_bytes())),
        title: obx
            .seg
            .field(3)
            .and_then(|f| f.repetition(1))
            .and_then(|v| comp(v, 2))
            .map(|t| t.into_owned()),
        data: Some(String::from(raw)),
        ..Default::default()
    })
}

/// The padded base64 alphabet (`A-Z a-z 0-9 + /`, `=` only as the last one or two), length a
/// multiple of 4.
pub(crate) fn is_base64(b: &[u8]) -> bool {
    if b.is_empty() || !b.len().is_multiple_of(4) {
        return false;
    }
    let pad = b.iter().rev().take_while(|&&c| c == b'=').count();
    pad <= 2
        && b[..b.len() - pad]
            .iter()
            .all(|&c| c.is_ascii_alphanumeric() || c == b'+' || c == b'/')
}

/// The number of bytes the base64 text decodes to (for `Attachment.size`).
fn decoded_len(b: &[u8]) -> u64 {
    let pad = b.iter().rev().take(2).take_while(|&&c| c == b'=').count();
    ((b.len() / 4 * 3).saturating_sub(pad)) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_checks() {
        assert!(is_base64(b"JVBERi0xLjQK"));
        assert!(is_base64(b"YQ=="));
        assert!(!is_base64(b"YQ="));
        assert!(!is_base64(b"Y\\Q="));
        assert!(!is_base64(b"Y=Q="));
        assert_eq!(decoded_len(b"YQ=="), 1);
        assert_eq!(decoded_len(b"JVBERi0xLjQK"), 9);
    }
}
