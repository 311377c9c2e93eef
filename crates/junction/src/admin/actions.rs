//! Handlers that change the outbox (replays and purges, audited before they act) and the
//! queue-depth view.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::extract::{Path, State};
use junction_store::{QueueDepth, Store};
use serde_json::{Value, json};

use super::AdminState;
use super::audit::{AuditAction, AuditTarget};
use super::auth::{Caller, Role};
use super::error::ApiError;
use super::messages::parse_id;
use super::views;

/// Now as unix ms, the store's unit of time.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// `POST /api/messages/{id}/replay`: its delivered and dead deliveries go back to pending
/// (a filtered or failed message back to the router), then dispatchers are woken.
pub async fn replay_message<S: Store>(
    State(state): State<Arc<AdminState<S>>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Role::Operator)?;
    let id = parse_id(&id)?;
    // The record is written before the act: an act is never done unrecorded.
    state
        .audit
        .record(
            &caller,
            AuditAction::ReplayMessage,
            AuditTarget::Message(id.0),
        )
        .await
        .map_err(ApiError::Audit)?;
    let replayed = state.store.replay_message(id, now_ms()).await?;
    (state.replay_hook)();
    tracing::info!(message_id = id.0, token = %caller.name, deliveries = replayed.deliveries,
        "admin: message replayed");
    Ok(Json(json!({
        "message_id": id.0,
        "deliveries": replayed.deliveries,
        "rerouted": replayed.rerouted,
    })))
}

/// `POST /api/destinations/{name}/replay-dead`: every dead delivery back to pending.
pub async fn replay_dead<S: Store>(
    State(state): State<Arc<AdminState<S>>>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Role::Operator)?;
    configured_destination(&state, &name)?;
    state
        .audit
        .record(
            &caller,
            AuditAction::ReplayDead,
            AuditTarget::Destination(&name),
        )
        .await
        .map_err(ApiError::Audit)?;
    let n = state.store.replay_dead(&name, now_ms()).await?;
    (state.replay_hook)();
    tracing::info!(destination = %name, token = %caller.name, replayed = n,
        "admin: dead deliveries replayed");
    Ok(Json(json!({ "destination": name, "replayed": n })))
}

/// `DELETE /api/destinations/{name}/dead`: every dead delivery deleted, with its history.
pub async fn purge_dead<S: Store>(
    State(state): State<Arc<AdminState<S>>>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Role::Admin)?;
    configured_destination(&state, &name)?;
    state
        .audit
        .record(
            &caller,
            AuditAction::PurgeDead,
            AuditTarget::Destination(&name),
        )
        .await
        .map_err(ApiError::Audit)?;
    let n = state.store.purge_dead(&name).await?;
    tracing::warn!(destination = %name, token = %caller.name, purged = n,
        "admin: dead deliveries purged");
    Ok(Json(json!({ "destination": name, "purged": n })))
}

/// `GET /api/queues`: outbox depth of every configured destination (zeros when it has nothing
/// waiting) and of any other destination the outbox still holds deliveries for, by name.
pub async fn queues<S: Store>(
    State(state): State<Arc<AdminState<S>>>,
    caller: Caller,
) -> Result<Json<Value>, ApiError> {
    caller.require(Role::Viewer)?;
    let mut depths = state.store.queue_depths(now_ms()).await?;
    for name in &state.destinations {
        if !depths.iter().any(|d| &d.destination == name) {
            depths.push(QueueDepth::empty(name));
        }
    }
    depths.sort_by(|a, b| a.destination.cmp(&b.destination));
    let queues: Vec<Value> = depths.iter().map(views::queue).collect();
    Ok(Json(json!({ "queues": queues })))
}

/// A destination name taken from a URL must be one the config names: anything else is 404,
/// and its text goes nowhere (not into the answer, the audit log or a log line).
fn configured_destination<S>(state: &AdminState<S>, name: &str) -> Result<(), ApiError> {
    if state.destinations.iter().any(|d| d == name) {
        Ok(())
    } else {
        Err(ApiError::NotFound(
            "no destination of that name is configured".into(),
        ))
    }
}
