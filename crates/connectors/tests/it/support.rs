//! Test doubles and helpers: an in-memory `Ingest` that can be held or made unavailable, an
//! MLLP client, a source starter, metric readers, and certificates made at test time.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};

use futures_util::{SinkExt, StreamExt};
use junction_connectors::mllp::{MllpSource, MllpSourceConfig};
use junction_connectors::{Inbound, Ingest, IngestOutcome, Metrics};
use junction_hl7v2::Message;
use junction_hl7v2::codec::MllpCodec;
use prometheus::Registry;
use tokio::net::TcpStream;
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinHandle;
use tokio_util::codec::Framed;
use tokio_util::sync::CancellationToken;

/// An in-memory journal. `hold()` makes every call wait for a `release()`; `set_unavailable`
/// makes it answer `Unavailable`. Each call is announced on `entered` before it waits.
pub struct TestIngest {
    pub accepted: Mutex<Vec<Inbound>>,
    pub rejected: Mutex<Vec<(Inbound, String)>>,
    seen: Mutex<HashMap<String, i64>>,
    next_id: AtomicI64,
    unavailable: AtomicBool,
    held: AtomicBool,
    gate: Semaphore,
    entered_tx: mpsc::UnboundedSender<()>,
    pub entered: tokio::sync::Mutex<mpsc::UnboundedReceiver<()>>,
}

impl TestIngest {
    pub fn new() -> Arc<Self> {
        let (entered_tx, rx) = mpsc::unbounded_channel();
        Arc::new(Self {
            accepted: Mutex::default(),
            rejected: Mutex::default(),
            seen: Mutex::default(),
            next_id: AtomicI64::new(1),
            unavailable: AtomicBool::new(false),
            held: AtomicBool::new(false),
            gate: Semaphore::new(0),
            entered_tx,
            entered: tokio::sync::Mutex::new(rx),
        })
    }
    pub fn set_unavailable(&self, on: bool) {
        self.unavailable.store(on, Ordering::SeqCst);
    }
    pub fn hold(&self) {
        self.held.store(true, Ordering::SeqCst);
    }
    pub fn release(&self, n: usize) {
        self.gate.add_permits(n);
    }
    pub fn accepted_raw(&self) -> Vec<Vec<u8>> {
        self.accepted
            .lock()
            .unwrap()
            .iter()
            .map(|m| m.raw.to_vec())
            .collect()
    }
    pub fn rejected_raw(&self) -> Vec<(Vec<u8>, String)> {
        let r = self.rejected.lock().unwrap();
        r.iter()
            .map(|(m, why)| (m.raw.to_vec(), why.clone()))
            .collect()
    }
    async fn enter(&self) -> Option<IngestOutcome> {
        let _ = self.entered_tx.send(());
        if self.held.load(Ordering::SeqCst) {
            self.gate.acquire().await.unwrap().forget();
        }
        self.unavailable
            .load(Ordering::SeqCst)
            .then(|| IngestOutcome::Unavailable {
                reason: "store is read-only".into(),
            })
    }
    fn id(&self) -> i64 {
        self.next_id.fetch_add(1, Ordering::SeqCst)
    }
}

impl Ingest for TestIngest {
    async fn accept(&self, msg: Inbound) -> IngestOutcome {
        if let Some(o) = self.enter().await {
            return o;
        }
        let key = msg.control_id.clone().unwrap_or_default();
        if let Some(&original) = self.seen.lock().unwrap().get(&key) {
            return IngestOutcome::Duplicate { original };
        }
        let id = self.id();
        self.seen.lock().unwrap().insert(key, id);
        self.accepted.lock().unwrap().push(msg);
        IngestOutcome::Accepted { id }
    }
    async fn reject(&self, msg: Inbound, reason: String) -> IngestOutcome {
        if let Some(o) = self.enter().await {
            return o;
        }
        let id = self.id();
        self.rejected.lock().unwrap().push((msg, reason));
        IngestOutcome::Accepted { id }
    }
}

/// A running MLLP source.
pub struct Running {
    pub addr: SocketAddr,
    pub ingest: Arc<TestIngest>,
    pub registry: Registry,
    pub shutdown: CancellationToken,
    pub task: JoinHandle<()>,
}

pub async fn start_mllp(configure: impl FnOnce(&mut MllpSourceConfig)) -> Running {
    let registry = Registry::new();
    let metrics = Metrics::new(&registry).unwrap();
    start_mllp_with(configure, TestIngest::new(), metrics, registry).await
}

pub async fn start_mllp_with(
    configure: impl FnOnce(&mut MllpSourceConfig),
    ingest: Arc<TestIngest>,
    metrics: Metrics,
    registry: Registry,
) -> Running {
    let mut config = MllpSourceConfig::new("pas", "127.0.0.1:0");
    configure(&mut config);
    let source = MllpSource::bind(config, Arc::clone(&ingest), metrics)
        .await
        .unwrap();
    let addr = source.local_addr();
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(source.run(shutdown.clone()));
    Running {
        addr,
        ingest,
        registry,
        shutdown,
        task,
    }
}

pub type Client = Framed<TcpStream, MllpCodec>;

pub async fn connect(addr: SocketAddr) -> Client {
    Framed::new(
        TcpStream::connect(addr).await.unwrap(),
        MllpCodec::default(),
    )
}

pub async fn send(c: &mut Client, msg: &[u8]) {
    c.send(msg).await.unwrap();
}

/// The next frame, or `None` at EOF (or a reset).
pub async fn recv(c: &mut Client) -> Option<Vec<u8>> {
    match c.next().await {
        Some(Ok(f)) => Some(f.to_vec()),
        _ => None,
    }
}

/// A field of an HL7 message as text ("" when absent).
pub fn field(msg: &[u8], path: &str) -> String {
    let m = Message::parse(msg).unwrap();
    m.text(path).map(|t| t.into_owned()).unwrap_or_default()
}

pub fn adt(control_id: &str) -> Vec<u8> {
    format!(
        "MSH|^~\\&|PAS|RXX|JUNCTION|RXX|20260115103000||ADT^A01^ADT_A01|{control_id}|P|2.4\r\
         EVN|A01|20260115103000\rPID|1||9990000018^^^NHS^NH||SMITH^JOHN\r"
    )
    .into_bytes()
}

/// The value of a counter or gauge, or the sample count of a histogram, with these labels.
pub fn metric(registry: &Registry, name: &str, labels: &[(&str, &str)]) -> f64 {
    for family in registry.gather() {
        if family.name() != name {
            continue;
        }
        for m in family.get_metric() {
            let ok = labels.iter().all(|(k, v)| {
                m.get_label()
                    .iter()
                    .any(|l| l.name() == *k && l.value() == *v)
            });
            if ok {
                if m.get_histogram().get_sample_count() > 0 {
                    return m.get_histogram().get_sample_count() as f64;
                }
                if m.get_counter().get_value() != 0.0 {
                    return m.get_counter().get_value();
                }
                return m.get_gauge().get_value();
            }
        }
    }
    0.0
}

/// PEM files for a test CA, a server certificate for `localhost`/127.0.0.1 and a client
/// certificate, in a temp dir.
pub use junction_sim::pki::TestPki as Certs;

pub fn certs() -> Certs {
    Certs::generate("Junction test CA", "pas.rxx").expect("test PKI")
}
