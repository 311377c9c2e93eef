//! Wake handles: the router pokes a destination's dispatcher right after it commits new
//! deliveries, so an idle dispatcher does not wait for its poll interval.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::Notify;

/// One [`Notify`] per destination, shared by the router and the dispatchers. Cheap to clone.
///
/// A wake given while the dispatcher is busy is kept (one permit), so none is lost.
#[derive(Debug, Clone, Default)]
pub struct Wakers {
    inner: Arc<Mutex<HashMap<String, Arc<Notify>>>>,
}

impl Wakers {
    /// A new, empty set.
    pub fn new() -> Wakers {
        Wakers::default()
    }

    /// The handle a destination's dispatcher waits on (created on first use).
    pub fn handle(&self, destination: &str) -> Arc<Notify> {
        let mut map = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(map.entry(destination.to_owned()).or_default())
    }

    /// Wakes `destination`'s dispatcher.
    pub fn wake(&self, destination: &str) {
        self.handle(destination).notify_one();
    }

    /// Wakes every dispatcher (e.g. after an operator replay).
    pub fn wake_all(&self) {
        let map = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        for notify in map.values() {
            notify.notify_one();
        }
    }
}
