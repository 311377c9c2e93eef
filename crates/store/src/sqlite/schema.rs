//! SQLite schema and connection setup: pragmas for durability, versioned idempotent migrations.
//!
//! `auto_vacuum=INCREMENTAL` only takes effect on a database with no tables yet, so it is set
//! before the first migration; `prune` later gives pages back with `incremental_vacuum`.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::error::StoreError;

/// Each entry upgrades the schema by one version; never edit a shipped entry, append a new one.
const MIGRATIONS: &[&str] = &[V1, V2, V3, V4, V5, V6, V7, V8];

/// No table changes: from V8 on, `events.json` holds new events' JSON LZ4-packed, as a BLOB
/// (see `event_json`); rows written before stay TEXT and read as they are. The version is
/// bumped so a build from before V8, which cannot read a packed event, refuses the database
/// at start-up instead of failing on its reads.
const V8: &str = "-- events.json: TEXT (before V8) or LZ4-packed BLOB";

/// Fewer index entries written per message, each one a page write at commit and again at
/// checkpoint:
/// - `deliveries_due` (destination, state, next attempt) moved its entry at every state change
///   of every delivery (pending → leased → delivered). Leasing walks `deliveries_open`; queue
///   depths read the open deliveries through it too, and dead ones (counted, replayed,
///   purged) get `deliveries_dead`, which a delivered message never touches.
/// - `deliveries_open_key` (open deliveries by destination, key, id) took three writes at a
///   random place per delivery (routed, leased, done) for the lease's per-key order check,
///   which now keeps the keys it has met while walking `deliveries_open` in id order.
/// - `messages_control` (control id) and `messages_dedup` (source, sender, control id, time)
///   become one index led by the control id: the door's duplicate check binds all of them,
///   the admin search by control id uses its first column.
const V7: &str = "
DROP INDEX deliveries_due;
DROP INDEX deliveries_open_key;
CREATE INDEX deliveries_dead ON deliveries (destination, id) WHERE state = 'dead';
DROP INDEX messages_control;
DROP INDEX messages_dedup;
CREATE INDEX messages_control ON messages (control_id, source, sender, received_at)
    WHERE control_id IS NOT NULL;
";

/// `deliveries_key` (every delivery, by destination and patient key) served the lease's
/// per-key order check until `deliveries_open_key` (open deliveries only) replaced it; kept, it
/// cost a page write at a random place in the index for every delivery routed.
const V6: &str = "
DROP INDEX deliveries_key;
";

/// Leader leases for pollers that must run on one node at a time (see `Store::try_lead`).
const V5: &str = "
CREATE TABLE leases (
    name   TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    until  INTEGER NOT NULL
) WITHOUT ROWID;
";

/// Durable key-value state for connectors: poll positions, e-RS referrals already emitted, the
/// MESH message id of a delivery.
const V4: &str = "
CREATE TABLE state (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at INTEGER NOT NULL
) WITHOUT ROWID;
";

/// A delivery whose payload is its event's JSON (the usual case) stores no copy of it: the
/// flag says to read `events.json`, halving what each routed message writes.
const V3: &str = "
ALTER TABLE deliveries ADD COLUMN payload_from_event INTEGER NOT NULL DEFAULT 0;
";

/// Partial indexes over the open (pending or leased) deliveries only, so leasing reads a
/// handful of index entries however many delivered rows a destination has behind it.
const V2: &str = "
CREATE INDEX deliveries_open ON deliveries (destination, id)
    WHERE state IN ('pending', 'leased');
CREATE INDEX deliveries_open_key ON deliveries (destination, ordering_key, id)
    WHERE state IN ('pending', 'leased') AND ordering_key IS NOT NULL;
";

const V1: &str = "
CREATE TABLE messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    source TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    peer TEXT,
    content_type TEXT NOT NULL,
    raw BLOB NOT NULL,
    message_type TEXT,
    control_id TEXT,
    sender TEXT,
    state TEXT NOT NULL,
    reason TEXT
);
CREATE INDEX messages_dedup ON messages (source, sender, control_id, received_at)
    WHERE control_id IS NOT NULL AND sender IS NOT NULL;
CREATE INDEX messages_state ON messages (state, id);
CREATE INDEX messages_received ON messages (received_at);
CREATE INDEX messages_control ON messages (control_id) WHERE control_id IS NOT NULL;

CREATE TABLE duplicates (
    id INTEGER PRIMARY KEY,
    message_id INTEGER NOT NULL,
    at INTEGER NOT NULL,
    peer TEXT
);
CREATE INDEX duplicates_message ON duplicates (message_id);

CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    message_id INTEGER NOT NULL,
    event_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    patient_key TEXT,
    json TEXT NOT NULL
);
CREATE INDEX events_message ON events (message_id);
CREATE INDEX events_patient ON events (patient_key) WHERE patient_key IS NOT NULL;

CREATE TABLE deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id INTEGER NOT NULL,
    event_id TEXT NOT NULL,
    destination TEXT NOT NULL,
    ordering_key TEXT,
    payload TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    lease_until INTEGER,
    lease_owner TEXT,
    last_error TEXT,
    created_at INTEGER NOT NULL,
    delivered_at INTEGER
);
CREATE INDEX deliveries_due ON deliveries (destination, state, next_attempt_at);
CREATE INDEX deliveries_key ON deliveries (destination, ordering_key, id)
    WHERE ordering_key IS NOT NULL;
CREATE INDEX deliveries_message ON deliveries (message_id);

CREATE TABLE attempts (
    id INTEGER PRIMARY KEY,
    delivery_id INTEGER NOT NULL,
    at INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    error TEXT,
    worker TEXT
);
CREATE INDEX attempts_delivery ON attempts (delivery_id);
";

/// Page size of a new database, bytes.
const PAGE_SIZE: i64 = 2048;

/// Opens the single write connection, creating the file and schema when needed.
pub(crate) fn open_writer(
    path: &Path,
    synchronous_full: bool,
    busy_timeout: Duration,
) -> Result<Connection, StoreError> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(busy_timeout)?;
    // Every statement the writer runs stays prepared (rusqlite's default cache holds 16).
    conn.set_prepared_statement_cache_capacity(128);
    // Both must precede the first CREATE TABLE; no-ops on an existing database.
    // 2 KiB pages: most of what a commit writes are index leaves changed at one entry each
    // (patient key, control id, open deliveries by key), each a whole page in the WAL and again
    // at checkpoint. Against 4 KiB, `loadgen` (three alternating pairs) ran serial
    // 1,470 → 1,630 msgs/s and 16 connections 9,850 → 10,400 msgs/s; 1 KiB lost again at 16.
    conn.pragma_update(None, "page_size", PAGE_SIZE)?;
    conn.pragma_update(None, "auto_vacuum", "INCREMENTAL")?;
    let mode: String = conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Unavailable(format!(
            "journal_mode is {mode}, not wal"
        )));
    }
    // `synchronous_full`: SQLite syncs the WAL inside every COMMIT; otherwise NORMAL, and the
    // writer's syncer thread makes commits durable (see `writer::SyncMode`).
    let sync = if synchronous_full { "FULL" } else { "NORMAL" };
    conn.pragma_update(None, "synchronous", sync)?;
    conn.pragma_update(None, "foreign_keys", "OFF")?;
    // A batch run again after a failure puts each request in a savepoint (`writer.rs`), and
    // SQLite copies every page a savepoint first changes into a statement journal: in a temp
    // file that was more page writes than the WAL itself when every request had one (strace
    // of the 16-connection bench: 6,939 statement-journal pages against 5,094 WAL frames). In
    // memory it is a memcpy; it only ever holds one open batch's pages.
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    // A checkpoint runs inline on the commit that takes the WAL past this many pages, and that
    // commit's callers wait for it. At SQLite's 1,000 (4 MiB) that was one serial message in
    // a hundred, setting the p99 ACK latency (2.5–3.0 ms); at 4,000 (16 MiB of WAL then, with
    // 4 KiB pages; 8 MiB with 2 KiB) the p99 fell to 1.7 ms (`loadgen`, alternating runs, docs/benchmarks.md).
    conn.pragma_update(None, "wal_autocheckpoint", 4000)?;
    migrate(&conn)?;
    Ok(conn)
}

/// Opens a read-only connection to an existing store.
pub(crate) fn open_reader(path: &Path, busy_timeout: Duration) -> Result<Connection, StoreError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(busy_timeout)?;
    Ok(conn)
}

/// Brings the schema up to the latest version; running it again changes nothing.
fn migrate(conn: &Connection) -> Result<(), StoreError> {
    conn.execute_batch("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);")?;
    let current: i64 = conn.query_row(
        "SELECT COALESCE(MAX(version), 0) FROM schema_version",
        [],
        |r| r.get(0),
    )?;
    let latest = MIGRATIONS.len() as i64;
    if current > latest {
        return Err(StoreError::Corrupt(format!(
            "schema version {current} is newer than this build ({latest})"
        )));
    }
    for (n, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let version = n as i64 + 1;
        conn.execute_batch("BEGIN IMMEDIATE")?;
        let res = conn
            .execute_batch(sql)
            .and_then(|()| {
                conn.execute(
                    "INSERT INTO schema_version (version) VALUES (?1)",
                    [version],
                )
            })
            .and_then(|_| conn.execute_batch("COMMIT"));
        if let Err(err) = res {
            let _ = conn.execute_batch("ROLLBACK");
            return Err(err.into());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn latest_version() -> i64 {
        MIGRATIONS.len() as i64
    }

    /// The one integer `sql` (a pragma, a count) reads.
    fn int(conn: &Connection, sql: &str) -> i64 {
        conn.query_row(sql, [], |r| r.get(0)).unwrap()
    }

    #[test]
    fn migrate_is_idempotent_and_sets_pragmas() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.db");
        for _ in 0..2 {
            let conn = open_writer(&path, true, Duration::from_secs(1)).unwrap();
            let v = int(&conn, "SELECT MAX(version) FROM schema_version");
            assert_eq!(v, latest_version());
            let rows = int(&conn, "SELECT COUNT(*) FROM schema_version");
            assert_eq!(rows, latest_version());
            let av = int(&conn, "PRAGMA auto_vacuum");
            assert_eq!(av, 2, "incremental");
            let sync = int(&conn, "PRAGMA synchronous");
            assert_eq!(sync, 2, "full");
            let page_size = int(&conn, "PRAGMA page_size");
            assert_eq!(page_size, PAGE_SIZE);
        }
    }

    #[test]
    fn newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.db");
        let conn = open_writer(&path, true, Duration::from_secs(1)).unwrap();
        conn.execute("INSERT INTO schema_version (version) VALUES (99)", [])
            .unwrap();
        drop(conn);
        let err = open_writer(&path, true, Duration::from_secs(1)).unwrap_err();
        assert!(matches!(err, StoreError::Corrupt(_)));
    }

    /// A database written by the previous release (schema V6, 4 KiB pages) upgrades in place:
    /// its rows stay, its page size stays, and the indexes V7 drops and adds are as listed.
    #[test]
    fn a_v6_database_upgrades_to_v7_keeping_its_rows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.db");
        {
            let conn = Connection::open(&path).unwrap();
            conn.pragma_update(None, "auto_vacuum", "INCREMENTAL")
                .unwrap();
            conn.pragma_update(None, "journal_mode", "WAL").unwrap();
            conn.execute_batch("CREATE TABLE schema_version (version INTEGER NOT NULL);")
                .unwrap();
            for (n, sql) in MIGRATIONS[..6].iter().enumerate() {
                conn.execute_batch(sql).unwrap();
                conn.execute(
                    "INSERT INTO schema_version (version) VALUES (?1)",
                    [n as i64 + 1],
                )
                .unwrap();
            }
            conn.execute_batch(
                "INSERT INTO messages (id, source, received_at, content_type, raw, control_id,
                                       sender, state)
                 VALUES (1, 'pas', 0, 'x-application/hl7-v2+er7', x'00', 'C1', 'PAS', 'routed');
                 INSERT INTO deliveries (message_id, event_id, destination, ordering_key,
                                         payload, state, next_attempt_at, created_at)
                 VALUES (1, 'e', 'fhir', 'nhs:1', '{}', 'dead', 0, 0);",
            )
            .unwrap();
        }
        let conn = open_writer(&path, true, Duration::from_secs(1)).unwrap();
        let version = int(&conn, "SELECT MAX(version) FROM schema_version");
        assert_eq!(version, latest_version());
        let page_size = int(&conn, "PRAGMA page_size");
        assert_eq!(page_size, 4096, "an existing database keeps its page size");
        let mut stmt = conn
            .prepare("SELECT name FROM sqlite_schema WHERE type = 'index' AND name NOT LIKE 'sqlite_%' ORDER BY name")
            .unwrap();
        let indexes = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        assert_eq!(
            indexes,
            [
                "attempts_delivery",
                "deliveries_dead",
                "deliveries_message",
                "deliveries_open",
                "duplicates_message",
                "events_message",
                "events_patient",
                "messages_control",
                "messages_received",
                "messages_state",
            ]
        );
        let dead: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM deliveries INDEXED BY deliveries_dead
                 WHERE destination = 'fhir' AND state = 'dead'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(dead, 1);
        let control: String = conn
            .query_row(
                "SELECT control_id FROM messages INDEXED BY messages_control WHERE control_id = 'C1'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(control, "C1");
    }
}
