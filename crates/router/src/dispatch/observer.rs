//! Dispatch metrics hooks: the binary implements [`DispatchObserver`] with its metric
//! definitions; this crate knows no metrics library. Labels are destination names only.

use std::time::Duration;

use super::BreakerState;

/// Told about every delivery outcome and breaker change. Called on the dispatcher's tasks:
/// keep it cheap and non-blocking.
pub trait DispatchObserver: Send + Sync + 'static {
    /// A delivery was accepted; `latency` is the successful send's duration.
    fn delivered(&self, destination: &str, latency: Duration);
    /// A send failed and the delivery will be tried again.
    fn retried(&self, destination: &str);
    /// A delivery went dead (permanent failure or attempts exhausted).
    fn dead(&self, destination: &str);
    /// The destination's circuit breaker moved to `state` (also called once at start).
    fn breaker(&self, destination: &str, state: BreakerState);
}

/// An observer that ignores everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoopDispatchObserver;

impl DispatchObserver for NoopDispatchObserver {
    fn delivered(&self, _destination: &str, _latency: Duration) {}
    fn retried(&self, _destination: &str) {}
    fn dead(&self, _destination: &str) {}
    fn breaker(&self, _destination: &str, _state: BreakerState) {}
}
