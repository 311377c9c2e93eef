//! The components: `[[sources]]`, `[[destinations]]` and `[[routes]]`. Sources and destinations
//! are a few common keys plus a closed enum of kinds tagged by `type`; the loader splits each
//! table into the two so that errors in either keep their exact key and line.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use super::dicom::{DicomSource, DicomStoreSink};
use super::national::{EpsSink, ErsSink, ErsWorklist, MeshInbox, MeshSink};
use super::schema::{ClientTls, Secret, ServerTls, secret};
use super::units;

/// `[[sources]]`: where messages come in.
#[derive(Debug, Clone)]
pub struct Source {
    /// Unique among sources; names the source in routes, metrics and `/ingest/{name}`.
    pub name: String,
    /// The adapter that decodes this source's messages (`junction_adapters::BUILT_IN`).
    pub adapter: String,
    /// The protocol and its settings.
    pub kind: SourceKind,
}

/// The keys every source has.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SourceCommon {
    pub name: String,
    pub adapter: String,
}

/// Source protocols.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum SourceKind {
    /// HL7 v2 over MLLP (TCP, optionally TLS).
    Mllp(MllpSource),
    /// HTTP POST to `/ingest/{name}` on the `[http]` listener.
    Http(HttpSource),
    /// Polls the e-RS worklist (`[national.ers]`) for referrals to review.
    ErsWorklist(ErsWorklist),
    /// Polls our MESH inbox (`[national.mesh]`).
    MeshInbox(MeshInbox),
    /// DICOM C-ECHO/C-STORE from modalities and PACS.
    Dicom(DicomSource),
}

impl SourceKind {
    /// The `type` values, in declaration order.
    pub const TYPES: &[&str] = &["mllp", "http", "ers_worklist", "mesh_inbox", "dicom"];
}

/// `type = "mllp"` source.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MllpSource {
    /// `IP:port` to listen on.
    #[serde(deserialize_with = "units::socket_addr")]
    pub listen: SocketAddr,
    /// Largest frame accepted, in bytes; default 10 MiB.
    #[serde(default = "default_max_frame", deserialize_with = "units::size")]
    pub max_frame: u64,
    /// Connections served at once; default 1024.
    #[serde(default = "default_max_connections")]
    pub max_connections: u32,
    /// A connection idle this long is closed; default 5 minutes.
    #[serde(default = "default_idle_timeout", deserialize_with = "units::duration")]
    pub idle_timeout: Duration,
    /// TLS; with `client_ca`, mutual TLS.
    #[serde(default)]
    pub tls: Option<ServerTls>,
    /// Assigning authority of the local MRN when PID-3 does not name one.
    #[serde(default)]
    pub mrn_authority: Option<String>,
}

fn default_max_frame() -> u64 {
    10 << 20
}

fn default_max_connections() -> u32 {
    1024
}

fn default_idle_timeout() -> Duration {
    Duration::from_secs(300)
}

/// `type = "http"` source.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpSource {
    /// Largest request body accepted, in bytes; default 20 MiB.
    #[serde(default = "default_max_body", deserialize_with = "units::size")]
    pub max_body: u64,
}

fn default_max_body() -> u64 {
    20 << 20
}

/// `[[destinations]]`: where events go.
#[derive(Debug, Clone)]
pub struct Destination {
    /// Unique among destinations; names it in routes, metrics and the admin API.
    pub name: String,
    /// Deliveries in flight at once (never two for one patient); default 4.
    pub concurrency: u32,
    /// How failed deliveries are retried.
    pub retry: Retry,
    /// When to stop trying for a while.
    pub breaker: Breaker,
    /// May this destination see the address and contacts of a restricted (sensitive) record?
    /// Default no: such events reach it with those details removed.
    pub allow_restricted: bool,
    /// What the destination is sent instead of the event JSON (`hl7v2`: the event encoded
    /// as an HL7 v2 message, e.g. REF^I12 for a referral).
    pub encode: Option<Encode>,
    /// The protocol and its settings.
    pub kind: DestinationKind,
}

/// `encode = "…"` on a destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Encode {
    /// An HL7 v2 message made from the event (an encoder per event kind).
    Hl7v2,
}

/// The keys every destination has.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DestinationCommon {
    pub name: String,
    #[serde(default = "default_concurrency")]
    pub concurrency: u32,
    #[serde(default)]
    pub retry: Retry,
    #[serde(default)]
    pub breaker: Breaker,
    #[serde(default)]
    pub allow_restricted: bool,
    #[serde(default)]
    pub encode: Option<Encode>,
}

fn default_concurrency() -> u32 {
    4
}

/// `retry = { … }`: exponential backoff with jitter, then dead.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Retry {
    /// Attempts before a delivery is dead, the first included; default 12.
    pub max_attempts: u32,
    /// Wait after the first failure; default 1 second.
    #[serde(deserialize_with = "units::duration")]
    pub initial_backoff: Duration,
    /// Longest wait between attempts; default 10 minutes.
    #[serde(deserialize_with = "units::duration")]
    pub max_backoff: Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Self {
            max_attempts: 12,
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(600),
        }
    }
}

/// `breaker = { … }`: a circuit breaker per destination.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Breaker {
    /// Consecutive failures that open the breaker; default 5.
    pub failures: u32,
    /// How long it stays open before one trial delivery; default 30 seconds.
    #[serde(deserialize_with = "units::duration")]
    pub cool_down: Duration,
}

impl Default for Breaker {
    fn default() -> Self {
        Self {
            failures: 5,
            cool_down: Duration::from_secs(30),
        }
    }
}

/// Destination protocols.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum DestinationKind {
    /// A FHIR R4 server over HTTP(S).
    FhirHttp(FhirHttp),
    /// A local system over MLLP.
    Mllp(MllpSink),
    /// JSON files in a directory.
    File(FileSink),
    /// e-RS review outcomes (`[national.ers]`).
    Ers(#[allow(dead_code)] ErsSink),
    /// EPS prescriptions (`[national.eps]`).
    Eps(EpsSink),
    /// A MESH mailbox (`[national.mesh]`).
    Mesh(MeshSink),
    /// A DICOM AE (PACS) by C-STORE.
    DicomStore(DicomStoreSink),
}

impl DestinationKind {
    /// The `type` values, in declaration order.
    pub const TYPES: &[&str] = &[
        "fhir_http",
        "mllp",
        "file",
        "ers",
        "eps",
        "mesh",
        "dicom_store",
    ];
}

/// `type = "fhir_http"` destination.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FhirHttp {
    /// Base URL of the FHIR server (`http` or `https`).
    pub url: String,
    /// File holding a bearer token.
    #[serde(default)]
    pub bearer_token_file: Option<PathBuf>,
    /// Environment variable holding a bearer token.
    #[serde(default)]
    pub bearer_token_env: Option<String>,
    /// Per-request timeout; default 30 seconds.
    #[serde(default = "default_timeout", deserialize_with = "units::duration")]
    pub timeout: Duration,
    /// `post` (default: the server assigns ids) or `put` (update-as-create by id).
    #[serde(default)]
    pub method: Method,
}

impl FhirHttp {
    /// Where the bearer token is, if one is configured.
    pub fn bearer_token(&self) -> Option<Secret> {
        secret(&self.bearer_token_file, &self.bearer_token_env)
    }
}

/// The HTTP method a FHIR destination writes with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Create: `POST [base]/[type]` (or a transaction Bundle to `[base]`).
    #[default]
    Post,
    /// Update-as-create: `PUT [base]/[type]/[id]`.
    Put,
}

fn default_timeout() -> Duration {
    Duration::from_secs(30)
}

/// `type = "mllp"` destination.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MllpSink {
    /// `host:port` to connect to (resolved at connect time, not by `check`).
    pub address: String,
    /// Timeout for connect and for the ACK; default 30 seconds.
    #[serde(default = "default_timeout", deserialize_with = "units::duration")]
    pub timeout: Duration,
    /// TLS to the peer.
    #[serde(default)]
    pub tls: Option<ClientTls>,
    /// Declared HL7 v2 changes to the message a pass-through event carries, in order (see
    /// [`TransformStep`]).
    #[serde(default)]
    pub transform: Vec<TransformStep>,
}

/// One declared HL7 v2 change, exactly one of: `{ set = "MSH-5", value = "RIS" }`,
/// `{ clear = "PV1-3.3" }`, `{ copy = "PID-3[2].1", to = "PID-2" }`,
/// `{ map = "PV1-3.1", table = "ward" }` (a `[code_tables]` name; an unmapped code is kept),
/// `{ drop_segments = ["ZU1", "ZU8"] }`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransformStep {
    #[serde(default)]
    pub set: Option<String>,
    #[serde(default)]
    pub value: Option<String>,
    #[serde(default)]
    pub clear: Option<String>,
    #[serde(default)]
    pub copy: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
    #[serde(default)]
    pub map: Option<String>,
    #[serde(default)]
    pub table: Option<String>,
    #[serde(default)]
    pub drop_segments: Option<Vec<String>>,
}

impl TransformStep {
    /// The step it declares, or what is wrong with it (paths are checked by [`check_transform`]).
    pub fn step(&self) -> Result<junction_adapters::transform::Step, String> {
        use junction_adapters::transform::Step;
        let ops = [
            ("set", self.set.is_some()),
            ("clear", self.clear.is_some()),
            ("copy", self.copy.is_some()),
            ("map", self.map.is_some()),
            ("drop_segments", self.drop_segments.is_some()),
        ];
        let named: Vec<&str> = ops.iter().filter(|(_, on)| *on).map(|(n, _)| *n).collect();
        let [op] = named.as_slice() else {
            return Err("a step is exactly one of set, clear, copy, map or drop_segments".into());
        };
        // The keys each step takes besides its own.
        let (takes, needs): (&[&str], Option<&str>) = match *op {
            "set" => (&["value"], Some("value")),
            "copy" => (&["to"], Some("to")),
            "map" => (&["table"], Some("table")),
            _ => (&[], None),
        };
        for (key, present) in [
            ("value", self.value.is_some()),
            ("to", self.to.is_some()),
            ("table", self.table.is_some()),
        ] {
            if present && !takes.contains(&key) {
                return Err(format!("`{key}` does not belong to a `{op}` step"));
            }
            if !present && needs == Some(key) {
                return Err(format!("a `{op}` step needs `{key}`"));
            }
        }
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        Ok(match *op {
            "set" => Step::Set {
                path: text(&self.set),
                value: text(&self.value),
            },
            "clear" => Step::Clear {
                path: text(&self.clear),
            },
            "copy" => Step::Copy {
                from: text(&self.copy),
                to: text(&self.to),
            },
            "map" => Step::Map {
                path: text(&self.map),
                table: text(&self.table),
            },
            _ => Step::DropSegments(self.drop_segments.clone().unwrap_or_default()),
        })
    }
}

/// Every problem with a destination's declared transform: (step index, what is wrong).
pub fn check_transform(steps: &[TransformStep]) -> Vec<(usize, String)> {
    let mut problems = Vec::new();
    for (i, s) in steps.iter().enumerate() {
        let checked = s.step().and_then(|step| {
            junction_adapters::transform::Transform::new(vec![step]).map_err(|e| e.to_string())
        });
        if let Err(e) = checked {
            problems.push((i, e));
        }
    }
    problems
}

/// A destination's declared transform (`junction check` has refused any that does not build).
pub fn build_transform(steps: &[TransformStep]) -> Option<junction_adapters::transform::Transform> {
    let steps = steps
        .iter()
        .map(TransformStep::step)
        .collect::<Result<_, _>>()
        .ok()?;
    junction_adapters::transform::Transform::new(steps).ok()
}

/// `type = "file"` destination.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSink {
    /// Directory the files are written to (created at start if missing).
    pub dir: PathBuf,
}

/// `[[routes]]`: which events go where.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Route {
    /// Unique among routes; names the route in "filtered" outcomes and metrics.
    pub name: String,
    /// Source names; empty matches every source.
    #[serde(default)]
    pub sources: Vec<String>,
    /// Event kind globs (`patient.*`); empty matches every kind.
    #[serde(default)]
    pub kinds: Vec<String>,
    /// HL7 message type globs (`ADT^A0*`); empty matches every type.
    #[serde(default)]
    pub message_types: Vec<String>,
    /// A predicate over the event; compiled by the router.
    #[serde(default)]
    pub when: Option<String>,
    /// Destination names; at least one.
    pub destinations: Vec<String>,
    /// Named transforms run before delivery, in order.
    #[serde(default)]
    pub steps: Vec<String>,
}
