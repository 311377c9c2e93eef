//! The golden kit for declared HL7 v2 transforms, run through `junction transform` as a trust
//! would try one: each directory under `tests/golden/transforms/` holds a `junction.toml` with
//! an MLLP destination `out`, input messages `*.hl7` and the expected `*.out.hl7` beside each.
//! `UPDATE_GOLDEN=1` rewrites the expected files (review them before committing). Copy a
//! directory to make a case for a trust's own transform.

use std::path::{Path, PathBuf};
use std::process::Command;

fn cases() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/transforms")
}

fn transform(dir: &Path, input: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_junction"))
        .current_dir(dir)
        .args([
            "transform",
            "--config",
            "junction.toml",
            "--destination",
            "out",
        ])
        .arg(input)
        .output()
        .expect("run junction transform")
}

#[test]
fn every_input_gives_its_expected_output() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut failures = Vec::new();
    let mut checked = 0;
    for case in std::fs::read_dir(cases()).expect("golden dir").flatten() {
        let dir = case.path();
        let mut inputs: Vec<PathBuf> = std::fs::read_dir(&dir)
            .expect("case dir")
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
                name.ends_with(".hl7") && !name.ends_with(".out.hl7")
            })
            .collect();
        inputs.sort();
        assert!(!inputs.is_empty(), "{}: no *.hl7 inputs", dir.display());
        for input in inputs {
            let expected_path = input.with_extension("out.hl7");
            let out = transform(&dir, &input);
            assert!(
                out.status.success(),
                "{}: {}",
                input.display(),
                String::from_utf8_lossy(&out.stderr)
            );
            let got = String::from_utf8(out.stdout).expect("UTF-8");
            if update {
                std::fs::write(&expected_path, &got).expect("write expected");
                continue;
            }
            checked += 1;
            match std::fs::read_to_string(&expected_path) {
                Ok(want) if want == got => {}
                Ok(want) => failures.push(format!(
                    "{}:\n--- expected\n{want}--- got\n{got}",
                    input.display()
                )),
                Err(_) => failures.push(format!(
                    "{}: no {} (run with UPDATE_GOLDEN=1, then review it)",
                    input.display(),
                    expected_path.display()
                )),
            }
        }
    }
    assert!(
        update || checked >= 2,
        "only {checked} transform goldens checked"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_destination_without_a_transform_or_a_message_that_is_not_hl7v2_is_refused() {
    let dir = cases().join("ris");
    let tmp = tempfile::tempdir().expect("temp dir");
    let junk = tmp.path().join("junk.hl7");
    std::fs::write(&junk, "not a message").expect("write");
    let out = transform(&dir, &junk);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("the message is not HL7 v2"), "{stderr}");

    let out = Command::new(env!("CARGO_BIN_EXE_junction"))
        .current_dir(&dir)
        .args([
            "transform",
            "--config",
            "junction.toml",
            "--destination",
            "nope",
            "a01.hl7",
        ])
        .output()
        .expect("run junction transform");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no destination \"nope\""), "{stderr}");
}
