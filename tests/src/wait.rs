//! The one bounded wait-for-condition helper of the kit: poll a check at a short interval until
//! it holds or an overall deadline passes. Tests use it only for state they cannot be signalled
//! about (the admin API, `/metrics`, files on disk); everything else waits on a real signal.

use std::future::Future;
use std::time::{Duration, Instant};

/// How often [`eventually`] asks again.
const INTERVAL: Duration = Duration::from_millis(50);

/// Calls `check` until it returns `Some`, at most until `deadline` has passed; panics with
/// `what` (and the last value seen, via `check`'s own messages) when it never does.
pub async fn eventually<T, F, Fut>(deadline: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let until = Instant::now() + deadline;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            Instant::now() < until,
            "timed out after {deadline:?} waiting for: {what}"
        );
        tokio::time::sleep(INTERVAL).await;
    }
}
