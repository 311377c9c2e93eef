//! Leader-lease scenarios: one node at a time holds a named lease; it renews its own, takes a
//! free or expired one, and never takes one another node holds.

use junction_store::Store;

use super::{Harness, T0};

/// Free, held, renewed, expired, independent names, and it survives a reopen.
pub async fn leader_lease<H: Harness>(h: H) {
    let store = h.open().await;
    assert!(
        store
            .try_lead("ers-poller", "node-a", T0, 1000)
            .await
            .unwrap()
    );
    // Held by node-a: node-b cannot take it, right up to the end of the lease.
    assert!(
        !store
            .try_lead("ers-poller", "node-b", T0, 1000)
            .await
            .unwrap()
    );
    assert!(
        !store
            .try_lead("ers-poller", "node-b", T0 + 999, 1000)
            .await
            .unwrap()
    );
    // node-a renews: the lease now runs to T0 + 500 + 1000.
    assert!(
        store
            .try_lead("ers-poller", "node-a", T0 + 500, 1000)
            .await
            .unwrap()
    );
    assert!(
        !store
            .try_lead("ers-poller", "node-b", T0 + 1000, 1000)
            .await
            .unwrap()
    );
    // Another name is independent.
    assert!(
        store
            .try_lead("mesh-inbox", "node-b", T0, 1000)
            .await
            .unwrap()
    );
    drop(store);

    let store = h.open().await;
    assert!(
        !store
            .try_lead("ers-poller", "node-b", T0 + 1499, 1000)
            .await
            .unwrap()
    );
    // Expired: node-b takes it, and node-a is then refused.
    assert!(
        store
            .try_lead("ers-poller", "node-b", T0 + 1500, 1000)
            .await
            .unwrap()
    );
    assert!(
        !store
            .try_lead("ers-poller", "node-a", T0 + 1600, 1000)
            .await
            .unwrap()
    );
    assert!(
        store
            .try_lead("ers-poller", "node-b", T0 + 1600, 1000)
            .await
            .unwrap()
    );
}
