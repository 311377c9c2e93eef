//! `pds::Verifier` (the `pds_verify` routing step) and `PdsClient` against the PDS and platform
//! simulators over real HTTP on loopback: every outcome, the cache, retryable errors, the
//! restricted-record redaction, and the simulator's own strictness.

mod platform_kit;

use std::time::Duration;

use bytes::Bytes;
use http::{Request, StatusCode};
use http_body_util::{BodyExt, Full};
use junction_connectors::http_client;
use junction_model::fhir::Patient;
use junction_model::{Bundle, Event, EventKind};
use junction_national::pds::{PdsClient, PdsError, Verifier, VerifierConfig, redact_restricted};
use platform_kit::{Kit, PDS_BASE, start};
use serde_json::{Value, json};

/// An event whose Patient has `nhs` (if any) and the given demographics.
fn event(nhs: Option<&str>, family: &str, birth: &str, gender: &str, postcode: &str) -> Event {
    let mut patient = json!({
        "resourceType": "Patient",
        "name": [{"use": "official", "family": family, "given": ["Test"]}],
        "birthDate": birth,
        "gender": gender,
        "address": [{"use": "home", "line": ["1 Test Street"], "postalCode": postcode}],
        "telecom": [{"system": "phone", "value": "01632 960000"}],
    });
    if let Some(nhs) = nhs {
        patient["identifier"] =
            json!([{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": nhs}]);
    }
    let patient: Patient = serde_json::from_value(patient).unwrap();
    let bundle = Bundle::collection(vec![patient.into()], "b1", "2026-01-01T00:00:00Z");
    Event::new(
        "e1",
        EventKind::PatientAdmitted,
        "pas",
        "2026-01-01T00:00:00Z",
        "journal-1",
        bundle,
    )
}

/// Jane Smith as the spec's Patient.json has her.
fn jane(nhs: &str) -> Event {
    event(Some(nhs), "SMITH", "2010-10-22", "female", "ls16ae")
}

fn verifier(kit: &Kit, ttl: Duration) -> Verifier {
    let mut config = VerifierConfig::new(kit.pds_service());
    config.cache_ttl = ttl;
    config.cache_size = 100;
    Verifier::new(config).unwrap()
}

async fn verify(v: &Verifier, mut e: Event) -> (Value, Event) {
    v.verify(&mut e).await.unwrap();
    (e.annotations["pds"].clone(), e)
}

#[tokio::test]
async fn matching_record_is_verified() {
    let kit = start().await;
    let (pds, _) = verify(&verifier(&kit, Duration::ZERO), jane("9000000009")).await;
    assert_eq!(
        pds,
        json!({"outcome": "verified", "restricted": false,
               "checked": ["family", "birthDate", "gender", "postalCode"], "fields": []})
    );
}

#[tokio::test]
async fn differences_are_a_mismatch_naming_the_fields() {
    let kit = start().await;
    let v = verifier(&kit, Duration::ZERO);
    let e = event(Some("9000000009"), "Smyth", "2010-10-22", "male", "LS1 6AE");
    let (pds, _) = verify(&v, e).await;
    assert_eq!(pds["outcome"], "mismatch");
    assert_eq!(pds["fields"], json!(["family", "gender"]));
    assert!(pds.get("nhs_number").is_none());
}

#[tokio::test]
async fn unknown_and_invalidated_numbers() {
    let kit = start().await;
    kit.pds.invalidate("9990000026");
    let v = verifier(&kit, Duration::ZERO);
    let (pds, _) = verify(&v, jane("9990000018")).await;
    assert_eq!(pds, json!({"outcome": "not_found", "restricted": false}));
    let (pds, _) = verify(&v, jane("9990000026")).await;
    assert_eq!(pds, json!({"outcome": "invalidated", "restricted": false}));
}

#[tokio::test]
async fn superseded_number_gives_the_new_one() {
    let kit = start().await;
    kit.pds.supersede("9990000034", "9000000017");
    let v = verifier(&kit, Duration::ZERO);
    let e = event(
        Some("9990000034"),
        "Smyth",
        "2010-10-22",
        "female",
        "LS1 6AE",
    );
    let (pds, _) = verify(&v, e).await;
    assert_eq!(pds["outcome"], "superseded");
    assert_eq!(pds["nhs_number"], "9000000017");
    assert_eq!(pds["fields"], json!([]));
}

#[tokio::test]
async fn restricted_record_then_redaction() {
    let kit = start().await;
    let v = verifier(&kit, Duration::ZERO);
    let e = event(
        Some("9000000025"),
        "Smythe",
        "2010-10-22",
        "female",
        "LS1 6AE",
    );
    let (pds, mut e) = verify(&v, e).await;
    // PDS shows no address, so the postcode cannot be checked.
    assert_eq!(
        pds,
        json!({"outcome": "restricted", "restricted": true,
               "checked": ["family", "birthDate", "gender"], "fields": []})
    );
    redact_restricted(&mut e);
    let json = e.to_json();
    assert!(!json.contains("1 Test Street") && !json.contains("LS1 6AE"));
    assert!(!json.contains("01632 960000"));
    let patient = e.bundle.first::<Patient>().unwrap();
    assert_eq!(patient.name[0].family.as_deref(), Some("Smythe"));
    assert_eq!(
        patient.meta.as_ref().unwrap().security[0].code.as_deref(),
        Some("R")
    );
}

#[tokio::test]
async fn synthetic_restricted_patient_is_served_without_location() {
    let kit = start().await;
    kit.pds
        .insert(json!({
            "resourceType": "Patient", "id": "9990000042",
            "meta": {"versionId": "3", "security": [{"system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "code": "R"}]},
            "name": [{"use": "usual", "family": "Testpatient"}],
            "gender": "male", "birthDate": "1990-01-01",
            "address": [{"use": "home", "postalCode": "ZZ99 3AA"}],
            "telecom": [{"system": "phone", "value": "01632 960001"}]
        }))
        .unwrap();
    let client = PdsClient::new(kit.pds_service()).unwrap();
    let nhs = junction_model::NhsNumber::parse("9990000042").unwrap();
    let junction_national::pds::Lookup::Found(found) =
        client.get_patient(&nhs, None).await.unwrap()
    else {
        panic!("expected the patient");
    };
    assert!(found.restricted());
    assert!(found.patient.address.is_empty() && found.patient.telecom.is_empty());
    assert_eq!(found.version.as_deref(), Some("3"));
}

#[tokio::test]
async fn events_without_a_usable_number_ask_nobody() {
    let kit = start().await;
    let v = verifier(&kit, Duration::ZERO);
    let (pds, _) = verify(&v, event(None, "X", "2000-01-01", "male", "LS1 6AE")).await;
    assert_eq!(
        pds,
        json!({"outcome": "no_nhs_number", "restricted": false})
    );
    let (pds, _) = verify(&v, jane("9000000000")).await;
    assert_eq!(
        pds,
        json!({"outcome": "invalid_nhs_number", "restricted": false})
    );
    assert_eq!(kit.pds.stats().requests, 0);
}

#[tokio::test]
async fn answers_are_cached_per_number() {
    let kit = start().await;
    let v = verifier(&kit, Duration::from_secs(300));
    let (first, _) = verify(&v, jane("9000000009")).await;
    let e = event(
        Some("9000000009"),
        "Other",
        "2010-10-22",
        "female",
        "LS1 6AE",
    );
    let (second, _) = verify(&v, e).await;
    assert_eq!(
        kit.pds.stats().requests,
        1,
        "the second verify asked nobody"
    );
    assert_eq!(first["outcome"], "verified");
    assert_eq!(
        second["outcome"], "mismatch",
        "compared afresh with the cached record"
    );
    let (_, _) = verify(&v, jane("9000000017")).await;
    assert_eq!(kit.pds.stats().requests, 2);

    let uncached = verifier(&kit, Duration::ZERO);
    verify(&uncached, jane("9000000009")).await;
    verify(&uncached, jane("9000000009")).await;
    assert_eq!(kit.pds.stats().requests, 4);
}

#[tokio::test]
async fn outage_is_a_retryable_error_and_annotates_nothing() {
    let kit = start().await;
    let v = verifier(&kit, Duration::from_secs(300));
    kit.pds.fail_next(StatusCode::SERVICE_UNAVAILABLE);
    let mut e = jane("9000000009");
    let err = v.verify(&mut e).await.unwrap_err();
    assert!(
        matches!(err, PdsError::Unavailable { status: 503, .. }),
        "{err}"
    );
    assert!(err.is_retryable());
    assert!(e.annotations.is_empty());
    assert!(!err.to_string().contains("9000000009"));
    // Not cached: the retry asks again and succeeds.
    v.verify(&mut e).await.unwrap();
    assert_eq!(e.annotations["pds"]["outcome"], "verified");
}

#[tokio::test]
async fn unreachable_pds_is_a_retryable_error() {
    let kit = start().await;
    let mut config = VerifierConfig::new(kit.pds_service());
    config.service.base_url = "http://127.0.0.1:9/personal-demographics/FHIR/R4".into();
    config.service.auth = None;
    let v = Verifier::new(config).unwrap();
    let mut e = jane("9000000009");
    let err = v.verify(&mut e).await.unwrap_err();
    assert!(
        matches!(err, PdsError::Api(_)) && err.is_retryable(),
        "{err}"
    );
    assert!(!err.to_string().contains("9000000009"), "{err}");
}

#[tokio::test]
async fn refused_auth_is_a_permanent_error() {
    let kit = start().await;
    let mut config = VerifierConfig::new(kit.pds_service());
    config.service.auth = None;
    let v = Verifier::new(config).unwrap();
    let mut e = jane("9000000009");
    let err = v.verify(&mut e).await.unwrap_err();
    assert_eq!(
        err,
        PdsError::Refused {
            status: 401,
            code: "ACCESS_DENIED".into()
        }
    );
    assert!(!err.is_retryable());
}

/// A raw GET (no auth, headers as given) to the PDS simulator.
async fn raw_get(kit: &Kit, id: &str, request_id: Option<&str>) -> (StatusCode, Value) {
    let client = http_client::build(&kit.root, &Default::default()).unwrap();
    let token = kit_token(kit).await;
    let mut req = Request::get(format!("{}{PDS_BASE}/Patient/{id}", kit.root))
        .header("authorization", format!("Bearer {token}"));
    if let Some(rid) = request_id {
        req = req.header("x-request-id", rid);
    }
    let res = client
        .request(req.body(Full::new(Bytes::new())).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&body).unwrap_or_default())
}

async fn kit_token(kit: &Kit) -> String {
    let cache =
        junction_national::platform::TokenCache::new(kit.auth(), &Default::default()).unwrap();
    cache.bearer().await.unwrap()
}

fn spine(body: &Value) -> (&str, &str) {
    (
        body["issue"][0]["code"].as_str().unwrap_or_default(),
        body["issue"][0]["details"]["coding"][0]["code"]
            .as_str()
            .unwrap_or_default(),
    )
}

#[tokio::test]
async fn simulator_is_strict_about_headers_and_ids() {
    let kit = start().await;
    let uuid = "60E0B220-8136-4CA5-AE46-1D97EF59D068";
    let (status, body) = raw_get(&kit, "9000000009", None).await;
    assert_eq!(
        (status, spine(&body)),
        (StatusCode::BAD_REQUEST, ("required", "MISSING_VALUE"))
    );
    let (status, body) = raw_get(&kit, "9000000009", Some("not-a-uuid")).await;
    assert_eq!(
        (status, spine(&body)),
        (StatusCode::BAD_REQUEST, ("value", "INVALID_VALUE"))
    );
    let (status, body) = raw_get(&kit, "9000000000", Some(uuid)).await;
    assert_eq!(
        (status, spine(&body)),
        (StatusCode::BAD_REQUEST, ("value", "INVALID_RESOURCE_ID"))
    );
    let (status, body) = raw_get(&kit, "9111231130", Some(uuid)).await;
    assert_eq!(
        (status, spine(&body)),
        (StatusCode::NOT_FOUND, ("not-found", "RESOURCE_NOT_FOUND"))
    );
    let (status, body) = raw_get(&kit, "9000000033", Some(uuid)).await;
    assert_eq!(
        (status, body["id"].as_str()),
        (StatusCode::OK, Some("9000000033"))
    );
}
