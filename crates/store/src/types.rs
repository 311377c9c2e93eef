//! Plain data of the journal crossing the `Store` boundary: messages, routing outcomes,
//! admin views, retention and commit counters (outbox data is in `outbox`).
//!
//! The store knows nothing of HL7 or FHIR: raw messages are bytes, events and payloads are
//! JSON text, and every time is an `i64` of unix milliseconds given by the caller.

use std::fmt;

use crate::outbox::{DeliveryDetail, NewDelivery};

/// Seven days in milliseconds: the default door-duplicate window.
pub const DEFAULT_DEDUP_WINDOW_MS: i64 = 7 * 24 * 60 * 60 * 1000;
/// Thirty days in milliseconds: the default retention of fully delivered messages.
pub const DEFAULT_KEEP_DELIVERED_MS: i64 = 30 * 24 * 60 * 60 * 1000;

/// The journal's id of a message; ids grow and are never reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MessageId(pub i64);

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The state a message is journaled in by [`crate::Store::append`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageState {
    /// Accepted at the door, waiting for the router.
    Received,
    /// Refused at the door (NAKed); journaled for audit and never routed.
    Rejected {
        /// Why it was refused (no message content).
        reason: String,
    },
}

/// A raw message as a source hands it to the journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage {
    /// The source (listener or poller) name from config.
    pub source: String,
    /// When the source received it, unix ms.
    pub received_at: i64,
    /// The peer address, when there is one.
    pub peer: Option<String>,
    /// MIME-ish content type, e.g. `x-application/hl7-v2+er7`.
    pub content_type: String,
    /// The bytes exactly as received.
    pub raw: Vec<u8>,
    /// Message type such as `ADT^A01`, when known.
    pub message_type: Option<String>,
    /// MSH-10 message control id, when known.
    pub control_id: Option<String>,
    /// Sending application and facility (`MSH-3^MSH-4`), when known.
    pub sender: Option<String>,
    /// Received or rejected.
    pub state: MessageState,
}

/// What [`crate::Store::append`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Appended {
    /// Journaled durably under this id.
    New(MessageId),
    /// The same `(source, sender, control_id)` was journaled within the dedup window; the
    /// attempt was recorded against the original instead.
    Duplicate {
        /// The message first journaled.
        original: MessageId,
    },
}

impl Appended {
    /// The id the caller should refer to: the new one or the original.
    pub fn id(&self) -> MessageId {
        match *self {
            Appended::New(id) | Appended::Duplicate { original: id } => id,
        }
    }
}

/// One decoded event of a message, stored as JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    /// The caller's id for the event, unique within its message.
    pub id: String,
    /// Event kind, e.g. `patient.admitted`.
    pub kind: String,
    /// The patient key the event concerns, when any.
    pub patient_key: Option<String>,
    /// The event as JSON.
    pub json: String,
}

/// The router's verdict on a received message, recorded by [`crate::Store::route`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteOutcome {
    /// Decoded and matched: events and one delivery per (event, destination).
    Routed {
        /// Decoded events.
        events: Vec<StoredEvent>,
        /// Deliveries to queue.
        deliveries: Vec<NewDelivery>,
    },
    /// Decoded but no route wanted it.
    Filtered {
        /// The rule or reason that filtered it.
        reason: String,
        /// Decoded events, kept for the admin view.
        events: Vec<StoredEvent>,
    },
    /// The adapter could not decode it. It may still have events to store and deliver: the
    /// pass-through event any readable message has and a `junction.decode-failed` event, so
    /// a route can take it to where a person will look.
    Failed {
        /// The decode error (no message content).
        reason: String,
        /// Events to store (empty when nothing could be read).
        events: Vec<StoredEvent>,
        /// Deliveries to queue (of those events).
        deliveries: Vec<NewDelivery>,
    },
}

impl RouteOutcome {
    /// Failed with nothing to store or deliver.
    pub fn failed(reason: impl Into<String>) -> RouteOutcome {
        RouteOutcome::Failed {
            reason: reason.into(),
            events: Vec::new(),
            deliveries: Vec::new(),
        }
    }

    /// The status the message has once this outcome is recorded.
    pub fn status(&self) -> MessageStatus {
        match self {
            RouteOutcome::Routed { .. } => MessageStatus::Routed,
            RouteOutcome::Filtered { .. } => MessageStatus::Filtered,
            RouteOutcome::Failed { .. } => MessageStatus::Failed,
        }
    }
}

/// Where a message is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageStatus {
    /// Journaled, not yet routed.
    Received,
    /// Refused at the door.
    Rejected,
    /// Routed; deliveries were queued.
    Routed,
    /// Routed to nowhere.
    Filtered,
    /// Could not be decoded.
    Failed,
}

impl MessageStatus {
    /// The name stored and shown by the admin API.
    pub fn as_str(self) -> &'static str {
        match self {
            MessageStatus::Received => "received",
            MessageStatus::Rejected => "rejected",
            MessageStatus::Routed => "routed",
            MessageStatus::Filtered => "filtered",
            MessageStatus::Failed => "failed",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "received" => MessageStatus::Received,
            "rejected" => MessageStatus::Rejected,
            "routed" => MessageStatus::Routed,
            "filtered" => MessageStatus::Filtered,
            "failed" => MessageStatus::Failed,
            _ => return None,
        })
    }
}

/// Criteria for [`crate::Store::list_messages`]; `None` means any.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MessageFilter {
    /// Received at or after, unix ms.
    pub from: Option<i64>,
    /// Received before, unix ms.
    pub to: Option<i64>,
    /// Source name.
    pub source: Option<String>,
    /// Message status.
    pub state: Option<MessageStatus>,
    /// Message type, e.g. `ADT^A01`, or a glob as in routes (`ADT^A0*`: `*` any run of
    /// characters, `?` exactly one, case-sensitive).
    pub message_type: Option<String>,
    /// MSH-10.
    pub control_id: Option<String>,
    /// Messages with an event for this patient key.
    pub patient_key: Option<String>,
    /// At most this many (the store caps it at 1000; `0` means 100).
    pub limit: usize,
    /// Keyset pagination: only ids below this one.
    pub before_id: Option<MessageId>,
}

/// A message's metadata, without the raw bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageSummary {
    /// Journal id.
    pub id: MessageId,
    /// Source name.
    pub source: String,
    /// Received at, unix ms.
    pub received_at: i64,
    /// Peer address.
    pub peer: Option<String>,
    /// Content type.
    pub content_type: String,
    /// Message type.
    pub message_type: Option<String>,
    /// MSH-10.
    pub control_id: Option<String>,
    /// `MSH-3^MSH-4`.
    pub sender: Option<String>,
    /// Status.
    pub state: MessageStatus,
    /// Why rejected, filtered or failed.
    pub reason: Option<String>,
    /// Size of the raw message in bytes.
    pub size: u64,
    /// Door duplicates recorded against it.
    pub duplicates: u32,
}

/// A duplicate attempt recorded against an original message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateAttempt {
    /// When it arrived, unix ms.
    pub at: i64,
    /// From where.
    pub peer: Option<String>,
}

/// Everything the store holds about one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageDetail {
    /// Metadata.
    pub summary: MessageSummary,
    /// The raw bytes.
    pub raw: Vec<u8>,
    /// Door duplicates, oldest first.
    pub duplicates: Vec<DuplicateAttempt>,
    /// Decoded events.
    pub events: Vec<StoredEvent>,
    /// Deliveries, in id order.
    pub deliveries: Vec<DeliveryDetail>,
}

/// Retention policy for [`crate::Store::prune`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrunePolicy {
    /// Keep finished messages at least this long after they were received, ms.
    pub keep_delivered_ms: i64,
}

impl Default for PrunePolicy {
    fn default() -> Self {
        PrunePolicy {
            keep_delivered_ms: DEFAULT_KEEP_DELIVERED_MS,
        }
    }
}

/// What [`crate::Store::prune`] removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PruneReport {
    /// Messages deleted.
    pub messages: u64,
    /// Deliveries deleted with them.
    pub deliveries: u64,
    /// Transactions used.
    pub batches: u64,
    /// Database pages given back to the file system.
    pub pages_freed: u64,
}

/// Counters the binary exports as metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreStats {
    /// Write transactions committed.
    pub commits: u64,
    /// Write requests answered (all kinds).
    pub requests: u64,
    /// Requests in the last committed batch.
    pub last_batch_size: u64,
    /// Largest batch so far.
    pub max_batch_size: u64,
    /// Time spent in the last commit, microseconds.
    pub last_commit_micros: u64,
    /// Commits that failed (each fails every request in its batch).
    pub failed_commits: u64,
}
