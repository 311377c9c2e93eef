//! `ConfigError`: one problem in the configuration, located by file, line, column and key path,
//! and `Located`, which turns byte offsets and key paths of one TOML file into those locations.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// One problem found while loading the configuration.
///
/// Displays as `config/junction.toml:12:5: routes[1].destinations[0]: unknown destination …`.
/// `line` and `column` are 1-based; 0 means the problem concerns the whole file (it could not be
/// read, or a code table has no header row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The file at fault, as it was given (the config file, or a code table it names).
    pub file: PathBuf,
    /// 1-based line, or 0 for the whole file.
    pub line: usize,
    /// 1-based column in characters, or 0 for the whole file.
    pub column: usize,
    /// The key path, e.g. `routes[1].destinations[0]`; empty for TOML syntax errors.
    pub key: String,
    /// What is wrong, and where it helps, what would be right.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if self.line > 0 {
            write!(f, ":{}:{}", self.line, self.column)?;
        }
        if !self.key.is_empty() {
            write!(f, ": {}", self.key)?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ConfigError {}

/// Sorts errors for reporting: the config file's errors first, by line and column, then those of
/// other files (code tables) by file, line and column.
pub fn sort(errors: &mut [ConfigError], config_file: &Path) {
    errors.sort_by(|a, b| {
        (a.file != config_file, &a.file, a.line, a.column, &a.key).cmp(&(
            b.file != config_file,
            &b.file,
            b.line,
            b.column,
            &b.key,
        ))
    });
}

/// One key (or array element) of the document and where it is.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Full key path, e.g. `sources[0].tls.cert`.
    pub path: String,
    /// Span of the key itself; `None` for array elements.
    pub key: Option<Range<usize>>,
    /// Span of the value.
    pub value: Range<usize>,
}

/// A TOML file's text and the span of every key in it: maps key paths and byte offsets to
/// `file:line:column`.
pub struct Located {
    file: PathBuf,
    line_starts: Vec<usize>,
    text: String,
    entries: Vec<Entry>,
}

impl Located {
    /// A located file with no keys indexed yet.
    pub fn new(file: &Path, text: &str) -> Self {
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Self {
            file: file.to_path_buf(),
            line_starts,
            text: text.to_owned(),
            entries: Vec::new(),
        }
    }

    /// Records where each key is.
    pub fn set_entries(&mut self, entries: Vec<Entry>) {
        self.entries = entries;
    }

    /// 1-based line and column of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&s| s <= offset);
        let start = self.line_starts[line - 1];
        let column = self
            .text
            .get(start..offset)
            .map_or(1, |s| s.chars().count() + 1);
        (line, column)
    }

    /// An error at a byte offset.
    pub fn at(&self, offset: usize, key: &str, message: impl Into<String>) -> ConfigError {
        let (line, column) = self.line_col(offset);
        ConfigError {
            file: self.file.clone(),
            line,
            column,
            key: key.to_owned(),
            message: message.into(),
        }
    }

    /// An error about `key`, placed where that key (or, if it is absent, its nearest present
    /// parent) is written: at the key for `a = 1`, at the element for `[1, 2]`.
    pub fn error(&self, key: &str, message: impl Into<String>) -> ConfigError {
        let offset = self.offset_of(key).unwrap_or(0);
        self.at(offset, key, message)
    }

    /// Where a key path is written, else its nearest present parent.
    pub fn offset_of(&self, key: &str) -> Option<usize> {
        let mut path = key;
        loop {
            if let Some(e) = self.entries.iter().find(|e| e.path == path) {
                return Some(e.key.as_ref().unwrap_or(&e.value).start);
            }
            path = parent(path)?;
        }
    }

    /// The innermost entry whose key or value contains `offset`.
    pub fn entry_at(&self, offset: usize) -> Option<&Entry> {
        self.entries
            .iter()
            .flat_map(|e| {
                [e.key.clone(), Some(e.value.clone())]
                    .into_iter()
                    .flatten()
                    .map(move |r| (e, r))
            })
            .filter(|(_, r)| r.contains(&offset) || (r.is_empty() && r.start == offset))
            .min_by_key(|(_, r)| r.len())
            .map(|(e, _)| e)
    }
}

/// `a.b[2]` → `a.b`; `a.b` → `a`; `a` → none.
pub fn parent(path: &str) -> Option<&str> {
    let cut = path.rfind(['.', '['])?;
    Some(&path[..cut])
}

/// Joins a key onto a path, quoting keys that are not bare TOML keys.
pub fn join(path: &str, key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    let key = if bare {
        key.to_owned()
    } else {
        format!("{key:?}")
    };
    if path.is_empty() {
        key
    } else {
        format!("{path}.{key}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_with_and_without_position() {
        let mut e = ConfigError {
            file: "config/junction.toml".into(),
            line: 12,
            column: 5,
            key: "routes[1].destinations[0]".into(),
            message: "unknown destination \"fhirr\" (known: fhir, outbox)".into(),
        };
        assert_eq!(
            e.to_string(),
            "config/junction.toml:12:5: routes[1].destinations[0]: unknown destination \"fhirr\" (known: fhir, outbox)"
        );
        e.line = 0;
        e.key.clear();
        e.message = "cannot read: gone".into();
        assert_eq!(e.to_string(), "config/junction.toml: cannot read: gone");
    }

    #[test]
    fn line_and_column_count_characters() {
        let loc = Located::new(Path::new("x.toml"), "a = 1\nbé = \"x\"\n");
        assert_eq!(loc.line_col(0), (1, 1));
        assert_eq!(loc.line_col(6), (2, 1));
        // "é" is two bytes but one column.
        assert_eq!(loc.line_col(11), (2, 5));
    }

    #[test]
    fn paths() {
        assert_eq!(parent("a.b[2]"), Some("a.b"));
        assert_eq!(parent("a.b"), Some("a"));
        assert_eq!(parent("a"), None);
        assert_eq!(join("", "a"), "a");
        assert_eq!(join("a", "b.c"), "a.\"b.c\"");
    }
}
