//! The `fhir` adapter: FHIR R4 JSON posted by a local system (a resource, or a Bundle of type
//! message, transaction, batch or collection) becomes one event, so FHIR can be routed like any
//! other message. The bundle is kept as sent (a single resource is wrapped in a collection
//! Bundle); the event kind comes from the first clinical resource, and the patient key from the
//! first NHS number found on a Patient or on a resource's subject.

use junction_model::fhir::{Identifier, Reference, Resource};
use junction_model::uk_core::nhs_number_from_identifiers;
use junction_model::{Bundle, Event, EventKind, deterministic_id};

use crate::adapter::{Adapter, Inbound};
use crate::error::{DecodeError, DecodeErrorCode};

/// Namespace for the ids this adapter derives.
const ID_NAMESPACE: &str = "fhir";

/// The FHIR JSON adapter. Needs no options.
#[derive(Debug, Clone, Copy, Default)]
pub struct FhirAdapter;

impl Adapter for FhirAdapter {
    fn name(&self) -> &'static str {
        "fhir"
    }

    fn kinds(&self) -> &'static [&'static str] {
        &[
            "patient.updated",
            "encounter.updated",
            "order.placed",
            "result.reported",
            "imaging.study-available",
            "prescription.issued",
            "appointment.booked",
            "referral.reviewed",
            "fhir.*",
        ]
    }

    fn decode(&self, msg: &Inbound<'_>) -> Result<Vec<Event>, DecodeError> {
        let body = msg
            .bytes
            .strip_prefix(b"\xEF\xBB\xBF".as_slice())
            .unwrap_or(msg.bytes);
        if body
            .iter()
            .find(|b| !b.is_ascii_whitespace())
            .is_none_or(|&b| b != b'{')
        {
            return Err(DecodeError::new(
                DecodeErrorCode::Unparseable,
                None,
                "not FHIR JSON: the body is not a JSON object",
            ));
        }
        // serde_json's message can quote a value from the body: report the position only.
        let resource: Resource = serde_json::from_slice(body).map_err(|e| {
            DecodeError::new(
                DecodeErrorCode::Unparseable,
                None,
                format!(
                    "not valid FHIR JSON at line {} column {}",
                    e.line(),
                    e.column()
                ),
            )
        })?;
        let bundle = match resource {
            Resource::Bundle(b) => *b,
            other => Bundle::collection(
                vec![other],
                deterministic_id(ID_NAMESPACE, &[msg.source, msg.correlation_id, "bundle"]),
                msg.received_at,
            ),
        };
        let clinical = bundle
            .resources()
            .find(|r| !matches!(r, Resource::MessageHeader(_)));
        let kind = if bundle.resources().any(is_referral_review) {
            EventKind::from_name("referral.reviewed")
        } else {
            clinical.map_or(EventKind::Other("fhir.bundle".into()), kind_of)
        };
        let patient_key = bundle.resources().find_map(nhs_key);
        let mut event = Event::new(
            deterministic_id(ID_NAMESPACE, &[msg.source, msg.correlation_id, "0"]),
            kind,
            msg.source,
            msg.received_at,
            msg.correlation_id,
            bundle,
        );
        event.patient_key = patient_key;
        Ok(vec![event])
    }
}

/// The e-RS review outcome code system (A028's `reviewOutcome`).
const ERS_REVIEW_OUTCOME: &str = "https://fhir.nhs.uk/STU3/CodeSystem/eRS-ReviewOutcome-1";

/// A Task whose business status is an e-RS review outcome: the bundle reports a clinician's
/// review of a referral (`referral.reviewed`, for the `ers` destination).
fn is_referral_review(r: &Resource) -> bool {
    let Resource::Unknown(task) = r else {
        return false;
    };
    task.get("resourceType").and_then(serde_json::Value::as_str) == Some("Task")
        && task
            .get("businessStatus")
            .and_then(|s| s.get("coding"))
            .and_then(serde_json::Value::as_array)
            .is_some_and(|codings| {
                codings.iter().any(|c| {
                    c.get("system").and_then(serde_json::Value::as_str) == Some(ERS_REVIEW_OUTCOME)
                })
            })
}

/// The event kind a resource announces.
fn kind_of(r: &Resource) -> EventKind {
    match r {
        Resource::Patient(_) => EventKind::from_name("patient.updated"),
        Resource::Encounter(_) => EventKind::from_name("encounter.updated"),
        Resource::ServiceRequest(_) => EventKind::from_name("order.placed"),
        Resource::DiagnosticReport(_) | Resource::Observation(_) => {
            EventKind::from_name("result.reported")
        }
        Resource::ImagingStudy(_) => EventKind::from_name("imaging.study-available"),
        Resource::MedicationRequest(_) => EventKind::from_name("prescription.issued"),
        Resource::Appointment(_) => EventKind::from_name("appointment.booked"),
        other => EventKind::Other(format!(
            "fhir.{}",
            other.resource_type().to_ascii_lowercase()
        )),
    }
}

/// `nhs:<n>` from a Patient's identifiers or a resource's subject reference by identifier.
fn nhs_key(r: &Resource) -> Option<String> {
    let from_ref = |s: &Option<Reference>| {
        s.as_ref()
            .and_then(|s| s.identifier.as_ref())
            .and_then(|i| nhs(std::slice::from_ref(i)))
    };
    match r {
        Resource::Patient(p) => nhs(&p.identifier),
        Resource::Encounter(e) => from_ref(&e.subject),
        Resource::ServiceRequest(s) => from_ref(&s.subject),
        Resource::DiagnosticReport(d) => from_ref(&d.subject),
        Resource::MedicationRequest(m) => from_ref(&m.subject),
        Resource::ImagingStudy(i) => from_ref(&i.subject),
        _ => None,
    }
}

fn nhs(ids: &[Identifier]) -> Option<String> {
    nhs_number_from_identifiers(ids).map(|n| format!("nhs:{n}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(body: &str) -> Result<Vec<Event>, DecodeError> {
        FhirAdapter.decode(&Inbound {
            bytes: body.as_bytes(),
            source: "ingest",
            received_at: "2026-01-01T00:00:00Z",
            correlation_id: "7",
            content_type: Some("application/fhir+json"),
        })
    }

    #[test]
    fn a_patient_becomes_an_event_keyed_by_nhs_number() {
        let body = r#"{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000018"}]}"#;
        let events = decode(body).unwrap();
        assert_eq!(events[0].kind.as_str(), "patient.updated");
        assert!(crate::declares_kind(&FhirAdapter, "patient.updated"));
        assert!(crate::declares_kind(&FhirAdapter, "fhir.task"));
        assert!(!crate::declares_kind(&FhirAdapter, "referral.received"));
        assert_eq!(events[0].patient_key.as_deref(), Some("nhs:9990000018"));
        assert_eq!(events[0].bundle.type_, "collection");
        // Replays give the same ids.
        assert_eq!(decode(body).unwrap()[0].id, events[0].id);
    }

    #[test]
    fn a_message_bundle_is_kept_and_named_by_its_first_clinical_resource() {
        let body = r#"{"resourceType":"Bundle","type":"message","entry":[
            {"resource":{"resourceType":"MessageHeader","eventCoding":{"code":"x"}}},
            {"resource":{"resourceType":"ServiceRequest","status":"active","intent":"order",
              "subject":{"identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000018"}}}}]}"#;
        let events = decode(body).unwrap();
        assert_eq!(events[0].kind.as_str(), "order.placed");
        assert_eq!(events[0].bundle.type_, "message");
        assert_eq!(events[0].patient_key.as_deref(), Some("nhs:9990000018"));
    }

    #[test]
    fn a_task_with_an_ers_review_outcome_is_a_referral_review() {
        let body = r#"{"resourceType":"Bundle","type":"collection","entry":[
            {"resource":{"resourceType":"ServiceRequest","id":"sr-1","meta":{"versionId":"5"},
              "identifier":[{"system":"https://fhir.nhs.uk/Id/UBRN","value":"000000070001"}]}},
            {"resource":{"resourceType":"Task","status":"completed","intent":"order",
              "focus":{"reference":"ServiceRequest/sr-1"},
              "businessStatus":{"coding":[{"system":"https://fhir.nhs.uk/STU3/CodeSystem/eRS-ReviewOutcome-1",
                "code":"ACCEPT_REFER_BOOK_LATER"}]}}}]}"#;
        assert_eq!(decode(body).unwrap()[0].kind.as_str(), "referral.reviewed");
        let other_task = body.replace("eRS-ReviewOutcome-1", "something-else");
        assert_eq!(
            decode(&other_task).unwrap()[0].kind.as_str(),
            "order.placed"
        );
    }

    #[test]
    fn bad_json_names_the_position_not_the_content() {
        let err = decode("{\"resourceType\": \"Patient\", \"name\": SMITH}").unwrap_err();
        assert_eq!(err.code, DecodeErrorCode::Unparseable);
        assert!(err.message.contains("line 1"), "{}", err.message);
        assert!(!err.message.contains("SMITH"));
        assert!(decode("MSH|^~\\&|").is_err());
    }
}
