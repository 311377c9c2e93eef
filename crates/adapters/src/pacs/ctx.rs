//! Shared plumbing for the PACS mapping: the per-message context (options, replay-stable ids,
//! warnings, code tables, dates) and small readers over `junction_hl7v2` values (decoded text
//! with HL7 nulls treated as absent, components, segment-occurrence paths).

use junction_hl7v2::{Segment, Timestamp, Value};

use crate::error::DecodeError;

pub(crate) use crate::read::{comp, field1, rep1, sub, text, ts_text};

pub(crate) use crate::ctx::Ctx;

/// Namespace for every id this adapter derives.
pub(crate) const ID_NAMESPACE: &str = "pacs";

/// A date/time the event depends on: absent → `None`; unparseable → a `bad-value` error.
pub(crate) fn required_dt(
    v: Option<Value<'_>>,
    path: &str,
    what: &str,
) -> Result<Option<String>, DecodeError> {
    let Some(raw) = ts_text(v) else {
        return Ok(None);
    };
    match Timestamp::parse(&raw) {
        Ok(ts) => Ok(Some(ts.to_fhir_datetime())),
        Err(_) => Err(DecodeError::bad_value(
            path,
            format!("{what} is not an HL7 date/time (YYYYMMDD[HHMM[SS]][+ZZZZ])"),
        )),
    }
}

/// The non-empty repetitions of a field.
pub(crate) fn reps<'m>(seg: &Segment<'m>, f: usize) -> impl Iterator<Item = Value<'m>> {
    seg.field(f)
        .into_iter()
        .flat_map(|v| v.children())
        .filter(|v| !v.is_empty() && !v.is_null())
}

/// A terse path naming segment occurrence `n` (1-based): `OBR-4` for the first, `OBR[2]-4`
/// after.
pub(crate) fn path(seg: &str, n: usize, field: usize) -> String {
    if n <= 1 {
        format!("{seg}-{field}")
    } else {
        format!("{seg}[{n}]-{field}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use junction_hl7v2::Message;

    #[test]
    fn readers_and_paths() {
        let msg =
            Message::parse(b"MSH|^~\\&|A|B|C|D|20260101||ORM^O01|1|P|2.4\rOBR|1|\"\"| x |a&b^c\r")
                .unwrap();
        let obr = msg.segment("OBR", 1).unwrap();
        assert_eq!(field1(&obr, 2), None, "HL7 null is absent");
        assert_eq!(field1(&obr, 3).as_deref(), Some("x"));
        assert_eq!(sub(rep1(&obr, 4).unwrap(), 1, 2).as_deref(), Some("b"));
        assert_eq!(path("OBX", 1, 5), "OBX-5");
        assert_eq!(path("OBX", 3, 5), "OBX[3]-5");
        let err = required_dt(obr.field(3), "OBR-3", "x").unwrap_err();
        assert_eq!(err.hl7_error_code(), 102);
    }
}
