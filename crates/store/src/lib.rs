//! Junction's durable journal and outbox: the [`Store`] trait the router and binary use, and
//! its backends: embedded SQLite ([`SqliteStore`]) and shared PostgreSQL ([`PostgresStore`]),
//! with [`AnyStore`] to pick one at run time.
//!
//! The store knows no other Junction crate: it keeps raw messages as bytes, events and
//! delivery payloads as JSON text, and plain metadata. A caller is told an operation is done
//! only after the transaction holding it has committed, so a source may ACK on `Ok`.

mod any;
mod error;
mod outbox;
mod postgres;
mod query;
mod rules;
mod sqlite;
mod store;
mod types;

pub use any::AnyStore;
pub use error::StoreError;
pub use outbox::*;
pub use postgres::{PgOptions, PostgresStore};
pub use sqlite::{SqliteStore, StoreOptions};
pub use store::{NoopObserver, Store, StoreObserver, StoredMessage};
pub use types::*;
