//! Read handlers for messages: the filtered, keyset-paginated list, one message's detail
//! (with its body for operators), and the raw bytes (operators). Every body view is audited
//! before it is sent.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS};
use axum::response::{IntoResponse, Response};
use junction_store::{MessageDetail, MessageFilter, MessageId, MessageStatus, Store};
use serde::Deserialize;
use serde_json::{Value, json};

use super::AdminState;
use super::audit::{AuditAction, AuditTarget};
use super::auth::{Caller, Role};
use super::error::ApiError;
use super::views;

/// The page size when `limit` is not given.
pub const DEFAULT_LIMIT: usize = 100;
/// The largest page size.
pub const MAX_LIMIT: usize = 500;

/// `GET /api/messages` query parameters; times are unix ms or RFC 3339.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    from: Option<String>,
    to: Option<String>,
    source: Option<String>,
    state: Option<String>,
    message_type: Option<String>,
    control_id: Option<String>,
    patient_key: Option<String>,
    limit: Option<String>,
    before: Option<String>,
}

impl ListQuery {
    /// The store filter, and the page size asked for.
    fn filter(self) -> Result<(MessageFilter, usize), ApiError> {
        let limit = match self.limit.as_deref() {
            None => DEFAULT_LIMIT,
            Some(s) => match s.parse::<usize>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
                _ => return Err(bad(format!("limit must be 1 to {MAX_LIMIT}"))),
            },
        };
        let state = match self.state.as_deref() {
            None => None,
            Some(s) => Some(MessageStatus::parse(s).ok_or_else(|| {
                bad("state must be received, rejected, routed, filtered or failed".into())
            })?),
        };
        if let Some(pattern) = &self.message_type {
            // The same globs as routes' `message_types`; the store matches them the same way.
            junction_router::matcher::Glob::new(pattern)
                .map_err(|e| bad(format!("message_type is not a glob: {e}")))?;
        }
        let before_id = match self.before.as_deref() {
            None => None,
            Some(s) => Some(MessageId(s.parse().map_err(|_| {
                bad("before must be a message id (the `next` of the previous page)".into())
            })?)),
        };
        let filter = MessageFilter {
            from: self
                .from
                .as_deref()
                .map(|s| parse_time("from", s))
                .transpose()?,
            to: self
                .to
                .as_deref()
                .map(|s| parse_time("to", s))
                .transpose()?,
            source: self.source,
            state,
            message_type: self.message_type,
            control_id: self.control_id,
            patient_key: self.patient_key,
            // One more than asked, to know whether there is a next page.
            limit: limit + 1,
            before_id,
        };
        Ok((filter, limit))
    }
}

fn bad(msg: String) -> ApiError {
    ApiError::BadRequest(msg)
}

/// A time parameter as unix ms: an integer, or an RFC 3339 timestamp.
fn parse_time(name: &str, s: &str) -> Result<i64, ApiError> {
    if let Ok(ms) = s.parse::<i64>() {
        return Ok(ms);
    }
    let t = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .map_err(|_| {
            bad(format!(
                "{name} must be unix milliseconds or an RFC 3339 time"
            ))
        })?;
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000)
        .map_err(|_| bad(format!("{name} is out of range")))
}

/// `GET /api/messages`: metadata, newest first, `next` is the `before` of the next page.
pub async fn list<S: Store>(
    State(state): State<Arc<AdminState<S>>>,
    caller: Caller,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Role::Viewer)?;
    let Query(query) = query.map_err(|e| bad(e.body_text()))?;
    let (filter, limit) = query.filter()?;
    if filter.patient_key.is_some() {
        // Which messages concern a patient is itself patient data: answerable like a view.
        state
            .audit
            .record(&caller, AuditAction::SearchByPatient, AuditTarget::None)
            .await
            .map_err(ApiError::Audit)?;
    }
    let mut rows = state.store.list_messages(filter).await?;
    let next = if rows.len() > limit {
        rows.truncate(limit);
        rows.last().map(|m| m.id.0)
    } else {
        None
    };
    let messages: Vec<Value> = rows.iter().map(views::summary).collect();
    Ok(Json(json!({ "messages": messages, "next": next })))
}

/// `GET /api/messages/{id}` query parameters.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DetailQuery {
    include: Option<String>,
}

/// `GET /api/messages/{id}[?include=body]`.
pub async fn detail<S: Store>(
    State(state): State<Arc<AdminState<S>>>,
    caller: Caller,
    Path(id): Path<String>,
    query: Result<Query<DetailQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    caller.require(Role::Viewer)?;
    let Query(query) = query.map_err(|e| bad(e.body_text()))?;
    let with_body = match query.include.as_deref() {
        None => false,
        Some("body") => true,
        Some(_) => return Err(bad("include must be `body`".into())),
    };
    if with_body {
        caller.require(Role::Operator)?;
    }
    let id = parse_id(&id)?;
    let msg = fetch(&state.store, id).await?;
    if with_body {
        audit_view(&state, &caller, AuditAction::ViewMessage, id).await?;
    }
    let mut view = views::detail(&msg, with_body);
    add_mesh_message_ids(&state.store, &state.mesh_destinations, &mut view).await?;
    let body = Json(view);
    Ok(if with_body {
        private(body.into_response())
    } else {
        body.into_response()
    })
}

/// `GET /api/messages/{id}/raw`: the bytes exactly as received.
pub async fn raw<S: Store>(
    State(state): State<Arc<AdminState<S>>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    caller.require(Role::Operator)?;
    let id = parse_id(&id)?;
    let msg = fetch(&state.store, id).await?;
    audit_view(&state, &caller, AuditAction::ViewRaw, id).await?;
    let content_type = views::raw_content_type(&msg.summary.content_type);
    Ok(private(
        ([(CONTENT_TYPE, content_type)], msg.raw).into_response(),
    ))
}

/// Marks a response holding patient data: never cached, never sniffed.
fn private(mut res: Response) -> Response {
    let headers = res.headers_mut();
    headers.insert(
        CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    headers.insert(
        X_CONTENT_TYPE_OPTIONS,
        axum::http::HeaderValue::from_static("nosniff"),
    );
    res
}

/// A message id from the path.
pub fn parse_id(s: &str) -> Result<MessageId, ApiError> {
    s.parse()
        .map(MessageId)
        .map_err(|_| bad("message id must be an integer".into()))
}

/// Adds `mesh_message_id` to each delivery sent over MESH (to one of `mesh_destinations`):
/// the id to trace it by on MESH (an opaque id, not patient data). Other deliveries cost no
/// lookup.
async fn add_mesh_message_ids<S: Store>(
    store: &S,
    mesh_destinations: &[String],
    view: &mut Value,
) -> Result<(), ApiError> {
    let Some(deliveries) = view["deliveries"].as_array_mut() else {
        return Ok(());
    };
    for delivery in deliveries {
        let over_mesh = delivery["destination"]
            .as_str()
            .is_some_and(|d| mesh_destinations.iter().any(|m| m == d));
        let Some(id) = delivery["id"].as_i64().filter(|_| over_mesh) else {
            continue;
        };
        let key = junction_national::mesh::message_id_state_key(id);
        if let Some(mesh_id) = store.get_state(&key).await? {
            delivery["mesh_message_id"] = Value::String(mesh_id);
        }
    }
    Ok(())
}

async fn fetch<S: Store>(store: &S, id: MessageId) -> Result<MessageDetail, ApiError> {
    store
        .get_message(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("message {id} not found")))
}

async fn audit_view<S: Store>(
    state: &AdminState<S>,
    caller: &Caller,
    action: AuditAction,
    id: MessageId,
) -> Result<(), ApiError> {
    state
        .audit
        .record(caller, action, AuditTarget::Message(id.0))
        .await
        .map_err(ApiError::Audit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_millis_or_rfc3339() {
        assert_eq!(
            parse_time("from", "1700000000000").ok(),
            Some(1_700_000_000_000)
        );
        assert_eq!(
            parse_time("from", "2023-11-14T22:13:20Z").ok(),
            Some(1_700_000_000_000)
        );
        assert!(parse_time("from", "yesterday").is_err());
    }

    #[test]
    fn a_page_asks_the_store_for_one_more() {
        let q = ListQuery {
            limit: Some("10".into()),
            state: Some("routed".into()),
            ..ListQuery::default()
        };
        let (filter, limit) = q.filter().unwrap();
        assert_eq!((filter.limit, limit), (11, 10));
        assert_eq!(filter.state, Some(MessageStatus::Routed));
        let q = ListQuery {
            limit: Some("0".into()),
            ..ListQuery::default()
        };
        assert!(q.filter().is_err());
    }
}
