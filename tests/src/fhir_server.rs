//! A recording FHIR server for the end-to-end tests: answers every request on loopback with a
//! status the test chooses (201 by default) and records what came in (method, path, headers,
//! `X-Request-ID`, JSON body, the status it answered). It can be stopped hard (listener and every
//! open connection dropped, so the gateway sees connection refused) and started again on the
//! same port. Tests wait on its arrivals through a watch channel, not by polling.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// `POST`, `PUT`, …
    pub method: String,
    /// The path, e.g. `/fhir/$process-message`.
    pub path: String,
    /// The `X-Request-ID` header.
    pub request_id: Option<String>,
    /// Every header, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// The body as JSON (`Null` when it was not JSON).
    pub body: Value,
    /// The status the server answered.
    pub status: u16,
}

impl Recorded {
    /// Whether the server accepted it (2xx).
    pub fn accepted(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The resources of the bundle (or the body itself when it is one resource).
    pub fn resources(&self) -> Vec<&Value> {
        match self.body["entry"].as_array() {
            Some(entries) => entries.iter().map(|e| &e["resource"]).collect(),
            None => vec![&self.body],
        }
    }

    /// The NHS number of the bundle's Patient, if any.
    pub fn nhs_number(&self) -> Option<String> {
        self.resources()
            .into_iter()
            .filter(|r| r["resourceType"] == "Patient")
            .flat_map(|r| r["identifier"].as_array().cloned().unwrap_or_default())
            .find(|i| i["system"] == "https://fhir.nhs.uk/Id/nhs-number")
            .and_then(|i| i["value"].as_str().map(str::to_owned))
    }

    /// The visit number of the bundle's Encounter (PV1-19), if any. The kit's messages carry
    /// `V<MSH-10>` there, which ties a delivery back to the message it came from.
    pub fn visit_number(&self) -> Option<String> {
        self.resources()
            .into_iter()
            .filter(|r| r["resourceType"] == "Encounter")
            .flat_map(|r| r["identifier"].as_array().cloned().unwrap_or_default())
            .filter_map(|i| i["value"].as_str().map(str::to_owned))
            .find(|v| v.starts_with('V'))
    }

    /// The MSH-10 of the message this delivery came from (see [`Recorded::visit_number`]).
    pub fn control_id(&self) -> Option<String> {
        self.visit_number().map(|v| v[1..].to_owned())
    }
}

struct Shared {
    status: AtomicU16,
    log: Mutex<Vec<Recorded>>,
    arrivals: watch::Sender<usize>,
}

/// A running (or stopped) recording FHIR server.
pub struct FhirServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: Option<JoinHandle<()>>,
}

impl FhirServer {
    /// Binds 127.0.0.1 on a free port and serves.
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind FHIR server");
        let addr = listener.local_addr().expect("FHIR server address");
        let (arrivals, _) = watch::channel(0);
        let shared = Arc::new(Shared {
            status: AtomicU16::new(201),
            log: Mutex::new(Vec::new()),
            arrivals,
        });
        let task = Some(tokio::spawn(serve(listener, shared.clone())));
        Self { addr, shared, task }
    }

    /// Its base URL, for a `fhir_http` destination.
    pub fn base_url(&self) -> String {
        format!("http://{}/fhir", self.addr)
    }

    /// Its address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Answers every later request with `status` (201 until told otherwise).
    pub fn answer_with(&self, status: u16) {
        self.shared.status.store(status, Ordering::SeqCst);
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.log.lock().expect("log").clone()
    }

    /// The accepted (2xx) requests so far, in arrival order.
    pub fn accepted(&self) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| r.accepted())
            .collect()
    }

    /// Waits until `done` holds for the requests so far, woken by each arrival; panics after
    /// `timeout` naming `what`.
    pub async fn wait_for(
        &self,
        timeout: Duration,
        what: &str,
        done: impl Fn(&[Recorded]) -> bool,
    ) -> Vec<Recorded> {
        let mut rx = self.shared.arrivals.subscribe();
        let wait = async {
            loop {
                {
                    let log = self.shared.log.lock().expect("log");
                    if done(&log) {
                        return log.clone();
                    }
                }
                rx.changed().await.expect("FHIR server state dropped");
            }
        };
        match tokio::time::timeout(timeout, wait).await {
            Ok(log) => log,
            Err(_) => panic!(
                "FHIR server: timed out after {timeout:?} waiting for {what} ({} requests so far)",
                self.shared.log.lock().expect("log").len()
            ),
        }
    }

    /// Stops hard: the listener and every open connection are dropped, so new connections are
    /// refused and pooled ones are reset. The port stays free for [`FhirServer::restart`].
    pub async fn stop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
            let _ = task.await;
        }
    }

    /// Serves again on the same port.
    pub async fn restart(&mut self) {
        self.stop().await;
        let listener = TcpListener::bind(self.addr)
            .await
            .expect("re-bind the FHIR server's port");
        self.task = Some(tokio::spawn(serve(listener, self.shared.clone())));
    }
}

impl Drop for FhirServer {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// Accepts until aborted; aborting drops the connection set, which aborts every connection.
async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            res = listener.accept() => {
                let Ok((stream, _)) = res else { continue };
                let shared = shared.clone();
                conns.spawn(async move {
                    let service = service_fn(move |req| handle(req, shared.clone()));
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
}

async fn handle(
    req: Request<Incoming>,
    shared: Arc<Shared>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let method = req.method().to_string();
    let path = req.uri().path().to_owned();
    let headers: Vec<(String, String)> = req
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let request_id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = match req.into_body().collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => Bytes::new(),
    };
    let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let status = shared.status.load(Ordering::SeqCst);
    {
        let mut log = shared.log.lock().expect("log");
        log.push(Recorded {
            method,
            path,
            request_id,
            headers,
            body,
            status,
        });
        let n = log.len();
        shared.arrivals.send_replace(n);
    }
    let answer = if (200..300).contains(&status) {
        r#"{"resourceType":"Bundle","type":"batch-response"}"#
    } else {
        r#"{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"transient","diagnostics":"test server told to fail"}]}"#
    };
    let res = Response::builder()
        .status(status)
        .header("content-type", "application/fhir+json")
        .body(Full::new(Bytes::from_static(answer.as_bytes())))
        .expect("response");
    Ok(res)
}
