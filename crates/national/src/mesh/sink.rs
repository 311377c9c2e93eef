//! [`MeshSink`]: sends each outbox delivery as one MESH message from our mailbox to a
//! configured mailbox and workflow. `mex-LocalID` is the delivery's stable id, and before
//! sending MESH is asked whether a message with that local id already went (a retry after a
//! lost answer): if it did, the delivery is delivered without a second copy.
//!
//! The MESH message id is what an operator needs to trace a message through MESH: use
//! [`MeshSink::send_tracked`] to get it with the outcome, or [`MeshSink::with_observer`] to be
//! told it when the sink is driven through the plain [`Sink`] trait.

use std::sync::Arc;

use bytes::Bytes;
use junction_connectors::{OutboundDelivery, SendOutcome, Sink};

use super::client::MeshClient;
use super::message::{OutgoingMessage, Tracked};

/// What goes into the message body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendMode {
    /// The event JSON (the delivery payload), as `application/json`.
    Event,
    /// The delivery payload as it is (the raw message text the router put there), sent with
    /// this content type.
    Raw {
        /// The content type, e.g. `x-application/hl7-v2+er7` or `text/csv`.
        content_type: String,
    },
}

/// One MESH destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeshSinkConfig {
    /// The recipient mailbox (`mex-To`).
    pub to: String,
    /// The workflow id (`mex-WorkflowID`).
    pub workflow_id: String,
    /// `mex-Subject`, if any (no patient data).
    pub subject: Option<String>,
    /// What to send.
    pub mode: SendMode,
    /// Gzip each chunk on the way (MESH hands the recipient the original bytes).
    pub gzip: bool,
    /// Largest chunk in bytes (uncompressed); `None` = MESH's 20 MB.
    pub chunk_size: Option<usize>,
    /// Starts every `mex-LocalID` (`<prefix>-<delivery id>`), so two installations sending
    /// from one mailbox never share local ids. Letters, digits, `-`, `_` and `.` only; other
    /// characters are replaced by `_`.
    pub local_id_prefix: String,
    /// Ask MESH's tracking by local id before sending, to avoid a duplicate on retry.
    pub check_tracking: bool,
}

impl MeshSinkConfig {
    /// Event JSON, no gzip, 20 MB chunks, prefix `junction`, tracking check on.
    pub fn new(to: impl Into<String>, workflow_id: impl Into<String>) -> Self {
        Self {
            to: to.into(),
            workflow_id: workflow_id.into(),
            subject: None,
            mode: SendMode::Event,
            gzip: false,
            chunk_size: None,
            local_id_prefix: "junction".into(),
            check_tracking: true,
        }
    }
}

/// Told `(delivery id, MESH message id)` after each delivered send.
pub type SentObserver = Arc<dyn Fn(i64, &str) + Send + Sync>;

/// The key under which a gateway keeps the MESH message id a delivery was sent as (its
/// observer records it; the admin API shows it, for tracing the message on MESH).
pub fn message_id_state_key(delivery_id: i64) -> String {
    format!("mesh:delivery:{delivery_id}")
}

/// The MESH sink.
pub struct MeshSink {
    client: Arc<MeshClient>,
    config: MeshSinkConfig,
    observer: Option<SentObserver>,
}

impl MeshSink {
    /// A sink sending through `client` (whose mailbox is the sender).
    pub fn new(client: Arc<MeshClient>, config: MeshSinkConfig) -> Self {
        Self {
            client,
            config,
            observer: None,
        }
    }

    /// Calls `observer(delivery id, MESH message id)` after every delivered send (including
    /// one found already sent by tracking), so the caller can record the MESH message id on
    /// the delivery when it drives the sink through [`Sink::send`].
    pub fn with_observer(mut self, observer: SentObserver) -> Self {
        self.observer = Some(observer);
        self
    }

    /// The `mex-LocalID` of a delivery: the same on every retry.
    pub fn local_id(&self, delivery_id: i64) -> String {
        let prefix: String = self
            .config
            .local_id_prefix
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        format!("{prefix}-{delivery_id}")
    }

    /// Sends one delivery and returns the outcome with MESH's message id (when delivered).
    /// 2xx: delivered; 403 and 4xx such as 417 (unregistered recipient): permanent, with
    /// MESH's error code and description; 429, 5xx, timeouts, transport errors: retry.
    pub async fn send_tracked(&self, d: &OutboundDelivery) -> (SendOutcome, Option<String>) {
        let local_id = self.local_id(d.id);
        if self.config.check_tracking {
            match self.client.track_by_local_id(&local_id).await {
                Ok(Tracked::One { message_id, status })
                    if status.eq_ignore_ascii_case("accepted")
                        || status.eq_ignore_ascii_case("acknowledged") =>
                {
                    tracing::info!(delivery = d.id, %message_id, "mesh: already sent, not resending");
                    return self.delivered(d.id, message_id);
                }
                // Not sent, or only partly uploaded, or ambiguous: send (at least once).
                Ok(_) => {}
                Err(e) if e.is_transient() => return (e.outcome(), None),
                Err(e) => {
                    tracing::warn!(delivery = d.id, error = %e, "mesh: tracking failed; sending")
                }
            }
        }
        let content_type = match &self.config.mode {
            SendMode::Event => "application/json".to_string(),
            SendMode::Raw { content_type } => content_type.clone(),
        };
        let msg = OutgoingMessage {
            to: self.config.to.clone(),
            workflow_id: self.config.workflow_id.clone(),
            subject: self.config.subject.clone(),
            local_id: Some(local_id),
            file_name: None,
            content_type,
            body: Bytes::from(d.payload.clone().into_bytes()),
            gzip: self.config.gzip,
            chunk_size: self.config.chunk_size,
        };
        match self.client.send(&msg).await {
            Ok(message_id) => self.delivered(d.id, message_id),
            Err(e) => (e.outcome(), None),
        }
    }

    fn delivered(&self, delivery_id: i64, message_id: String) -> (SendOutcome, Option<String>) {
        if let Some(observer) = &self.observer {
            observer(delivery_id, &message_id);
        }
        (SendOutcome::Delivered, Some(message_id))
    }
}

impl Sink for MeshSink {
    async fn send(&self, d: &OutboundDelivery) -> SendOutcome {
        self.send_tracked(d).await.0
    }
}
