//! `[national.*]` (the NHS national services: PDS, e-RS and EPS over the API platform, and
//! MESH), `[steps.*]` (routing steps with I/O), and the source and destination kinds that talk
//! to those services (`ers_worklist`, `mesh_inbox`; `ers`, `eps`, `mesh`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use super::schema::{ClientTls, Secret, secret};
use super::units;

/// `[national]`: one table per service used; absent services are not configured.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct National {
    /// `[national.pds]`: Personal Demographics Service (for the `pds_verify` step).
    #[serde(default)]
    pub pds: Option<Service>,
    /// `[national.ers]`: e-Referral Service (`ers_worklist` sources, `ers` destinations).
    #[serde(default)]
    pub ers: Option<Service>,
    /// `[national.eps]`: Electronic Prescription Service (`eps` destinations).
    #[serde(default)]
    pub eps: Option<Service>,
    /// `[national.mesh]`: the MESH mailbox (`mesh_inbox` sources, `mesh` destinations).
    #[serde(default)]
    pub mesh: Option<Mesh>,
}

/// Which environment a service is: a sandbox (the platform's or Junction's simulator) or a
/// real one (integration or production).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Environment {
    /// The platform sandbox or a simulator: no real patients.
    Sandbox,
    /// Integration or production (the default, so safety rules apply unless waived).
    #[default]
    Live,
}

/// One API-platform service.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// Base URL, e.g. `https://int.api.service.nhs.uk/personal-demographics/FHIR/R4`.
    pub url: String,
    /// `sandbox` or `live` (default).
    #[serde(default)]
    pub environment: Environment,
    /// Time allowed per request; default 30 seconds.
    #[serde(
        default = "default_service_timeout",
        deserialize_with = "units::duration"
    )]
    pub timeout: Duration,
    /// Application-restricted signed-JWT auth; absent sends no token (a sandbox).
    #[serde(default)]
    pub auth: Option<PlatformAuth>,
    /// The service's rate limit; absent is unlimited.
    #[serde(default)]
    pub rate_limit: Option<RateLimit>,
    /// TLS trust for `https`.
    #[serde(default)]
    pub tls: Option<ClientTls>,
    /// Our organisation's ODS code (`NHSD-End-User-Organisation-ODS`, the EPS sender).
    #[serde(default)]
    pub ods_code: Option<String>,
}

fn default_service_timeout() -> Duration {
    Duration::from_secs(30)
}

/// `auth = { … }`: the API platform's signed-JWT client credentials.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformAuth {
    /// The OAuth token URL (also the JWT `aud`).
    pub token_url: String,
    /// File holding the application's API key.
    #[serde(default)]
    pub api_key_file: Option<PathBuf>,
    /// Environment variable holding the API key.
    #[serde(default)]
    pub api_key_env: Option<String>,
    /// The `kid` the platform knows our public key by.
    pub key_id: String,
    /// PEM file holding the RSA private key.
    pub private_key: PathBuf,
}

impl PlatformAuth {
    /// Where the API key is.
    pub fn api_key(&self) -> Option<Secret> {
        secret(&self.api_key_file, &self.api_key_env)
    }
}

/// `rate_limit = { per_second = 5, burst = 10 }`.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimit {
    /// Sustained requests per second.
    pub per_second: f64,
    /// Requests allowed at once; default 1.
    #[serde(default = "default_burst")]
    pub burst: u32,
}

fn default_burst() -> u32 {
    1
}

/// `[national.mesh]`: our MESH mailbox.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mesh {
    /// The MESH server's root URL (`/messageexchange/…` is appended).
    pub url: String,
    /// Our mailbox id.
    pub mailbox: String,
    /// File holding the mailbox password.
    #[serde(default)]
    pub password_file: Option<PathBuf>,
    /// Environment variable holding the mailbox password.
    #[serde(default)]
    pub password_env: Option<String>,
    /// File holding the environment's shared HMAC key.
    #[serde(default)]
    pub shared_key_file: Option<PathBuf>,
    /// Environment variable holding the environment's shared HMAC key.
    #[serde(default)]
    pub shared_key_env: Option<String>,
    /// TLS: CA and the mailbox's client certificate (`cert`, `key`).
    #[serde(default)]
    pub tls: Option<ClientTls>,
    /// Time allowed per request (one chunk); default 2 minutes.
    #[serde(default = "default_mesh_timeout", deserialize_with = "units::duration")]
    pub timeout: Duration,
}

fn default_mesh_timeout() -> Duration {
    Duration::from_secs(120)
}

impl Mesh {
    /// Where the mailbox password is.
    pub fn password(&self) -> Option<Secret> {
        secret(&self.password_file, &self.password_env)
    }

    /// Where the shared key is.
    pub fn shared_key(&self) -> Option<Secret> {
        secret(&self.shared_key_file, &self.shared_key_env)
    }
}

/// `[steps]`: settings of the routing steps routes may name.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Steps {
    /// `[steps.pds_verify]`; the step exists whenever `[national.pds]` does.
    #[serde(default)]
    pub pds_verify: Option<PdsVerify>,
}

/// `[steps.pds_verify]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PdsVerify {
    /// How long a PDS answer is reused; default 10 minutes.
    #[serde(default = "default_cache_ttl", deserialize_with = "units::duration")]
    pub cache_ttl: Duration,
    /// Most NHS numbers cached; default 10,000.
    #[serde(default = "default_cache_size")]
    pub cache_size: usize,
}

impl Default for PdsVerify {
    fn default() -> Self {
        Self {
            cache_ttl: default_cache_ttl(),
            cache_size: default_cache_size(),
        }
    }
}

fn default_cache_ttl() -> Duration {
    Duration::from_secs(600)
}

fn default_cache_size() -> usize {
    10_000
}

/// `type = "ers_worklist"` source: polls e-RS for referrals to review.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErsWorklist {
    /// The e-RS service ids whose worklists are polled.
    pub services: Vec<String>,
    /// Time between polls; default 5 minutes.
    #[serde(default = "default_poll", deserialize_with = "units::duration")]
    pub interval: Duration,
    /// `NHSD-eRS-Business-Function`; default `SERVICE_PROVIDER_CLINICIAN`.
    #[serde(default)]
    pub business_function: Option<String>,
}

fn default_poll() -> Duration {
    Duration::from_secs(300)
}

/// `type = "mesh_inbox"` source: polls our MESH inbox.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeshInbox {
    /// Time between polls; default 5 minutes (MESH asks for no more often).
    #[serde(default = "default_poll", deserialize_with = "units::duration")]
    pub interval: Duration,
    /// Content type recorded when MESH gives none; default `application/octet-stream`.
    #[serde(default)]
    pub content_type: Option<String>,
}

/// `type = "ers"` destination: records review outcomes (A028) with `[national.ers]`'s
/// organisation and the business function of its `ers_worklist` source. No keys of its own.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErsSink {}

/// `type = "eps"` destination: sends prescriptions to EPS.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EpsSink {
    /// Send prescriptions without a prescriber signature; refused unless `[national.eps]` is
    /// a sandbox on a sandbox host.
    #[serde(default)]
    pub allow_unsigned: bool,
    /// `NHSD-Session-URID` when the prescriber's role profile id is not in the event.
    #[serde(default)]
    pub session_urid: Option<String>,
    /// NHSBSA prescription type for lines that carry none (e.g. `1001`).
    #[serde(default)]
    pub prescription_type: Option<String>,
    /// The trust's ODS code (`Organization.partOf`).
    #[serde(default)]
    pub trust_ods: Option<String>,
}

/// `type = "mesh"` destination: sends to a MESH mailbox.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeshSink {
    /// The recipient mailbox.
    pub to: String,
    /// The workflow id.
    pub workflow_id: String,
    /// `mex-Subject` (no patient data).
    #[serde(default)]
    pub subject: Option<String>,
    /// `event` (the event JSON, default) or `raw` (the message as received).
    #[serde(default)]
    pub send: MeshSend,
    /// Content type sent with raw messages (`mex-Content-Type`); default
    /// `application/octet-stream`.
    #[serde(default)]
    pub content_type: Option<String>,
    /// Gzip each chunk.
    #[serde(default)]
    pub gzip: bool,
    /// Largest chunk; default MESH's 20 MB.
    #[serde(default, deserialize_with = "units::opt_size")]
    pub chunk_size: Option<u64>,
}

/// What a MESH destination sends.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MeshSend {
    /// The event JSON.
    #[default]
    Event,
    /// The raw message as received.
    Raw,
}

/// `[simulators] national = { … }`: the API platform token endpoint, PDS, e-RS and EPS
/// simulators on one loopback listener.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NationalSim {
    /// Loopback address to serve on.
    #[serde(deserialize_with = "units::socket_addr")]
    pub listen: SocketAddr,
    /// When set, the simulators demand bearer tokens from the token endpoint, which accepts
    /// client assertions signed by this key.
    #[serde(default)]
    pub auth: Option<NationalSimAuth>,
}

/// The simulated platform's view of our application.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NationalSimAuth {
    /// The API key it issues tokens to.
    pub api_key: String,
    /// The `kid` of our public key.
    pub key_id: String,
    /// PEM file with our RSA public key.
    pub public_key: PathBuf,
}
