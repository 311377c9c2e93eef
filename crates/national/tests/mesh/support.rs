//! The MESH sandbox harness for `tests/mesh.rs`: `junction_sim::mesh_sandbox` runs the real
//! `mesh-sandbox` (plain HTTP, or TLS requiring a client certificate, ready once our client's
//! handshake succeeds); this adds clients of its mailboxes, a raw tracking read and a
//! recording `Ingest`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use junction_connectors::tls::TlsClientConfig;
use junction_connectors::{Inbound, Ingest, IngestOutcome};
use junction_national::mesh::{InboxPoller, MeshClient, MeshConfig, MeshCredentials, PollerConfig};
use tokio::sync::Notify;

use junction_sim::mesh_sandbox::{MeshSandbox, PASSWORD};
pub use junction_sim::mesh_sandbox::{SHARED_KEY, ServerTls};

pub const SENDER: &str = "X26ABC1";
pub const RECIPIENT: &str = "X26ABC2";
pub const WORKFLOW: &str = "TEST_WORKFLOW";

/// A running sandbox, killed on drop.
pub struct Sandbox {
    _process: MeshSandbox,
    /// `http://127.0.0.1:port` or `https://…`.
    pub url: String,
    tls: TlsClientConfig,
}

pub fn credentials(mailbox: &str, shared_key: &str) -> MeshCredentials {
    MeshCredentials {
        mailbox: mailbox.into(),
        password: PASSWORD.into(),
        shared_key: shared_key.into(),
    }
}

impl Sandbox {
    /// A plain-HTTP sandbox.
    pub async fn start() -> Self {
        Self::start_with(None, TlsClientConfig::default()).await
    }

    /// A sandbox serving TLS with `server` (and requiring a client certificate) when given,
    /// ready once a handshake with `client` (what our clients present and trust) succeeds.
    pub async fn start_with(server: Option<&ServerTls>, client: TlsClientConfig) -> Self {
        let process = match server {
            None => MeshSandbox::start().await,
            Some(server) => {
                let tls = client.clone();
                MeshSandbox::start_tls(server, move |url| {
                    let probe = client_with(&url, SENDER, SHARED_KEY, tls.clone());
                    async move { probe.handshake().await.map_err(|e| e.to_string()) }
                })
                .await
            }
        };
        let process = process
            .unwrap_or_else(|e| panic!("MESH sandbox unavailable, so these tests cannot run: {e}"));
        Self {
            url: process.url().to_owned(),
            _process: process,
            tls: client,
        }
    }

    /// A client of `mailbox` with the right shared key and this sandbox's client TLS.
    pub fn client(&self, mailbox: &str) -> Arc<MeshClient> {
        Arc::new(client_with(
            &self.url,
            mailbox,
            SHARED_KEY,
            self.tls.clone(),
        ))
    }
}

/// A plain-HTTP client of `mailbox` signing with `key`.
pub fn client_for(url: &str, mailbox: &str, key: &str) -> MeshClient {
    client_with(url, mailbox, key, TlsClientConfig::default())
}

/// A client of `mailbox` signing with `key`, with `tls`.
pub fn client_with(url: &str, mailbox: &str, key: &str, tls: TlsClientConfig) -> MeshClient {
    let mut config = MeshConfig::new(url, credentials(mailbox, key));
    config.timeout = Duration::from_secs(20);
    config.tls = tls;
    MeshClient::new(config).expect("client")
}

/// The sender's tracking record of a local id, read raw: what MESH stored about the upload
/// (`contentEncoding`, `chunkCount`), which our client does not surface.
pub async fn tracking_json(url: &str, local_id: &str) -> serde_json::Value {
    use http_body_util::{BodyExt, Full};
    let tls = junction_connectors::tls::TlsClientConfig::default();
    let client = junction_connectors::http_client::build(url, &tls).unwrap();
    let req = http::Request::get(format!(
        "{url}/messageexchange/{SENDER}/outbox/tracking/{local_id}"
    ))
    .header("authorization", credentials(SENDER, SHARED_KEY).header())
    .body(Full::new(bytes::Bytes::new()))
    .unwrap();
    let res = client.request(req).await.unwrap();
    assert_eq!(res.status(), 200);
    let body = res.into_body().collect().await.unwrap().to_bytes();
    serde_json::from_slice(&body).unwrap()
}

/// An `Ingest` that records what it was given and answers as told.
pub struct Recorder {
    got: Mutex<Vec<Inbound>>,
    /// What `accept` answers.
    pub answer: Mutex<IngestOutcome>,
    /// Notified on every `accept`.
    pub arrived: Notify,
}

impl Recorder {
    pub fn new(answer: IngestOutcome) -> Arc<Self> {
        Arc::new(Self {
            got: Mutex::new(Vec::new()),
            answer: Mutex::new(answer),
            arrived: Notify::new(),
        })
    }
    pub fn got(&self) -> Vec<Inbound> {
        self.got.lock().unwrap().clone()
    }
}

impl Ingest for Recorder {
    async fn accept(&self, msg: Inbound) -> IngestOutcome {
        self.got.lock().unwrap().push(msg);
        self.arrived.notify_one();
        self.answer.lock().unwrap().clone()
    }
    async fn reject(&self, _msg: Inbound, reason: String) -> IngestOutcome {
        IngestOutcome::Unavailable { reason }
    }
}

/// A poller of `client` recording as source `mesh-in`.
pub fn poller(client: Arc<MeshClient>) -> InboxPoller {
    InboxPoller::new(
        client,
        PollerConfig {
            source: "mesh-in".into(),
            default_content_type: "application/octet-stream".into(),
            interval: Duration::from_millis(200),
        },
    )
}
