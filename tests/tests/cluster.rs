//! Three `junction` nodes sharing one PostgreSQL database, two of them killed (`kill -9`) under
//! load: ADT over MLLP spread across the nodes, senders of a dead node reconnecting to a live
//! one and resending what was not acknowledged. At the end every acknowledged message reached
//! the (idempotent) FHIR server under one `X-Request-ID`, in send order per patient; the e-RS
//! worklist poller ran on one node at a time and moved to a survivor each time its node died;
//! and a survivor's admin API shows the messages every node journaled.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use junction_e2e::adt::adt;
use junction_e2e::cluster::{TestSchema, head};
use junction_e2e::fhir_server::{FhirServer, Recorded};
use junction_e2e::gateway::Gateway;
use junction_e2e::http;
use junction_e2e::mllp::MllpClient;
use junction_e2e::nhs::nhs_numbers;
use junction_e2e::wait::eventually;
use junction_sim::national::{ERS_BASE, NationalSim};
use serde_json::Value;
use tokio::sync::watch;

const DEADLINE: Duration = Duration::from_secs(60);
const NODES: usize = 3;
const CONNS_PER_NODE: usize = 3;
const PATIENTS: u32 = 20;
const PER_PATIENT: usize = 15;
/// Senders wait here (for the first failover to be checked) so the second kill lands mid-load.
const GATE_AT: usize = 10;
const ERS_LEASE: &str = "poller:ers";

fn node_config(dir: &Path, node: &str, schema: &str, fhir: &str, refs: &str, ers: &str) -> String {
    format!(
        r#"{head}
[national.ers]
url = "{ers}{ERS_BASE}"
environment = "sandbox"
ods_code = "R69"

[[sources]]
name = "pas"
type = "mllp"
listen = "127.0.0.1:0"
adapter = "pas"
mrn_authority = "RXX"

[[sources]]
name = "ers"
type = "ers_worklist"
adapter = "ers"
services = ["11002"]
interval = "200ms"

[[destinations]]
name = "fhir"
type = "fhir_http"
url = "{fhir}"
timeout = "1s"

[[destinations]]
name = "referrals"
type = "fhir_http"
url = "{refs}"
timeout = "1s"

[[routes]]
name = "patients"
kinds = ["patient.*"]
destinations = ["fhir"]

[[routes]]
name = "referrals"
kinds = ["referral.received"]
destinations = ["referrals"]
"#,
        head = head(dir, node, schema, "2s"),
    )
}

/// The nodes still alive, by index; senders pick from them.
type Live = Arc<Mutex<Vec<(usize, SocketAddr)>>>;

/// One sender: its patients' messages in order, each resent until acknowledged `AA`, moving to
/// another live node when its connection dies; pausing before message `GATE_AT` of each
/// patient until `gate` opens.
async fn sender(
    conn: usize,
    patients: Vec<(u32, String)>,
    live: Live,
    acked: Arc<AtomicUsize>,
    mut gate: watch::Receiver<bool>,
) {
    let pick = |live: &Live| {
        let live = live.lock().expect("live");
        live[conn % live.len()].1
    };
    let mut client = MllpClient::connect(pick(&live)).await.expect("connect");
    for seq in 0..PER_PATIENT {
        if seq == GATE_AT {
            gate.wait_for(|open| *open).await.expect("gate");
        }
        for (p, nhs) in &patients {
            let control = format!("K{p:02}{seq:03}");
            let trigger = if seq == 0 { "A01" } else { "A08" };
            let msg = adt(trigger, &control, nhs, &format!("M{p:05}"));
            let mut tries = 0;
            loop {
                match client.send(&msg).await {
                    Ok(Some(ack)) if ack.code == "AA" && ack.control_id == control => break,
                    Ok(Some(ack)) => panic!("{control}: answered {} {}", ack.code, ack.text),
                    Ok(None) | Err(_) => {
                        // Its node died: resend to a live one, as a real sender would.
                        tries += 1;
                        assert!(tries < 50, "{control}: no live node would take it");
                        if let Ok(c) = MllpClient::connect(pick(&live)).await {
                            client = c;
                        }
                    }
                }
            }
            acked.fetch_add(1, Ordering::SeqCst);
        }
    }
}

/// Distinct request ids per control id, among accepted requests.
fn request_ids(log: &[Recorded]) -> HashMap<String, BTreeSet<String>> {
    let mut ids: HashMap<String, BTreeSet<String>> = HashMap::new();
    for r in log.iter().filter(|r| r.accepted()) {
        if let Some(c) = r.control_id() {
            ids.entry(c)
                .or_default()
                .insert(r.request_id.clone().unwrap_or_default());
        }
    }
    ids
}

/// The referrals FHIR server's accepted requests mentioning `ubrn`, as distinct request ids.
fn referral_ids(log: &[Recorded], ubrn: &str) -> BTreeSet<String> {
    log.iter()
        .filter(|r| r.accepted() && r.body.to_string().contains(ubrn))
        .map(|r| r.request_id.clone().unwrap_or_default())
        .collect()
}

/// A new referral on the e-RS worklist, built from the sim's `Unbooked` fixture.
fn add_referral(sims: &NationalSim, ubrn: &str) {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates/sim/src/ers/fixtures/Unbooked.json");
    let text = std::fs::read_to_string(path).expect("fixture");
    let mut resource: Value = serde_json::from_str(&text).expect("fixture JSON");
    let old = resource["id"].as_str().expect("fixture id").to_owned();
    let text = resource.to_string().replace(&old, ubrn);
    resource = serde_json::from_str(&text).expect("JSON");
    sims.ers.add_referral(resource, "11002").expect("added");
}

/// Waits until the e-RS lease is held by a node other than `not`, then until that holder has
/// polled a few more times; returns the holder.
async fn failover(schema: &TestSchema, sims: &NationalSim, not: Option<&str>) -> String {
    let leader = eventually(DEADLINE, "an e-RS poller leader", || async {
        schema
            .leader(ERS_LEASE)
            .await
            .filter(|l| Some(l.as_str()) != not)
    })
    .await;
    let polls = sims.ers.stats().worklists;
    eventually(DEADLINE, "the new leader polling e-RS", || async {
        (sims.ers.stats().worklists >= polls + 3).then_some(())
    })
    .await;
    leader
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_nodes_survive_two_kills() {
    let schema = TestSchema::create("cluster").await;
    let fhir = FhirServer::start().await;
    let refs = FhirServer::start().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let origin = format!("http://{}", listener.local_addr().expect("addr"));
    let sims = NationalSim::new(&origin, None).expect("simulators");
    let app = sims.router();
    tokio::spawn(async move { axum::serve(listener, app).await });

    let tmp = tempfile::tempdir().expect("temp dir");
    let mut nodes: Vec<Option<Gateway>> = (0..NODES)
        .map(|i| {
            let dir = tmp.path().join(format!("node-{i}"));
            std::fs::create_dir_all(&dir).expect("node dir");
            let cfg = node_config(
                &dir,
                &format!("node-{i}"),
                &schema.name,
                &fhir.base_url(),
                &refs.base_url(),
                &origin,
            );
            Some(Gateway::start(&dir, &cfg))
        })
        .collect();
    let live: Live = Arc::new(Mutex::new(
        nodes
            .iter()
            .enumerate()
            .filter_map(|(i, n)| Some((i, n.as_ref()?.source("pas"))))
            .collect(),
    ));
    let first_leader = failover(&schema, &sims, None).await;

    // Load: patients spread over 3 connections per node, each patient on one connection.
    let nhs = nhs_numbers(PATIENTS);
    let conns = NODES * CONNS_PER_NODE;
    let acked = Arc::new(AtomicUsize::new(0));
    let (gate, gated) = watch::channel(false);
    let mut senders = tokio::task::JoinSet::new();
    for conn in 0..conns {
        let patients: Vec<(u32, String)> = (0..PATIENTS)
            .filter(|p| *p as usize % conns == conn)
            .map(|p| (p, nhs[p as usize].clone()))
            .collect();
        senders.spawn(sender(
            conn,
            patients,
            live.clone(),
            acked.clone(),
            gated.clone(),
        ));
    }
    let total = PATIENTS as usize * PER_PATIENT;
    let kill = |nodes: &mut Vec<Option<Gateway>>, name: &str| {
        let i: usize = name
            .trim_start_matches("node-")
            .parse()
            .expect("node index");
        live.lock().expect("live").retain(|(j, _)| *j != i);
        nodes[i].take().expect("alive").kill9();
    };

    // Kill the e-RS leader a third of the way in; the poller moves to a survivor.
    eventually(DEADLINE, "a third of the messages acknowledged", || async {
        (acked.load(Ordering::SeqCst) >= total / 3).then_some(())
    })
    .await;
    let at_first = acked.load(Ordering::SeqCst);
    kill(&mut nodes, &first_leader);
    let second_leader = failover(&schema, &sims, Some(&first_leader)).await;
    add_referral(&sims, "000000070001");
    let got = refs
        .wait_for(DEADLINE, "the referral added after the first kill", |log| {
            !referral_ids(log, "000000070001").is_empty()
        })
        .await;
    assert_eq!(referral_ids(&got, "000000070001").len(), 1);

    // The senders resume from the gate; a little later the new leader dies too.
    gate.send_replace(true);
    let gated_at = PATIENTS as usize * GATE_AT;
    eventually(DEADLINE, "the load resumed", || async {
        (acked.load(Ordering::SeqCst) >= gated_at + 20).then_some(())
    })
    .await;
    let at_second = acked.load(Ordering::SeqCst);
    kill(&mut nodes, &second_leader);
    let last = failover(&schema, &sims, Some(&second_leader)).await;
    assert_ne!(last, first_leader, "a dead node cannot lead");
    add_referral(&sims, "000000070002");

    while let Some(res) = senders.join_next().await {
        res.expect("sender");
    }
    assert_eq!(acked.load(Ordering::SeqCst), total);

    // Every acknowledged message delivered, once per delivery id, in order per patient.
    let log = fhir
        .wait_for(DEADLINE, "every acknowledged message delivered", |log| {
            request_ids(log).len() >= total
        })
        .await;
    let ids = request_ids(&log);
    let repeats = log.iter().filter(|r| r.accepted()).count() - total;
    eprintln!(
        "killed {first_leader} at {at_first} and {second_leader} at {at_second} of {total} \
         ACKs; {repeats} deliveries repeated under their request id"
    );
    for p in 0..PATIENTS {
        for seq in 0..PER_PATIENT {
            let control = format!("K{p:02}{seq:03}");
            let n = ids.get(&control).map_or(0, BTreeSet::len);
            assert_eq!(n, 1, "{control}: delivered under {n} request ids");
        }
    }
    let mut seen = BTreeSet::new();
    let mut order: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in log.iter().filter(|r| r.accepted()) {
        let (Some(control), Some(rid)) = (r.control_id(), r.request_id.clone()) else {
            continue;
        };
        if seen.insert(rid) {
            order
                .entry(control[1..3].to_owned())
                .or_default()
                .push(control);
        }
    }
    for (patient, sent) in &order {
        let mut sorted = sent.clone();
        sorted.sort();
        assert_eq!(sent, &sorted, "patient {patient} delivered out of order");
    }

    // The last node polls alone, and delivers a new referral exactly once.
    let got = refs
        .wait_for(
            DEADLINE,
            "the referral added after the second kill",
            |log| !referral_ids(log, "000000070002").is_empty(),
        )
        .await;
    assert_eq!(referral_ids(&got, "000000070002").len(), 1);
    assert_eq!(
        schema.leader(ERS_LEASE).await.as_deref(),
        Some(last.as_str())
    );

    // Any node's admin API shows what every node journaled.
    let survivor = nodes.iter().flatten().next().expect("a survivor");
    let listed = http::messages(survivor.http, "source=pas").await;
    assert!(
        listed.len() >= total,
        "the survivor lists {} of {total} messages",
        listed.len()
    );
    let (pending, leased, dead) = http::queue(survivor.http, "fhir").await;
    assert_eq!((pending, leased, dead), (0, 0, 0));
}
