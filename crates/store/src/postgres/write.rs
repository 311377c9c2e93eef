//! The journal's write statements on PostgreSQL (route, replay, prune, connector state, leader
//! leases); each runs inside a transaction its caller commits.

use std::collections::BTreeSet;

use deadpool_postgres::Transaction;

use crate::{MessageId, Replayed, RouteOutcome, StoreError, StoredEvent};

async fn message_state(txn: &Transaction<'_>, id: MessageId) -> Result<String, StoreError> {
    let stmt = txn
        .prepare_cached("SELECT state FROM messages WHERE id = $1 FOR UPDATE")
        .await?;
    let row = txn.query_opt(&stmt, &[&id.0]).await?;
    match row {
        Some(row) => Ok(row.try_get(0)?),
        None => Err(StoreError::NotFound {
            what: "message",
            id: id.0,
        }),
    }
}

/// Records the router's outcome for a `received` message; the message row is locked, so two
/// nodes routing the same message cannot both succeed. Notifies `channel` once per
/// destination that got deliveries (delivered to listeners on commit).
pub(crate) async fn route(
    txn: &Transaction<'_>,
    id: MessageId,
    outcome: &RouteOutcome,
    now: i64,
    channel: &str,
) -> Result<(), StoreError> {
    crate::rules::expect_received(id, message_state(txn, id).await?)?;
    crate::rules::check_outcome(outcome)?;
    match outcome {
        RouteOutcome::Routed { events, deliveries }
        | RouteOutcome::Failed {
            events, deliveries, ..
        } => {
            insert_events(txn, id, events).await?;
            let stmt = txn
                .prepare_cached(
                    "INSERT INTO deliveries (message_id, event_id, destination, ordering_key,
                                             payload, payload_from_event, state,
                                             next_attempt_at, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $7)",
                )
                .await?;
            let mut destinations = BTreeSet::new();
            for d in deliveries {
                // The event's JSON is stored once, in `events`; a delivery of it refers to it.
                let same = d.payload.is_none();
                let payload = d.payload.as_deref().unwrap_or("");
                txn.execute(
                    &stmt,
                    &[
                        &id.0,
                        &d.event_id,
                        &d.destination,
                        &d.ordering_key,
                        &payload,
                        &same,
                        &now,
                    ],
                )
                .await?;
                destinations.insert(d.destination.as_str());
            }
            if !destinations.is_empty() {
                let names: Vec<&str> = destinations.into_iter().collect();
                txn.execute(
                    "SELECT pg_notify($1, d) FROM unnest($2::TEXT[]) AS d",
                    &[&channel, &names],
                )
                .await?;
            }
        }
        RouteOutcome::Filtered { events, .. } => insert_events(txn, id, events).await?,
    }
    let (new_state, reason) = crate::rules::new_state(outcome);
    let stmt = txn
        .prepare_cached("UPDATE messages SET state = $2, reason = $3 WHERE id = $1")
        .await?;
    txn.execute(&stmt, &[&id.0, &new_state, &reason]).await?;
    Ok(())
}

async fn insert_events(
    txn: &Transaction<'_>,
    id: MessageId,
    events: &[StoredEvent],
) -> Result<(), StoreError> {
    let stmt = txn
        .prepare_cached(
            "INSERT INTO events (message_id, event_id, kind, patient_key, json)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .await?;
    for e in events {
        txn.execute(&stmt, &[&id.0, &e.id, &e.kind, &e.patient_key, &e.json])
            .await?;
    }
    Ok(())
}

/// Re-queues a message's finished deliveries, or sends a filtered/failed message back to the
/// router: decoded again, all its events are routed again, so the deliveries a failed message's
/// pass-through events had are dropped for the new ones (refused while one is being sent).
pub(crate) async fn replay_message(
    txn: &Transaction<'_>,
    id: MessageId,
    now: i64,
) -> Result<Replayed, StoreError> {
    match message_state(txn, id).await?.as_str() {
        state @ ("filtered" | "failed") => {
            let leased: i64 = txn
                .query_one(
                    "SELECT COUNT(*) FROM deliveries WHERE message_id = $1 AND state = 'leased'",
                    &[&id.0],
                )
                .await?
                .get(0);
            crate::rules::expect_none_leased(id, state, leased)?;
            txn.execute("DELETE FROM deliveries WHERE message_id = $1", &[&id.0])
                .await?;
            txn.execute("DELETE FROM events WHERE message_id = $1", &[&id.0])
                .await?;
            txn.execute(
                "UPDATE messages SET state = 'received', reason = NULL WHERE id = $1",
                &[&id.0],
            )
            .await?;
            Ok(Replayed {
                deliveries: 0,
                rerouted: true,
            })
        }
        "routed" => {
            let n = super::outbox::requeue(
                txn,
                "message_id = $1 AND state IN ('delivered', 'dead')",
                &id.0,
                now,
            )
            .await?;
            Ok(Replayed {
                deliveries: n as usize,
                rerouted: false,
            })
        }
        _ => Ok(Replayed::default()),
    }
}

/// Deletes up to `batch` finished messages received before `cutoff`; returns
/// `(messages, deliveries)` deleted.
pub(crate) async fn prune_batch(
    txn: &Transaction<'_>,
    cutoff: i64,
    batch: usize,
) -> Result<(u64, u64), StoreError> {
    let limit = i64::try_from(batch.max(1)).unwrap_or(i64::MAX);
    let ids: Vec<i64> = txn
        .query(
            "SELECT m.id FROM messages m
             WHERE m.received_at < $1
               AND (m.state IN ('filtered', 'rejected')
                    OR (m.state = 'routed' AND NOT EXISTS (
                        SELECT 1 FROM deliveries d
                        WHERE d.message_id = m.id AND d.state <> 'delivered')))
             ORDER BY m.id
             LIMIT $2
             FOR UPDATE SKIP LOCKED",
            &[&cutoff, &limit],
        )
        .await?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<Result<_, _>>()?;
    if ids.is_empty() {
        return Ok((0, 0));
    }
    txn.execute(
        "DELETE FROM attempts WHERE delivery_id IN
            (SELECT id FROM deliveries WHERE message_id = ANY($1))",
        &[&ids],
    )
    .await?;
    let deliveries = txn
        .execute("DELETE FROM deliveries WHERE message_id = ANY($1)", &[&ids])
        .await?;
    txn.execute("DELETE FROM events WHERE message_id = ANY($1)", &[&ids])
        .await?;
    txn.execute("DELETE FROM duplicates WHERE message_id = ANY($1)", &[&ids])
        .await?;
    let messages = txn
        .execute("DELETE FROM messages WHERE id = ANY($1)", &[&ids])
        .await?;
    Ok((messages, deliveries))
}

/// Sets or deletes one state value.
pub(crate) async fn put_state(
    txn: &Transaction<'_>,
    key: &str,
    value: Option<&str>,
    now: i64,
) -> Result<(), StoreError> {
    match value {
        Some(v) => {
            txn.execute(
                "INSERT INTO state (key, value, updated_at) VALUES ($1, $2, $3)
                 ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value,
                                                 updated_at = EXCLUDED.updated_at",
                &[&key, &v, &now],
            )
            .await?
        }
        None => {
            txn.execute("DELETE FROM state WHERE key = $1", &[&key])
                .await?
        }
    };
    Ok(())
}

/// Takes or renews the leader lease `name` for `node` when it is free, expired or already
/// `node`'s; true when `node` holds it afterwards.
pub(crate) async fn try_lead(
    txn: &Transaction<'_>,
    name: &str,
    node: &str,
    now: i64,
    ttl_ms: i64,
) -> Result<bool, StoreError> {
    let until = now.saturating_add(ttl_ms.max(0));
    let row = txn
        .query_opt(
            "INSERT INTO leases (name, holder, until) VALUES ($1, $2, $4)
             ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, until = EXCLUDED.until
             WHERE leases.holder = EXCLUDED.holder OR leases.until <= $3
             RETURNING holder",
            &[&name, &node, &now, &until],
        )
        .await?;
    Ok(row.is_some())
}
