//! The sources' door to the journal: `Ingest` over the store. A message is acknowledged only
//! after `append` returned, i.e. after its transaction committed; then the pipeline is woken.

use std::sync::Arc;

use junction_connectors::{Inbound, Ingest, IngestOutcome};
use junction_store::{Appended, MessageState, NewMessage, Store};
use tokio::sync::Notify;

/// Journals what the sources receive.
pub struct StoreIngest<S> {
    store: Arc<S>,
    /// Wakes the routing pipeline when something new was journaled.
    pipeline: Arc<Notify>,
}

impl<S: Store> StoreIngest<S> {
    /// An ingest over `store` that wakes `pipeline` after each new message.
    pub fn new(store: Arc<S>, pipeline: Arc<Notify>) -> Self {
        Self { store, pipeline }
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
        match self.store.append(new).await {
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
