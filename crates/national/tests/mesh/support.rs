//! The MESH sandbox harness for `tests/mesh.rs`: installs the pinned `mesh-sandbox` (once per
//! test binary), starts it per test on a free loopback port (plain HTTP, or TLS requiring a
//! client certificate), waits for a handshake to succeed, and kills it on drop; plus a
//! recording `Ingest`.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use junction_connectors::tls::TlsClientConfig;
use junction_connectors::{Inbound, Ingest, IngestOutcome};
use junction_national::mesh::{InboxPoller, MeshClient, MeshConfig, MeshCredentials, PollerConfig};
use tokio::sync::Notify;

pub const SHARED_KEY: &str = "TestKey";
pub const SENDER: &str = "X26ABC1";
pub const RECIPIENT: &str = "X26ABC2";
pub const WORKFLOW: &str = "TEST_WORKFLOW";

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The venv's python, installing the sandbox once per test binary; panics with the reason.
fn sandbox_python() -> PathBuf {
    static PYTHON: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let res = PYTHON.get_or_init(|| {
        let venv = std::env::var_os("JUNCTION_MESH_VENV")
            .map(PathBuf::from)
            .unwrap_or_else(|| repo_root().join("target/mesh-venv"));
        let script = repo_root().join("tests/mesh/install-sandbox.sh");
        let out = std::process::Command::new("bash")
            .arg(&script)
            .arg(&venv)
            .output()
            .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
        if !out.status.success() {
            return Err(format!(
                "installing mesh-sandbox failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(venv.join("bin/python"))
    });
    match res {
        Ok(p) => p.clone(),
        Err(e) => panic!("MESH sandbox unavailable, so these tests cannot run: {e}"),
    }
}

/// PEM files for a TLS sandbox: its certificate and key, the CA it trusts for client
/// certificates (`--ssl-ca-certs`, required), and what the client trusts.
pub struct ServerTls {
    /// Server certificate (for 127.0.0.1).
    pub cert: PathBuf,
    /// Server key.
    pub key: PathBuf,
    /// CA of both sides.
    pub ca: PathBuf,
}

/// A running sandbox, killed on drop.
pub struct Sandbox {
    _child: tokio::process::Child,
    /// `http://127.0.0.1:port` or `https://…`.
    pub url: String,
    tls: TlsClientConfig,
}

pub fn credentials(mailbox: &str, shared_key: &str) -> MeshCredentials {
    MeshCredentials {
        mailbox: mailbox.into(),
        password: "password".into(),
        shared_key: shared_key.into(),
    }
}

impl Sandbox {
    /// A plain-HTTP sandbox.
    pub async fn start() -> Self {
        Self::start_with(None, TlsClientConfig::default()).await
    }

    /// A sandbox serving TLS with `server` (and requiring a client certificate) when given;
    /// `client` is what our clients present and trust.
    pub async fn start_with(server: Option<&ServerTls>, client: TlsClientConfig) -> Self {
        let python = sandbox_python();
        let mut last_error = String::new();
        for _ in 0..3 {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .expect("a free port")
                .port();
            let log = std::env::temp_dir().join(format!("junction-mesh-sandbox-{port}.log"));
            let log_file = std::fs::File::create(&log).expect("sandbox log file");
            let mut child = tokio::process::Command::new(&python)
                .args([
                    "-m",
                    "uvicorn",
                    "mesh_sandbox.api:app",
                    "--host",
                    "127.0.0.1",
                ])
                .args(["--port", &port.to_string(), "--workers", "1"])
                .args(tls_args(server))
                .env("STORE_MODE", "memory")
                .env("AUTH_MODE", "full")
                .env("SHARED_KEY", SHARED_KEY)
                .stdin(Stdio::null())
                .stdout(log_file.try_clone().expect("log handle"))
                .stderr(log_file)
                .kill_on_drop(true)
                .spawn()
                .expect("start mesh-sandbox");
            let scheme = if server.is_some() { "https" } else { "http" };
            let url = format!("{scheme}://127.0.0.1:{port}");
            let probe = client_with(&url, SENDER, SHARED_KEY, client.clone());
            let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
            loop {
                if let Ok(Some(status)) = child.try_wait() {
                    last_error = format!("exited with {status}; log: {}", log.display());
                    break;
                }
                match probe.handshake().await {
                    Ok(()) => {
                        return Self {
                            _child: child,
                            url,
                            tls: client,
                        };
                    }
                    Err(e) if tokio::time::Instant::now() > deadline => {
                        panic!(
                            "mesh-sandbox did not answer a handshake: {e}; log: {}",
                            log.display()
                        )
                    }
                    Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
                }
            }
        }
        panic!("mesh-sandbox would not start: {last_error}");
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

fn tls_args(server: Option<&ServerTls>) -> Vec<String> {
    let Some(t) = server else { return Vec::new() };
    let path = |p: &PathBuf| p.display().to_string();
    vec![
        "--ssl-certfile".into(),
        path(&t.cert),
        "--ssl-keyfile".into(),
        path(&t.key),
        "--ssl-ca-certs".into(),
        path(&t.ca),
        // ssl.CERT_REQUIRED: no client certificate, no connection (as MESH).
        "--ssl-cert-reqs".into(),
        "2".into(),
    ]
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
