//! Read-side queries on pooled read-only connections, run in `spawn_blocking` so admin
//! queries never hold up the writer or the async runtime.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, Row, params_from_iter};

use super::event_json::StoredJson;
use crate::error::StoreError;
use crate::store::StoredMessage;
use crate::{
    Attempt, DeliveryDetail, DeliveryId, DeliveryState, DuplicateAttempt, MessageDetail,
    MessageFilter, MessageId, MessageStatus, MessageSummary, QueueDepth, StoredEvent,
};

/// A few idle read-only connections, opened on demand.
pub(crate) struct ReadPool {
    path: PathBuf,
    busy_timeout: Duration,
    max_idle: usize,
    idle: Mutex<Vec<Connection>>,
}

impl ReadPool {
    pub(crate) fn new(path: PathBuf, busy_timeout: Duration, max_idle: usize) -> Self {
        ReadPool {
            path,
            busy_timeout,
            max_idle,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Runs `f` in one read transaction (a consistent snapshot) on a blocking thread.
    pub(crate) async fn read<T, F>(self: &Arc<Self>, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let pool = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let conn = pool.take()?;
            let res = conn
                .unchecked_transaction()
                .map_err(StoreError::from)
                .and_then(|txn| {
                    let out = f(&txn)?;
                    txn.commit()?;
                    Ok(out)
                });
            if res.is_ok() {
                pool.put(conn);
            }
            res
        })
        .await
        .map_err(|_| StoreError::Unavailable("read task failed".into()))?
    }

    fn take(&self) -> Result<Connection, StoreError> {
        let conn = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        match conn {
            Some(conn) => Ok(conn),
            None => super::schema::open_reader(&self.path, self.busy_timeout),
        }
    }

    fn put(&self, conn: Connection) {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < self.max_idle {
            idle.push(conn);
        }
    }
}

const SUMMARY_COLUMNS: &str = "m.id, m.source, m.received_at, m.peer, m.content_type,
    m.message_type, m.control_id, m.sender, m.state, m.reason, length(m.raw),
    (SELECT COUNT(*) FROM duplicates x WHERE x.message_id = m.id)";

/// Reads a non-negative integer (a count or size) as `u64`.
fn count(r: &Row<'_>, idx: usize) -> rusqlite::Result<u64> {
    let n: Option<i64> = r.get(idx)?;
    Ok(n.map_or(0, |n| u64::try_from(n).unwrap_or(0)))
}

fn summary(r: &Row<'_>) -> rusqlite::Result<MessageSummary> {
    let state: String = r.get(8)?;
    let state = MessageStatus::parse(&state).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(8, rusqlite::types::Type::Text, "state".into())
    })?;
    Ok(MessageSummary {
        id: MessageId(r.get(0)?),
        source: r.get(1)?,
        received_at: r.get(2)?,
        peer: r.get(3)?,
        content_type: r.get(4)?,
        message_type: r.get(5)?,
        control_id: r.get(6)?,
        sender: r.get(7)?,
        state,
        reason: r.get(9)?,
        size: count(r, 10)?,
        duplicates: r.get(11)?,
    })
}

/// Messages still `received`, oldest first.
pub(crate) fn unrouted(conn: &Connection, limit: usize) -> Result<Vec<StoredMessage>, StoreError> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS}, m.raw FROM messages m
         WHERE m.state = 'received' ORDER BY m.id LIMIT ?1"
    );
    let rows = conn
        .prepare_cached(&sql)?
        .query_map([limit], |r| {
            Ok(StoredMessage {
                summary: summary(r)?,
                raw: r.get(12)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// Metadata of the messages matching `filter`, newest first.
pub(crate) fn list_messages(
    conn: &Connection,
    filter: &MessageFilter,
) -> Result<Vec<MessageSummary>, StoreError> {
    use rusqlite::types::Value;
    let (sql, args) =
        crate::query::list_messages(crate::query::Dialect::Sqlite, SUMMARY_COLUMNS, filter);
    let args = args.into_iter().map(|a| match a {
        crate::query::Arg::Int(n) => Value::Integer(n),
        crate::query::Arg::Text(t) => Value::Text(t),
    });
    let rows = conn
        .prepare(&sql)?
        .query_map(params_from_iter(args), summary)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// Everything about one message.
pub(crate) fn get_message(
    conn: &Connection,
    id: MessageId,
) -> Result<Option<MessageDetail>, StoreError> {
    let sql = format!("SELECT {SUMMARY_COLUMNS}, m.raw FROM messages m WHERE m.id = ?1");
    let head = conn
        .prepare_cached(&sql)?
        .query_row([id.0], |r| Ok((summary(r)?, r.get::<_, Vec<u8>>(12)?)))
        .optional()?;
    let Some((summary, raw)) = head else {
        return Ok(None);
    };
    let duplicates = conn
        .prepare_cached("SELECT at, peer FROM duplicates WHERE message_id = ?1 ORDER BY id")?
        .query_map([id.0], |r| {
            Ok(DuplicateAttempt {
                at: r.get(0)?,
                peer: r.get(1)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let events = conn
        .prepare_cached(
            "SELECT event_id, kind, patient_key, json FROM events WHERE message_id = ?1 ORDER BY id",
        )?
        .query_map([id.0], |r| {
            Ok(StoredEvent {
                id: r.get(0)?,
                kind: r.get(1)?,
                patient_key: r.get(2)?,
                json: r.get::<_, StoredJson>(3)?.0,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut deliveries = conn
        .prepare_cached(
            "SELECT d.id, d.event_id, d.destination, d.ordering_key,
                    CASE WHEN d.payload_from_event THEN (SELECT e.json FROM events e
                    WHERE e.message_id = d.message_id AND e.event_id = d.event_id LIMIT 1)
                    ELSE d.payload END,
                    d.state, d.attempts, d.next_attempt_at, d.lease_until, d.lease_owner,
                    d.last_error
             FROM deliveries d WHERE d.message_id = ?1 ORDER BY d.id",
        )?
        .query_map([id.0], delivery_detail)?
        .collect::<Result<Vec<_>, _>>()?;
    let mut history = conn.prepare_cached(
        "SELECT at, outcome, error, worker FROM attempts WHERE delivery_id = ?1 ORDER BY id",
    )?;
    for d in &mut deliveries {
        d.history = history
            .query_map([d.id.0], |r| {
                Ok(Attempt {
                    at: r.get(0)?,
                    outcome: r.get(1)?,
                    error: r.get(2)?,
                    worker: r.get(3)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
    }
    Ok(Some(MessageDetail {
        summary,
        raw,
        duplicates,
        events,
        deliveries,
    }))
}

fn delivery_detail(r: &Row<'_>) -> rusqlite::Result<DeliveryDetail> {
    let state: String = r.get(5)?;
    let state = DeliveryState::parse(&state).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(5, rusqlite::types::Type::Text, "state".into())
    })?;
    Ok(DeliveryDetail {
        id: DeliveryId(r.get(0)?),
        event_id: r.get(1)?,
        destination: r.get(2)?,
        ordering_key: r.get(3)?,
        payload: r.get::<_, StoredJson>(4)?.0,
        state,
        attempts: r.get(6)?,
        next_attempt_at: r.get(7)?,
        lease_until: r.get(8)?,
        lease_owner: r.get(9)?,
        last_error: r.get(10)?,
        history: Vec::new(),
    })
}

/// Open deliveries per destination: pending, leased, oldest creation time.
pub(crate) const OPEN_DEPTHS: &str =
    "SELECT destination, SUM(state = 'pending'), SUM(state = 'leased'), MIN(created_at)
     FROM deliveries INDEXED BY deliveries_open WHERE state IN ('pending', 'leased')
     GROUP BY destination";

/// Dead deliveries per destination.
pub(crate) const DEAD_DEPTHS: &str = "SELECT destination, COUNT(*)
     FROM deliveries INDEXED BY deliveries_dead WHERE state = 'dead' GROUP BY destination";

/// Depth of each destination's outbox: its open deliveries through `deliveries_open`, its dead
/// ones through `deliveries_dead` (never the delivered rows, however many there are).
pub(crate) fn queue_depths(conn: &Connection, now: i64) -> Result<Vec<QueueDepth>, StoreError> {
    let mut depths: BTreeMap<String, QueueDepth> = BTreeMap::new();
    let mut open = conn.prepare_cached(OPEN_DEPTHS)?;
    let mut rows = open.query([])?;
    while let Some(r) = rows.next()? {
        let depth = entry(&mut depths, r.get(0)?);
        depth.pending = count(r, 1)?;
        depth.leased = count(r, 2)?;
        let oldest: Option<i64> = r.get(3)?;
        depth.oldest_pending_age_ms = oldest.map_or(0, |t| now.saturating_sub(t).max(0));
    }
    let mut dead = conn.prepare_cached(DEAD_DEPTHS)?;
    let mut rows = dead.query([])?;
    while let Some(r) = rows.next()? {
        entry(&mut depths, r.get(0)?).dead = count(r, 1)?;
    }
    Ok(depths.into_values().collect())
}

fn entry(depths: &mut BTreeMap<String, QueueDepth>, destination: String) -> &mut QueueDepth {
    depths
        .entry(destination.clone())
        .or_insert_with(|| QueueDepth::empty(destination))
}

/// One state value.
pub(crate) fn state(conn: &Connection, key: &str) -> Result<Option<String>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT value FROM state WHERE key = ?1")?
        .query_row([key], |r| r.get(0))
        .optional()?)
}
