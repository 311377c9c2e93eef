//! Every source and sink moves the shared metric set in one registry, and no label carries
//! anything from a message body.

use std::time::Duration;

use junction_connectors::fhir_http::{FhirHttpConfig, FhirHttpSink};
use junction_connectors::file::{FileSink, FileSinkConfig};
use junction_connectors::mllp::{MllpSink, MllpSinkConfig};
use junction_connectors::{Metrics, OutboundDelivery, SendOutcome, Sink};
use prometheus::Registry;

use crate::http_source::{post, start_http};
use crate::support::*;

#[tokio::test]
async fn every_source_and_sink_moves_its_metrics() {
    let registry = Registry::new();
    let metrics = Metrics::new(&registry).unwrap();

    // Sources: MLLP and HTTP.
    let mllp = start_mllp_with(|_| {}, TestIngest::new(), metrics.clone(), registry.clone()).await;
    let mut c = connect(mllp.addr).await;
    send(&mut c, &adt("M1")).await;
    recv(&mut c).await.unwrap();
    send(&mut c, b"garbage").await;
    recv(&mut c).await.unwrap();
    let http = start_http(TestIngest::new(), metrics.clone(), registry.clone()).await;
    assert_eq!(
        post(http.addr, "/ingest/epma", "text/plain", adt("H1"))
            .await
            .0,
        202
    );
    assert_eq!(
        post(http.addr, "/ingest/epma", "text/plain", adt("H1"))
            .await
            .0,
        202
    );
    assert_eq!(
        post(http.addr, "/ingest/epma", "text/plain", "junk")
            .await
            .0,
        400
    );

    for source in ["pas", "epma"] {
        let s = [("source", source)];
        assert!(
            metric(&registry, "junction_messages_received_total", &s) > 0.0,
            "{source}"
        );
        assert!(
            metric(
                &registry,
                "junction_messages_accepted_total",
                &[("source", source), ("type", "ADT^A01")]
            ) > 0.0,
            "{source}"
        );
        assert!(
            metric(
                &registry,
                "junction_messages_rejected_total",
                &[("source", source), ("reason", "parse")]
            ) > 0.0,
            "{source}"
        );
        assert!(
            metric(&registry, "junction_ack_latency_seconds", &s) > 0.0,
            "{source}"
        );
    }
    assert_eq!(
        metric(
            &registry,
            "junction_duplicates_total",
            &[("source", "epma")]
        ),
        1.0
    );
    assert_eq!(
        metric(&registry, "junction_open_connections", &[("source", "pas")]),
        1.0
    );

    // Sinks: MLLP (into the MLLP source), FHIR (nobody listening), file.
    let mllp_sink =
        MllpSink::new(MllpSinkConfig::new(mllp.addr.to_string()), metrics.clone()).unwrap();
    let hl7 = String::from_utf8(adt("X")).unwrap();
    let d = |destination: &str, payload: &str| OutboundDelivery {
        id: 1,
        destination: destination.into(),
        payload: payload.into(),
        message_id: 1,
    };
    assert_eq!(
        mllp_sink.send(&d("ris", &hl7)).await,
        SendOutcome::Delivered
    );
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mut fhir = FhirHttpConfig::new(format!("http://{}", closed.local_addr().unwrap()));
    drop(closed);
    fhir.timeout = Duration::from_secs(10);
    let fhir_sink = FhirHttpSink::new(fhir, metrics.clone()).unwrap();
    let event = r#"{"bundle":{"resourceType":"Bundle","type":"collection"}}"#;
    assert!(matches!(
        fhir_sink.send(&d("fhir", event)).await,
        SendOutcome::Retry { .. }
    ));
    let dir = tempfile::tempdir().unwrap();
    let file_sink = FileSink::new(
        FileSinkConfig {
            dir: dir.path().to_path_buf(),
            extension: "json".into(),
        },
        metrics.clone(),
    )
    .unwrap();
    assert_eq!(
        file_sink.send(&d("drop", event)).await,
        SendOutcome::Delivered
    );

    for (dest, outcome) in [
        ("ris", "delivered"),
        ("fhir", "retry"),
        ("drop", "delivered"),
    ] {
        assert_eq!(
            metric(
                &registry,
                "junction_sink_sends_total",
                &[("destination", dest), ("outcome", outcome)]
            ),
            1.0,
            "{dest}"
        );
        assert_eq!(
            metric(
                &registry,
                "junction_sink_latency_seconds",
                &[("destination", dest)]
            ),
            1.0,
            "{dest}"
        );
    }

    // No label value anywhere holds patient data from the messages above.
    let text = prometheus::TextEncoder::new()
        .encode_to_string(&registry.gather())
        .unwrap();
    for secret in ["9990000018", "SMITH", "JOHN", "M1", "H1"] {
        assert!(!text.contains(secret), "{secret} leaked into metrics");
    }
}
