//! The configuration's shape, section by section: what `config::load` returns once every check
//! has passed. Plain data with typed values (durations, sizes, socket addresses); the wiring code
//! turns these into the inner crates' own structs. Components are closed enums tagged by `type`.
//!
//! Relative paths written in the file (and the default store path) come out joined onto the
//! config file's directory (`paths`), so they mean the same from any working directory.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use junction_model::CodeTables;
use serde::Deserialize;

use super::components::{Destination, Route, Source};
use super::national::{National, NationalSim, Steps};
use super::units;

/// The whole, validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// `[node]`: this node's identity.
    pub node: Node,
    /// `[log]`: log format and level.
    pub log: Log,
    /// `[simulators]`: in-process simulators to start.
    pub simulators: Simulators,
    /// `[national.*]`: the NHS national services.
    pub national: National,
    /// `[steps.*]`: routing step settings.
    pub steps: Steps,
    /// `[store]`: journal and outbox storage.
    pub store: Store,
    /// `[http]`: admin API, ingest, `/metrics`, `/healthz`, `/readyz`.
    pub http: Http,
    /// `[code_tables]`: table name → CSV path, as written.
    #[allow(dead_code)] // kept for reporting where each table came from
    pub code_table_paths: BTreeMap<String, PathBuf>,
    /// The code tables, loaded from those CSV files.
    pub code_tables: CodeTables,
    /// `[[sources]]`, in file order.
    pub sources: Vec<Source>,
    /// `[[destinations]]`, in file order.
    pub destinations: Vec<Destination>,
    /// `[[routes]]`, in file order.
    pub routes: Vec<Route>,
}

/// `[simulators]`: simulators of outside services run inside the gateway, for the demo and
/// tests. Each key is the loopback address to serve on; absent means not started.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Simulators {
    /// A FHIR R4 server at `http://{fhir}/fhir` (see `junction-sim`).
    #[serde(default, deserialize_with = "units::opt_socket_addr")]
    pub fhir: Option<SocketAddr>,
    /// The NHS API platform token endpoint, PDS, e-RS and EPS on one listener.
    #[serde(default)]
    pub national: Option<NationalSim>,
}

/// `[node]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Node {
    /// Names this node in logs, metrics and the admin API; default `"junction"`.
    #[serde(default = "default_node_name")]
    pub name: String,
}

impl Default for Node {
    fn default() -> Self {
        Self {
            name: default_node_name(),
        }
    }
}

fn default_node_name() -> String {
    "junction".into()
}

/// `[log]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Log {
    /// `"text"` (default) or `"json"`.
    #[serde(default)]
    pub format: LogFormat,
    /// A filter such as `"info"` or `"info,junction_router=debug"`; default `"info"`.
    #[serde(default = "default_log_level")]
    pub level: String,
}

impl Default for Log {
    fn default() -> Self {
        Self {
            format: LogFormat::default(),
            level: default_log_level(),
        }
    }
}

fn default_log_level() -> String {
    "info".into()
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object a line.
    Json,
}

/// `[store]`: the backend (tagged by `type`) plus retention settings.
#[derive(Debug, Clone)]
pub struct Store {
    /// Which database holds the journal and outbox.
    pub backend: StoreBackend,
    /// How long a message id is remembered to drop resent duplicates; default 7 days.
    pub dedup_window: Duration,
    /// How long delivered messages are kept before pruning; default 30 days.
    pub keep_delivered: Duration,
}

impl Default for Store {
    fn default() -> Self {
        Self {
            backend: StoreBackend::Sqlite(Sqlite::default()),
            dedup_window: Duration::from_secs(7 * 86_400),
            keep_delivered: Duration::from_secs(30 * 86_400),
        }
    }
}

/// The store backends: embedded SQLite, or PostgreSQL shared by several nodes.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum StoreBackend {
    /// Embedded SQLite: one node.
    Sqlite(Sqlite),
    /// PostgreSQL: several nodes share one database.
    Postgres(Postgres),
}

/// `[store] type = "sqlite"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sqlite {
    /// Database file; default `./data/junction.db`.
    #[serde(default = "default_sqlite_path")]
    pub path: PathBuf,
    /// How each commit is made durable (both sync the WAL before anything is acknowledged):
    /// `pipelined` (default: a second thread syncs while the next batch runs) or `in_commit`
    /// (SQLite's `synchronous=FULL`, syncing inside each COMMIT).
    #[serde(default)]
    pub sync: SqliteSync,
}

/// `[store] sync = "…"`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SqliteSync {
    /// `synchronous=NORMAL` plus an `fdatasync` of the WAL per commit group, on its own thread.
    #[default]
    Pipelined,
    /// `synchronous=FULL`.
    InCommit,
}

impl Default for Sqlite {
    fn default() -> Self {
        Self {
            path: default_sqlite_path(),
            sync: SqliteSync::default(),
        }
    }
}

fn default_sqlite_path() -> PathBuf {
    "./data/junction.db".into()
}

/// `[store] type = "postgres"`: several nodes share one database (each node's `[node] name`
/// must be unique in the cluster).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Postgres {
    /// Connection URL (`postgres://user@host:5432/db`); keep the password out of it with
    /// `password_file` or `password_env`.
    pub url: String,
    /// Connection pool size; default 16.
    #[serde(default = "default_pool")]
    pub pool: u32,
    /// Schema holding Junction's tables (created when missing), so several clusters or test
    /// runs can share one database; default the user's default schema. `[a-z0-9_]`, 1-40.
    #[serde(default)]
    pub schema: Option<String>,
    /// File holding the database password.
    #[serde(default)]
    pub password_file: Option<PathBuf>,
    /// Environment variable holding the database password.
    #[serde(default)]
    pub password_env: Option<String>,
    /// Names the cluster in the ids sent with each delivery (`X-Request-ID`, MESH local id),
    /// the same on every node so a delivery resent by another node keeps its id; default the
    /// schema name, else `junction`.
    #[serde(default)]
    pub cluster: Option<String>,
    /// How long a node's leader lease (pollers, retention) lasts unless renewed: the failover
    /// time when the leader dies; default 15s.
    #[serde(default = "default_leader_ttl", deserialize_with = "units::duration")]
    pub leader_ttl: Duration,
}

impl Postgres {
    /// Where the password is, when not in the URL.
    pub fn password(&self) -> Option<Secret> {
        secret(&self.password_file, &self.password_env)
    }
}

fn default_pool() -> u32 {
    16
}

fn default_leader_ttl() -> Duration {
    Duration::from_secs(15)
}

/// `[http]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Http {
    /// Listen address; default `127.0.0.1:8080`.
    #[serde(
        default = "default_http_listen",
        deserialize_with = "units::socket_addr"
    )]
    pub listen: SocketAddr,
    /// Bearer tokens for the admin API. With none, the admin API is served to loopback peers only.
    #[serde(default)]
    pub tokens: Vec<Token>,
    /// Where admin actions (replay, retry, purge) are recorded, one JSON line each.
    #[serde(default)]
    pub audit_log: Option<PathBuf>,
}

impl Default for Http {
    fn default() -> Self {
        Self {
            listen: default_http_listen(),
            tokens: Vec::new(),
            audit_log: None,
        }
    }
}

fn default_http_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8080))
}

/// `[[http.tokens]]`: one admin API bearer token. Exactly one of `token_file`, `token_env`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Token {
    /// Who holds the token (shown in the audit log).
    pub name: String,
    /// File holding the token.
    #[serde(default)]
    pub token_file: Option<PathBuf>,
    /// Environment variable holding the token.
    #[serde(default)]
    pub token_env: Option<String>,
    /// What the holder may do.
    pub role: Role,
}

impl Token {
    /// Where the token's secret is.
    pub fn secret(&self) -> Option<Secret> {
        secret(&self.token_file, &self.token_env)
    }
}

/// Admin API roles, each including the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Read-only: messages, deliveries, metrics.
    Viewer,
    /// Also retry, replay and pause destinations.
    Operator,
    /// Also purge and manage tokens.
    Admin,
}

/// Where a secret is read from at run time (files are checked by `load`; variables are not,
/// so that `junction check` gives the same answer wherever it runs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Secret {
    /// A file holding the secret.
    File(PathBuf),
    /// An environment variable holding the secret.
    Env(String),
}

pub(super) fn secret(file: &Option<PathBuf>, env: &Option<String>) -> Option<Secret> {
    match (file, env) {
        (Some(f), _) => Some(Secret::File(f.clone())),
        (None, Some(e)) => Some(Secret::Env(e.clone())),
        (None, None) => None,
    }
}

/// Server-side TLS for a listener.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerTls {
    /// PEM certificate chain.
    pub cert: PathBuf,
    /// PEM private key.
    pub key: PathBuf,
    /// PEM CA certificates; when set, clients must present a certificate it issued (mutual TLS).
    #[serde(default)]
    pub client_ca: Option<PathBuf>,
}

/// Client-side TLS for an outbound connection.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientTls {
    /// PEM CA certificates to trust; default the system's roots.
    #[serde(default)]
    pub ca: Option<PathBuf>,
    /// PEM client certificate chain (mutual TLS); needs `key`.
    #[serde(default)]
    pub cert: Option<PathBuf>,
    /// PEM client private key; needs `cert`.
    #[serde(default)]
    pub key: Option<PathBuf>,
    /// Name to verify the server's certificate against; default the address's host.
    #[serde(default)]
    pub server_name: Option<String>,
}
