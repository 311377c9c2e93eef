//! A PDS (Personal Demographics Service) FHIR R4 simulator: `GET [base]/Patient/{id}` as the
//! published spec defines it (`personal-demographics.yaml`): `X-Request-ID` required and a
//! UUID, echoed with `X-Correlation-ID`; `ETag: W/"<versionId>"`; 400 `INVALID_RESOURCE_ID`
//! for a number failing modulus 11; 404 `RESOURCE_NOT_FOUND` / `INVALIDATED_RESOURCE`; a
//! superseded number answered with the superseding record (its `id` differs from the one
//! asked for); restricted records (`meta.security` `R`/`V`) without their location fields.
//! Bearer tokens are checked by the [`Platform`] simulator when one is attached.
//!
//! Seeded with the spec's example patients (`fixtures/pds/`: 9000000009, 9000000017,
//! 9000000025 restricted, 9000000033 minimal); tests add synthetic ones with
//! [`PdsServer::insert`], [`PdsServer::invalidate`] and [`PdsServer::supersede`].

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use junction_model::NhsNumber;
use serde_json::{Value, json};

use crate::platform::Platform;

const FHIR_JSON: &str = "application/fhir+json";
/// The example patients of the spec.
const SEED: [&str; 4] = [
    include_str!("../fixtures/pds/Patient.json"),
    include_str!("../fixtures/pds/Patient-Jayne-Smyth.json"),
    include_str!("../fixtures/pds/Sensitive_Patient.json"),
    include_str!("../fixtures/pds/Minimal_Patient.json"),
];
/// Patient elements PDS removes from a restricted record (they reveal where the patient is).
const RESTRICTED_ELEMENTS: [&str; 5] = [
    "address",
    "telecom",
    "generalPractitioner",
    "managingOrganization",
    "contact",
];
/// Extensions PDS removes from a restricted record (pharmacies and suppliers near the
/// patient, birthplace, how to contact them).
const RESTRICTED_EXTENSIONS: [&str; 5] = [
    "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NominatedPharmacy",
    "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-PreferredDispenserOrganization",
    "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-MedicalApplianceSupplier",
    "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-ContactPreference",
    "http://hl7.org/fhir/StructureDefinition/patient-birthPlace",
];

/// What the simulator has seen.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PdsStats {
    /// Requests received (any answer).
    pub requests: u64,
    /// Patients returned (200).
    pub found: u64,
    /// Requests refused (4xx, 5xx).
    pub refused: u64,
}

/// A patient record could not be inserted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InsertError {
    /// Not a Patient whose `id` is a valid NHS number.
    #[error("not a Patient with a valid NHS number as its id")]
    NotAPatient,
}

enum Record {
    Live(Value),
    Invalidated,
    Superseded(String),
}

#[derive(Default)]
struct Inner {
    records: HashMap<String, Record>,
    failures: VecDeque<StatusCode>,
    stats: PdsStats,
}

/// The simulator's shared state.
#[derive(Clone, Default)]
pub struct PdsServer {
    inner: Arc<Mutex<Inner>>,
    platform: Option<Platform>,
}

impl PdsServer {
    /// A server holding the spec's example patients, without auth.
    pub fn new() -> Self {
        let sim = Self::empty();
        for text in SEED {
            if let Ok(patient) = serde_json::from_str(text) {
                // The fixtures are valid; a failure would only drop one example.
                let _ = sim.insert(patient);
            }
        }
        sim
    }

    /// A server with no patients.
    pub fn empty() -> Self {
        Self::default()
    }

    /// Requires a bearer token issued by `platform` on every request.
    pub fn with_platform(mut self, platform: Platform) -> Self {
        self.platform = Some(platform);
        self
    }

    /// Stores (or replaces) a patient; its `id` is its NHS number. `meta.versionId` defaults
    /// to `"1"`.
    pub fn insert(&self, mut patient: Value) -> Result<(), InsertError> {
        let id = patient
            .get("id")
            .and_then(Value::as_str)
            .filter(|id| valid_nhs_number(id))
            .map(str::to_string)
            .ok_or(InsertError::NotAPatient)?;
        if patient.get("resourceType") != Some(&json!("Patient")) {
            return Err(InsertError::NotAPatient);
        }
        if patient.pointer("/meta/versionId").is_none() {
            patient["meta"]["versionId"] = json!("1");
        }
        self.lock().records.insert(id, Record::Live(patient));
        Ok(())
    }

    /// Marks `nhs_number` invalidated (not superseded): it answers 404 `INVALIDATED_RESOURCE`.
    pub fn invalidate(&self, nhs_number: &str) {
        self.lock()
            .records
            .insert(nhs_number.to_string(), Record::Invalidated);
    }

    /// Marks `old` superseded by `new`: a read of `old` answers `new`'s record.
    pub fn supersede(&self, old: &str, new: &str) {
        self.lock()
            .records
            .insert(old.to_string(), Record::Superseded(new.to_string()));
    }

    /// The next request (after the auth and header checks) is answered `status` with a
    /// `transient` OperationOutcome; queue several for several requests.
    pub fn fail_next(&self, status: StatusCode) {
        self.lock().failures.push_back(status);
    }

    /// Counts so far.
    pub fn stats(&self) -> PdsStats {
        self.lock().stats.clone()
    }

    /// The routes under `base` (e.g. `/personal-demographics/FHIR/R4`).
    pub fn router(&self, base: &str) -> Router {
        let base = base.trim_end_matches('/');
        Router::new()
            .route(&format!("{base}/Patient/{{id}}"), get(read))
            .with_state(self.clone())
    }

    /// Serves on `listener` under `base` until the task is dropped.
    pub async fn serve(self, listener: tokio::net::TcpListener, base: &str) -> std::io::Result<()> {
        axum::serve(listener, self.router(base)).await
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The record `id` leads to, following supersession (a few hops at most).
    fn lookup(&self, id: &str) -> Result<Value, (StatusCode, Value)> {
        let inner = self.lock();
        let mut id = id.to_string();
        for _ in 0..8 {
            match inner.records.get(&id) {
                Some(Record::Live(patient)) => return Ok(patient.clone()),
                Some(Record::Superseded(new)) => id = new.clone(),
                Some(Record::Invalidated) => {
                    return Err((
                        StatusCode::NOT_FOUND,
                        spine_outcome(
                            "not-found",
                            "INVALIDATED_RESOURCE",
                            "Resource that has been marked as invalid was requested - invalid resources cannot be retrieved",
                            None,
                        ),
                    ));
                }
                None => break,
            }
        }
        Err((
            StatusCode::NOT_FOUND,
            spine_outcome(
                "not-found",
                "RESOURCE_NOT_FOUND",
                "Resource not found",
                None,
            ),
        ))
    }
}

/// An OperationOutcome as PDS words it: one error issue with a Spine error code.
pub fn spine_outcome(code: &str, spine: &str, display: &str, diagnostics: Option<&str>) -> Value {
    let coded = crate::outcome::Coded {
        system: crate::outcome::SPINE_CODES,
        version: Some("1"),
        code: spine,
        display,
    };
    crate::outcome::error(code, coded, diagnostics)
}

/// Ten digits with a correct modulus 11 check digit.
fn valid_nhs_number(id: &str) -> bool {
    id.len() == 10 && id.bytes().all(|b| b.is_ascii_digit()) && NhsNumber::parse(id).is_ok()
}

fn is_uuid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Removes what PDS withholds from a restricted record.
fn restrict(patient: &mut Value) {
    if let Some(obj) = patient.as_object_mut() {
        for name in RESTRICTED_ELEMENTS {
            obj.remove(name);
        }
        if let Some(Value::Array(exts)) = obj.get_mut("extension") {
            exts.retain(|e| {
                !RESTRICTED_EXTENSIONS.contains(&e["url"].as_str().unwrap_or_default())
            });
        }
    }
}

fn is_restricted(patient: &Value) -> bool {
    patient
        .pointer("/meta/security")
        .and_then(Value::as_array)
        .is_some_and(|labels| {
            labels
                .iter()
                .any(|l| matches!(l["code"].as_str(), Some("R" | "V")))
        })
}

fn answer(status: StatusCode, body: &Value, req: &HeaderMap) -> Response {
    let mut res = (status, body.to_string()).into_response();
    let headers = res.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(FHIR_JSON));
    for name in ["x-request-id", "x-correlation-id"] {
        if let Some(v) = req.get(name) {
            headers.insert(name, v.clone());
        }
    }
    res
}

async fn read(
    State(sim): State<PdsServer>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    sim.lock().stats.requests += 1;
    let res = respond(&sim, &id, &headers);
    let mut inner = sim.lock();
    if res.status() == StatusCode::OK {
        inner.stats.found += 1;
    } else {
        inner.stats.refused += 1;
    }
    res
}

fn respond(sim: &PdsServer, id: &str, headers: &HeaderMap) -> Response {
    if let Some(platform) = &sim.platform
        && let Err(denied) = platform.check(headers)
    {
        return denied;
    }
    let request_id = headers
        .get("x-request-id")
        .map(|v| v.to_str().unwrap_or(""));
    match request_id {
        None => {
            let body = spine_outcome(
                "required",
                "MISSING_VALUE",
                "Required value is missing",
                Some(
                    "Invalid request with error - X-Request-ID header must be supplied to access this resource",
                ),
            );
            return answer(StatusCode::BAD_REQUEST, &body, headers);
        }
        Some(v) if !is_uuid(v) => {
            let body = spine_outcome(
                "value",
                "INVALID_VALUE",
                "Provided value is invalid",
                Some("Invalid value - X-Request-ID must be a UUID"),
            );
            return answer(StatusCode::BAD_REQUEST, &body, headers);
        }
        Some(_) => {}
    }
    if !valid_nhs_number(id) {
        let body = spine_outcome(
            "value",
            "INVALID_RESOURCE_ID",
            "Resource Id is invalid",
            None,
        );
        return answer(StatusCode::BAD_REQUEST, &body, headers);
    }
    if let Some(status) = sim.lock().failures.pop_front() {
        let body = spine_outcome(
            "transient",
            "SERVICE_UNAVAILABLE",
            "Service unavailable",
            None,
        );
        return answer(status, &body, headers);
    }
    match sim.lookup(id) {
        Err((status, body)) => answer(status, &body, headers),
        Ok(mut patient) => {
            if is_restricted(&patient) {
                restrict(&mut patient);
            }
            let version = patient
                .pointer("/meta/versionId")
                .and_then(Value::as_str)
                .unwrap_or("1")
                .to_string();
            let mut res = answer(StatusCode::OK, &patient, headers);
            if let Ok(etag) = HeaderValue::from_str(&format!("W/\"{version}\"")) {
                res.headers_mut().insert(header::ETAG, etag);
            }
            res
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_load() {
        let sim = PdsServer::new();
        for id in ["9000000009", "9000000017", "9000000025", "9000000033"] {
            assert!(sim.lookup(id).is_ok(), "seeded {id}");
        }
    }

    #[test]
    fn uuid_shape() {
        assert!(is_uuid("60E0B220-8136-4CA5-AE46-1D97EF59D068"));
        assert!(!is_uuid("60E0B220-8136-4CA5-AE46-1D97EF59D06"));
        assert!(!is_uuid("not-a-uuid"));
    }

    #[test]
    fn restricted_record_loses_location() {
        let mut p: Value = serde_json::from_str(SEED[0]).unwrap();
        restrict(&mut p);
        for name in RESTRICTED_ELEMENTS {
            assert!(p.get(name).is_none(), "{name}");
        }
        let urls: Vec<&str> = p["extension"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e["url"].as_str())
            .collect();
        assert!(urls.iter().all(|u| !RESTRICTED_EXTENSIONS.contains(u)));
        assert!(urls.iter().any(|u| u.ends_with("DeathNotificationStatus")));
    }
}
