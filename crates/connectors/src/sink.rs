//! The sink side of the boundary: one [`OutboundDelivery`] in, one [`SendOutcome`] out. The
//! router's dispatcher calls [`Sink::send`] and records the outcome (the router crate has a
//! near-identical trait; they are to be unified).

use std::future::Future;
use std::time::Duration;

/// One delivery of one event to one destination.
#[derive(Clone, PartialEq, Eq)]
pub struct OutboundDelivery {
    /// The outbox id: stable across retries, so it keys idempotency at the destination.
    pub id: i64,
    /// The destination's name from config.
    pub destination: String,
    /// The event JSON (or, for HL7 v2 destinations, the message text).
    pub payload: String,
    /// The journal id of the message the event came from.
    pub message_id: i64,
}

/// `Debug` leaves out the payload.
impl std::fmt::Debug for OutboundDelivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutboundDelivery")
            .field("id", &self.id)
            .field("destination", &self.destination)
            .field("payload_len", &self.payload.len())
            .field("message_id", &self.message_id)
            .finish()
    }
}

/// What happened to one send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    /// The destination has it.
    Delivered,
    /// It may work later (outage, timeout, throttling): back off and resend the same delivery.
    Retry {
        /// What went wrong (never payload content).
        error: String,
        /// How long the destination asked us to wait (HTTP `Retry-After`), if it said.
        retry_after: Option<Duration>,
    },
    /// Resending the same delivery will not help: dead-letter it.
    Permanent {
        /// What went wrong: status and the destination's diagnostics (never our payload).
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

    /// A permanent failure.
    pub fn permanent(error: impl Into<String>) -> Self {
        Self::Permanent {
            error: error.into(),
        }
    }

    /// Every [`Self::label`], for series created at zero.
    pub const LABELS: [&'static str; 3] = ["delivered", "retry", "permanent"];

    /// The `outcome` label of `junction_sink_sends_total`.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Delivered => "delivered",
            Self::Retry { .. } => "retry",
            Self::Permanent { .. } => "permanent",
        }
    }
}

/// Something that delivers events to one kind of destination.
pub trait Sink: Send + Sync + 'static {
    /// Sends one delivery. Never panics on bad payloads: they are [`SendOutcome::Permanent`].
    fn send(&self, d: &OutboundDelivery) -> impl Future<Output = SendOutcome> + Send;
}
