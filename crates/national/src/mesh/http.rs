//! The one HTTP exchange every MESH call makes: a fresh `NHSMESH` token, the v2 `Accept`,
//! `Accept-Encoding: gzip` (MESH then hands compressed chunks over as stored), the body sent
//! whole, the answer read whole within the timeout. Non-2xx answers become [`MeshError`].

use bytes::Bytes;
use http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::{BodyExt, Full, Limited};
use junction_connectors::http_client::{self, HttpClient};

use super::chunk::MAX_REQUEST_SIZE;
use super::{MeshConfig, MeshError};

/// `Accept` for MESH API version 2.
pub const ACCEPT_V2: &str = "application/vnd.mesh.v2+json";
/// Most of one answer we read: a chunk (at most 100 MB) and its framing.
const MAX_ANSWER: usize = MAX_REQUEST_SIZE + 1024 * 1024;

/// One answer, read whole.
#[derive(Debug)]
pub(crate) struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Answer {
    /// The header's value as text, if present and readable.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body as JSON.
    pub fn json(&self, operation: &'static str) -> Result<serde_json::Value, MeshError> {
        serde_json::from_slice(&self.body).map_err(|e| MeshError::Protocol {
            operation,
            reason: format!("answer is not JSON: {e}"),
        })
    }
}

/// One request: what it is for (for errors), method, path under the base URL, extra
/// headers and body.
pub(crate) struct Call<'a> {
    pub operation: &'static str,
    pub method: Method,
    pub path: &'a str,
    pub headers: &'a [(&'a str, String)],
    pub body: Option<Bytes>,
}

/// Sends one request and returns the answer; a non-2xx answer is a [`MeshError`].
pub(crate) async fn exchange(
    client: &HttpClient,
    config: &MeshConfig,
    base: &str,
    call: Call<'_>,
) -> Result<Answer, MeshError> {
    let Call {
        operation,
        method,
        path,
        headers,
        body,
    } = call;
    let mut builder = Request::builder()
        .method(method)
        .uri(format!("{base}{path}"))
        .header(header::ACCEPT, ACCEPT_V2)
        .header(header::ACCEPT_ENCODING, "gzip")
        .header(header::USER_AGENT, &config.client_version)
        .header(header::AUTHORIZATION, config.credentials.header());
    for (name, value) in headers {
        builder = builder.header(*name, value.as_str());
    }
    let request = builder
        .body(Full::new(body.unwrap_or_default()))
        .map_err(|e| MeshError::Protocol {
            operation,
            reason: format!("cannot build the request: {e}"),
        })?;
    let call = async {
        let res = client
            .request(request)
            .await
            .map_err(|e| MeshError::Transport(http_client::transport_error(&e)))?;
        let (parts, body) = res.into_parts();
        let body = Limited::new(body, MAX_ANSWER)
            .collect()
            .await
            .map_err(|e| MeshError::Transport(format!("reading the answer: {e}")))?
            .to_bytes();
        Ok::<_, MeshError>(Answer {
            status: parts.status,
            headers: parts.headers,
            body,
        })
    };
    let answer = tokio::time::timeout(config.timeout, call)
        .await
        .map_err(|_| MeshError::Timeout {
            ms: config.timeout.as_millis(),
        })??;
    if answer.status.is_success() {
        Ok(answer)
    } else {
        Err(MeshError::from_answer(
            operation,
            answer.status,
            &answer.headers,
            &answer.body,
        ))
    }
}
