//! The sources' door to the journal: `Ingest` over the store. A message is acknowledged only
//! after its append returned, i.e. after its transaction committed; then the pipeline is
//! woken, unless the message was routed in that same transaction (`door`).

use std::sync::Arc;

use junction_connectors::{Inbound, Ingest, IngestOutcome};
use junction_store::{Appended, MessageState, NewMessage, Store};
use tokio::sync::Notify;

use crate::app::clock::now_ms;
use crate::app::door::{DoorRouting, Planned};

/// Journals what the sources receive.
pub struct StoreIngest<S> {
    store: Arc<S>,
    /// Wakes the routing pipeline when something new was journaled.
    pipeline: Arc<Notify>,
    /// Routes messages as they are journaled, where the store allows it.
    door: Option<Arc<DoorRouting>>,
}

impl<S: Store> StoreIngest<S> {
    /// An ingest over `store` that wakes `pipeline` after each new message.
    pub fn new(store: Arc<S>, pipeline: Arc<Notify>) -> Self {
        Self {
            store,
            pipeline,
            door: None,
        }
    }

    /// Routes each accepted message in its journal transaction where it can (see `door`).
    pub fn with_door_routing(mut self, door: Arc<DoorRouting>) -> Self {
        self.door = Some(door);
        self
    }

    async fn append(&self, msg: Inbound, state: MessageState) -> IngestOutcome {
        let new = NewMessage {
            source: msg.source,
            received_at: msg.received_at_ms,
            peer: msg.peer,
            content_type: msg.content_type,
            raw: msg.raw.to_vec(),
            message_type: msg.message_type,
            control_id: msg.control_id,
            sender: msg.sender,
            state,
        };
        if let (MessageState::Received, Some(door)) = (&new.state, &self.door)
            && let Some(id) = self.store.reserve_message_id()
        {
            // A message needing a routing step goes to the pipeline, under the reserved id.
            let (outcome, then) = match door.plan(id, &new) {
                Some(Planned { outcome, then }) => (Some(outcome), Some(then)),
                None => (None, None),
            };
            let source = new.source.clone();
            return match self.store.append_routed(id, new, outcome, now_ms()).await {
                Ok((Appended::New(id), routed)) => {
                    // Recorded only when there was an outcome to record, so `then` is there.
                    match then.filter(|_| routed) {
                        Some(then) => door.recorded(&source, &then),
                        None => self.pipeline.notify_one(),
                    }
                    IngestOutcome::Accepted { id: id.0 }
                }
                other => self.answer(other.map(|(appended, _)| appended)),
            };
        }
        let appended = self.store.append(new).await;
        self.answer(appended)
    }

    fn answer(&self, appended: Result<Appended, junction_store::StoreError>) -> IngestOutcome {
        match appended {
            Ok(Appended::New(id)) => {
                self.pipeline.notify_one();
                IngestOutcome::Accepted { id: id.0 }
            }
            Ok(Appended::Duplicate { original }) => IngestOutcome::Duplicate {
                original: original.0,
            },
            Err(e) => {
                tracing::error!(error = %e, "journal append failed");
                IngestOutcome::Unavailable {
                    reason: "message store unavailable".into(),
                }
            }
        }
    }
}

impl<S: Store> Ingest for StoreIngest<S> {
    async fn accept(&self, msg: Inbound) -> IngestOutcome {
        self.append(msg, MessageState::Received).await
    }

    async fn reject(&self, msg: Inbound, reason: String) -> IngestOutcome {
        self.append(msg, MessageState::Rejected { reason }).await
    }
}
