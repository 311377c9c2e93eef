//! The golden-file test kit adapter writers reuse: a directory of raw inputs with the expected
//! events as JSON beside them, compared structurally; `UPDATE_GOLDEN=1` rewrites the expected
//! files. For tests only (it reads and writes files); golden inputs must be synthetic, since
//! mismatch reports quote values.
//!
//! Layout, for inputs with extension `hl7` (see [`GoldenOptions::extension`]):
//! - `a01_admit.hl7` → `a01_admit.json`: a pretty JSON array of the events decoded;
//! - `bad_no_msh9.hl7` → `bad_no_msh9.error.json`: the [`DecodeError`] (`code`, `path`,
//!   `message`) — an input whose stem starts with `bad_` must fail to decode.
//!
//! ```no_run
//! use junction_adapters::{AdapterOptions, built_in, golden};
//!
//! let pas = built_in("pas", AdapterOptions::default()).unwrap();
//! golden::check_dir(&*pas, "tests/golden/pas", &golden::GoldenOptions::default());
//! ```

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::adapter::{Adapter, Inbound, declares_kind};
use crate::error::DecodeError;

/// Metadata every golden input is decoded with (fixed, so outputs are stable).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoldenOptions {
    /// Input file extension without the dot (default `"hl7"`).
    pub extension: String,
    /// [`Inbound::source`] (default `"golden"`).
    pub source: String,
    /// [`Inbound::received_at`] (default `"2026-01-01T00:00:00Z"`).
    pub received_at: String,
    /// Rewrite expected files instead of comparing (default: env `UPDATE_GOLDEN` is set and
    /// not `0`).
    pub update: bool,
    /// How many differing paths to list per file (default 20).
    pub max_diffs: usize,
}

impl Default for GoldenOptions {
    fn default() -> Self {
        Self {
            extension: "hl7".into(),
            source: "golden".into(),
            received_at: "2026-01-01T00:00:00Z".into(),
            update: std::env::var("UPDATE_GOLDEN").is_ok_and(|v| !v.is_empty() && v != "0"),
            max_diffs: 20,
        }
    }
}

/// The outcome of decoding one input, as JSON: `Ok(array of events)` or `Err(decode error)`.
pub fn decode_to_json(
    adapter: &dyn Adapter,
    bytes: &[u8],
    stem: &str,
    options: &GoldenOptions,
) -> Result<Value, Value> {
    let inbound = Inbound {
        bytes,
        source: &options.source,
        received_at: &options.received_at,
        correlation_id: stem,
        content_type: None,
    };
    match adapter.decode(&inbound) {
        Ok(events) => Ok(serde_json::to_value(&events).unwrap_or(Value::Null)),
        Err(err) => Err(error_json(&err)),
    }
}

fn error_json(err: &DecodeError) -> Value {
    serde_json::to_value(err).unwrap_or(Value::Null)
}

/// Runs `adapter` over every input in `dir` and compares with the expected files; panics with
/// a report of every failing file (up to [`GoldenOptions::max_diffs`] differing JSON paths
/// each). Also fails when an input has no expected file or an expected file has no input, so
/// nothing is silently skipped. With [`GoldenOptions::update`], writes the expected files.
pub fn check_dir(adapter: &dyn Adapter, dir: impl AsRef<Path>, options: &GoldenOptions) {
    let dir = dir.as_ref();
    let inputs = match list(dir, &options.extension) {
        Ok(inputs) => inputs,
        Err(err) => panic!("cannot read golden dir {}: {err}", dir.display()),
    };
    assert!(
        !inputs.is_empty(),
        "no *.{} inputs in {}",
        options.extension,
        dir.display()
    );
    let mut failures = String::new();
    let mut expected_files = Vec::new();
    for input in &inputs {
        let stem = input
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_owned();
        let want_error = stem.starts_with("bad_");
        let expected_path = dir.join(if want_error {
            format!("{stem}.error.json")
        } else {
            format!("{stem}.json")
        });
        expected_files.push(expected_path.clone());
        let bytes = match std::fs::read(input) {
            Ok(b) => b,
            Err(err) => {
                let _ = writeln!(failures, "{stem}: cannot read input: {err}");
                continue;
            }
        };
        let got = decode_to_json(adapter, &bytes, &stem, options);
        let got = match (got, want_error) {
            (Ok(v), false) | (Err(v), true) => v,
            (Ok(_), true) => {
                let _ = writeln!(failures, "{stem}: decoded, but a `bad_` input must fail");
                continue;
            }
            (Err(e), false) => {
                let _ = writeln!(failures, "{stem}: failed to decode: {e}");
                continue;
            }
        };
        if !want_error {
            let kinds = got.as_array().into_iter().flatten().map(|e| &e["kind"]);
            for kind in kinds.filter_map(Value::as_str) {
                if !declares_kind(adapter, kind) {
                    let _ = writeln!(
                        failures,
                        "{stem}: event kind {kind:?} is not among {}'s declared kinds {:?}",
                        adapter.name(),
                        adapter.kinds()
                    );
                }
            }
        }
        if options.update {
            let text = serde_json::to_string_pretty(&got).unwrap_or_default() + "\n";
            if let Err(err) = std::fs::write(&expected_path, text) {
                let _ = writeln!(failures, "{stem}: cannot write expected file: {err}");
            }
            continue;
        }
        let expected = match std::fs::read_to_string(&expected_path) {
            Ok(text) => text,
            Err(_) => {
                let _ = writeln!(
                    failures,
                    "{stem}: no expected file {} (run with UPDATE_GOLDEN=1, then review it)",
                    expected_path.display()
                );
                continue;
            }
        };
        let expected: Value = match serde_json::from_str(&expected) {
            Ok(v) => v,
            Err(err) => {
                let _ = writeln!(failures, "{stem}: expected file is not JSON: {err}");
                continue;
            }
        };
        let diffs = diff(&expected, &got, options.max_diffs);
        if !diffs.is_empty() {
            let _ = writeln!(failures, "{stem}: {} difference(s):", diffs.len());
            for d in diffs {
                let _ = writeln!(failures, "  {d}");
            }
        }
    }
    if let Ok(all) = std::fs::read_dir(dir) {
        for entry in all.flatten() {
            let path = entry.path();
            let is_json = path.extension().is_some_and(|e| e == "json");
            if is_json && !expected_files.contains(&path) {
                let _ = writeln!(
                    failures,
                    "{}: expected file without an input",
                    path.display()
                );
            }
        }
    }
    assert!(
        failures.is_empty(),
        "golden check failed in {}:\n{failures}",
        dir.display()
    );
}

fn list(dir: &Path, ext: &str) -> std::io::Result<Vec<PathBuf>> {
    let mut inputs: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    inputs.sort();
    Ok(inputs)
}

/// The JSON paths where `got` differs from `expected`, at most `limit` of them (plus a final
/// "… and N more" line), e.g. `[0].bundle.entry[1].resource.id: expected "a" got "b"`.
/// Object member order does not matter; array order does.
pub fn diff(expected: &Value, got: &Value, limit: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut total = 0;
    walk(
        expected,
        got,
        &mut String::new(),
        &mut out,
        &mut total,
        limit,
    );
    if total > out.len() {
        out.push(format!("… and {} more", total - out.len()));
    }
    out
}

fn walk(
    want: &Value,
    got: &Value,
    path: &mut String,
    out: &mut Vec<String>,
    total: &mut usize,
    limit: usize,
) {
    let mut report = |path: &str, what: String| {
        *total += 1;
        if out.len() < limit {
            let at = if path.is_empty() { "(root)" } else { path };
            out.push(format!("{at}: {what}"));
        }
    };
    match (want, got) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, va) in a {
                let len = path.len();
                push_key(path, k);
                match b.get(k) {
                    Some(vb) => walk(va, vb, path, out, total, limit),
                    None => {
                        *total += 1;
                        if out.len() < limit {
                            out.push(format!("{path}: expected {} got nothing", short(va)));
                        }
                    }
                }
                path.truncate(len);
            }
            for (k, vb) in b {
                if !a.contains_key(k) {
                    let len = path.len();
                    push_key(path, k);
                    *total += 1;
                    if out.len() < limit {
                        out.push(format!("{path}: expected nothing got {}", short(vb)));
                    }
                    path.truncate(len);
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            for i in 0..a.len().max(b.len()) {
                let len = path.len();
                let _ = write!(path, "[{i}]");
                match (a.get(i), b.get(i)) {
                    (Some(va), Some(vb)) => walk(va, vb, path, out, total, limit),
                    (Some(va), None) => {
                        *total += 1;
                        if out.len() < limit {
                            out.push(format!("{path}: expected {} got nothing", short(va)));
                        }
                    }
                    (None, Some(vb)) => {
                        *total += 1;
                        if out.len() < limit {
                            out.push(format!("{path}: expected nothing got {}", short(vb)));
                        }
                    }
                    (None, None) => {}
                }
                path.truncate(len);
            }
        }
        (a, b) if a == b => {}
        (a, b) => report(path, format!("expected {} got {}", short(a), short(b))),
    }
}

fn push_key(path: &mut String, key: &str) {
    if !path.is_empty() {
        path.push('.');
    }
    path.push_str(key);
}

/// A value rendered for a report, cut to 80 characters.
fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() <= 80 {
        s
    } else {
        let cut: String = s.chars().take(77).collect();
        format!("{cut}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn diff_lists_paths() {
        let want = json!([{"bundle": {"entry": [{"resource": {"id": "a", "x": 1}}]}, "k": "v"}]);
        let got = json!([{"k": "v", "bundle": {"entry": [{"resource": {"id": "b", "y": 2}}]}}]);
        let d = diff(&want, &got, 20);
        assert_eq!(
            d,
            [
                "[0].bundle.entry[0].resource.id: expected \"a\" got \"b\"",
                "[0].bundle.entry[0].resource.x: expected 1 got nothing",
                "[0].bundle.entry[0].resource.y: expected nothing got 2",
            ]
        );
        assert!(diff(&want, &want, 20).is_empty());
        let d = diff(&json!([1, 2, 3]), &json!([4, 5, 6, 7]), 2);
        assert_eq!(d.len(), 3);
        assert_eq!(d[2], "… and 2 more");
        assert_eq!(
            diff(&json!(1), &json!("1"), 5),
            ["(root): expected 1 got \"1\""]
        );
    }
}
