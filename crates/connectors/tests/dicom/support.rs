//! Harness for `tests/dicom`: installs the real peers once per test binary (dcmtk and a
//! pynetdicom venv, via `tests/dicom/install-peers.sh`; a missing peer fails the test), makes
//! the test instances with pydicom, starts a `DicomSource` on a loopback port over a recording
//! `Ingest`, runs peer commands, and compares data sets of Part 10 files without loading them.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use junction_connectors::dicom::{DicomSource, DicomSourceConfig, StudyTracker};
use junction_connectors::{Inbound, Ingest, IngestOutcome, Metrics};
use prometheus::Registry;
use serde_json::Value;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

pub const SCP_AE: &str = "JUNCTION";

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The venv python with pynetdicom; installs the peers once, panics if they are missing.
pub fn python() -> PathBuf {
    static PYTHON: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let res = PYTHON.get_or_init(|| {
        let venv = repo_root().join("target/dicom-venv");
        let script = repo_root().join("tests/dicom/install-peers.sh");
        let out = std::process::Command::new("bash")
            .arg(&script)
            .arg(&venv)
            .output()
            .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
        if !out.status.success() {
            return Err(format!(
                "installing DICOM peers failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        for tool in ["echoscu", "storescu", "storescp"] {
            let found = std::process::Command::new(tool)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success());
            if !found {
                return Err(format!("dcmtk's {tool} is not on PATH"));
            }
        }
        Ok(venv.join("bin/python"))
    });
    match res {
        Ok(p) => p.clone(),
        Err(e) => panic!("DICOM peers unavailable, so these tests cannot run: {e}"),
    }
}

pub fn peer_script() -> PathBuf {
    repo_root().join("tests/dicom/peer.py")
}

/// The generated test instances and their manifest (made once per test binary).
pub struct Data {
    pub dir: PathBuf,
    pub manifest: HashMap<String, Value>,
}

impl Data {
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
    pub fn uid(&self, name: &str) -> String {
        self.field(name, "sop_instance_uid")
    }
    pub fn field(&self, name: &str, key: &str) -> String {
        self.manifest[name][key]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

pub fn data() -> &'static Data {
    static DATA: OnceLock<Data> = OnceLock::new();
    DATA.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap().keep();
        let out = std::process::Command::new(python())
            .arg(peer_script())
            .arg("data")
            .arg(&dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "peer.py data: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let manifest = std::fs::read_to_string(dir.join("manifest.json")).unwrap();
        Data {
            dir,
            manifest: serde_json::from_str(&manifest).unwrap(),
        }
    })
}

/// An in-memory journal that can be made unavailable; wakes waiters on every accept.
#[derive(Default)]
pub struct TestIngest {
    pub accepted: Mutex<Vec<Inbound>>,
    unavailable: AtomicBool,
    next_id: AtomicI64,
    changed: Notify,
}

impl TestIngest {
    pub fn set_unavailable(&self, on: bool) {
        self.unavailable.store(on, Ordering::SeqCst);
    }
    pub fn of_type(&self, content_type: &str) -> Vec<Inbound> {
        let all = self.accepted.lock().unwrap();
        all.iter()
            .filter(|m| m.content_type == content_type)
            .cloned()
            .collect()
    }
    /// Waits (up to 60 s) until `n` messages of `content_type` were accepted.
    pub async fn wait_for(&self, content_type: &str, n: usize) -> Vec<Inbound> {
        let wait = async {
            loop {
                let changed = self.changed.notified();
                let got = self.of_type(content_type);
                if got.len() >= n {
                    return got;
                }
                changed.await;
            }
        };
        match tokio::time::timeout(Duration::from_secs(60), wait).await {
            Ok(got) => got,
            Err(_) => panic!(
                "timed out waiting for {n} {content_type}; have {}",
                self.of_type(content_type).len()
            ),
        }
    }
}

impl Ingest for TestIngest {
    async fn accept(&self, msg: Inbound) -> IngestOutcome {
        if self.unavailable.load(Ordering::SeqCst) {
            return IngestOutcome::Unavailable {
                reason: "test journal is down".into(),
            };
        }
        let id = self.next_id.fetch_add(1, Ordering::SeqCst) + 1;
        self.accepted.lock().unwrap().push(msg);
        self.changed.notify_waiters();
        IngestOutcome::Accepted { id }
    }
    async fn reject(&self, _msg: Inbound, reason: String) -> IngestOutcome {
        IngestOutcome::Unavailable { reason }
    }
}

/// A running DICOM source.
pub struct Scp {
    pub port: u16,
    pub store: tempfile::TempDir,
    pub ingest: Arc<TestIngest>,
    pub registry: Registry,
    pub shutdown: CancellationToken,
}

impl Drop for Scp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

pub async fn start_scp(
    tweak: impl FnOnce(&mut DicomSourceConfig),
    tracker: Option<StudyTracker>,
) -> Scp {
    // Every SCP test talks to a peer: install them (once) before the first one runs.
    python();
    let store = tempfile::tempdir().unwrap();
    let mut config = DicomSourceConfig::new("pacs-in", "127.0.0.1:0", SCP_AE, store.path());
    tweak(&mut config);
    let ingest = Arc::new(TestIngest::default());
    let registry = Registry::new();
    let metrics = Metrics::new(&registry).unwrap();
    let mut source = DicomSource::bind(config, Arc::clone(&ingest), metrics)
        .await
        .unwrap();
    let shutdown = CancellationToken::new();
    if let Some(t) = tracker {
        tokio::spawn(t.clone().run(Arc::clone(&ingest), shutdown.clone()));
        source = source.with_tracker(t);
    }
    let port = source.local_addr().port();
    tokio::spawn(source.run(shutdown.clone()));
    Scp {
        port,
        store,
        ingest,
        registry,
        shutdown,
    }
}

impl Scp {
    /// Final files in the store (not temp files).
    pub fn stored(&self) -> Vec<PathBuf> {
        let mut files = files_in(self.store.path());
        files.retain(|p| p.extension().is_some_and(|e| e == "dcm"));
        files
    }
    pub fn temp_files(&self) -> Vec<PathBuf> {
        files_in(&self.store.path().join(".tmp"))
    }
    pub fn open_associations(&self) -> i64 {
        self.registry
            .gather()
            .iter()
            .filter(|f| f.name() == "junction_open_connections")
            .flat_map(|f| {
                f.get_metric()
                    .iter()
                    .map(|m| m.get_gauge().get_value() as i64)
            })
            .sum()
    }
}

pub fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.path())
                .filter(|p| p.is_file())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Runs a peer command to completion; returns (success, stdout + stderr).
pub async fn run(program: impl AsRef<std::ffi::OsStr>, args: &[&str]) -> (bool, String) {
    run_env(program, args, &[]).await
}

/// [`run`] with extra environment variables.
pub async fn run_env(
    program: impl AsRef<std::ffi::OsStr>,
    args: &[&str],
    env: &[(&str, &str)],
) -> (bool, String) {
    // The peers (dcmtk from Debian, the pynetdicom venv) are installed by the first test to
    // need them; a test running a dcmtk tool directly must wait for that too.
    python();
    let out = tokio::process::Command::new(program)
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output()
        .await
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// Runs `peer.py` with arguments.
pub async fn py(args: &[&str]) -> (bool, String) {
    let script = peer_script();
    let mut all = vec![script.to_str().unwrap()];
    all.extend_from_slice(args);
    run(python(), &all).await
}

/// The transfer syntax and the offset of the data set in a Part 10 file.
pub fn part10(path: &Path) -> (String, u64) {
    let mut f = std::fs::File::open(path).unwrap();
    let mut pre = [0u8; 128];
    f.read_exact(&mut pre).unwrap();
    let meta = dicom_object::FileMetaTable::from_reader(std::io::BufReader::new(f)).unwrap();
    let ts = meta
        .transfer_syntax()
        .trim_end_matches(['\0', ' '])
        .to_owned();
    (ts, 144 + u64::from(meta.information_group_length))
}

/// Whether two Part 10 files hold byte-identical data sets in the same transfer syntax
/// (compared in 1 MiB chunks, never loaded whole).
pub fn same_dataset(a: &Path, b: &Path) -> Result<(), String> {
    let (ts_a, off_a) = part10(a);
    let (ts_b, off_b) = part10(b);
    if ts_a != ts_b {
        return Err(format!("transfer syntax {ts_a} vs {ts_b}"));
    }
    let len_a = std::fs::metadata(a).unwrap().len() - off_a;
    let len_b = std::fs::metadata(b).unwrap().len() - off_b;
    if len_a != len_b {
        return Err(format!("data set length {len_a} vs {len_b}"));
    }
    let open = |p: &Path, off: u64| {
        use std::io::Seek;
        let mut f = std::fs::File::open(p).unwrap();
        f.seek(std::io::SeekFrom::Start(off)).unwrap();
        std::io::BufReader::with_capacity(1 << 20, f)
    };
    let (mut ra, mut rb) = (open(a, off_a), open(b, off_b));
    let (mut ba, mut bb) = (vec![0u8; 1 << 20], vec![0u8; 1 << 20]);
    let mut at = 0u64;
    loop {
        let n = ra.read(&mut ba).unwrap();
        if n == 0 {
            return Ok(());
        }
        rb.read_exact(&mut bb[..n]).unwrap();
        if ba[..n] != bb[..n] {
            return Err(format!(
                "data sets differ within bytes {at}..{}",
                at + n as u64
            ));
        }
        at += n as u64;
    }
}

/// `VmHWM` or `VmRSS` of this process in KiB.
pub fn proc_status_kib(key: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Polls `cond` every 20 ms for up to 60 s (for conditions with no signal of their own, such
/// as a file appearing or a peer's association ending).
pub async fn until(what: &str, mut cond: impl FnMut() -> bool) {
    for _ in 0..3000 {
        if cond() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("timed out waiting for {what}");
}
