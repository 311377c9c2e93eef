//! PostgreSQL schema, connection settings and versioned migrations, applied by Junction at
//! start-up under an advisory lock so nodes starting together migrate once.
//!
//! # Indexes for 100 million rows
//!
//! Inserts stay fast at scale because each journal row touches few, small indexes:
//! - `messages.received_at` is indexed with BRIN (a few pages for the whole table: rows are
//!   appended in time order, so block ranges summarise well); retention and time-window
//!   listings use it instead of a B-tree the size of the table;
//! - the outbox indexes used on every lease are partial, over open deliveries only
//!   (`pending`/`leased`): their size follows the backlog, not the history, so leasing and the
//!   per-key ordering check (`deliveries_open_key`) read a handful of entries however many
//!   delivered rows sit behind them; `deliveries_unfinished` (anything but delivered) serves
//!   the queue depths and the dead-letter operations;
//! - the door-duplicate lookup index is partial (only rows with sender and control id).
//!
//! Partitioning (described, not implemented): at sustained volume, `messages`, `events`,
//! `deliveries` and `attempts` can be range-partitioned by month on `received_at`/`created_at`
//! (declarative partitioning, with the message's receive time carried into its children as the
//! partition key). Retention then becomes `DETACH PARTITION … CONCURRENTLY` + `DROP TABLE` of
//! months holding only finished messages, instead of row deletes, and each month's indexes
//! stay small enough to live in memory. Open deliveries remain found by the partial indexes of
//! the few recent partitions that still hold any.

use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::NoTls;

use crate::error::StoreError;

/// Each entry upgrades the schema by one version; never edit a shipped entry, append a new one.
const MIGRATIONS: &[&str] = &[V1, V2];

const V1: &str = "
CREATE TABLE messages (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    peer TEXT,
    content_type TEXT NOT NULL,
    raw BYTEA NOT NULL,
    message_type TEXT,
    control_id TEXT,
    sender TEXT,
    state TEXT NOT NULL,
    reason TEXT
);
CREATE INDEX messages_dedup ON messages (source, sender, control_id, received_at)
    WHERE control_id IS NOT NULL AND sender IS NOT NULL;
CREATE INDEX messages_unfinished ON messages (id) WHERE state = 'received';
CREATE INDEX messages_received ON messages USING BRIN (received_at);
CREATE INDEX messages_control ON messages (control_id) WHERE control_id IS NOT NULL;

CREATE TABLE duplicates (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id BIGINT NOT NULL,
    at BIGINT NOT NULL,
    peer TEXT
);
CREATE INDEX duplicates_message ON duplicates (message_id);

CREATE TABLE events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id BIGINT NOT NULL,
    event_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    patient_key TEXT,
    json TEXT NOT NULL
);
CREATE INDEX events_message ON events (message_id);
CREATE INDEX events_patient ON events (patient_key) WHERE patient_key IS NOT NULL;

CREATE TABLE deliveries (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id BIGINT NOT NULL,
    event_id TEXT NOT NULL,
    destination TEXT NOT NULL,
    ordering_key TEXT,
    payload TEXT NOT NULL,
    payload_from_event BOOLEAN NOT NULL DEFAULT FALSE,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    lease_until BIGINT,
    lease_owner TEXT,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    delivered_at BIGINT
);
CREATE INDEX deliveries_open ON deliveries (destination, id)
    WHERE state IN ('pending', 'leased');
CREATE INDEX deliveries_open_key ON deliveries (destination, ordering_key, id)
    WHERE state IN ('pending', 'leased') AND ordering_key IS NOT NULL;
CREATE INDEX deliveries_unfinished ON deliveries (destination, state)
    WHERE state <> 'delivered';
CREATE INDEX deliveries_message ON deliveries (message_id);

CREATE TABLE attempts (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    delivery_id BIGINT NOT NULL,
    at BIGINT NOT NULL,
    outcome TEXT NOT NULL,
    error TEXT,
    worker TEXT
);
CREATE INDEX attempts_delivery ON attempts (delivery_id);

CREATE TABLE state (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
";

/// Leader leases for pollers that must run on one node at a time.
const V2: &str = "
CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    until BIGINT NOT NULL
);
";

/// Checks a schema name: lower-case letters, digits and `_`, so it needs no quoting anywhere
/// (connection options, identifiers, NOTIFY channel names).
pub(crate) fn check_schema(name: &str) -> Result<(), StoreError> {
    let ok = !name.is_empty()
        && name.len() <= 40
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(StoreError::Invalid(
            "schema name must be 1-40 of [a-z0-9_], not starting with a digit",
        ))
    }
}

/// The client configuration for `url`, with `search_path` set to `schema` when given.
pub(crate) fn config(
    url: &str,
    schema: Option<&str>,
    connect_timeout: Duration,
) -> Result<tokio_postgres::Config, StoreError> {
    let mut cfg: tokio_postgres::Config = url
        .parse()
        .map_err(|_| StoreError::Invalid("unparseable postgres url"))?;
    if let Some(schema) = schema {
        check_schema(schema)?;
        cfg.options(format!("-c search_path={schema}"));
    }
    cfg.connect_timeout(connect_timeout);
    cfg.application_name("junction");
    Ok(cfg)
}

/// A connection pool of at most `size` connections.
pub(crate) fn pool(
    cfg: tokio_postgres::Config,
    size: usize,
    timeout: Duration,
) -> Result<Pool, StoreError> {
    let mgr = Manager::from_config(
        cfg,
        NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Pool::builder(mgr)
        .max_size(size.max(2))
        .runtime(Runtime::Tokio1)
        .wait_timeout(Some(timeout))
        .create_timeout(Some(timeout))
        .recycle_timeout(Some(timeout))
        .build()
        .map_err(|e| StoreError::Unavailable(format!("postgres pool: {e}")))
}

/// Creates the schema when named, then brings it up to the latest version in one transaction
/// under an advisory lock keyed on the schema: a second node starting at once waits, then
/// finds nothing left to do. Running it again changes nothing.
pub(crate) async fn migrate(pool: &Pool, schema: Option<&str>) -> Result<(), StoreError> {
    let mut client = pool.get().await?;
    let txn = client.transaction().await?;
    let key = format!("junction-migrate:{}", schema.unwrap_or("public"));
    txn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", &[&key])
        .await?;
    if let Some(schema) = schema {
        // Checked by `config`: a plain lower-case identifier.
        txn.batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {schema}"))
            .await?;
    }
    txn.batch_execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        .await?;
    let current: i32 = txn
        .query_one(
            "SELECT COALESCE(MAX(version), 0)::INTEGER FROM schema_version",
            &[],
        )
        .await?
        .get(0);
    let latest = MIGRATIONS.len() as i32;
    if current > latest {
        return Err(StoreError::Corrupt(format!(
            "schema version {current} is newer than this build ({latest})"
        )));
    }
    for (n, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        txn.batch_execute(sql).await?;
        let version = n as i32 + 1;
        txn.execute(
            "INSERT INTO schema_version (version) VALUES ($1)",
            &[&version],
        )
        .await?;
    }
    txn.commit().await?;
    Ok(())
}
