//! The NHS API platform as every national-service client sees it: one [`ServiceClient`] per
//! configured service, which waits for its rate limit, attaches a bearer token from the
//! signed-JWT flow ([`token`]), sends `X-Request-ID` and `X-Correlation-ID`, refreshes the
//! token once on a 401 and resends, and hands the answer back whole. Turning an answer into a
//! delivery outcome is [`ApiResponse::outcome`] (the shared HTTP rules plus the platform's
//! OperationOutcome codes).

use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode, header};
use http_body_util::{BodyExt, Full, Limited};
use junction_connectors::http_client::{self, HttpClient};
use junction_connectors::tls::TlsClientConfig;
use junction_connectors::{ConnectorError, SendOutcome};
use uuid::Uuid;

use crate::metrics::NationalMetrics;

pub mod rate;
pub mod token;

pub use rate::{RateLimit, TokenBucket};
pub use token::{SignedJwtConfig, TokenCache, TokenError};

/// Most of an answer we read.
const MAX_ANSWER: usize = 16 * 1024 * 1024;
/// The fixed namespace of Junction's request ids (the same as the FHIR sink's).
const JUNCTION_NAMESPACE: Uuid = Uuid::from_u128(0x6a75_6e63_7469_4f6e_8a0e_6b5f_9d2c_1e47);

/// One national service as configured.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceConfig {
    /// The service's name for errors and metrics (`pds`, `ers`, `eps`).
    pub name: String,
    /// The base URL paths are appended to, e.g.
    /// `https://int.api.service.nhs.uk/personal-demographics/FHIR/R4`.
    pub base_url: String,
    /// Application-restricted signed-JWT auth; `None` sends no `Authorization` (an open
    /// sandbox).
    pub auth: Option<SignedJwtConfig>,
    /// The service's rate limit; `None` = unlimited.
    pub rate_limit: Option<RateLimit>,
    /// Time allowed for one exchange (connect, send, read the answer).
    pub timeout: Duration,
    /// TLS trust (and client certificate) for `https` URLs.
    pub tls: TlsClientConfig,
    /// Mixed into stable request ids so two installations never collide.
    pub request_id_namespace: String,
}

impl ServiceConfig {
    /// No auth, no rate limit, 30 s timeout, system trust store.
    pub fn new(name: impl Into<String>, base_url: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            base_url: base_url.into(),
            auth: None,
            rate_limit: None,
            timeout: Duration::from_secs(30),
            tls: TlsClientConfig::default(),
            request_id_namespace: "junction".into(),
        }
    }
}

/// One request to a service.
#[derive(Debug, Clone)]
pub struct ApiRequest {
    /// The HTTP method.
    pub method: Method,
    /// Path and query under the base URL, starting with `/` (e.g. `/Patient/9000000009`).
    pub path: String,
    /// The service's own headers (`NHSD-End-User-Organisation-ODS`, `If-Match`, …).
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// Content type and body, if any.
    pub body: Option<(&'static str, Bytes)>,
    /// `X-Request-ID`: a delivery's [`ServiceClient::delivery_request_id`] (the same on every
    /// retry, so the service can de-duplicate) or a fresh [`new_request_id`].
    pub request_id: String,
    /// `X-Correlation-ID`: the journal id of the message this is about, when there is one.
    pub correlation_id: Option<String>,
}

impl ApiRequest {
    /// A GET with a fresh request id.
    pub fn get(path: impl Into<String>) -> Self {
        Self {
            method: Method::GET,
            path: path.into(),
            headers: Vec::new(),
            body: None,
            request_id: new_request_id(),
            correlation_id: None,
        }
    }

    /// A POST of `body` as `content_type`, with a fresh request id.
    pub fn post(path: impl Into<String>, content_type: &'static str, body: Bytes) -> Self {
        Self {
            method: Method::POST,
            path: path.into(),
            headers: Vec::new(),
            body: Some((content_type, body)),
            request_id: new_request_id(),
            correlation_id: None,
        }
    }

    /// Adds a header (a value that is not a valid header value is a programming error upstream
    /// and is dropped rather than sent).
    pub fn header(mut self, name: &'static str, value: &str) -> Self {
        if let Ok(v) = HeaderValue::from_str(value) {
            self.headers.push((HeaderName::from_static(name), v));
        }
        self
    }
}

/// A service's answer, read whole.
#[derive(Debug, Clone)]
pub struct ApiResponse {
    /// The status.
    pub status: StatusCode,
    /// The headers (`ETag`, `Retry-After`, `Content-Location`, …).
    pub headers: HeaderMap,
    /// The body.
    pub body: Bytes,
}

impl ApiResponse {
    /// The delivery outcome: 2xx delivered; 408, 429 and 5xx retry (after `Retry-After` if
    /// given); other statuses permanent with the OperationOutcome's code and display.
    pub fn outcome(&self) -> SendOutcome {
        http_client::judge(
            self.status,
            http_client::retry_after(&self.headers),
            &self.body,
        )
    }

    /// The body as JSON, if it is.
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// Why no answer came back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// Connecting, sending or reading failed.
    #[error("{service}: request failed: {reason}")]
    Transport {
        /// The service name.
        service: String,
        /// The transport error.
        reason: String,
    },
    /// No answer within the timeout.
    #[error("{service}: no answer within {ms} ms")]
    Timeout {
        /// The service name.
        service: String,
        /// The timeout.
        ms: u128,
    },
    /// No bearer token could be had.
    #[error("{service}: {source}")]
    Token {
        /// The service name.
        service: String,
        /// Why.
        source: TokenError,
    },
}

impl ApiError {
    /// Every failure to get an answer is worth retrying: the service or the token endpoint
    /// may be back later, and a config mistake shows up in the breaker and the error text.
    pub fn outcome(&self) -> SendOutcome {
        SendOutcome::retry(self.to_string())
    }
}

/// A fresh `X-Request-ID` (UUID v4), for requests that are not a delivery (polls, lookups).
pub fn new_request_id() -> String {
    Uuid::new_v4().to_string()
}

/// A client of one national service.
pub struct ServiceClient {
    config: ServiceConfig,
    base: String,
    client: HttpClient,
    tokens: Option<TokenCache>,
    bucket: Option<TokenBucket>,
    metrics: NationalMetrics,
}

impl ServiceClient {
    /// Builds the client; with auth, reads the private key now so a bad key is a start-up
    /// error, not a failed delivery.
    pub fn new(config: ServiceConfig) -> Result<Self, ConnectorError> {
        let client = http_client::build(&config.base_url, &config.tls)?;
        let tokens = match &config.auth {
            Some(auth) => Some(TokenCache::new(auth.clone(), &config.tls)?),
            None => None,
        };
        let bucket = config.rate_limit.map(TokenBucket::new);
        let base = config.base_url.trim_end_matches('/').to_string();
        Ok(Self {
            config,
            base,
            client,
            tokens,
            bucket,
            metrics: NationalMetrics::default(),
        })
    }

    /// Counts this client's token fetches and 429 answers in `metrics` (under its name),
    /// with the service's series created at zero.
    pub fn with_metrics(mut self, metrics: NationalMetrics) -> Self {
        metrics.add_service(&self.config.name);
        if let Some(tokens) = &mut self.tokens {
            tokens.observe(&self.config.name, metrics.clone());
        }
        self.metrics = metrics;
        self
    }

    /// The metrics this client counts in.
    pub fn metrics(&self) -> &NationalMetrics {
        &self.metrics
    }

    /// The service's name.
    pub fn name(&self) -> &str {
        &self.config.name
    }

    /// The `X-Request-ID` of a delivery: a UUID stable across retries of the same delivery.
    pub fn delivery_request_id(&self, delivery_id: i64) -> String {
        Uuid::new_v5(
            &JUNCTION_NAMESPACE,
            format!(
                "{}/{}/delivery/{delivery_id}",
                self.config.request_id_namespace, self.config.name
            )
            .as_bytes(),
        )
        .to_string()
    }

    /// Sends `req`: waits for the rate limit, attaches the bearer token, and on a 401 refreshes
    /// the token once and resends (the resend waits for the rate limit too: the platform counts
    /// every call).
    pub async fn send(&self, req: &ApiRequest) -> Result<ApiResponse, ApiError> {
        self.pace().await;
        let token = self.bearer().await?;
        let first = self.exchange(req, token.as_deref()).await?;
        let answer = match (&self.tokens, token) {
            (Some(tokens), Some(stale)) if first.status == StatusCode::UNAUTHORIZED => {
                tokens.invalidate(&stale).await;
                let fresh = self.bearer().await?;
                self.pace().await;
                self.exchange(req, fresh.as_deref()).await?
            }
            _ => first,
        };
        if answer.status == StatusCode::TOO_MANY_REQUESTS {
            self.metrics.rate_limited(&self.config.name);
        }
        Ok(answer)
    }

    async fn pace(&self) {
        if let Some(bucket) = &self.bucket {
            bucket.acquire().await;
        }
    }

    async fn bearer(&self) -> Result<Option<String>, ApiError> {
        match &self.tokens {
            None => Ok(None),
            Some(t) => t
                .bearer()
                .await
                .map(Some)
                .map_err(|source| ApiError::Token {
                    service: self.config.name.clone(),
                    source,
                }),
        }
    }

    async fn exchange(
        &self,
        req: &ApiRequest,
        token: Option<&str>,
    ) -> Result<ApiResponse, ApiError> {
        let mut builder = Request::builder()
            .method(req.method.clone())
            .uri(format!("{}{}", self.base, req.path))
            .header("x-request-id", &req.request_id);
        if let Some(id) = &req.correlation_id {
            builder = builder.header("x-correlation-id", id);
        }
        if let Some(token) = token {
            builder = builder.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        for (name, value) in &req.headers {
            builder = builder.header(name, value);
        }
        let body = match &req.body {
            Some((content_type, body)) => {
                builder = builder.header(header::CONTENT_TYPE, *content_type);
                body.clone()
            }
            None => Bytes::new(),
        };
        let request = builder
            .body(Full::new(body))
            .map_err(|e| ApiError::Transport {
                service: self.config.name.clone(),
                reason: format!("cannot build the request: {e}"),
            })?;
        let exchange = async {
            let res = self
                .client
                .request(request)
                .await
                .map_err(|e| http_client::transport_error(&e))?;
            let (parts, body) = res.into_parts();
            let body = Limited::new(body, MAX_ANSWER)
                .collect()
                .await
                .map_err(|e| format!("reading the answer: {e}"))?
                .to_bytes();
            Ok::<_, String>(ApiResponse {
                status: parts.status,
                headers: parts.headers,
                body,
            })
        };
        match tokio::time::timeout(self.config.timeout, exchange).await {
            Err(_) => Err(ApiError::Timeout {
                service: self.config.name.clone(),
                ms: self.config.timeout.as_millis(),
            }),
            Ok(Err(reason)) => Err(ApiError::Transport {
                service: self.config.name.clone(),
                reason,
            }),
            Ok(Ok(r)) => Ok(r),
        }
    }
}
