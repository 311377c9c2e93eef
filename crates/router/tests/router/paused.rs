//! A `Store` wrapper for paused-time tests. The SQLite store answers from its own writer
//! thread; while a task waits on it the runtime looks idle, and paused tokio time would jump
//! to the next timer (a test timeout, a send timeout). Running each call in `spawn_blocking`
//! holds auto-advance off until the store has answered, so virtual time only moves when every
//! task is really waiting on a timer.

use std::future::Future;

use junction_store::{
    Appended, Delivery, DeliveryId, MessageDetail, MessageFilter, MessageId, MessageSummary,
    NewMessage, Outcome, PrunePolicy, PruneReport, QueueDepth, Replayed, RouteOutcome, SqliteStore,
    Store, StoreError, StoreStats, StoredMessage,
};

/// [`SqliteStore`] whose calls hold paused time still while they run.
#[derive(Debug, Clone)]
pub struct PausedStore(pub SqliteStore);

async fn held<T: Send + 'static>(fut: impl Future<Output = T> + Send + 'static) -> T {
    let handle = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || handle.block_on(fut))
        .await
        .unwrap()
}

impl Store for PausedStore {
    async fn append(&self, msg: NewMessage) -> Result<Appended, StoreError> {
        let s = self.0.clone();
        held(async move { s.append(msg).await }).await
    }

    async fn route(
        &self,
        id: MessageId,
        outcome: RouteOutcome,
        now: i64,
    ) -> Result<(), StoreError> {
        let s = self.0.clone();
        held(async move { s.route(id, outcome, now).await }).await
    }

    async fn unrouted(&self, limit: usize) -> Result<Vec<StoredMessage>, StoreError> {
        let s = self.0.clone();
        held(async move { s.unrouted(limit).await }).await
    }

    async fn lease(
        &self,
        destination: &str,
        max: usize,
        now: i64,
        lease_ms: i64,
        worker: &str,
    ) -> Result<Vec<Delivery>, StoreError> {
        let (s, d, w) = (self.0.clone(), destination.to_owned(), worker.to_owned());
        held(async move { s.lease(&d, max, now, lease_ms, &w).await }).await
    }

    async fn complete(
        &self,
        id: DeliveryId,
        lease_owner: &str,
        outcome: Outcome,
    ) -> Result<(), StoreError> {
        let (s, owner) = (self.0.clone(), lease_owner.to_owned());
        held(async move { s.complete(id, &owner, outcome).await }).await
    }

    async fn list_messages(
        &self,
        filter: MessageFilter,
    ) -> Result<Vec<MessageSummary>, StoreError> {
        let s = self.0.clone();
        held(async move { s.list_messages(filter).await }).await
    }

    async fn get_message(&self, id: MessageId) -> Result<Option<MessageDetail>, StoreError> {
        let s = self.0.clone();
        held(async move { s.get_message(id).await }).await
    }

    async fn queue_depths(&self, now: i64) -> Result<Vec<QueueDepth>, StoreError> {
        let s = self.0.clone();
        held(async move { s.queue_depths(now).await }).await
    }

    async fn replay_message(&self, id: MessageId, now: i64) -> Result<Replayed, StoreError> {
        let s = self.0.clone();
        held(async move { s.replay_message(id, now).await }).await
    }

    async fn replay_dead(&self, destination: &str, now: i64) -> Result<u64, StoreError> {
        let (s, d) = (self.0.clone(), destination.to_owned());
        held(async move { s.replay_dead(&d, now).await }).await
    }

    async fn release_leases(&self, worker: &str) -> Result<u64, StoreError> {
        let (s, w) = (self.0.clone(), worker.to_owned());
        held(async move { s.release_leases(&w).await }).await
    }

    async fn purge_dead(&self, destination: &str) -> Result<u64, StoreError> {
        let (s, d) = (self.0.clone(), destination.to_owned());
        held(async move { s.purge_dead(&d).await }).await
    }

    async fn prune(
        &self,
        now: i64,
        policy: PrunePolicy,
        batch: usize,
    ) -> Result<PruneReport, StoreError> {
        let s = self.0.clone();
        held(async move { s.prune(now, policy, batch).await }).await
    }

    async fn get_state(&self, key: &str) -> Result<Option<String>, StoreError> {
        let (s, k) = (self.0.clone(), key.to_owned());
        held(async move { s.get_state(&k).await }).await
    }

    async fn put_state(&self, key: &str, value: Option<&str>, now: i64) -> Result<(), StoreError> {
        let (s, k, v) = (self.0.clone(), key.to_owned(), value.map(str::to_owned));
        held(async move { s.put_state(&k, v.as_deref(), now).await }).await
    }

    async fn try_lead(
        &self,
        name: &str,
        node: &str,
        now: i64,
        ttl_ms: i64,
    ) -> Result<bool, StoreError> {
        let (s, name, node) = (self.0.clone(), name.to_owned(), node.to_owned());
        held(async move { s.try_lead(&name, &node, now, ttl_ms).await }).await
    }

    fn stats(&self) -> StoreStats {
        self.0.stats()
    }
}
