//! Every message flows: a PAS feed relayed to a local system over MLLP through pass-through
//! events (`kinds = ["hl7v2.ADT.*"]`), whatever the pas adapter makes of each message. An A01
//! it maps, an A09 and an A60 it does not, and an A01 it cannot decode (PV1-44 not a date) all reach the
//! real MLLP peer in order, as sent but for MSH-10; the undecodable one is journaled `failed`
//! with its reason and its `junction.decode-failed` event goes to a review outbox, as does the
//! A60, picked by a route reading MSH-9.2 with `hl7(..)`.

use std::time::Duration;

use junction_e2e::adt::adt;
use junction_e2e::config;
use junction_e2e::gateway::Gateway;
use junction_e2e::http;
use junction_e2e::mllp::MllpClient;
use junction_e2e::mllp_peer::MllpPeer;
use junction_e2e::nhs::nhs_numbers;
use junction_e2e::wait::eventually;
use junction_hl7v2::Message;

const DEADLINE: Duration = Duration::from_secs(30);

/// The message without MSH-10, which the MLLP sink sets to the delivery's stable id.
fn without_control_id(message: &str) -> String {
    let mut segments: Vec<String> = message
        .split(['\r', '\n'])
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    let mut msh: Vec<&str> = segments[0].split('|').collect();
    msh[9] = "";
    segments[0] = msh.join("|");
    segments.join("\r")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_adt_message_is_relayed_whatever_the_adapter_makes_of_it() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let peer = MllpPeer::start().await;
    let mapped_peer = MllpPeer::start().await;
    let review = tmp.path().join("review");
    let cfg = [
        config::head(tmp.path()),
        config::mllp_source("pas", ""),
        format!(
            "\n[[destinations]]\nname = \"ris\"\ntype = \"mllp\"\naddress = \"{}\"\nconcurrency = 1\n",
            peer.address()
        ),
        format!(
            "\n[[destinations]]\nname = \"ris-mapped\"\ntype = \"mllp\"\naddress = \"{}\"\nconcurrency = 1\n\
             transform = [\n  {{ set = \"MSH-5\", value = \"RIS\" }},\n  {{ copy = \"PID-3[1].1\", to = \"PID-2\" }},\n  \
             {{ clear = \"PID-11\" }},\n  {{ drop_segments = [\"EVN\"] }},\n]\n",
            mapped_peer.address()
        ),
        config::file_destination("review", &review),
        "\n[[routes]]\nname = \"relay\"\nkinds = [\"hl7v2.ADT.*\"]\ndestinations = [\"ris\", \"ris-mapped\"]\n"
            .into(),
        "\n[[routes]]\nname = \"undecodable\"\nkinds = [\"junction.decode-failed\"]\ndestinations = [\"review\"]\n"
            .into(),
        // An HL7 v2 field read directly: allergy updates (A60) also go to review.
        "\n[[routes]]\nname = \"allergies\"\nkinds = [\"hl7v2.ADT.*\"]\nwhen = 'hl7(\"MSH-9.2\") == \"A60\"'\ndestinations = [\"review\"]\n"
            .into(),
    ]
    .concat();
    let gw = Gateway::start(tmp.path(), &cfg);

    let nhs = &nhs_numbers(1)[0];
    let a01 = String::from_utf8(adt("A01", "R1", nhs, "MRN1")).expect("ASCII");
    let a09 = String::from_utf8(adt("A09", "R2", nhs, "MRN1")).expect("ASCII");
    let a60 = String::from_utf8(adt("A60", "R3", nhs, "MRN1")).expect("ASCII");
    let cut = a01.rfind("|20260115103000\r").expect("PV1-44 at the end");
    let no_admit = format!("{}|NOT-A-DATE\r", &a01[..cut]).replacen("|R1|", "|R4|", 1);
    let sent = [&a01, &a09, &a60, &no_admit];
    let mut pas = MllpClient::connect(gw.source("pas"))
        .await
        .expect("connect");
    for m in sent {
        let ack = pas.send(m.as_bytes()).await.expect("send").expect("ACK");
        assert_eq!(ack.code, "AA", "{}", String::from_utf8_lossy(&ack.raw));
    }

    let received = eventually(DEADLINE, "four messages at the peer", || {
        let got = peer.received();
        async move { (got.len() >= 4).then_some(got) }
    })
    .await;
    assert_eq!(received.len(), 4, "each message relayed once");
    for (got, want) in received.iter().zip(sent) {
        assert_eq!(without_control_id(got), without_control_id(want));
    }
    // The same messages with the declared changes, and nothing else changed.
    let mapped = eventually(DEADLINE, "four transformed messages", || {
        let got = mapped_peer.received();
        async move { (got.len() >= 4).then_some(got) }
    })
    .await;
    assert_eq!(mapped.len(), 4);
    for (got, want) in mapped.iter().zip(sent) {
        let got = Message::parse(got.as_bytes()).expect("HL7 v2");
        let want = Message::parse(want.as_bytes()).expect("HL7 v2");
        assert_eq!(got.text("MSH-5").as_deref(), Some("RIS"));
        assert_eq!(got.text("PID-2").as_deref(), Some(nhs.as_str()));
        assert_eq!(got.text("PID-11"), None, "address cleared");
        assert!(got.segment("EVN", 1).is_none(), "EVN dropped");
        for path in ["MSH-9", "PID-3", "PID-5", "PID-7", "PV1-3", "PV1-44"] {
            assert_eq!(got.text(path), want.text(path), "{path} unchanged");
        }
    }

    // The A01 with a bad PV1-44: journaled failed with the reason, and its decode-failed event
    // (reason and message) in the review outbox.
    let failed = http::messages(gw.http, "state=failed").await;
    assert_eq!(failed.len(), 1, "{failed:?}");
    let reason = failed[0]["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("PV1-44"), "{reason}");
    let reviewed = eventually(DEADLINE, "two events in review", || {
        let review = review.clone();
        async move {
            let events: Vec<serde_json::Value> = std::fs::read_dir(&review)
                .ok()?
                .flatten()
                .filter_map(|e| std::fs::read_to_string(e.path()).ok())
                .filter_map(|t| serde_json::from_str(&t).ok())
                .collect();
            (events.len() >= 2).then_some(events)
        }
    })
    .await;
    assert_eq!(reviewed.len(), 2, "the undecodable A01 and the A60");
    let of_kind = |kind: &str| {
        reviewed
            .iter()
            .find(|e| e["kind"] == kind)
            .unwrap_or_else(|| panic!("no {kind} event in review"))
    };
    let failed_event = of_kind("junction.decode-failed");
    assert_eq!(failed_event["raw"].as_str(), Some(no_admit.as_str()));
    assert_eq!(of_kind("hl7v2.ADT.A60")["raw"].as_str(), Some(a60.as_str()));
    // The A09 and A60 the pas adapter does not map are not failures.
    assert!(http::messages(gw.http, "state=routed").await.len() >= 3);
    drop(pas);
    assert!(gw.stop().success());
}
