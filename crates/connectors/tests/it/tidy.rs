//! Tidy: every source file of this crate opens with a `//!` line saying where it fits.

use std::path::Path;

fn check(dir: &Path, missing: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            check(&path, missing);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).unwrap();
            if !text.starts_with("//!") {
                missing.push(path.display().to_string());
            }
        }
    }
}

#[test]
fn every_file_starts_with_a_module_doc() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut missing = Vec::new();
    check(&root.join("src"), &mut missing);
    check(&root.join("tests"), &mut missing);
    assert!(missing.is_empty(), "files without a //! line: {missing:?}");
}
