//! The store's error type: what went wrong, never which message it was about.

use thiserror::Error;

/// Why a store operation failed. No variant carries message content or patient data.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum StoreError {
    /// The database could not be reached or written (I/O, locking, full disk); the caller
    /// should treat the operation as not done (e.g. NAK with `AR`) and try again later.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// The store is shut down (its writer has stopped).
    #[error("store closed")]
    Closed,
    /// No message or delivery with that id.
    #[error("{what} {id} not found")]
    NotFound {
        /// `message` or `delivery`.
        what: &'static str,
        /// The id looked for.
        id: i64,
    },
    /// The caller's lease on the delivery expired and it was taken again or completed; the
    /// caller's outcome was not recorded.
    #[error("lease on delivery {0} lost")]
    LeaseLost(i64),
    /// The operation does not fit the row's state (e.g. routing a message twice).
    #[error("message {id} is {state}, not {expected}")]
    InvalidState {
        /// The message id.
        id: i64,
        /// Its state.
        state: String,
        /// The state the operation needs.
        expected: &'static str,
    },
    /// The request is malformed (e.g. a delivery names an event not in the outcome).
    #[error("invalid request: {0}")]
    Invalid(&'static str),
    /// The database holds something this code cannot read (unknown state, newer schema).
    #[error("store corrupt: {0}")]
    Corrupt(String),
}

impl From<rusqlite::Error> for StoreError {
    fn from(err: rusqlite::Error) -> Self {
        // SQLite's own messages name tables and columns, not values, but keep only the error
        // code so no bound parameter can ever leak through.
        match err {
            rusqlite::Error::SqliteFailure(e, _) => match e.code {
                rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase => {
                    StoreError::Corrupt(format!("sqlite {:?} ({})", e.code, e.extended_code))
                }
                code => StoreError::Unavailable(format!("sqlite {code:?} ({})", e.extended_code)),
            },
            rusqlite::Error::FromSqlConversionFailure(col, ty, _) => {
                StoreError::Corrupt(format!("column {col} not convertible from {ty}"))
            }
            rusqlite::Error::InvalidColumnType(col, _, ty) => {
                StoreError::Corrupt(format!("column {col} has type {ty}"))
            }
            rusqlite::Error::QueryReturnedNoRows => StoreError::Corrupt("row missing".into()),
            _ => StoreError::Unavailable("sqlite client error".into()),
        }
    }
}

impl From<std::io::Error> for StoreError {
    fn from(err: std::io::Error) -> Self {
        StoreError::Unavailable(format!("io: {}", err.kind()))
    }
}
