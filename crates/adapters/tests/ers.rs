//! Golden and property tests for the `ers` adapter and the REF^I12 encoder: every
//! `tests/golden/ers/*.stu3` decoded and compared with the reviewed JSON beside it; every
//! decoded event encoded as REF^I12 and compared with `tests/golden/ref_i12/<stem>.hl7`
//! (stored with `\n` line ends; `UPDATE_GOLDEN=1` rewrites both — review before committing);
//! and the encoder's output parsed back with `junction_hl7v2`.

use std::path::{Path, PathBuf};

use junction_adapters::golden::{self, GoldenOptions};
use junction_adapters::{
    Adapter, AdapterOptions, DecodeErrorCode, EncodeError, EncodeOptions, ErsAdapter, Inbound,
    built_in, encode, encoder_for,
};
use junction_hl7v2::Message;
use junction_model::fhir::ServiceRequest;
use junction_model::{Event, EventKind};
use proptest::prelude::*;

fn dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name)
}

fn golden_opts() -> GoldenOptions {
    GoldenOptions {
        extension: "stu3".into(),
        ..Default::default()
    }
}

fn encode_opts() -> EncodeOptions {
    EncodeOptions {
        sending_application: "JUNCTION".into(),
        sending_facility: "RXX".into(),
        receiving_application: "PAS".into(),
        receiving_facility: "RXX01".into(),
        control_id: "D42".into(),
        timestamp: "20260101120000+0000".into(),
        processing_id: "P".into(),
    }
}

fn decode(bytes: &[u8]) -> Result<Vec<Event>, junction_adapters::DecodeError> {
    ErsAdapter::default().decode(&Inbound {
        bytes,
        source: "golden",
        received_at: "2026-01-01T00:00:00Z",
        correlation_id: "journal-1",
        content_type: Some("application/fhir+json; fhirVersion=3.0"),
    })
}

/// The good golden inputs: (stem, events).
fn golden_events() -> Vec<(String, Vec<Event>)> {
    let mut out = Vec::new();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir("ers"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "stu3"))
        .collect();
    paths.sort();
    for path in paths {
        let stem = path.file_stem().unwrap().to_str().unwrap().to_owned();
        if stem.starts_with("bad_") {
            continue;
        }
        let events =
            decode(&std::fs::read(&path).unwrap()).unwrap_or_else(|e| panic!("{stem}: {e}"));
        out.push((stem, events));
    }
    out
}

#[test]
fn ers_golden_files() {
    golden::check_dir(&ErsAdapter::default(), dir("ers"), &golden_opts());
}

#[test]
fn ref_i12_golden_files() {
    let update = golden_opts().update;
    let mut failures = Vec::new();
    let mut expected = Vec::new();
    for (stem, events) in golden_events() {
        assert_eq!(events.len(), 1, "{stem}: one event per referral");
        let text = encode::ref_i12(&events[0], &encode_opts())
            .unwrap_or_else(|e| panic!("{stem}: {e}"))
            .replace('\r', "\n");
        let path = dir("ref_i12").join(format!("{stem}.hl7"));
        expected.push(path.clone());
        if update {
            std::fs::write(&path, &text).unwrap();
            continue;
        }
        match std::fs::read_to_string(&path) {
            Ok(want) if want == text => {}
            Ok(want) => failures.push(format!("{stem}:\n--- expected\n{want}--- got\n{text}")),
            Err(_) => failures.push(format!(
                "{stem}: no {} (run with UPDATE_GOLDEN=1)",
                path.display()
            )),
        }
    }
    for entry in std::fs::read_dir(dir("ref_i12")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "hl7") && !expected.contains(&path) {
            failures.push(format!(
                "{}: expected file without an input",
                path.display()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The UBRN and the HL7 table 0280 priority an event should produce.
fn expected_fields(event: &Event) -> (String, Option<&'static str>) {
    let sr = event.bundle.first::<ServiceRequest>().unwrap();
    let ubrn = sr
        .identifier
        .iter()
        .find(|i| i.system.as_deref() == Some("https://fhir.nhs.uk/Id/UBRN"))
        .and_then(|i| i.value.clone())
        .unwrap();
    let priority = match sr.priority.as_deref() {
        Some("routine") => Some("R"),
        Some("urgent" | "asap") => Some("A"),
        Some("stat") => Some("S"),
        _ => None,
    };
    (ubrn, priority)
}

/// Parses `text` and checks the UBRN, NHS number and priority against the event.
fn assert_round_trip(event: &Event, text: &str) {
    let msg = Message::parse(text.as_bytes()).expect("REF^I12 parses");
    assert_eq!(msg.header().message_type().as_deref(), Some("REF^I12"));
    assert_eq!(msg.header().structure().as_deref(), Some("REF_I12"));
    assert_eq!(msg.header().control_id().as_deref(), Some("D42"));
    let (ubrn, priority) = expected_fields(event);
    assert_eq!(msg.text("RF1-6.1").as_deref(), Some(ubrn.as_str()));
    let nhs = event
        .patient_key
        .as_deref()
        .unwrap()
        .strip_prefix("nhs:")
        .unwrap();
    assert_eq!(msg.text("PID-3.1").as_deref(), Some(nhs));
    assert_eq!(msg.text("PID-3.4").as_deref(), Some("NHS"));
    assert_eq!(msg.text("RF1-2.1").as_deref(), priority);
    assert!(msg.segment("PRD", 1).is_some(), "PRD is required");
}

#[test]
fn every_golden_event_encodes_to_a_parsable_ref_i12() {
    let events = golden_events();
    assert!(events.len() >= 14, "all golden inputs decoded");
    for (stem, events) in events {
        let text = encode::ref_i12(&events[0], &encode_opts()).unwrap();
        assert!(!text.contains('\n'), "{stem}: segments end with CR only");
        assert_round_trip(&events[0], &text);
    }
}

#[test]
fn the_e_rs_priority_and_state_survive_as_alternate_codes() {
    let events = golden_events();
    let find = |stem: &str| &events.iter().find(|(s, _)| s == stem).unwrap().1[0];
    let two_week = encode::ref_i12(find("a005_with_related_referral"), &encode_opts()).unwrap();
    let msg = Message::parse(two_week.as_bytes()).unwrap();
    assert_eq!(msg.text("RF1-2.1").as_deref(), Some("A"));
    assert_eq!(msg.text("RF1-2.4").as_deref(), Some("TWO_WEEK_WAIT"));
    assert_eq!(msg.text("RF1-1.4").as_deref(), Some("BOOKED"));
    let rejected = encode::ref_i12(find("stu3_rejected_dbs"), &encode_opts()).unwrap();
    let msg = Message::parse(rejected.as_bytes()).unwrap();
    assert_eq!(msg.text("RF1-1.1").as_deref(), Some("R"));
    let full = encode::ref_i12(find("full_synthetic"), &encode_opts()).unwrap();
    let msg = Message::parse(full.as_bytes()).unwrap();
    assert_eq!(msg.text("PRD[1]-1.1").as_deref(), Some("RP"));
    assert_eq!(msg.text("PRD[1]-4.4").as_deref(), Some("Y12345"));
    assert_eq!(msg.text("PRD[2]-1.1").as_deref(), Some("RT"));
    assert_eq!(msg.text("PRD[2]-4.4").as_deref(), Some("RXX"));
    assert_eq!(
        msg.text("OBX[1]-5.1").as_deref(),
        Some("Binary/00000000-0000-4000-8000-000000000001")
    );
    // The title holds `|` and `^`: escaped on the way out, intact on the way back.
    assert!(
        msg.text("NTE[1]-3")
            .unwrap()
            .starts_with("letter|v2^final.pdf")
    );
}

#[test]
fn replay_gives_identical_events_and_versions_share_one_service_request() {
    let bytes = std::fs::read(dir("ers").join("full_synthetic.stu3")).unwrap();
    let a = decode(&bytes).unwrap();
    assert_eq!(a, decode(&bytes).unwrap());
    assert_eq!(a[0].correlation_id, "000000090001@3");
    assert_eq!(a[0].kind, EventKind::ReferralReceived);
    let next = String::from_utf8(bytes)
        .unwrap()
        .replace("\"versionId\": \"3\"", "\"versionId\": \"4\"");
    let b = decode(next.as_bytes()).unwrap();
    assert_eq!(b[0].correlation_id, "000000090001@4");
    assert_ne!(a[0].id, b[0].id, "each version is its own event");
    let sr = |e: &Event| e.bundle.first::<ServiceRequest>().unwrap().id.clone();
    assert_eq!(sr(&a[0]), sr(&b[0]), "one ServiceRequest per UBRN");
}

#[test]
fn decode_errors_name_the_field_never_the_value() {
    let bytes = std::fs::read(dir("ers").join("bad_invalid_nhs_number.stu3")).unwrap();
    let err = decode(&bytes).unwrap_err();
    assert_eq!(err.code, DecodeErrorCode::BadValue);
    assert_eq!(
        err.path.as_deref(),
        Some("ReferralRequest.subject.identifier.value")
    );
    assert!(!err.to_string().contains("9990000017"), "{err}");
    let err = decode(b"{\"resourceType\": \"ReferralRequest\", \"id\": 9990000018").unwrap_err();
    assert!(!err.to_string().contains("9990000018"), "{err}");
}

#[test]
fn registry_and_encoder_lookup() {
    let ers = built_in("ers", AdapterOptions::default()).unwrap();
    assert_eq!(ers.name(), "ers");
    let enc = encoder_for(&EventKind::ReferralReceived).expect("REF^I12 for referrals");
    let event = &golden_events()[0].1[0];
    assert_eq!(
        enc(event, &encode_opts()),
        encode::ref_i12(event, &encode_opts())
    );
    assert!(encoder_for(&EventKind::OrderPlaced).is_none());
    let mut other = event.clone();
    other.kind = EventKind::PatientAdmitted;
    assert_eq!(
        encode::ref_i12(&other, &encode_opts()),
        Err(EncodeError::WrongKind("patient.admitted".into()))
    );
    let no_clock = EncodeOptions {
        timestamp: "yesterday".into(),
        ..encode_opts()
    };
    assert_eq!(
        encode::ref_i12(event, &no_clock),
        Err(EncodeError::BadOption("timestamp"))
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, failure_persistence: None, ..ProptestConfig::default() })]

    /// Whatever text the referral carries (delimiters, escapes, line breaks, non-ASCII), the
    /// REF^I12 parses, keeps UBRN, NHS number and priority, and gives the text back.
    #[test]
    fn free_text_round_trips(note in "[ -~\u{e9}\u{2014}\n]{1,40}", family in "[A-Za-z|^~\\\\&' -]{1,20}") {
        let bytes = std::fs::read(dir("ers").join("full_synthetic.stu3")).unwrap();
        let mut json: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        json["entry"][0]["resource"]["note"][0]["text"] = note.clone().into();
        json["entry"][1]["resource"]["name"][0]["family"] = family.clone().into();
        let events = decode(json.to_string().as_bytes()).unwrap();
        let text = encode::ref_i12(&events[0], &encode_opts()).unwrap();
        assert_round_trip(&events[0], &text);
        let msg = Message::parse(text.as_bytes()).unwrap();
        let nte = msg.segments_named("NTE").last().unwrap();
        let got = nte.field(3).map(|v| v.text().into_owned()).unwrap_or_default();
        prop_assert_eq!(got, note);
        let got_family = msg.text("PID-5.1").map(|t| t.into_owned()).unwrap_or_default();
        prop_assert_eq!(got_family, family);
    }
}
