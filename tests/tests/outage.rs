//! A destination outage: the FHIR server answers 503, then is gone (connection refused), then
//! comes back on the same port. Meanwhile messages are still acknowledged, the outbox grows and
//! the circuit breaker opens; afterwards everything drains in per-patient order, the breaker
//! closes and nothing is dead.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::time::Duration;

use junction_e2e::adt::adt;
use junction_e2e::config;
use junction_e2e::fhir_server::FhirServer;
use junction_e2e::gateway::Gateway;
use junction_e2e::http;
use junction_e2e::mllp::MllpClient;
use junction_e2e::nhs::nhs_number;
use junction_e2e::wait::eventually;

const PATIENTS: usize = 6;
const DEADLINE: Duration = Duration::from_secs(30);

fn control_id(patient: usize, seq: usize) -> String {
    format!("OU{patient}N{seq:02}")
}

/// Sends `seqs` for every patient, round-robin, and checks each is acknowledged (AA).
async fn send(client: &mut MllpClient, seqs: std::ops::Range<usize>) -> usize {
    let mut n = 0;
    for seq in seqs {
        for p in 0..PATIENTS {
            let cid = control_id(p, seq);
            let trigger = if seq == 0 { "A01" } else { "A08" };
            let msg = adt(
                trigger,
                &cid,
                &nhs_number(100 + p as u32),
                &format!("OM{p}"),
            );
            let ack = client.send(&msg).await.expect("send").expect("an ACK");
            assert_eq!(
                (ack.code.as_str(), ack.control_id.as_str()),
                ("AA", cid.as_str()),
                "acknowledged during the outage: {}",
                String::from_utf8_lossy(&ack.raw)
            );
            n += 1;
        }
    }
    n
}

/// Waits until the outbox holds at least `n` undelivered deliveries (none dead); returns it.
async fn undelivered_at_least(http: SocketAddr, n: u64) -> u64 {
    eventually(DEADLINE, &format!("{n} deliveries queued"), || async move {
        let (pending, leased, dead) = http::queue(http, "fhir").await;
        assert_eq!(dead, 0, "nothing goes dead during a short outage");
        (pending + leased >= n).then_some(pending + leased)
    })
    .await
}

async fn breaker_reads(http: SocketAddr, want: f64) {
    eventually(
        DEADLINE,
        &format!("junction_breaker_open{{destination=\"fhir\"}} = {want}"),
        || async move {
            let v = http::metric(http, "junction_breaker_open", &[("destination", "fhir")]).await;
            (v == want).then_some(())
        },
    )
    .await;
}

/// The last error recorded on the first delivery of `cid`.
async fn last_error(http: SocketAddr, cid: &str) -> Option<String> {
    let listed = http::messages(http, &format!("control_id={cid}")).await;
    let id = listed.first()?["id"].as_i64()?;
    let detail = http::get_json(http, &format!("/api/messages/{id}")).await;
    detail["deliveries"][0]["last_error"]
        .as_str()
        .map(str::to_owned)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outage_queues_opens_the_breaker_and_drains_in_order() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let mut fhir = FhirServer::start().await;
    fhir.answer_with(503);
    let cfg = [
        config::head(tmp.path()),
        config::mllp_source("pas", ""),
        config::fhir_destination(
            "fhir",
            &fhir.base_url(),
            "timeout = \"2s\"\n\
             retry = { max_attempts = 100, initial_backoff = \"50ms\", max_backoff = \"200ms\" }\n\
             breaker = { failures = 3, cool_down = \"300ms\" }",
        ),
        config::patient_route(&["fhir"]),
    ]
    .concat();
    let gw = tokio::task::block_in_place(|| Gateway::start(tmp.path(), &cfg));
    let mut client = MllpClient::connect(gw.source("pas"))
        .await
        .expect("connect");

    // Phase 1: the server answers 503.
    let mut sent = send(&mut client, 0..3).await;
    fhir.wait_for(DEADLINE, "503s answered", |r| r.len() >= 3)
        .await;
    breaker_reads(gw.http, 1.0).await;
    let queued_503 = undelivered_at_least(gw.http, sent as u64).await;
    assert!(fhir.accepted().is_empty(), "nothing accepted while failing");
    let gw_http = gw.http;
    let err = eventually(
        DEADLINE,
        "a 503 recorded as the last error",
        || async move { last_error(gw_http, &control_id(0, 0)).await },
    )
    .await;
    assert!(err.contains("503"), "last error: {err}");

    // Phase 2: the server is gone; the gateway gets connection refused.
    fhir.stop().await;
    sent += send(&mut client, 3..6).await;
    let queued_down = undelivered_at_least(gw.http, sent as u64).await;
    assert!(
        queued_down > queued_503,
        "the outbox grows during the outage: {queued_503} → {queued_down}"
    );
    eventually(DEADLINE, "a connection error recorded", || async move {
        last_error(gw_http, &control_id(0, 0))
            .await
            .filter(|e| !e.contains("503"))
    })
    .await;
    breaker_reads(gw.http, 1.0).await;
    let retried = http::metric(
        gw.http,
        "junction_deliveries_total",
        &[("destination", "fhir"), ("outcome", "retried")],
    )
    .await;
    assert!(
        retried >= 3.0,
        "failed attempts are counted as retried: {retried}"
    );

    // Phase 3: back on the same port, answering 201; more traffic arrives meanwhile.
    fhir.answer_with(201);
    fhir.restart().await;
    sent += send(&mut client, 6..8).await;
    let got = fhir
        .wait_for(DEADLINE, "every message accepted after recovery", |r| {
            r.iter()
                .filter(|x| x.accepted())
                .filter_map(|x| x.control_id())
                .collect::<BTreeSet<_>>()
                .len()
                >= sent
        })
        .await;
    eventually(DEADLINE, "the outbox to drain", || async move {
        (http::queue(gw_http, "fhir").await == (0, 0, 0)).then_some(())
    })
    .await;
    breaker_reads(gw.http, 0.0).await;

    // Per patient: accepted deliveries in send order, each message once per X-Request-ID.
    let accepted: Vec<_> = got.iter().filter(|r| r.accepted()).collect();
    let mut order: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut ids: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for r in &accepted {
        let cid = r.control_id().expect("visit number V<MSH-10>");
        let key = r.nhs_number().expect("NHS number");
        let list = order.entry(key).or_default();
        if !list.contains(&cid) {
            list.push(cid.clone());
        }
        ids.entry(cid)
            .or_default()
            .insert(r.request_id.clone().expect("X-Request-ID"));
    }
    assert_eq!(order.len(), PATIENTS);
    for p in 0..PATIENTS {
        let want: Vec<String> = (0..8).map(|s| control_id(p, s)).collect();
        assert_eq!(
            order[&nhs_number(100 + p as u32)],
            want,
            "patient {p}: delivered out of send order"
        );
    }
    // Every retry of a delivery carried the same X-Request-ID.
    for (cid, set) in &ids {
        assert_eq!(
            set.len(),
            1,
            "{cid} sent under several X-Request-IDs: {set:?}"
        );
    }
    let attempts_with_id: BTreeMap<String, BTreeSet<String>> =
        got.iter().fold(BTreeMap::new(), |mut m, r| {
            if let (Some(c), Some(id)) = (r.control_id(), r.request_id.clone()) {
                m.entry(c).or_default().insert(id);
            }
            m
        });
    assert!(
        attempts_with_id.values().all(|s| s.len() == 1),
        "failed attempts and the final one share one X-Request-ID"
    );

    // Nothing dead, nothing failed.
    assert_eq!(
        http::metric(gw.http, "junction_deliveries_total", &[("outcome", "dead")]).await,
        0.0
    );
    assert_eq!(
        http::metric(
            gw.http,
            "junction_deliveries_total",
            &[("destination", "fhir"), ("outcome", "delivered")]
        )
        .await,
        sent as f64
    );
    let journaled = http::messages(gw.http, "source=pas").await;
    assert_eq!(journaled.len(), sent);
    assert!(journaled.iter().all(|m| m["state"] == "routed"));
    let status = tokio::task::block_in_place(|| gw.stop());
    assert!(status.success(), "graceful stop: {status:?}");
}
