//! Shared plumbing for the PAS mapping: the per-message context (options, id derivation,
//! warnings) and small readers over `junction_hl7v2` values (decoded text, HL7 nulls,
//! subcomponents, timestamps).

use junction_hl7v2::{Segment, Timestamp, Value};
use junction_model::{Mapping, Warning, deterministic_id};

use crate::registry::AdapterOptions;

pub(crate) use crate::read::{comp, field_comp, field1, text, ts_text};

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
