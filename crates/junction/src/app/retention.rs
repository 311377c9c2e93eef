//! Retention: prunes delivered and filtered messages older than the configured age, in small
//! batches so ingest never stalls; dead ones are kept until replayed or purged.

use std::sync::Arc;
use std::time::Duration;

use junction_store::{PrunePolicy, Store};
use tokio_util::sync::CancellationToken;

use super::clock::now_ms;

/// How often to prune, and how many messages one batch may delete.
const EVERY: Duration = Duration::from_secs(300);
const BATCH: usize = 500;

/// Prunes every few minutes until cancelled.
pub async fn run<S: Store>(store: Arc<S>, keep_delivered: Duration, shutdown: CancellationToken) {
    let policy = PrunePolicy {
        keep_delivered_ms: i64::try_from(keep_delivered.as_millis()).unwrap_or(i64::MAX),
    };
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(EVERY) => {}
        }
        match store.prune(now_ms(), policy, BATCH).await {
            Ok(report) => tracing::debug!(?report, "pruned"),
            Err(e) => tracing::warn!(error = %e, "pruning failed"),
        }
    }
}
