//! MESH over TLS with a client certificate, as the real service requires: the sandbox served
//! by uvicorn with a test CA's server certificate and `CERT_REQUIRED` for clients.

use std::path::PathBuf;

use junction_connectors::SendOutcome;
use junction_connectors::tls::TlsClientConfig;
use junction_national::mesh::{MeshError, MeshSink, MeshSinkConfig};

use super::support::{RECIPIENT, SENDER, SHARED_KEY, Sandbox, ServerTls, WORKFLOW, client_with};

/// A test CA, a server certificate for 127.0.0.1 and a client certificate named as MESH
/// names them (removed on drop).
struct Pki {
    server: ServerTls,
    client_cert: PathBuf,
    client_key: PathBuf,
    _files: junction_sim::pki::TestPki,
}

fn pki() -> Pki {
    let files = junction_sim::pki::TestPki::generate(
        "Junction MESH test CA",
        "SERVER001.X26.api.mesh-client.nhs.uk",
    )
    .expect("test PKI");
    Pki {
        server: ServerTls {
            cert: files.server_cert.clone(),
            key: files.server_key.clone(),
            ca: files.ca.clone(),
        },
        client_cert: files.client_cert.clone(),
        client_key: files.client_key.clone(),
        _files: files,
    }
}

#[tokio::test]
async fn sends_and_receives_over_mutual_tls_and_refuses_without_a_client_certificate() {
    let pki = pki();
    let with_cert = TlsClientConfig {
        ca_path: Some(pki.server.ca.clone()),
        server_name: None,
        client_cert_path: Some(pki.client_cert.clone()),
        client_key_path: Some(pki.client_key.clone()),
    };
    let sb = Sandbox::start_with(Some(&pki.server), with_cert).await;
    assert!(sb.url.starts_with("https://"));

    let sink = MeshSink::new(sb.client(SENDER), MeshSinkConfig::new(RECIPIENT, WORKFLOW));
    let (outcome, id) = sink
        .send_tracked(&super::delivery(3, r#"{"over":"tls"}"#.into()))
        .await;
    assert_eq!(outcome, SendOutcome::Delivered);
    let msg = sb.client(RECIPIENT).download(&id.unwrap()).await.unwrap();
    assert_eq!(msg.body.as_ref(), br#"{"over":"tls"}"#);

    let no_cert = TlsClientConfig {
        ca_path: Some(pki.server.ca.clone()),
        ..TlsClientConfig::default()
    };
    let anonymous = client_with(&sb.url, SENDER, SHARED_KEY, no_cert);
    let err = anonymous.handshake().await.unwrap_err();
    assert!(matches!(err, MeshError::Transport(_)), "{err:?}");
}
