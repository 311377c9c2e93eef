//! Outbox scenarios: leases and their expiry, stale owners, per-key ordering, queue depths,
//! replay and purge of dead deliveries.

use junction_store::{DeliveryId, DeliveryState, Outcome, RouteOutcome, Store, StoreError};

use super::{Harness, T0, ingest, routed};

fn ids(ds: &[junction_store::Delivery]) -> Vec<DeliveryId> {
    ds.iter().map(|d| d.id).collect()
}

/// A lease hides a delivery until it expires; then another worker gets it.
/// Payloads come back as routed, whether a delivery shares its event's JSON or has its own.
pub async fn payloads_read_back<H: Harness>(h: H) {
    let store = h.open().await;
    let msg = ingest(
        &store,
        T0,
        &[("fhir", None), ("fhir", None), ("fhir", None)],
    )
    .await;
    // A delivery without a payload of its own delivers its event's JSON.
    let expected: Vec<String> = match routed(&[("fhir", None), ("fhir", None), ("fhir", None)]) {
        RouteOutcome::Routed { events, deliveries } => deliveries
            .into_iter()
            .map(|d| {
                let event = events
                    .iter()
                    .find(|e| e.id == d.event_id)
                    .map(|e| e.json.clone());
                d.payload.or(event).unwrap_or_default()
            })
            .collect(),
        _ => unreachable!(),
    };
    let leased = store.lease("fhir", 5, T0, 100, "w1").await.unwrap();
    let got: Vec<String> = leased.iter().map(|d| d.payload.clone()).collect();
    assert_eq!(got, expected);
    let detail = store.get_message(msg).await.unwrap().unwrap();
    let shown: Vec<String> = detail
        .deliveries
        .iter()
        .map(|d| d.payload.clone())
        .collect();
    assert_eq!(shown, expected);
}

/// A worker restarting after a crash takes back its own leases at once; others' stay held.
pub async fn release_leases<H: Harness>(h: H) {
    let store = h.open().await;
    ingest(&store, T0, &[("fhir", None), ("fhir", None)]).await;
    let mine = store
        .lease("fhir", 1, T0, 60_000, "node-a/fhir")
        .await
        .unwrap();
    let theirs = store
        .lease("fhir", 1, T0, 60_000, "node-b/fhir")
        .await
        .unwrap();
    assert_eq!((mine.len(), theirs.len()), (1, 1));
    assert_eq!(store.release_leases("node-a/fhir").await.unwrap(), 1);
    // Leasable again straight away, long before the lease would have expired; node-b's is not.
    let again = store
        .lease("fhir", 5, T0 + 1, 60_000, "node-a/fhir")
        .await
        .unwrap();
    assert_eq!(ids(&again), ids(&mine));
    assert_eq!(store.release_leases("node-a/fhir").await.unwrap(), 1);
    assert_eq!(store.release_leases("nobody").await.unwrap(), 0);
}

pub async fn lease_expiry<H: Harness>(h: H) {
    let store = h.open().await;
    let msg = ingest(&store, T0, &[("fhir", None)]).await;
    let first = store.lease("fhir", 5, T0, 100, "w1").await.unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].lease_until, T0 + 100);
    assert_eq!(first[0].lease_owner, "w1");
    assert!(
        store
            .lease("fhir", 5, T0, 100, "w2")
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .lease("fhir", 5, T0 + 99, 100, "w2")
            .await
            .unwrap()
            .is_empty()
    );
    let second = store.lease("fhir", 5, T0 + 100, 100, "w2").await.unwrap();
    assert_eq!(ids(&second), ids(&first));
    assert_eq!(second[0].lease_owner, "w2");
    let detail = store.get_message(msg).await.unwrap().unwrap();
    assert_eq!(detail.deliveries[0].lease_owner.as_deref(), Some("w2"));
    assert_eq!(detail.deliveries[0].history[0].outcome, "lease_expired");
    assert!(
        store
            .lease("nowhere", 5, T0, 100, "w1")
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .lease("fhir", 0, T0 + 500, 100, "w1")
            .await
            .unwrap()
            .is_empty()
    );
}

/// Only the current lease owner's outcome counts.
pub async fn stale_owner<H: Harness>(h: H) {
    let store = h.open().await;
    let msg = ingest(&store, T0, &[("fhir", None)]).await;
    let d = store.lease("fhir", 1, T0, 100, "w1").await.unwrap()[0].id;
    let wrong = store.complete(d, "w2", Outcome::Delivered { at: T0 }).await;
    assert_eq!(wrong, Err(StoreError::LeaseLost(d.0)));

    let taken = store.lease("fhir", 1, T0 + 100, 100, "w2").await.unwrap();
    assert_eq!(ids(&taken), vec![d]);
    let slow = store.complete(
        d,
        "w1",
        Outcome::Retry {
            at: T0 + 150,
            next_attempt_at: T0 + 1000,
            error: "timeout".into(),
        },
    );
    assert_eq!(slow.await, Err(StoreError::LeaseLost(d.0)));
    store
        .complete(d, "w2", Outcome::Delivered { at: T0 + 160 })
        .await
        .unwrap();
    let twice = store
        .complete(d, "w2", Outcome::Delivered { at: T0 + 170 })
        .await;
    assert_eq!(twice, Err(StoreError::LeaseLost(d.0)));
    let unknown = store
        .complete(DeliveryId(9999), "w2", Outcome::Delivered { at: T0 })
        .await;
    assert!(matches!(unknown, Err(StoreError::NotFound { .. })));

    let detail = store.get_message(msg).await.unwrap().unwrap();
    let delivery = &detail.deliveries[0];
    assert_eq!(delivery.state, DeliveryState::Delivered);
    assert_eq!(delivery.attempts, 1);
    let outcomes: Vec<_> = delivery
        .history
        .iter()
        .map(|a| a.outcome.as_str())
        .collect();
    assert_eq!(outcomes, ["lease_expired", "delivered"]);
    assert_eq!(delivery.history[1].worker.as_deref(), Some("w2"));
}

/// One delivery per (destination, key) at a time; retries keep the block, dead ones release it.
pub async fn ordering_per_key<H: Harness>(h: H) {
    let store = h.open().await;
    ingest(
        &store,
        T0,
        &[("fhir", Some("p1")), ("fhir", Some("p2")), ("fhir", None)],
    )
    .await;
    ingest(
        &store,
        T0,
        &[("fhir", Some("p1")), ("fhir", None), ("mllp", Some("p1"))],
    )
    .await;
    ingest(&store, T0, &[("fhir", Some("p1"))]).await;

    let first = store.lease("fhir", 10, T0, 1000, "w").await.unwrap();
    let keys: Vec<_> = first.iter().map(|d| d.ordering_key.as_deref()).collect();
    assert_eq!(keys, [Some("p1"), Some("p2"), None, None]);
    let p1_first = first[0].id;
    assert!(
        store
            .lease("fhir", 10, T0, 1000, "w")
            .await
            .unwrap()
            .is_empty()
    );
    // Another destination's queue for the same key is independent.
    assert_eq!(
        store.lease("mllp", 10, T0, 1000, "w").await.unwrap().len(),
        1
    );

    // A retry keeps p1's later deliveries blocked, even while it waits.
    let retry = Outcome::Retry {
        at: T0 + 1,
        next_attempt_at: T0 + 500,
        error: "503".into(),
    };
    store.complete(p1_first, "w", retry).await.unwrap();
    assert!(
        store
            .lease("fhir", 10, T0 + 10, 1000, "w")
            .await
            .unwrap()
            .is_empty()
    );
    let again = store.lease("fhir", 10, T0 + 500, 1000, "w").await.unwrap();
    assert_eq!(ids(&again), vec![p1_first]);
    assert_eq!(again[0].attempts, 1);

    // Dead releases the key: the next p1 delivery is handed out.
    let dead = Outcome::Dead {
        at: T0 + 501,
        error: "400".into(),
    };
    store.complete(p1_first, "w", dead).await.unwrap();
    let next = store.lease("fhir", 10, T0 + 502, 1000, "w").await.unwrap();
    assert_eq!(next.len(), 1);
    assert_eq!(next[0].ordering_key.as_deref(), Some("p1"));
    assert!(next[0].id > p1_first);
    store
        .complete(next[0].id, "w", Outcome::Delivered { at: T0 + 503 })
        .await
        .unwrap();
    let last = store.lease("fhir", 10, T0 + 504, 1000, "w").await.unwrap();
    assert_eq!(last.len(), 1);
    assert!(last[0].id > next[0].id);
}

/// Queue depths count pending, leased and dead per destination; replay and purge act on dead.
pub async fn depths_replay_purge<H: Harness>(h: H) {
    let store = h.open().await;
    let m1 = ingest(
        &store,
        T0,
        &[("fhir", None), ("fhir", None), ("mllp", None)],
    )
    .await;
    ingest(&store, T0 + 50, &[("fhir", None)]).await;
    let leased = store.lease("fhir", 2, T0 + 100, 1000, "w").await.unwrap();
    store
        .complete(
            leased[0].id,
            "w",
            Outcome::Dead {
                at: T0 + 100,
                error: "422".into(),
            },
        )
        .await
        .unwrap();

    let depths = store.queue_depths(T0 + 200).await.unwrap();
    assert_eq!(depths.len(), 2);
    let fhir = &depths[0];
    assert_eq!(fhir.destination, "fhir");
    assert_eq!((fhir.pending, fhir.leased, fhir.dead), (1, 1, 1));
    assert_eq!(fhir.oldest_pending_age_ms, 200);
    assert_eq!(
        (depths[1].destination.as_str(), depths[1].pending),
        ("mllp", 1)
    );

    assert_eq!(store.replay_dead("fhir", T0 + 300).await.unwrap(), 1);
    assert_eq!(store.replay_dead("fhir", T0 + 300).await.unwrap(), 0);
    let retaken = store.lease("fhir", 10, T0 + 300, 1000, "w").await.unwrap();
    assert!(
        retaken
            .iter()
            .any(|d| d.id == leased[0].id && d.attempts == 0)
    );
    store
        .complete(
            leased[0].id,
            "w",
            Outcome::Dead {
                at: T0 + 301,
                error: "422".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(store.purge_dead("fhir").await.unwrap(), 1);
    let detail = store.get_message(m1).await.unwrap().unwrap();
    assert_eq!(detail.deliveries.len(), 2, "the purged delivery is gone");

    // Replaying a routed message re-queues its finished deliveries under the same ids.
    let d = store.lease("mllp", 1, T0 + 400, 1000, "w").await.unwrap()[0].id;
    store
        .complete(d, "w", Outcome::Delivered { at: T0 + 401 })
        .await
        .unwrap();
    let replayed = store.replay_message(m1, T0 + 500).await.unwrap();
    assert_eq!(replayed.deliveries, 1);
    assert!(!replayed.rerouted);
    let back = store.lease("mllp", 1, T0 + 500, 1000, "w").await.unwrap();
    assert_eq!(ids(&back), vec![d]);
}
