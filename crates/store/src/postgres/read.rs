//! Read-side queries on PostgreSQL, each run in one read-only repeatable-read transaction so a
//! multi-statement read (a message with its deliveries) is a consistent snapshot.

use deadpool_postgres::Transaction;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use crate::error::StoreError;
use crate::store::StoredMessage;
use crate::{
    Attempt, DeliveryDetail, DeliveryId, DeliveryState, DuplicateAttempt, MessageDetail,
    MessageFilter, MessageId, MessageStatus, MessageSummary, QueueDepth, StoredEvent,
};

const SUMMARY_COLUMNS: &str = "m.id, m.source, m.received_at, m.peer, m.content_type,
    m.message_type, m.control_id, m.sender, m.state, m.reason, octet_length(m.raw)::BIGINT,
    (SELECT COUNT(*) FROM duplicates x WHERE x.message_id = m.id)";

fn count(r: &Row, idx: usize) -> Result<u64, StoreError> {
    let n: Option<i64> = r.try_get(idx)?;
    Ok(n.map_or(0, |n| u64::try_from(n).unwrap_or(0)))
}

fn summary(r: &Row) -> Result<MessageSummary, StoreError> {
    let state: String = r.try_get(8)?;
    let state = MessageStatus::parse(&state)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown message state {state:?}")))?;
    Ok(MessageSummary {
        id: MessageId(r.try_get(0)?),
        source: r.try_get(1)?,
        received_at: r.try_get(2)?,
        peer: r.try_get(3)?,
        content_type: r.try_get(4)?,
        message_type: r.try_get(5)?,
        control_id: r.try_get(6)?,
        sender: r.try_get(7)?,
        state,
        reason: r.try_get(9)?,
        size: count(r, 10)?,
        duplicates: u32::try_from(count(r, 11)?).unwrap_or(u32::MAX),
    })
}

/// Messages still `received`, oldest first.
pub(crate) async fn unrouted(
    txn: &Transaction<'_>,
    limit: usize,
) -> Result<Vec<StoredMessage>, StoreError> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS}, m.raw FROM messages m
         WHERE m.state = 'received' ORDER BY m.id LIMIT $1"
    );
    let stmt = txn.prepare_cached(&sql).await?;
    txn.query(&stmt, &[&limit])
        .await?
        .iter()
        .map(|r| {
            Ok(StoredMessage {
                summary: summary(r)?,
                raw: r.try_get(12)?,
            })
        })
        .collect()
}

/// Metadata of the messages matching `filter`, newest first.
pub(crate) async fn list_messages(
    txn: &Transaction<'_>,
    filter: &MessageFilter,
) -> Result<Vec<MessageSummary>, StoreError> {
    let (sql, args) =
        crate::query::list_messages(crate::query::Dialect::Postgres, SUMMARY_COLUMNS, filter);
    let args: Vec<Box<dyn ToSql + Sync + Send>> = args
        .into_iter()
        .map(|a| -> Box<dyn ToSql + Sync + Send> {
            match a {
                crate::query::Arg::Int(n) => Box::new(n),
                crate::query::Arg::Text(t) => Box::new(t),
            }
        })
        .collect();
    let params: Vec<&(dyn ToSql + Sync)> =
        args.iter().map(|a| &**a as &(dyn ToSql + Sync)).collect();
    txn.query(&crate::query::numbered(&sql), &params)
        .await?
        .iter()
        .map(summary)
        .collect()
}

/// Everything about one message.
pub(crate) async fn get_message(
    txn: &Transaction<'_>,
    id: MessageId,
) -> Result<Option<MessageDetail>, StoreError> {
    let sql = format!("SELECT {SUMMARY_COLUMNS}, m.raw FROM messages m WHERE m.id = $1");
    let stmt = txn.prepare_cached(&sql).await?;
    let Some(head) = txn.query_opt(&stmt, &[&id.0]).await? else {
        return Ok(None);
    };
    let summary = summary(&head)?;
    let raw: Vec<u8> = head.try_get(12)?;
    let stmt = txn
        .prepare_cached("SELECT at, peer FROM duplicates WHERE message_id = $1 ORDER BY id")
        .await?;
    let duplicates = txn
        .query(&stmt, &[&id.0])
        .await?
        .iter()
        .map(|r| {
            Ok(DuplicateAttempt {
                at: r.try_get(0)?,
                peer: r.try_get(1)?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    let stmt = txn
        .prepare_cached(
            "SELECT event_id, kind, patient_key, json FROM events WHERE message_id = $1 ORDER BY id",
        )
        .await?;
    let events = txn
        .query(&stmt, &[&id.0])
        .await?
        .iter()
        .map(|r| {
            Ok(StoredEvent {
                id: r.try_get(0)?,
                kind: r.try_get(1)?,
                patient_key: r.try_get(2)?,
                json: r.try_get(3)?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    let stmt = txn
        .prepare_cached(
            "SELECT d.id, d.event_id, d.destination, d.ordering_key,
                    CASE WHEN d.payload_from_event THEN (SELECT e.json FROM events e
                    WHERE e.message_id = d.message_id AND e.event_id = d.event_id LIMIT 1)
                    ELSE d.payload END,
                    d.state, d.attempts, d.next_attempt_at, d.lease_until, d.lease_owner,
                    d.last_error
             FROM deliveries d WHERE d.message_id = $1 ORDER BY d.id",
        )
        .await?;
    let mut deliveries = txn
        .query(&stmt, &[&id.0])
        .await?
        .iter()
        .map(delivery_detail)
        .collect::<Result<Vec<_>, StoreError>>()?;
    let stmt = txn
        .prepare_cached(
            "SELECT delivery_id, at, outcome, error, worker FROM attempts
             WHERE delivery_id IN (SELECT id FROM deliveries WHERE message_id = $1)
             ORDER BY id",
        )
        .await?;
    for r in txn.query(&stmt, &[&id.0]).await? {
        let delivery: i64 = r.try_get(0)?;
        let attempt = Attempt {
            at: r.try_get(1)?,
            outcome: r.try_get(2)?,
            error: r.try_get(3)?,
            worker: r.try_get(4)?,
        };
        if let Some(d) = deliveries.iter_mut().find(|d| d.id.0 == delivery) {
            d.history.push(attempt);
        }
    }
    Ok(Some(MessageDetail {
        summary,
        raw,
        duplicates,
        events,
        deliveries,
    }))
}

fn delivery_detail(r: &Row) -> Result<DeliveryDetail, StoreError> {
    let state: String = r.try_get(5)?;
    let state = DeliveryState::parse(&state)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown delivery state {state:?}")))?;
    let attempts: i32 = r.try_get(6)?;
    Ok(DeliveryDetail {
        id: DeliveryId(r.try_get(0)?),
        event_id: r.try_get(1)?,
        destination: r.try_get(2)?,
        ordering_key: r.try_get(3)?,
        payload: r.try_get::<_, Option<String>>(4)?.unwrap_or_default(),
        state,
        attempts: u32::try_from(attempts).unwrap_or(0),
        next_attempt_at: r.try_get(7)?,
        lease_until: r.try_get(8)?,
        lease_owner: r.try_get(9)?,
        last_error: r.try_get(10)?,
        history: Vec::new(),
    })
}

/// Depth of each destination's outbox (reads the partial index of unfinished deliveries).
pub(crate) async fn queue_depths(
    txn: &Transaction<'_>,
    now: i64,
) -> Result<Vec<QueueDepth>, StoreError> {
    let stmt = txn
        .prepare_cached(
            "SELECT destination,
                    COUNT(*) FILTER (WHERE state = 'pending'),
                    COUNT(*) FILTER (WHERE state = 'leased'),
                    COUNT(*) FILTER (WHERE state = 'dead'),
                    MIN(created_at) FILTER (WHERE state IN ('pending', 'leased'))
             FROM deliveries WHERE state <> 'delivered'
             GROUP BY destination ORDER BY destination",
        )
        .await?;
    txn.query(&stmt, &[])
        .await?
        .iter()
        .map(|r| {
            let oldest: Option<i64> = r.try_get(4)?;
            Ok(QueueDepth {
                destination: r.try_get(0)?,
                pending: count(r, 1)?,
                leased: count(r, 2)?,
                dead: count(r, 3)?,
                oldest_pending_age_ms: oldest.map_or(0, |t| now.saturating_sub(t).max(0)),
            })
        })
        .collect()
}

/// One state value.
pub(crate) async fn state(txn: &Transaction<'_>, key: &str) -> Result<Option<String>, StoreError> {
    let stmt = txn
        .prepare_cached("SELECT value FROM state WHERE key = $1")
        .await?;
    Ok(match txn.query_opt(&stmt, &[&key]).await? {
        Some(r) => Some(r.try_get(0)?),
        None => None,
    })
}
