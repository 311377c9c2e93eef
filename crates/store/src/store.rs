//! The `Store` trait: the journal and outbox contract every backend (SQLite, PostgreSQL)
//! implements, and the observer hook for commit metrics.
//!
//! Contract shared by all backends:
//! - a future resolves `Ok` only after the transaction holding the change has committed;
//! - every time is the caller's `now` in unix ms: the store never reads a clock;
//! - a delivery with an ordering key is handed out only while no lower-id delivery with the
//!   same `(destination, ordering_key)` is pending or leased; dead ones do not block;
//! - a delivery is never leased to two workers at once: a lease is valid while
//!   `now < lease_until`, and an outcome is accepted only from the current lease owner.

use std::future::Future;
use std::time::Duration;

use crate::error::StoreError;
use crate::{
    Appended, Delivery, DeliveryId, MessageDetail, MessageFilter, MessageId, MessageSummary,
    NewMessage, Outcome, PrunePolicy, PruneReport, QueueDepth, Replayed, RouteOutcome, StoreStats,
};

/// A message read back by [`Store::unrouted`] for the router to (re)decode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMessage {
    /// Metadata.
    pub summary: MessageSummary,
    /// The raw bytes.
    pub raw: Vec<u8>,
}

/// The durable journal and outbox.
pub trait Store: Send + Sync + 'static {
    /// Journals a raw message durably, or records a door duplicate against its original.
    fn append(&self, msg: NewMessage) -> impl Future<Output = Result<Appended, StoreError>> + Send;

    /// In one transaction, records the router's outcome for a `received` message: its state,
    /// its events and its deliveries (pending, due at `now`).
    fn route(
        &self,
        id: MessageId,
        outcome: RouteOutcome,
        now: i64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Reserves a message id for [`Store::append_routed`], or `None` when this backend routes
    /// only through [`Store::unrouted`] and [`Store::route`] (the default). Ids reserved and
    /// never used leave gaps, as ids of rolled-back appends do.
    fn reserve_message_id(&self) -> Option<MessageId> {
        None
    }

    /// Journals `msg` under an id from [`Store::reserve_message_id`] and, in the same
    /// transaction, records the router's `outcome` for it (as [`Store::route`] does), so the
    /// message is routed with one commit. Only when no other message is still `received`:
    /// routing then keeps journal order; otherwise (a backlog, a message waiting for a routing
    /// step) the message is journaled `received` for the router to take in turn, as is one
    /// whose outcome the store refuses, and one given no outcome (the caller found it needs
    /// the router: it still gets the reserved id, so ids have no gap). The `bool` says whether
    /// the outcome was recorded. A door duplicate is recorded against its original, as by
    /// [`Store::append`].
    ///
    /// The default journals `msg` with [`Store::append`] and leaves routing to the router.
    fn append_routed(
        &self,
        id: MessageId,
        msg: NewMessage,
        outcome: Option<RouteOutcome>,
        now: i64,
    ) -> impl Future<Output = Result<(Appended, bool), StoreError>> + Send {
        let _ = (id, outcome, now);
        async move { self.append(msg).await.map(|appended| (appended, false)) }
    }

    /// Up to `limit` messages still `received` (journaled, not routed), oldest first.
    fn unrouted(
        &self,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<StoredMessage>, StoreError>> + Send;

    /// Leases up to `max` due deliveries of `destination` to `worker` until `now + lease_ms`,
    /// lowest id first, honouring the ordering-key rule. The deliveries it returns are
    /// durable; the lease itself, like an outcome from [`Store::complete`], may be answered
    /// before it is (a power cut taking it back only means the delivery is sent again under
    /// its stable id).
    fn lease(
        &self,
        destination: &str,
        max: usize,
        now: i64,
        lease_ms: i64,
        worker: &str,
    ) -> impl Future<Output = Result<Vec<Delivery>, StoreError>> + Send;

    /// Records the outcome of a leased delivery. Fails with [`StoreError::LeaseLost`] unless the
    /// delivery is leased to `lease_owner` (an expired lease not yet taken again still counts).
    fn complete(
        &self,
        id: DeliveryId,
        lease_owner: &str,
        outcome: Outcome,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Message metadata matching `filter`, newest first.
    fn list_messages(
        &self,
        filter: MessageFilter,
    ) -> impl Future<Output = Result<Vec<MessageSummary>, StoreError>> + Send;

    /// Everything about one message, or `None`.
    fn get_message(
        &self,
        id: MessageId,
    ) -> impl Future<Output = Result<Option<MessageDetail>, StoreError>> + Send;

    /// Outbox depth per destination that has any non-delivered delivery.
    fn queue_depths(
        &self,
        now: i64,
    ) -> impl Future<Output = Result<Vec<QueueDepth>, StoreError>> + Send;

    /// Re-queues a message: its delivered and dead deliveries go back to pending (due at
    /// `now`, same ids); a filtered or failed message goes back to `received` for the router.
    fn replay_message(
        &self,
        id: MessageId,
        now: i64,
    ) -> impl Future<Output = Result<Replayed, StoreError>> + Send;

    /// Puts every dead delivery of `destination` back to pending (due at `now`); returns how many.
    fn replay_dead(
        &self,
        destination: &str,
        now: i64,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Returns every delivery leased by `worker` to pending, for a worker starting again after
    /// a crash (worker names are unique per node and destination); returns how many.
    fn release_leases(&self, worker: &str) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Deletes every dead delivery of `destination` (with its history); returns how many.
    fn purge_dead(&self, destination: &str)
    -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Deletes finished messages received before `now - policy.keep_delivered_ms`, `batch`
    /// messages per transaction, then gives freed space back. Finished means filtered,
    /// rejected, or routed with every delivery delivered; messages with dead or unfinished
    /// deliveries, and failed or unrouted messages, are kept.
    fn prune(
        &self,
        now: i64,
        policy: PrunePolicy,
        batch: usize,
    ) -> impl Future<Output = Result<PruneReport, StoreError>> + Send;

    /// A value from the connectors' durable key-value state (poll positions, referrals already
    /// emitted, remote message ids), or `None`.
    fn get_state(
        &self,
        key: &str,
    ) -> impl Future<Output = Result<Option<String>, StoreError>> + Send;

    /// Sets (or, with `None`, deletes) a state value; durable when it returns.
    fn put_state(
        &self,
        key: &str,
        value: Option<&str>,
        now: i64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Takes or renews the leader lease `name` (e.g. a poller that must run on one node at a
    /// time) for `node` until `now + ttl_ms`: true when `node` holds it afterwards, because
    /// it was free, had expired (`until <= now`) or was already `node`'s (renewed).
    fn try_lead(
        &self,
        name: &str,
        node: &str,
        now: i64,
        ttl_ms: i64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Commit counters so far.
    fn stats(&self) -> StoreStats;
}

/// Receives a call after every write transaction, for metrics (commit latency, batch size).
/// Called on the writer's thread: keep it cheap and non-blocking.
pub trait StoreObserver: Send + Sync + 'static {
    /// A transaction holding `batch_size` requests committed (`ok`) or failed after `elapsed`.
    fn commit(&self, batch_size: usize, elapsed: Duration, ok: bool);
}

/// An observer that ignores everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoopObserver;

impl StoreObserver for NoopObserver {
    fn commit(&self, _batch_size: usize, _elapsed: Duration, _ok: bool) {}
}
