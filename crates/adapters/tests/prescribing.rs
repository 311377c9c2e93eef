//! Golden tests for the `prescribing` adapter: every `tests/golden/prescribing/*.hl7` and
//! `*.xml` decoded and compared with the reviewed JSON beside it, plus checks of the EPS v3
//! XML safety limits (the EPS v3 examples are the conformance suite's, crates/conformance).

use std::path::{Path, PathBuf};

use junction_adapters::golden::{self, GoldenOptions};
use junction_adapters::prescribing::MAX_XML_BYTES;
use junction_adapters::{Adapter, AdapterOptions, DecodeErrorCode, Inbound, PrescribingAdapter};
use junction_model::{CodeTable, CodeTables, Mapping};
use serde_json::Value;

fn adapter() -> PrescribingAdapter {
    let tables: CodeTables = [CodeTable::new(
        "medication",
        [(
            "LOC123",
            Mapping {
                code: "36031011000001102".into(),
                display: Some("Oramorph 10mg/5ml oral solution".into()),
                system: None,
            },
        )],
        None,
    )]
    .into_iter()
    .collect();
    PrescribingAdapter::new(AdapterOptions {
        code_tables: tables,
        local_mrn_authority: Some("RXX".into()),
        ..Default::default()
    })
}

/// Inputs by format (the kit checks one extension per directory).
fn dir(format: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden/prescribing")
        .join(format)
}

#[test]
fn golden_hl7v2() {
    golden::check_dir(&adapter(), dir("hl7v2"), &GoldenOptions::default());
}

#[test]
fn golden_hl7v3_xml() {
    let opts = GoldenOptions {
        extension: "xml".into(),
        ..Default::default()
    };
    golden::check_dir(&adapter(), dir("hl7v3"), &opts);
}

fn decode(bytes: &[u8]) -> Result<Vec<Value>, junction_adapters::DecodeError> {
    let inbound = Inbound {
        bytes,
        source: "golden",
        received_at: "2026-01-01T00:00:00Z",
        correlation_id: "t",
        content_type: None,
    };
    let events = adapter().decode(&inbound)?;
    Ok(events
        .iter()
        .map(|e| serde_json::to_value(e).unwrap())
        .collect())
}

#[test]
fn oversize_xml_is_refused_without_parsing() {
    let mut big = b"<PORX_IN020101SM31 xmlns=\"urn:hl7-org:v3\">".to_vec();
    big.resize(MAX_XML_BYTES + 1, b' ');
    let err = decode(&big).unwrap_err();
    assert_eq!(err.code, DecodeErrorCode::Unparseable);
    assert!(err.message.contains("MiB"), "{err}");
}

#[test]
fn hostile_xml_fails_cleanly() {
    let deep = "<a xmlns=\"urn:hl7-org:v3\">".to_owned() + &"<b>".repeat(10_000);
    let cases: [&[u8]; 6] = [
        deep.as_bytes(),
        b"",
        b"<",
        b"<x xmlns=\"urn:hl7-org:v3\"/><y/>",
        b"<x xmlns=\"urn:hl7-org:v3\">\xff</x>",
        b"<x xmlns=\"urn:hl7-org:v3\" a=\"&bogus;\"/>",
    ];
    for bytes in cases {
        let err = decode(bytes).unwrap_err();
        assert!(!err.message.is_empty());
    }
    let err = decode(b"<x xmlns=\"urn:hl7-org:v3\"/>").unwrap_err();
    assert_eq!(err.code, DecodeErrorCode::UnsupportedMessage);
}

#[test]
fn replay_gives_identical_events() {
    for (fmt, name) in [
        ("hl7v2", "rde_o11_multi_item.hl7"),
        ("hl7v3", "eps_acute_nurse_multiple_meds_send.xml"),
    ] {
        let bytes = std::fs::read(dir(fmt).join(name)).unwrap();
        assert_eq!(decode(&bytes).unwrap(), decode(&bytes).unwrap(), "{name}");
    }
}

#[test]
fn errors_and_warnings_carry_no_patient_data() {
    let entries = std::fs::read_dir(dir("hl7v2"))
        .unwrap()
        .chain(std::fs::read_dir(dir("hl7v3")).unwrap());
    for entry in entries {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        if !(name.ends_with(".hl7") || name.ends_with(".xml")) {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let texts: Vec<String> = match decode(&bytes) {
            Ok(events) => events
                .iter()
                .flat_map(|e| e["warnings"].as_array().cloned().unwrap_or_default())
                .map(|w| w.to_string())
                .collect(),
            Err(e) => vec![e.to_string()],
        };
        for t in texts {
            for secret in [
                "9991833137",
                "9449304122",
                "9449305552",
                "EASTWOOD",
                "FORREST",
            ] {
                assert!(!t.contains(secret), "{name}: {t}");
            }
        }
    }
}
