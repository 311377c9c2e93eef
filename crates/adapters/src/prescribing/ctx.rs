//! Shared plumbing for the prescribing mapping: the per-message context (options, id
//! derivation, warnings, code tables) and small readers over `junction_hl7v2` values.

use junction_hl7v2::{Timestamp, Value};
use junction_model::{Mapping, Warning, deterministic_id};

use crate::registry::AdapterOptions;

pub(crate) use crate::read::{comp, field_comp, field1, rep1, text};

/// Namespace for every id this adapter derives.
pub(crate) const ID_NAMESPACE: &str = "prescribing";

/// Per-message state: options, what ids are derived from, and the warnings collected.
pub(crate) struct Ctx<'a> {
    pub opts: &'a AdapterOptions,
    pub source: &'a str,
    pub msg_id: String,
    pub warnings: Vec<Warning>,
}

impl<'a> Ctx<'a> {
    pub fn new(opts: &'a AdapterOptions, source: &'a str, msg_id: String) -> Self {
        Self {
            opts,
            source,
            msg_id,
            warnings: Vec::new(),
        }
    }

    /// A replay-stable id for the `kind` resource (and `key` within kind) of this message.
    pub fn id(&self, kind: &str, key: &str) -> String {
        deterministic_id(ID_NAMESPACE, &[self.source, &self.msg_id, kind, key])
    }

    /// The `urn:uuid:` reference form of an id.
    pub fn urn(id: &str) -> String {
        format!("urn:uuid:{id}")
    }

    /// Records a data-quality warning. `message` must not contain patient data.
    pub fn warn(&mut self, code: &str, path: impl Into<String>, message: impl Into<String>) {
        self.warnings.push(Warning::new(code, path, message));
    }

    /// A local code looked up in a configured table (exact entry, else the table default).
    pub fn table(&self, table: &str, code: &str) -> Option<&'a Mapping> {
        let t = self.opts.code_tables.get(table)?;
        t.entries.get(code).or(t.default.as_ref())
    }

    /// Parses an optional HL7 timestamp to a FHIR dateTime: absent → `None`; unparseable →
    /// `None` and a warning.
    pub fn datetime(&mut self, v: Option<Value<'_>>, path: &str, what: &str) -> Option<String> {
        let raw = text(v?.repetition(1)?.component(1))?;
        match Timestamp::parse(&raw) {
            Ok(ts) => Some(ts.to_fhir_datetime()),
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
