//! The dispatcher when things go wrong: the circuit breaker over a down destination, graceful
//! shutdown with sends in flight, a crash and restart on the same store, and prompt wake-ups.

use std::time::Duration;

use junction_router::{BreakerPolicy, BreakerState, Clock, SendOutcome, TokioClock, Wakers};
use junction_store::{DeliveryState, Store};

use crate::support::{
    Db, Probe, T0, config, delivered_ids, event, ingest, patients, route_all, start,
};

#[tokio::test(start_paused = true)]
async fn breaker_opens_half_opens_and_closes() {
    let db = Db::new();
    let wakers = Wakers::new();
    let probe = Probe::new(TokioClock::new(T0));
    // Down for the first four sends: three open the breaker, the fourth is a failed probe.
    probe.set_rule(|_, sent| {
        if sent.len() < 4 {
            SendOutcome::Retry {
                error: "connection refused".into(),
                retry_after: None,
            }
        } else {
            SendOutcome::Delivered
        }
    });
    let mut cfg = config("pds");
    cfg.concurrency = 1;
    cfg.breaker = BreakerPolicy {
        failure_threshold: 3,
        cool_down: Duration::from_secs(60),
    };
    let cool_down_ms = 60_000;
    let (token, state, handle) = start(cfg, &db, &probe, &wakers);
    let router = route_all("pds");
    let events = patients("e", 5);
    ingest(&db.store, &wakers, &router, &events, T0).await;
    probe.until("all delivered", |s| s.delivered == 5).await;
    assert_eq!(*state.borrow(), BreakerState::Closed);
    token.cancel();
    handle.await.unwrap();

    let (breaker, sends) = probe.seen(|s| (s.breaker.clone(), s.sends.clone()));
    let states: Vec<BreakerState> = breaker.iter().map(|b| b.0).collect();
    use BreakerState::{Closed, HalfOpen, Open};
    assert_eq!(states, [Closed, Open, HalfOpen, Open, HalfOpen, Closed]);
    let at = |i: usize| breaker[i].1;
    assert!(
        at(2) - at(1) >= cool_down_ms,
        "stayed open for the cool-down"
    );
    assert!(at(4) - at(3) >= cool_down_ms);
    let sends_between =
        |from: i64, to: i64| sends.iter().filter(|s| s.at > from && s.at < to).count();
    assert_eq!(sends_between(at(1), at(2)), 0, "nothing sent while open");
    assert_eq!(
        sends_between(at(3), at(4)),
        0,
        "nothing sent while open again"
    );
    assert_eq!(
        sends_between(at(2) - 1, at(3) + 1),
        1,
        "one probe when half-open"
    );
    assert_eq!(sends[3].outcome, SendOutcome::retry("connection refused"));
    assert_eq!(
        sends[4].outcome,
        SendOutcome::Delivered,
        "the second probe closed it"
    );
}

#[tokio::test(start_paused = true)]
async fn shutdown_stops_leasing_and_drains_sends_in_flight() {
    let db = Db::new();
    let wakers = Wakers::new();
    let probe = Probe::gated(TokioClock::new(T0));
    let mut cfg = config("fhir");
    cfg.concurrency = 3;
    let (token, _, mut handle) = start(cfg, &db, &probe, &wakers);
    let router = route_all("fhir");
    let first = patients("a", 3);
    ingest(&db.store, &wakers, &router, &first, T0).await;
    probe.until("three sends held", |s| s.started == 3).await;

    token.cancel();
    let late = ingest(
        &db.store,
        &wakers,
        &router,
        &[event("late", "x.y", None)],
        T0,
    )
    .await;
    let early = tokio::time::timeout(Duration::from_secs(30), &mut handle).await;
    assert!(early.is_err(), "run waits for the sends in flight");
    probe.open_gate();
    let report = handle.await.unwrap();
    assert_eq!(report.delivered, 3);
    assert_eq!(
        probe.seen(|s| s.started),
        3,
        "nothing leased after shutdown"
    );
    assert_eq!(db.deliveries(late).await[0].state, DeliveryState::Pending);
    let depths = db.store.queue_depths(T0).await.unwrap();
    assert_eq!((depths[0].pending, depths[0].leased), (1, 0));
}

#[tokio::test(start_paused = true)]
async fn leases_ahead_of_free_slots_and_gives_them_back_at_shutdown() {
    let db = Db::new();
    let wakers = Wakers::new();
    let probe = Probe::gated(TokioClock::new(T0));
    let mut cfg = config("fhir");
    cfg.concurrency = 2;
    let (token, _, handle) = start(cfg, &db, &probe, &wakers);
    let router = route_all("fhir");
    let events = patients("a", 6);
    ingest(&db.store, &wakers, &router, &events, T0).await;
    probe.until("two sends held", |s| s.started == 2).await;
    let depths = db.store.queue_depths(T0).await.unwrap();
    assert_eq!(
        (depths[0].pending, depths[0].leased),
        (2, 4),
        "two sending and two more leased ahead, in one lease call"
    );

    token.cancel();
    probe.open_gate();
    let report = handle.await.unwrap();
    assert_eq!(report.delivered, 2, "only the sends in flight finish");
    let depths = db.store.queue_depths(T0).await.unwrap();
    assert_eq!(
        (depths[0].pending, depths[0].leased),
        (4, 0),
        "the leases queued ahead are given back, not left to expire"
    );
}

#[tokio::test(start_paused = true)]
async fn restart_after_a_crash_delivers_everything_pending() {
    let mut db = Db::new();
    let wakers = Wakers::new();
    let clock = TokioClock::new(T0);
    let stuck = Probe::gated(clock);
    let mut cfg = config("fhir");
    cfg.concurrency = 3;
    cfg.lease = Duration::from_secs(900);
    let (_token, _, handle) = start(cfg.clone(), &db, &stuck, &wakers);
    let router = route_all("fhir");
    let mut ids = Vec::new();
    for key in ["A", "B", "C"] {
        let events = [
            event(&format!("{key}1"), "patient.updated", Some(key)),
            event(&format!("{key}2"), "patient.updated", Some(key)),
        ];
        ids.push(ingest(&db.store, &wakers, &router, &events, T0).await);
    }
    stuck
        .until("three sends in flight", |s| s.started == 3)
        .await;

    // Crash: the dispatcher goes away mid-send, then the store is reopened from its file.
    handle.abort();
    assert!(handle.await.unwrap_err().is_cancelled());
    db.reopen();
    let probe = Probe::new(clock);
    cfg.worker = "w2".into();
    let (token, _, handle) = start(cfg, &db, &probe, &wakers);
    probe.until("all six delivered", |s| s.delivered == 6).await;
    token.cancel();
    handle.await.unwrap();

    let sent = probe.seen(delivered_ids);
    for key in ["A", "B", "C"] {
        let of_key: Vec<&String> = sent.iter().filter(|id| id.starts_with(key)).collect();
        assert_eq!(
            of_key,
            [&format!("{key}1"), &format!("{key}2")],
            "order for {key}"
        );
    }
    for id in ids {
        let d = db.deliveries(id).await;
        assert!(d.iter().all(|d| d.state == DeliveryState::Delivered));
        let first: Vec<&str> = d[0].history.iter().map(|a| a.outcome.as_str()).collect();
        assert_eq!(
            first,
            ["lease_expired", "delivered"],
            "taken over after the lease ran out"
        );
        assert!(probe.clock.now_ms() >= T0 + 900_000);
    }
}

#[tokio::test(start_paused = true)]
async fn an_idle_dispatcher_wakes_when_deliveries_are_routed() {
    // A poll interval beyond the probe's patience (a virtual hour): only the wake-up can
    // deliver in time, and no virtual time passes.
    let db = Db::new();
    let wakers = Wakers::new();
    let probe = Probe::new(TokioClock::new(T0));
    let mut cfg = config("fhir");
    cfg.poll_interval = Duration::from_secs(7200);
    let (token, _, handle) = start(cfg, &db, &probe, &wakers);
    let router = route_all("fhir");
    for round in 0..3 {
        let e = event(&format!("e{round}"), "patient.updated", Some("nhs:1"));
        ingest(&db.store, &wakers, &router, &[e], T0).await;
        let want = round + 1;
        probe.until("delivered", |s| s.delivered == want).await;
    }
    assert!(probe.clock.now_ms() - T0 < 1000, "no poll interval waited");
    token.cancel();
    handle.await.unwrap();
}
