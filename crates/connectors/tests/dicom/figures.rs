//! Throughput figure: 400 small CT instances from four `storescu` processes at once (four
//! associations), all journaled (each fsynced, then its directory); prints instances/s and
//! MB/s for a debug build. The senders run with dcmtk's `TCP_NODELAY=1`: with Nagle on,
//! storescu's small command and last-fragment writes wait for our delayed ACKs (~40 ms per
//! instance), which measures the sender's socket, not the receiver. The large-instance memory
//! figure is printed by `large_instance_is_received_in_bounded_memory`.

use junction_connectors::dicom::INSTANCE_CONTENT_TYPE;

use crate::support::{SCP_AE, files_in, py, run_env, start_scp};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throughput_from_four_storescu_associations() {
    const N: usize = 400;
    const ASSOCIATIONS: usize = 4;
    let dir = tempfile::tempdir().unwrap();
    let (ok, out) = py(&["many", dir.path().to_str().unwrap(), &N.to_string()]).await;
    assert!(ok, "peer.py many: {out}");
    let files = files_in(dir.path());
    assert_eq!(files.len(), N);
    let bytes: u64 = files
        .iter()
        .map(|f| std::fs::metadata(f).unwrap().len())
        .sum();
    let scp = start_scp(|_| {}, None).await;
    let port = scp.port.to_string();
    let started = std::time::Instant::now();
    let mut senders = Vec::new();
    for chunk in files.chunks(N / ASSOCIATIONS) {
        let mut args: Vec<String> = ["-aec", SCP_AE, "127.0.0.1", &port]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        args.extend(chunk.iter().map(|p| p.display().to_string()));
        senders.push(tokio::spawn(async move {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            run_env("storescu", &args, &[("TCP_NODELAY", "1")]).await
        }));
    }
    for s in senders {
        let (ok, out) = s.await.unwrap();
        assert!(ok, "storescu failed: {out}");
    }
    let took = started.elapsed().as_secs_f64();
    assert_eq!(scp.ingest.of_type(INSTANCE_CONTENT_TYPE).len(), N);
    println!(
        "FIGURE throughput: {N} instances ({:.1} MB) over {ASSOCIATIONS} storescu associations in {took:.2} s: {:.0} instances/s, {:.1} MB/s",
        bytes as f64 / 1e6,
        N as f64 / took,
        bytes as f64 / 1e6 / took
    );
}
