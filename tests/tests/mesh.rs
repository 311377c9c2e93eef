//! End to end with MESH: the real `junction` binary against the real PyPI `mesh-sandbox`
//! (`junction_sim::mesh_sandbox`), the gateway's mailbox X26ABC1 and a peer X26ABC2 that the
//! test drives with `junction_national::mesh::MeshClient`.
//!
//! - ADT over MLLP → `mesh` destination (event JSON, gzip, several chunks) → X26ABC2's inbox,
//!   and the delivery `delivered` in the admin API;
//! - a FHIR Patient sent from X26ABC2 → the `mesh_inbox` source → journal, route, `file`
//!   destination, and the MESH message acknowledged;
//! - `send = "raw"`: the HL7 v2 bytes arrive unchanged.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use bytes::Bytes;
use junction_e2e::gateway::Gateway;
use junction_e2e::http;
use junction_e2e::mllp::{MllpClient, adt_a01};
use junction_e2e::nhs::nhs_numbers;
use junction_e2e::wait::eventually;
use junction_e2e::{config, first_scrape};
use junction_national::mesh::{
    InboxMessage, MeshClient, MeshConfig, MeshCredentials, OutgoingMessage, Tracked,
};
use junction_sim::mesh_sandbox::{MeshSandbox, PASSWORD, SHARED_KEY};
use serde_json::{Value, json};

const DEADLINE: Duration = Duration::from_secs(30);
/// The gateway's mailbox.
const GATEWAY: &str = "X26ABC1";
/// The other side.
const PEER: &str = "X26ABC2";
/// A workflow the sandbox knows from X26ABC1 to X26ABC2.
const WORKFLOW: &str = "TEST_WORKFLOW";
/// A workflow the sandbox knows from X26ABC2 to X26ABC1.
const INBOUND_WORKFLOW: &str = "TEST_WORKFLOW_ACK";
const NHS_NUMBER_SYSTEM: &str = "https://fhir.nhs.uk/Id/nhs-number";

/// The real sandbox, or a loud failure: these tests never pass without it.
async fn sandbox() -> MeshSandbox {
    MeshSandbox::start()
        .await
        .unwrap_or_else(|e| panic!("the MESH tests need mesh-sandbox, which is unavailable: {e}"))
}

/// The common head, logging at `warn`: a MESH request that fails or times out is logged by the
/// gateway (to this test's stderr), so a run that misses a deadline says why.
fn mesh_head(dir: &Path) -> String {
    config::head(dir).replace("level = \"error\"", "level = \"warn\"")
}

/// `[national.mesh]` for the gateway's mailbox, the password and shared key in files in `dir`.
fn national_mesh(dir: &Path, url: &str) -> String {
    let password = dir.join("mesh.password");
    let key = dir.join("mesh.key");
    std::fs::write(&password, PASSWORD).expect("write the mailbox password");
    std::fs::write(&key, SHARED_KEY).expect("write the shared key");
    format!(
        "\n[national.mesh]\nurl = \"{url}\"\nmailbox = \"{GATEWAY}\"\npassword_file = \"{}\"\n\
         shared_key_file = \"{}\"\ntimeout = \"20s\"\n",
        password.display(),
        key.display()
    )
}

/// A gateway in `dir` with the MLLP source `pas` routing patients to the `mesh` destination
/// `spine` (to the peer on [`WORKFLOW`]); `extra` is more of the destination's `key = value`
/// lines.
fn pas_to_mesh(dir: &Path, url: &str, extra: &str) -> Gateway {
    let cfg = [
        mesh_head(dir),
        national_mesh(dir, url),
        config::mllp_source("pas", ""),
        format!(
            "\n[[destinations]]\nname = \"spine\"\ntype = \"mesh\"\nto = \"{PEER}\"\n\
             workflow_id = \"{WORKFLOW}\"\nsubject = \"e2e\"\n{extra}\n"
        ),
        config::patient_route(&["spine"]),
    ]
    .concat();
    Gateway::start(dir, &cfg)
}

/// The test's own client of `mailbox`.
fn client(url: &str, mailbox: &str) -> MeshClient {
    let credentials = MeshCredentials {
        mailbox: mailbox.into(),
        password: PASSWORD.into(),
        shared_key: SHARED_KEY.into(),
    };
    let mut config = MeshConfig::new(url, credentials);
    config.timeout = Duration::from_secs(20);
    MeshClient::new(config).expect("MESH client")
}

/// Waits for exactly one message in `client`'s inbox and downloads it.
async fn only_inbox_message(client: &MeshClient) -> InboxMessage {
    let ids = eventually(DEADLINE, "a message in the peer's MESH inbox", || async {
        let ids = client.list_inbox().await.expect("list the inbox");
        (!ids.is_empty()).then_some(ids)
    })
    .await;
    assert_eq!(ids.len(), 1, "one message, not {ids:?}");
    client.download(&ids[0]).await.expect("download")
}

/// Sends one ADT^A01 for `nhs` to the gateway's `pas` source; returns the message sent.
async fn send_adt(gw: &Gateway, nhs: &str) -> Vec<u8> {
    let msg = adt_a01("MESH0001", nhs, "MRN0001");
    let mut pas = MllpClient::connect(gw.source("pas"))
        .await
        .expect("connect");
    let ack = pas.send(&msg).await.expect("send").expect("an ACK");
    assert_eq!(ack.code, "AA", "{}", ack.text);
    msg
}

/// The one message from `source` once its one delivery is delivered: (message id, delivery).
async fn delivered(http_addr: SocketAddr, source: &str) -> (i64, Value) {
    eventually(DEADLINE, "the MESH delivery delivered", || async move {
        let listed = http::messages(http_addr, &format!("source={source}")).await;
        let id = listed.first()?["id"].as_i64()?;
        let detail = http::get_json(http_addr, &format!("/api/messages/{id}")).await;
        let delivery = detail["deliveries"].as_array()?.first()?.clone();
        assert_ne!(delivery["state"], "dead", "{delivery}");
        (delivery["state"] == "delivered").then_some((id, delivery))
    })
    .await
}

/// The NHS number on the first Patient of an event's bundle.
fn patient_nhs_number(event: &Value) -> Option<&str> {
    event["bundle"]["entry"]
        .as_array()?
        .iter()
        .map(|e| &e["resource"])
        .find(|r| r["resourceType"] == "Patient")?["identifier"]
        .as_array()?
        .iter()
        .find(|i| i["system"] == NHS_NUMBER_SYSTEM)?["value"]
        .as_str()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adt_goes_to_mesh_as_gzipped_chunked_event_json() {
    let sb = sandbox().await;
    let tmp = tempfile::tempdir().expect("temp dir");
    let gw = pas_to_mesh(
        tmp.path(),
        sb.url(),
        "send = \"event\"\ngzip = true\nchunk_size = \"1KiB\"",
    );
    let nhs = &nhs_numbers(1)[0];
    send_adt(&gw, nhs).await;

    let (message_id, delivery) = delivered(gw.http, "pas").await;
    assert_eq!(delivery["destination"], "spine");
    let delivery_id = delivery["id"].as_i64().expect("delivery id");

    let peer = client(sb.url(), PEER);
    let got = only_inbox_message(&peer).await;
    assert_eq!(got.message_type, "DATA");
    assert_eq!(got.from.as_deref(), Some(GATEWAY));
    assert_eq!(got.workflow_id.as_deref(), Some(WORKFLOW));
    assert_eq!(got.subject.as_deref(), Some("e2e"));
    // The local id is the delivery's, stable across retries: node name and delivery id.
    assert_eq!(got.local_id, Some(format!("e2e-{delivery_id}")));
    assert!(
        got.chunks > 1,
        "a {}-byte event in 1 KiB chunks came in {} chunk(s)",
        got.body.len(),
        got.chunks
    );
    let event: Value = serde_json::from_slice(&got.body).expect("the event is JSON");
    assert_eq!(event["kind"], "patient.admitted");
    assert_eq!(patient_nhs_number(&event), Some(nhs.as_str()));
    // The admin API names the MESH message the delivery went as (recorded just after the send).
    let detail = format!("/api/messages/{message_id}");
    let shown = eventually(DEADLINE, "the MESH message id in the admin API", || async {
        let v = http::get_json(gw.http, &detail).await;
        v["deliveries"][0]["mesh_message_id"]
            .as_str()
            .map(str::to_owned)
    })
    .await;
    assert_eq!(shown, got.message_id);
    peer.acknowledge(&got.message_id)
        .await
        .expect("acknowledge");
    assert!(gw.stop().success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mesh_inbox_journals_routes_and_acknowledges() {
    let sb = sandbox().await;
    let tmp = tempfile::tempdir().expect("temp dir");
    let out = tmp.path().join("out");
    let cfg = [
        mesh_head(tmp.path()),
        national_mesh(tmp.path(), sb.url()),
        "\n[[sources]]\nname = \"mesh-in\"\ntype = \"mesh_inbox\"\nadapter = \"fhir\"\n\
         interval = \"200ms\"\n"
            .to_owned(),
        config::file_destination("out", &out),
        config::patient_route(&["out"]),
    ]
    .concat();
    let gw = Gateway::start(tmp.path(), &cfg);
    let first = http::metrics_text(gw.http).await;
    let missing = first_scrape::missing_series(&first, &["mesh-in"], &["out"], &["mesh"]);
    assert!(
        missing.is_empty(),
        "absent at the first scrape: {missing:#?}"
    );
    assert!(
        first_scrape::has_series(
            &first,
            "junction_mesh_inbox_messages",
            &[("source", "mesh-in")]
        ),
        "no MESH inbox depth for mesh-in at the first scrape"
    );

    let nhs = &nhs_numbers(1)[0];
    let patient = json!({
        "resourceType": "Patient",
        "identifier": [{"system": NHS_NUMBER_SYSTEM, "value": nhs}],
        "name": [{"family": "TESTPATIENT", "given": ["Sam"]}],
        "birthDate": "1980-01-01"
    });
    let peer = client(sb.url(), PEER);
    let sent_id = peer
        .send(&OutgoingMessage {
            to: GATEWAY.into(),
            workflow_id: INBOUND_WORKFLOW.into(),
            subject: None,
            local_id: Some("e2e-inbound-1".into()),
            file_name: None,
            content_type: "application/fhir+json".into(),
            body: Bytes::from(patient.to_string()),
            gzip: false,
            chunk_size: None,
        })
        .await
        .expect("send to the gateway's mailbox");

    // Journaled under the source, and routed to the file destination.
    let (id, delivery) = delivered(gw.http, "mesh-in").await;
    assert_eq!(delivery["destination"], "out");
    let detail = http::get_json(gw.http, &format!("/api/messages/{id}")).await;
    assert_eq!(detail["message"]["content_type"], "application/fhir+json");
    assert_eq!(detail["events"][0]["kind"], "patient.updated");
    let written = eventually(DEADLINE, "the event in the file destination", || {
        let out = out.clone();
        async move {
            let file = std::fs::read_dir(&out).ok()?.flatten().next()?;
            serde_json::from_str::<Value>(&std::fs::read_to_string(file.path()).ok()?).ok()
        }
    })
    .await;
    assert_eq!(written["kind"], "patient.updated");
    assert_eq!(patient_nhs_number(&written), Some(nhs.as_str()));

    // Acknowledged on MESH: the gateway's inbox is empty and the sender sees it acknowledged.
    let mailbox = client(sb.url(), GATEWAY);
    eventually(DEADLINE, "the gateway's MESH inbox empty", || async {
        let ids = mailbox.list_inbox().await.expect("list the inbox");
        ids.is_empty().then_some(())
    })
    .await;
    let tracked = peer
        .track_by_local_id("e2e-inbound-1")
        .await
        .expect("track");
    assert!(
        matches!(&tracked, Tracked::One { message_id, status }
            if *message_id == sent_id && status.eq_ignore_ascii_case("acknowledged")),
        "{tracked:?}"
    );
    // Journaled once.
    let listed = http::messages(gw.http, "source=mesh-in").await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert!(gw.stop().success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_sends_the_hl7_bytes_unchanged() {
    let sb = sandbox().await;
    let tmp = tempfile::tempdir().expect("temp dir");
    let gw = pas_to_mesh(
        tmp.path(),
        sb.url(),
        "send = \"raw\"\ncontent_type = \"x-application/hl7-v2+er7\"",
    );
    let nhs = &nhs_numbers(1)[0];
    let sent = send_adt(&gw, nhs).await;
    delivered(gw.http, "pas").await;

    let got = only_inbox_message(&client(sb.url(), PEER)).await;
    assert_eq!(got.from.as_deref(), Some(GATEWAY));
    assert_eq!(
        got.content_type.as_deref(),
        Some("x-application/hl7-v2+er7")
    );
    assert_eq!(got.chunks, 1);
    assert!(
        got.body == sent,
        "the HL7 v2 message changed on the way ({} bytes sent, {} received)",
        sent.len(),
        got.body.len()
    );
    assert!(gw.stop().success());
}
