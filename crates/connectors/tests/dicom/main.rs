//! DICOM connector tests against real peers: dcmtk (`echoscu`, `storescu`, `storescp`) and
//! pynetdicom (`tests/dicom/peer.py`), installed by `tests/dicom/install-peers.sh` (a missing
//! peer fails the tests). Receiving: C-ECHO, C-STORE of CT, MR, multi-frame, implicit VR,
//! JPEG 2000 and RLE instances stored as sent; rejected calling AE titles; aborts mid-instance;
//! journal failure; a large instance in bounded memory. Study notifications, forwarding to a
//! dcmtk `storescp`, and the sink's failure outcomes are in `forward.rs`; figures in `figures.rs`.

mod figures;
mod forward;
mod support;
mod tls;

use junction_connectors::dicom::{INSTANCE_CONTENT_TYPE, InstanceMeta};
use serde_json::Value;
use support::{SCP_AE, data, py, run, same_dataset, start_scp, until};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c_echo_from_echoscu_and_pynetdicom() {
    let scp = start_scp(|_| {}, None).await;
    let port = scp.port.to_string();
    let (ok, out) = run(
        "echoscu",
        &["-v", "-aec", SCP_AE, "-aet", "ECHOSCU", "127.0.0.1", &port],
    )
    .await;
    assert!(ok, "echoscu failed: {out}");
    assert!(out.contains("Received Echo Response (Success)"), "{out}");
    let (ok, out) = py(&["echo", &port, SCP_AE, "PYNET"]).await;
    assert!(ok && out.contains("ECHO 0x0000"), "pynetdicom echo: {out}");
    assert!(
        scp.ingest.accepted.lock().unwrap().is_empty(),
        "an echo journals nothing"
    );
}

/// Checks one received instance: the stored file has the data set byte for byte, and the
/// journaled metadata matches the manifest.
fn check_received(scp: &support::Scp, name: &str, calling: &str) {
    let d = data();
    let uid = d.uid(name);
    let stored = scp.store.path().join(format!("{uid}.dcm"));
    if let Err(e) = same_dataset(&d.path(name), &stored) {
        panic!("{name}: stored file differs from what was sent: {e}");
    }
    let msgs = scp.ingest.of_type(INSTANCE_CONTENT_TYPE);
    let msg = msgs
        .iter()
        .find(|m| m.control_id.as_deref() == Some(uid.as_str()))
        .unwrap_or_else(|| panic!("{name} was not journaled"));
    let meta: InstanceMeta = serde_json::from_slice(&msg.raw).unwrap();
    let want = |k: &str| d.manifest[name][k].as_str().map(str::to_owned);
    assert_eq!(
        Some(meta.study_instance_uid.clone()),
        want("study_instance_uid")
    );
    assert_eq!(
        Some(meta.series_instance_uid.clone()),
        want("series_instance_uid")
    );
    assert_eq!(Some(meta.sop_class_uid.clone()), want("sop_class_uid"));
    assert_eq!(
        Some(meta.transfer_syntax.clone()),
        want("transfer_syntax"),
        "{name}: transcoded?"
    );
    assert_eq!(meta.patient_id, want("patient_id"));
    assert_eq!(meta.accession_number, want("accession_number"));
    assert_eq!(meta.study_date, want("study_date"));
    assert_eq!(meta.modality, want("modality"));
    assert_eq!(meta.file, stored.display().to_string());
    assert_eq!(meta.size, std::fs::metadata(&stored).unwrap().len());
    assert_eq!(meta.calling_ae, calling);
    assert_eq!(msg.sender.as_deref(), Some(calling));
    let modality = meta.modality.as_deref().unwrap_or("UNKNOWN");
    assert_eq!(
        msg.message_type.as_deref(),
        Some(format!("DICOM^{modality}").as_str())
    );
    let raw: Value = serde_json::from_slice(&msg.raw).unwrap();
    assert!(raw.get("sop_instance_uid").is_some());
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

const FILES: &[&str] = &[
    "CT_small.dcm",
    "MR_small.dcm",
    "multiframe.dcm",
    "MR_small_jp2klossless.dcm",
    "JPEG2000.dcm",
    "SC_rgb_rle.dcm",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c_store_from_storescu_is_stored_as_sent_and_journaled() {
    let scp = start_scp(|c| c.accepted_calling_aes = vec!["STORESCU".into()], None).await;
    let port = scp.port.to_string();
    let d = data();
    // Uncompressed instances on one association; each compressed one with its own syntax
    // proposed first (storescu would otherwise propose uncompressed only and transcode);
    // the implicit VR one proposed in implicit VR only.
    let path = |f: &str| d.path(f).display().to_string();
    // (JPEG2000.dcm, with its undefined-length sequences and private groups, is re-encoded by
    // storescu itself, so what it sends is not the file: pynetdicom sends that one.)
    let runs: [(&str, Vec<String>); 4] = [
        (
            "-x=",
            vec![
                path("CT_small.dcm"),
                path("MR_small.dcm"),
                path("multiframe.dcm"),
            ],
        ),
        ("-xv", vec![path("MR_small_jp2klossless.dcm")]),
        ("-xr", vec![path("SC_rgb_rle.dcm")]),
        ("-xi", vec![path("implicit.dcm")]),
    ];
    for (propose, files) in &runs {
        let mut args = vec![
            "-v",
            propose,
            "-aec",
            SCP_AE,
            "-aet",
            "STORESCU",
            "127.0.0.1",
            &port,
        ];
        args.extend(files.iter().map(String::as_str));
        let (ok, out) = run("storescu", &args).await;
        assert!(ok, "storescu {propose} failed: {out}");
    }
    let sent: Vec<&str> = runs
        .iter()
        .flat_map(|(_, f)| f)
        .map(|p| file_name(p))
        .collect();
    assert_eq!(scp.ingest.of_type(INSTANCE_CONTENT_TYPE).len(), sent.len());
    for name in sent {
        check_received(&scp, name, "STORESCU");
    }
    assert!(
        scp.temp_files().is_empty(),
        "temp files left: {:?}",
        scp.temp_files()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c_store_from_pynetdicom_is_stored_as_sent_and_journaled() {
    let scp = start_scp(|_| {}, None).await;
    let port = scp.port.to_string();
    let d = data();
    let paths: Vec<String> = FILES
        .iter()
        .chain(&["implicit.dcm"])
        .map(|f| d.path(f).display().to_string())
        .collect();
    let mut args = vec!["store", &port, SCP_AE, "PYNET"];
    args.extend(paths.iter().map(String::as_str));
    let (ok, out) = py(&args).await;
    assert!(ok, "pynetdicom store failed: {out}");
    assert_eq!(out.matches(" 0x0000").count(), FILES.len() + 1, "{out}");
    for name in FILES.iter().chain(&["implicit.dcm"]) {
        check_received(&scp, name, "PYNET");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_calling_ae_is_rejected_at_association() {
    let scp = start_scp(|c| c.accepted_calling_aes = vec!["MODALITY1".into()], None).await;
    let port = scp.port.to_string();
    let (ok, out) = run(
        "echoscu",
        &["-aec", SCP_AE, "-aet", "INTRUDER", "127.0.0.1", &port],
    )
    .await;
    assert!(!ok, "echoscu should fail: {out}");
    assert!(
        out.contains("Calling AE Title Not Recognized"),
        "rejection reason not 'calling AE title not recognized': {out}"
    );
    assert!(out.contains("Rejected Permanent"), "{out}");
    let (ok, out) = run(
        "echoscu",
        &["-aec", "SOMEONE", "-aet", "MODALITY1", "127.0.0.1", &port],
    )
    .await;
    assert!(
        !ok && out.contains("Called AE Title Not Recognized"),
        "{out}"
    );
    let ct = data().path("CT_small.dcm").display().to_string();
    let (ok, out) = py(&["store", &port, SCP_AE, "INTRUDER", &ct]).await;
    assert!(!ok && out.contains("REJECTED"), "pynetdicom: {out}");
    let (ok, out) = run(
        "echoscu",
        &["-aec", SCP_AE, "-aet", "MODALITY1", "127.0.0.1", &port],
    )
    .await;
    assert!(ok, "the allowed AE is accepted: {out}");
    assert!(scp.ingest.accepted.lock().unwrap().is_empty());
    assert!(scp.stored().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn journal_failure_answers_out_of_resources() {
    let scp = start_scp(|_| {}, None).await;
    scp.ingest.set_unavailable(true);
    let port = scp.port.to_string();
    let ct = data().path("CT_small.dcm").display().to_string();
    let (ok, out) = py(&["store", &port, SCP_AE, "PYNET", &ct]).await;
    assert!(!ok, "{out}");
    assert!(out.contains(" 0xA700"), "expected status 0xA700: {out}");
    let (ok, out) = run("storescu", &["-v", "-aec", SCP_AE, "127.0.0.1", &port, &ct]).await;
    assert!(
        out.contains("Refused: OutOfResources"),
        "storescu saw no failure status (ok={ok}): {out}"
    );
    assert!(scp.ingest.accepted.lock().unwrap().is_empty());

    // A disk failure (the temp directory cannot be created) answers 0xA700 too.
    let scp = start_scp(|_| {}, None).await;
    let tmp = scp.store.path().join(".tmp");
    std::fs::remove_dir(&tmp).unwrap();
    std::fs::write(&tmp, b"not a directory").unwrap();
    let port = scp.port.to_string();
    let (ok, out) = py(&["store", &port, SCP_AE, "PYNET", &ct]).await;
    assert!(
        !ok && out.contains(" 0xA700"),
        "expected status 0xA700: {out}"
    );
    assert!(scp.ingest.accepted.lock().unwrap().is_empty());
    assert!(scp.stored().is_empty());
}

/// A large instance for the abort and memory tests (made once; deleted at exit with the dir).
async fn big_instance(megabytes: usize) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.dcm");
    let (ok, out) = py(&["big", path.to_str().unwrap(), &megabytes.to_string()]).await;
    assert!(ok, "peer.py big: {out}");
    (dir, path)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abort_mid_instance_leaves_nothing() {
    let scp = start_scp(|c| c.max_pdu = 16_384, None).await;
    let port = scp.port.to_string();
    let (_dir, big) = big_instance(64).await;
    // pynetdicom: A-ABORT once our temp file exists (the instance is half received).
    let mut child = tokio::process::Command::new(support::python())
        .args([
            support::peer_script().to_str().unwrap(),
            "abort",
            &port,
            SCP_AE,
            "PYNET",
        ])
        .arg(&big)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    until("a temp file", || !scp.temp_files().is_empty()).await;
    {
        use tokio::io::AsyncWriteExt;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(b"abort\n").await.unwrap();
    }
    let out = child.wait_with_output().await.unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("ABORTED"));
    until("the association to end", || scp.open_associations() == 0).await;
    // dcmtk: the sender dies mid-instance (connection dropped, no A-ABORT).
    let mut storescu = tokio::process::Command::new("storescu")
        .args(["-aec", SCP_AE, "127.0.0.1", &port])
        .arg(&big)
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    until("a temp file", || !scp.temp_files().is_empty()).await;
    storescu.kill().await.unwrap();
    until("the association to end", || scp.open_associations() == 0).await;
    assert!(
        scp.temp_files().is_empty(),
        "temp file left: {:?}",
        scp.temp_files()
    );
    assert!(
        scp.stored().is_empty(),
        "partial instance kept: {:?}",
        scp.stored()
    );
    assert!(
        scp.ingest.accepted.lock().unwrap().is_empty(),
        "partial instance journaled"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_instance_is_received_in_bounded_memory() {
    let (_dir, big) = big_instance(500).await;
    let scp = start_scp(|_| {}, None).await;
    let port = scp.port.to_string();
    let size = std::fs::metadata(&big).unwrap().len();
    // Reset the peak-RSS mark, then measure the peak while receiving.
    std::fs::write("/proc/self/clear_refs", "5").unwrap();
    let rss_before = support::proc_status_kib("VmRSS:");
    let started = std::time::Instant::now();
    let (ok, out) = run(
        "storescu",
        &["-aec", SCP_AE, "127.0.0.1", &port, big.to_str().unwrap()],
    )
    .await;
    let took = started.elapsed();
    assert!(ok, "storescu failed: {out}");
    scp.ingest.wait_for(INSTANCE_CONTENT_TYPE, 1).await;
    let hwm = support::proc_status_kib("VmHWM:");
    let delta_mib = hwm.saturating_sub(rss_before) / 1024;
    println!(
        "FIGURE large instance: {} MiB in {:.2} s ({:.0} MB/s); peak RSS +{} MiB (VmHWM {} MiB)",
        size >> 20,
        took.as_secs_f64(),
        size as f64 / 1e6 / took.as_secs_f64(),
        delta_mib,
        hwm / 1024
    );
    assert!(
        delta_mib < 64,
        "peak RSS grew by {delta_mib} MiB receiving {} MiB",
        size >> 20
    );
    let msgs = scp.ingest.of_type(INSTANCE_CONTENT_TYPE);
    let meta: InstanceMeta = serde_json::from_slice(&msgs[0].raw).unwrap();
    if let Err(e) = same_dataset(&big, std::path::Path::new(&meta.file)) {
        panic!("large instance differs: {e}");
    }
}
