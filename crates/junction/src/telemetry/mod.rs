//! Telemetry: the core metric definitions ([`metrics`]), logging setup ([`logging`]), and the
//! operational HTTP routes: `GET /metrics` (Prometheus text), `GET /healthz` (200 while the
//! process runs) and `GET /readyz` (200 once the store answers and every listener is bound).

pub mod logging;
pub mod metrics;
mod readiness;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use junction_store::{MessageFilter, Store};
use prometheus::{Encoder, Registry, TextEncoder};
use serde_json::json;

pub use logging::{LogFormat, init as init_logging};
#[allow(unused_imports)] // the module's surface; tests and later commands use all of it
pub use metrics::{DeliveryOutcome, Metrics, StoreMetrics};
pub use readiness::Readiness;

/// How long `/readyz` and a scrape wait for the store before giving up on it.
pub const STORE_PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// What the telemetry routes share.
pub struct TelemetryState<S> {
    /// Everything `/metrics` exposes (core and connector metrics alike).
    pub registry: Registry,
    /// The core metrics, whose queue gauges are refreshed on each scrape.
    pub metrics: Metrics,
    /// Probed by `/readyz`, read for queue depths.
    pub store: S,
    /// Listener readiness.
    pub readiness: Readiness,
}

impl<S> fmt::Debug for TelemetryState<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TelemetryState")
            .field("readiness", &self.readiness)
            .finish_non_exhaustive()
    }
}

/// `/metrics`, `/healthz` and `/readyz`; merge it with the other HTTP routes.
pub fn router<S: Store>(state: TelemetryState<S>) -> Router {
    Router::new()
        .route("/metrics", get(metrics_text::<S>))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz::<S>))
        .with_state(Arc::new(state))
}

/// Now as unix ms, the store's unit of time.
fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

async fn healthz() -> &'static str {
    "ok"
}

async fn metrics_text<S: Store>(State(state): State<Arc<TelemetryState<S>>>) -> Response {
    let now = now_ms();
    match tokio::time::timeout(
        STORE_PROBE_TIMEOUT,
        state.metrics.refresh_queues(&state.store, now),
    )
    .await
    {
        Ok(Ok(())) => {}
        // The scrape still answers, with the last known depths.
        Ok(Err(err)) => tracing::warn!(error = %err, "metrics: queue depths not refreshed"),
        Err(_) => tracing::warn!("metrics: queue depths not refreshed: store timed out"),
    }
    let encoder = TextEncoder::new();
    match encoder.encode_to_string(&state.registry.gather()) {
        Ok(text) => ([(CONTENT_TYPE, encoder.format_type().to_owned())], text).into_response(),
        Err(err) => {
            tracing::error!(error = %err, "metrics: encoding failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

async fn readyz<S: Store>(State(state): State<Arc<TelemetryState<S>>>) -> Response {
    let mut not_ready: Vec<String> = state
        .readiness
        .unbound()
        .into_iter()
        .map(|name| format!("listener {name} not bound"))
        .collect();
    // A cheap query: the newest message's metadata, through the read pool.
    let probe = MessageFilter {
        limit: 1,
        ..MessageFilter::default()
    };
    match tokio::time::timeout(STORE_PROBE_TIMEOUT, state.store.list_messages(probe)).await {
        Ok(Ok(_)) => {}
        Ok(Err(err)) => not_ready.push(format!("store: {err}")),
        Err(_) => not_ready.push("store: timed out".to_owned()),
    }
    if not_ready.is_empty() {
        (StatusCode::OK, Json(json!({ "ready": true }))).into_response()
    } else {
        let body = json!({ "ready": false, "not_ready": not_ready });
        (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response()
    }
}
