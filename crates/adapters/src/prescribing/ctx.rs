//! Shared plumbing for the prescribing mapping: the per-message context (options, id
//! derivation, warnings, code tables) and small readers over `junction_hl7v2` values.

pub(crate) use crate::read::{comp, field_comp, field1, rep1, text};

pub(crate) use crate::ctx::Ctx;

/// Namespace for every id this adapter derives.
pub(crate) const ID_NAMESPACE: &str = "prescribing";

/// A FHIR decimal from text such as `"32"` or `"2.5"`; `None` when it is not a plain number.
pub(crate) fn decimal(s: &str) -> Option<serde_json::Number> {
    let s = s.trim();
    let plain = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-')
        && s.bytes().filter(|b| *b == b'.').count() <= 1;
    if !plain {
        return None;
    }
    serde_json::from_str(s.strip_suffix('.').unwrap_or(s))
        .ok()
        .or_else(|| serde_json::from_str(&format!("0{s}")).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_stay_as_written() {
        assert_eq!(decimal("32").unwrap().to_string(), "32");
        assert_eq!(decimal("2.5").unwrap().to_string(), "2.5");
        assert_eq!(decimal(".5").unwrap().to_string(), "0.5");
        assert_eq!(decimal("1e9"), None);
        assert_eq!(decimal("ten"), None);
        assert_eq!(decimal(""), None);
    }
}
