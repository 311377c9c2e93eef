//! MESH (Message Exchange for Social Care and Health), MESH API 2.0.0: [`MeshClient`] speaks
//! the REST API (handshake, chunked send with optional gzip, inbox list, chunked download,
//! acknowledge, tracking by local id) with the `NHSMESH` HMAC token ([`auth`]) and an optional
//! client certificate; [`MeshSink`] sends deliveries from the outbox; [`InboxPoller`] hands
//! inbox messages to the journal and acknowledges them on MESH only after the commit.
//!
//! ```text
//! router ─▶ MeshSink ─▶ MeshClient ─▶ /outbox           /inbox ─▶ MeshClient ─▶ InboxPoller ─▶ Ingest
//! ```
//! MESH does not use the API platform's JWT, so this module has its own small HTTP layer
//! ([`http`]) over `junction_connectors::http_client`.

use std::time::Duration;

use junction_connectors::tls::TlsClientConfig;

pub mod auth;
pub mod chunk;
mod client;
pub mod error;
mod http;
mod message;
mod poller;
mod sink;

pub use auth::MeshCredentials;
pub use client::MeshClient;
pub use error::MeshError;
pub use message::{InboxMessage, OutgoingMessage, Tracked};
pub use poller::{InboxPoller, PollReport, PollerConfig};
pub use sink::{MeshSink, MeshSinkConfig, SendMode, message_id_state_key};

/// How to reach one MESH mailbox.
#[derive(Debug, Clone)]
pub struct MeshConfig {
    /// The MESH server's root URL, e.g. `https://msg.intspineservices.nhs.uk` (paths
    /// `/messageexchange/…` are appended).
    pub base_url: String,
    /// The mailbox id, its password and the environment's shared secret.
    pub credentials: MeshCredentials,
    /// CA trust and the mailbox's client certificate (MESH requires one; the sandbox does not).
    pub tls: TlsClientConfig,
    /// Time allowed for one request (one chunk, up and down).
    pub timeout: Duration,
    /// Sent as `mex-ClientVersion` on the handshake and as `User-Agent`.
    pub client_version: String,
}

impl MeshConfig {
    /// A 120 s timeout, the system trust store, no client certificate.
    pub fn new(base_url: impl Into<String>, credentials: MeshCredentials) -> Self {
        Self {
            base_url: base_url.into(),
            credentials,
            tls: TlsClientConfig::default(),
            timeout: Duration::from_secs(120),
            client_version: format!("junction=={}", env!("CARGO_PKG_VERSION")),
        }
    }
}
