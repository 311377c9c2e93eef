//! The dispatchers' observer: outcomes and breaker states into the Prometheus metrics.

use std::time::Duration;

use junction_router::{BreakerState, DispatchObserver};

use crate::telemetry::{DeliveryOutcome, Metrics};

/// Feeds dispatch outcomes to `/metrics`.
pub struct MetricsObserver(pub Metrics);

impl DispatchObserver for MetricsObserver {
    fn delivered(&self, destination: &str, latency: Duration) {
        self.0.delivery(destination, DeliveryOutcome::Delivered);
        self.0.delivery_latency(destination, latency);
    }

    fn retried(&self, destination: &str) {
        self.0.delivery(destination, DeliveryOutcome::Retried);
    }

    fn dead(&self, destination: &str) {
        self.0.delivery(destination, DeliveryOutcome::Dead);
    }

    fn breaker(&self, destination: &str, state: BreakerState) {
        self.0.breaker(destination, state != BreakerState::Closed);
        if state == BreakerState::Open {
            tracing::warn!(destination, "circuit breaker open: pausing deliveries");
        }
    }
}
