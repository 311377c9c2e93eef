//! Readers shared by the HL7 v2 adapters: decoded, trimmed text of a value, a component, a
//! field's first repetition; the HL7 null `""` and blank values read as absent.

use std::borrow::Cow;

use junction_hl7v2::{Segment, Value};

/// Decoded text of a value; `None` when absent, empty or the HL7 null `""`.
pub(crate) fn text<'m>(v: Option<Value<'m>>) -> Option<Cow<'m, str>> {
    let v = v?;
    if v.is_empty() || v.is_null() {
        return None;
    }
    let t: Cow<'m, str> = match v.text() {
        Cow::Borrowed(t) => Cow::Borrowed(t.trim()),
        Cow::Owned(t) if t.trim().len() == t.len() => Cow::Owned(t),
        Cow::Owned(t) => Cow::Owned(t.trim().to_owned()),
    };
    (!t.is_empty()).then_some(t)
}

/// Text of component `c` (first subcomponent) of a repetition or field.
pub(crate) fn comp<'m>(v: Value<'m>, c: usize) -> Option<Cow<'m, str>> {
    text(v.component(c).and_then(|x| x.subcomponent(1)))
}

/// Text of subcomponent `s` of component `c`.
pub(crate) fn sub<'m>(v: Value<'m>, c: usize, s: usize) -> Option<Cow<'m, str>> {
    text(v.component(c).and_then(|x| x.subcomponent(s)))
}

/// The first repetition of field `f`.
pub(crate) fn rep1<'m>(seg: &Segment<'m>, f: usize) -> Option<Value<'m>> {
    seg.field(f)?.repetition(1)
}

/// Text of component `c` of field `f` (first repetition) of a segment.
pub(crate) fn field_comp<'m>(seg: &Segment<'m>, f: usize, c: usize) -> Option<Cow<'m, str>> {
    comp(rep1(seg, f)?, c)
}

/// Text of field `f`'s first component (simple ID/IS/ST fields).
pub(crate) fn field1<'m>(seg: &Segment<'m>, f: usize) -> Option<Cow<'m, str>> {
    field_comp(seg, f, 1)
}

/// The TS text of a field (TS.1 when the sender used components).
pub(crate) fn ts_text(v: Option<Value<'_>>) -> Option<Cow<'_, str>> {
    text(v?.repetition(1)?.component(1))
}
