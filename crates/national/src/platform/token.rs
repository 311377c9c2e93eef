//! The API platform's application-restricted signed-JWT flow: a JWT signed RS512 with our
//! private key (`iss` = `sub` = API key, `aud` = token URL, a unique `jti`, `exp` 5 minutes
//! ahead) is exchanged at the token URL for a bearer token, which is cached until shortly
//! before it expires. One refresh at a time: callers queue on the cache's lock while a token
//! is fetched. The key is read once, at start-up; errors name its path, never its content.

use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::{Request, header};
use http_body_util::{BodyExt, Full, Limited};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use junction_connectors::ConnectorError;
use junction_connectors::http_client::{self, HttpClient};
use junction_connectors::tls::TlsClientConfig;
use serde::Serialize;
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::metrics::NationalMetrics;
use uuid::Uuid;

/// A signed JWT lives this long (the platform refuses more than 5 minutes).
const ASSERTION_LIFETIME_SECS: u64 = 300;
/// A cached token is refreshed this long before it expires (or at 90 % of its life).
const REFRESH_MARGIN: Duration = Duration::from_secs(30);
/// Time allowed for the token exchange.
const TOKEN_TIMEOUT: Duration = Duration::from_secs(15);
/// The client assertion type of RFC 7523.
const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Signed-JWT auth as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedJwtConfig {
    /// The OAuth token URL, e.g. `https://int.api.service.nhs.uk/oauth2/token`; also the
    /// JWT's `aud`.
    pub token_url: String,
    /// The application's API key: the JWT's `iss` and `sub`.
    pub api_key: String,
    /// The `kid` the platform knows our public key by.
    pub key_id: String,
    /// PEM file holding the RSA private key (PKCS#8 or PKCS#1).
    pub private_key_path: PathBuf,
}

/// Why no token could be had. Never carries key material or the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// The JWT could not be signed.
    #[error("cannot sign the client assertion: {0}")]
    Sign(String),
    /// The token endpoint could not be reached or did not answer in time.
    #[error("token endpoint unreachable: {0}")]
    Transport(String),
    /// The token endpoint refused (its status and error text).
    #[error("token endpoint refused: HTTP {status}: {reason}")]
    Refused {
        /// Its status.
        status: u16,
        /// Its `error` / `error_description`.
        reason: String,
    },
    /// The answer had no usable `access_token` / `expires_in`.
    #[error("token endpoint answered without a usable token")]
    Malformed,
}

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    jti: String,
    exp: u64,
}

struct Cached {
    token: String,
    refresh_at: Instant,
}

/// A bearer token source for one service.
pub struct TokenCache {
    config: SignedJwtConfig,
    key: EncodingKey,
    http: HttpClient,
    current: Mutex<Option<Cached>>,
    metrics: NationalMetrics,
    service: String,
}

impl TokenCache {
    /// Reads the private key and builds the token endpoint's client.
    pub fn new(config: SignedJwtConfig, tls: &TlsClientConfig) -> Result<Self, ConnectorError> {
        let path = &config.private_key_path;
        let pem = std::fs::read(path).map_err(|e| ConnectorError::Pem {
            what: "API platform private key",
            path: path.clone(),
            reason: e.to_string(),
        })?;
        let key = EncodingKey::from_rsa_pem(&pem).map_err(|_| ConnectorError::Pem {
            what: "API platform private key",
            path: path.clone(),
            reason: "not an RSA private key in PEM (PKCS#8 or PKCS#1)".into(),
        })?;
        let http = http_client::build(&config.token_url, tls)?;
        Ok(Self {
            config,
            key,
            http,
            current: Mutex::new(None),
            metrics: NationalMetrics::default(),
            service: String::new(),
        })
    }

    /// Counts this cache's token fetches as `service`'s in `metrics`.
    pub fn observe(&mut self, service: &str, metrics: NationalMetrics) {
        self.service = service.to_string();
        self.metrics = metrics;
    }

    /// A valid bearer token: the cached one, or a fresh one (one fetch at a time).
    pub async fn bearer(&self) -> Result<String, TokenError> {
        let mut current = self.current.lock().await;
        if let Some(c) = current.as_ref()
            && Instant::now() < c.refresh_at
        {
            return Ok(c.token.clone());
        }
        let fetched = self.fetch().await;
        self.metrics.token_refresh(&self.service, fetched.is_ok());
        let (token, lifetime) = fetched?;
        let margin = REFRESH_MARGIN.min(lifetime / 10);
        *current = Some(Cached {
            token: token.clone(),
            refresh_at: Instant::now() + lifetime.saturating_sub(margin),
        });
        Ok(token)
    }

    /// Forgets `stale` (a token a service answered 401 to), unless another caller already
    /// replaced it.
    pub async fn invalidate(&self, stale: &str) {
        let mut current = self.current.lock().await;
        if current.as_ref().is_some_and(|c| c.token == stale) {
            *current = None;
        }
    }

    /// The signed client assertion.
    pub fn assertion(&self) -> Result<String, TokenError> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        let mut header = Header::new(Algorithm::RS512);
        header.typ = Some("JWT".into());
        header.kid = Some(self.config.key_id.clone());
        let claims = Claims {
            iss: &self.config.api_key,
            sub: &self.config.api_key,
            aud: &self.config.token_url,
            jti: Uuid::new_v4().to_string(),
            exp: now + ASSERTION_LIFETIME_SECS,
        };
        jsonwebtoken::encode(&header, &claims, &self.key)
            .map_err(|e| TokenError::Sign(e.to_string()))
    }

    async fn fetch(&self) -> Result<(String, Duration), TokenError> {
        let form = format!(
            "grant_type=client_credentials&client_assertion_type={}&client_assertion={}",
            form_encode(JWT_BEARER),
            form_encode(&self.assertion()?)
        );
        let req = Request::post(&self.config.token_url)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "application/json")
            .body(Full::new(Bytes::from(form)))
            .map_err(|e| TokenError::Transport(e.to_string()))?;
        let exchange = async {
            let res = self
                .http
                .request(req)
                .await
                .map_err(|e| TokenError::Transport(http_client::transport_error(&e)))?;
            let status = res.status();
            let body = Limited::new(res.into_body(), 64 * 1024)
                .collect()
                .await
                .map_err(|e| TokenError::Transport(e.to_string()))?
                .to_bytes();
            Ok::<_, TokenError>((status, body))
        };
        let (status, body) = tokio::time::timeout(TOKEN_TIMEOUT, exchange)
            .await
            .map_err(|_| TokenError::Transport("no answer within 15 s".into()))??;
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        if !status.is_success() {
            let reason = ["error", "error_description"]
                .iter()
                .filter_map(|k| json.get(*k).and_then(|v| v.as_str()))
                .collect::<Vec<_>>()
                .join(": ");
            return Err(TokenError::Refused {
                status: status.as_u16(),
                reason,
            });
        }
        let token = json
            .get("access_token")
            .and_then(|v| v.as_str())
            .filter(|t| !t.is_empty())
            .ok_or(TokenError::Malformed)?;
        // The platform sends `expires_in` as a string ("599"); RFC 6749 says a number.
        let secs = match json.get("expires_in") {
            Some(serde_json::Value::String(s)) => s.parse::<u64>().ok(),
            Some(v) => v.as_u64(),
            None => None,
        }
        .ok_or(TokenError::Malformed)?;
        Ok((token.to_string(), Duration::from_secs(secs)))
    }
}

/// `application/x-www-form-urlencoded` escaping of one value.
fn form_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 16);
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => {
                out.push(char::from(b));
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_encoding() {
        assert_eq!(
            form_encode(JWT_BEARER),
            "urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer"
        );
        assert_eq!(form_encode("a b/c=d"), "a+b%2Fc%3Dd");
    }
}
