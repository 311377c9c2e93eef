//! Round-trip tests over published NHS example payloads (see `data/README.md`):
//! JSON in → `Resource` / typed struct → JSON out must be the same JSON.

use junction_model::fhir::{Bundle, MedicationRequest, Patient, Resource};
use junction_model::uk_core::VerificationStatus;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

const PDS_PATIENT: &str = include_str!("data/pds-patient.json");
const PDS_MINIMAL_PATIENT: &str = include_str!("data/pds-minimal-patient.json");
const EPS_PREPARE: &str = include_str!("data/eps-acute-no-nominated-prepare-request.json");

/// Parses `json` as `T`, serialises it back and asserts nothing changed.
fn assert_round_trip<T: Serialize + DeserializeOwned>(json: &str) -> T {
    let input: Value = serde_json::from_str(json).expect("example is JSON");
    let typed: T = serde_json::from_str(json).expect("example parses");
    let text = serde_json::to_string(&typed).expect("serialises");
    assert!(
        text.starts_with(r#"{"resourceType":"#),
        "resourceType not first"
    );
    let output: Value = serde_json::from_str(&text).expect("output is JSON");
    assert_eq!(output, input, "round trip changed the JSON");
    typed
}

#[test]
fn pds_patient_round_trips() {
    let patient: Patient = assert_round_trip(PDS_PATIENT);
    assert_round_trip::<Resource>(PDS_PATIENT);
    assert_eq!(
        patient.nhs_number().map(|n| n.to_string()).as_deref(),
        Some("9000000009")
    );
    // PDS uses the older code system name; both are recognised.
    assert_eq!(
        patient.nhs_number_verification(),
        Some(VerificationStatus::Verified)
    );
    assert_eq!(patient.extension.len(), 8);
}

#[test]
fn pds_minimal_patient_round_trips() {
    let patient: Patient = assert_round_trip(PDS_MINIMAL_PATIENT);
    assert_round_trip::<Resource>(PDS_MINIMAL_PATIENT);
    assert_eq!(patient.meta.unwrap().security[0].code.as_deref(), Some("U"));
}

#[test]
fn eps_prepare_bundle_round_trips() {
    let bundle: Bundle = assert_round_trip(EPS_PREPARE);
    assert_round_trip::<Resource>(EPS_PREPARE);
    assert_eq!(bundle.type_, "message");
    assert!(bundle.message_header().is_some());
    let order = bundle.first::<MedicationRequest>().unwrap();
    assert_eq!(order.dosage_instruction.len(), 1);
    // Every entry is a modelled type (no Unknown fallback needed).
    assert!(
        bundle
            .resources()
            .all(|r| !matches!(r, Resource::Unknown(_)))
    );
}

#[test]
fn key_order_is_preserved_for_modelled_fields() {
    // Compact output of the minimal patient keeps FHIR's field order for
    // the fields we model (resourceType, id, meta, identifier …).
    let patient: Patient = serde_json::from_str(PDS_MINIMAL_PATIENT).unwrap();
    let text = serde_json::to_string(&patient).unwrap();
    let rt = text.find("\"resourceType\"").unwrap();
    let id = text.find("\"id\"").unwrap();
    let meta = text.find("\"meta\"").unwrap();
    assert!(rt < id && id < meta);
}
