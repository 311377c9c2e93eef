//! `GET /api/openapi.json`: the admin API described as OpenAPI 3.1, from the hand-written
//! `openapi.json` beside this file (a test holds it to [`super::routes`]).

use std::sync::Arc;

use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use junction_store::Store;

use super::AdminState;
use super::auth::{Caller, Role};
use super::error::ApiError;

/// The document as served.
pub const DOCUMENT: &str = include_str!("openapi.json");

/// `GET /api/openapi.json`.
pub async fn document<S: Store>(
    _state: axum::extract::State<Arc<AdminState<S>>>,
    caller: Caller,
) -> Result<Response, ApiError> {
    caller.require(Role::Viewer)?;
    Ok(([(CONTENT_TYPE, "application/json")], DOCUMENT).into_response())
}
