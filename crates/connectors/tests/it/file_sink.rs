//! The file sink: one file per delivery, atomic, overwritten by a retry.

use junction_connectors::file::{FileSink, FileSinkConfig};
use junction_connectors::{Metrics, OutboundDelivery, SendOutcome, Sink};
use prometheus::Registry;

use crate::support::metric;

#[tokio::test]
async fn writes_one_file_per_delivery_and_a_retry_overwrites_it() {
    let dir = tempfile::tempdir().unwrap();
    let registry = Registry::new();
    let config = FileSinkConfig {
        dir: dir.path().join("out"),
        extension: "json".into(),
    };
    let sink = FileSink::new(config, Metrics::new(&registry).unwrap()).unwrap();
    let mut d = OutboundDelivery {
        id: 12,
        destination: "drop".into(),
        payload: "{\"v\":1}".into(),
        message_id: 1,
    };
    assert_eq!(sink.send(&d).await, SendOutcome::Delivered);
    d.payload = "{\"v\":2}".into();
    assert_eq!(sink.send(&d).await, SendOutcome::Delivered);
    let other = OutboundDelivery {
        id: 13,
        ..d.clone()
    };
    assert_eq!(sink.send(&other).await, SendOutcome::Delivered);
    let mut names: Vec<String> = std::fs::read_dir(dir.path().join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["delivery-12.json", "delivery-13.json"],
        "no temp files left behind"
    );
    assert_eq!(
        std::fs::read_to_string(sink.path_for(12)).unwrap(),
        "{\"v\":2}"
    );
    assert_eq!(
        metric(
            &registry,
            "junction_sink_sends_total",
            &[("destination", "drop"), ("outcome", "delivered")]
        ),
        3.0
    );
}

#[tokio::test]
async fn unwritable_directory_is_a_retry() {
    let dir = tempfile::tempdir().unwrap();
    let config = FileSinkConfig {
        dir: dir.path().join("out"),
        extension: "json".into(),
    };
    let sink = FileSink::new(config, Metrics::new(&Registry::new()).unwrap()).unwrap();
    std::fs::remove_dir(dir.path().join("out")).unwrap();
    let d = OutboundDelivery {
        id: 1,
        destination: "drop".into(),
        payload: "{}".into(),
        message_id: 1,
    };
    assert!(matches!(sink.send(&d).await, SendOutcome::Retry { .. }));
}
