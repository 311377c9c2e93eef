//! Plain data of the outbox: deliveries, worker outcomes, attempt history and queue depths.

use std::fmt;

use crate::types::MessageId;

/// The outbox id of a delivery; ids grow, are never reused, and order deliveries that share
/// an ordering key. Stable across retries and replays, so sinks may use it as an idempotency key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DeliveryId(pub i64);

impl fmt::Display for DeliveryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// One delivery to write into the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDelivery {
    /// The [`crate::StoredEvent::id`] it delivers; must be among the outcome's events.
    pub event_id: String,
    /// Destination (sink) name.
    pub destination: String,
    /// Deliveries sharing `(destination, ordering_key)` are handed out one at a time in order.
    pub ordering_key: Option<String>,
    /// What the sink sends: `None` for the event's own JSON (the usual case, stored once with
    /// the event), or a payload encoded for this destination.
    pub payload: Option<String>,
}

/// Where a delivery is in its life. `Pending` and `Leased` are non-terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeliveryState {
    /// Waiting for `next_attempt_at` (new or retrying).
    Pending,
    /// Handed to a worker until `lease_until`.
    Leased,
    /// Sent and acknowledged (terminal).
    Delivered,
    /// Given up on (terminal until replayed).
    Dead,
}

impl DeliveryState {
    /// The name stored and shown by the admin API.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Leased => "leased",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Dead => "dead",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pending" => DeliveryState::Pending,
            "leased" => DeliveryState::Leased,
            "delivered" => DeliveryState::Delivered,
            "dead" => DeliveryState::Dead,
            _ => return None,
        })
    }

    /// Whether no further attempt will be made without an operator.
    pub fn is_terminal(self) -> bool {
        matches!(self, DeliveryState::Delivered | DeliveryState::Dead)
    }
}

/// A delivery handed to a worker by [`crate::Store::lease`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// Stable delivery id.
    pub id: DeliveryId,
    /// The message it came from.
    pub message_id: MessageId,
    /// The event it delivers.
    pub event_id: String,
    /// Destination name.
    pub destination: String,
    /// Ordering key, when any.
    pub ordering_key: Option<String>,
    /// Payload to send.
    pub payload: String,
    /// Attempts completed before this lease.
    pub attempts: u32,
    /// The lease ends at this time, unix ms.
    pub lease_until: i64,
    /// The worker holding the lease.
    pub lease_owner: String,
}

/// What a worker reports for a leased delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Sent and acknowledged.
    Delivered {
        /// When, unix ms.
        at: i64,
    },
    /// Failed; try again at `next_attempt_at`. Keeps blocking later deliveries of its key.
    Retry {
        /// When the attempt failed, unix ms.
        at: i64,
        /// When to try again, unix ms.
        next_attempt_at: i64,
        /// The error (no message content).
        error: String,
    },
    /// Failed for good. Terminal; it no longer blocks later deliveries of its key (operators
    /// replay dead deliveries, which then queue again in their original order).
    Dead {
        /// When, unix ms.
        at: i64,
        /// The error (no message content).
        error: String,
    },
}

/// One attempt in a delivery's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// When it ended, unix ms.
    pub at: i64,
    /// `delivered`, `retry`, `dead` or `replayed`.
    pub outcome: String,
    /// The error, when any.
    pub error: Option<String>,
    /// The worker that reported it.
    pub worker: Option<String>,
}

/// A delivery as the admin API shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryDetail {
    /// Stable delivery id.
    pub id: DeliveryId,
    /// The event it delivers.
    pub event_id: String,
    /// Destination name.
    pub destination: String,
    /// Ordering key.
    pub ordering_key: Option<String>,
    /// Payload.
    pub payload: String,
    /// Current state.
    pub state: DeliveryState,
    /// Attempts completed.
    pub attempts: u32,
    /// Next attempt not before, unix ms.
    pub next_attempt_at: i64,
    /// Lease end, while leased.
    pub lease_until: Option<i64>,
    /// Lease holder, while leased.
    pub lease_owner: Option<String>,
    /// The last error.
    pub last_error: Option<String>,
    /// History, oldest first.
    pub history: Vec<Attempt>,
}

/// Outbox depth of one destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueDepth {
    /// Destination name.
    pub destination: String,
    /// Deliveries waiting (new or retrying).
    pub pending: u64,
    /// Deliveries leased (including leases that have expired but not been taken again).
    pub leased: u64,
    /// Dead deliveries.
    pub dead: u64,
    /// Age of the oldest non-terminal delivery, ms; `0` when none.
    pub oldest_pending_age_ms: i64,
}

impl QueueDepth {
    /// A destination with nothing waiting.
    pub fn empty(destination: impl Into<String>) -> Self {
        Self {
            destination: destination.into(),
            pending: 0,
            leased: 0,
            dead: 0,
            oldest_pending_age_ms: 0,
        }
    }
}

/// What [`crate::Store::replay_message`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Replayed {
    /// Delivered or dead deliveries put back to pending.
    pub deliveries: usize,
    /// A filtered or failed message was put back to `received` for the router.
    pub rerouted: bool,
}
