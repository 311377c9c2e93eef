//! Golden tests for the `prescribing` adapter: every `tests/golden/prescribing/*.hl7` and
//! `*.xml` decoded and compared with the reviewed JSON beside it, plus checks of the EPS v3
//! examples against their FHIR equivalents and the XML safety limits.

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

/// The resource of `type_` in a FHIR bundle value (first one, or the one `pick` accepts).
fn resources<'a>(bundle: &'a Value, type_: &str) -> Vec<&'a Value> {
    bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["resource"])
        .filter(|r| r["resourceType"] == type_)
        .collect()
}

fn id_value<'a>(ids: &'a Value, system_suffix: &str) -> Option<&'a str> {
    ids.as_array()?.iter().find(|i| {
        i["system"]
            .as_str()
            .is_some_and(|s| s.ends_with(system_suffix))
    })?["value"]
        .as_str()
}

/// Each v3 example against its FHIR twin: the fields that matter for routing and dispensing.
#[test]
fn eps_v3_matches_the_fhir_examples() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/specs/eps/examples");
    if !examples.exists() {
        eprintln!("skipped: {} not present", examples.display());
        return;
    }
    let cases = [
        ("acute-controlled-drugs", "Send", true),
        ("acute-no-nominated", "Send", true),
        ("acute-nominated", "Send", true),
        ("acute-nurse-multiple-meds", "Send", false),
        ("homecare-acute", "Send", false),
        ("repeat-dispensing", "Send", true),
        ("acute-nominated", "Cancel", false),
    ];
    for (scenario, which, gmc) in cases {
        let xml = std::fs::read(
            examples
                .join(scenario)
                .join(format!("1-Convert-Response-{which}-200_OK.xml")),
        )
        .unwrap();
        let json: Value = serde_json::from_slice(
            &std::fs::read(
                examples
                    .join(scenario)
                    .join(format!("1-Process-Request-{which}-200_OK.json")),
            )
            .unwrap(),
        )
        .unwrap();
        let events = decode(&xml).unwrap_or_else(|e| panic!("{scenario} {which}: {e}"));
        let want_mrs = resources(&json, "MedicationRequest");
        assert_eq!(
            events.len(),
            want_mrs.len(),
            "{scenario} {which}: one event per line item"
        );
        let want_nhs = id_value(&resources(&json, "Patient")[0]["identifier"], "nhs-number");
        for (event, want) in events.iter().zip(&want_mrs) {
            let at = format!("{scenario} {which}");
            let got = resources(&event["bundle"], "MedicationRequest")[0];
            let patient = resources(&event["bundle"], "Patient")[0];
            assert_eq!(
                id_value(&patient["identifier"], "nhs-number"),
                want_nhs,
                "{at}: NHS number"
            );
            assert_eq!(
                event["patient_key"],
                format!("nhs:{}", want_nhs.unwrap()),
                "{at}"
            );
            assert_eq!(
                got["groupIdentifier"]["value"], want["groupIdentifier"]["value"],
                "{at}: prescription id"
            );
            assert_eq!(got["identifier"], want["identifier"], "{at}: line item id");
            assert_eq!(got["status"], want["status"], "{at}: status");
            if which == "Cancel" {
                assert_eq!(event["kind"], "prescription.cancelled");
                assert_eq!(
                    got["statusReason"]["coding"][0]["code"],
                    want["statusReason"]["coding"][0]["code"]
                );
                // The v3 cancel names the prescriber by SDS user id only.
                let pr = resources(&event["bundle"], "Practitioner")[0];
                let want_pr = resources(&json, "Practitioner")[0];
                assert_eq!(
                    id_value(&pr["identifier"], "sds-user-id"),
                    id_value(&want_pr["identifier"], "sds-user-id")
                );
                continue;
            }
            assert_eq!(event["kind"], "prescription.issued");
            assert_eq!(
                got["medicationCodeableConcept"], want["medicationCodeableConcept"],
                "{at}: medication"
            );
            assert_eq!(
                got["dosageInstruction"][0]["text"], want["dosageInstruction"][0]["text"],
                "{at}: dosage text"
            );
            let (gq, wq) = (
                &got["dispenseRequest"]["quantity"],
                &want["dispenseRequest"]["quantity"],
            );
            for k in ["value", "unit", "system", "code"] {
                assert_eq!(gq[k], wq[k], "{at}: quantity {k}");
            }
            assert_eq!(
                got["dispenseRequest"]["performer"]["identifier"],
                want["dispenseRequest"]["performer"]["identifier"],
                "{at}: nominated pharmacy"
            );
            assert_eq!(
                got["courseOfTherapyType"]["coding"][0]["code"],
                want["courseOfTherapyType"]["coding"][0]["code"],
                "{at}"
            );
            // Prescriber: the professional code's value always; its register where the v3
            // message lets us tell it (it carries no register, see `professional`).
            let pr = resources(&event["bundle"], "Practitioner")[0];
            let want_pr = resources(&json, "Practitioner")[0];
            let want_code = want_pr["identifier"]
                .as_array()
                .unwrap()
                .iter()
                .find(|i| !i["system"].as_str().unwrap().ends_with("sds-user-id"))
                .unwrap();
            let got_code = pr["identifier"]
                .as_array()
                .unwrap()
                .iter()
                .find(|i| i["value"] == want_code["value"]);
            assert!(got_code.is_some(), "{at}: prescriber code");
            if gmc {
                assert_eq!(
                    got_code.unwrap()["system"],
                    want_code["system"],
                    "{at}: prescriber register"
                );
            }
        }
    }
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
