//! The e-RS simulator's A005 retrieve referral and A028 record review outcome (A008 is in
//! `worklist`), and the helpers they share. Each runs [`checks::admit`] first, then the
//! operation's own rules.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};

use super::checks::{self, Refusal, Roles, error, fhir, text};
use super::{ErsSim, Operation, RecordedOutcome};

const STATE_URL: &str =
    "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-eRS-ReferralState-1";
const OUTCOME_SYSTEM: &str = "https://fhir.nhs.uk/STU3/CodeSystem/eRS-ReviewOutcome-1";
const PRIORITY_URL: &str =
    "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-eRS-ReferralPriority-1";

impl ErsSim {
    /// An injected failure, if one is queued.
    pub(crate) fn injected(&self, operation: Operation, headers: &HeaderMap) -> Option<Response> {
        let mut inner = self.lock();
        let status = inner.failures.get_mut(&operation)?.pop_front()?;
        inner.stats.refused += 1;
        let body = if status == StatusCode::SERVICE_UNAVAILABLE {
            checks::outcome(
                "transient",
                "SYSTEM_UNAVAILABLE",
                "System Unavailable",
                "Injected by the simulator",
            )
        } else {
            checks::outcome(
                "exception",
                "SERVICE_ERROR",
                "Service error",
                "Injected by the simulator",
            )
        };
        Some(fhir(status, &body, headers))
    }

    pub(crate) fn refuse(&self, r: Refusal) -> Response {
        self.lock().stats.refused += 1;
        *r.0
    }
}

pub(crate) fn unprocessable(
    code: &str,
    display: &str,
    diagnostics: &str,
    req: &HeaderMap,
) -> Refusal {
    error(
        StatusCode::UNPROCESSABLE_ENTITY,
        "business-rule",
        code,
        display,
        diagnostics,
        req,
    )
}

pub(crate) fn parameters(body: &Bytes, req: &HeaderMap) -> Result<Vec<Value>, Refusal> {
    let value: Value = serde_json::from_slice(body).map_err(|_| {
        unprocessable(
            "INVALID_FHIR_STRUCTURE",
            "Invalid FHIR structure",
            "The body is not JSON",
            req,
        )
    })?;
    if value["resourceType"] != "Parameters" {
        return Err(unprocessable(
            "INVALID_FHIR_STRUCTURE",
            "Invalid FHIR structure",
            "Expected a Parameters resource",
            req,
        ));
    }
    Ok(value["parameter"].as_array().cloned().unwrap_or_default())
}

pub(crate) fn state_of(r: &Value) -> Option<&str> {
    r["extension"]
        .as_array()?
        .iter()
        .find(|e| e["url"] == STATE_URL)?["extension"]
        .as_array()?
        .iter()
        .find(|e| e["url"] == "state")?["valueCoding"]["code"]
        .as_str()
}

/// A005 `GET ReferralRequest/{ubrn}`.
pub(crate) async fn retrieve(
    State(sim): State<ErsSim>,
    Path(ubrn): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Some(r) = sim.injected(Operation::RetrieveReferral, &headers) {
        return r;
    }
    if let Err(r) = checks::admit(
        &headers,
        sim.auth_required,
        sim.access,
        Roles::OnlyUserRestricted,
        false,
    ) {
        return sim.refuse(r);
    }
    let found = {
        let mut inner = sim.lock();
        let found = inner
            .referrals
            .get(&ubrn)
            .map(|r| (r.resource.clone(), r.version));
        if found.is_some() {
            inner.stats.retrievals += 1;
        }
        found
    };
    match found {
        Some((resource, version)) => with_etag(fhir(StatusCode::OK, &resource, &headers), version),
        None => sim.refuse(not_found(&headers)),
    }
}

fn not_found(headers: &HeaderMap) -> Refusal {
    error(
        StatusCode::NOT_FOUND,
        "not-found",
        "REFERENCE_NOT_FOUND",
        "Reference not found",
        "No referral request with this UBRN",
        headers,
    )
}

fn with_etag(mut res: Response, version: u64) -> Response {
    if let Ok(v) = HeaderValue::from_str(&format!("W/\"{version}\"")) {
        res.headers_mut().insert(header::ETAG, v);
    }
    res
}

/// A028 `POST ReferralRequest/{ubrn}/$ers.recordReviewOutcome`.
pub(crate) async fn record_review_outcome(
    State(sim): State<ErsSim>,
    Path(ubrn): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(r) = sim.injected(Operation::RecordReviewOutcome, &headers) {
        return r;
    }
    match review(&sim, &ubrn, &headers, &body) {
        Ok((resource, version)) => with_etag(fhir(StatusCode::OK, &resource, &headers), version),
        Err(r) => sim.refuse(r),
    }
}

fn review(
    sim: &ErsSim,
    ubrn: &str,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<(Value, u64), Refusal> {
    let caller = checks::admit(
        headers,
        sim.auth_required,
        sim.access,
        Roles::ProviderClinician,
        true,
    )?;
    let Some(if_match) = text(headers, "if-match") else {
        return Err(error(
            StatusCode::PRECONDITION_FAILED,
            "required",
            "MISSING_VALUE",
            "Missing value",
            "Required header 'If-Match' is missing",
            headers,
        ));
    };
    let Some(version) = if_match
        .strip_prefix("W/\"")
        .and_then(|v| v.strip_suffix('"'))
        .and_then(|v| v.parse::<u64>().ok())
    else {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "value",
            "INVALID_VALUE",
            "Invalid value",
            "Header 'If-Match' must look like W/\"4\"",
            headers,
        ));
    };
    let params = parameters(body, headers)?;
    let find = |name: &str| params.iter().find(|p| p["name"] == name);
    let outcome = find("reviewOutcome")
        .filter(|p| p["valueCoding"]["system"] == OUTCOME_SYSTEM)
        .and_then(|p| p["valueCoding"]["code"].as_str())
        .ok_or_else(|| {
            unprocessable(
                "MISSING_VALUE",
                "Missing value",
                "reviewOutcome is required",
                headers,
            )
        })?;
    if !matches!(
        outcome,
        "RETURN_TO_REFERRER_WITH_ADVICE" | "ACCEPT_REFER_BOOK_LATER"
    ) {
        return Err(unprocessable(
            "INVALID_CODE",
            "Invalid code",
            "reviewOutcome is not supported by this endpoint",
            headers,
        ));
    }
    if find("reviewComments")
        .and_then(|p| p["valueString"].as_str())
        .is_none_or(|c| c.trim().is_empty())
    {
        return Err(unprocessable(
            "MISSING_VALUE",
            "Missing value",
            "reviewComments is required",
            headers,
        ));
    }
    let priority = find("reviewPriority").map(|p| p["valueCoding"].clone());
    if priority.is_some() && outcome == "RETURN_TO_REFERRER_WITH_ADVICE" {
        return Err(unprocessable(
            "PRIORITY_NOT_CURRENT",
            "Priority not current",
            "'Review Priority' value cannot be amended if Review Outcome value is RETURN_TO_REFERRER_WITH_ADVICE",
            headers,
        ));
    }
    let mut inner = sim.lock();
    let Some(r) = inner.referrals.get_mut(ubrn) else {
        return Err(not_found(headers));
    };
    if r.version != version {
        return Err(error(
            StatusCode::CONFLICT,
            "conflict",
            "INVALID_VERSION",
            "Invalid version",
            "Version supplied does not match current version of the referral request",
            headers,
        ));
    }
    if !r.pending_review {
        return Err(unprocessable(
            "INVALID_STATE",
            "Invalid state",
            "The referral is not awaiting review",
            headers,
        ));
    }
    let state = if outcome == "RETURN_TO_REFERRER_WITH_ADVICE" {
        "TRIAGE_RESPONSE"
    } else {
        "TRIAGED_PROVIDER_TO_ACTION"
    };
    set_state(&mut r.resource, state);
    if let Some(coding) = priority.filter(|c| c.is_object()) {
        set_priority(&mut r.resource, coding);
    }
    r.version += 1;
    r.pending_review = false;
    r.resource["meta"]["versionId"] = json!(r.version.to_string());
    let answer = (r.resource.clone(), r.version);
    inner.outcomes.push(RecordedOutcome {
        ubrn: ubrn.to_string(),
        version,
        if_match,
        request_id: text(headers, "x-request-id"),
        correlation_id: text(headers, "x-correlation-id"),
        ods: caller.ods,
        business_function: caller.business_function,
        parameters: json!({"resourceType": "Parameters", "parameter": params}),
    });
    inner.stats.reviews += 1;
    Ok(answer)
}

fn set_state(resource: &mut Value, state: &str) {
    let ext = json!({"url": STATE_URL, "extension": [{"url": "state", "valueCoding": {
        "system": "https://fhir.nhs.uk/STU3/CodeSystem/eRS-ReferralState-1", "code": state}}]});
    replace_extension(resource, STATE_URL, ext);
}

fn set_priority(resource: &mut Value, coding: Value) {
    let ext = json!({"url": PRIORITY_URL, "valueCodeableConcept": {"coding": [coding]}});
    replace_extension(resource, PRIORITY_URL, ext);
}

fn replace_extension(resource: &mut Value, url: &str, ext: Value) {
    if !resource["extension"].is_array() {
        resource["extension"] = json!([]);
    }
    if let Some(list) = resource["extension"].as_array_mut() {
        list.retain(|e| e["url"] != url);
        list.push(ext);
    }
}
