//! The embedded SQLite backend of [`Store`]: one WAL database file, one group-committing
//! writer thread, a small pool of read-only connections.

mod event_json;
mod outbox;
mod read;
mod schema;
mod write;
mod writer;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use crate::error::StoreError;
use crate::store::{NoopObserver, Store, StoreObserver, StoredMessage};
use crate::{
    Appended, DEFAULT_DEDUP_WINDOW_MS, Delivery, DeliveryId, MessageDetail, MessageFilter,
    MessageId, MessageSummary, NewMessage, Outcome, PrunePolicy, PruneReport, QueueDepth, Replayed,
    RouteOutcome, StoreStats,
};
use event_json::PackedEvents;
use read::ReadPool;
use writer::{SyncMode, Writer};

/// SQLite's WAL file for the database at `db`: its path with `-wal` appended.
fn wal_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push("-wal");
    PathBuf::from(name)
}

/// Pages given back per `incremental_vacuum` step, so a big prune never holds the writer long.
const VACUUM_STEP_PAGES: u32 = 512;

/// How the SQLite store is opened.
#[derive(Clone)]
pub struct StoreOptions {
    /// Door-duplicate window, ms (default 7 days).
    pub dedup_window_ms: i64,
    /// Every commit durable before its callers are answered (default), or not (tests only: a
    /// power cut may lose the last commits; a process crash loses nothing).
    pub synchronous_full: bool,
    /// With `synchronous_full`: sync the WAL on a second thread while the writer runs the next
    /// batch (default), or inside SQLite's COMMIT (`synchronous=FULL`), as a baseline.
    pub pipelined_sync: bool,
    /// How long a connection waits on a lock before failing.
    pub busy_timeout: Duration,
    /// Most requests in one group commit.
    pub max_batch: usize,
    /// Most idle read connections kept.
    pub read_pool: usize,
    /// Told about every commit (metrics).
    pub observer: Arc<dyn StoreObserver>,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            dedup_window_ms: DEFAULT_DEDUP_WINDOW_MS,
            synchronous_full: true,
            pipelined_sync: true,
            busy_timeout: Duration::from_secs(5),
            max_batch: 512,
            read_pool: 4,
            observer: Arc::new(NoopObserver),
        }
    }
}

impl fmt::Debug for StoreOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreOptions")
            .field("dedup_window_ms", &self.dedup_window_ms)
            .field("synchronous_full", &self.synchronous_full)
            .field("pipelined_sync", &self.pipelined_sync)
            .field("busy_timeout", &self.busy_timeout)
            .field("max_batch", &self.max_batch)
            .field("read_pool", &self.read_pool)
            .finish_non_exhaustive()
    }
}

struct Inner {
    // Declared first so the writer thread is joined before the readers go.
    writer: Writer,
    reads: Arc<ReadPool>,
    dedup_window_ms: i64,
    path: PathBuf,
    /// The next message id: every append takes its id from here (explicitly inserted), so an
    /// id reserved for `append_routed` is never taken by another append meanwhile.
    next_message_id: Arc<AtomicI64>,
}

/// The SQLite store. Cheap to clone; the writer thread stops when the last clone is dropped,
/// after finishing the requests already queued.
#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

impl fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.inner.path)
            .finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the store at `path` and starts its writer. Everything
    /// committed before a crash is there; leases that have expired are simply leasable again.
    /// Blocks while the schema is migrated: call it at startup.
    pub fn open(path: impl AsRef<Path>, opts: StoreOptions) -> Result<SqliteStore, StoreError> {
        let path = path.as_ref().to_path_buf();
        let sync = match (opts.synchronous_full, opts.pipelined_sync) {
            (false, _) => SyncMode::Off,
            (true, false) => SyncMode::InCommit,
            (true, true) => SyncMode::Pipelined(wal_path(&path)),
        };
        let conn = schema::open_writer(&path, sync == SyncMode::InCommit, opts.busy_timeout)?;
        let next_message_id = Arc::new(AtomicI64::new(write::next_message_id(&conn)?));
        let writer = Writer::start(conn, opts.max_batch, sync, Arc::clone(&opts.observer))?;
        let reads = Arc::new(ReadPool::new(
            path.clone(),
            opts.busy_timeout,
            opts.read_pool,
        ));
        let inner = Inner {
            writer,
            reads,
            dedup_window_ms: opts.dedup_window_ms,
            path,
            next_message_id,
        };
        Ok(SqliteStore {
            inner: Arc::new(inner),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }
}

impl Store for SqliteStore {
    async fn append(&self, msg: NewMessage) -> Result<Appended, StoreError> {
        let window = self.inner.dedup_window_ms;
        let ids = Arc::clone(&self.inner.next_message_id);
        self.inner
            .writer
            .call(move |conn| {
                write::append(conn, &msg, window, || ids.fetch_add(1, Ordering::Relaxed))
            })
            .await
    }

    fn reserve_message_id(&self) -> Option<MessageId> {
        Some(MessageId(
            self.inner.next_message_id.fetch_add(1, Ordering::Relaxed),
        ))
    }

    async fn append_routed(
        &self,
        id: MessageId,
        msg: NewMessage,
        outcome: Option<RouteOutcome>,
        now: i64,
    ) -> Result<(Appended, bool), StoreError> {
        let window = self.inner.dedup_window_ms;
        let packed = outcome.as_ref().map(PackedEvents::of).transpose()?;
        self.inner
            .writer
            .call(move |conn| {
                let outcome = outcome.as_ref().zip(packed.as_ref());
                write::append_routed(conn, id, &msg, outcome, window, now)
            })
            .await
    }

    async fn route(
        &self,
        id: MessageId,
        outcome: RouteOutcome,
        now: i64,
    ) -> Result<(), StoreError> {
        let packed = PackedEvents::of(&outcome)?;
        self.inner
            .writer
            .call(move |conn| write::route(conn, id, &outcome, &packed, now))
            .await
    }

    async fn unrouted(&self, limit: usize) -> Result<Vec<StoredMessage>, StoreError> {
        self.inner
            .reads
            .read(move |conn| read::unrouted(conn, limit))
            .await
    }

    async fn lease(
        &self,
        destination: &str,
        max: usize,
        now: i64,
        lease_ms: i64,
        worker: &str,
    ) -> Result<Vec<Delivery>, StoreError> {
        let destination = destination.to_owned();
        let worker = worker.to_owned();
        self.inner
            .writer
            .call_at_commit(move |conn| {
                outbox::lease(conn, &destination, max, now, lease_ms, &worker)
            })
            .await
    }

    async fn complete(
        &self,
        id: DeliveryId,
        lease_owner: &str,
        outcome: Outcome,
    ) -> Result<(), StoreError> {
        let owner = lease_owner.to_owned();
        self.inner
            .writer
            .call_at_commit(move |conn| outbox::complete(conn, id, &owner, &outcome))
            .await
    }

    async fn list_messages(
        &self,
        filter: MessageFilter,
    ) -> Result<Vec<MessageSummary>, StoreError> {
        self.inner
            .reads
            .read(move |conn| read::list_messages(conn, &filter))
            .await
    }

    async fn get_message(&self, id: MessageId) -> Result<Option<MessageDetail>, StoreError> {
        self.inner
            .reads
            .read(move |conn| read::get_message(conn, id))
            .await
    }

    async fn queue_depths(&self, now: i64) -> Result<Vec<QueueDepth>, StoreError> {
        self.inner
            .reads
            .read(move |conn| read::queue_depths(conn, now))
            .await
    }

    async fn replay_message(&self, id: MessageId, now: i64) -> Result<Replayed, StoreError> {
        self.inner
            .writer
            .call(move |conn| write::replay_message(conn, id, now))
            .await
    }

    async fn replay_dead(&self, destination: &str, now: i64) -> Result<u64, StoreError> {
        let destination = destination.to_owned();
        self.inner
            .writer
            .call(move |conn| outbox::replay_dead(conn, &destination, now))
            .await
    }

    async fn release_leases(&self, worker: &str) -> Result<u64, StoreError> {
        let worker = worker.to_owned();
        self.inner
            .writer
            .call(move |conn| outbox::release_leases(conn, &worker))
            .await
    }

    async fn get_state(&self, key: &str) -> Result<Option<String>, StoreError> {
        let key = key.to_owned();
        self.inner
            .reads
            .read(move |conn| read::state(conn, &key))
            .await
    }

    async fn put_state(&self, key: &str, value: Option<&str>, now: i64) -> Result<(), StoreError> {
        let key = key.to_owned();
        let value = value.map(str::to_owned);
        self.inner
            .writer
            .call(move |conn| write::put_state(conn, &key, value.as_deref(), now))
            .await
    }

    async fn purge_dead(&self, destination: &str) -> Result<u64, StoreError> {
        let destination = destination.to_owned();
        self.inner
            .writer
            .call(move |conn| outbox::purge_dead(conn, &destination))
            .await
    }

    async fn prune(
        &self,
        now: i64,
        policy: PrunePolicy,
        batch: usize,
    ) -> Result<PruneReport, StoreError> {
        let cutoff = now.saturating_sub(policy.keep_delivered_ms);
        let batch = batch.max(1);
        let mut report = PruneReport::default();
        // Each batch is its own short transaction, queued behind ingest like any request.
        loop {
            let (messages, deliveries) = self
                .inner
                .writer
                .call(move |conn| write::prune_batch(conn, cutoff, batch))
                .await?;
            report.batches += 1;
            report.messages += messages;
            report.deliveries += deliveries;
            if messages < batch as u64 {
                break;
            }
        }
        loop {
            let freed = self
                .inner
                .writer
                .call_standalone(|conn| write::incremental_vacuum(conn, VACUUM_STEP_PAGES))
                .await?;
            report.pages_freed += freed;
            if freed < u64::from(VACUUM_STEP_PAGES) {
                break;
            }
        }
        Ok(report)
    }

    async fn try_lead(
        &self,
        name: &str,
        node: &str,
        now: i64,
        ttl_ms: i64,
    ) -> Result<bool, StoreError> {
        let (name, node) = (name.to_owned(), node.to_owned());
        self.inner
            .writer
            .call(move |conn| write::try_lead(conn, &name, &node, now, ttl_ms))
            .await
    }

    fn stats(&self) -> StoreStats {
        self.inner.writer.stats()
    }
}

#[cfg(test)]
mod tests {
    use rusqlite::{Connection, StatementStatus};

    use super::*;
    use crate::{MessageState, NewDelivery, StoredEvent};

    /// The writer's connection to a new database (in a directory removed on drop).
    fn writer_connection() -> (tempfile::TempDir, Connection) {
        let dir = tempfile::tempdir().unwrap();
        let conn =
            schema::open_writer(&dir.path().join("j.db"), false, Duration::from_secs(1)).unwrap();
        (dir, conn)
    }

    /// Journals message `i` (control id `C{i}` from `PAS`) at time `i` and routes its one
    /// event to `fhir` under `key`, on the writer's connection.
    fn route_one(conn: &Connection, i: i64, key: &str) {
        let msg = NewMessage {
            source: "pas".into(),
            received_at: i,
            peer: None,
            content_type: "x-application/hl7-v2+er7".into(),
            raw: b"MSH|^~\\&|".to_vec(),
            message_type: None,
            control_id: Some(format!("C{i}")),
            sender: Some("PAS".into()),
            state: MessageState::Received,
        };
        let id = write::append(conn, &msg, 1_000, || i + 1).unwrap().id();
        let outcome = RouteOutcome::Routed {
            events: vec![StoredEvent {
                id: "e".into(),
                kind: "patient.admitted".into(),
                patient_key: Some(key.into()),
                json: "{}".into(),
            }],
            deliveries: vec![NewDelivery {
                event_id: "e".into(),
                destination: "fhir".into(),
                ordering_key: Some(key.into()),
                payload: None,
            }],
        };
        let packed = PackedEvents::of(&outcome).unwrap();
        write::route(conn, id, &outcome, &packed, i).unwrap();
    }

    /// New events are stored packed; an event stored as TEXT before V8 reads the same way, in
    /// the admin view and as the payload a lease hands out.
    #[test]
    fn events_are_stored_packed_and_text_ones_still_read() {
        let (_dir, conn) = writer_connection();
        route_one(&conn, 0, "nhs:1");
        route_one(&conn, 1, "nhs:2");
        let kinds: Vec<String> = conn
            .prepare("SELECT typeof(json) FROM events ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(kinds, ["blob", "blob"]);
        conn.execute(
            "UPDATE events SET json = '{\"before\":\"V8\"}' WHERE message_id = 2",
            [],
        )
        .unwrap();
        let leased = outbox::lease(&conn, "fhir", 2, 10, 60_000, "w").unwrap();
        let payloads: Vec<&str> = leased.iter().map(|d| d.payload.as_str()).collect();
        assert_eq!(payloads, ["{}", "{\"before\":\"V8\"}"]);
        let detail = read::get_message(&conn, MessageId(2)).unwrap().unwrap();
        assert_eq!(detail.events[0].json, "{\"before\":\"V8\"}");
        assert_eq!(detail.deliveries[0].payload, "{\"before\":\"V8\"}");
        let detail = read::get_message(&conn, MessageId(1)).unwrap().unwrap();
        assert_eq!(detail.events[0].json, "{}");
    }

    /// The writer's hottest reads are prepared once. With `ORDER BY … LIMIT ?` the bundled
    /// SQLite 3.54 re-prepared the duplicate check and the lease's due ids on nearly every
    /// call once the connection had inserted rows, which cost a tenth of the gateway's CPU.
    #[test]
    fn hot_statements_are_prepared_once() {
        let (_dir, conn) = writer_connection();
        for i in 0..30i64 {
            route_one(&conn, i, &format!("nhs:{}", i % 4));
            let max = 1 + usize::try_from(i % 3).unwrap();
            outbox::lease(&conn, "fhir", max, i, 60_000, "w").unwrap();
        }
        for sql in [write::FIND_ORIGINALS, outbox::OPEN_IN_ORDER] {
            let stmt = conn.prepare_cached(sql).unwrap();
            assert_eq!(stmt.get_status(StatementStatus::RePrepare), 0, "{sql}");
        }
    }

    /// The lease's per-key order rests on walking the open deliveries in id order, which SQLite
    /// gives for an index walk without promising it; a walk out of order fails the lease
    /// rather than send a later delivery of a key first.
    #[test]
    fn lease_refuses_a_walk_out_of_id_order() {
        let (_dir, conn) = writer_connection();
        for i in 0..3i64 {
            route_one(&conn, i, "nhs:1");
        }
        conn.pragma_update(None, "reverse_unordered_selects", true)
            .unwrap();
        let err = outbox::lease(&conn, "fhir", 2, 10, 60_000, "w").unwrap_err();
        assert!(matches!(err, StoreError::Corrupt(_)), "{err:?}");
        conn.pragma_update(None, "reverse_unordered_selects", false)
            .unwrap();
        let leased = outbox::lease(&conn, "fhir", 2, 10, 60_000, "w").unwrap();
        assert_eq!(leased.len(), 1, "one per key");
        assert_eq!(leased[0].message_id, MessageId(1));
    }

    /// The statements of every message's path, and the admin searches by control id and
    /// patient, read their indexes, never the whole table: the duplicate check and the search
    /// by control id the one control-id index, the search by patient the patient's events,
    /// dead-delivery replays and queue depths the partial indexes over open and dead rows.
    #[test]
    fn hot_paths_use_their_indexes() {
        let (_dir, conn) = writer_connection();
        let plan = |sql: &str| -> String {
            let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
            // Unbound parameters are NULL: enough for the planner.
            let nulls = vec![rusqlite::types::Null; stmt.parameter_count()];
            let rows = stmt
                .query_map(rusqlite::params_from_iter(nulls), |r| r.get::<_, String>(3))
                .unwrap()
                .collect::<Result<Vec<_>, _>>()
                .unwrap();
            rows.join("; ")
        };
        let filter = MessageFilter {
            control_id: Some("C1".into()),
            ..MessageFilter::default()
        };
        let (by_control_id, _) =
            crate::query::list_messages(crate::query::Dialect::Sqlite, "m.id", &filter);
        let filter = MessageFilter {
            patient_key: Some("nhs:9990000018".into()),
            ..MessageFilter::default()
        };
        let (by_patient, _) =
            crate::query::list_messages(crate::query::Dialect::Sqlite, "m.id", &filter);
        let cases = [
            (write::FIND_ORIGINALS.replace("?4", "0"), "messages_control"),
            (by_control_id, "messages_control"),
            (by_patient, "events_patient"),
            (read::OPEN_DEPTHS.to_owned(), "deliveries_open"),
            (outbox::OPEN_IN_ORDER.to_owned(), "deliveries_open"),
            (read::DEAD_DEPTHS.to_owned(), "deliveries_dead"),
            (
                "SELECT id FROM deliveries WHERE destination = 'fhir' AND state = 'dead'".into(),
                "deliveries_dead",
            ),
        ];
        for (sql, index) in cases {
            let plan = plan(&sql);
            assert!(plan.contains(&format!("INDEX {index}")), "{sql}: {plan}");
            let full_scan = plan
                .split("; ")
                .any(|step| step.starts_with("SCAN") && !step.contains("USING"));
            assert!(!full_scan, "{sql}: {plan}");
        }
    }
}
