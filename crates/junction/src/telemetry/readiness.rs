//! The readiness handle `/readyz` reads: which listeners are expected, which have reported
//! bound. Wiring calls [`Readiness::expected`] with every listener name before starting them,
//! and each listener calls [`Readiness::set_listener_bound`] once its socket is bound.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

#[derive(Debug, Default)]
struct State {
    expected: BTreeSet<String>,
    bound: BTreeSet<String>,
}

/// Shared readiness state. Cheap to clone; every clone sees the same state.
#[derive(Debug, Clone, Default)]
pub struct Readiness {
    state: Arc<Mutex<State>>,
}

impl Readiness {
    /// Nothing expected yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds listeners that must report bound before the process is ready.
    pub fn expected<I, N>(&self, names: I)
    where
        I: IntoIterator<Item = N>,
        N: Into<String>,
    {
        let mut state = self.lock();
        state.expected.extend(names.into_iter().map(Into::into));
    }

    /// Records that listener `name` is bound and accepting.
    pub fn set_listener_bound(&self, name: &str) {
        self.lock().bound.insert(name.to_owned());
    }

    /// Expected listeners not yet bound, sorted.
    pub fn unbound(&self) -> Vec<String> {
        let state = self.lock();
        state.expected.difference(&state.bound).cloned().collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_once_every_expected_listener_is_bound() {
        let r = Readiness::new();
        assert!(r.unbound().is_empty());
        r.expected(["mllp", "http"]);
        r.set_listener_bound("http");
        r.set_listener_bound("unexpected");
        assert_eq!(r.unbound(), vec!["mllp".to_owned()]);
        r.clone().set_listener_bound("mllp");
        assert!(r.unbound().is_empty());
    }
}
