//! Golden tests for the `pacs` adapter: every `tests/golden/pacs/*.hl7` decoded and compared
//! with the reviewed JSON beside it (`UPDATE_GOLDEN=1` rewrites; review before committing),
//! plus the 5 MB encapsulated-PDF report, generated at test time and checked by key fields.

#[path = "golden/pacs/big_pdf.rs"]
mod big_pdf;

use junction_adapters::golden::{self, GoldenOptions};
use junction_adapters::{Adapter, AdapterOptions, DecodeErrorCode, Inbound, PacsAdapter};
use junction_model::fhir::{DiagnosticReport, ImagingStudy, ServiceRequest};
use junction_model::{CodeTable, CodeTables, Mapping};

/// A `procedure` table mapping one local code to NICIP (others stay unmapped, with a warning).
fn options() -> AdapterOptions {
    let procedure = CodeTable::new(
        "procedure",
        [(
            "USABD",
            Mapping {
                code: "UABDO".into(),
                display: Some("US Abdomen".into()),
                system: Some("https://fhir.nhs.uk/CodeSystem/NICIP".into()),
            },
        )],
        None,
    );
    let tables: CodeTables = [procedure].into_iter().collect();
    AdapterOptions {
        code_tables: tables,
        local_mrn_authority: Some("RXX".into()),
        ..Default::default()
    }
}

fn dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/pacs")
}

fn inbound(bytes: &[u8]) -> Inbound<'_> {
    Inbound {
        bytes,
        source: "golden",
        received_at: "2026-01-01T00:00:00Z",
        correlation_id: "test",
        content_type: None,
    }
}

#[test]
fn golden_files() {
    golden::check_dir(
        &PacsAdapter::new(options()),
        dir(),
        &GoldenOptions::default(),
    );
}

#[test]
fn exam_complete_adds_a_study_event() {
    let bytes = std::fs::read(dir().join("orm_o01_exam_complete.hl7")).unwrap();
    let events = PacsAdapter::new(options())
        .decode(&inbound(&bytes))
        .unwrap();
    let kinds: Vec<_> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["order.updated", "imaging.study-available"]);
    let sr = events[0].bundle.first::<ServiceRequest>().unwrap();
    assert_eq!(sr.status.as_deref(), Some("completed"));
    let study = events[1].bundle.first::<ImagingStudy>().unwrap();
    assert_eq!(study.identifier[0].system.as_deref(), Some("urn:dicom:uid"));
    assert_eq!(study.modality[0].code.as_deref(), Some("CT"));
    assert_ne!(events[0].id, events[1].id);
    assert_eq!(events[0].patient_key, events[1].patient_key);
}

#[test]
fn report_statuses_are_distinguished() {
    let pacs = PacsAdapter::new(options());
    for (file, want) in [
        ("oru_r01_radiology_text.hl7", "final"),
        ("oru_r01_corrected_with_study.hl7", "amended"),
        ("oru_r01_preliminary.hl7", "preliminary"),
    ] {
        let bytes = std::fs::read(dir().join(file)).unwrap();
        let events = pacs.decode(&inbound(&bytes)).unwrap();
        let dr = events[0].bundle.first::<DiagnosticReport>().unwrap();
        assert_eq!(dr.status.as_deref(), Some(want), "{file}");
    }
}

#[test]
fn replay_gives_identical_events() {
    let pacs = PacsAdapter::new(options());
    let bytes = std::fs::read(dir().join("oru_r01_corrected_with_study.hl7")).unwrap();
    assert_eq!(
        pacs.decode(&inbound(&bytes)).unwrap(),
        pacs.decode(&inbound(&bytes)).unwrap()
    );
}

#[test]
fn errors_carry_no_patient_data() {
    let bytes = std::fs::read(dir().join("bad_oru_bad_obr7.hl7")).unwrap();
    let err = PacsAdapter::new(options())
        .decode(&inbound(&bytes))
        .unwrap_err();
    assert_eq!(err.code, DecodeErrorCode::BadValue);
    assert_eq!(err.path.as_deref(), Some("OBR-7"));
    assert!(!err.to_string().contains("05/03/2025"));
}

#[test]
fn five_megabyte_pdf_is_copied_once_as_sent() {
    let (msg, range) = big_pdf::message();
    assert!(msg.len() > 5_000_000);
    let before = big_pdf::peak_rss_kib();
    let events = PacsAdapter::new(options()).decode(&inbound(&msg)).unwrap();
    eprintln!(
        "VmHWM before/after decode (KiB): {before:?} / {:?}",
        big_pdf::peak_rss_kib()
    );
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind.as_str(), "result.reported");
    assert!(events[0].warnings.is_empty(), "{:?}", events[0].warnings);
    let dr = events[0].bundle.first::<DiagnosticReport>().unwrap();
    assert_eq!(dr.status.as_deref(), Some("final"));
    assert!(dr.result.is_empty(), "an ED row is not an Observation");
    let form = &dr.presented_form[0];
    assert_eq!(form.content_type.as_deref(), Some("application/pdf"));
    assert_eq!(form.size, Some(big_pdf::PDF_BYTES as u64));
    let data = form.data.as_deref().unwrap();
    assert_eq!(data.len(), range.len());
    assert_eq!(
        data.as_bytes(),
        &msg[range],
        "base64 text passed on as sent"
    );
    assert!(data.starts_with("JVBERi0xLjQK"), "%PDF-1.4\\n");
}

#[test]
fn non_base64_document_is_flagged_not_dropped() {
    let msg = b"MSH|^~\\&|CRIS|RXX|ICE|RXX|20250305153002||ORU^R01|C1|P|2.4\r\
PID|1||9996758095^^^NHS^NH||X^Y\rOBR|1||R1|XCHES^XR Chest^NICIP|||20250305113000||||||||||||||||RAD|F\r\
OBX|1|ED|PDF^Report^L||^application^pdf^Base64^JVBER\\E\\i0x||||||F\r";
    let events = PacsAdapter::new(options()).decode(&inbound(msg)).unwrap();
    let w = &events[0].warnings;
    assert!(
        w.iter()
            .any(|w| w.path == "OBX-5.5" && w.code == "field-invalid"),
        "{w:?}"
    );
    let dr = events[0].bundle.first::<DiagnosticReport>().unwrap();
    assert_eq!(dr.presented_form.len(), 1);
}
