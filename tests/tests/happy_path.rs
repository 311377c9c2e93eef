//! End to end, the good day: ADT over MLLP and over HTTP ingest is acknowledged after the
//! journal commit, decoded, routed to a FHIR server and a file outbox, counted in `/metrics`,
//! listed by the admin API and viewable (audited) from loopback.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use junction_e2e::adt::adt;
use junction_e2e::config;
use junction_e2e::fhir_server::FhirServer;
use junction_e2e::gateway::Gateway;
use junction_e2e::http;
use junction_e2e::mllp::MllpClient;
use junction_e2e::nhs::nhs_numbers;
use junction_e2e::wait::eventually;

const PATIENTS: usize = 3;
/// Per patient: an admission, then two updates.
const TRIGGERS: [&str; 3] = ["A01", "A08", "A08"];
const DEADLINE: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adt_flows_from_mllp_and_http_to_fhir_and_files() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let out = tmp.path().join("out");
    let fhir = FhirServer::start().await;
    let cfg = [
        config::head(tmp.path()),
        config::mllp_source("pas", ""),
        config::http_source("ingest"),
        config::fhir_destination("fhir", &fhir.base_url(), ""),
        config::file_destination("outbox", &out),
        config::patient_route(&["fhir", "outbox"]),
    ]
    .concat();
    let gw = Gateway::start(tmp.path(), &cfg);
    let nhs = nhs_numbers(PATIENTS as u32);

    // MLLP: every message gets AA naming its own MSH-10.
    let mut client = MllpClient::connect(gw.source("pas"))
        .await
        .expect("connect");
    let mut sent: Vec<(String, String)> = Vec::new(); // (control id, NHS number), in send order
    let mut types = BTreeMap::new(); // control id → message type
    for (i, trigger) in TRIGGERS.iter().enumerate() {
        for (p, nhs) in nhs.iter().enumerate() {
            let cid = format!("HP{p}S{i}");
            let msg = adt(trigger, &cid, nhs, &format!("MRN{p}"));
            let ack = client.send(&msg).await.expect("send").expect("an ACK");
            assert_eq!(
                ack.code,
                "AA",
                "{cid}: {}",
                String::from_utf8_lossy(&ack.raw)
            );
            assert_eq!(ack.control_id, cid, "MSA-2 echoes MSH-10");
            types.insert(cid.clone(), format!("ADT^{trigger}"));
            sent.push((cid, nhs.clone()));
        }
    }
    let n = sent.len();

    // FHIR: one bundle per message, each with its own stable X-Request-ID.
    let got = fhir
        .wait_for(DEADLINE, "a FHIR bundle per message", |r| {
            r.iter().filter(|x| x.accepted()).count() >= n
        })
        .await;
    assert_eq!(got.len(), n, "exactly one request per message: {got:#?}");
    let by_cid: BTreeMap<String, _> = got
        .iter()
        .map(|r| (r.control_id().expect("visit number V<MSH-10>"), r))
        .collect();
    for (cid, nhs) in &sent {
        let r = by_cid
            .get(cid)
            .unwrap_or_else(|| panic!("no delivery for {cid}"));
        assert_eq!(r.method, "POST");
        assert_eq!(r.path, "/fhir/$process-message", "a message bundle");
        assert_eq!(r.body["resourceType"], "Bundle");
        assert_eq!(r.nhs_number().as_deref(), Some(nhs.as_str()));
        let ct = r.headers.iter().find(|(k, _)| k == "content-type");
        assert_eq!(
            ct.map(|(_, v)| v.as_str()),
            Some("application/fhir+json"),
            "{cid}"
        );
    }
    let ids: BTreeSet<_> = got.iter().filter_map(|r| r.request_id.clone()).collect();
    assert_eq!(ids.len(), n, "every request has its own X-Request-ID");
    // Per patient, in send order.
    for nhs in &nhs {
        let want: Vec<_> = sent
            .iter()
            .filter(|(_, x)| x == nhs)
            .map(|(c, _)| c)
            .collect();
        let seen: Vec<_> = got
            .iter()
            .filter(|r| r.nhs_number().as_deref() == Some(nhs))
            .filter_map(|r| r.control_id())
            .collect();
        assert_eq!(
            seen.iter().collect::<Vec<_>>(),
            want,
            "one patient's deliveries in order"
        );
    }

    // Files: one per delivery, each the event as JSON.
    let files = eventually(DEADLINE, "one file per delivery in the outbox dir", || {
        let out = out.clone();
        async move {
            let files: Vec<_> = std::fs::read_dir(&out)
                .ok()?
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect();
            (files.len() >= n).then_some(files)
        }
    })
    .await;
    assert_eq!(files.len(), n, "{files:#?}");
    let mut file_nhs = BTreeMap::<String, usize>::new();
    for f in &files {
        let text = std::fs::read_to_string(f).expect("read delivery file");
        let v: serde_json::Value = serde_json::from_str(&text).expect("delivery file is JSON");
        let key = v["patient_key"].as_str().unwrap_or_default().to_owned();
        *file_nhs.entry(key).or_default() += 1;
    }
    for nhs in &nhs {
        assert_eq!(
            file_nhs.get(&format!("nhs:{nhs}")),
            Some(&TRIGGERS.len()),
            "files per patient: {file_nhs:?}"
        );
    }

    // Metrics moved.
    let gw_http = gw.http;
    eventually(
        DEADLINE,
        "delivery counters to reach the message count",
        || async move {
            let text = http::metrics_text(gw_http).await;
            let fhir_ok = http::sample(
                &text,
                "junction_deliveries_total",
                &[("destination", "fhir"), ("outcome", "delivered")],
            );
            let file_ok = http::sample(
                &text,
                "junction_deliveries_total",
                &[("destination", "outbox"), ("outcome", "delivered")],
            );
            (fhir_ok >= n as f64 && file_ok >= n as f64).then_some(())
        },
    )
    .await;
    let text = http::metrics_text(gw.http).await;
    assert_eq!(
        http::sample(
            &text,
            "junction_messages_accepted_total",
            &[("source", "pas")]
        ),
        n as f64,
        "junction_messages_accepted_total{{source=\"pas\"}}"
    );
    assert_eq!(
        http::sample(
            &text,
            "junction_deliveries_total",
            &[("destination", "fhir"), ("outcome", "delivered")]
        ),
        n as f64
    );
    assert_eq!(
        http::sample(&text, "junction_deliveries_total", &[("outcome", "dead")]),
        0.0
    );

    // The admin API lists them as routed.
    let listed = http::messages(gw.http, "source=pas").await;
    assert_eq!(listed.len(), n, "{listed:#?}");
    for m in &listed {
        assert_eq!(m["state"], "routed", "{m}");
        let cid = m["control_id"].as_str().unwrap_or_default();
        assert_eq!(
            m["message_type"].as_str(),
            types.get(cid).map(String::as_str),
            "{m}"
        );
    }
    let listed_cids: BTreeSet<_> = listed
        .iter()
        .filter_map(|m| m["control_id"].as_str().map(str::to_owned))
        .collect();
    let sent_cids: BTreeSet<_> = sent.iter().map(|(c, _)| c.clone()).collect();
    assert_eq!(listed_cids, sent_cids);

    // A body view from loopback works and is audited; without `include` there is no body.
    let first = &listed[0];
    let id = first["id"].as_i64().expect("message id");
    let cid = first["control_id"].as_str().expect("control id");
    let plain = http::get_json(gw.http, &format!("/api/messages/{id}")).await;
    assert!(
        plain.get("raw").is_none(),
        "no body without include: {plain}"
    );
    assert_eq!(plain["deliveries"].as_array().map(Vec::len), Some(2));
    let audit = tmp.path().join("data/audit.log");
    let audit_before = std::fs::read_to_string(&audit).unwrap_or_default();
    assert!(
        !audit_before.contains(&format!("\"message_id\":{id}")),
        "no audit line before the view"
    );
    let res = http::get(gw.http, &format!("/api/messages/{id}?include=body")).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.header("cache-control"), Some("no-store"));
    let body = res.json();
    let raw = body["raw"].as_str().expect("raw message in the body view");
    assert!(raw.contains(cid), "the raw message is the one asked for");
    assert!(body["events"][0]["json"].is_object(), "event JSON: {body}");
    let audit_after = std::fs::read_to_string(&audit).expect("audit log written");
    let line = audit_after
        .lines()
        .find(|l| l.contains(&format!("\"message_id\":{id}")))
        .unwrap_or_else(|| panic!("no audit line for message {id}: {audit_after}"));
    let line: serde_json::Value = serde_json::from_str(line).expect("audit line is JSON");
    assert!(
        line["action"].as_str().is_some_and(|a| a.contains("view")),
        "{line}"
    );
    assert!(
        line["client"]
            .as_str()
            .is_some_and(|c| c.starts_with("127.0.0.1:")),
        "{line}"
    );

    // HTTP ingest: 202 once stored, then delivered like the rest.
    let ingest_nhs = nhs_numbers(PATIENTS as u32 + 1)
        .pop()
        .expect("one more patient");
    let msg = adt("A01", "HPHTTP1", &ingest_nhs, "MRNH");
    let res = http::post(gw.http, "/ingest/ingest", "x-application/hl7-v2+er7", &msg).await;
    assert_eq!(res.status, 202, "{}", res.text());
    assert!(res.json()["id"].as_i64().is_some(), "{}", res.text());
    let got = fhir
        .wait_for(
            DEADLINE,
            "the HTTP-ingested message at the FHIR server",
            |r| {
                r.iter()
                    .any(|x| x.control_id().as_deref() == Some("HPHTTP1"))
            },
        )
        .await;
    let r = got
        .iter()
        .find(|x| x.control_id().as_deref() == Some("HPHTTP1"))
        .expect("delivered");
    assert_eq!(r.nhs_number().as_deref(), Some(ingest_nhs.as_str()));
    let ingested = http::messages(gw.http, "source=ingest").await;
    assert_eq!(ingested.len(), 1);
    let gw_http = gw.http;
    eventually(DEADLINE, "the ingested message routed", || async move {
        let m = http::messages(gw_http, "source=ingest").await;
        (m.first()?["state"] == "routed").then_some(())
    })
    .await;
    assert_eq!(
        http::metric(
            gw.http,
            "junction_messages_accepted_total",
            &[("source", "ingest")]
        )
        .await,
        1.0
    );

    let status = gw.stop();
    assert!(status.success(), "graceful stop: {status:?}");
}
