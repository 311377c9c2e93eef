//! DICOM over TLS (mutual: the source requires a client certificate from the test CA) with
//! dcmtk's `echoscu`/`storescu +tls`; the sink forwarding over TLS to `storescp +tls`; and the association timeout for a peer that connects and
//! says nothing.

use std::path::PathBuf;
use std::time::Duration;

use junction_connectors::dicom::{DicomStoreSink, DicomStoreSinkConfig, INSTANCE_CONTENT_TYPE};
use junction_connectors::tls::{TlsClientConfig, TlsServerConfig};
use junction_connectors::{Metrics, OutboundDelivery, SendOutcome, Sink};
use prometheus::Registry;
use tokio::io::AsyncReadExt;

use crate::forward::{received_by, start_storescp_with};
use crate::support::{SCP_AE, data, run, same_dataset, start_scp};

fn certs() -> junction_sim::pki::TestPki {
    junction_sim::pki::TestPki::generate("Junction DICOM test CA", "modality.rxx")
        .expect("test PKI")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_echo_and_store_with_dcmtk() {
    let c = certs();
    let tls = TlsServerConfig {
        cert_path: c.server_cert.clone(),
        key_path: c.server_key.clone(),
        client_ca_path: Some(c.ca.clone()),
    };
    let scp = start_scp(|cfg| cfg.tls = Some(tls), None).await;
    let port = scp.port.to_string();
    let p = |p: &PathBuf| p.display().to_string();
    let (key, cert, ca) = (p(&c.client_key), p(&c.client_cert), p(&c.ca));
    let tls_args = ["+tls", &key, &cert, "+cf", &ca, "-aec", SCP_AE];
    let mut args = tls_args.to_vec();
    args.extend(["127.0.0.1", &port]);
    let (ok, out) = run("echoscu", &args).await;
    assert!(ok, "echoscu over TLS failed: {out}");
    let ct = data().path("CT_small.dcm");
    let ct_arg = p(&ct);
    args.push(&ct_arg);
    let (ok, out) = run("storescu", &args).await;
    assert!(ok, "storescu over TLS failed: {out}");
    scp.ingest.wait_for(INSTANCE_CONTENT_TYPE, 1).await;
    let stored = scp
        .store
        .path()
        .join(format!("{}.dcm", data().uid("CT_small.dcm")));
    same_dataset(&ct, &stored).unwrap();
    // Plain DICOM to the TLS port fails; so does TLS without a client certificate.
    let (ok, _) = run("echoscu", &["-aec", SCP_AE, "127.0.0.1", &port]).await;
    assert!(!ok, "plain TCP must not associate with a TLS source");
    let (ok, _) = run(
        "echoscu",
        &["+tla", "-ic", "-aec", SCP_AE, "127.0.0.1", &port],
    )
    .await;
    assert!(!ok, "TLS without a client certificate must be refused");
    assert_eq!(scp.ingest.accepted.lock().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarding_over_tls_to_storescp() {
    let c = certs();
    // A plain source receives the CT instance; the sink forwards it over mutual TLS.
    let origin = start_scp(|_| {}, None).await;
    let port = origin.port.to_string();
    let ct = data().path("CT_small.dcm");
    let (ok, out) = run(
        "storescu",
        &["-aec", SCP_AE, "127.0.0.1", &port, ct.to_str().unwrap()],
    )
    .await;
    assert!(ok, "{out}");
    let p = |p: &PathBuf| p.display().to_string();
    let (key, cert, ca) = (p(&c.server_key), p(&c.server_cert), p(&c.ca));
    let (ckey, ccert) = (p(&c.client_key), p(&c.client_cert));
    let remote = start_storescp_with(
        "TLSSCP",
        &["+tls", &key, &cert, "+cf", &ca],
        &["+tls", &ckey, &ccert, "+cf", &ca],
    )
    .await;
    let config = DicomStoreSinkConfig {
        destination: "pacs-tls".into(),
        addr: format!("127.0.0.1:{}", remote.port),
        called_ae: "TLSSCP".into(),
        calling_ae: "JUNCTION".into(),
        store_path: origin.store.path().to_path_buf(),
        max_pdu: 65_536,
        timeout: Duration::from_secs(30),
        tls: Some(TlsClientConfig {
            ca_path: Some(c.ca.clone()),
            server_name: Some("localhost".into()),
            client_cert_path: Some(c.client_cert.clone()),
            client_key_path: Some(c.client_key.clone()),
        }),
    };
    let sink = DicomStoreSink::new(config, Metrics::new(&Registry::new()).unwrap()).unwrap();
    let uid = data().uid("CT_small.dcm");
    let payload = serde_json::json!({"study_instance_uid": "1.2", "series": [
        {"instances": [{"sop_instance_uid": uid}]}]});
    let delivery = OutboundDelivery {
        id: 7,
        destination: "pacs-tls".into(),
        payload: payload.to_string(),
        message_id: 7,
    };
    assert_eq!(sink.send(&delivery).await, SendOutcome::Delivered);
    same_dataset(&ct, &received_by(remote.dir.path(), &uid)).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_peer_is_dropped_after_the_association_timeout() {
    let scp = start_scp(|c| c.association_timeout = Duration::from_millis(300), None).await;
    let mut sock = tokio::net::TcpStream::connect(("127.0.0.1", scp.port))
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let mut buf = [0u8; 16];
    let n = tokio::time::timeout(Duration::from_secs(10), sock.read(&mut buf))
        .await
        .expect("the source should close a silent connection")
        .unwrap_or(0);
    assert_eq!(n, 0, "nothing is sent to a silent peer");
    assert!(started.elapsed() >= Duration::from_millis(250));
}
