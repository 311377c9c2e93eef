//! Code tables: map a local code (sex, ward, ethnic category, clinic…) to a
//! national code, with an optional default for unmapped codes.
//!
//! Tables are plain data: built with [`CodeTable::new`] (the binary loads
//! them from TOML) or [`CodeTable::from_csv`]. Local codes are not patient
//! data, so errors name them.

mod csv;

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::fhir::{CodeableConcept, Coding};

/// The national code a local code maps to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mapping {
    /// The target code.
    pub code: String,
    /// Display text for the target code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
    /// Code system URI of the target code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
}

impl Mapping {
    /// A mapping to a bare code.
    pub fn code(code: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            display: None,
            system: None,
        }
    }

    /// The mapping as a FHIR Coding.
    pub fn coding(&self) -> Coding {
        Coding {
            system: self.system.clone(),
            code: Some(self.code.clone()),
            display: self.display.clone(),
            ..Default::default()
        }
    }

    /// The mapping as a FHIR CodeableConcept with one coding.
    pub fn codeable_concept(&self) -> CodeableConcept {
        CodeableConcept::from_coding(self.coding())
    }
}

/// A named local → national lookup table.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CodeTable {
    /// Table name, e.g. `"ward"`.
    pub name: String,
    /// Local code → mapping.
    pub entries: HashMap<String, Mapping>,
    /// Returned for codes not in `entries`; `None` makes them errors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Mapping>,
}

/// A local code with no mapping in a table that has no default.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("code `{code}` is not mapped in code table `{table}`")]
pub struct UnmappedCode {
    /// The table looked in.
    pub table: String,
    /// The local code (not patient data).
    pub code: String,
}

/// A code-table file that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("code table `{table}` line {line}: {reason}")]
pub struct CodeTableError {
    /// The table being read.
    pub table: String,
    /// 1-based line number (0 for whole-file problems).
    pub line: usize,
    /// What is wrong.
    pub reason: String,
}

impl CodeTable {
    /// A table from `(local, mapping)` pairs; a later duplicate replaces an
    /// earlier one.
    pub fn new<K: Into<String>>(
        name: impl Into<String>,
        entries: impl IntoIterator<Item = (K, Mapping)>,
        default: Option<Mapping>,
    ) -> Self {
        Self {
            name: name.into(),
            entries: entries.into_iter().map(|(k, v)| (k.into(), v)).collect(),
            default,
        }
    }

    /// Reads CSV with a header row naming the columns `local` and `code`
    /// (required) and `display`, `system` (optional), in any order.
    /// Quoted fields may contain commas and `""`; blank lines and lines
    /// starting with `#` are skipped. Empty optional fields are `None`. A
    /// local code listed twice is an error naming both lines.
    pub fn from_csv(
        name: impl Into<String>,
        text: &str,
        default: Option<Mapping>,
    ) -> Result<Self, CodeTableError> {
        let name = name.into();
        let mut entries = HashMap::new();
        let mut first_line = HashMap::new();
        for (line, local, mapping) in csv::parse(&name, text)? {
            if let Some(prev) = first_line.insert(local.clone(), line) {
                return Err(CodeTableError {
                    table: name,
                    line,
                    reason: format!("local code `{local}` already mapped on line {prev}"),
                });
            }
            entries.insert(local, mapping);
        }
        Ok(Self {
            name,
            entries,
            default,
        })
    }

    /// The mapping for a local code (exact match), else the default, else
    /// [`UnmappedCode`].
    pub fn lookup(&self, local: &str) -> Result<&Mapping, UnmappedCode> {
        self.entries
            .get(local)
            .or(self.default.as_ref())
            .ok_or_else(|| UnmappedCode {
                table: self.name.clone(),
                code: local.to_owned(),
            })
    }

    /// Number of entries (not counting the default).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the table has no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Why a lookup through [`CodeTables`] failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LookupError {
    /// No table with that name is configured.
    #[error("no code table named `{0}`")]
    NoSuchTable(String),
    /// The table has no mapping (and no default) for the code.
    #[error(transparent)]
    Unmapped(#[from] UnmappedCode),
}

/// All configured code tables, by name.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CodeTables {
    tables: HashMap<String, CodeTable>,
}

impl CodeTables {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a table, returning any table it replaced with the same name.
    pub fn insert(&mut self, table: CodeTable) -> Option<CodeTable> {
        self.tables.insert(table.name.clone(), table)
    }

    /// The table with this name.
    pub fn get(&self, name: &str) -> Option<&CodeTable> {
        self.tables.get(name)
    }

    /// Looks `local` up in the named table.
    pub fn lookup(&self, table: &str, local: &str) -> Result<&Mapping, LookupError> {
        let t = self
            .get(table)
            .ok_or_else(|| LookupError::NoSuchTable(table.to_owned()))?;
        Ok(t.lookup(local)?)
    }

    /// Table names, in no particular order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.tables.keys().map(String::as_str)
    }
}

impl FromIterator<CodeTable> for CodeTables {
    fn from_iter<I: IntoIterator<Item = CodeTable>>(iter: I) -> Self {
        Self {
            tables: iter.into_iter().map(|t| (t.name.clone(), t)).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WARDS: &str = "\
# Ward codes for the RXX PAS
local,code,display,system

W1,RXX01-W1,\"Ward 1, East Wing\",https://fhir.nhs.uk/Id/ods-site-code
W2,RXX01-W2,,
\"W 3\",RXX01-W3,\"The \"\"Rainbow\"\" ward\",
";

    #[test]
    fn reads_csv() {
        let table = CodeTable::from_csv("ward", WARDS, None).unwrap();
        assert_eq!(table.len(), 3);
        let w1 = table.lookup("W1").unwrap();
        assert_eq!(w1.code, "RXX01-W1");
        assert_eq!(w1.display.as_deref(), Some("Ward 1, East Wing"));
        assert_eq!(
            w1.system.as_deref(),
            Some("https://fhir.nhs.uk/Id/ods-site-code")
        );
        assert_eq!(table.lookup("W2").unwrap(), &Mapping::code("RXX01-W2"));
        assert_eq!(
            table.lookup("W 3").unwrap().display.as_deref(),
            Some("The \"Rainbow\" ward")
        );
        let err = table.lookup("W9").unwrap_err();
        assert_eq!(
            err,
            UnmappedCode {
                table: "ward".into(),
                code: "W9".into()
            }
        );
        assert_eq!(
            err.to_string(),
            "code `W9` is not mapped in code table `ward`"
        );
    }

    #[test]
    fn columns_in_any_order_and_crlf() {
        let text = "code,local\r\nmale,M\r\nfemale,F\r\n";
        let table = CodeTable::from_csv("sex", text, None).unwrap();
        assert_eq!(table.lookup("F").unwrap().code, "female");
    }

    #[test]
    fn errors_name_the_line() {
        let cases = [
            ("local,code\nA,1\nB\n", 3, "empty `code`"),
            ("local,code\nA,1\nA,2\n", 3, "already mapped on line 2"),
            ("local,code\n\nA,\"1\n", 3, "unterminated"),
            ("local,code\nA,1,x\n", 2, "3 fields"),
            ("local,colour\n", 1, "unknown column"),
            ("code,display\n", 1, "no `local`"),
            ("# nothing\n\n", 0, "no header"),
        ];
        for (text, line, needle) in cases {
            let err = CodeTable::from_csv("t", text, None).unwrap_err();
            assert_eq!(err.line, line, "{text:?}: {err}");
            assert!(err.to_string().contains(needle), "{text:?}: {err}");
            assert!(err.to_string().starts_with("code table `t` line "), "{err}");
        }
    }

    #[test]
    fn default_and_registry() {
        let sex = CodeTable::new(
            "sex",
            [("1", Mapping::code("male")), ("2", Mapping::code("female"))],
            Some(Mapping::code("unknown")),
        );
        assert_eq!(sex.lookup("1").unwrap().code, "male");
        assert_eq!(sex.lookup("Q").unwrap().code, "unknown");
        let tables: CodeTables = [sex].into_iter().collect();
        assert_eq!(tables.lookup("sex", "2").unwrap().code, "female");
        assert_eq!(
            tables.lookup("ward", "W1").unwrap_err(),
            LookupError::NoSuchTable("ward".into())
        );
        let coding = tables.lookup("sex", "1").unwrap().coding();
        assert_eq!(coding.code.as_deref(), Some("male"));
        assert_eq!(tables.names().collect::<Vec<_>>(), ["sex"]);
    }
}
