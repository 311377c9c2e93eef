//! MESH over TLS with a client certificate, as the real service requires: the sandbox served
//! by uvicorn with a test CA's server certificate and `CERT_REQUIRED` for clients.

use std::path::PathBuf;

use junction_connectors::SendOutcome;
use junction_connectors::tls::TlsClientConfig;
use junction_national::mesh::{MeshError, MeshSink, MeshSinkConfig};
use rcgen::{BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair};

use super::support::{RECIPIENT, SENDER, SHARED_KEY, Sandbox, ServerTls, WORKFLOW, client_with};

/// A test CA, a server certificate for 127.0.0.1 and a client certificate named as MESH
/// names them, written to a fresh directory (removed on drop).
struct Pki {
    dir: PathBuf,
    server: ServerTls,
    client_cert: PathBuf,
    client_key: PathBuf,
}

impl Drop for Pki {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn pki() -> Pki {
    let dir = std::env::temp_dir().join(format!("junction-mesh-tls-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let write = |name: &str, text: String| {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let ca_key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(DnType::CommonName, "Junction MESH test CA");
    let ca = params.self_signed(&ca_key).unwrap();

    let server_key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let server = params.signed_by(&server_key, &ca, &ca_key).unwrap();

    let client_key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params
        .distinguished_name
        .push(DnType::CommonName, "SERVER001.X26.api.mesh-client.nhs.uk");
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let client = params.signed_by(&client_key, &ca, &ca_key).unwrap();

    Pki {
        server: ServerTls {
            cert: write("server.pem", server.pem()),
            key: write("server.key", server_key.serialize_pem()),
            ca: write("ca.pem", ca.pem()),
        },
        client_cert: write("client.pem", client.pem()),
        client_key: write("client.key", client_key.serialize_pem()),
        dir,
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
