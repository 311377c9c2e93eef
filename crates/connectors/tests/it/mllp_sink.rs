//! The MLLP sink against a scripted MLLP receiver: AA/AE/AR, silence, stable MSH-10, one
//! connection reused, reconnect after the receiver closes.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use junction_connectors::mllp::{MllpSink, MllpSinkConfig};
use junction_connectors::{Metrics, OutboundDelivery, SendOutcome, Sink};
use junction_hl7v2::codec::MllpCodec;
use junction_hl7v2::{AckError, AckParams, Message, Outcome, build_ack};
use prometheus::Registry;
use tokio::net::TcpListener;
use tokio_util::codec::Framed;

use crate::support::*;

#[derive(Debug, Clone, Copy)]
enum Reply {
    Ack(Outcome),
    Silence,
    Close,
}

#[derive(Default)]
struct Receiver {
    script: Mutex<VecDeque<Reply>>,
    frames: Mutex<Vec<Vec<u8>>>,
    connections: Mutex<usize>,
}

async fn receiver(script: &[Reply]) -> (SocketAddr, Arc<Receiver>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let rx = Arc::new(Receiver {
        script: Mutex::new(script.iter().copied().collect()),
        ..Default::default()
    });
    let state = Arc::clone(&rx);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            *state.connections.lock().unwrap() += 1;
            let state = Arc::clone(&state);
            tokio::spawn(async move {
                let mut framed = Framed::new(stream, MllpCodec::default());
                while let Some(Ok(frame)) = framed.next().await {
                    state.frames.lock().unwrap().push(frame.to_vec());
                    let reply = state
                        .script
                        .lock()
                        .unwrap()
                        .pop_front()
                        .unwrap_or(Reply::Ack(Outcome::Accept));
                    let outcome = match reply {
                        Reply::Ack(o) => o,
                        Reply::Silence => continue,
                        Reply::Close => return,
                    };
                    let msg = Message::parse(&frame).unwrap();
                    let error = AckError {
                        code: 207,
                        text: "receiver says no".into(),
                        location: None,
                    };
                    let error = (outcome != Outcome::Accept).then_some(&error);
                    let params = AckParams {
                        control_id: "R1",
                        timestamp: "20260101120000",
                    };
                    let ack = build_ack(&msg, outcome, params, error).to_bytes();
                    if framed.send(ack).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (addr, rx)
}

fn sink(addr: SocketAddr, registry: &Registry) -> MllpSink {
    let mut config = MllpSinkConfig::new(addr.to_string());
    config.ack_timeout = Duration::from_secs(10);
    MllpSink::new(config, Metrics::new(registry).unwrap()).unwrap()
}

fn delivery(id: i64, payload: &str) -> OutboundDelivery {
    OutboundDelivery {
        id,
        destination: "ris".into(),
        payload: payload.into(),
        message_id: 9,
    }
}

fn hl7() -> String {
    String::from_utf8(adt("UPSTREAM1")).unwrap()
}

#[tokio::test]
async fn ack_codes_map_to_outcomes_on_one_connection() {
    let (addr, rx) = receiver(&[
        Reply::Ack(Outcome::Accept),
        Reply::Ack(Outcome::Error),
        Reply::Ack(Outcome::Reject),
    ])
    .await;
    let registry = Registry::new();
    let sink = sink(addr, &registry);
    assert_eq!(
        sink.send(&delivery(1, &hl7())).await,
        SendOutcome::Delivered
    );
    let ae = sink.send(&delivery(2, &hl7())).await;
    assert_eq!(
        ae,
        SendOutcome::permanent("receiver answered AE: receiver says no")
    );
    let ar = sink.send(&delivery(3, &hl7())).await;
    assert!(
        matches!(&ar, SendOutcome::Retry { error, .. } if error.contains("AR")),
        "{ar:?}"
    );
    assert_eq!(*rx.connections.lock().unwrap(), 1, "one connection reused");
    let ids: Vec<String> = rx
        .frames
        .lock()
        .unwrap()
        .iter()
        .map(|f| field(f, "MSH-10"))
        .collect();
    assert_eq!(ids, ["J1", "J2", "J3"]);
    assert_eq!(
        metric(
            &registry,
            "junction_sink_sends_total",
            &[("destination", "ris"), ("outcome", "delivered")]
        ),
        1.0
    );
    assert_eq!(
        metric(
            &registry,
            "junction_sink_sends_total",
            &[("outcome", "permanent")]
        ),
        1.0
    );
    assert_eq!(
        metric(
            &registry,
            "junction_sink_sends_total",
            &[("outcome", "retry")]
        ),
        1.0
    );
    assert_eq!(
        metric(
            &registry,
            "junction_sink_latency_seconds",
            &[("destination", "ris")]
        ),
        3.0
    );
}

#[tokio::test(start_paused = true)]
async fn silence_is_a_retry_and_the_resend_keeps_msh10() {
    let (addr, rx) = receiver(&[Reply::Silence]).await;
    let registry = Registry::new();
    let sink = sink(addr, &registry);
    let d = delivery(
        41,
        &format!("{{\"hl7v2\":{}}}", serde_json::to_string(&hl7()).unwrap()),
    );
    let first = sink.send(&d).await;
    assert!(
        matches!(&first, SendOutcome::Retry { error, .. } if error.contains("no ACK")),
        "{first:?}"
    );
    assert_eq!(sink.send(&d).await, SendOutcome::Delivered);
    let frames = rx.frames.lock().unwrap().clone();
    assert_eq!(frames.len(), 2);
    assert_eq!(frames[0], frames[1], "a retry resends the same bytes");
    assert_eq!(field(&frames[0], "MSH-10"), "J41");
    assert_eq!(
        *rx.connections.lock().unwrap(),
        2,
        "the silent connection was dropped"
    );
}

#[tokio::test]
async fn receiver_closing_is_a_retry_then_reconnects() {
    let (addr, rx) = receiver(&[Reply::Close]).await;
    let registry = Registry::new();
    let sink = sink(addr, &registry);
    assert!(matches!(
        sink.send(&delivery(1, &hl7())).await,
        SendOutcome::Retry { .. }
    ));
    assert_eq!(
        sink.send(&delivery(1, &hl7())).await,
        SendOutcome::Delivered
    );
    assert_eq!(*rx.connections.lock().unwrap(), 2);
}

#[tokio::test]
async fn nobody_listening_is_a_retry_and_bad_payload_is_permanent() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let registry = Registry::new();
    let sink = sink(addr, &registry);
    assert!(matches!(
        sink.send(&delivery(1, &hl7())).await,
        SendOutcome::Retry { .. }
    ));
    let bad = sink.send(&delivery(2, "{\"bundle\":{}}")).await;
    assert!(matches!(bad, SendOutcome::Permanent { .. }), "{bad:?}");
}
