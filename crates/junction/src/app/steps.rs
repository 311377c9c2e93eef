//! Routing steps: named transforms with I/O (a PDS demographics check) that run on an event
//! after decoding and before its routes' `when` predicates are evaluated, so routes can branch
//! on what a step found (`event.annotations.pds.outcome == "mismatch"`).
//!
//! A step that fails (its service is down) is tried [`ATTEMPTS`] times; then the event is
//! annotated `{"outcome": "unavailable", "error": …}` under the step's key and routed anyway:
//! routes decide what an unverified event does (hold it for review, send it on), and nothing
//! stalls behind an outage.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use junction_model::Event;

/// Tries per step before the event is annotated `unavailable`.
pub const ATTEMPTS: u32 = 3;
/// Wait before the second try; doubled for the third.
const FIRST_WAIT: Duration = Duration::from_millis(250);

/// A boxed future a step returns.
pub type StepFuture<'a> = Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>>;

/// One named step.
pub trait Step: Send + Sync {
    /// The key under `event.annotations` the step writes.
    fn key(&self) -> &str;
    /// Annotates (and may amend) the event; `Err` (no patient data in it) means "try again".
    fn apply<'a>(&'a self, event: &'a mut Event) -> StepFuture<'a>;
}

/// The configured steps by name.
pub type Steps = HashMap<String, Arc<dyn Step>>;

/// Runs `names` on `event`, in order.
pub async fn run(steps: &Steps, names: &[&str], event: &mut Event) {
    for name in names {
        let Some(step) = steps.get(*name) else {
            // `junction check` refuses routes naming unknown steps.
            continue;
        };
        let mut wait = FIRST_WAIT;
        let mut attempt = 1;
        loop {
            match step.apply(event).await {
                Ok(()) => break,
                Err(error) if attempt >= ATTEMPTS => {
                    tracing::warn!(step = name, event = event.id, error, "step unavailable");
                    event.annotations.insert(
                        step.key().to_owned(),
                        serde_json::json!({"outcome": "unavailable", "error": error}),
                    );
                    break;
                }
                Err(_) => {
                    tokio::time::sleep(wait).await;
                    wait *= 2;
                    attempt += 1;
                }
            }
        }
    }
}
