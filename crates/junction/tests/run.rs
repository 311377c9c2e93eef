//! `junction run`, `junction send` and `junction replay` together, as an operator uses them:
//! the real binary on a temp config, talked to over loopback.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

fn junction() -> Command {
    Command::new(env!("CARGO_BIN_EXE_junction"))
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/hl7v2")
        .join(name)
}

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `junction run` in `dir` and returns it with its ready line; its log goes to
/// `dir/stderr.log`.
fn start(dir: &Path) -> (Running, serde_json::Value) {
    let config = r#"
[simulators]
fhir = "127.0.0.1:0"
[store]
path = "data/junction.db"
[http]
listen = "127.0.0.1:0"
audit_log = "data/audit.log"
[[sources]]
name = "pas"
type = "mllp"
listen = "127.0.0.1:0"
adapter = "pas"
[[sources]]
name = "fhir-in"
type = "http"
adapter = "fhir"
[[destinations]]
name = "outbox"
type = "file"
dir = "data/out"
[[routes]]
name = "patients"
kinds = ["patient.*"]
destinations = ["outbox"]
"#;
    std::fs::write(dir.join("junction.toml"), config).unwrap();
    let mut child = junction()
        .args(["run", "--config", "junction.toml"])
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(dir.join("stderr.log")).unwrap())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let line = BufReader::new(stdout)
        .lines()
        .next()
        .expect("a ready line")
        .unwrap();
    let ready: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(ready["event"], "ready");
    (Running(child), ready)
}

#[test]
fn send_then_replay_through_a_running_gateway() {
    let dir = tempfile::tempdir().unwrap();
    let (_gw, ready) = start(dir.path());
    let mllp = ready["sources"]["pas"].as_str().unwrap();
    let http = ready["http"].as_str().unwrap();

    let out = junction()
        .args(["send", "--to", mllp])
        .arg(fixture("adt_a01_uk.hl7"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains(": AA PAS1000001"), "{stdout}");

    // A message that does not parse is NAKed, and `send` says so with its exit code.
    let out = junction()
        .args(["send", "--to", mllp])
        .arg(fixture("malformed/no_msh.hl7"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8(out.stdout).unwrap().contains(": AE"));

    let out = junction()
        .args(["replay", "--api", &format!("http://{http}"), "1"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.starts_with("200 "), "{stdout}");

    let out = junction()
        .args(["replay", "--api", &format!("http://{http}"), "999999"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn run_refuses_a_bad_config_with_every_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.toml"), "[[sources]]\nname = \"x\"\ntype = \"mllp\"\nlisten = \"127.0.0.1:0\"\nadapter = \"nope\"\n[[routes]]\nname = \"r\"\ndestinations = [\"nowhere\"]\n").unwrap();
    let out = junction()
        .args(["run", "--config", "bad.toml"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("bad.toml:"), "{stderr}");
    assert!(
        stderr.contains("bad.toml:5:1: sources[0].adapter"),
        "{stderr}"
    );
    assert!(stderr.contains("adapter"), "{stderr}");
    assert!(
        stderr.contains("bad.toml:8:17: routes[0].destinations[0]"),
        "{stderr}"
    );
    assert!(stderr.contains("nowhere"), "{stderr}");
}

#[test]
fn sigterm_stops_everything_including_the_simulators() {
    let dir = tempfile::tempdir().unwrap();
    let (mut gw, _ready) = start(dir.path());
    let pid = gw.0.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let (tx, rx) = std::sync::mpsc::channel();
    let mut child = std::mem::replace(&mut gw.0, junction().arg("--version").spawn().unwrap());
    std::thread::spawn(move || tx.send(child.wait()).unwrap());
    let status = rx
        .recv_timeout(std::time::Duration::from_secs(20))
        .expect("junction did not stop within 20 s of SIGTERM");
    assert!(status.unwrap().success());
}

/// Logs that go to a file or a log collector (stderr not a terminal) carry no colour codes;
/// the simulator's line and the warning that the admin API (no tokens configured) is served
/// to loopback only name the addresses actually bound (the config asks for port 0).
#[test]
fn logs_not_on_a_terminal_are_plain_text() {
    let dir = tempfile::tempdir().unwrap();
    let (gw, ready) = start(dir.path());
    drop(gw);
    let log = std::fs::read_to_string(dir.path().join("stderr.log")).unwrap();
    assert!(
        !log.contains('\u{1b}'),
        "ANSI escape codes in the log: {log:?}"
    );
    // Logged before the ready line (the MLLP source's own line may come after it).
    assert!(
        log.contains("FHIR server simulator at http://127.0.0.1:"),
        "{log}"
    );
    assert!(
        !log.contains("127.0.0.1:0/fhir"),
        "the configured port 0 logged: {log}"
    );
    let http = ready["http"].as_str().unwrap();
    let warning = log
        .lines()
        .find(|l| l.contains("admin API has no tokens: bound to loopback only"))
        .unwrap_or_else(|| panic!("no start-up warning about the open admin API: {log}"));
    assert!(
        warning.contains("WARN") && warning.contains(&format!("listen={http}")),
        "{warning}"
    );
}

#[test]
fn fhir_json_posted_to_an_http_source_is_routed() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().unwrap();
    let (_gw, ready) = start(dir.path());
    let http = ready["http"].as_str().unwrap();
    let body = r#"{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000018"}]}"#;
    let mut conn = std::net::TcpStream::connect(http).unwrap();
    write!(
        conn,
        "POST /ingest/fhir-in HTTP/1.1\r\nHost: {http}\r\nContent-Type: application/fhir+json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    conn.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 202"), "{response}");
    // The delivery lands in the outbox directory; wait for it with a deadline.
    let out = dir.path().join("data/out");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        // Only finished deliveries: the sink writes a dot-file first, then renames it.
        let files: Vec<_> = std::fs::read_dir(&out)
            .map(|d| {
                d.flatten()
                    .filter(|e| e.file_name().to_string_lossy().starts_with("delivery-"))
                    .collect()
            })
            .unwrap_or_default();
        if let Some(f) = files.first() {
            let event: serde_json::Value =
                serde_json::from_slice(&std::fs::read(f.path()).unwrap()).unwrap();
            assert_eq!(event["kind"], "patient.updated");
            assert_eq!(event["patient_key"], "nhs:9990000018");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no delivery within 20 s"
        );
        std::thread::yield_now();
    }
}
