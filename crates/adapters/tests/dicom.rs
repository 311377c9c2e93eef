//! Golden tests for the `dicom` adapter: every `tests/golden/dicom/*.dcmjson` (study and
//! instance JSON as the DICOM source journals it) decoded and compared with the reviewed JSON
//! beside it (`UPDATE_GOLDEN=1` rewrites; review before committing).

use junction_adapters::golden::{self, GoldenOptions};
use junction_adapters::{Adapter, AdapterOptions, DicomAdapter, Inbound};

fn adapter() -> DicomAdapter {
    DicomAdapter::new(AdapterOptions {
        local_mrn_authority: Some("RXX".into()),
        ..Default::default()
    })
}

fn dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/dicom")
}

#[test]
fn dicom_golden_files() {
    let options = GoldenOptions {
        extension: "dcmjson".into(),
        ..GoldenOptions::default()
    };
    golden::check_dir(&adapter(), dir(), &options);
}

#[test]
fn study_event_shape_and_replay() {
    let bytes = std::fs::read(dir().join("ct_two_series.dcmjson")).unwrap();
    let inbound = Inbound {
        bytes: &bytes,
        source: "pacs-in",
        received_at: "2026-01-02T10:00:00Z",
        correlation_id: "41",
        content_type: Some(junction_adapters::dicom::STUDY_CONTENT_TYPE),
    };
    let events = adapter().decode(&inbound).unwrap();
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!(e.kind.as_str(), "imaging.study-available");
    assert_eq!(e.patient_key.as_deref(), Some("mrn:RXX:K999001"));
    let json = serde_json::to_value(e).unwrap();
    let study = &json["bundle"]["entry"][1]["resource"];
    assert_eq!(study["resourceType"], "ImagingStudy");
    assert_eq!(study["numberOfSeries"], 2);
    assert_eq!(study["numberOfInstances"], 3);
    assert_eq!(study["series"][0]["numberOfInstances"], 2);
    assert_eq!(
        study["modality"][0]["system"],
        "http://dicom.nema.org/resources/ontology/DCM"
    );
    assert_eq!(study["identifier"][1]["value"], "ACC0100");
    assert_eq!(
        adapter().decode(&inbound).unwrap(),
        events,
        "replay gives the same event"
    );
    let instance = std::fs::read(dir().join("instance_only.dcmjson")).unwrap();
    let inbound = Inbound {
        bytes: &instance,
        content_type: Some(junction_adapters::dicom::INSTANCE_CONTENT_TYPE),
        ..inbound
    };
    assert!(adapter().decode(&inbound).unwrap().is_empty());
}
