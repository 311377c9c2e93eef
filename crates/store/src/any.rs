//! [`AnyStore`]: the backend chosen by configuration at run time, so the binary stays
//! non-generic over [`Store`].

use crate::error::StoreError;
use crate::store::{Store, StoredMessage};
use crate::{
    Appended, Delivery, DeliveryId, MessageDetail, MessageFilter, MessageId, MessageSummary,
    NewMessage, Outcome, PostgresStore, PrunePolicy, PruneReport, QueueDepth, Replayed,
    RouteOutcome, SqliteStore, StoreStats,
};

/// One of the store backends; every [`Store`] call goes to the one inside.
#[derive(Debug, Clone)]
pub enum AnyStore {
    /// The embedded single-node store.
    Sqlite(SqliteStore),
    /// The shared multi-node store.
    Postgres(PostgresStore),
}

impl From<SqliteStore> for AnyStore {
    fn from(s: SqliteStore) -> Self {
        AnyStore::Sqlite(s)
    }
}

impl From<PostgresStore> for AnyStore {
    fn from(s: PostgresStore) -> Self {
        AnyStore::Postgres(s)
    }
}

/// Calls `$call` on whichever backend is inside.
macro_rules! both {
    ($self:ident, $s:ident => $call:expr) => {
        match $self {
            AnyStore::Sqlite($s) => $call.await,
            AnyStore::Postgres($s) => $call.await,
        }
    };
}

impl Store for AnyStore {
    async fn append(&self, msg: NewMessage) -> Result<Appended, StoreError> {
        both!(self, s => s.append(msg))
    }

    async fn route(
        &self,
        id: MessageId,
        outcome: RouteOutcome,
        now: i64,
    ) -> Result<(), StoreError> {
        both!(self, s => s.route(id, outcome, now))
    }

    fn reserve_message_id(&self) -> Option<MessageId> {
        match self {
            AnyStore::Sqlite(s) => s.reserve_message_id(),
            AnyStore::Postgres(s) => s.reserve_message_id(),
        }
    }

    async fn append_routed(
        &self,
        id: MessageId,
        msg: NewMessage,
        outcome: Option<RouteOutcome>,
        now: i64,
    ) -> Result<(Appended, bool), StoreError> {
        both!(self, s => s.append_routed(id, msg, outcome, now))
    }

    async fn unrouted(&self, limit: usize) -> Result<Vec<StoredMessage>, StoreError> {
        both!(self, s => s.unrouted(limit))
    }

    async fn lease(
        &self,
        destination: &str,
        max: usize,
        now: i64,
        lease_ms: i64,
        worker: &str,
    ) -> Result<Vec<Delivery>, StoreError> {
        both!(self, s => s.lease(destination, max, now, lease_ms, worker))
    }

    async fn complete(
        &self,
        id: DeliveryId,
        lease_owner: &str,
        outcome: Outcome,
    ) -> Result<(), StoreError> {
        both!(self, s => s.complete(id, lease_owner, outcome))
    }

    async fn list_messages(
        &self,
        filter: MessageFilter,
    ) -> Result<Vec<MessageSummary>, StoreError> {
        both!(self, s => s.list_messages(filter))
    }

    async fn get_message(&self, id: MessageId) -> Result<Option<MessageDetail>, StoreError> {
        both!(self, s => s.get_message(id))
    }

    async fn queue_depths(&self, now: i64) -> Result<Vec<QueueDepth>, StoreError> {
        both!(self, s => s.queue_depths(now))
    }

    async fn replay_message(&self, id: MessageId, now: i64) -> Result<Replayed, StoreError> {
        both!(self, s => s.replay_message(id, now))
    }

    async fn replay_dead(&self, destination: &str, now: i64) -> Result<u64, StoreError> {
        both!(self, s => s.replay_dead(destination, now))
    }

    async fn release_leases(&self, worker: &str) -> Result<u64, StoreError> {
        both!(self, s => s.release_leases(worker))
    }

    async fn purge_dead(&self, destination: &str) -> Result<u64, StoreError> {
        both!(self, s => s.purge_dead(destination))
    }

    async fn prune(
        &self,
        now: i64,
        policy: PrunePolicy,
        batch: usize,
    ) -> Result<PruneReport, StoreError> {
        both!(self, s => s.prune(now, policy, batch))
    }

    async fn get_state(&self, key: &str) -> Result<Option<String>, StoreError> {
        both!(self, s => s.get_state(key))
    }

    async fn put_state(&self, key: &str, value: Option<&str>, now: i64) -> Result<(), StoreError> {
        both!(self, s => s.put_state(key, value, now))
    }

    async fn try_lead(
        &self,
        name: &str,
        node: &str,
        now: i64,
        ttl_ms: i64,
    ) -> Result<bool, StoreError> {
        both!(self, s => s.try_lead(name, node, now, ttl_ms))
    }

    fn stats(&self) -> StoreStats {
        match self {
            AnyStore::Sqlite(s) => s.stats(),
            AnyStore::Postgres(s) => s.stats(),
        }
    }
}
