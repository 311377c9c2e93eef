//! Load generator helper: writes the benchmark config, starts the release `junction` binary
//! on it (timing spawn → ready line), scrapes its `/metrics`, and stops it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The `junction` binary next to this executable (`target/<profile>/junction`).
pub fn default_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("loadgen executable path");
    exe.parent().expect("target directory").join("junction")
}

/// The benchmark configuration: one MLLP source (adapter `pas`), one `fhir_http` destination
/// at `sink`, route `kinds` (normally `patient.*`) → it; SQLite under `dir`, every commit
/// durable, synced the `sync` way (`pipelined`, `in_commit`, or `default`: the key left out).
pub fn config(
    dir: &Path,
    sink: SocketAddr,
    dest_concurrency: u32,
    kinds: &str,
    sync: &str,
) -> String {
    let tables = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/code-tables");
    // `default`: leave the key out (a binary from before the key existed).
    let sync = match sync {
        "default" => String::new(),
        mode => format!("sync = \"{mode}\""),
    };
    let data = dir.join("data");
    format!(
        r#"[node]
name = "loadgen"

[log]
format = "text"
level = "info"

[store]
type = "sqlite"
path = "{db}"
{sync}

[http]
listen = "127.0.0.1:0"
audit_log = "{audit}"

[code_tables]
sex = "{sex}"
ethnic = "{ethnic}"

{components}"#,
        db = data.join("junction.db").display(),
        audit = data.join("audit.log").display(),
        sex = tables.join("sex.csv").display(),
        ethnic = tables.join("ethnic.csv").display(),
        components = components(sink, dest_concurrency, kinds),
    )
}

/// The bench's pipeline: MLLP source `pas` (adapter `pas`) → route `kinds` → `fhir_http` at
/// `sink` with `dest_concurrency` in flight.
pub fn components(sink: SocketAddr, dest_concurrency: u32, kinds: &str) -> String {
    format!(
        r#"[[sources]]
name = "pas"
type = "mllp"
listen = "127.0.0.1:0"
adapter = "pas"
mrn_authority = "RXX"

[[destinations]]
name = "fhir"
type = "fhir_http"
url = "http://{sink}/fhir"
method = "post"
concurrency = {dest_concurrency}

[[routes]]
name = "patients"
sources = ["pas"]
kinds = ["{kinds}"]
destinations = ["fhir"]
"#
    )
}

/// A running gateway.
pub struct Running {
    child: Child,
    /// Process id, for `/proc`.
    pub pid: u32,
    /// The HTTP listener (`/metrics`).
    pub http: SocketAddr,
    /// The MLLP source `pas`.
    pub mllp: SocketAddr,
    /// Spawn → ready line.
    pub startup: Duration,
}

impl Running {
    /// Writes `config` to `dir/junction.toml`, runs `binary run --config …` in `dir` and
    /// waits for the ready line. Stderr (the log) goes to `dir/junction.log`.
    pub fn start(binary: &Path, dir: &Path, config: &str) -> Result<Self, String> {
        let path = dir.join("junction.toml");
        std::fs::write(&path, config).map_err(|e| format!("writing {}: {e}", path.display()))?;
        let log = std::fs::File::create(dir.join("junction.log")).map_err(|e| e.to_string())?;
        let started = Instant::now();
        let mut child = Command::new(binary)
            .args(["run", "--config"])
            .arg(&path)
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("starting {}: {e}", binary.display()))?;
        let stdout = child.stdout.take().expect("piped stdout");
        let mut lines = BufReader::new(stdout).lines();
        let ready = loop {
            match lines.next() {
                Some(Ok(line)) => {
                    if let Ok(v) = serde_json::from_str::<serde_json::Value>(&line)
                        && v["event"] == "ready"
                    {
                        break v;
                    }
                }
                _ => {
                    let status = child.wait().ok();
                    let log = std::fs::read_to_string(dir.join("junction.log")).unwrap_or_default();
                    return Err(format!("junction exited before ready ({status:?}):\n{log}"));
                }
            }
        };
        let startup = started.elapsed();
        std::thread::spawn(move || for _ in lines {});
        let addr = |v: &serde_json::Value| v.as_str().and_then(|s| s.parse().ok());
        let http = addr(&ready["http"]).ok_or("ready line without http")?;
        let mllp = addr(&ready["sources"]["pas"]).ok_or("ready line without source pas")?;
        Ok(Self {
            pid: child.id(),
            child,
            http,
            mllp,
            startup,
        })
    }

    /// SIGTERM, then waits up to `limit` for a graceful exit before SIGKILL.
    pub fn stop(mut self, limit: Duration) -> Result<(), String> {
        let pid = self.pid.to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        // Wait for the exit itself (a signal), not by polling on a timer.
        let (tx, rx) = std::sync::mpsc::channel();
        let mut child = std::mem::replace(
            &mut self.child,
            Command::new("true").spawn().map_err(|e| e.to_string())?,
        );
        std::thread::spawn(move || {
            let _ = tx.send(child.wait());
        });
        if rx.recv_timeout(limit).is_ok() {
            return Ok(());
        }
        let _ = Command::new("kill").args(["-KILL", &pid]).status();
        let _ = rx.recv();
        Err(format!("no graceful exit within {limit:?}: killed"))
    }

    /// The `/metrics` text (Prometheus exposition format).
    pub fn metrics(&self) -> Result<String, String> {
        let mut conn = TcpStream::connect(self.http).map_err(|e| e.to_string())?;
        conn.set_read_timeout(Some(Duration::from_secs(10)))
            .map_err(|e| e.to_string())?;
        write!(
            conn,
            "GET /metrics HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.http
        )
        .map_err(|e| e.to_string())?;
        let mut text = String::new();
        conn.read_to_string(&mut text).map_err(|e| e.to_string())?;
        Ok(text)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The value of an unlabelled sample (`name value`) in a `/metrics` text; 0 when absent.
pub fn sample(metrics: &str, name: &str) -> f64 {
    metrics
        .lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| {
            let (n, v) = l.split_once(' ')?;
            (n == name).then(|| v.trim().parse().ok())?
        })
        .unwrap_or(0.0)
}

/// Store group-commit figures between two `/metrics` scrapes.
#[derive(Debug, Clone, Copy, Default)]
pub struct CommitDelta {
    /// Write transactions committed.
    pub commits: f64,
    /// Mean time of one write transaction, ms.
    pub mean_commit_ms: f64,
    /// Mean requests group-committed per transaction.
    pub mean_batch: f64,
    /// Total time spent in write transactions, s.
    pub commit_seconds: f64,
}

impl CommitDelta {
    /// The store figures accumulated between `before` and `after`.
    pub fn between(before: &str, after: &str) -> Self {
        let d = |name: &str| sample(after, name) - sample(before, name);
        let commits = d("junction_store_commit_seconds_count");
        let secs = d("junction_store_commit_seconds_sum");
        let batched = d("junction_store_commit_batch_size_sum");
        let per = |x: f64| if commits > 0.0 { x / commits } else { 0.0 };
        Self {
            commits,
            mean_commit_ms: per(secs) * 1e3,
            mean_batch: per(batched),
            commit_seconds: secs,
        }
    }

    /// As JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "commits": self.commits,
            "mean_commit_ms": self.mean_commit_ms,
            "mean_batch": self.mean_batch,
            "commit_seconds": self.commit_seconds,
        })
    }
}
