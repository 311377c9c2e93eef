//! The per-message context every HL7 v2 adapter maps with: options, replay-stable ids (derived
//! from the adapter's namespace, the source and the message id), the data-quality warnings
//! collected on the way, code-table lookups and optional timestamps.

use std::borrow::Cow;

use junction_hl7v2::{Timestamp, Value};
use junction_model::{Mapping, Warning, deterministic_id};

use crate::read::ts_text;
use crate::registry::AdapterOptions;

/// Per-message state: options, what ids are derived from, and the warnings collected.
pub(crate) struct Ctx<'a> {
    pub opts: &'a AdapterOptions,
    /// The adapter's id namespace (`pas`, `pacs`, `prescribing`).
    pub namespace: &'static str,
    pub source: &'a str,
    /// MSH-10, or the correlation id when MSH-10 is empty.
    pub msg_id: Cow<'a, str>,
    /// The sending facility (MSH-4), for adapters whose numbers are namespaced by the trust.
    pub facility: Option<String>,
    pub warnings: Vec<Warning>,
}

impl<'a> Ctx<'a> {
    pub fn new(
        namespace: &'static str,
        opts: &'a AdapterOptions,
        source: &'a str,
        msg_id: impl Into<Cow<'a, str>>,
    ) -> Self {
        Self {
            opts,
            namespace,
            source,
            msg_id: msg_id.into(),
            facility: None,
            warnings: Vec::new(),
        }
    }

    /// A replay-stable id for the `kind` resource (and `key` within kind) of this message.
    pub fn id(&self, kind: &str, key: &str) -> String {
        deterministic_id(self.namespace, &[self.source, &self.msg_id, kind, key])
    }

    /// The `urn:uuid:` reference form of an id.
    pub fn urn(id: &str) -> String {
        format!("urn:uuid:{id}")
    }

    /// Records a data-quality warning. `message` must not contain patient data.
    pub fn warn(&mut self, code: &str, path: impl Into<String>, message: impl Into<String>) {
        self.warnings.push(Warning::new(code, path, message));
    }

    /// A local code looked up in a configured table: an exact entry only (callers that try
    /// national codes first apply [`Ctx::table_default`] afterwards).
    pub fn table_entry(&self, table: &str, code: &str) -> Option<&'a Mapping> {
        self.opts.code_tables.get(table)?.entries.get(code)
    }

    /// The default mapping of a configured table, if it has one.
    pub fn table_default(&self, table: &str) -> Option<&'a Mapping> {
        self.opts.code_tables.get(table)?.default.as_ref()
    }

    /// A local code looked up in a configured table: the exact entry, else the table default.
    pub fn table(&self, table: &str, code: &str) -> Option<&'a Mapping> {
        self.table_entry(table, code)
            .or_else(|| self.table_default(table))
    }

    /// Parses an optional timestamp (TS.1 of the first repetition): absent → `None`;
    /// unparseable → `None` and a `field-unparseable` warning.
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

    /// [`Ctx::optional_ts`] as a FHIR dateTime.
    pub fn datetime(&mut self, v: Option<Value<'_>>, path: &str, what: &str) -> Option<String> {
        self.optional_ts(v, path, what)
            .map(|ts| ts.to_fhir_datetime())
    }
}
