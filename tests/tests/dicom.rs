//! End to end with DICOM: the real `junction` binary against real dcmtk peers (`echoscu`,
//! `storescu`, `storescp`; installed by `tests/dicom/install-peers.sh`, with pydicom making the
//! synthetic test instances — a missing peer fails the tests, never skips them).
//!
//! - C-ECHO from an accepted modality; a CT study (two series, four instances) and an MR study
//!   (one enhanced multi-frame instance) by C-STORE;
//! - after the quiet period each study is one `imaging.study-available` event: to a `file`
//!   destination (the ImagingStudy's series and instance counts, modality and accession), and
//!   to a `dicom_store` destination that forwards the instances to `storescp` with the data
//!   sets byte for byte as sent; the admin API shows every delivery delivered;
//! - a calling AE title not on the list is refused, and nothing of it is stored;
//! - a study whose quiet period a restart interrupted is announced by the restarted gateway
//!   (the tracker is rebuilt from the stored files).
//! - stored instances older than `keep_instances` are deleted at start; newer ones stay.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::OnceLock;
use std::time::Duration;

use junction_e2e::config;
use junction_e2e::gateway::Gateway;
use junction_e2e::http;
use junction_e2e::wait::eventually;
use serde_json::Value;

const DEADLINE: Duration = Duration::from_secs(60);
const GATEWAY_AE: &str = "JUNCTION";
const MODALITY_AE: &str = "CT_SCANNER_1";
const ARCHIVE_AE: &str = "ARCHIVE";
const STUDY_CONTENT_TYPE: &str = "application/vnd.junction.dicom-study+json";
/// The CT study's instances (in `peer.py data`), then the MR study's.
const CT_FILES: &[&str] = &["study_1.dcm", "study_2.dcm", "study_3.dcm", "study_4.dcm"];
const MR_FILE: &str = "multiframe.dcm";

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The test instances (`peer.py data`, run with the peers' venv) and their manifest; the peers
/// are installed first. Panics when they cannot be.
fn data() -> &'static (PathBuf, Value) {
    static DATA: OnceLock<(PathBuf, Value)> = OnceLock::new();
    DATA.get_or_init(|| {
        let venv = repo_root().join("target/dicom-venv");
        let script = repo_root().join("tests/dicom/install-peers.sh");
        let out = std::process::Command::new("bash")
            .arg(&script)
            .arg(&venv)
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
        assert!(
            out.status.success(),
            "the DICOM tests need dcmtk and pynetdicom; installing them failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        for tool in ["echoscu", "storescu", "storescp"] {
            let found = std::process::Command::new(tool)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success());
            assert!(found, "the DICOM tests need dcmtk's {tool} on PATH");
        }
        let dir = tempfile::tempdir().expect("temp dir").keep();
        let out = std::process::Command::new(venv.join("bin/python"))
            .arg(repo_root().join("tests/dicom/peer.py"))
            .arg("data")
            .arg(&dir)
            .output()
            .expect("run peer.py");
        assert!(
            out.status.success(),
            "peer.py data: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let manifest = std::fs::read_to_string(dir.join("manifest.json")).expect("manifest");
        (dir, serde_json::from_str(&manifest).expect("manifest JSON"))
    })
}

fn path_of(name: &str) -> PathBuf {
    data().0.join(name)
}

fn field(name: &str, key: &str) -> String {
    data().1[name][key]
        .as_str()
        .unwrap_or_else(|| panic!("{name} has no {key} in the manifest"))
        .to_owned()
}

/// Runs a peer command to completion: (success, stdout + stderr).
async fn run(program: &str, args: &[&str]) -> (bool, String) {
    let out = tokio::process::Command::new(program)
        .args(args)
        // dcmtk honours TCP_NODELAY; without it each small write waits for a delayed ACK.
        .env("TCP_NODELAY", "1")
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output()
        .await
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// `echoscu` from `calling` to the gateway's DICOM source.
async fn echo(addr: SocketAddr, calling: &str) -> (bool, String) {
    let port = addr.port().to_string();
    run(
        "echoscu",
        &["-aet", calling, "-aec", GATEWAY_AE, "127.0.0.1", &port],
    )
    .await
}

/// `storescu` of `files` on one association, proposing each file's own transfer syntax.
async fn store(addr: SocketAddr, calling: &str, files: &[&str]) -> (bool, String) {
    let port = addr.port().to_string();
    let paths: Vec<String> = files
        .iter()
        .map(|f| path_of(f).display().to_string())
        .collect();
    let mut args = vec![
        "-x=",
        "-aet",
        calling,
        "-aec",
        GATEWAY_AE,
        "127.0.0.1",
        &port,
    ];
    args.extend(paths.iter().map(String::as_str));
    run("storescu", &args).await
}

/// A dcmtk `storescp` (bit-preserving) writing into a temp dir; killed on drop.
struct Archive {
    _child: tokio::process::Child,
    port: u16,
    dir: tempfile::TempDir,
}

async fn start_archive() -> Archive {
    // dcmtk is installed with the other peers, before the first test data is made.
    data();
    let dir = tempfile::tempdir().expect("temp dir");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let child = tokio::process::Command::new("storescp")
        .args(["+B", "-aet", ARCHIVE_AE, "-od"])
        .arg(dir.path())
        .arg(port.to_string())
        .kill_on_drop(true)
        .spawn()
        .expect("start storescp");
    let p = port.to_string();
    eventually(DEADLINE, "storescp answering C-ECHO", || async {
        run("echoscu", &["-aec", ARCHIVE_AE, "127.0.0.1", &p])
            .await
            .0
            .then_some(())
    })
    .await;
    Archive {
        _child: child,
        port,
        dir,
    }
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| {
            // Finished files only: the file sink writes a dot-file, then renames it.
            d.flatten()
                .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
                .map(|e| e.path())
                .filter(|p| p.is_file())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// A Part 10 file's data set: the bytes after the file meta group (whose length is the value
/// of (0002,0000), explicit VR little endian, right after the preamble and `DICM`).
fn dataset(path: &Path) -> Vec<u8> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(
        bytes.len() >= 144
            && &bytes[128..132] == b"DICM"
            && bytes[132..138] == *b"\x02\x00\x00\x00UL",
        "{} is not a Part 10 file",
        path.display()
    );
    let group_len = u32::from_le_bytes([bytes[140], bytes[141], bytes[142], bytes[143]]);
    bytes[144 + group_len as usize..].to_vec()
}

/// The one ImagingStudy of an event.
fn imaging_study(event: &Value) -> &Value {
    event["bundle"]["entry"]
        .as_array()
        .and_then(|e| {
            e.iter()
                .map(|x| &x["resource"])
                .find(|r| r["resourceType"] == "ImagingStudy")
        })
        .unwrap_or_else(|| panic!("no ImagingStudy in {event}"))
}

/// The value of the ImagingStudy identifier whose type is `code` (`ACSN`), or of `system`.
fn identifier<'a>(study: &'a Value, code: Option<&str>, system: Option<&str>) -> Option<&'a str> {
    study["identifier"].as_array()?.iter().find_map(|i| {
        let typed = code.is_some_and(|c| i["type"]["coding"][0]["code"] == c);
        let in_system = system.is_some_and(|s| i["system"] == s);
        (typed || in_system).then(|| i["value"].as_str())?
    })
}

/// Checks the event of one study against the manifest.
fn check_study(study: &Value, file: &str, modality: &str, series: u64, instances: u64) {
    assert_eq!(study["status"], "available");
    assert_eq!(study["numberOfSeries"], series, "{study}");
    assert_eq!(study["numberOfInstances"], instances, "{study}");
    assert_eq!(
        identifier(study, Some("ACSN"), None),
        Some(field(file, "accession_number").as_str()),
        "{study}"
    );
    let codes: Vec<&Value> = study["series"]
        .as_array()
        .expect("series")
        .iter()
        .map(|s| &s["modality"]["code"])
        .collect();
    assert!(codes.iter().all(|c| *c == modality), "{study}");
    assert_eq!(study["modality"][0]["code"], modality, "{study}");
}

fn gateway_config(dir: &Path, archive_port: u16, quiet_period: &str) -> String {
    let store = dir.join("dicom");
    let out = dir.join("out");
    [
        config::head(dir),
        format!(
            "\n[[sources]]\nname = \"modalities\"\ntype = \"dicom\"\nadapter = \"dicom\"\n\
             listen = \"127.0.0.1:0\"\nae_title = \"{GATEWAY_AE}\"\n\
             accepted_calling_aes = [\"{MODALITY_AE}\", \"MR_SCANNER_1\"]\n\
             store_path = \"{}\"\nquiet_period = \"{quiet_period}\"\n",
            store.display()
        ),
        config::file_destination("events", &out),
        format!(
            "\n[[destinations]]\nname = \"archive\"\ntype = \"dicom_store\"\n\
             address = \"127.0.0.1:{archive_port}\"\ncalled_ae = \"{ARCHIVE_AE}\"\n\
             calling_ae = \"{GATEWAY_AE}\"\ntimeout = \"10s\"\n\
             retry = {{ initial_backoff = \"100ms\", max_backoff = \"1s\" }}\n"
        ),
        "\n[[routes]]\nname = \"studies\"\nkinds = [\"imaging.*\"]\n\
         destinations = [\"events\", \"archive\"]\n"
            .to_owned(),
    ]
    .concat()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn studies_are_announced_and_forwarded_unchanged() {
    data();
    let archive = start_archive().await;
    let tmp = tempfile::tempdir().expect("temp dir");
    let gw = Gateway::start(
        tmp.path(),
        &gateway_config(tmp.path(), archive.port, "300ms"),
    );
    let addr = gw.source("modalities");

    let (ok, out) = echo(addr, MODALITY_AE).await;
    assert!(ok, "C-ECHO from an accepted AE: {out}");
    let (ok, out) = store(addr, MODALITY_AE, CT_FILES).await;
    assert!(ok, "storescu (CT study): {out}");
    let (ok, out) = store(addr, "MR_SCANNER_1", &[MR_FILE]).await;
    assert!(ok, "storescu (MR study): {out}");

    // (a) the file destination: one event per study, after the quiet period.
    let out_dir = tmp.path().join("out");
    let events = eventually(
        DEADLINE,
        "two study events in the file destination",
        || async {
            let files = files_in(&out_dir);
            (files.len() >= 2).then_some(files)
        },
    )
    .await;
    assert_eq!(events.len(), 2, "{events:?}");
    let mut seen = Vec::new();
    for path in &events {
        let event: Value =
            serde_json::from_slice(&std::fs::read(path).expect("read event")).expect("JSON");
        assert_eq!(event["kind"], "imaging.study-available", "{event}");
        let study = imaging_study(&event);
        let uid = identifier(study, None, Some("urn:dicom:uid")).expect("study UID");
        if uid == format!("urn:oid:{}", field(CT_FILES[0], "study_instance_uid")) {
            check_study(study, CT_FILES[0], "CT", 2, 4);
            seen.push("CT");
        } else {
            assert_eq!(
                uid,
                format!("urn:oid:{}", field(MR_FILE, "study_instance_uid"))
            );
            check_study(study, MR_FILE, "MR", 1, 1);
            seen.push("MR");
        }
    }
    seen.sort_unstable();
    assert_eq!(seen, ["CT", "MR"]);

    // The admin API: both study messages, each delivered to both destinations.
    eventually(DEADLINE, "every study delivery delivered", || async {
        let studies: Vec<Value> = http::messages(gw.http, "source=modalities")
            .await
            .into_iter()
            .filter(|m| m["content_type"] == STUDY_CONTENT_TYPE)
            .collect();
        if studies.len() != 2 {
            return None;
        }
        for m in &studies {
            let sender = m["sender"].as_str().unwrap_or_default();
            assert!([MODALITY_AE, "MR_SCANNER_1"].contains(&sender), "{m}");
            let id = m["id"].as_i64()?;
            let detail = http::get_json(gw.http, &format!("/api/messages/{id}")).await;
            let deliveries = detail["deliveries"].as_array()?.clone();
            let mut names: Vec<&str> = deliveries
                .iter()
                .filter_map(|d| d["destination"].as_str())
                .collect();
            names.sort_unstable();
            if names != ["archive", "events"] {
                return None;
            }
            for d in &deliveries {
                assert_ne!(d["state"], "dead", "{d}");
                if d["state"] != "delivered" {
                    return None;
                }
            }
        }
        Some(())
    })
    .await;
    // (b) the archive (its files are complete: each delivery ends after storescp's C-STORE-RSP):
    // every instance, its data set byte for byte as the modality sent it and the gateway stored it.
    let all: Vec<&str> = CT_FILES.iter().copied().chain([MR_FILE]).collect();
    eventually(DEADLINE, "five instances in the archive", || async {
        (files_in(archive.dir.path()).len() >= all.len()).then_some(())
    })
    .await;
    let received = files_in(archive.dir.path());
    assert_eq!(received.len(), all.len(), "{received:?}");
    for name in &all {
        let uid = field(name, "sop_instance_uid");
        let sent = dataset(&path_of(name));
        let stored = dataset(&tmp.path().join("dicom").join(format!("{uid}.dcm")));
        assert!(
            sent == stored,
            "{name}: the gateway stored a different data set"
        );
        let forwarded = received
            .iter()
            .find(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.contains(&uid))
            })
            .unwrap_or_else(|| panic!("the archive has no file for {name}: {received:?}"));
        assert!(
            sent == dataset(forwarded),
            "{name}: the archive received a different data set"
        );
    }

    assert!(gw.stop().success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_calling_ae_title_is_refused() {
    data();
    let tmp = tempfile::tempdir().expect("temp dir");
    // The archive is never reached here; any port will do.
    let gw = Gateway::start(tmp.path(), &gateway_config(tmp.path(), 9, "300ms"));
    let addr = gw.source("modalities");

    let (ok, out) = echo(addr, "INTRUDER").await;
    assert!(!ok, "C-ECHO from an unknown AE was accepted: {out}");
    assert!(out.contains("Association Rejected"), "{out}");
    let (ok, out) = store(addr, "INTRUDER", &[CT_FILES[0]]).await;
    assert!(!ok, "C-STORE from an unknown AE was accepted: {out}");

    // Nothing stored, nothing journaled; an accepted AE still gets through afterwards.
    let (ok, out) = echo(addr, MODALITY_AE).await;
    assert!(ok, "C-ECHO from an accepted AE: {out}");
    let stored: Vec<PathBuf> = files_in(&tmp.path().join("dicom"))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "dcm"))
        .collect();
    assert!(stored.is_empty(), "{stored:?}");
    assert!(
        http::messages(gw.http, "source=modalities")
            .await
            .is_empty()
    );
    assert!(gw.stop().success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_study_interrupted_by_a_restart_is_still_announced() {
    data();
    let archive = start_archive().await;
    let tmp = tempfile::tempdir().expect("temp dir");
    // First run: a quiet period that cannot end during the test.
    let gw = Gateway::start(tmp.path(), &gateway_config(tmp.path(), archive.port, "1h"));
    let (ok, out) = store(gw.source("modalities"), MODALITY_AE, CT_FILES).await;
    assert!(ok, "storescu (CT study): {out}");
    assert!(gw.stop().success());
    assert!(files_in(&tmp.path().join("out")).is_empty());

    // Second run: the stored instances are found again and the study is announced.
    let gw = Gateway::start(
        tmp.path(),
        &gateway_config(tmp.path(), archive.port, "300ms"),
    );
    let out_dir = tmp.path().join("out");
    let events = eventually(DEADLINE, "the study event after the restart", || async {
        let files = files_in(&out_dir);
        (!files.is_empty()).then_some(files)
    })
    .await;
    assert_eq!(events.len(), 1, "{events:?}");
    let event: Value =
        serde_json::from_slice(&std::fs::read(&events[0]).expect("read event")).expect("JSON");
    check_study(imaging_study(&event), CT_FILES[0], "CT", 2, 4);
    assert!(gw.stop().success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_older_than_keep_instances_are_pruned() {
    data();
    let tmp = tempfile::tempdir().expect("temp dir");
    let store = tmp.path().join("dicom");
    std::fs::create_dir_all(&store).expect("store dir");
    let day = Duration::from_secs(86_400);
    let stored = |name: &str, as_name: &str, age: Duration| -> PathBuf {
        let to = store.join(as_name);
        std::fs::copy(path_of(name), &to).expect("copy an instance");
        let file = std::fs::File::options()
            .write(true)
            .open(&to)
            .expect("open");
        file.set_modified(std::time::SystemTime::now() - age)
            .expect("set its time");
        to
    };
    let old = [
        stored(CT_FILES[0], "old-1.dcm", 3 * day),
        stored(CT_FILES[1], "old-2.dcm", 3 * day),
    ];
    let recent = stored(CT_FILES[2], "recent.dcm", Duration::ZERO);
    // A quiet period that cannot end during the test: nothing is announced or forwarded.
    let toml = gateway_config(tmp.path(), 9, "1h").replace(
        "quiet_period = \"1h\"\n",
        "quiet_period = \"1h\"\nkeep_instances = \"2d\"\n",
    );
    assert!(toml.contains("keep_instances"), "{toml}");
    let gw = Gateway::start(tmp.path(), &toml);
    eventually(
        DEADLINE,
        "the instances older than 2 days deleted",
        || async { old.iter().all(|p| !p.exists()).then_some(()) },
    )
    .await;
    assert!(
        recent.exists(),
        "an instance newer than keep_instances was deleted"
    );
    assert!(gw.stop().success());
}
