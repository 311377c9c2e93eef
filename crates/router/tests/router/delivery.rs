//! The dispatcher against a real store in paused time: delivering everything, retrying with
//! backoff, going dead, and keeping per-patient order without head-of-line blocking.

use std::time::Duration;

use junction_router::{RetryPolicy, SendOutcome, TokioClock, Wakers};
use junction_store::{DeliveryId, DeliveryState};

use crate::support::{Db, Probe, T0, config, delivered_ids, event, ingest, route_all, start};

#[tokio::test(start_paused = true)]
async fn delivers_everything_in_order_per_key() {
    let db = Db::new();
    let wakers = Wakers::new();
    let probe = Probe::new(TokioClock::new(T0));
    let (token, _, handle) = start(config("fhir"), &db, &probe, &wakers);
    let router = route_all("fhir");
    let mut ids = Vec::new();
    for i in 0..20 {
        let key = format!("nhs:{}", i % 5);
        let e = event(&format!("e{i:02}"), "patient.updated", Some(&key));
        ids.push(ingest(&db.store, &wakers, &router, &[e], T0).await);
    }
    // One event without a key: not ordered against anything.
    ids.push(
        ingest(
            &db.store,
            &wakers,
            &router,
            &[event("free", "x.y", None)],
            T0,
        )
        .await,
    );
    probe.until("21 delivered", |s| s.delivered == 21).await;
    token.cancel();
    let report = handle.await.unwrap();
    assert_eq!(report.delivered, 21);
    assert_eq!((report.retried, report.dead, report.unrecorded), (0, 0, 0));
    let sent = probe.seen(delivered_ids);
    assert_eq!(sent.len(), 21, "each exactly once");
    for k in 0..5 {
        let of_key: Vec<&String> = sent
            .iter()
            .filter(|id| id.len() == 3 && id[1..].parse::<usize>().unwrap() % 5 == k)
            .collect();
        let mut sorted = of_key.clone();
        sorted.sort();
        assert_eq!(of_key, sorted, "key {k} in order");
    }
    for id in ids {
        let d = db.deliveries(id).await;
        assert_eq!(d[0].state, DeliveryState::Delivered);
        assert_eq!(d[0].attempts, 1);
    }
}

#[tokio::test(start_paused = true)]
async fn retries_with_backoff_then_succeeds() {
    let db = Db::new();
    let wakers = Wakers::new();
    let probe = Probe::new(TokioClock::new(T0));
    probe.set_rule(|_, sent| match sent.len() {
        0 | 1 => SendOutcome::Retry {
            error: "503 Service Unavailable".into(),
            retry_after: None,
        },
        _ => SendOutcome::Delivered,
    });
    let cfg = config("fhir");
    let policy = cfg.retry;
    let (token, _, handle) = start(cfg, &db, &probe, &wakers);
    let id = ingest(
        &db.store,
        &wakers,
        &route_all("fhir"),
        &[event("e1", "patient.admitted", Some("nhs:1"))],
        T0,
    )
    .await;
    probe.until("delivered", |s| s.delivered == 1).await;
    token.cancel();
    let report = handle.await.unwrap();
    assert_eq!((report.retried, report.delivered), (2, 1));
    let sends = probe.seen(|s| s.sends.clone());
    assert_eq!(
        sends.iter().map(|s| s.attempts).collect::<Vec<_>>(),
        [0, 1, 2]
    );
    let delivery = DeliveryId(sends[0].delivery);
    assert!(
        sends.iter().all(|s| s.delivery == delivery.0),
        "same id on every attempt"
    );
    for n in 1..=2 {
        let gap = Duration::from_millis((sends[n].at - sends[n - 1].at) as u64);
        let wait = policy.backoff(delivery, n as u32);
        assert!(gap >= wait, "attempt {n}: waited {gap:?}, backoff {wait:?}");
        // Virtual time moves only on timers: the retry goes out when it falls due.
        assert!(
            gap <= wait + Duration::from_millis(50),
            "attempt {n}: {gap:?} vs {wait:?}"
        );
    }
    let d = &db.deliveries(id).await[0];
    assert_eq!((d.state, d.attempts), (DeliveryState::Delivered, 3));
    let history: Vec<&str> = d.history.iter().map(|a| a.outcome.as_str()).collect();
    assert_eq!(history, ["retry", "retry", "delivered"]);
    assert_eq!(
        d.history[0].error.as_deref(),
        Some("503 Service Unavailable")
    );
}

#[tokio::test(start_paused = true)]
async fn goes_dead_after_max_attempts_with_last_error() {
    let db = Db::new();
    let wakers = Wakers::new();
    let probe = Probe::new(TokioClock::new(T0));
    probe.set_rule(|_, sent| SendOutcome::Retry {
        error: format!("connection refused #{}", sent.len() + 1),
        retry_after: None,
    });
    let mut cfg = config("fhir");
    cfg.retry = RetryPolicy {
        max_attempts: 3,
        initial_backoff: Duration::from_millis(500),
        max_backoff: Duration::from_secs(5),
    };
    let (token, _, handle) = start(cfg, &db, &probe, &wakers);
    let id = ingest(
        &db.store,
        &wakers,
        &route_all("fhir"),
        &[event("e1", "patient.admitted", Some("nhs:1"))],
        T0,
    )
    .await;
    probe.until("dead", |s| s.dead == 1).await;
    token.cancel();
    let report = handle.await.unwrap();
    assert_eq!((report.retried, report.dead, report.delivered), (2, 1, 0));
    assert_eq!(probe.seen(|s| s.sends.len()), 3);
    let d = &db.deliveries(id).await[0];
    assert_eq!((d.state, d.attempts), (DeliveryState::Dead, 3));
    assert_eq!(
        d.last_error.as_deref(),
        Some("gave up after 3 attempts: connection refused #3")
    );
}

#[tokio::test(start_paused = true)]
async fn permanent_failure_is_dead_at_once_and_unblocks_its_key() {
    let db = Db::new();
    let wakers = Wakers::new();
    let probe = Probe::new(TokioClock::new(T0));
    probe.set_rule(|d, _| match d.event_id.as_str() {
        "e1" => SendOutcome::Permanent {
            error: "422 Unprocessable Entity: invalid NHS number".into(),
        },
        _ => SendOutcome::Delivered,
    });
    let (token, _, handle) = start(config("fhir"), &db, &probe, &wakers);
    let events = [
        event("e1", "patient.admitted", Some("nhs:1")),
        event("e2", "patient.updated", Some("nhs:1")),
    ];
    let id = ingest(&db.store, &wakers, &route_all("fhir"), &events, T0).await;
    probe
        .until("both done", |s| s.dead == 1 && s.delivered == 1)
        .await;
    token.cancel();
    handle.await.unwrap();
    assert_eq!(
        probe.seen(|s| s.sends.len()),
        2,
        "no retry of the permanent failure"
    );
    let d = db.deliveries(id).await;
    assert_eq!((d[0].state, d[0].attempts), (DeliveryState::Dead, 1));
    assert_eq!(
        d[0].last_error.as_deref(),
        Some("422 Unprocessable Entity: invalid NHS number")
    );
    assert_eq!(d[1].state, DeliveryState::Delivered);
}

#[tokio::test(start_paused = true)]
async fn a_retrying_key_holds_back_only_itself() {
    let db = Db::new();
    let wakers = Wakers::new();
    let probe = Probe::new(TokioClock::new(T0));
    // a1 keeps failing until every event of patient B has been delivered.
    probe.set_rule(|d, sent| {
        let b_done = sent
            .iter()
            .any(|s| s.event_id == "b3" && s.outcome == SendOutcome::Delivered);
        if d.event_id == "a1" && !b_done {
            SendOutcome::Retry {
                error: "503".into(),
                retry_after: None,
            }
        } else {
            SendOutcome::Delivered
        }
    });
    let (token, _, handle) = start(config("fhir"), &db, &probe, &wakers);
    let router = route_all("fhir");
    for (a, b) in [("a1", "b1"), ("a2", "b2"), ("a3", "b3")] {
        let events = [
            event(a, "patient.updated", Some("nhs:A")),
            event(b, "patient.updated", Some("nhs:B")),
        ];
        ingest(&db.store, &wakers, &router, &events, T0).await;
    }
    probe.until("all six", |s| s.delivered == 6).await;
    token.cancel();
    handle.await.unwrap();
    let sends = probe.seen(|s| s.sends.clone());
    let pos = |id: &str, ok: bool| {
        sends
            .iter()
            .position(|s| s.event_id == id && (s.outcome == SendOutcome::Delivered) == ok)
            .unwrap_or_else(|| panic!("{id} {ok}"))
    };
    assert!(
        pos("a1", false) < pos("b3", true),
        "a1 was retrying while B flowed"
    );
    assert!(pos("b3", true) < pos("a1", true), "B did not wait for A");
    let first_a2 = sends.iter().position(|s| s.event_id == "a2").unwrap();
    assert!(
        pos("a1", true) < first_a2,
        "a2 never sent before a1 was delivered"
    );
    assert!(pos("a2", true) < pos("a3", true));
    assert_eq!(probe.seen(delivered_ids).len(), 6, "each delivered once");
}

#[tokio::test(start_paused = true)]
async fn a_hung_send_times_out_and_counts_as_a_failure() {
    let db = Db::new();
    let wakers = Wakers::new();
    let probe = Probe::gated(TokioClock::new(T0)); // never opened: every send hangs
    let mut cfg = config("mesh");
    cfg.send_timeout = Duration::from_secs(5);
    cfg.lease = Duration::from_secs(10);
    cfg.retry.max_attempts = 2;
    let (token, _, handle) = start(cfg, &db, &probe, &wakers);
    let events = [event("e1", "patient.admitted", Some("nhs:1"))];
    let id = ingest(&db.store, &wakers, &route_all("mesh"), &events, T0).await;
    probe.until("dead", |s| s.dead == 1).await;
    token.cancel();
    handle.await.unwrap();
    assert_eq!(probe.seen(|s| s.started), 2);
    let d = &db.deliveries(id).await[0];
    assert_eq!(d.state, DeliveryState::Dead);
    assert_eq!(
        d.last_error.as_deref(),
        Some("gave up after 2 attempts: send timed out after 5000 ms")
    );
}
