//! The MESH connectors against the real peer: NHS Digital's `mesh-sandbox` (PyPI, pinned in
//! `tests/mesh/install-sandbox.sh`), installed into `<repo>/target/mesh-venv` and started per
//! test on a free loopback port with its canned mailboxes X26ABC1 → X26ABC2 (workflow
//! `TEST_WORKFLOW`). If the sandbox cannot be installed or started, the tests fail.

use std::sync::Arc;
use std::time::Duration;

use junction_connectors::{IngestOutcome, OutboundDelivery, SendOutcome};
use junction_national::mesh::{MeshError, MeshSink, MeshSinkConfig, SendMode};
use tokio_util::sync::CancellationToken;

#[path = "mesh/support.rs"]
mod support;
#[path = "mesh/tls.rs"]
mod tls;

use support::{RECIPIENT, Recorder, SENDER, Sandbox, WORKFLOW, client_for, poller, tracking_json};

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
