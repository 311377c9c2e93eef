//! The MLLP source: ACK only after the journal answered, NAKs for bad input, ordering,
//! limits (frame size, idle time, connections), batches and shutdown.

use std::time::Duration;

use tokio::io::AsyncWriteExt;

use crate::support::*;

#[tokio::test]
async fn acks_aa_only_after_the_journal_committed() {
    let s = start_mllp(|_| {}).await;
    s.ingest.hold();
    let mut c = connect(s.addr).await;
    send(&mut c, &adt("MSG001")).await;
    s.ingest.entered.lock().await.recv().await.unwrap();
    // The journal has the message but has not committed: nothing may be on the wire yet.
    let mut probe = [0u8; 1];
    assert!(
        c.get_ref().try_read(&mut probe).is_err(),
        "ACK sent before the commit"
    );
    s.ingest.release(1);
    let ack = recv(&mut c).await.unwrap();
    assert_eq!(field(&ack, "MSA-1"), "AA");
    assert_eq!(field(&ack, "MSA-2"), "MSG001");
    assert_eq!(field(&ack, "MSH-10"), "J1");
    assert_eq!(field(&ack, "MSH-5"), "PAS");
    assert!(field(&ack, "MSH-7").ends_with("+0000"));
    let accepted = s.ingest.accepted.lock().unwrap().clone();
    assert_eq!(accepted.len(), 1);
    let m = &accepted[0];
    assert_eq!(m.raw.as_ref(), adt("MSG001").as_slice());
    assert_eq!(m.source, "pas");
    assert_eq!(m.message_type.as_deref(), Some("ADT^A01"));
    assert_eq!(m.control_id.as_deref(), Some("MSG001"));
    assert_eq!(m.sender.as_deref(), Some("PAS^RXX"));
    assert_eq!(m.content_type, "x-application/hl7-v2+er7");
    assert_eq!(m.peer, Some(c.get_ref().local_addr().unwrap().to_string()));
}

#[tokio::test]
async fn malformed_messages_are_rejected_with_ae_and_err() {
    let s = start_mllp(|_| {}).await;
    let mut c = connect(s.addr).await;
    let cases: [(&[u8], &str, &str); 4] = [
        (
            b"garbage that is not HL7",
            "100",
            "does not start with an MSH",
        ),
        (
            b"PID|1||9990000018^^^NHS^NH\r",
            "100",
            "does not start with an MSH",
        ),
        (
            b"MSH|^^\\&|PAS|RXX|J|RXX|2026||ADT^A01|C1|P|2.4\r",
            "102",
            "delimiters",
        ),
        (
            b"MSH|^~\\&|PAS|RXX|J|RXX|2026|||C2|P|2.4\rPID|1\r",
            "101",
            "MSH-9",
        ),
    ];
    for (raw, code, why) in cases {
        send(&mut c, raw).await;
        let ack = recv(&mut c).await.unwrap();
        let text = String::from_utf8_lossy(&ack).into_owned();
        assert_eq!(field(&ack, "MSA-1"), "AE", "{text}");
        assert_eq!(field(&ack, "ERR-1.4.1"), code, "{text}");
        assert!(field(&ack, "MSA-3").contains(why), "{text}");
        assert!(!text.contains("9990000018"), "{text}");
    }
    let rejected = s.ingest.rejected_raw();
    assert_eq!(rejected.len(), 4);
    for ((raw, why), (sent, _, _)) in rejected.iter().zip(cases) {
        assert_eq!(raw.as_slice(), sent);
        assert!(!why.is_empty());
    }
    assert!(s.ingest.accepted_raw().is_empty());
    // The salvaged MSH lets the NAK echo the control id.
    assert_eq!(
        s.ingest.rejected.lock().unwrap()[3].0.control_id.as_deref(),
        Some("C2")
    );
    assert_eq!(
        metric(
            &s.registry,
            "junction_messages_rejected_total",
            &[("reason", "parse")]
        ),
        3.0
    );
    assert_eq!(
        metric(
            &s.registry,
            "junction_messages_rejected_total",
            &[("reason", "validate")]
        ),
        1.0
    );
}

#[tokio::test]
async fn unavailable_journal_gets_ar() {
    let s = start_mllp(|_| {}).await;
    s.ingest.set_unavailable(true);
    let mut c = connect(s.addr).await;
    send(&mut c, &adt("MSG002")).await;
    let ack = recv(&mut c).await.unwrap();
    assert_eq!(field(&ack, "MSA-1"), "AR");
    assert_eq!(field(&ack, "MSA-2"), "MSG002");
    assert!(field(&ack, "MSA-3").contains("store is read-only"));
    // Garbage that cannot even be journaled as rejected is AR too (not stored, so not final).
    send(&mut c, b"garbage").await;
    assert_eq!(field(&recv(&mut c).await.unwrap(), "MSA-1"), "AR");
    s.ingest.set_unavailable(false);
    send(&mut c, &adt("MSG002")).await;
    assert_eq!(field(&recv(&mut c).await.unwrap(), "MSA-1"), "AA");
    assert_eq!(
        metric(
            &s.registry,
            "junction_messages_rejected_total",
            &[("reason", "unavailable")]
        ),
        2.0
    );
}

#[tokio::test]
async fn duplicates_are_acked_aa_and_counted() {
    let s = start_mllp(|_| {}).await;
    let mut c = connect(s.addr).await;
    for _ in 0..2 {
        send(&mut c, &adt("SAME")).await;
        assert_eq!(field(&recv(&mut c).await.unwrap(), "MSA-1"), "AA");
    }
    assert_eq!(s.ingest.accepted_raw().len(), 1);
    assert_eq!(
        metric(
            &s.registry,
            "junction_duplicates_total",
            &[("source", "pas")]
        ),
        1.0
    );
}

#[tokio::test]
async fn pipelined_frames_are_acked_in_order() {
    let s = start_mllp(|_| {}).await;
    let mut c = connect(s.addr).await;
    let mut wire = Vec::new();
    for i in 0..5 {
        wire.push(0x0b);
        wire.extend_from_slice(&adt(&format!("P{i}")));
        wire.extend_from_slice(b"\x1c\x0d");
    }
    c.get_mut().write_all(&wire).await.unwrap();
    for i in 0..5 {
        let ack = recv(&mut c).await.unwrap();
        assert_eq!(field(&ack, "MSA-2"), format!("P{i}"));
        assert_eq!(field(&ack, "MSA-1"), "AA");
    }
    let ids: Vec<_> = s
        .ingest
        .accepted
        .lock()
        .unwrap()
        .iter()
        .map(|m| m.control_id.clone().unwrap())
        .collect();
    assert_eq!(ids, ["P0", "P1", "P2", "P3", "P4"]);
}

#[tokio::test]
async fn oversize_frame_is_naked_then_closed() {
    let s = start_mllp(|c| c.max_frame = 256).await;
    let mut c = connect(s.addr).await;
    let mut big = adt("BIG1");
    big.extend(std::iter::repeat_n(b'X', 2000));
    send(&mut c, &big).await;
    let nak = recv(&mut c).await.unwrap();
    assert_eq!(field(&nak, "MSA-1"), "AE");
    assert_eq!(field(&nak, "MSA-2"), "BIG1");
    assert_eq!(field(&nak, "MSA-3"), "frame exceeds 256 bytes");
    assert!(
        recv(&mut c).await.is_none(),
        "connection should close after the NAK"
    );
    assert!(s.ingest.accepted_raw().is_empty());
    assert_eq!(
        metric(
            &s.registry,
            "junction_messages_rejected_total",
            &[("reason", "oversize")]
        ),
        1.0
    );
}

#[tokio::test]
async fn truncated_frame_at_eof_is_dropped_quietly() {
    let s = start_mllp(|_| {}).await;
    let mut c = connect(s.addr).await;
    c.get_mut()
        .write_all(b"\x0bMSH|^~\\&|PAS|RXX")
        .await
        .unwrap();
    c.get_mut().shutdown().await.unwrap();
    assert!(recv(&mut c).await.is_none());
    assert!(s.ingest.accepted_raw().is_empty());
    assert!(s.ingest.rejected_raw().is_empty());
}

#[tokio::test(start_paused = true)]
async fn idle_connection_is_closed_after_the_timeout() {
    let s = start_mllp(|c| c.idle_timeout = Duration::from_secs(30)).await;
    let started = tokio::time::Instant::now();
    let mut c = connect(s.addr).await;
    assert!(recv(&mut c).await.is_none());
    assert!(started.elapsed() >= Duration::from_secs(30));
}

#[tokio::test(start_paused = true)]
async fn silent_half_frame_is_closed_while_others_are_served() {
    let s = start_mllp(|c| c.idle_timeout = Duration::from_secs(30)).await;
    let started = tokio::time::Instant::now();
    let mut stuck = connect(s.addr).await;
    stuck
        .get_mut()
        .write_all(b"\x0bMSH|^~\\&|PAS|RXX|J|RXX|2026||ADT^A01|HALF")
        .await
        .unwrap();
    let mut other = connect(s.addr).await;
    for i in 0..3 {
        send(&mut other, &adt(&format!("OK{i}"))).await;
        assert_eq!(field(&recv(&mut other).await.unwrap(), "MSA-1"), "AA");
    }
    assert!(recv(&mut stuck).await.is_none());
    assert!(started.elapsed() >= Duration::from_secs(30));
    assert_eq!(s.ingest.accepted_raw().len(), 3);
    assert!(s.ingest.rejected_raw().is_empty());
}

#[tokio::test]
async fn connections_over_the_cap_are_closed() {
    let s = start_mllp(|c| c.max_connections = 1).await;
    let mut first = connect(s.addr).await;
    send(&mut first, &adt("C1")).await;
    assert_eq!(field(&recv(&mut first).await.unwrap(), "MSA-1"), "AA");
    let mut second = connect(s.addr).await;
    assert!(
        recv(&mut second).await.is_none(),
        "over the cap: closed without an answer"
    );
    send(&mut first, &adt("C2")).await;
    assert_eq!(field(&recv(&mut first).await.unwrap(), "MSA-1"), "AA");
    assert_eq!(
        metric(
            &s.registry,
            "junction_messages_rejected_total",
            &[("reason", "connection_limit")]
        ),
        1.0
    );
    assert_eq!(
        metric(
            &s.registry,
            "junction_open_connections",
            &[("source", "pas")]
        ),
        1.0
    );
}

#[tokio::test]
async fn batch_gets_one_frame_of_acks() {
    let s = start_mllp(|_| {}).await;
    let mut c = connect(s.addr).await;
    let mut batch = b"FHS|^~\\&|PAS|RXX\rBHS|^~\\&|PAS|RXX\r".to_vec();
    batch.extend_from_slice(&adt("B1"));
    batch.extend_from_slice(b"MSH|^~\\&|PAS|RXX|J|RXX|2026|||B2|P|2.4\rPID|1\r");
    batch.extend_from_slice(&adt("B3"));
    batch.extend_from_slice(b"BTS|3\rFTS|1\r");
    send(&mut c, &batch).await;
    let answer = String::from_utf8(recv(&mut c).await.unwrap()).unwrap();
    let msas: Vec<&str> = answer
        .split('\r')
        .filter(|l| l.starts_with("MSA|"))
        .collect();
    assert_eq!(msas.len(), 3, "{answer}");
    assert!(msas[0].starts_with("MSA|AA|B1"), "{answer}");
    assert!(msas[1].starts_with("MSA|AE|B2"), "{answer}");
    assert!(msas[2].starts_with("MSA|AA|B3"), "{answer}");
    assert!(
        answer.starts_with("FHS|") && answer.contains("\rBTS|3\rFTS|1\r"),
        "{answer}"
    );
    assert_eq!(s.ingest.accepted_raw(), vec![adt("B1"), adt("B3")]);
    assert_eq!(s.ingest.rejected_raw().len(), 1);
}

#[tokio::test]
async fn shutdown_stops_the_listener_and_closes_connections() {
    let s = start_mllp(|_| {}).await;
    let mut c = connect(s.addr).await;
    send(&mut c, &adt("S1")).await;
    assert_eq!(field(&recv(&mut c).await.unwrap(), "MSA-1"), "AA");
    s.shutdown.cancel();
    s.task.await.unwrap();
    assert!(recv(&mut c).await.is_none());
    assert!(tokio::net::TcpStream::connect(s.addr).await.is_err());
}
