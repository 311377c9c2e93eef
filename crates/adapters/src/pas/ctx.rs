//! Shared plumbing for the PAS mapping: the per-message context (options, id derivation,
//! warnings) and small readers over `junction_hl7v2` values (decoded text, HL7 nulls,
//! subcomponents, timestamps).

use std::borrow::Cow;

use junction_hl7v2::{Segment, Timestamp, Value};
use junction_model::{Mapping, Warning, deterministic_id};

use crate::registry::AdapterOptions;

/// Namespace for every id this adapter derives.
pub(crate) const ID_NAMESPACE: &str = "pas";

/// Per-message state: options, what ids are derived from, and the warnings collected.
pub(crate) struct Ctx<'a> {
    pub opts: &'a AdapterOptions,
    source: &'a str,
    msg_id: &'a str,
    pub warnings: Vec<Warning>,
}

impl<'a> Ctx<'a> {
    pub fn new(opts: &'a AdapterOptions, source: &'a str, msg_id: &'a str) -> Self {
        Self {
            opts,
            source,
            msg_id,
            warnings: Vec::new(),
        }
    }

    /// A replay-stable id for the `kind` resource (and `key` within kind) of this message.
    pub fn id(&self, kind: &str, key: &str) -> String {
        deterministic_id(ID_NAMESPACE, &[self.source, self.msg_id, kind, key])
    }

    /// The `urn:uuid:` reference form of [`Ctx::id`].
    pub fn urn(id: &str) -> String {
        format!("urn:uuid:{id}")
    }

    /// Records a data-quality warning. `message` must not contain patient data.
    pub fn warn(&mut self, code: &str, path: impl Into<String>, message: impl Into<String>) {
        self.warnings.push(Warning::new(code, path, message));
    }

    /// A local code looked up in a configured table: an exact entry only (defaults are
    /// applied by [`Ctx::table_default`] after national codes have been tried).
    pub fn table_entry(&self, table: &str, code: &str) -> Option<&'a Mapping> {
        self.opts.code_tables.get(table)?.entries.get(code)
    }

    /// The default mapping of a configured table, if it has one.
    pub fn table_default(&self, table: &str) -> Option<&'a Mapping> {
        self.opts.code_tables.get(table)?.default.as_ref()
    }

    /// Parses an optional timestamp: absent → `None`; unparseable → `None` and a warning.
    pub fn optional_ts(
        &mut self,
        v: Option<Value<'_>>,
        path: &str,
        what: &str,
    ) -> Option<Timestamp> {
        let raw = ts_text(v)?;
        match Timestamp::parse(&raw) {
            Ok(ts) => Some(ts),
            Err(_) => {
                self.warn(
                    "field-unparseable",
                    path,
                    format!("{what} is not a valid HL7 date/time; left out"),
                );
                None
            }
        }
    }
}

/// Decoded text of a value; `None` when absent, empty or the HL7 null `""`.
pub(crate) fn text<'m>(v: Option<Value<'m>>) -> Option<Cow<'m, str>> {
    let v = v?;
    if v.is_empty() || v.is_null() {
        return None;
    }
    let t = v.text();
    let trimmed = t.trim();
    if trimmed.is_empty() {
        None
    } else if trimmed.len() == t.len() {
        Some(t)
    } else {
        Some(Cow::Owned(trimmed.to_owned()))
    }
}

/// Text of component `c` (first subcomponent) of a repetition or field.
pub(crate) fn comp<'m>(v: Value<'m>, c: usize) -> Option<Cow<'m, str>> {
    text(v.component(c).and_then(|x| x.subcomponent(1)))
}

/// Text of component `c` of field `f` (first repetition) of a segment.
pub(crate) fn field_comp<'m>(seg: &Segment<'m>, f: usize, c: usize) -> Option<Cow<'m, str>> {
    comp(seg.field(f)?.repetition(1)?, c)
}

/// Whole text of field `f`'s first component (used for simple IS/ID/ST fields).
pub(crate) fn field1<'m>(seg: &Segment<'m>, f: usize) -> Option<Cow<'m, str>> {
    field_comp(seg, f, 1)
}

/// The non-empty repetitions of a field.
pub(crate) fn reps<'m>(seg: &Segment<'m>, f: usize) -> impl Iterator<Item = (usize, Value<'m>)> {
    seg.field(f)
        .into_iter()
        .flat_map(|v| v.children().enumerate())
        .filter(|(_, v)| !v.is_empty() && !v.is_null())
        .map(|(i, v)| (i + 1, v))
}

/// The TS text of a field (TS.1, the time, when the sender used TS components).
pub(crate) fn ts_text(v: Option<Value<'_>>) -> Option<Cow<'_, str>> {
    let v = v?;
    let v = v.repetition(1)?;
    text(v.component(1))
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
