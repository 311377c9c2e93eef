//! End to end with the national services: the real `junction` binary against the project's
//! simulators of the NHS API platform (signed-JWT token endpoint), PDS, e-RS and EPS, run in
//! this test so it can see what they received.
//!
//! - ADT over MLLP → `pds_verify` → verified and restricted patients to the FHIR server (the
//!   restricted one without address or telecom), a mismatch to a review outbox;
//! - the e-RS worklist poller → `referral.received` → REF^I12 over MLLP to a PAS;
//! - a FHIR review posted over HTTP → `referral.reviewed` → e-RS A028 with `If-Match`;
//! - an EPS HL7 v3 prescription over HTTP → `prescription.issued` → EPS `$prepare` +
//!   `$process-message`;
//! - every call to a service carried a bearer token from the signed-JWT flow.

use std::path::Path;
use std::time::Duration;

use junction_e2e::fhir_server::FhirServer;
use junction_e2e::gateway::Gateway;
use junction_e2e::http;
use junction_e2e::mllp::{MllpClient, adt_a01};
use junction_e2e::mllp_peer::MllpPeer;
use junction_e2e::nhs::nhs_numbers;
use junction_e2e::wait::eventually;
use junction_e2e::{config, first_scrape};
use junction_sim::eps::Operation;
use junction_sim::national::{ERS_BASE, NationalSim, PDS_BASE, SimAuth, TOKEN_PATH};
use junction_sim::platform::generate_key_pair;
use serde_json::{Value, json};

const DEADLINE: Duration = Duration::from_secs(30);
const API_KEY: &str = "e2e-api-key";
const KID: &str = "e2e-kid-1";

/// PDS's record of the kit's synthetic ADT patient, with this postcode.
fn pds_patient(nhs: &str, postcode: &str, restricted: bool) -> Value {
    let mut p = json!({
        "resourceType": "Patient", "id": nhs,
        "identifier": [{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": nhs}],
        "name": [{"use": "usual", "family": "TESTPATIENT", "given": ["Alex"]}],
        "gender": "unknown", "birthDate": "1980-01-01",
        "address": [{"use": "home", "line": ["1 Test Street", "Leeds"], "postalCode": postcode}]
    });
    if restricted {
        p["meta"] = json!({"versionId": "1", "security": [{
            "system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality",
            "code": "R", "display": "restricted"}]});
        p.as_object_mut().expect("object").remove("address");
    }
    p
}

/// The national services section, pointed at the simulators at `origin`, signing with the key
/// in `dir`.
fn national(origin: &str, dir: &Path) -> String {
    let auth = format!(
        "auth = {{ token_url = \"{origin}{TOKEN_PATH}\", api_key_file = \"{}\", key_id = \"{KID}\", private_key = \"{}\" }}",
        dir.join("api.key").display(),
        dir.join("private.pem").display()
    );
    format!(
        r#"
[national.pds]
url = "{origin}{PDS_BASE}"
environment = "sandbox"
{auth}

[national.ers]
url = "{origin}{ERS_BASE}"
environment = "sandbox"
ods_code = "R69"
{auth}

[national.eps]
url = "{origin}/electronic-prescriptions/FHIR/R4"
environment = "sandbox"
ods_code = "RXX"
{auth}
"#
    )
}

fn components(fhir: &str, review: &Path, pas: &str) -> String {
    format!(
        r#"
[[sources]]
name = "pas"
type = "mllp"
listen = "127.0.0.1:0"
adapter = "pas"

[[sources]]
name = "epma"
type = "http"
adapter = "prescribing"

[[sources]]
name = "ers"
type = "ers_worklist"
adapter = "ers"
services = ["11002"]
interval = "200ms"

[[sources]]
name = "fhir-in"
type = "http"
adapter = "fhir"

[[destinations]]
name = "fhir"
type = "fhir_http"
url = "{fhir}"

[[destinations]]
name = "review"
type = "file"
dir = "{review}"

[[destinations]]
name = "pas-referrals"
type = "mllp"
address = "{pas}"
encode = "hl7v2"

[[destinations]]
name = "ers"
type = "ers"

[[destinations]]
name = "eps"
type = "eps"
allow_unsigned = true
trust_ods = "RXX"
prescription_type = "1001"

[[routes]]
name = "verified"
kinds = ["patient.*"]
steps = ["pds_verify"]
when = 'event.annotations.pds.outcome in ["verified", "restricted"]'
destinations = ["fhir"]

[[routes]]
name = "mismatch"
kinds = ["patient.*"]
steps = ["pds_verify"]
when = 'event.annotations.pds.outcome == "mismatch"'
destinations = ["review"]

[[routes]]
name = "referrals"
kinds = ["referral.received"]
destinations = ["pas-referrals"]

[[routes]]
name = "reviews"
kinds = ["referral.reviewed"]
destinations = ["ers"]

[[routes]]
name = "prescriptions"
kinds = ["prescription.*"]
destinations = ["eps"]
"#,
        review = review.display()
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn national_services_end_to_end() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let keys = generate_key_pair().expect("RSA key pair");
    std::fs::write(tmp.path().join("private.pem"), &keys.private_pem).expect("write key");
    std::fs::write(tmp.path().join("api.key"), API_KEY).expect("write api key");

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let origin = format!("http://{}", listener.local_addr().expect("addr"));
    let sims = NationalSim::new(
        &origin,
        Some(SimAuth {
            api_key: API_KEY.into(),
            key_id: KID.into(),
            public_key_pem: keys.public_pem.clone(),
        }),
    )
    .expect("simulators");
    let app = sims.router();
    tokio::spawn(async move { axum::serve(listener, app).await });

    let nhs = nhs_numbers(3);
    let (verified, mismatched, restricted) = (&nhs[0], &nhs[1], &nhs[2]);
    sims.pds
        .insert(pds_patient(verified, "LS1 1AA", false))
        .expect("insert");
    sims.pds
        .insert(pds_patient(mismatched, "ZZ9 9ZZ", false))
        .expect("insert");
    sims.pds
        .insert(pds_patient(restricted, "LS1 1AA", true))
        .expect("insert");

    let fhir = FhirServer::start().await;
    let peer = MllpPeer::start().await;
    let review = tmp.path().join("review");
    let cfg = [
        config::head(tmp.path()),
        national(&origin, tmp.path()),
        components(&fhir.base_url(), &review, &peer.address()),
    ]
    .concat();
    let gw = Gateway::start(tmp.path(), &cfg);

    // Before any message: every series of every source, destination and national service.
    let first = http::metrics_text(gw.http).await;
    let missing = first_scrape::missing_series(
        &first,
        &["pas", "epma", "ers", "fhir-in"],
        &["fhir", "review", "pas-referrals", "ers", "eps"],
        &["pds", "ers", "eps"],
    );
    assert!(
        missing.is_empty(),
        "absent at the first scrape: {missing:#?}"
    );

    // ADT → PDS verification → branch.
    let mut pas = MllpClient::connect(gw.source("pas"))
        .await
        .expect("connect");
    for (i, n) in [verified, mismatched, restricted].into_iter().enumerate() {
        let ack = pas
            .send(&adt_a01(&format!("NAT{i}"), n, &format!("MRN{i}")))
            .await
            .expect("send")
            .expect("ACK");
        assert_eq!(ack.code, "AA");
    }
    let got = fhir
        .wait_for(DEADLINE, "verified and restricted patients", |r| {
            r.iter().filter(|x| x.accepted()).count() >= 2
        })
        .await;
    let mut seen: Vec<String> = got.iter().filter_map(|r| r.nhs_number()).collect();
    seen.sort();
    let mut want = vec![verified.clone(), restricted.clone()];
    want.sort();
    assert_eq!(seen, want, "the mismatch did not go to the FHIR server");
    for r in &got {
        let patient = r
            .resources()
            .into_iter()
            .find(|x| x["resourceType"] == "Patient")
            .expect("a Patient");
        if r.nhs_number().as_deref() == Some(restricted.as_str()) {
            assert!(patient.get("address").is_none(), "restricted: no address");
            assert!(patient.get("telecom").is_none(), "restricted: no telecom");
        } else {
            assert!(patient.get("address").is_some(), "verified: address kept");
        }
    }
    let mismatch = eventually(DEADLINE, "the mismatch in the review outbox", || {
        let review = review.clone();
        async move {
            let files: Vec<_> = std::fs::read_dir(&review).ok()?.flatten().collect();
            let text = std::fs::read_to_string(files.first()?.path()).ok()?;
            serde_json::from_str::<Value>(&text).ok()
        }
    })
    .await;
    assert_eq!(mismatch["annotations"]["pds"]["outcome"], "mismatch");
    assert_eq!(
        mismatch["annotations"]["pds"]["fields"],
        json!(["postalCode"])
    );

    // e-RS worklist → REF^I12 to the PAS.
    let referral = eventually(DEADLINE, "a REF^I12 at the PAS", || {
        let got = peer.received();
        async move { got.into_iter().find(|m| m.contains("REF^I12")) }
    })
    .await;
    let rf1 = referral
        .split('\r')
        .find(|s| s.starts_with("RF1|"))
        .expect("RF1");
    let ubrn = rf1
        .split('|')
        .nth(6)
        .expect("RF1-6")
        .split('^')
        .next()
        .unwrap_or("")
        .to_owned();
    assert_eq!(ubrn.len(), 12, "RF1-6 carries the UBRN: {rf1}");
    let polls = sims.ers.stats();

    // A review posted by a local system → e-RS A028.
    let version = sims.ers.version(&ubrn).expect("the sim knows the referral");
    let review_bundle = json!({"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": {"resourceType": "ServiceRequest", "id": "sr-1",
            "meta": {"versionId": version.to_string()},
            "identifier": [{"system": "https://fhir.nhs.uk/Id/UBRN", "value": ubrn}]}},
        {"resource": {"resourceType": "Task", "status": "completed", "intent": "order",
            "focus": {"reference": "ServiceRequest/sr-1"},
            "businessStatus": {"coding": [{
                "system": "https://fhir.nhs.uk/STU3/CodeSystem/eRS-ReviewOutcome-1",
                "code": "ACCEPT_REFER_BOOK_LATER"}]},
            "note": [{"text": "Book routine appointment"}]}}]});
    let answer = http::post(
        gw.http,
        "/ingest/fhir-in",
        "application/fhir+json",
        review_bundle.to_string().as_bytes(),
    )
    .await;
    assert_eq!(answer.status, 202, "{}", answer.text());
    let outcomes = eventually(DEADLINE, "the review outcome at e-RS", || {
        let got = sims.ers.review_outcomes();
        async move { (!got.is_empty()).then_some(got) }
    })
    .await;
    assert_eq!(outcomes.len(), 1);
    let recorded = format!("{:?}", outcomes[0]);
    assert!(
        recorded.contains(&ubrn) && recorded.contains("ACCEPT_REFER_BOOK_LATER"),
        "{recorded}"
    );

    // A prescription → EPS $prepare then $process-message.
    let order = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../crates/adapters/tests/golden/prescribing/hl7v3/eps_acute_nominated_send.xml"),
    )
    .expect("HL7 v3 prescription fixture");
    let answer = http::post(gw.http, "/ingest/epma", "application/xml", &order).await;
    assert_eq!(answer.status, 202, "{}", answer.text());
    let accepted = eventually(
        DEADLINE,
        "the prescription at EPS (or its delivery dead)",
        || {
            let got = sims.eps.accepted();
            let http = gw.http;
            async move {
                if got.iter().any(|a| a.operation == Operation::Order) {
                    return Some(Ok(got));
                }
                dead_delivery_error(http, "epma").await.map(Err)
            }
        },
    )
    .await
    .unwrap_or_else(|error| panic!("the EPS delivery died: {error}"));
    let ops: Vec<Operation> = accepted.iter().map(|a| a.operation).collect();
    assert_eq!(ops, [Operation::Prepare, Operation::Order]);
    assert_ne!(accepted[0].request_id, accepted[1].request_id);

    // A prescription of four lines (one event per line) reaches EPS as one message.
    let four = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join(
        "../crates/adapters/tests/golden/prescribing/hl7v3/eps_acute_nurse_multiple_meds_send.xml",
    ))
    .expect("HL7 v3 prescription fixture");
    let answer = http::post(gw.http, "/ingest/epma", "application/xml", &four).await;
    assert_eq!(answer.status, 202, "{}", answer.text());
    let orders = eventually(DEADLINE, "the four-line prescription at EPS", || {
        let got = sims.eps.accepted();
        let http = gw.http;
        async move {
            let orders: Vec<_> = got
                .into_iter()
                .filter(|a| a.operation == Operation::Order)
                .collect();
            if orders.len() >= 2 {
                return Some(Ok(orders));
            }
            dead_delivery_error(http, "epma").await.map(Err)
        }
    })
    .await
    .unwrap_or_else(|error| panic!("an EPS delivery died: {error}"));
    assert_eq!(orders.len(), 2, "one order per prescription, not per line");
    let lines = orders[1].bundle["entry"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["resource"]["resourceType"] == "MedicationRequest")
        .count();
    assert_eq!(lines, 4);

    // One token served every call: cached, not fetched per request.
    let platform = sims.platform.as_ref().expect("auth on");
    assert!(
        (1..=3).contains(&platform.tokens_issued()),
        "tokens issued: {} (e-RS polls: {polls:?})",
        platform.tokens_issued()
    );
    gw.stop();
}

/// The last error of a dead delivery of a message from `source`, if there is one.
async fn dead_delivery_error(http: std::net::SocketAddr, source: &str) -> Option<String> {
    for m in http::messages(http, &format!("source={source}")).await {
        let id = m["id"].as_i64()?;
        let detail = http::get_json(http, &format!("/api/messages/{id}")).await;
        for d in detail["deliveries"].as_array().into_iter().flatten() {
            if d["state"] == "dead" {
                return Some(d["last_error"].as_str().unwrap_or("").to_owned());
            }
        }
    }
    None
}

#[test]
fn check_refuses_unsigned_prescriptions_to_a_live_endpoint() {
    let tmp = tempfile::tempdir().expect("temp dir");
    std::fs::write(tmp.path().join("api.key"), API_KEY).expect("api key");
    let keys = generate_key_pair().expect("RSA key pair");
    std::fs::write(tmp.path().join("private.pem"), &keys.private_pem).expect("write key");
    let cfg = format!(
        r#"{head}
[national.eps]
url = "https://api.service.nhs.uk/electronic-prescriptions/FHIR/R4"
auth = {{ token_url = "https://api.service.nhs.uk/oauth2/token", api_key_file = "{key}", key_id = "k1", private_key = "{pem}" }}

[[destinations]]
name = "eps"
type = "eps"
allow_unsigned = true
"#,
        head = config::head(tmp.path()),
        key = tmp.path().join("api.key").display(),
        pem = tmp.path().join("private.pem").display(),
    );
    let path = tmp.path().join("junction.toml");
    std::fs::write(&path, cfg).expect("config");
    let out = std::process::Command::new(junction_e2e::gateway::binary())
        .args(["check", "--config"])
        .arg(&path)
        .output()
        .expect("run check");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("destinations[0].allow_unsigned"),
        "names the key: {stderr}"
    );
    assert!(!stderr.contains("PRIVATE KEY"), "no key material: {stderr}");
}
