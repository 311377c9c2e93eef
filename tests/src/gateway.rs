//! Starting and stopping the real `junction` binary.
//!
//! The binary is the one `cargo test --workspace` builds next to this test executable
//! (`target/<profile>/junction`). `junction run` prints one JSON line to stdout when it is ready:
//! `{"event":"ready","http":"127.0.0.1:port","sources":{"name":"127.0.0.1:port",…}}`; the kit
//! waits for that line instead of sleeping. Its stderr (the log) is read line by line, passed
//! on to the test's own output, and every JSON line held to `json_log::check_line`: dropping
//! the `Gateway` fails the test on any line with a duplicate key or no text.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use crate::json_log;

/// Path of the `junction` binary built for this test run.
pub fn binary() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    // target/<profile>/deps/<test> → target/<profile>/junction
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target directory");
    let bin = dir.join("junction");
    assert!(
        bin.exists(),
        "{} is missing: run `cargo test --workspace` (it builds the binary)",
        bin.display()
    );
    // `cargo test -p junction-e2e` alone does not rebuild the binary: refuse to test a stale one.
    let built = std::fs::metadata(&bin).and_then(|m| m.modified()).ok();
    let newest = newest_source(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../crates"),
        false,
    );
    if let (Some(built), Some(newest)) = (built, newest) {
        assert!(
            built >= newest,
            "{} is older than the sources: run `cargo test --workspace` or `cargo build -p junction`",
            bin.display()
        );
    }
    bin
}

/// The newest modification time of a `.rs` file in a `src` directory under `dir` (the files the
/// binary is built from; tests, benches and manifests can change without a relink).
fn newest_source(dir: &Path, in_src: bool) -> Option<std::time::SystemTime> {
    let mut newest = None;
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let time = if path.is_dir() {
            if name == "target"
                || name.starts_with('.')
                || name == "fuzz"
                || name == "tests"
                || name == "benches"
            {
                continue;
            }
            newest_source(&path, in_src || name == "src")
        } else if in_src && name.ends_with(".rs") {
            entry.metadata().and_then(|m| m.modified()).ok()
        } else {
            None
        };
        newest = newest.max(time);
    }
    newest
}

/// A running gateway process.
pub struct Gateway {
    child: Child,
    /// The temp dir holding its config and data.
    pub dir: PathBuf,
    /// The HTTP listener (admin API, ingest, metrics).
    pub http: SocketAddr,
    /// Bound address of each listening source, by name.
    pub sources: HashMap<String, SocketAddr>,
    /// The stderr reader and the JSON log lines it found malformed.
    log: Option<JoinHandle<()>>,
    bad_log_lines: Arc<Mutex<Vec<String>>>,
}

impl Gateway {
    /// Writes `config` to `dir/junction.toml` and starts `junction run` on it, in `dir`.
    pub fn start(dir: &Path, config: &str) -> Self {
        let path = dir.join("junction.toml");
        std::fs::write(&path, config).expect("write config");
        let mut child = Command::new(binary())
            .args(["run", "--config"])
            .arg(&path)
            .current_dir(dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start junction");
        let bad_log_lines = Arc::new(Mutex::new(Vec::new()));
        let log = read_log(child.stderr.take().expect("stderr"), bad_log_lines.clone());
        let stdout = child.stdout.take().expect("stdout");
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
                    panic!("junction exited before it was ready: {status:?}");
                }
            }
        };
        // Keep draining stdout so the child never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        let http = ready["http"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .expect("http address");
        let sources = ready["sources"]
            .as_object()
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.parse().ok()?)))
                    .collect()
            })
            .unwrap_or_default();
        Self {
            child,
            dir: dir.to_path_buf(),
            http,
            sources,
            log: Some(log),
            bad_log_lines,
        }
    }

    /// After the process has exited: the whole log has been read and every JSON line in it
    /// was well formed.
    fn assert_log_well_formed(&mut self) {
        if let Some(reader) = self.log.take() {
            reader.join().expect("log reader");
        }
        let bad = self.bad_log_lines.lock().expect("log lines");
        assert!(
            bad.is_empty(),
            "junction wrote {} malformed JSON log line(s):\n{}",
            bad.len(),
            bad.join("\n")
        );
    }

    /// The bound address of a source.
    pub fn source(&self, name: &str) -> SocketAddr {
        self.sources[name]
    }

    /// SIGKILL: no shutdown hooks, no flush — what a power cut looks like to the process.
    pub fn kill9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Asks for a graceful stop (SIGTERM) and waits for the exit status.
    pub fn stop(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        self.child.wait().expect("wait for junction")
    }
}

/// Reads the child's stderr to its end on a thread: each line goes to this test's stderr
/// (captured by the test harness, shown when the test fails) and each JSON line is checked.
fn read_log(stderr: std::process::ChildStderr, bad: Arc<Mutex<Vec<String>>>) -> JoinHandle<()> {
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            eprintln!("{line}");
            if line.trim_start().starts_with('{')
                && let Err(e) = json_log::check_line(&line)
            {
                bad.lock().expect("log lines").push(format!("{e}: {line}"));
            }
        }
    })
}

impl Drop for Gateway {
    /// Stops the process if it still runs, then fails the test on a malformed JSON log line
    /// (unless the test is already failing).
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if !std::thread::panicking() {
            self.assert_log_well_formed();
        }
    }
}
