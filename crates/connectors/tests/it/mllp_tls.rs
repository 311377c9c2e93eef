//! TLS and mutual TLS between the MLLP sink and the MLLP source, with certificates made at
//! test time.

use junction_connectors::mllp::{MllpSink, MllpSinkConfig};
use junction_connectors::tls::{TlsClientConfig, TlsServerConfig};
use junction_connectors::{Metrics, OutboundDelivery, SendOutcome, Sink};
use prometheus::Registry;

use crate::support::*;

fn delivery(id: i64) -> OutboundDelivery {
    OutboundDelivery {
        id,
        destination: "pas-tls".into(),
        payload: String::from_utf8(adt("ORIGINAL")).unwrap(),
        message_id: 1,
    }
}

fn sink(addr: std::net::SocketAddr, tls: TlsClientConfig) -> MllpSink {
    let mut config = MllpSinkConfig::new(addr.to_string());
    config.tls = Some(tls);
    MllpSink::new(config, Metrics::new(&Registry::new()).unwrap()).unwrap()
}

#[tokio::test]
async fn tls_source_accepts_a_tls_sink() {
    let certs = certs();
    let s = start_mllp(|c| {
        c.tls = Some(TlsServerConfig {
            cert_path: certs.server_cert.clone(),
            key_path: certs.server_key.clone(),
            client_ca_path: None,
        });
    })
    .await;
    let tls = TlsClientConfig {
        ca_path: Some(certs.ca.clone()),
        server_name: Some("localhost".into()),
        ..Default::default()
    };
    assert_eq!(
        sink(s.addr, tls).send(&delivery(5)).await,
        SendOutcome::Delivered
    );
    let accepted = s.ingest.accepted.lock().unwrap().clone();
    assert_eq!(accepted.len(), 1);
    assert_eq!(accepted[0].control_id.as_deref(), Some("J5"));
    // A plain-TCP sender gets nothing useful from a TLS listener.
    let config = MllpSinkConfig::new(s.addr.to_string());
    let plain = MllpSink::new(config, Metrics::new(&Registry::new()).unwrap()).unwrap();
    assert!(matches!(
        plain.send(&delivery(6)).await,
        SendOutcome::Retry { .. }
    ));
}

#[tokio::test]
async fn mutual_tls_requires_a_client_certificate() {
    let certs = certs();
    let s = start_mllp(|c| {
        c.tls = Some(TlsServerConfig {
            cert_path: certs.server_cert.clone(),
            key_path: certs.server_key.clone(),
            client_ca_path: Some(certs.ca.clone()),
        });
    })
    .await;
    let anonymous = TlsClientConfig {
        ca_path: Some(certs.ca.clone()),
        server_name: Some("localhost".into()),
        ..Default::default()
    };
    let outcome = sink(s.addr, anonymous.clone()).send(&delivery(7)).await;
    assert!(matches!(outcome, SendOutcome::Retry { .. }), "{outcome:?}");
    assert!(s.ingest.accepted_raw().is_empty());
    let with_cert = TlsClientConfig {
        client_cert_path: Some(certs.client_cert.clone()),
        client_key_path: Some(certs.client_key.clone()),
        ..anonymous
    };
    assert_eq!(
        sink(s.addr, with_cert).send(&delivery(8)).await,
        SendOutcome::Delivered
    );
    assert_eq!(s.ingest.accepted_raw().len(), 1);
}

#[tokio::test]
async fn wrong_ca_is_refused_by_the_sink() {
    let (certs, other) = (super::support::certs(), super::support::certs());
    let s = start_mllp(|c| {
        c.tls = Some(TlsServerConfig {
            cert_path: certs.server_cert.clone(),
            key_path: certs.server_key.clone(),
            client_ca_path: None,
        });
    })
    .await;
    let tls = TlsClientConfig {
        ca_path: Some(other.ca.clone()),
        server_name: Some("localhost".into()),
        ..Default::default()
    };
    let outcome = sink(s.addr, tls).send(&delivery(9)).await;
    let SendOutcome::Retry { error, .. } = outcome else {
        panic!("expected a retry, got {outcome:?}");
    };
    assert!(error.contains("TLS"), "{error}");
    assert!(s.ingest.accepted_raw().is_empty());
}
