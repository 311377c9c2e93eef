//! The journal's write statements (append, route, replay, prune); each runs on the writer's
//! connection inside the batch transaction (see `writer`), so none of them commits by itself.

use rusqlite::{Connection, OptionalExtension, params};

use super::event_json::PackedEvents;
use crate::{
    Appended, MessageId, MessageState, NewMessage, Replayed, RouteOutcome, StoreError, StoredEvent,
};

/// Journals `msg`, or records it as a door duplicate of a message received within `window_ms`.
/// Earlier messages a new one duplicates: same source, sender and control id, received within
/// the window, not rejected.
pub(crate) const FIND_ORIGINALS: &str = "SELECT id FROM messages
     WHERE source = ?1 AND sender = ?2 AND control_id = ?3
       AND received_at > ?4 AND state <> 'rejected'";

/// The id the next appended message gets: one past the highest ever used (AUTOINCREMENT
/// keeps that in `sqlite_sequence` even after the row is pruned).
pub(crate) fn next_message_id(conn: &Connection) -> Result<i64, StoreError> {
    let used: i64 = conn.query_row(
        "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'messages'), 0),
                    COALESCE((SELECT MAX(id) FROM messages), 0))",
        [],
        |r| r.get(0),
    )?;
    Ok(used + 1)
}

/// Journals `msg` under the id `new_id` gives (asked only when it is not a door duplicate).
pub(crate) fn append(
    conn: &Connection,
    msg: &NewMessage,
    window_ms: i64,
    new_id: impl FnOnce() -> i64,
) -> Result<Appended, StoreError> {
    if let Some(original) = record_if_duplicate(conn, msg, window_ms)? {
        return Ok(Appended::Duplicate { original });
    }
    let id = MessageId(new_id());
    insert_message(conn, id, msg, crate::rules::journal_state(msg))?;
    Ok(Appended::New(id))
}

/// The original a door duplicate repeats, its attempt recorded against it; `None` when `msg`
/// is new. Only a `received` message with a sender and control id can be a duplicate.
fn record_if_duplicate(
    conn: &Connection,
    msg: &NewMessage,
    window_ms: i64,
) -> Result<Option<MessageId>, StoreError> {
    let (MessageState::Received, Some(sender), Some(control_id)) =
        (&msg.state, &msg.sender, &msg.control_id)
    else {
        return Ok(None);
    };
    // Rejected messages are never originals: their sender was NAKed and may resend.
    // The newest is picked here rather than by `ORDER BY id DESC LIMIT 1`: with that, SQLite
    // re-prepared the statement on nearly every append (with the lease's, a tenth of the
    // gateway's CPU; see docs/benchmarks.md and `hot_statements_are_prepared_once`).
    let mut originals = conn.prepare_cached(FIND_ORIGINALS)?;
    let window_start = msg.received_at.saturating_sub(window_ms);
    let mut original: Option<i64> = None;
    let ids = originals.query_map(params![msg.source, sender, control_id, window_start], |r| {
        r.get::<_, i64>(0)
    })?;
    for id in ids {
        original = original.max(Some(id?));
    }
    let Some(id) = original else {
        return Ok(None);
    };
    conn.prepare_cached("INSERT INTO duplicates (message_id, at, peer) VALUES (?1, ?2, ?3)")?
        .execute(params![id, msg.received_at, msg.peer])?;
    Ok(Some(MessageId(id)))
}

fn insert_message(
    conn: &Connection,
    id: MessageId,
    msg: &NewMessage,
    (state, reason): (&str, Option<&str>),
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO messages (id, source, received_at, peer, content_type, raw, message_type,
                               control_id, sender, state, reason)
         VALUES (?11, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        msg.source,
        msg.received_at,
        msg.peer,
        msg.content_type,
        msg.raw,
        msg.message_type,
        msg.control_id,
        msg.sender,
        state,
        reason,
        id.0
    ])?;
    Ok(())
}

/// Journals `msg` as `id` and records `outcome` (if any) for it in the same transaction when
/// no other message is waiting to be routed (see `Store::append_routed`); true when it did.
/// An outcome the rules refuse leaves the message journaled `received`, for the router.
///
/// The message row is written once, in its final state, with its events and deliveries:
/// journaling it `received` and routing it in a savepoint (as before) rewrote the row and
/// moved its `messages_state` entry, and the savepoint copied every page it first touched.
/// The outcome is checked before anything is written, so only a failing statement (the disk)
/// can stop it half way, and that fails the whole request, which the writer rolls back alone.
pub(crate) fn append_routed(
    conn: &Connection,
    id: MessageId,
    msg: &NewMessage,
    outcome: Option<(&RouteOutcome, &PackedEvents)>,
    window_ms: i64,
    now: i64,
) -> Result<(Appended, bool), StoreError> {
    if let Some(original) = record_if_duplicate(conn, msg, window_ms)? {
        return Ok((Appended::Duplicate { original }, false));
    }
    let at_the_door = outcome.filter(|(o, _)| {
        matches!(msg.state, MessageState::Received) && crate::rules::check_outcome(o).is_ok()
    });
    let (outcome, packed) = match at_the_door {
        Some(outcome) if !others_waiting(conn, id)? => outcome,
        _ => {
            insert_message(conn, id, msg, crate::rules::journal_state(msg))?;
            return Ok((Appended::New(id), false));
        }
    };
    insert_message(conn, id, msg, crate::rules::new_state(outcome))?;
    insert_outcome(conn, id, outcome, packed, now)?;
    Ok((Appended::New(id), true))
}

/// Whether a message other than `id` is still `received`: routing at the door would then
/// overtake it.
fn others_waiting(conn: &Connection, id: MessageId) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM messages WHERE state = 'received' AND id <> ?1)",
        )?
        .query_row([id.0], |r| r.get(0))?)
}

fn message_state(conn: &Connection, id: MessageId) -> Result<String, StoreError> {
    conn.prepare_cached("SELECT state FROM messages WHERE id = ?1")?
        .query_row([id.0], |r| r.get(0))
        .optional()?
        .ok_or(StoreError::NotFound {
            what: "message",
            id: id.0,
        })
}

/// Records the router's outcome for a `received` message; `packed` holds its events' JSON.
pub(crate) fn route(
    conn: &Connection,
    id: MessageId,
    outcome: &RouteOutcome,
    packed: &PackedEvents,
    now: i64,
) -> Result<(), StoreError> {
    crate::rules::expect_received(id, message_state(conn, id)?)?;
    crate::rules::check_outcome(outcome)?;
    insert_outcome(conn, id, outcome, packed, now)?;
    let (new_state, reason) = crate::rules::new_state(outcome);
    conn.prepare_cached("UPDATE messages SET state = ?2, reason = ?3 WHERE id = ?1")?
        .execute(params![id.0, new_state, reason])?;
    Ok(())
}

/// Writes what `outcome` holds for message `id`: its events and, when routed, its deliveries.
fn insert_outcome(
    conn: &Connection,
    id: MessageId,
    outcome: &RouteOutcome,
    packed: &PackedEvents,
    now: i64,
) -> Result<(), StoreError> {
    match outcome {
        RouteOutcome::Routed { events, deliveries }
        | RouteOutcome::Failed {
            events, deliveries, ..
        } => {
            insert_events(conn, id, events, packed)?;
            let mut stmt = conn.prepare_cached(
                "INSERT INTO deliveries (message_id, event_id, destination, ordering_key, payload,
                                         payload_from_event, state, next_attempt_at, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', ?7, ?7)",
            )?;
            for d in deliveries {
                // The event's JSON is stored once, in `events`; a delivery of it refers to it.
                let same = d.payload.is_none();
                let payload = d.payload.as_deref().unwrap_or("");
                stmt.execute(params![
                    id.0,
                    d.event_id,
                    d.destination,
                    d.ordering_key,
                    payload,
                    same,
                    now
                ])?;
            }
            Ok(())
        }
        RouteOutcome::Filtered { events, .. } => insert_events(conn, id, events, packed),
    }
}

fn insert_events(
    conn: &Connection,
    id: MessageId,
    events: &[StoredEvent],
    packed: &PackedEvents,
) -> Result<(), StoreError> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO events (message_id, event_id, kind, patient_key, json)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for (e, json) in events.iter().zip(packed.iter()) {
        stmt.execute(params![id.0, e.id, e.kind, e.patient_key, json])?;
    }
    Ok(())
}

/// Re-queues a message's finished deliveries, or sends a filtered/failed message back to the
/// router: decoded again, all its events are routed again, so the deliveries a failed message's
/// pass-through events had are dropped for the new ones (refused while one is being sent).
pub(crate) fn replay_message(
    conn: &Connection,
    id: MessageId,
    now: i64,
) -> Result<Replayed, StoreError> {
    match message_state(conn, id)?.as_str() {
        state @ ("filtered" | "failed") => {
            let leased: i64 = conn.query_row(
                "SELECT COUNT(*) FROM deliveries WHERE message_id = ?1 AND state = 'leased'",
                [id.0],
                |r| r.get(0),
            )?;
            crate::rules::expect_none_leased(id, state, leased)?;
            conn.execute("DELETE FROM deliveries WHERE message_id = ?1", [id.0])?;
            conn.execute("DELETE FROM events WHERE message_id = ?1", [id.0])?;
            conn.execute(
                "UPDATE messages SET state = 'received', reason = NULL WHERE id = ?1",
                [id.0],
            )?;
            Ok(Replayed {
                deliveries: 0,
                rerouted: true,
            })
        }
        "routed" => {
            let n = super::outbox::requeue(
                conn,
                "message_id = ?1 AND state IN ('delivered', 'dead')",
                id.0,
                now,
            )?;
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
pub(crate) fn prune_batch(
    conn: &Connection,
    cutoff: i64,
    batch: usize,
) -> Result<(u64, u64), StoreError> {
    let limit = i64::try_from(batch.max(1)).unwrap_or(i64::MAX);
    let ids = conn
        .prepare_cached(
            "SELECT m.id FROM messages m
             WHERE m.received_at < ?1
               AND (m.state IN ('filtered', 'rejected')
                    OR (m.state = 'routed' AND NOT EXISTS (
                        SELECT 1 FROM deliveries d
                        WHERE d.message_id = m.id AND d.state <> 'delivered')))
             ORDER BY m.id
             LIMIT ?2",
        )?
        .query_map(params![cutoff, limit], |r| r.get::<_, i64>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    let mut n_deliveries = 0;
    for id in &ids {
        conn.prepare_cached(
            "DELETE FROM attempts WHERE delivery_id IN
                (SELECT id FROM deliveries WHERE message_id = ?1)",
        )?
        .execute([id])?;
        n_deliveries += conn
            .prepare_cached("DELETE FROM deliveries WHERE message_id = ?1")?
            .execute([id])?;
        conn.prepare_cached("DELETE FROM events WHERE message_id = ?1")?
            .execute([id])?;
        conn.prepare_cached("DELETE FROM duplicates WHERE message_id = ?1")?
            .execute([id])?;
        conn.prepare_cached("DELETE FROM messages WHERE id = ?1")?
            .execute([id])?;
    }
    Ok((ids.len() as u64, n_deliveries as u64))
}

/// Gives up to `pages` free pages back to the file system; returns how many were freed.
/// Must run outside a transaction.
pub(crate) fn incremental_vacuum(conn: &Connection, pages: u32) -> Result<u64, StoreError> {
    let before: i64 = conn.query_row("PRAGMA freelist_count", [], |r| r.get(0))?;
    // The pragma frees one page per step: run it to completion, not just its first step.
    let mut stmt = conn.prepare(&format!("PRAGMA incremental_vacuum({pages})"))?;
    let mut rows = stmt.query([])?;
    while rows.next()?.is_some() {}
    drop(rows);
    drop(stmt);
    let after: i64 = conn.query_row("PRAGMA freelist_count", [], |r| r.get(0))?;
    Ok(u64::try_from(before - after).unwrap_or(0))
}

/// Sets or deletes one state value.
pub(crate) fn put_state(
    conn: &Connection,
    key: &str,
    value: Option<&str>,
    now: i64,
) -> Result<(), StoreError> {
    match value {
        Some(v) => conn
            .prepare_cached(
                "INSERT INTO state (key, value, updated_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value,
                                                 updated_at = excluded.updated_at",
            )?
            .execute(params![key, v, now])?,
        None => conn
            .prepare_cached("DELETE FROM state WHERE key = ?1")?
            .execute([key])?,
    };
    Ok(())
}

/// Takes or renews the leader lease `name` for `node` when it is free, expired or already
/// `node`'s; true when `node` holds it afterwards.
pub(crate) fn try_lead(
    conn: &Connection,
    name: &str,
    node: &str,
    now: i64,
    ttl_ms: i64,
) -> Result<bool, StoreError> {
    let until = now.saturating_add(ttl_ms.max(0));
    let held = conn
        .prepare_cached(
            "INSERT INTO leases (name, holder, until) VALUES (?1, ?2, ?4)
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until
             WHERE leases.holder = excluded.holder OR leases.until <= ?3
             RETURNING holder",
        )?
        .query_row(params![name, node, now, until], |_| Ok(()))
        .optional()?;
    Ok(held.is_some())
}
