//! Every metric of the gateway's core, named in one place ([`NAMES`]) and registered into the
//! caller's `prometheus::Registry`. The connectors crate names the per-source and per-sink
//! metrics in its own `metrics.rs`; both register into the same registry.
//!
//! Label values are names from config (sources, destinations), fixed outcome sets and the
//! build version: never anything read from a message.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use junction_store::{MessageStatus, QueueDepth, Store, StoreError, StoreObserver};
use prometheus::{
    Gauge, GaugeVec, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec,
    IntGaugeVec, Opts, Registry,
};

/// Deliveries by outcome: `{destination, outcome}`.
pub const DELIVERIES_TOTAL: &str = "junction_deliveries_total";
/// Seconds from routing to delivered: `{destination}`.
pub const DELIVERY_LATENCY_SECONDS: &str = "junction_delivery_latency_seconds";
/// Outbox deliveries by state: `{destination, state}`.
pub const QUEUE_DEPTH: &str = "junction_queue_depth";
/// Age of the oldest undelivered delivery: `{destination}`.
pub const QUEUE_OLDEST_AGE_SECONDS: &str = "junction_queue_oldest_age_seconds";
/// 1 while a destination's circuit breaker is open: `{destination}`.
pub const BREAKER_OPEN: &str = "junction_breaker_open";
/// Store write transaction latency.
pub const STORE_COMMIT_SECONDS: &str = "junction_store_commit_seconds";
/// Requests per store write transaction.
pub const STORE_COMMIT_BATCH_SIZE: &str = "junction_store_commit_batch_size";
/// Store write transactions that failed.
pub const STORE_COMMIT_FAILURES_TOTAL: &str = "junction_store_commit_failures_total";
/// Messages by routing outcome: `{source, outcome}`.
pub const MESSAGES_ROUTED_TOTAL: &str = "junction_messages_routed_total";
/// The statuses routing records: the values of [`MESSAGES_ROUTED_TOTAL`]'s `outcome` label.
pub const ROUTING_OUTCOMES: [MessageStatus; 3] = [
    MessageStatus::Routed,
    MessageStatus::Filtered,
    MessageStatus::Failed,
];
/// Always 1: `{version}`.
pub const BUILD_INFO: &str = "junction_build_info";

/// Every metric name defined here.
#[allow(dead_code)] // read by tests that check /metrics exposes every name
pub const NAMES: &[&str] = &[
    DELIVERIES_TOTAL,
    DELIVERY_LATENCY_SECONDS,
    QUEUE_DEPTH,
    QUEUE_OLDEST_AGE_SECONDS,
    BREAKER_OPEN,
    STORE_COMMIT_SECONDS,
    STORE_COMMIT_BATCH_SIZE,
    STORE_COMMIT_FAILURES_TOTAL,
    MESSAGES_ROUTED_TOTAL,
    BUILD_INFO,
];

const LATENCY_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0,
];
const COMMIT_BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
];
const BATCH_BUCKETS: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0];
const QUEUE_STATES: [&str; 3] = ["pending", "leased", "dead"];

/// A delivery attempt's outcome (the `outcome` label of [`DELIVERIES_TOTAL`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// Sent and acknowledged.
    Delivered,
    /// Failed; will be tried again.
    Retried,
    /// Given up on.
    Dead,
}

impl DeliveryOutcome {
    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryOutcome::Delivered => "delivered",
            DeliveryOutcome::Retried => "retried",
            DeliveryOutcome::Dead => "dead",
        }
    }
}

/// Handles to every core metric. Cheap to clone; create once per registry.
#[derive(Debug, Clone)]
pub struct Metrics {
    deliveries: IntCounterVec,
    delivery_latency: HistogramVec,
    queue_depth: IntGaugeVec,
    queue_oldest_age: GaugeVec,
    breaker_open: IntGaugeVec,
    routed: IntCounterVec,
    store: StoreMetrics,
    /// Destinations whose queue gauges exist, so a drained queue reads 0 rather than vanishing.
    queues: Arc<Mutex<BTreeSet<String>>>,
}

impl Metrics {
    /// Creates the metrics and registers them in `registry` (once per registry), with
    /// [`BUILD_INFO`] set for `version`.
    pub fn new(registry: &Registry, version: &str) -> Result<Self, prometheus::Error> {
        fn reg<C: prometheus::core::Collector + Clone + 'static>(
            registry: &Registry,
            c: C,
        ) -> Result<C, prometheus::Error> {
            registry.register(Box::new(c.clone()))?;
            Ok(c)
        }
        let histogram = |name: &str, help: &str, buckets: &[f64]| {
            HistogramOpts::new(name, help).buckets(buckets.to_vec())
        };
        let build_info = reg(
            registry,
            IntGaugeVec::new(
                Opts::new(BUILD_INFO, "Build of the running gateway."),
                &["version"],
            )?,
        )?;
        build_info.with_label_values(&[version]).set(1);
        let store = StoreMetrics {
            commit: reg(
                registry,
                Histogram::with_opts(histogram(
                    STORE_COMMIT_SECONDS,
                    "Time of one store write transaction, seconds.",
                    COMMIT_BUCKETS,
                ))?,
            )?,
            batch: reg(
                registry,
                Histogram::with_opts(histogram(
                    STORE_COMMIT_BATCH_SIZE,
                    "Requests group-committed in one store write transaction.",
                    BATCH_BUCKETS,
                ))?,
            )?,
            failures: reg(
                registry,
                IntCounter::new(
                    STORE_COMMIT_FAILURES_TOTAL,
                    "Store write transactions that failed.",
                )?,
            )?,
        };
        Ok(Metrics {
            deliveries: reg(
                registry,
                IntCounterVec::new(
                    Opts::new(DELIVERIES_TOTAL, "Delivery attempts by outcome."),
                    &["destination", "outcome"],
                )?,
            )?,
            delivery_latency: reg(
                registry,
                HistogramVec::new(
                    histogram(
                        DELIVERY_LATENCY_SECONDS,
                        "Time from routing to delivered, seconds.",
                        LATENCY_BUCKETS,
                    ),
                    &["destination"],
                )?,
            )?,
            queue_depth: reg(
                registry,
                IntGaugeVec::new(
                    Opts::new(
                        QUEUE_DEPTH,
                        "Outbox deliveries not yet delivered, by state.",
                    ),
                    &["destination", "state"],
                )?,
            )?,
            queue_oldest_age: reg(
                registry,
                GaugeVec::new(
                    Opts::new(
                        QUEUE_OLDEST_AGE_SECONDS,
                        "Age of the oldest pending or leased delivery, seconds.",
                    ),
                    &["destination"],
                )?,
            )?,
            breaker_open: reg(
                registry,
                IntGaugeVec::new(
                    Opts::new(
                        BREAKER_OPEN,
                        "1 while the destination's circuit breaker is open.",
                    ),
                    &["destination"],
                )?,
            )?,
            routed: reg(
                registry,
                IntCounterVec::new(
                    Opts::new(MESSAGES_ROUTED_TOTAL, "Messages by routing outcome."),
                    &["source", "outcome"],
                )?,
            )?,
            store,
            queues: Arc::new(Mutex::new(BTreeSet::new())),
        })
    }

    /// Creates every per-destination series at zero, so dashboards and alerts see the
    /// destination before its first delivery. Call once per configured destination.
    pub fn add_destination(&self, name: &str) {
        for outcome in [
            DeliveryOutcome::Delivered,
            DeliveryOutcome::Retried,
            DeliveryOutcome::Dead,
        ] {
            self.deliveries.with_label_values(&[name, outcome.as_str()]);
        }
        self.delivery_latency.with_label_values(&[name]);
        self.breaker_open.with_label_values(&[name]).set(0);
        self.zero_queue(name);
        self.known_queues().insert(name.to_owned());
    }

    /// Creates the per-source routing series at zero. Call once per configured source.
    pub fn add_source(&self, name: &str) {
        for outcome in ROUTING_OUTCOMES {
            self.routed.with_label_values(&[name, outcome.as_str()]);
        }
    }

    /// Counts one delivery attempt's outcome.
    pub fn delivery(&self, destination: &str, outcome: DeliveryOutcome) {
        self.deliveries
            .with_label_values(&[destination, outcome.as_str()])
            .inc();
    }

    /// Records the time from routing to delivered of one delivery.
    pub fn delivery_latency(&self, destination: &str, elapsed: Duration) {
        self.delivery_latency
            .with_label_values(&[destination])
            .observe(elapsed.as_secs_f64());
    }

    /// Sets whether a destination's circuit breaker is open.
    pub fn breaker(&self, destination: &str, open: bool) {
        self.breaker_open
            .with_label_values(&[destination])
            .set(i64::from(open));
    }

    /// Counts one message's routing outcome: the status routing recorded (one of
    /// [`ROUTING_OUTCOMES`], the `outcome` label of [`MESSAGES_ROUTED_TOTAL`]).
    pub fn routed(&self, source: &str, outcome: MessageStatus) {
        self.routed
            .with_label_values(&[source, outcome.as_str()])
            .inc();
    }

    /// The store observer feeding the commit histograms; pass it in `StoreOptions::observer`.
    pub fn store_observer(&self) -> Arc<dyn StoreObserver> {
        Arc::new(self.store.clone())
    }

    /// Sets the queue gauges from `depths`; destinations seen before but absent now (fully
    /// delivered) read zero.
    pub fn set_queue_depths(&self, depths: &[QueueDepth]) {
        let mut known = self.known_queues();
        for name in known.iter() {
            if !depths.iter().any(|d| &d.destination == name) {
                self.zero_queue(name);
            }
        }
        for d in depths {
            let name = d.destination.as_str();
            for (state, n) in QUEUE_STATES.into_iter().zip([d.pending, d.leased, d.dead]) {
                self.queue_depth
                    .with_label_values(&[name, state])
                    .set(i64::try_from(n).unwrap_or(i64::MAX));
            }
            let age = d.oldest_pending_age_ms as f64 / 1000.0;
            self.queue_oldest_age.with_label_values(&[name]).set(age);
            known.insert(d.destination.clone());
        }
    }

    /// Reads queue depths from `store` (at `now`, unix ms) into the gauges.
    pub async fn refresh_queues<S: Store>(&self, store: &S, now: i64) -> Result<(), StoreError> {
        let depths = store.queue_depths(now).await?;
        self.set_queue_depths(&depths);
        Ok(())
    }

    fn zero_queue(&self, name: &str) {
        for state in QUEUE_STATES {
            self.queue_depth.with_label_values(&[name, state]).set(0);
        }
        let age: Gauge = self.queue_oldest_age.with_label_values(&[name]);
        age.set(0.0);
    }

    fn known_queues(&self) -> std::sync::MutexGuard<'_, BTreeSet<String>> {
        self.queues.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Feeds the store's commit histograms; see [`Metrics::store_observer`].
#[derive(Debug, Clone)]
pub struct StoreMetrics {
    commit: Histogram,
    batch: Histogram,
    failures: IntCounter,
}

impl StoreObserver for StoreMetrics {
    fn commit(&self, batch_size: usize, elapsed: Duration, ok: bool) {
        self.commit.observe(elapsed.as_secs_f64());
        self.batch.observe(batch_size as f64);
        if !ok {
            self.failures.inc();
        }
    }
}
