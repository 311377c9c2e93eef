//! The e-RS simulator over real HTTP: the spec's headers, versions and error answers.

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use junction_sim::ers::{Access, ErsSim};
use serde_json::{Value, json};

const FHIR: &str = "application/fhir+json";

async fn start(sim: &ErsSim) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!(
        "http://{}/referrals/FHIR/STU3",
        listener.local_addr().unwrap()
    );
    tokio::spawn(sim.clone().serve(listener, "/referrals/FHIR"));
    base
}

/// Sends a request; returns status, ETag and JSON body (Null if not JSON).
async fn call(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, Option<String>, Value) {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let mut req = hyper::Request::builder().method(method).uri(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = client
        .request(req.body(Full::new(Bytes::from(body.to_string()))).unwrap())
        .await
        .unwrap();
    let status = res.status().as_u16();
    let etag = res
        .headers()
        .get("etag")
        .map(|v| v.to_str().unwrap().to_string());
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        etag,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

fn error_code(body: &Value) -> &str {
    body["issue"][0]["details"]["coding"][0]["code"]
        .as_str()
        .unwrap_or("")
}

const ROLES: [(&str, &str); 3] = [
    ("content-type", FHIR),
    ("nhsd-end-user-organisation-ods", "R69"),
    ("nhsd-ers-business-function", "SERVICE_PROVIDER_CLINICIAN"),
];

fn review_body(priority: bool, outcome: &str) -> String {
    let mut params = vec![
        json!({"name": "reviewOutcome", "valueCoding": {"system": "https://fhir.nhs.uk/STU3/CodeSystem/eRS-ReviewOutcome-1", "code": outcome}}),
        json!({"name": "reviewComments", "valueString": "Condition not serious. No further action needed"}),
    ];
    if priority {
        params.push(json!({"name": "reviewPriority", "valueCoding": {"system": "https://fhir.nhs.uk/STU3/CodeSystem/eRS-Priority-1", "code": "URGENT"}}));
    }
    json!({"resourceType": "Parameters", "parameter": params}).to_string()
}

#[tokio::test]
async fn reads_carry_the_version_and_refuse_what_the_access_mode_forbids() {
    let sim = ErsSim::new();
    let base = start(&sim).await;
    let (status, etag, referral) = call(
        "GET",
        &format!("{base}/ReferralRequest/000000070000"),
        &[],
        "",
    )
    .await;
    assert_eq!((status, etag.as_deref()), (200, Some("W/\"5\"")));
    assert_eq!(referral["meta"]["versionId"], "5");

    let (status, _, body) = call(
        "GET",
        &format!("{base}/ReferralRequest/000000079999"),
        &[],
        "",
    )
    .await;
    assert_eq!((status, error_code(&body)), (404, "REFERENCE_NOT_FOUND"));

    let (status, _, body) = call(
        "GET",
        &format!("{base}/ReferralRequest/000000070000"),
        &ROLES[1..],
        "",
    )
    .await;
    assert_eq!((status, error_code(&body)), (400, "UNEXPECTED_FIELD"));

    let (status, _, _) = call(
        "GET",
        &format!("{base}/ReferralRequest/000000070000"),
        &[("accept", "text/html")],
        "",
    )
    .await;
    assert_eq!(status, 406);

    let list_type = json!({"resourceType": "Parameters", "parameter": [{"name": "listType",
        "valueCodeableConcept": {"coding": [{"system": "https://fhir.nhs.uk/STU3/CodeSystem/eRS-ReferralListSelector-1", "code": "REFERRALS_FOR_REVIEW"}]}}]});
    let url = format!("{base}/ReferralRequest/$ers.fetchworklist");
    let (status, _, body) = call(
        "POST",
        &url,
        &[("content-type", FHIR)],
        &list_type.to_string(),
    )
    .await;
    assert_eq!(
        (status, error_code(&body)),
        (422, "MISSING_VALUE"),
        "service is mandatory"
    );
    let (status, _, _) = call(
        "POST",
        &url,
        &[("content-type", "application/xml")],
        &list_type.to_string(),
    )
    .await;
    assert_eq!(status, 415);
}

#[tokio::test]
async fn bearer_auth_when_required() {
    let sim = ErsSim::new()
        .with_auth(true)
        .with_access(Access::UserRestricted);
    let base = start(&sim).await;
    let url = format!("{base}/ReferralRequest/000000070000");
    let (status, _, body) = call("GET", &url, &ROLES[1..], "").await;
    assert_eq!((status, error_code(&body)), (401, "NO_ACCESS"));
    let (status, _, _) = call(
        "GET",
        &url,
        &[ROLES[1], ROLES[2], ("authorization", "Bearer ")],
        "",
    )
    .await;
    assert_eq!(status, 401);
    let (status, _, _) = call(
        "GET",
        &url,
        &[ROLES[1], ROLES[2], ("authorization", "Bearer abc")],
        "",
    )
    .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn review_outcomes_need_the_current_version() {
    let sim = ErsSim::new();
    let base = start(&sim).await;
    let url = format!("{base}/ReferralRequest/000000070003/$ers.recordReviewOutcome");
    let body = review_body(false, "RETURN_TO_REFERRER_WITH_ADVICE");

    let (status, _, _) = call("POST", &url, &ROLES, &body).await;
    assert_eq!(status, 412, "no If-Match");
    let with = |m: &'static str| [ROLES[0], ROLES[1], ROLES[2], ("if-match", m)];
    let (status, _, _) = call("POST", &url, &with("5"), &body).await;
    assert_eq!(status, 400, "If-Match must be W/\"n\"");
    let (status, _, _) = call("POST", &url, &with("W/\"4\""), &body).await;
    assert_eq!(status, 409);
    let (status, _, res) = call(
        "POST",
        &url,
        &with("W/\"5\""),
        &review_body(true, "RETURN_TO_REFERRER_WITH_ADVICE"),
    )
    .await;
    assert_eq!((status, error_code(&res)), (422, "PRIORITY_NOT_CURRENT"));
    let (status, _, res) = call(
        "POST",
        &url,
        &ROLES[..1]
            .iter()
            .chain([("if-match", "W/\"5\"")].iter())
            .copied()
            .collect::<Vec<_>>(),
        &body,
    )
    .await;
    assert_eq!(
        (status, error_code(&res)),
        (400, "MISSING_VALUE"),
        "A028 needs the role headers"
    );
    assert!(sim.review_outcomes().is_empty());

    let (status, etag, res) = call("POST", &url, &with("W/\"5\""), &body).await;
    assert_eq!((status, etag.as_deref()), (200, Some("W/\"6\"")));
    assert_eq!(res["meta"]["versionId"], "6");
    assert_eq!(sim.review_outcomes().len(), 1);
    let (status, _, res) = call("POST", &url, &with("W/\"6\""), &body).await;
    assert_eq!(
        (status, error_code(&res)),
        (422, "INVALID_STATE"),
        "already reviewed"
    );
}
