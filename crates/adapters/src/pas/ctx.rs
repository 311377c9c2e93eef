//! Shared plumbing for the PAS mapping: the per-message context (options, id derivation,
//! warnings) and small readers over `junction_hl7v2` values (decoded text, HL7 nulls,
//! subcomponents, timestamps).

use junction_hl7v2::{Segment, Value};

pub(crate) use crate::read::{comp, field_comp, field1, text, ts_text};

pub(crate) use crate::ctx::Ctx;

/// Namespace for every id this adapter derives.
pub(crate) const ID_NAMESPACE: &str = "pas";

/// The non-empty repetitions of a field.
pub(crate) fn reps<'m>(seg: &Segment<'m>, f: usize) -> impl Iterator<Item = (usize, Value<'m>)> {
    seg.field(f)
        .into_iter()
        .flat_map(|v| v.children().enumerate())
        .filter(|(_, v)| !v.is_empty() && !v.is_null())
        .map(|(i, v)| (i + 1, v))
}

/// `Dr Peter HARGREAVES`-style display for an XCN/XPN-like value: prefix, given, family.
pub(crate) fn display_name(
    prefix: Option<&str>,
    given: Option<&str>,
    family: Option<&str>,
) -> Option<String> {
    let parts: Vec<&str> = [prefix, given, family].into_iter().flatten().collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use junction_hl7v2::Message;

    #[test]
    fn readers_skip_nulls_and_take_first_subcomponent() {
        let msg = Message::parse(
            b"MSH|^~\\&|A|B|C|D|20260101||ADT^A01|1|P|2.4\rPID|1||1^^^NHS&2.16&ISO~~2||\"\"|x\\T\\y\r",
        )
        .unwrap();
        let pid = msg.segment("PID", 1).unwrap();
        assert_eq!(field_comp(&pid, 3, 4).as_deref(), Some("NHS"));
        assert_eq!(reps(&pid, 3).map(|(i, _)| i).collect::<Vec<_>>(), [1, 3]);
        assert_eq!(field1(&pid, 5), None, "HL7 null is absent");
        assert_eq!(field1(&pid, 6).as_deref(), Some("x&y"));
        assert_eq!(
            display_name(Some("Dr"), None, Some("OKONKWO")).as_deref(),
            Some("Dr OKONKWO")
        );
    }
}
