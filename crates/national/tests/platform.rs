//! `platform::ServiceClient` against the API platform simulator over real HTTP on loopback:
//! token caching, single-flight refresh, 401 → refresh → resend, clear token errors without
//! key material, rate limiting, request ids; and the simulator's strictness about the client
//! assertion.

mod platform_kit;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::StatusCode;
use junction_national::platform::{
    ApiError, ApiRequest, RateLimit, ServiceClient, ServiceConfig, TokenCache, TokenError,
};
use platform_kit::start;
use serde_json::Value;

const PATIENT: &str = "/Patient/9000000009";

#[tokio::test]
async fn one_token_serves_many_requests() {
    let kit = start().await;
    let client = ServiceClient::new(kit.pds_service()).unwrap();
    for _ in 0..5 {
        let res = client.send(&ApiRequest::get(PATIENT)).await.unwrap();
        assert_eq!(res.status, StatusCode::OK);
    }
    assert_eq!(kit.platform.tokens_issued(), 1);
    assert_eq!(kit.pds.stats().found, 5);
}

#[tokio::test]
async fn concurrent_requests_fetch_one_token() {
    let kit = start().await;
    let client = Arc::new(ServiceClient::new(kit.pds_service()).unwrap());
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.send(&ApiRequest::get(PATIENT)).await })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap().status, StatusCode::OK);
    }
    assert_eq!(kit.platform.tokens_issued(), 1, "single flight");
}

#[tokio::test]
async fn revoked_token_is_refreshed_once_and_the_request_resent() {
    let kit = start().await;
    let client = ServiceClient::new(kit.pds_service()).unwrap();
    client.send(&ApiRequest::get(PATIENT)).await.unwrap();
    kit.platform.revoke_all();
    let res = client.send(&ApiRequest::get(PATIENT)).await.unwrap();
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(kit.platform.tokens_issued(), 2);
    assert_eq!(kit.platform.stats().denied, 1);
    // Three exchanges reached PDS: the first, the refused one, the resend.
    assert_eq!(kit.pds.stats().requests, 3);
}

#[tokio::test]
async fn concurrent_401s_share_one_refresh() {
    let kit = start().await;
    let client = Arc::new(ServiceClient::new(kit.pds_service()).unwrap());
    client.send(&ApiRequest::get(PATIENT)).await.unwrap();
    kit.platform.revoke_all();
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.send(&ApiRequest::get(PATIENT)).await })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap().status, StatusCode::OK);
    }
    assert_eq!(kit.platform.tokens_issued(), 2, "one refresh for all");
}

#[tokio::test]
async fn unknown_kid_is_a_clear_token_error_without_key_material() {
    let kit = start().await;
    let mut config = kit.pds_service();
    if let Some(auth) = config.auth.as_mut() {
        auth.key_id = "not-registered".into();
    }
    let client = ServiceClient::new(config).unwrap();
    let err = client.send(&ApiRequest::get(PATIENT)).await.unwrap_err();
    let ApiError::Token { source, .. } = &err else {
        panic!("expected a token error, got {err}");
    };
    assert!(matches!(source, TokenError::Refused { status: 401, .. }));
    let text = err.to_string();
    assert!(text.contains("kid"), "{text}");
    assert_no_key_material(&text, &kit);
    assert_eq!(kit.pds.stats().requests, 0, "nothing sent without a token");
}

#[tokio::test]
async fn wrong_key_is_refused_as_a_bad_signature() {
    let kit = start().await;
    let mut config = kit.pds_service();
    if let Some(auth) = config.auth.as_mut() {
        auth.private_key_path = kit.foreign_key();
    }
    let client = ServiceClient::new(config).unwrap();
    let err = client.send(&ApiRequest::get(PATIENT)).await.unwrap_err();
    assert!(
        matches!(&err, ApiError::Token { source: TokenError::Refused { status: 401, reason }, .. } if reason.contains("signature")),
        "{err}"
    );
    assert_no_key_material(&err.to_string(), &kit);
    assert_eq!(kit.platform.tokens_issued(), 0);
}

fn assert_no_key_material(text: &str, kit: &platform_kit::Kit) {
    let pem = std::fs::read_to_string(&kit.key_path).unwrap();
    assert!(!text.contains("BEGIN"), "{text}");
    for line in pem.lines().filter(|l| !l.starts_with("-----")) {
        assert!(!text.contains(&line[..line.len().min(24)]), "{text}");
    }
}

#[tokio::test]
async fn rate_limit_spaces_requests() {
    let kit = start().await;
    let mut config = kit.pds_service();
    config.rate_limit = Some(RateLimit {
        per_second: 20.0,
        burst: 1,
    });
    let client = Arc::new(ServiceClient::new(config).unwrap());
    let start = tokio::time::Instant::now();
    let tasks: Vec<_> = (0..6)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.send(&ApiRequest::get(PATIENT)).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    // One free, then five at 20/s: at least 250 ms, however fast the machine.
    let took = start.elapsed();
    assert!(took >= Duration::from_millis(245), "{took:?}");
    assert_eq!(kit.pds.stats().found, 6);
}

#[tokio::test]
async fn request_and_correlation_ids_arrive() {
    let kit = start().await;
    let client = ServiceClient::new(kit.pds_service()).unwrap();
    let mut req = ApiRequest::get(PATIENT);
    req.correlation_id = Some("journal-42".into());
    let res = client.send(&req).await.unwrap();
    // PDS mirrors both back, so they arrived as sent.
    assert_eq!(res.headers["x-request-id"], req.request_id.as_str());
    assert_eq!(res.headers["x-correlation-id"], "journal-42");
    assert_eq!(res.headers["etag"], "W/\"2\"");
    // A delivery's id is stable across retries and a UUID PDS accepts.
    let id = client.delivery_request_id(7);
    assert_eq!(id, client.delivery_request_id(7));
    let mut again = ApiRequest::get(PATIENT);
    again.request_id = id;
    assert_eq!(client.send(&again).await.unwrap().status, StatusCode::OK);
}

/// Posts a form to the token endpoint with a client that sends no auth.
async fn post_token(kit: &platform_kit::Kit, form: String) -> (StatusCode, Value) {
    let raw = ServiceClient::new(ServiceConfig::new("token", kit.root.clone())).unwrap();
    let req = ApiRequest::post(
        "/oauth2/token",
        "application/x-www-form-urlencoded",
        Bytes::from(form),
    );
    let res = raw.send(&req).await.unwrap();
    (res.status, res.json().unwrap_or_default())
}

const JWT_BEARER: &str = "urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer";

#[tokio::test]
async fn token_endpoint_answers_like_the_platform() {
    let kit = start().await;
    let tokens = TokenCache::new(kit.auth(), &Default::default()).unwrap();
    let jwt = tokens.assertion().unwrap();
    let form = |grant: &str, jwt: &str| {
        format!("grant_type={grant}&client_assertion_type={JWT_BEARER}&client_assertion={jwt}")
    };
    let (status, body) = post_token(&kit, form("client_credentials", &jwt)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], "599");
    assert!(body["access_token"].as_str().is_some_and(|t| !t.is_empty()));
    assert!(body["issued_at"].as_str().is_some());

    let (status, body) = post_token(&kit, form("client_credentials", &jwt)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error_description"].as_str().unwrap().contains("jti"));

    let (status, body) = post_token(&kit, form("password", &tokens.assertion().unwrap())).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("unsupported_grant_type"))
    );

    let (status, body) = post_token(&kit, form("client_credentials", "not.a.jwt")).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_request"))
    );

    let (status, _) = post_token(
        &kit,
        format!("grant_type=client_credentials&client_assertion={jwt}"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(kit.platform.tokens_issued(), 1);
}

#[tokio::test]
async fn token_endpoint_checks_audience_and_issuer() {
    let kit = start().await;
    let mut auth = kit.auth();
    auth.token_url = format!("{}/oauth2/token/", kit.root);
    let wrong_aud = TokenCache::new(auth, &Default::default()).unwrap();
    let form = |jwt: String| {
        format!(
            "grant_type=client_credentials&client_assertion_type={JWT_BEARER}&client_assertion={jwt}"
        )
    };
    let (status, body) = post_token(&kit, form(wrong_aud.assertion().unwrap())).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body["error_description"].as_str().unwrap().contains("aud"));

    let mut auth = kit.auth();
    auth.api_key = "someone-else".into();
    let wrong_iss = TokenCache::new(auth, &Default::default()).unwrap();
    let (status, body) = post_token(&kit, form(wrong_iss.assertion().unwrap())).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body["error_description"].as_str().unwrap().contains("iss"));
    assert_eq!(kit.platform.tokens_issued(), 0);
}
