//! A small HTTP client for the gateway's HTTP listener (admin API, ingest, `/metrics`), plus
//! readers for the answers the tests look at: queue depths, message lists, metric samples.

use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

/// An answer: status, headers and body.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The status code.
    pub status: u16,
    /// Headers, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Bytes,
}

impl Answer {
    /// The body as JSON (panics when it is not).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body[..self.body.len().min(500)])
            )
        })
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Sends one request to `addr` (loopback) and reads the whole answer.
pub async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> Answer {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let mut req = Request::builder()
        .method(method)
        .uri(format!("http://{addr}{path}"));
    if let Some(ct) = content_type {
        req = req.header("content-type", ct);
    }
    let req = req.body(Full::new(Bytes::from(body))).expect("request");
    let res = client
        .request(req)
        .await
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
    let status = res.status().as_u16();
    let headers = res
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let body = res
        .into_body()
        .collect()
        .await
        .expect("read the answer")
        .to_bytes();
    Answer {
        status,
        headers,
        body,
    }
}

/// `GET path`.
pub async fn get(addr: SocketAddr, path: &str) -> Answer {
    request(addr, "GET", path, None, Vec::new()).await
}

/// `GET path`, expecting 200 and JSON.
pub async fn get_json(addr: SocketAddr, path: &str) -> Value {
    let res = get(addr, path).await;
    assert_eq!(res.status, 200, "GET {path}: {}", res.text());
    res.json()
}

/// `POST path` with a body of this content type.
pub async fn post(addr: SocketAddr, path: &str, content_type: &str, body: &[u8]) -> Answer {
    request(addr, "POST", path, Some(content_type), body.to_vec()).await
}

/// One destination's outbox depth from `/api/queues`: (pending, leased, dead). A destination
/// the API does not list has nothing undelivered.
pub async fn queue(http: SocketAddr, destination: &str) -> (u64, u64, u64) {
    let v = get_json(http, "/api/queues").await;
    v["queues"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|q| q["destination"] == destination)
        .map(|q| {
            let n = |k: &str| q[k].as_u64().unwrap_or(0);
            (n("pending"), n("leased"), n("dead"))
        })
        .unwrap_or((0, 0, 0))
}

/// Every message `/api/messages?{query}` lists, following `next` across pages.
pub async fn messages(http: SocketAddr, query: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut before: Option<i64> = None;
    loop {
        let mut path = "/api/messages?limit=500".to_owned();
        if !query.is_empty() {
            path = format!("{path}&{query}");
        }
        if let Some(b) = before {
            path = format!("{path}&before={b}");
        }
        let v = get_json(http, &path).await;
        out.extend(v["messages"].as_array().cloned().unwrap_or_default());
        match v["next"].as_i64() {
            Some(n) => before = Some(n),
            None => return out,
        }
    }
}

/// The `/metrics` text.
pub async fn metrics_text(http: SocketAddr) -> String {
    let res = get(http, "/metrics").await;
    assert_eq!(res.status, 200, "GET /metrics");
    res.text()
}

/// The sum of every sample of metric `name` whose labels include all of `labels` (0 when
/// there is none), read from Prometheus text.
pub fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (series, value) = l.rsplit_once(' ')?;
            let (metric, label_text) = match series.split_once('{') {
                Some((m, rest)) => (m, rest.trim_end_matches('}')),
                None => (series, ""),
            };
            if metric != name {
                return None;
            }
            let all = labels
                .iter()
                .all(|(k, v)| label_text.contains(&format!("{k}=\"{v}\"")));
            all.then(|| value.parse::<f64>().ok()).flatten()
        })
        .sum()
}

/// [`sample`] of the live `/metrics`.
pub async fn metric(http: SocketAddr, name: &str, labels: &[(&str, &str)]) -> f64 {
    sample(&metrics_text(http).await, name, labels)
}
