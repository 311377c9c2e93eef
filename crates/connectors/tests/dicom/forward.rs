//! Study-complete notifications and forwarding: a study arrives from `storescu`, the tracker
//! journals one study JSON after the quiet period, and `DicomStoreSink` forwards every instance
//! to a dcmtk `storescp` (bit-preserving) with the data sets unchanged; a later instance makes a
//! new notification. Then the sink's failure outcomes against real peers.

use std::path::{Path, PathBuf};
use std::time::Duration;

use junction_connectors::dicom::{
    DicomStoreSink, DicomStoreSinkConfig, INSTANCE_CONTENT_TYPE, STUDY_CONTENT_TYPE, StudySummary,
    StudyTracker,
};
use junction_connectors::{Metrics, OutboundDelivery, SendOutcome, Sink};
use prometheus::Registry;

use crate::support::{SCP_AE, Scp, data, files_in, run, same_dataset, start_scp, until};

/// A dcmtk `storescp` writing what it receives, bit for bit, into a temp dir; killed on drop.
pub struct StoreScp {
    _child: tokio::process::Child,
    pub port: u16,
    pub dir: tempfile::TempDir,
}

async fn start_storescp(ae: &str) -> StoreScp {
    start_storescp_with(ae, &[], &[]).await
}

/// `storescp` with extra arguments (before the port), e.g. its TLS options; `probe` are the
/// extra `echoscu` arguments of the readiness check.
pub async fn start_storescp_with(ae: &str, extra: &[&str], probe: &[&str]) -> StoreScp {
    // dcmtk is installed with the other peers by the first test to need them.
    crate::support::python();
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = tokio::process::Command::new("storescp")
        .args(["+B", "-aet", ae, "-od"])
        .arg(dir.path())
        .args(extra)
        .arg(port.to_string())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    // Ready when it answers an echo.
    let p = port.to_string();
    for _ in 0..200 {
        let mut args: Vec<&str> = probe.to_vec();
        args.extend(["-aec", ae, "127.0.0.1", &p]);
        if run("echoscu", &args).await.0 {
            return StoreScp {
                _child: child,
                port,
                dir,
            };
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut args: Vec<&str> = probe.to_vec();
    args.extend(["-aec", ae, "127.0.0.1", &p]);
    let (_, out) = run("echoscu", &args).await;
    panic!("storescp did not start: {out}");
}

fn sink(addr: String, called: &str, store: &Path) -> DicomStoreSink {
    let config = DicomStoreSinkConfig {
        destination: "pacs-out".into(),
        addr,
        called_ae: called.into(),
        calling_ae: "JUNCTION".into(),
        store_path: store.to_path_buf(),
        max_pdu: 65_536,
        timeout: Duration::from_secs(30),
        tls: None,
    };
    DicomStoreSink::new(config, Metrics::new(&Registry::new()).unwrap()).unwrap()
}

fn delivery(payload: String) -> OutboundDelivery {
    OutboundDelivery {
        id: 1,
        destination: "pacs-out".into(),
        payload,
        message_id: 1,
    }
}

async fn storescu(scp: &Scp, calling: &str, names: &[&str]) {
    let port = scp.port.to_string();
    let paths: Vec<String> = names
        .iter()
        .map(|n| data().path(n).display().to_string())
        .collect();
    let mut args = vec!["-aec", SCP_AE, "-aet", calling, "127.0.0.1", &port];
    args.extend(paths.iter().map(String::as_str));
    let (ok, out) = run("storescu", &args).await;
    assert!(ok, "storescu failed: {out}");
}

pub fn received_by(dir: &Path, uid: &str) -> PathBuf {
    files_in(dir)
        .into_iter()
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.contains(uid))
        })
        .unwrap_or_else(|| panic!("storescp has no file for {uid}: {:?}", files_in(dir)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn study_notification_then_forwarding_to_storescp() {
    let tracker = StudyTracker::new(
        "pacs-in",
        Duration::from_millis(300),
        Duration::from_secs(3600),
    );
    let scp = start_scp(|_| {}, Some(tracker.clone())).await;
    storescu(
        &scp,
        "MODALITY",
        &["study_1.dcm", "study_2.dcm", "study_3.dcm"],
    )
    .await;
    let studies = scp.ingest.wait_for(STUDY_CONTENT_TYPE, 1).await;
    let d = data();
    let study_uid = d.field("study_1.dcm", "study_instance_uid");
    let summary: StudySummary = serde_json::from_slice(&studies[0].raw).unwrap();
    assert_eq!(summary.study_instance_uid, study_uid);
    assert_eq!(summary.number_of_instances, 3);
    assert_eq!(summary.accession_number.as_deref(), Some("ACC0100"));
    assert_eq!(summary.patient_id.as_deref(), Some("K999001"));
    assert_eq!(summary.study_date.as_deref(), Some("20260102"));
    assert_eq!(summary.modalities, ["CT"]);
    assert_eq!(summary.calling_ae, "MODALITY");
    let mut counts: Vec<usize> = summary
        .series
        .iter()
        .map(|s| s.number_of_instances)
        .collect();
    counts.sort();
    assert_eq!(counts, [1, 2]);
    let first_id = studies[0].control_id.clone().unwrap();
    assert!(
        first_id.starts_with(&format!("{study_uid}#3-")),
        "{first_id}"
    );
    assert_eq!(studies[0].sender.as_deref(), Some("MODALITY"));
    assert_eq!(studies[0].message_type.as_deref(), Some("DICOM^STUDY"));

    // Forward the study to a real storescp: every data set arrives unchanged.
    let remote = start_storescp("FWDSCP").await;
    let s = sink(
        format!("127.0.0.1:{}", remote.port),
        "FWDSCP",
        scp.store.path(),
    );
    let payload = String::from_utf8(studies[0].raw.to_vec()).unwrap();
    assert_eq!(s.send(&delivery(payload)).await, SendOutcome::Delivered);
    for name in ["study_1.dcm", "study_2.dcm", "study_3.dcm"] {
        let got = received_by(remote.dir.path(), &d.uid(name));
        if let Err(e) = same_dataset(&d.path(name), &got) {
            panic!("{name} forwarded with changes: {e}");
        }
    }
    // An event payload (an ImagingStudy in the bundle) names the instances too.
    let event = serde_json::json!({"kind": "imaging.study-available", "bundle": {"entry": [
        {"resource": {"resourceType": "ImagingStudy", "series": [{"instance": [
            {"uid": d.uid("study_3.dcm")}]}]}}]}});
    assert_eq!(
        s.send(&delivery(event.to_string())).await,
        SendOutcome::Delivered
    );

    // A late instance: a new notification for the whole study, with a new control id.
    storescu(&scp, "MODALITY", &["study_4.dcm"]).await;
    let studies = scp.ingest.wait_for(STUDY_CONTENT_TYPE, 2).await;
    let second: StudySummary = serde_json::from_slice(&studies[1].raw).unwrap();
    assert_eq!(second.number_of_instances, 4);
    let second_id = studies[1].control_id.clone().unwrap();
    assert!(
        second_id.starts_with(&format!("{study_uid}#4-")),
        "{second_id}"
    );
    assert_eq!(scp.ingest.of_type(INSTANCE_CONTENT_TYPE).len(), 4);
    assert_eq!(tracker.tracked(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sink_outcomes_against_failing_peers() {
    // A store holding the CT instance.
    let origin = start_scp(|_| {}, None).await;
    storescu(&origin, "MODALITY", &["CT_small.dcm"]).await;
    origin.ingest.wait_for(INSTANCE_CONTENT_TYPE, 1).await;
    let payload = serde_json::json!({"study_instance_uid": "1.2.3", "series": [
        {"instances": [{"sop_instance_uid": data().uid("CT_small.dcm")}]}]})
    .to_string();
    let store = origin.store.path();

    // Nothing listening: retry.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let out = sink(closed.to_string(), "ANY", store)
        .send(&delivery(payload.clone()))
        .await;
    assert!(matches!(out, SendOutcome::Retry { .. }), "{out:?}");

    // Association rejected (our calling AE is not allowed there): retry.
    let picky = start_scp(|c| c.accepted_calling_aes = vec!["SOMEONE".into()], None).await;
    let out = sink(format!("127.0.0.1:{}", picky.port), SCP_AE, store)
        .send(&delivery(payload.clone()))
        .await;
    assert!(matches!(out, SendOutcome::Retry { .. }), "{out:?}");

    // The peer answers a failure status: permanent, with the status.
    let full = start_scp(|_| {}, None).await;
    full.ingest.set_unavailable(true);
    let out = sink(format!("127.0.0.1:{}", full.port), SCP_AE, store)
        .send(&delivery(payload.clone()))
        .await;
    match out {
        SendOutcome::Permanent { error } => assert!(error.contains("0xA700"), "{error}"),
        other => panic!("expected permanent, got {other:?}"),
    }

    // Our own receiver accepts it: the forwarded file equals the original.
    let ok = start_scp(|_| {}, None).await;
    let out = sink(format!("127.0.0.1:{}", ok.port), SCP_AE, store)
        .send(&delivery(payload))
        .await;
    assert_eq!(out, SendOutcome::Delivered);
    until("the forwarded instance", || ok.stored().len() == 1).await;
    same_dataset(&data().path("CT_small.dcm"), &ok.stored()[0]).unwrap();

    // A payload naming an instance that is not stored: permanent.
    let missing =
        r#"{"study_instance_uid":"1.2","series":[{"instances":[{"sop_instance_uid":"1.2.3.4"}]}]}"#;
    let out = sink(format!("127.0.0.1:{}", ok.port), SCP_AE, store)
        .send(&delivery(missing.into()))
        .await;
    assert!(matches!(out, SendOutcome::Permanent { .. }), "{out:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tracker_recovers_after_a_restart_with_the_same_control_id() {
    // Before the restart: the study is received and notified.
    let before = StudyTracker::new(
        "pacs-in",
        Duration::from_millis(200),
        Duration::from_secs(3600),
    );
    let scp = start_scp(|_| {}, Some(before)).await;
    storescu(
        &scp,
        "MODALITY",
        &["study_1.dcm", "study_2.dcm", "study_3.dcm"],
    )
    .await;
    let first = scp.ingest.wait_for(STUDY_CONTENT_TYPE, 1).await;
    scp.shutdown.cancel();
    // After: a new tracker rebuilt from the store notifies the study again with the same
    // control id and sender, so the journal's duplicate check stops it (and a study whose
    // quiet period had not run out before the restart is notified now).
    let after = StudyTracker::new(
        "pacs-in",
        Duration::from_millis(200),
        Duration::from_secs(3600),
    );
    assert_eq!(
        after
            .recover(scp.store.path(), Duration::from_secs(3600))
            .await
            .unwrap(),
        3
    );
    let journal = std::sync::Arc::new(crate::support::TestIngest::default());
    let stop = tokio_util::sync::CancellationToken::new();
    tokio::spawn(
        after
            .clone()
            .run(std::sync::Arc::clone(&journal), stop.clone()),
    );
    let again = journal.wait_for(STUDY_CONTENT_TYPE, 1).await;
    stop.cancel();
    assert_eq!(again[0].control_id, first[0].control_id);
    assert_eq!(again[0].sender, first[0].sender);
    let a: StudySummary = serde_json::from_slice(&first[0].raw).unwrap();
    let b: StudySummary = serde_json::from_slice(&again[0].raw).unwrap();
    assert_eq!(a, b);
}
