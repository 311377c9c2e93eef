//! The outbox's write statements (lease, complete, replay and purge of dead deliveries); like
//! `write`, each runs inside the writer's batch transaction.

use std::collections::HashSet;

use rusqlite::{Connection, OptionalExtension, params};

use super::event_json::StoredJson;
use crate::{Delivery, DeliveryId, MessageId, Outcome, StoreError};

/// The open (pending or leased) deliveries of a destination (`?1`): id, ordering key, and
/// whether it is due at `?2`, in id order, which is the order of the `deliveries_open` index
/// it walks. No ORDER BY: with one, the bundled SQLite re-prepared the statement on every call
/// (`hot_statements_are_prepared_once`); `lease` checks the order instead.
pub(crate) const OPEN_IN_ORDER: &str = "SELECT d.id, d.ordering_key,
            (d.state = 'pending' AND d.next_attempt_at <= ?2)
              OR (d.state = 'leased' AND d.lease_until <= ?2)
     FROM deliveries d INDEXED BY deliveries_open
     WHERE d.destination = ?1 AND d.state IN ('pending', 'leased')";

/// Leases up to `max` due deliveries of `destination`, lowest id first, one per ordering key.
pub(crate) fn lease(
    conn: &Connection,
    destination: &str,
    max: usize,
    now: i64,
    lease_ms: i64,
    worker: &str,
) -> Result<Vec<Delivery>, StoreError> {
    if max == 0 {
        return Ok(Vec::new());
    }
    let until = now.saturating_add(lease_ms.max(0));
    // A delivery is due when pending and its time has come, or when its lease has run out.
    // It is blocked while a lower id with the same key is pending or leased: walking the open
    // deliveries in id order (the `deliveries_open` index's own order, so no sort), only the
    // first one met of each key may go. Keeping the keys seen here rather than in an index by
    // key spares every delivery three writes at random places in that index (routed, leased,
    // done). The walk stops at `max`; ids first, payloads (kilobytes each) only for the winners.
    let mut select = conn.prepare_cached(OPEN_IN_ORDER)?;
    let mut open = select.query(params![destination, now])?;
    let mut keys_seen: HashSet<String> = HashSet::new();
    let mut ids = Vec::with_capacity(max);
    let mut last_id = i64::MIN;
    while ids.len() < max {
        let Some(row) = open.next()? else { break };
        let id: i64 = row.get(0)?;
        if id <= last_id {
            // Per-key order rests on the walk's order; never lease on a walk out of it.
            return Err(StoreError::Corrupt(format!(
                "open deliveries walked out of id order ({last_id} then {id})"
            )));
        }
        last_id = id;
        let key = row.get_ref(1)?.as_str_or_null().map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(1, rusqlite::types::Type::Text, e.into())
        })?;
        let first_of_its_key = match key {
            None => true,
            Some(key) if keys_seen.contains(key) => false,
            Some(key) => keys_seen.insert(key.to_owned()),
        };
        if first_of_its_key && row.get::<_, bool>(2)? {
            ids.push(id);
        }
    }
    drop(open);
    let mut fetch = conn.prepare_cached(
        "SELECT d.message_id, d.event_id, d.ordering_key,
                CASE WHEN d.payload_from_event THEN (SELECT e.json FROM events e
                    WHERE e.message_id = d.message_id AND e.event_id = d.event_id LIMIT 1)
                    ELSE d.payload END,
                d.attempts, d.state, d.lease_owner
         FROM deliveries d WHERE d.id = ?1",
    )?;
    let mut rows = Vec::with_capacity(ids.len());
    for id in ids {
        rows.push(fetch.query_row([id], |r| {
            Ok((
                Delivery {
                    id: DeliveryId(id),
                    message_id: MessageId(r.get(0)?),
                    event_id: r.get(1)?,
                    destination: destination.to_owned(),
                    ordering_key: r.get(2)?,
                    payload: r.get::<_, StoredJson>(3)?.0,
                    attempts: r.get(4)?,
                    lease_until: until,
                    lease_owner: worker.to_owned(),
                },
                r.get::<_, String>(5)?,
                r.get::<_, Option<String>>(6)?,
            ))
        })?);
    }
    let mut update = conn.prepare_cached(
        "UPDATE deliveries SET state = 'leased', lease_until = ?2, lease_owner = ?3 WHERE id = ?1",
    )?;
    let mut expired = conn.prepare_cached(
        "INSERT INTO attempts (delivery_id, at, outcome, error, worker)
         VALUES (?1, ?2, 'lease_expired', NULL, ?3)",
    )?;
    let mut out = Vec::with_capacity(rows.len());
    for (delivery, state, old_owner) in rows {
        if state == "leased" {
            expired.execute(params![delivery.id.0, now, old_owner])?;
        }
        update.execute(params![delivery.id.0, until, worker])?;
        out.push(delivery);
    }
    Ok(out)
}

/// Records a worker's outcome for a delivery it holds the lease of.
pub(crate) fn complete(
    conn: &Connection,
    id: DeliveryId,
    owner: &str,
    outcome: &Outcome,
) -> Result<(), StoreError> {
    let row: Option<(String, Option<String>)> = conn
        .prepare_cached("SELECT state, lease_owner FROM deliveries WHERE id = ?1")?
        .query_row([id.0], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some((state, lease_owner)) = row else {
        return Err(StoreError::NotFound {
            what: "delivery",
            id: id.0,
        });
    };
    if state != "leased" || lease_owner.as_deref() != Some(owner) {
        return Err(StoreError::LeaseLost(id.0));
    }
    let (at, name, error) = match outcome {
        Outcome::Delivered { at } => {
            conn.prepare_cached(
                "UPDATE deliveries SET state = 'delivered', attempts = attempts + 1,
                        delivered_at = ?2, lease_until = NULL, lease_owner = NULL
                 WHERE id = ?1",
            )?
            .execute(params![id.0, at])?;
            (*at, "delivered", None)
        }
        Outcome::Retry {
            at,
            next_attempt_at,
            error,
        } => {
            conn.prepare_cached(
                "UPDATE deliveries SET state = 'pending', attempts = attempts + 1,
                        next_attempt_at = ?2, last_error = ?3, lease_until = NULL,
                        lease_owner = NULL
                 WHERE id = ?1",
            )?
            .execute(params![id.0, next_attempt_at, error])?;
            (*at, "retry", Some(error.as_str()))
        }
        Outcome::Dead { at, error } => {
            conn.prepare_cached(
                "UPDATE deliveries SET state = 'dead', attempts = attempts + 1, last_error = ?2,
                        lease_until = NULL, lease_owner = NULL
                 WHERE id = ?1",
            )?
            .execute(params![id.0, error])?;
            (*at, "dead", Some(error.as_str()))
        }
    };
    conn.prepare_cached(
        "INSERT INTO attempts (delivery_id, at, outcome, error, worker) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![id.0, at, name, error, owner])?;
    Ok(())
}

/// Puts every dead delivery of `destination` back to pending.
pub(crate) fn replay_dead(
    conn: &Connection,
    destination: &str,
    now: i64,
) -> Result<u64, StoreError> {
    requeue(
        conn,
        "destination = ?1 AND state = 'dead'",
        destination,
        now,
    )
}

/// Resets the deliveries matching `cond` (with `?1` bound to `key`) to pending with a fresh
/// attempt budget, noting the replay in their history. Ids, and so their order, are kept.
pub(crate) fn requeue(
    conn: &Connection,
    cond: &str,
    key: impl rusqlite::ToSql,
    now: i64,
) -> Result<u64, StoreError> {
    conn.execute(
        &format!(
            "INSERT INTO attempts (delivery_id, at, outcome, error, worker)
             SELECT id, ?2, 'replayed', NULL, NULL FROM deliveries WHERE {cond}"
        ),
        params![key, now],
    )?;
    let n = conn.execute(
        &format!(
            "UPDATE deliveries SET state = 'pending', attempts = 0, next_attempt_at = ?2,
                    lease_until = NULL, lease_owner = NULL, delivered_at = NULL
             WHERE {cond}"
        ),
        params![key, now],
    )?;
    Ok(n as u64)
}

/// Deletes every dead delivery of `destination` and its history.
pub(crate) fn purge_dead(conn: &Connection, destination: &str) -> Result<u64, StoreError> {
    conn.execute(
        "DELETE FROM attempts WHERE delivery_id IN
            (SELECT id FROM deliveries WHERE destination = ?1 AND state = 'dead')",
        [destination],
    )?;
    let n = conn.execute(
        "DELETE FROM deliveries WHERE destination = ?1 AND state = 'dead'",
        [destination],
    )?;
    Ok(n as u64)
}

/// Hands back every lease `worker` holds, as a restarted worker does for the leases its
/// previous life took: those sends were cut off, so the deliveries are due again now.
pub(crate) fn release_leases(conn: &Connection, worker: &str) -> Result<u64, StoreError> {
    let n = conn.execute(
        "UPDATE deliveries SET state = 'pending', lease_until = NULL, lease_owner = NULL
         WHERE state = 'leased' AND lease_owner = ?1",
        [worker],
    )?;
    Ok(n as u64)
}
