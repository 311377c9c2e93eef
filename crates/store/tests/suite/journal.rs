//! Journal scenarios: append, door duplicates, routing outcomes, admin listing, group commit,
//! durability across reopen and retention.

use std::sync::Arc;

use junction_store::{
    Appended, DeliveryState, MessageFilter, MessageId, MessageState, MessageStatus, Outcome,
    PrunePolicy, RouteOutcome, Store, StoreError,
};

use super::{DAY, Harness, T0, ingest, msg, routed};

/// Appended messages read back byte for byte; rejected ones are kept but never unrouted.
pub async fn append_and_read_back<H: Harness>(h: H) {
    let store = h.open().await;
    let m = msg("pas", Some("C1"), T0);
    let id = match store.append(m.clone()).await.unwrap() {
        Appended::New(id) => id,
        other => panic!("expected new, got {other:?}"),
    };
    let mut bad = msg("pas", None, T0 + 1);
    bad.raw = b"not hl7".to_vec();
    bad.state = MessageState::Rejected {
        reason: "no MSH segment".into(),
    };
    let bad_id = store.append(bad).await.unwrap().id();

    let detail = store.get_message(id).await.unwrap().unwrap();
    assert_eq!(detail.raw, m.raw);
    assert_eq!(detail.summary.state, MessageStatus::Received);
    assert_eq!(detail.summary.control_id.as_deref(), Some("C1"));
    assert_eq!(detail.summary.size, m.raw.len() as u64);
    let rejected = store.get_message(bad_id).await.unwrap().unwrap();
    assert_eq!(rejected.summary.state, MessageStatus::Rejected);
    assert_eq!(rejected.summary.reason.as_deref(), Some("no MSH segment"));

    let unrouted = store.unrouted(10).await.unwrap();
    assert_eq!(
        unrouted.iter().map(|m| m.summary.id).collect::<Vec<_>>(),
        vec![id]
    );
    assert_eq!(unrouted[0].raw, m.raw);
    assert!(store.get_message(MessageId(9999)).await.unwrap().is_none());
}

/// `(source, sender, control_id)` within the window is a duplicate recorded on the original.
pub async fn dedup_window<H: Harness>(h: H) {
    let store = h.open().await;
    let first = store.append(msg("pas", Some("C1"), T0)).await.unwrap();
    let Appended::New(original) = first else {
        panic!("first append must be new")
    };

    let mut again = msg("pas", Some("C1"), T0 + DAY);
    again.peer = Some("127.0.0.2:1234".into());
    assert_eq!(
        store.append(again).await.unwrap(),
        Appended::Duplicate { original }
    );

    // Other source, other sender, no control id, or a rejected state: journaled anew.
    assert!(matches!(
        store.append(msg("ris", Some("C1"), T0)).await.unwrap(),
        Appended::New(_)
    ));
    let mut other_sender = msg("pas", Some("C1"), T0);
    other_sender.sender = Some("PAS^RYY".into());
    assert!(matches!(
        store.append(other_sender).await.unwrap(),
        Appended::New(_)
    ));
    let mut no_sender = msg("pas", Some("C1"), T0);
    no_sender.sender = None;
    assert!(matches!(
        store.append(no_sender).await.unwrap(),
        Appended::New(_)
    ));
    let mut rejected = msg("pas", Some("C1"), T0);
    rejected.state = MessageState::Rejected {
        reason: "bad".into(),
    };
    assert!(matches!(
        store.append(rejected).await.unwrap(),
        Appended::New(_)
    ));

    // Past the 7-day default window the same control id is a new message.
    let late = store
        .append(msg("pas", Some("C1"), T0 + 8 * DAY))
        .await
        .unwrap();
    let Appended::New(late_id) = late else {
        panic!("outside the window must be new")
    };
    assert_ne!(late_id, original);

    let detail = store.get_message(original).await.unwrap().unwrap();
    assert_eq!(detail.summary.duplicates, 1);
    assert_eq!(detail.duplicates.len(), 1);
    assert_eq!(detail.duplicates[0].at, T0 + DAY);
    assert_eq!(detail.duplicates[0].peer.as_deref(), Some("127.0.0.2:1234"));
    let unrouted = store.unrouted(100).await.unwrap();
    assert_eq!(
        unrouted.len(),
        5,
        "original, other source, other sender, no sender, late"
    );
}

/// Routing outcomes set the state once; a bad request leaves the message untouched.
pub async fn route_outcomes<H: Harness>(h: H) {
    let store = h.open().await;
    let a = store.append(msg("pas", None, T0)).await.unwrap().id();
    let b = store.append(msg("pas", None, T0)).await.unwrap().id();
    let c = store.append(msg("pas", None, T0)).await.unwrap().id();

    // A delivery naming an unknown event is refused and rolls back alone.
    let mut bad = routed(&[("fhir", Some("p1"))]);
    if let RouteOutcome::Routed { deliveries, .. } = &mut bad {
        deliveries[0].event_id = "nope".into();
    }
    assert!(matches!(
        store.route(a, bad, T0).await,
        Err(StoreError::Invalid(_))
    ));
    let still = store.get_message(a).await.unwrap().unwrap();
    assert_eq!(still.summary.state, MessageStatus::Received);
    assert!(still.events.is_empty() && still.deliveries.is_empty());

    store
        .route(a, routed(&[("fhir", Some("p1")), ("mllp", None)]), T0)
        .await
        .unwrap();
    let filtered = RouteOutcome::Filtered {
        reason: "rule:drop-a08".into(),
        events: vec![],
    };
    store.route(b, filtered, T0).await.unwrap();
    store
        .route(c, RouteOutcome::failed("PID segment missing"), T0)
        .await
        .unwrap();

    let again = store.route(a, routed(&[("fhir", None)]), T0).await;
    assert!(
        matches!(again, Err(StoreError::InvalidState { .. })),
        "{again:?}"
    );
    let missing = store.route(MessageId(9999), routed(&[]), T0).await;
    assert!(matches!(missing, Err(StoreError::NotFound { .. })));

    let routed_msg = store.get_message(a).await.unwrap().unwrap();
    assert_eq!(routed_msg.summary.state, MessageStatus::Routed);
    assert_eq!(routed_msg.events.len(), 2);
    assert_eq!(routed_msg.deliveries.len(), 2);
    assert!(
        routed_msg
            .deliveries
            .iter()
            .all(|d| d.state == DeliveryState::Pending)
    );
    let b_detail = store.get_message(b).await.unwrap().unwrap();
    assert_eq!(b_detail.summary.state, MessageStatus::Filtered);
    assert_eq!(b_detail.summary.reason.as_deref(), Some("rule:drop-a08"));
    let c_detail = store.get_message(c).await.unwrap().unwrap();
    assert_eq!(c_detail.summary.state, MessageStatus::Failed);
    assert!(store.unrouted(10).await.unwrap().is_empty());

    // A failed message may still have events and deliveries (its pass-through events).
    let d = store.append(msg("pas", None, T0)).await.unwrap().id();
    let RouteOutcome::Routed { events, deliveries } = routed(&[("relay", Some("p9"))]) else {
        unreachable!("routed() is Routed")
    };
    let failed_with = RouteOutcome::Failed {
        reason: "PV1-44 missing".into(),
        events,
        deliveries,
    };
    store.route(d, failed_with, T0).await.unwrap();
    let d_detail = store.get_message(d).await.unwrap().unwrap();
    assert_eq!(d_detail.summary.state, MessageStatus::Failed);
    assert_eq!(d_detail.summary.reason.as_deref(), Some("PV1-44 missing"));
    assert_eq!(d_detail.events.len(), 1);
    assert_eq!(d_detail.deliveries.len(), 1);
    assert_eq!(d_detail.deliveries[0].state, DeliveryState::Pending);
    // Replayed, it is decoded and routed afresh: its old events and deliveries go.
    assert!(store.replay_message(d, T0).await.unwrap().rerouted);
    let d_detail = store.get_message(d).await.unwrap().unwrap();
    assert!(d_detail.events.is_empty() && d_detail.deliveries.is_empty());
    store
        .route(d, RouteOutcome::failed("still"), T0)
        .await
        .unwrap();

    // Replaying a failed message hands it back to the router.
    let replayed = store.replay_message(c, T0).await.unwrap();
    assert!(replayed.rerouted);
    let unrouted = store.unrouted(10).await.unwrap();
    assert_eq!(
        unrouted.iter().map(|m| m.summary.id).collect::<Vec<_>>(),
        vec![c]
    );
}

/// Filters, newest-first order and keyset pagination of `list_messages`.
pub async fn list_messages<H: Harness>(h: H) {
    let store = h.open().await;
    let mut ids = Vec::new();
    for n in 0..10 {
        let source = if n % 2 == 0 { "pas" } else { "ris" };
        let mut m = msg(source, Some(&format!("C{n}")), T0 + n);
        m.message_type = match n {
            3 => Some("ORU^R01".into()),
            5 => Some("ADT^A31".into()),
            6 => Some("X_%[1]".into()),
            7 => Some("YA".into()),
            _ => m.message_type,
        };
        ids.push(store.append(m).await.unwrap().id());
    }
    store
        .route(ids[4], routed(&[("fhir", Some("patient-9"))]), T0)
        .await
        .unwrap();

    let all = store.list_messages(MessageFilter::default()).await.unwrap();
    assert_eq!(
        all.iter().map(|m| m.id).collect::<Vec<_>>(),
        ids.iter().rev().copied().collect::<Vec<_>>()
    );

    let page1 = store
        .list_messages(MessageFilter {
            limit: 4,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(page1.len(), 4);
    let page2 = store
        .list_messages(MessageFilter {
            limit: 4,
            before_id: Some(page1[3].id),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(page2[0].id.0, page1[3].id.0 - 1);

    let pas = store
        .list_messages(MessageFilter {
            source: Some("pas".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(pas.len(), 5);
    let oru = store
        .list_messages(MessageFilter {
            message_type: Some("ORU^R01".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(oru.iter().map(|m| m.id).collect::<Vec<_>>(), vec![ids[3]]);
    // Route globs: `*` and `?` wild, everything else (`_`, `%`, `[`) itself, case-sensitive.
    for (glob, expect) in [
        ("ADT^A0*", vec![9, 8, 4, 2, 1, 0]),
        ("ADT^A?1", vec![9, 8, 5, 4, 2, 1, 0]),
        ("adt^*", vec![]),
        ("X_%[*", vec![6]),
        ("X?%[1?", vec![6]),
        ("Y_*", vec![]),
        ("*", vec![9, 8, 7, 6, 5, 4, 3, 2, 1, 0]),
    ] {
        let found = store
            .list_messages(MessageFilter {
                message_type: Some(glob.into()),
                ..Default::default()
            })
            .await
            .unwrap();
        let expect: Vec<_> = expect.into_iter().map(|i: usize| ids[i]).collect();
        assert_eq!(
            found.iter().map(|m| m.id).collect::<Vec<_>>(),
            expect,
            "{glob}"
        );
    }
    let c7 = store
        .list_messages(MessageFilter {
            control_id: Some("C7".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(c7.iter().map(|m| m.id).collect::<Vec<_>>(), vec![ids[7]]);
    let patient = store
        .list_messages(MessageFilter {
            patient_key: Some("patient-9".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        patient.iter().map(|m| m.id).collect::<Vec<_>>(),
        vec![ids[4]]
    );
    let routed_only = store
        .list_messages(MessageFilter {
            state: Some(MessageStatus::Routed),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(routed_only.len(), 1);
    let window = store
        .list_messages(MessageFilter {
            from: Some(T0 + 2),
            to: Some(T0 + 5),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        window.iter().map(|m| m.id).collect::<Vec<_>>(),
        vec![ids[4], ids[3], ids[2]]
    );
}

/// Concurrent appends share commits, and every one is readable afterwards.
pub async fn group_commit<H: Harness>(h: H) {
    const N: usize = 200;
    let store = Arc::new(h.open().await);
    let before = store.stats().commits;
    let mut tasks = Vec::with_capacity(N);
    for n in 0..N {
        let store = Arc::clone(&store);
        tasks.push(tokio::spawn(async move {
            store
                .append(msg("pas", Some(&format!("G{n}")), T0))
                .await
                .unwrap()
                .id()
        }));
    }
    let mut ids = Vec::with_capacity(N);
    for task in tasks {
        ids.push(task.await.unwrap());
    }
    let commits = store.stats().commits - before;
    assert!(commits < N as u64, "{commits} commits for {N} appends");
    assert!(store.stats().max_batch_size > 1);
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), N);
    for id in ids {
        assert!(store.get_message(id).await.unwrap().is_some());
    }
}

/// Everything committed is there after a reopen; a lease survives until it expires.
pub async fn reopen_keeps_everything<H: Harness>(h: H) {
    let store = h.open().await;
    let id = ingest(
        &store,
        T0,
        &[("fhir", Some("p1")), ("fhir", Some("p1")), ("mllp", None)],
    )
    .await;
    let leased = store.lease("fhir", 10, T0, 1000, "w1").await.unwrap();
    assert_eq!(leased.len(), 1);
    let mllp = store.lease("mllp", 10, T0, 1000, "w1").await.unwrap();
    store
        .complete(mllp[0].id, "w1", Outcome::Delivered { at: T0 + 1 })
        .await
        .unwrap();
    let before = store.get_message(id).await.unwrap().unwrap();
    drop(store);

    let store = h.open().await;
    let after = store.get_message(id).await.unwrap().unwrap();
    assert_eq!(before, after);
    assert!(
        store
            .lease("fhir", 10, T0 + 999, 1000, "w2")
            .await
            .unwrap()
            .is_empty()
    );
    let again = store
        .lease("fhir", 10, T0 + 1000, 1000, "w2")
        .await
        .unwrap();
    assert_eq!(
        again.iter().map(|d| d.id).collect::<Vec<_>>(),
        vec![leased[0].id]
    );
}

/// Prune removes only finished messages older than the policy; dead and unfinished stay.
pub async fn prune_keeps_unfinished<H: Harness>(h: H) {
    let store = h.open().await;
    let old = T0;
    let delivered = ingest(&store, old, &[("fhir", None)]).await;
    let dead = ingest(&store, old, &[("fhir", None)]).await;
    let pending = ingest(&store, old, &[("mllp", None)]).await;
    let filtered = store.append(msg("pas", None, old)).await.unwrap().id();
    store
        .route(
            filtered,
            RouteOutcome::Filtered {
                reason: "r".into(),
                events: vec![],
            },
            old,
        )
        .await
        .unwrap();
    let failed = store.append(msg("pas", None, old)).await.unwrap().id();
    store
        .route(failed, RouteOutcome::failed("r"), old)
        .await
        .unwrap();
    let received = store.append(msg("pas", None, old)).await.unwrap().id();
    let leased = store.lease("fhir", 10, old, 1000, "w").await.unwrap();
    assert_eq!(leased.len(), 2);
    store
        .complete(leased[0].id, "w", Outcome::Delivered { at: old })
        .await
        .unwrap();
    store
        .complete(
            leased[1].id,
            "w",
            Outcome::Dead {
                at: old,
                error: "410".into(),
            },
        )
        .await
        .unwrap();
    let recent = ingest(&store, old + 40 * DAY, &[("fhir", None)]).await;
    let recent_d = store
        .lease("fhir", 1, old + 40 * DAY, 1000, "w")
        .await
        .unwrap();
    store
        .complete(
            recent_d[0].id,
            "w",
            Outcome::Delivered { at: old + 40 * DAY },
        )
        .await
        .unwrap();

    let report = store
        .prune(old + 45 * DAY, PrunePolicy::default(), 1)
        .await
        .unwrap();
    assert_eq!(report.messages, 2, "{report:?}");
    assert_eq!(report.deliveries, 1);
    assert!(report.batches >= 2);
    for gone in [delivered, filtered] {
        assert!(store.get_message(gone).await.unwrap().is_none());
    }
    for kept in [dead, pending, failed, received, recent] {
        assert!(
            store.get_message(kept).await.unwrap().is_some(),
            "{kept} kept"
        );
    }
}

/// Connector state: set, overwrite, delete, and it survives a reopen.
pub async fn state_survives_reopen<H: Harness>(h: H) {
    let store = h.open().await;
    assert_eq!(store.get_state("ers:worklist:A").await.unwrap(), None);
    store
        .put_state("ers:worklist:A", Some("v1"), T0)
        .await
        .unwrap();
    store
        .put_state("ers:worklist:A", Some("v2"), T0 + 1)
        .await
        .unwrap();
    store
        .put_state("ers:worklist:B", Some("b"), T0)
        .await
        .unwrap();
    store
        .put_state("ers:worklist:B", None, T0 + 2)
        .await
        .unwrap();
    drop(store);
    let store = h.open().await;
    assert_eq!(
        store.get_state("ers:worklist:A").await.unwrap().as_deref(),
        Some("v2")
    );
    assert_eq!(store.get_state("ers:worklist:B").await.unwrap(), None);
}

/// Routing at the door: a message journaled and routed in one transaction when nothing else
/// waits to be routed, journaled `received` (for the router, in turn) when something does or
/// when the outcome is refused; door duplicates as for `append`. A backend without reserved
/// ids (the default) just appends.
pub async fn append_routed<H: Harness>(h: H) {
    let store = h.open().await;
    let state = |id: MessageId| {
        let store = &store;
        async move { store.get_message(id).await.unwrap().unwrap().summary.state }
    };
    let Some(first) = store.reserve_message_id() else {
        let (appended, routed_now) = store
            .append_routed(
                MessageId(0),
                msg("pas", Some("D1"), T0),
                Some(routed(&[])),
                T0,
            )
            .await
            .unwrap();
        assert!(!routed_now, "the default leaves routing to the router");
        assert_eq!(state(appended.id()).await, MessageStatus::Received);
        return;
    };
    let outcome = routed(&[("fhir", Some("nhs:1"))]);
    let res = store
        .append_routed(first, msg("pas", Some("D1"), T0), Some(outcome.clone()), T0)
        .await
        .unwrap();
    assert_eq!(res, (Appended::New(first), true));
    assert_eq!(state(first).await, MessageStatus::Routed);
    let leased = store.lease("fhir", 10, T0, 60_000, "w").await.unwrap();
    assert_eq!(leased.len(), 1);
    assert_eq!(leased[0].message_id, first);

    // A plain append takes an id of its own, never a reserved one.
    let waiting = store.append(msg("pas", Some("D2"), T0)).await.unwrap().id();
    assert_ne!(waiting, first);
    let behind = store.reserve_message_id().unwrap();
    assert_ne!(behind, waiting);
    let res = store
        .append_routed(
            behind,
            msg("pas", Some("D3"), T0),
            Some(outcome.clone()),
            T0,
        )
        .await
        .unwrap();
    assert_eq!(
        res,
        (Appended::New(behind), false),
        "an earlier message still waits to be routed: keep journal order"
    );
    assert_eq!(state(behind).await, MessageStatus::Received);

    let again = store.reserve_message_id().unwrap();
    let res = store
        .append_routed(
            again,
            msg("pas", Some("D1"), T0 + 1),
            Some(outcome.clone()),
            T0,
        )
        .await
        .unwrap();
    assert_eq!(res, (Appended::Duplicate { original: first }, false));

    store
        .route(waiting, RouteOutcome::failed("x"), T0)
        .await
        .unwrap();
    store
        .route(behind, RouteOutcome::failed("x"), T0)
        .await
        .unwrap();
    let refused = store.reserve_message_id().unwrap();
    let mut bad = routed(&[("fhir", None)]);
    if let RouteOutcome::Routed { deliveries, .. } = &mut bad {
        deliveries[0].event_id = "no-such-event".into();
    }
    let res = store
        .append_routed(refused, msg("pas", Some("D4"), T0), Some(bad), T0)
        .await
        .unwrap();
    assert_eq!(
        res,
        (Appended::New(refused), false),
        "a refused outcome keeps the message, for the router"
    );
    assert_eq!(state(refused).await, MessageStatus::Received);

    // No outcome (the caller leaves it to the router): journaled under the reserved id.
    let for_router = store.reserve_message_id().unwrap();
    let res = store
        .append_routed(for_router, msg("pas", Some("D5"), T0), None, T0)
        .await
        .unwrap();
    assert_eq!(res, (Appended::New(for_router), false));
    assert_eq!(state(for_router).await, MessageStatus::Received);
    for id in [refused, for_router] {
        store
            .route(id, RouteOutcome::failed("x"), T0)
            .await
            .unwrap();
    }

    // Filtered at the door: journaled `filtered` with its reason and events, nothing to lease.
    let filtered = store.reserve_message_id().unwrap();
    let RouteOutcome::Routed { events, .. } = routed(&[("fhir", Some("nhs:2"))]) else {
        unreachable!()
    };
    let outcome = RouteOutcome::Filtered {
        reason: "no route matched".into(),
        events: events.clone(),
    };
    let res = store
        .append_routed(filtered, msg("pas", Some("D6"), T0), Some(outcome), T0)
        .await
        .unwrap();
    assert_eq!(res, (Appended::New(filtered), true));
    let detail = store.get_message(filtered).await.unwrap().unwrap();
    assert_eq!(detail.summary.state, MessageStatus::Filtered);
    assert_eq!(detail.summary.reason.as_deref(), Some("no route matched"));
    assert_eq!(detail.events, events);
    assert!(detail.deliveries.is_empty());

    // A message rejected at the door is journaled `rejected` whatever outcome comes with it.
    let rejected = store.reserve_message_id().unwrap();
    let mut bad = msg("pas", Some("D7"), T0);
    bad.state = MessageState::Rejected {
        reason: "MSH-9 missing".into(),
    };
    let res = store
        .append_routed(rejected, bad, Some(routed(&[("fhir", None)])), T0)
        .await
        .unwrap();
    assert_eq!(res, (Appended::New(rejected), false));
    let detail = store.get_message(rejected).await.unwrap().unwrap();
    assert_eq!(detail.summary.state, MessageStatus::Rejected);
    assert!(detail.events.is_empty() && detail.deliveries.is_empty());
    assert!(
        store
            .lease("fhir", 10, T0, 60_000, "w")
            .await
            .unwrap()
            .is_empty()
    );

    // Ids keep growing across a reopen.
    drop(store);
    let store = h.open().await;
    let next = store.reserve_message_id().unwrap();
    assert!(next.0 > refused.0, "{next:?} after {refused:?}");
}
