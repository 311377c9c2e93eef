//! Load generator helper: an in-process FHIR server stand-in on 127.0.0.1:0 that reads each
//! request body, answers 201 at once and counts what it received.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use tokio::net::TcpListener;

/// Counters shared with the handler.
#[derive(Debug, Default)]
pub struct SinkCounts {
    /// Requests answered.
    pub requests: AtomicU64,
    /// Request body bytes received.
    pub bytes: AtomicU64,
}

/// The running sink.
pub struct HttpSink {
    /// Where it listens.
    pub addr: SocketAddr,
    /// What it has received.
    pub counts: Arc<SinkCounts>,
}

impl HttpSink {
    /// Binds 127.0.0.1:0 and serves every path and method on the current runtime.
    pub async fn start() -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let counts = Arc::new(SinkCounts::default());
        let app = Router::new().fallback(accept).with_state(counts.clone());
        tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                eprintln!("loadgen: HTTP sink stopped: {e}");
            }
        });
        Ok(Self { addr, counts })
    }

    /// Requests answered so far.
    pub fn requests(&self) -> u64 {
        self.counts.requests.load(Ordering::Relaxed)
    }

    /// Waits until `target` requests have been answered or `limit` passes; true if reached.
    pub async fn wait_for(&self, target: u64, limit: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + limit;
        while self.requests() < target {
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        true
    }
}

async fn accept(State(counts): State<Arc<SinkCounts>>, body: Bytes) -> (StatusCode, &'static str) {
    counts.bytes.fetch_add(body.len() as u64, Ordering::Relaxed);
    counts.requests.fetch_add(1, Ordering::Relaxed);
    (StatusCode::CREATED, "")
}
