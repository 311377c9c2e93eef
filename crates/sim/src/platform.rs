//! The NHS API platform's OAuth2 token endpoint (`POST /oauth2/token`) for application-restricted
//! signed-JWT auth, as strict as the platform: RFC 7523 client assertion, RS512, a known `kid`,
//! `iss` = `sub` = the API key, `aud` = the token URL, `exp` ≤ 5 minutes ahead, `jti` used once.
//! Other simulators check bearer tokens through [`Platform::check`]; tests revoke every token
//! ([`Platform::revoke_all`]) to drive a client's 401 → refresh → resend path.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Value, json};

mod keys;

pub use keys::{KeyGenError, KeyPairPem, generate_key_pair};

/// The RFC 7523 client assertion type.
const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// The longest an assertion may live (the platform's 5 minutes).
const MAX_ASSERTION_LIFE: u64 = 300;
/// Clock skew allowed on `exp`.
const LEEWAY: u64 = 10;

/// The platform as configured.
#[derive(Debug, Clone)]
pub struct PlatformConfig {
    /// The token URL clients use, e.g. `http://127.0.0.1:PORT/oauth2/token`: the JWT's `aud`.
    pub token_url: String,
    /// The application's API key: the JWT's `iss` and `sub`.
    pub api_key: String,
    /// Known public keys: `kid` → RSA public key PEM (`PUBLIC KEY` or `RSA PUBLIC KEY`).
    pub public_keys: Vec<(String, String)>,
    /// How long an issued token lives (the platform: 599 s).
    pub token_lifetime: Duration,
}

impl PlatformConfig {
    /// One application with one key, tokens living 599 s.
    pub fn new(token_url: &str, api_key: &str, kid: &str, public_key_pem: &str) -> Self {
        Self {
            token_url: token_url.to_string(),
            api_key: api_key.to_string(),
            public_keys: vec![(kid.to_string(), public_key_pem.to_string())],
            token_lifetime: Duration::from_secs(599),
        }
    }
}

/// A configured public key was not an RSA public key in PEM.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("public key for kid {kid} is not an RSA public key in PEM")]
pub struct BadPublicKey {
    /// The key's `kid`.
    pub kid: String,
}

/// Counts so far, for tests and the demo.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PlatformStats {
    /// Tokens issued.
    pub issued: u64,
    /// Token requests refused.
    pub refused: u64,
    /// Bearer checks that failed (answered 401).
    pub denied: u64,
}

#[derive(Default)]
struct Inner {
    tokens: HashMap<String, Instant>,
    seen_jti: HashSet<String>,
    stats: PlatformStats,
}

/// The simulator's shared state.
#[derive(Clone)]
pub struct Platform {
    config: Arc<PlatformConfig>,
    keys: Arc<HashMap<String, DecodingKey>>,
    inner: Arc<Mutex<Inner>>,
}

impl Platform {
    /// Reads the public keys.
    pub fn new(config: PlatformConfig) -> Result<Self, BadPublicKey> {
        let mut keys = HashMap::new();
        for (kid, pem) in &config.public_keys {
            let key = DecodingKey::from_rsa_pem(pem.as_bytes())
                .map_err(|_| BadPublicKey { kid: kid.clone() })?;
            keys.insert(kid.clone(), key);
        }
        Ok(Self {
            config: Arc::new(config),
            keys: Arc::new(keys),
            inner: Arc::default(),
        })
    }

    /// `POST /oauth2/token`.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/oauth2/token", post(token))
            .with_state(self.clone())
    }

    /// Serves the token endpoint on `listener` until the task is dropped.
    pub async fn serve(self, listener: tokio::net::TcpListener) -> std::io::Result<()> {
        axum::serve(listener, self.router()).await
    }

    /// Counts so far.
    pub fn stats(&self) -> PlatformStats {
        self.lock().stats.clone()
    }

    /// Tokens issued so far.
    pub fn tokens_issued(&self) -> u64 {
        self.lock().stats.issued
    }

    /// Revokes every issued token: the next call with one is answered 401.
    pub fn revoke_all(&self) {
        self.lock().tokens.clear();
    }

    /// Checks `Authorization: Bearer …` as the platform's proxy does before a service sees the
    /// request; the refusal is the platform's 401 OperationOutcome (`ACCESS_DENIED`).
    #[allow(
        clippy::result_large_err,
        reason = "the refusal is the handler's answer, returned as is"
    )]
    pub fn check(&self, headers: &HeaderMap) -> Result<(), Response> {
        let token = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        let mut inner = self.lock();
        let now = Instant::now();
        let valid = token
            .and_then(|t| inner.tokens.get(t))
            .is_some_and(|expires| now < *expires);
        if valid {
            return Ok(());
        }
        inner.stats.denied += 1;
        let diagnostics = if token.is_some() {
            "Invalid Access Token"
        } else {
            "Missing Authorization header"
        };
        let body = json!({
            "resourceType": "OperationOutcome",
            "issue": [{
                "severity": "error",
                "code": "forbidden",
                "details": { "coding": [{
                    "system": "https://fhir.nhs.uk/R4/CodeSystem/Spine-ErrorOrWarningCode",
                    "version": "1",
                    "code": "ACCESS_DENIED",
                    "display": "Access Denied - Unauthorised"
                }]},
                "diagnostics": diagnostics
            }]
        });
        let mut res = (StatusCode::UNAUTHORIZED, body.to_string()).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/fhir+json"),
        );
        Err(res)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Verifies the form; on success issues a token.
    fn exchange(&self, form: &HashMap<String, String>) -> Result<Value, Refusal> {
        match form.get("grant_type").map(String::as_str) {
            None => return Err(bad("invalid_request", "grant_type is missing")),
            Some("client_credentials") => {}
            Some(_) => return Err(bad("unsupported_grant_type", "grant_type is invalid")),
        }
        if form.get("client_assertion_type").map(String::as_str) != Some(JWT_BEARER) {
            return Err(bad(
                "invalid_request",
                "Missing or invalid client_assertion_type - must be 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'",
            ));
        }
        let jwt = form
            .get("client_assertion")
            .filter(|a| !a.is_empty())
            .ok_or_else(|| bad("invalid_request", "Missing client_assertion"))?;
        let claims = self.verify(jwt)?;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let access_token = uuid::Uuid::new_v4().simple().to_string();
        let mut inner = self.lock();
        let jti = claims["jti"].as_str().unwrap_or_default().to_string();
        if !inner.seen_jti.insert(jti) {
            return Err(bad(
                "invalid_request",
                "Non-unique 'jti' claim in client_assertion JWT",
            ));
        }
        inner.tokens.insert(
            access_token.clone(),
            Instant::now() + self.config.token_lifetime,
        );
        inner.stats.issued += 1;
        Ok(json!({
            "access_token": access_token,
            "expires_in": self.config.token_lifetime.as_secs().to_string(),
            "token_type": "Bearer",
            "issued_at": now.as_millis().to_string(),
        }))
    }

    /// The assertion's header, signature and claims.
    fn verify(&self, jwt: &str) -> Result<Value, Refusal> {
        let head = jsonwebtoken::decode_header(jwt)
            .map_err(|_| bad("invalid_request", "Malformed JWT in client_assertion"))?;
        if head.alg != Algorithm::RS512 {
            return Err(bad(
                "invalid_request",
                "Invalid 'alg' header in client_assertion JWT - unsupported JWT algorithm - must be 'RS512'",
            ));
        }
        if head.typ.as_deref() != Some("JWT") {
            return Err(bad(
                "invalid_request",
                "Invalid 'typ' header in client_assertion JWT - must be 'JWT'",
            ));
        }
        let kid = head.kid.ok_or_else(|| {
            bad(
                "invalid_request",
                "Missing 'kid' header in client_assertion JWT",
            )
        })?;
        let key = self.keys.get(&kid).ok_or_else(|| {
            unauthorized("Invalid 'kid' header in client_assertion JWT - no matching public key")
        })?;
        // Claims are checked below, one by one, for the platform's messages.
        let mut validation = Validation::new(Algorithm::RS512);
        validation.validate_exp = false;
        validation.validate_aud = false;
        validation.required_spec_claims = HashSet::new();
        let claims = jsonwebtoken::decode::<Value>(jwt, key, &validation)
            .map_err(|_| unauthorized("Unable to verify client_assertion JWT signature"))?
            .claims;
        let claim = |name: &str| claims.get(name).and_then(Value::as_str);
        let (iss, sub) = (claim("iss"), claim("sub"));
        if iss.is_none() || iss != sub {
            return Err(unauthorized(
                "Missing or non-matching 'iss'/'sub' claims in client_assertion JWT",
            ));
        }
        if iss != Some(self.config.api_key.as_str()) {
            return Err(unauthorized(
                "Invalid 'iss'/'sub' claims in client_assertion JWT",
            ));
        }
        if claim("aud") != Some(self.config.token_url.as_str()) {
            return Err(unauthorized(
                "Missing or invalid 'aud' claim in client_assertion JWT",
            ));
        }
        if claim("jti").is_none_or(str::is_empty) {
            return Err(bad(
                "invalid_request",
                "Missing 'jti' claim in client_assertion JWT",
            ));
        }
        let exp = claims.get("exp").and_then(Value::as_u64).ok_or_else(|| {
            bad(
                "invalid_request",
                "Missing 'exp' claim in client_assertion JWT",
            )
        })?;
        let now = jsonwebtoken::get_current_timestamp();
        if exp + LEEWAY <= now {
            return Err(bad(
                "invalid_request",
                "Invalid 'exp' claim in client_assertion JWT - JWT has expired",
            ));
        }
        if exp > now + MAX_ASSERTION_LIFE + LEEWAY {
            return Err(bad(
                "invalid_request",
                "Invalid 'exp' claim in client_assertion JWT - more than 5 minutes in future",
            ));
        }
        Ok(claims)
    }
}

/// A refusal: status and the OAuth error body.
struct Refusal(StatusCode, &'static str, &'static str);

fn bad(error: &'static str, description: &'static str) -> Refusal {
    Refusal(StatusCode::BAD_REQUEST, error, description)
}

fn unauthorized(description: &'static str) -> Refusal {
    Refusal(StatusCode::UNAUTHORIZED, "invalid_request", description)
}

async fn token(State(sim): State<Platform>, headers: HeaderMap, body: Bytes) -> Response {
    let form_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    let answer = if form_type {
        sim.exchange(&parse_form(&body))
    } else {
        Err(bad(
            "invalid_request",
            "Content-Type must be application/x-www-form-urlencoded",
        ))
    };
    match answer {
        Ok(body) => (StatusCode::OK, axum::Json(body)).into_response(),
        Err(Refusal(status, error, description)) => {
            sim.lock().stats.refused += 1;
            let body = json!({ "error": error, "error_description": description });
            (status, axum::Json(body)).into_response()
        }
    }
}

/// `application/x-www-form-urlencoded` → name/value pairs (the last of a repeated name wins).
fn parse_form(body: &[u8]) -> HashMap<String, String> {
    body.split(|b| *b == b'&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let mut it = pair.splitn(2, |b| *b == b'=');
            let name = decode(it.next().unwrap_or_default());
            let value = decode(it.next().unwrap_or_default());
            (name, value)
        })
        .collect()
}

fn decode(text: &[u8]) -> String {
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        match text[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < text.len() => {
                let hex = std::str::from_utf8(&text[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests;
