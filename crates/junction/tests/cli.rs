//! The `junction` binary's command line, run as a real process.

use std::path::PathBuf;
use std::process::Command;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/hl7v2")
        .join(name)
}

fn junction() -> Command {
    Command::new(env!("CARGO_BIN_EXE_junction"))
}

#[test]
fn parse_prints_decoded_values_by_path() {
    let out = junction()
        .arg("parse")
        .arg(fixture("adt_a01_uk.hl7"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("MSH-9[1].2.1\tA01\n"), "{stdout}");
    assert!(stdout.contains("PID-3[2].1.1\tK5500101\n"), "{stdout}");
    assert!(stdout.contains("PV1-3[1].4.1\tRXX01\n"), "{stdout}");
}

#[test]
fn parse_reads_a_batch() {
    let out = junction()
        .arg("parse")
        .arg(fixture("batch_fhs.hl7"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.matches("# ").count(), 3, "{stdout}");
}

#[test]
fn parse_fails_with_a_positioned_reason() {
    let out = junction()
        .arg("parse")
        .arg(fixture("malformed/binary_nul.hl7"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("NUL byte"), "{stderr}");
    assert!(
        stderr.contains("segment 3 PID, field 5, byte offset 168"),
        "{stderr}"
    );
}

fn golden(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../adapters/tests/golden/pas")
        .join(name)
}

#[test]
fn translate_prints_fhir_events() {
    let out = junction()
        .arg("translate")
        .arg(golden("a01_admit.hl7"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let events: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let event = &events[0];
    assert_eq!(event["kind"], "patient.admitted");
    assert_eq!(event["bundle"]["resourceType"], "Bundle");
    assert_eq!(
        event["bundle"]["entry"][0]["resource"]["resourceType"],
        "MessageHeader"
    );
}

#[test]
fn translate_ndjson_prints_one_event_a_line() {
    let out = junction()
        .args(["translate", "--ndjson"])
        .arg(fixture("batch_fhs.hl7"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 3, "{stdout}");
    for line in stdout.lines() {
        let e: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(e["kind"], "patient.registered");
    }
}

#[test]
fn translate_fails_with_the_decode_error() {
    let out = junction()
        .arg("translate")
        .arg(golden("bad_no_msh9.hl7"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("MSH-9"), "{stderr}");
}

#[test]
fn translate_rejects_an_unknown_adapter() {
    let out = junction()
        .args(["translate", "--adapter", "nope"])
        .arg(fixture("adt_a01_uk.hl7"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains("unknown adapter")
    );
}

#[test]
fn translate_with_the_radiology_and_prescribing_adapters() {
    for (adapter, file, kind) in [
        ("pacs", "orm_o01_radiology.hl7", "order.placed"),
        ("prescribing", "rde_o11_pharmacy.hl7", "prescription.issued"),
    ] {
        let out = junction()
            .args(["translate", "--adapter", adapter])
            .arg(fixture(file))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{adapter}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let events: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(events[0]["kind"], kind, "{adapter}");
    }
}
