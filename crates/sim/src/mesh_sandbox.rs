//! The real MESH peer for the tests: NHS England's PyPI `mesh-sandbox`, installed into a venv by
//! `tests/mesh/install-sandbox.sh` (once per process) and run per test under uvicorn on a free
//! loopback port, in memory, with full authentication and the shared key [`SHARED_KEY`]. Its
//! mailboxes are the sandbox's own (`X26ABC1`, `X26ABC2`, `X26ABC3`, password [`PASSWORD`]).
//! The process is killed when the [`MeshSandbox`] is dropped.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::OnceLock;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::{Child, Command};

/// The HMAC key the sandbox checks `Authorization: NHSMESH …` signatures with.
pub const SHARED_KEY: &str = "TestKey";
/// The password of every sandbox mailbox.
pub const PASSWORD: &str = "password";

/// How long a started sandbox has to answer.
const READY_WITHIN: Duration = Duration::from_secs(60);
/// Ports tried when another process takes the free one first.
const ATTEMPTS: usize = 3;

/// Why a sandbox could not be had.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// `install-sandbox.sh` failed (no Python 3.11, no network, …).
    #[error("installing mesh-sandbox failed: {0}")]
    Install(String),
    /// Local I/O: a port, the log file, spawning uvicorn.
    #[error("starting mesh-sandbox: {0}")]
    Io(#[from] std::io::Error),
    /// The process exited before it answered.
    #[error("mesh-sandbox exited ({status}) before it answered; log: {log}")]
    Exited {
        /// Its exit status.
        status: std::process::ExitStatus,
        /// Its output.
        log: PathBuf,
    },
    /// It ran but never answered the readiness probe.
    #[error("mesh-sandbox did not answer within {READY_WITHIN:?} ({last}); log: {log}")]
    NotReady {
        /// The probe's last complaint.
        last: String,
        /// Its output.
        log: PathBuf,
    },
}

/// PEM files for a sandbox serving TLS and requiring a client certificate, as MESH does.
#[derive(Debug, Clone)]
pub struct ServerTls {
    /// Server certificate (for 127.0.0.1).
    pub cert: PathBuf,
    /// Server key.
    pub key: PathBuf,
    /// The CA client certificates must chain to.
    pub ca: PathBuf,
}

/// A running sandbox; killed on drop (its log file is removed unless the thread is panicking).
#[derive(Debug)]
pub struct MeshSandbox {
    _child: Child,
    url: String,
    log: PathBuf,
}

impl MeshSandbox {
    /// A plain-HTTP sandbox, ready once `GET /health` answers 200 and its message store is
    /// built (see `health`).
    pub async fn start() -> Result<Self, SandboxError> {
        Self::launch(None, health).await
    }

    /// A sandbox serving TLS with `tls` and requiring a client certificate. It is ready once
    /// `probe(url)` succeeds (e.g. a MESH handshake with a client certificate); the probe's
    /// error is reported if it never does.
    pub async fn start_tls<P, Fut>(tls: &ServerTls, probe: P) -> Result<Self, SandboxError>
    where
        P: FnMut(String) -> Fut,
        Fut: Future<Output = Result<(), String>>,
    {
        Self::launch(Some(tls), probe).await
    }

    /// `http://127.0.0.1:<port>` or `https://…`: the root MESH paths hang off.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The file holding the sandbox's output.
    pub fn log(&self) -> &Path {
        &self.log
    }

    async fn launch<P, Fut>(tls: Option<&ServerTls>, mut probe: P) -> Result<Self, SandboxError>
    where
        P: FnMut(String) -> Fut,
        Fut: Future<Output = Result<(), String>>,
    {
        let python = tokio::task::spawn_blocking(python)
            .await
            .map_err(|e| SandboxError::Install(e.to_string()))??;
        let mut last = None;
        for _ in 0..ATTEMPTS {
            let port = std::net::TcpListener::bind("127.0.0.1:0")?
                .local_addr()?
                .port();
            let log = std::env::temp_dir().join(format!("junction-mesh-sandbox-{port}.log"));
            let out = std::fs::File::create(&log)?;
            let mut child = Command::new(&python)
                .args([
                    "-m",
                    "uvicorn",
                    "mesh_sandbox.api:app",
                    "--host",
                    "127.0.0.1",
                ])
                .args(["--port", &port.to_string(), "--workers", "1"])
                .args(tls_args(tls))
                .env("STORE_MODE", "memory")
                .env("AUTH_MODE", "full")
                .env("SHARED_KEY", SHARED_KEY)
                .stdin(Stdio::null())
                .stdout(out.try_clone()?)
                .stderr(out)
                .kill_on_drop(true)
                .spawn()?;
            let scheme = if tls.is_some() { "https" } else { "http" };
            let url = format!("{scheme}://127.0.0.1:{port}");
            let deadline = tokio::time::Instant::now() + READY_WITHIN;
            loop {
                if let Some(status) = child.try_wait()? {
                    // Most likely the port was taken between our bind and uvicorn's: try another.
                    last = Some(SandboxError::Exited { status, log });
                    break;
                }
                match probe(url.clone()).await {
                    Ok(()) => {
                        return Ok(Self {
                            _child: child,
                            url,
                            log,
                        });
                    }
                    Err(e) if tokio::time::Instant::now() > deadline => {
                        return Err(SandboxError::NotReady { last: e, log });
                    }
                    Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
                }
            }
        }
        Err(last.unwrap_or_else(|| SandboxError::Install("no attempt made".into())))
    }
}

impl Drop for MeshSandbox {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_file(&self.log);
        }
    }
}

/// The workspace root (the sandbox script and the default venv live under it).
fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The venv's python, running the installer once per process (it is idempotent and locks
/// against other processes). `JUNCTION_MESH_VENV` overrides the venv (default
/// `<workspace>/target/mesh-venv`). Blocking.
fn python() -> Result<PathBuf, SandboxError> {
    static PYTHON: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    PYTHON
        .get_or_init(|| {
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
                    "{} ({}): {}",
                    script.display(),
                    out.status,
                    String::from_utf8_lossy(&out.stderr).trim()
                ));
            }
            Ok(venv.join("bin/python"))
        })
        .clone()
        .map_err(SandboxError::Install)
}

fn tls_args(tls: Option<&ServerTls>) -> Vec<String> {
    let Some(t) = tls else { return Vec::new() };
    let path = |p: &Path| p.display().to_string();
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

/// Ready once `GET /health` answers 200 and a mailbox request (unauthenticated, so refused
/// with 403) has made the sandbox build its message store. The sandbox builds the store on
/// first use behind `functools.lru_cache`, which does not stop two threads building it at
/// once: a gateway's first request and a peer's first send arriving together each got a
/// store, and the message sent into the one dropped never reached the inbox (seen once in
/// CI: the MESH inbox test's message listed by nobody). One request first makes one store.
async fn health(url: String) -> Result<(), String> {
    let addr = url.trim_start_matches("http://");
    match status_line(addr, "/health").await? {
        s if s.starts_with("HTTP/1.1 200") => {}
        s => return Err(format!("GET /health: {s}")),
    }
    match status_line(addr, "/messageexchange/X26ABC1/inbox").await? {
        s if s.starts_with("HTTP/1.1 403") => Ok(()),
        s => Err(format!(
            "GET /messageexchange/X26ABC1/inbox without credentials: {s}"
        )),
    }
}

/// The status line of `GET path` over plain HTTP/1.1, on a connection of its own.
async fn status_line(addr: &str, path: &str) -> Result<String, String> {
    let mut conn = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|e| e.to_string())?;
    let req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    conn.write_all(req.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    let mut answer = Vec::new();
    conn.read_to_end(&mut answer)
        .await
        .map_err(|e| e.to_string())?;
    let line = answer.split(|&b| b == b'\r').next().unwrap_or_default();
    Ok(String::from_utf8_lossy(line).into_owned())
}
