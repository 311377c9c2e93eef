//! Tidy checks over the whole workspace: every Rust file says where it fits in a `//!` line,
//! no test is switched off, no debugging leftovers, no oversized files.

use std::path::{Path, PathBuf};

const MAX_LINES: usize = 700;

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if path.is_dir() {
            if name != "target"
                && !name.starts_with("target-")
                && !name.starts_with('.')
                && name != "fixtures"
            {
                rust_files(&path, out);
            }
        } else if name.ends_with(".rs") {
            out.push(path);
        }
    }
}

fn all_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    rust_files(&workspace().join("crates"), &mut files);
    rust_files(&workspace().join("tests"), &mut files);
    assert!(files.len() > 20, "found only {} Rust files", files.len());
    files
}

#[test]
fn every_file_starts_with_a_module_doc() {
    let missing: Vec<_> = all_files()
        .into_iter()
        .filter(|p| {
            let text = std::fs::read_to_string(p).unwrap_or_default();
            !text
                .lines()
                .find(|l| !l.trim().is_empty())
                .is_some_and(|l| l.starts_with("//!"))
        })
        .collect();
    assert!(
        missing.is_empty(),
        "files without a leading //! line: {missing:#?}"
    );
}

#[test]
fn no_ignored_tests_or_debug_leftovers() {
    let ignore = ["#[", "ignore"].concat();
    let dbg = ["dbg", "!("].concat();
    let mut found = Vec::new();
    for p in all_files() {
        let text = std::fs::read_to_string(&p).unwrap_or_default();
        for (i, line) in text.lines().enumerate() {
            if line.contains(&ignore) || line.contains(&dbg) {
                found.push(format!("{}:{}", p.display(), i + 1));
            }
        }
    }
    assert!(
        found.is_empty(),
        "switched-off tests or dbg! calls: {found:#?}"
    );
}

#[test]
fn files_stay_small() {
    let big: Vec<_> = all_files()
        .into_iter()
        .filter_map(|p| {
            let n = std::fs::read_to_string(&p)
                .unwrap_or_default()
                .lines()
                .count();
            (n > MAX_LINES).then(|| format!("{} ({n} lines)", p.display()))
        })
        .collect();
    assert!(
        big.is_empty(),
        "files over {MAX_LINES} lines, split them: {big:#?}"
    );
}
