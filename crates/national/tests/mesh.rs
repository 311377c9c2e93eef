//! The MESH connectors against the real peer: NHS Digital's `mesh-sandbox` (PyPI, pinned in
//! `tests/mesh/install-sandbox.sh`), installed into `<repo>/target/mesh-venv` and started per
//! test on a free loopback port with its canned mailboxes X26ABC1 → X26ABC2 (workflow
//! `TEST_WORKFLOW`). If the sandbox cannot be installed or started, the tests fail.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use junction_connectors::{Inbound, Ingest, IngestOutcome, OutboundDelivery, SendOutcome};
use junction_national::mesh::{
    InboxPoller, MeshClient, MeshConfig, MeshCredentials, MeshError, MeshSink, MeshSinkConfig,
    PollerConfig, SendMode,
};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

const SHARED_KEY: &str = "TestKey";
const SENDER: &str = "X26ABC1";
const RECIPIENT: &str = "X26ABC2";
const WORKFLOW: &str = "TEST_WORKFLOW";

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

/// A running sandbox, killed on drop.
struct Sandbox {
    _child: tokio::process::Child,
    url: String,
}

fn credentials(mailbox: &str, shared_key: &str) -> MeshCredentials {
    MeshCredentials {
        mailbox: mailbox.into(),
        password: "password".into(),
        shared_key: shared_key.into(),
    }
}

impl Sandbox {
    async fn start() -> Self {
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
                .env("STORE_MODE", "memory")
                .env("AUTH_MODE", "full")
                .env("SHARED_KEY", SHARED_KEY)
                .stdin(Stdio::null())
                .stdout(log_file.try_clone().expect("log handle"))
                .stderr(log_file)
                .kill_on_drop(true)
                .spawn()
                .expect("start mesh-sandbox");
            let url = format!("http://127.0.0.1:{port}");
            let probe = client_for(&url, SENDER, SHARED_KEY);
            let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
            loop {
                if let Ok(Some(status)) = child.try_wait() {
                    last_error = format!("exited with {status}; log: {}", log.display());
                    break;
                }
                match probe.handshake().await {
                    Ok(()) => return Self { _child: child, url },
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

    fn client(&self, mailbox: &str) -> Arc<MeshClient> {
        Arc::new(client_for(&self.url, mailbox, SHARED_KEY))
    }
}

fn client_for(url: &str, mailbox: &str, key: &str) -> MeshClient {
    let mut config = MeshConfig::new(url, credentials(mailbox, key));
    config.timeout = Duration::from_secs(20);
    MeshClient::new(config).expect("client")
}

/// The sender's tracking record of a local id, read raw: what MESH stored about the upload
/// (`contentEncoding`, `chunkCount`), which our client does not surface.
async fn tracking_json(url: &str, local_id: &str) -> serde_json::Value {
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
struct Recorder {
    got: Mutex<Vec<Inbound>>,
    answer: Mutex<IngestOutcome>,
    arrived: Notify,
}

impl Recorder {
    fn new(answer: IngestOutcome) -> Arc<Self> {
        Arc::new(Self {
            got: Mutex::new(Vec::new()),
            answer: Mutex::new(answer),
            arrived: Notify::new(),
        })
    }
    fn got(&self) -> Vec<Inbound> {
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

fn poller(client: Arc<MeshClient>) -> InboxPoller {
    InboxPoller::new(
        client,
        PollerConfig {
            source: "mesh-in".into(),
            default_content_type: "application/octet-stream".into(),
            interval: Duration::from_millis(200),
        },
    )
}

fn delivery(id: i64, payload: String) -> OutboundDelivery {
    OutboundDelivery {
        id,
        destination: "mesh-out".into(),
        payload,
        message_id: id,
    }
}

/// Synthetic, chunk-worthy text: ~`n` bytes of HL7-ish lines, no real patient data.
fn big_text(n: usize) -> String {
    let mut s = String::with_capacity(n + 100);
    let mut i = 0u64;
    while s.len() < n {
        s.push_str(&format!(
            "OBX|{i}|NM|TEST^Synthetic^L||{}|mmol/L|||||F\r",
            i * 7919 % 10007
        ));
        i += 1;
    }
    s
}

#[tokio::test]
async fn small_event_arrives_is_journaled_and_acknowledged_and_a_retry_sends_no_copy() {
    let sb = Sandbox::start().await;
    let sink = MeshSink::new(sb.client(SENDER), MeshSinkConfig::new(RECIPIENT, WORKFLOW));
    let payload = r#"{"kind":"patient.admitted","patient":"9000000009"}"#.to_string();
    let d = delivery(41, payload.clone());
    let (outcome, mesh_id) = sink.send_tracked(&d).await;
    assert_eq!(outcome, SendOutcome::Delivered);
    let mesh_id = mesh_id.expect("a MESH message id");
    // The same delivery again (a retry after a lost answer): tracking finds it, no copy.
    let (again, again_id) = sink.send_tracked(&d).await;
    assert_eq!(again, SendOutcome::Delivered);
    assert_eq!(again_id.as_deref(), Some(mesh_id.as_str()));

    let inbox = sb.client(RECIPIENT);
    assert_eq!(inbox.list_inbox().await.unwrap(), vec![mesh_id.clone()]);
    let ingest = Recorder::new(IngestOutcome::Accepted { id: 1 });
    let report = poller(inbox.clone()).poll_once(&ingest).await.unwrap();
    assert_eq!(
        (report.listed, report.accepted, report.ack_failed),
        (1, 1, 0)
    );
    let got = ingest.got();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].raw.as_ref(), payload.as_bytes());
    assert_eq!(got[0].content_type, "application/json");
    assert_eq!(got[0].message_type.as_deref(), Some(WORKFLOW));
    assert_eq!(got[0].control_id.as_deref(), Some(mesh_id.as_str()));
    assert_eq!(got[0].sender.as_deref(), Some(SENDER));
    assert_eq!(got[0].source, "mesh-in");
    assert!(inbox.list_inbox().await.unwrap().is_empty(), "acknowledged");
}

#[tokio::test]
async fn gzip_and_chunked_messages_arrive_byte_identical() {
    let sb = Sandbox::start().await;
    let raw = |gzip: bool, chunk_size: Option<usize>| MeshSinkConfig {
        mode: SendMode::Raw {
            content_type: "x-application/hl7-v2+er7".into(),
        },
        gzip,
        chunk_size,
        ..MeshSinkConfig::new(RECIPIENT, WORKFLOW)
    };
    let small = big_text(2_000);
    let large = big_text(300_000);
    let cases = [
        (raw(true, None), small.clone(), 1),
        (raw(false, Some(100_000)), large.clone(), 4),
        (raw(true, Some(64 * 1024)), large.clone(), 5),
    ];
    let mut sent = Vec::new();
    for (i, (config, payload, chunks)) in cases.into_iter().enumerate() {
        let gzip = config.gzip;
        let sink = MeshSink::new(sb.client(SENDER), config);
        let d = delivery(100 + i as i64, payload.clone());
        let (outcome, id) = sink.send_tracked(&d).await;
        assert_eq!(outcome, SendOutcome::Delivered, "case {i}");
        let stored = tracking_json(&sb.url, &sink.local_id(d.id)).await;
        assert_eq!(stored["chunkCount"], chunks, "case {i}: {stored}");
        let encoding = if gzip { "gzip" } else { "" };
        assert_eq!(stored["contentEncoding"], encoding, "case {i}: {stored}");
        sent.push((id.expect("message id"), payload, chunks));
    }
    let inbox = sb.client(RECIPIENT);
    for (id, payload, chunks) in &sent {
        let msg = inbox.download(id).await.unwrap();
        assert_eq!(msg.chunks, *chunks, "{id}");
        assert_eq!(msg.body.as_ref(), payload.as_bytes(), "{id}");
        assert_eq!(
            msg.content_type.as_deref(),
            Some("x-application/hl7-v2+er7")
        );
    }
    let ingest = Recorder::new(IngestOutcome::Duplicate { original: 7 });
    let report = poller(inbox.clone()).poll_once(&ingest).await.unwrap();
    assert_eq!((report.listed, report.duplicates), (3, 3));
    let mut got: Vec<(String, Vec<u8>)> = ingest
        .got()
        .into_iter()
        .map(|m| (m.control_id.unwrap_or_default(), m.raw.to_vec()))
        .collect();
    got.sort();
    let mut want: Vec<(String, Vec<u8>)> = sent
        .iter()
        .map(|(id, p, _)| (id.clone(), p.clone().into_bytes()))
        .collect();
    want.sort();
    assert!(got == want, "journaled bytes differ from what was sent");
    assert!(inbox.list_inbox().await.unwrap().is_empty());
}

#[tokio::test]
async fn an_unavailable_journal_leaves_the_message_in_the_inbox() {
    let sb = Sandbox::start().await;
    let sink = MeshSink::new(sb.client(SENDER), MeshSinkConfig::new(RECIPIENT, WORKFLOW));
    let (outcome, id) = sink.send_tracked(&delivery(7, "{}".into())).await;
    assert_eq!(outcome, SendOutcome::Delivered);
    let inbox = sb.client(RECIPIENT);
    let ingest = Recorder::new(IngestOutcome::Unavailable {
        reason: "disk full".into(),
    });
    let report = poller(inbox.clone()).poll_once(&ingest).await.unwrap();
    assert_eq!((report.unavailable, report.accepted), (1, 0));
    assert_eq!(inbox.list_inbox().await.unwrap(), vec![id.clone().unwrap()]);
    // Once the journal is back, the next poll takes it.
    *ingest.answer.lock().unwrap() = IngestOutcome::Accepted { id: 2 };
    let report = poller(inbox.clone()).poll_once(&ingest).await.unwrap();
    assert_eq!(report.accepted, 1);
    assert!(inbox.list_inbox().await.unwrap().is_empty());
}

#[tokio::test]
async fn an_unknown_recipient_is_permanent_with_the_mesh_error() {
    let sb = Sandbox::start().await;
    let sink = MeshSink::new(sb.client(SENDER), MeshSinkConfig::new("NOSUCH99", WORKFLOW));
    let (outcome, id) = sink.send_tracked(&delivery(9, "{}".into())).await;
    assert_eq!(id, None);
    match outcome {
        SendOutcome::Permanent { error } => {
            assert!(error.contains("417"), "{error}");
            assert!(error.contains("12: Unregistered to address"), "{error}");
        }
        other => panic!("expected permanent, got {other:?}"),
    }
}

#[tokio::test]
async fn a_wrong_shared_key_is_a_clear_error() {
    let sb = Sandbox::start().await;
    let bad = Arc::new(client_for(&sb.url, SENDER, "not-the-key"));
    let err = bad.handshake().await.unwrap_err();
    assert!(matches!(err, MeshError::Forbidden { .. }), "{err:?}");
    assert!(
        err.to_string().contains("Invalid Authentication Token"),
        "{err}"
    );
    let sink = MeshSink::new(bad.clone(), MeshSinkConfig::new(RECIPIENT, WORKFLOW));
    match sink.send_tracked(&delivery(1, "{}".into())).await.0 {
        SendOutcome::Permanent { error } => assert!(error.contains("403"), "{error}"),
        other => panic!("expected permanent, got {other:?}"),
    }
    let ingest = Recorder::new(IngestOutcome::Accepted { id: 1 });
    let err = poller(bad).poll_once(&ingest).await.unwrap_err();
    assert!(matches!(err, MeshError::Forbidden { .. }), "{err:?}");
}

#[tokio::test]
async fn the_run_loop_polls_until_shutdown() {
    let sb = Sandbox::start().await;
    let ingest = Recorder::new(IngestOutcome::Accepted { id: 1 });
    let shutdown = CancellationToken::new();
    let poller = poller(sb.client(RECIPIENT));
    let run = {
        let (ingest, shutdown) = (ingest.clone(), shutdown.clone());
        tokio::spawn(async move { poller.run(&ingest, shutdown).await })
    };
    let arrived = ingest.arrived.notified();
    let sink = MeshSink::new(sb.client(SENDER), MeshSinkConfig::new(RECIPIENT, WORKFLOW));
    assert_eq!(
        sink.send_tracked(&delivery(5, "{}".into())).await.0,
        SendOutcome::Delivered
    );
    tokio::time::timeout(Duration::from_secs(30), arrived)
        .await
        .expect("the run loop picked the message up");
    shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(30), run)
        .await
        .expect("run stops on shutdown")
        .unwrap();
    assert_eq!(ingest.got().len(), 1);
}
