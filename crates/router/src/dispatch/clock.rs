//! The dispatcher's clock: unix milliseconds for the store (which never reads a clock
//! itself), from the system in production or from tokio's (pausable) time in tests.

use std::time::{SystemTime, UNIX_EPOCH};

/// Wall-clock time in unix ms, as the store's `now` arguments want it.
pub trait Clock: Send + Sync + 'static {
    /// Now, unix ms.
    fn now_ms(&self) -> i64;
}

/// The system clock: use this in production, where several nodes share a store.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
    }
}

/// `start_ms` plus the tokio time elapsed since creation: follows paused and advanced time
/// in tests (`#[tokio::test(start_paused = true)]`), so backoff and cool-downs take no real
/// time.
#[derive(Debug, Clone, Copy)]
pub struct TokioClock {
    start: tokio::time::Instant,
    start_ms: i64,
}

impl TokioClock {
    /// A clock that reads `start_ms` now.
    pub fn new(start_ms: i64) -> TokioClock {
        TokioClock {
            start: tokio::time::Instant::now(),
            start_ms,
        }
    }
}

impl Clock for TokioClock {
    fn now_ms(&self) -> i64 {
        let elapsed = i64::try_from(self.start.elapsed().as_millis()).unwrap_or(i64::MAX);
        self.start_ms.saturating_add(elapsed)
    }
}
