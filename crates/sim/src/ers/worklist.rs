//! The e-RS simulator's A008 `$ers.fetchworklist`: the provider worklists
//! (`REFERRALS_FOR_REVIEW`, `APPOINTMENT_SLOT_ISSUES`) built from the referrals pending review,
//! entries shaped like the spec's `ReferralsForReview` example.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};

use super::api::{parameters, state_of, unprocessable};
use super::checks::{self, Refusal, Roles, fhir};
use super::{Access, ErsSim, Operation, SimReferral};

const WORKLIST_ITEM_URL: &str =
    "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-eRS-ReferralsforReview-WorkListItem-1";
const PRIORITY_URL: &str =
    "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-eRS-ReferralPriority-1";
/// A008 `POST ReferralRequest/$ers.fetchworklist`.
pub(crate) async fn fetch_worklist(
    State(sim): State<ErsSim>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(r) = sim.injected(Operation::FetchWorklist, &headers) {
        return r;
    }
    match worklist(&sim, &headers, &body) {
        Ok(list) => {
            sim.lock().stats.worklists += 1;
            fhir(StatusCode::OK, &list, &headers)
        }
        Err(r) => sim.refuse(r),
    }
}

fn worklist(sim: &ErsSim, headers: &HeaderMap, body: &Bytes) -> Result<Value, Refusal> {
    checks::admit(
        headers,
        sim.auth_required,
        sim.access,
        Roles::OnlyUserRestricted,
        true,
    )?;
    let params = parameters(body, headers)?;
    let mut list_type = None;
    let mut service = None;
    for p in &params {
        match p["name"].as_str() {
            Some("listType") => list_type = p["valueCodeableConcept"]["coding"][0]["code"].as_str(),
            Some("service") => service = p["valueIdentifier"]["value"].as_str(),
            Some(
                "specialtyAssignedIndicator"
                | "specialty"
                | "location"
                | "clinicianAssignedIndicator"
                | "clinician",
            ) => {}
            _ => {
                return Err(unprocessable(
                    "UNEXPECTED_FIELD",
                    "Unexpected field",
                    "unknown parameter name",
                    headers,
                ));
            }
        }
    }
    let deferred = match list_type {
        Some("REFERRALS_FOR_REVIEW") => false,
        Some("APPOINTMENT_SLOT_ISSUES") => true,
        Some(_) => {
            return Err(unprocessable(
                "INVALID_CODE",
                "Invalid code",
                "listType is not a service provider worklist",
                headers,
            ));
        }
        None => {
            return Err(unprocessable(
                "MISSING_VALUE",
                "Missing value",
                "listType is required",
                headers,
            ));
        }
    };
    if service.is_none() && sim.access == Access::ApplicationRestricted {
        return Err(unprocessable(
            "MISSING_VALUE",
            "Missing value",
            "service is required for application-restricted access",
            headers,
        ));
    }
    let inner = sim.lock();
    let mut contained = Vec::new();
    let mut entries = Vec::new();
    for (ubrn, r) in &inner.referrals {
        let on_list = r.pending_review
            && (state_of(&r.resource) == Some("DEFERRED_TO_PROVIDER")) == deferred
            && service.is_none_or(|s| s == r.service_id);
        if on_list {
            entries.push(worklist_entry(ubrn, r, &mut contained));
        }
    }
    Ok(json!({
        "meta": {"profile": ["https://fhir.nhs.uk/STU3/StructureDefinition/eRS-FetchWorklist-List-1"]},
        "resourceType": "List",
        "contained": contained,
        "status": "current",
        "mode": "snapshot",
        "entry": entries,
    }))
}

/// One worklist entry shaped like the spec's `ReferralsForReview` example.
fn worklist_entry(ubrn: &str, r: &SimReferral, contained: &mut Vec<Value>) -> Value {
    let mut fields = Vec::new();
    if let Some(p) = r.resource["extension"]
        .as_array()
        .and_then(|e| e.iter().find(|e| e["url"] == PRIORITY_URL))
    {
        fields.push(json!({"url": "priority", "valueCodeableConcept": p["valueCodeableConcept"]}));
    }
    if let Some(nhs) = r.resource["subject"]["identifier"]["value"].as_str() {
        let id = format!("Patient-{nhs}");
        if !contained.iter().any(|c| c["id"] == id) {
            contained.push(json!({"id": id, "resourceType": "Patient",
                "meta": {"profile": ["https://fhir.nhs.uk/STU3/StructureDefinition/eRS-Patient-1"]},
                "identifier": [r.resource["subject"]["identifier"]]}));
        }
        fields.push(json!({"url": "patient", "valueReference": {"reference": format!("#{id}")}}));
    }
    fields.push(json!({"url": "service", "valueReference": {"identifier":
        {"system": "http://fhir.nhs.net/Id/ers-service", "value": r.service_id}}}));
    fields.push(json!({"url": "referralRequestVersion", "valueInteger": r.version}));
    json!({
        "extension": [{"extension": fields, "url": WORKLIST_ITEM_URL}],
        "item": {"reference": format!("ReferralRequest/{ubrn}")}
    })
}
