//! The admin API's errors and how each becomes a JSON `{ "error": "…" }` response. Messages
//! name ids, roles and destinations only: never message content or patient data.

use axum::Json;
use axum::http::header::WWW_AUTHENTICATE;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use junction_store::StoreError;

use super::auth::Role;

/// Why an admin request failed.
#[derive(Debug)]
pub enum ApiError {
    /// No token, an unknown token, or (no tokens configured) a client not on loopback.
    Unauthorized,
    /// The caller's role is below the one named.
    Forbidden(Role),
    /// A malformed request: bad query parameter, bad id.
    BadRequest(String),
    /// No such message.
    NotFound(String),
    /// The store failed.
    Store(StoreError),
    /// The audit record could not be written, so the request was not carried out.
    Audit(std::io::Error),
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound { what, id } => {
                ApiError::NotFound(format!("{what} {id} not found"))
            }
            other => ApiError::Store(other),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, msg) = match &self {
            ApiError::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                "a valid bearer token is required".to_owned(),
            ),
            ApiError::Forbidden(role) => (
                StatusCode::FORBIDDEN,
                format!("this needs the {} role or higher", role.as_str()),
            ),
            ApiError::BadRequest(msg) => (StatusCode::BAD_REQUEST, msg.clone()),
            ApiError::NotFound(msg) => (StatusCode::NOT_FOUND, msg.clone()),
            ApiError::Store(err @ (StoreError::Unavailable(_) | StoreError::Closed)) => {
                tracing::warn!(error = %err, "admin request: store unavailable");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "store unavailable".to_owned(),
                )
            }
            ApiError::Store(err @ StoreError::InvalidState { .. }) => {
                (StatusCode::CONFLICT, err.to_string())
            }
            ApiError::Store(err) => {
                tracing::error!(error = %err, "admin request: store error");
                (StatusCode::INTERNAL_SERVER_ERROR, "store error".to_owned())
            }
            ApiError::Audit(err) => {
                tracing::error!(error = %err, "admin request refused: audit log write failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "audit log unavailable: request not carried out".to_owned(),
                )
            }
        };
        let mut res = (status, Json(serde_json::json!({ "error": msg }))).into_response();
        if matches!(self, ApiError::Unauthorized) {
            res.headers_mut().insert(
                WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"junction-admin\""),
            );
        }
        res
    }
}
