//! Crash safety: four MLLP senders load the gateway while it is killed with SIGKILL three times
//! at pseudo-random moments (fixed seed) and restarted on the same data directory; each sender
//! resends what was not acknowledged, with the same MSH-10, as a real PAS does. Afterwards every
//! acknowledged message has reached the FHIR server, once per stable `X-Request-ID`, resends
//! were absorbed at the door, and each patient's deliveries arrived in send order.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use junction_e2e::adt::adt;
use junction_e2e::config;
use junction_e2e::fhir_server::FhirServer;
use junction_e2e::gateway::Gateway;
use junction_e2e::http;
use junction_e2e::mllp::MllpClient;
use junction_e2e::nhs::nhs_number;
use junction_e2e::wait::eventually;
use tokio::sync::watch;

const CONNECTIONS: usize = 4;
const PATIENTS_PER_CONNECTION: usize = 4;
const MESSAGES_PER_PATIENT: usize = 15;
const KILLS: usize = 3;
const SEED: u64 = 0x6a75_6e63_7469_6f6e;
/// A killed node's leases run out after 2 × timeout + 5 s; draining must outlast that.
const DRAIN: Duration = Duration::from_secs(90);

/// One message of the plan.
#[derive(Clone)]
struct Planned {
    control_id: String,
    patient: usize,
    seq: usize,
    bytes: Vec<u8>,
}

/// One sender: its messages in send order and how far it got (everything before `next` has
/// been acknowledged).
struct Sender {
    messages: Vec<Planned>,
    next: usize,
}

/// What every sender reports to.
struct Acks {
    count: watch::Sender<usize>,
    acked: Mutex<BTreeSet<String>>,
}

impl Sender {
    /// Sends until done or the connection dies; returns itself so the next round resumes at
    /// the first unacknowledged message.
    async fn run(mut self, addr: SocketAddr, acks: Arc<Acks>) -> Self {
        let Ok(mut client) = MllpClient::connect(addr).await else {
            return self;
        };
        while let Some(m) = self.messages.get(self.next) {
            match client.send(&m.bytes).await {
                Ok(Some(ack)) => {
                    assert_eq!(
                        ack.code,
                        "AA",
                        "{}: {}",
                        m.control_id,
                        String::from_utf8_lossy(&ack.raw)
                    );
                    assert_eq!(ack.control_id, m.control_id, "MSA-2 echoes MSH-10");
                    acks.acked
                        .lock()
                        .expect("acks")
                        .insert(m.control_id.clone());
                    acks.count.send_modify(|n| *n += 1);
                    self.next += 1;
                }
                // Connection closed or reset: the gateway died under us.
                Ok(None) | Err(_) => return self,
            }
        }
        self
    }
}

/// A small deterministic generator (xorshift64*), so a failing run can be repeated.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
    }
}

fn plan() -> Vec<Sender> {
    (0..CONNECTIONS)
        .map(|c| {
            let patients: Vec<usize> = (0..PATIENTS_PER_CONNECTION)
                .map(|i| c * PATIENTS_PER_CONNECTION + i)
                .collect();
            // Round-robin over this sender's patients, so their messages interleave.
            let mut messages = Vec::new();
            for seq in 0..MESSAGES_PER_PATIENT {
                for &p in &patients {
                    let control_id = format!("CS{p:02}N{seq:03}");
                    let trigger = if seq == 0 { "A01" } else { "A08" };
                    let bytes = adt(
                        trigger,
                        &control_id,
                        &nhs_number(p as u32),
                        &format!("M{p}"),
                    );
                    messages.push(Planned {
                        control_id,
                        patient: p,
                        seq,
                        bytes,
                    });
                }
            }
            Sender { messages, next: 0 }
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_messages_survive_kill_9_exactly_once_and_in_order() {
    let started = Instant::now();
    let tmp = tempfile::tempdir().expect("temp dir");
    let fhir = FhirServer::start().await;
    let cfg = [
        config::head(tmp.path()),
        config::mllp_source("pas", ""),
        config::fhir_destination(
            "fhir",
            &fhir.base_url(),
            "timeout = \"2s\"\nretry = { max_attempts = 100, initial_backoff = \"50ms\", max_backoff = \"500ms\" }",
        ),
        config::patient_route(&["fhir"]),
    ]
    .concat();

    let mut senders = plan();
    let all: Vec<Planned> = senders.iter().flat_map(|s| s.messages.clone()).collect();
    let total = all.len();
    let mut rng = Rng(SEED);
    // Kill k happens once the running ACK count reaches a point in the k-th fifth of the load.
    let kill_at: Vec<usize> = (0..KILLS)
        .map(|k| total * (k + 1) / 5 + rng.below((total / 8) as u64) as usize)
        .collect();
    let (count, _) = watch::channel(0usize);
    let acks = Arc::new(Acks {
        count,
        acked: Mutex::new(BTreeSet::new()),
    });

    let mut gw;
    let mut round = 0;
    loop {
        gw = tokio::task::block_in_place(|| Gateway::start(tmp.path(), &cfg));
        let addr = gw.source("pas");
        let tasks: Vec<_> = senders
            .drain(..)
            .map(|s| tokio::spawn(s.run(addr, acks.clone())))
            .collect();
        let Some(&at) = kill_at.get(round) else {
            for t in tasks {
                senders.push(t.await.expect("sender"));
            }
            break;
        };
        let mut rx = acks.count.subscribe();
        tokio::time::timeout(Duration::from_secs(60), rx.wait_for(|n| *n >= at))
            .await
            .expect("load reaches the kill point")
            .expect("ACK counter");
        tokio::task::block_in_place(|| gw.kill9());
        for t in tasks {
            senders.push(t.await.expect("sender"));
        }
        let acked = *acks.count.borrow();
        println!("round {round}: killed at {acked} ACKs (planned {at})");
        round += 1;
    }
    assert!(senders.iter().all(|s| s.next == s.messages.len()));
    let acked = acks.acked.lock().expect("acks").clone();
    assert_eq!(acked.len(), total, "every message acknowledged in the end");

    // Drain: every acknowledged message reaches the FHIR server.
    fhir.wait_for(
        DRAIN,
        "every acknowledged message at the FHIR server",
        |r| {
            r.iter()
                .filter(|x| x.accepted())
                .filter_map(|x| x.control_id())
                .collect::<BTreeSet<_>>()
                .len()
                >= total
        },
    )
    .await;
    let gw_http = gw.http;
    eventually(DRAIN, "the outbox to drain", || async move {
        (http::queue(gw_http, "fhir").await == (0, 0, 0)).then_some(())
    })
    .await;
    let got: Vec<_> = fhir.accepted();

    // Every ACKed message delivered at least once.
    let delivered: BTreeSet<String> = got.iter().filter_map(|r| r.control_id()).collect();
    let missing: Vec<_> = acked.difference(&delivered).collect();
    assert!(missing.is_empty(), "ACKed but never delivered: {missing:?}");

    // Exactly one X-Request-ID per message, and one message per X-Request-ID: a resend after a
    // crash was absorbed at the door, a re-sent delivery carried its original id.
    let mut ids_of: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut msgs_of: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for r in &got {
        let id = r.request_id.clone().expect("X-Request-ID on every request");
        let cid = r.control_id().expect("visit number V<MSH-10>");
        ids_of.entry(cid.clone()).or_default().insert(id.clone());
        msgs_of.entry(id).or_default().insert(cid);
    }
    let twice: Vec<_> = ids_of.iter().filter(|(_, ids)| ids.len() > 1).collect();
    assert!(
        twice.is_empty(),
        "messages delivered under more than one X-Request-ID (duplicates): {twice:?}"
    );
    let mixed: Vec<_> = msgs_of.iter().filter(|(_, c)| c.len() > 1).collect();
    assert!(
        mixed.is_empty(),
        "one X-Request-ID for two messages: {mixed:?}"
    );
    assert_eq!(
        msgs_of.len(),
        total,
        "distinct X-Request-IDs = messages × 1 destination"
    );

    // Per patient, first arrivals follow the send order.
    let seq_of: BTreeMap<&str, (usize, usize)> = all
        .iter()
        .map(|m| (m.control_id.as_str(), (m.patient, m.seq)))
        .collect();
    let mut first: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    let mut seen = BTreeSet::new();
    for r in &got {
        let cid = r.control_id().expect("control id");
        if seen.insert(cid.clone()) {
            let (p, seq) = seq_of[cid.as_str()];
            first.entry(p).or_default().push(seq);
        }
    }
    for (p, seqs) in &first {
        let want: Vec<usize> = (0..MESSAGES_PER_PATIENT).collect();
        assert_eq!(seqs, &want, "patient {p}: deliveries out of send order");
    }

    // The journal holds each message once; nothing failed, was rejected or went dead.
    let journaled = http::messages(gw.http, "source=pas").await;
    assert_eq!(journaled.len(), total, "one journal row per message");
    let door_duplicates: u64 = journaled
        .iter()
        .filter_map(|m| m["duplicates"].as_u64())
        .sum();
    assert!(journaled.iter().all(|m| m["state"] == "routed"));
    assert_eq!(http::queue(gw.http, "fhir").await, (0, 0, 0));
    println!(
        "{total} messages, {} FHIR requests ({} redelivered after a crash), {door_duplicates} \
         resends absorbed at the door, {:?}",
        got.len(),
        got.len() - total,
        started.elapsed()
    );
    let status = tokio::task::block_in_place(|| gw.stop());
    assert!(status.success(), "graceful stop: {status:?}");
}
