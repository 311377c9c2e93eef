//! The `Sink` contract the dispatcher calls for each leased delivery; the sinks themselves
//! (FHIR over HTTP, MLLP, MESH, …) live in `junction-connectors`.

use std::future::Future;
use std::time::Duration;

use junction_store::Delivery;

/// What a sink reports for one send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    /// The destination accepted it.
    Delivered,
    /// A transient failure (connection refused, timeout, 5xx, 429): try again later. Counts
    /// against the destination's circuit breaker.
    Retry {
        /// What went wrong, without message content or patient data.
        error: String,
        /// How long the destination asked us to wait (HTTP `Retry-After`): the next attempt
        /// is no sooner than this, whatever the backoff says.
        retry_after: Option<Duration>,
    },
    /// The destination refused it for good (a 4xx other than 408/429, an HL7 `AR`/`AE` that
    /// will not change): dead at once, visible and replayable. Does not open the breaker:
    /// the destination is up and answering.
    Permanent {
        /// Why, without message content or patient data.
        error: String,
    },
}

impl SendOutcome {
    /// A retry with no `Retry-After`.
    pub fn retry(error: impl Into<String>) -> Self {
        Self::Retry {
            error: error.into(),
            retry_after: None,
        }
    }
}

/// A destination's sender.
///
/// **Idempotency:** [`Delivery::id`] is stable across retries, lease expiries, restarts and
/// operator replays, and a delivery may be sent more than once (at-least-once: a crash after
/// the send but before the outcome is recorded sends it again). A sink must therefore derive
/// its idempotency key from it: HTTP `X-Request-ID`, MESH local id, HL7 MSH-10 (e.g.
/// `JN{destination}-{id}` trimmed to the field's length), so the destination can drop the
/// duplicate.
///
/// A send should finish within the dispatcher's `send_timeout`; one that does not is
/// abandoned and retried.
pub trait Sink: Send + Sync + 'static {
    /// Sends one delivery. Implementations may simply write `async fn send(..)`.
    fn send(&self, delivery: &Delivery) -> impl Future<Output = SendOutcome> + Send;
}
