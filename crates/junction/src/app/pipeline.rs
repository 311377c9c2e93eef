//! The routing pipeline: takes journaled messages in order, decodes each with its source's
//! adapter, and routes the events (one store transaction per message, many per commit).
//! A message that fails to decode is recorded `failed` with the reason, never dropped.

use std::collections::HashMap;
use std::sync::Arc;

use futures_util::future::join_all;
use junction_adapters::{Adapter, Inbound};
use junction_router::{RouteWith, Router, Wakers, route_message};
use junction_store::{RouteOutcome, Store, StoredMessage};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::app::clock::now_ms;
use crate::app::payloads::DestinationPayloads;
use crate::app::steps::{self, Steps};

/// How many journaled messages one pass takes.
const BATCH: usize = 256;

/// Called with (source, outcome) after each message is routed, filtered or failed.
pub type OnRouted = Arc<dyn Fn(&str, &'static str) + Send + Sync>;

/// Everything the pipeline needs.
pub struct Pipeline<S> {
    pub store: Arc<S>,
    /// Adapter per source name.
    pub adapters: HashMap<String, Arc<dyn Adapter>>,
    pub router: Arc<Router>,
    /// The routing steps routes may name.
    pub steps: Steps,
    /// What each destination is sent.
    pub payloads: Arc<DestinationPayloads>,
    pub wakers: Wakers,
    /// Woken by the ingest after each new message.
    pub wake: Arc<Notify>,
    /// Counts routing outcomes for `/metrics`.
    pub on_routed: OnRouted,
}

impl<S: Store> Pipeline<S> {
    /// Routes until cancelled. Messages journaled before a crash are picked up on start.
    pub async fn run(self, shutdown: CancellationToken) {
        loop {
            let batch = match self.store.unrouted(BATCH).await {
                Ok(b) => b,
                Err(e) => {
                    tracing::error!(error = %e, "reading unrouted messages failed");
                    Vec::new()
                }
            };
            if batch.is_empty() {
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    () = self.wake.notified() => continue,
                    // A fallback so a lost wake or a store hiccup never stalls routing for long.
                    () = tokio::time::sleep(std::time::Duration::from_secs(1)) => continue,
                }
            }
            // Decode all, then route all at once so the store commits them together.
            join_all(batch.iter().map(|m| self.route_one(m))).await;
            if shutdown.is_cancelled() {
                return;
            }
        }
    }

    async fn route_one(&self, msg: &StoredMessage) {
        let id = msg.summary.id;
        let source = msg.summary.source.as_str();
        let now = now_ms();
        let Some(adapter) = self.adapters.get(source) else {
            let reason = format!("no adapter configured for source `{source}`");
            self.record(id, source, RouteOutcome::Failed { reason }, now, "failed")
                .await;
            return;
        };
        let received_at = junction_hl7v2::ts::format_instant_millis(msg.summary.received_at);
        let correlation_id = id.0.to_string();
        let inbound = Inbound {
            bytes: &msg.raw,
            source,
            received_at: &received_at,
            correlation_id: &correlation_id,
            content_type: Some(msg.summary.content_type.as_str()),
        };
        match adapter.decode(&inbound) {
            Ok(mut events) => {
                for event in &mut events {
                    let names = self.router.steps_for(source, event);
                    if !names.is_empty() {
                        steps::run(&self.steps, &names, event).await;
                    }
                }
                let payloads = self.payloads.for_message(&msg.raw);
                let with = RouteWith {
                    store: &*self.store,
                    wakers: &self.wakers,
                    router: &self.router,
                    payloads: &payloads,
                };
                match route_message(&with, id, source, &events, now).await {
                    Ok(routing) => {
                        let outcome = if routing.is_filtered() {
                            "filtered"
                        } else {
                            "routed"
                        };
                        (self.on_routed)(source, outcome);
                    }
                    // Another node of the cluster routed it first (PostgreSQL store).
                    Err(junction_store::StoreError::InvalidState { .. }) => {}
                    Err(e) => {
                        tracing::error!(message = id.0, error = %e, "routing failed; will retry")
                    }
                }
            }
            Err(e) => {
                tracing::warn!(message = id.0, source, error = %e, "message could not be decoded");
                self.record(
                    id,
                    source,
                    RouteOutcome::Failed {
                        reason: e.to_string(),
                    },
                    now,
                    "failed",
                )
                .await;
            }
        }
    }

    async fn record(
        &self,
        id: junction_store::MessageId,
        source: &str,
        outcome: RouteOutcome,
        now: i64,
        label: &'static str,
    ) {
        match self.store.route(id, outcome, now).await {
            Ok(()) => (self.on_routed)(source, label),
            Err(junction_store::StoreError::InvalidState { .. }) => {}
            Err(e) => {
                tracing::error!(message = id.0, error = %e, "recording outcome failed; will retry")
            }
        }
    }
}
