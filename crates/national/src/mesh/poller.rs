//! [`InboxPoller`]: the MESH inbox as a source. Each poll lists the inbox, downloads every
//! message whole, hands it to the journal ([`Ingest::accept`]) and acknowledges it on MESH only
//! once the journal answered Accepted or Duplicate, so a message is never lost between MESH
//! and the journal; after Unavailable it stays in the inbox for the next poll. Error reports
//! (`REPORT` messages about something we sent) are journaled too, as a small JSON document.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use junction_connectors::{Inbound, Ingest, IngestOutcome};
use serde_json::json;
use tokio_util::sync::CancellationToken;

use super::client::MeshClient;
use super::error::MeshError;
use super::message::InboxMessage;

/// The content type recorded for a MESH error report.
pub const MESH_REPORT_CONTENT_TYPE: &str = "application/vnd.junction.mesh-report+json";
/// MESH returns at most this many ids per listing; a full listing means "poll again now".
const FULL_PAGE: usize = 500;
/// How often the run loop validates the mailbox (MESH asks for once a day).
const HANDSHAKE_EVERY: Duration = Duration::from_secs(24 * 60 * 60);

/// How one inbox is polled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollerConfig {
    /// The source name recorded on every journaled message.
    pub source: String,
    /// The content type recorded when MESH gives none (or only `application/octet-stream`).
    pub default_content_type: String,
    /// Time between polls (MESH asks for no more often than every 5 minutes in production).
    pub interval: Duration,
}

/// What one poll did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PollReport {
    /// Messages listed in the inbox.
    pub listed: usize,
    /// Journaled anew and acknowledged.
    pub accepted: usize,
    /// Already journaled (a repeat after a lost acknowledgement) and acknowledged.
    pub duplicates: usize,
    /// Error reports among them (counted in `accepted`/`duplicates` too).
    pub reports: usize,
    /// Left in the inbox: the journal was unavailable (the poll stops at the first).
    pub unavailable: usize,
    /// Left in the inbox: the download failed (tried again next poll).
    pub download_failed: usize,
    /// Journaled but the acknowledgement failed (comes back next poll as a duplicate).
    pub ack_failed: usize,
}

/// Polls one MESH inbox into the journal.
pub struct InboxPoller {
    client: Arc<MeshClient>,
    config: PollerConfig,
}

impl InboxPoller {
    /// A poller of `client`'s mailbox.
    pub fn new(client: Arc<MeshClient>, config: PollerConfig) -> Self {
        client.metrics().add_mesh_inbox(&config.source);
        Self { client, config }
    }

    /// Lists, downloads, journals and acknowledges everything in the inbox once. Fails only
    /// when the inbox cannot be listed or MESH refuses our credentials (403).
    pub async fn poll_once(&self, ingest: &impl Ingest) -> Result<PollReport, MeshError> {
        let ids = self.client.list_inbox().await?;
        self.client
            .metrics()
            .mesh_inbox(&self.config.source, ids.len());
        let mut report = PollReport {
            listed: ids.len(),
            ..PollReport::default()
        };
        for id in ids {
            let msg = match self.client.download(&id).await {
                Ok(m) => m,
                Err(e @ MeshError::Forbidden { .. }) => return Err(e),
                Err(e) => {
                    tracing::warn!(message_id = %id, error = %e, "mesh: download failed");
                    report.download_failed += 1;
                    continue;
                }
            };
            let is_report = msg.message_type.eq_ignore_ascii_case("REPORT");
            match ingest.accept(self.inbound(&msg)).await {
                IngestOutcome::Accepted { .. } => report.accepted += 1,
                IngestOutcome::Duplicate { .. } => report.duplicates += 1,
                IngestOutcome::Unavailable { reason } => {
                    tracing::warn!(message_id = %id, %reason, "mesh: journal unavailable; left in the inbox");
                    report.unavailable += 1;
                    break;
                }
            }
            if is_report {
                report.reports += 1;
            }
            if let Err(e) = self.client.acknowledge(&id).await {
                tracing::warn!(message_id = %id, error = %e, "mesh: acknowledge failed");
                report.ack_failed += 1;
            }
        }
        Ok(report)
    }

    /// Polls every `interval` until `shutdown` fires (at once again after a full listing of
    /// 500), validating the mailbox at start and once a day. Poll errors are logged, not
    /// fatal: the next poll tries again.
    pub async fn run(&self, ingest: &impl Ingest, shutdown: CancellationToken) {
        let mut last_handshake: Option<tokio::time::Instant> = None;
        while !shutdown.is_cancelled() {
            if last_handshake.is_none_or(|t| t.elapsed() >= HANDSHAKE_EVERY) {
                match self.client.handshake().await {
                    Ok(()) => last_handshake = Some(tokio::time::Instant::now()),
                    Err(e) => tracing::warn!(error = %e, "mesh: handshake failed"),
                }
            }
            let again_now = match self.poll_once(ingest).await {
                Ok(r) => {
                    if r.listed > 0 {
                        tracing::info!(source = %self.config.source, ?r, "mesh: polled");
                    }
                    r.listed >= FULL_PAGE && r.unavailable == 0
                }
                Err(e) => {
                    tracing::warn!(source = %self.config.source, error = %e, "mesh: poll failed");
                    false
                }
            };
            if again_now {
                continue;
            }
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = tokio::time::sleep(self.config.interval) => {}
            }
        }
    }

    fn inbound(&self, msg: &InboxMessage) -> Inbound {
        let is_report = msg.message_type.eq_ignore_ascii_case("REPORT");
        let (content_type, raw) = if is_report {
            (MESH_REPORT_CONTENT_TYPE.to_string(), report_body(msg))
        } else {
            let given = msg
                .content_type
                .as_deref()
                .filter(|t| !t.is_empty() && !t.eq_ignore_ascii_case("application/octet-stream"));
            let content_type = given.unwrap_or(&self.config.default_content_type);
            (content_type.to_string(), msg.body.clone())
        };
        Inbound {
            source: self.config.source.clone(),
            peer: None,
            received_at_ms: now_ms(),
            content_type,
            raw,
            message_type: msg.workflow_id.clone(),
            control_id: Some(msg.message_id.clone()),
            sender: msg.from.clone(),
        }
    }
}

/// An error report's headers as JSON (the report itself has no body).
fn report_body(msg: &InboxMessage) -> Bytes {
    let doc = json!({
        "message_type": msg.message_type,
        "message_id": msg.message_id,
        "linked_message_id": msg.linked_message_id,
        "local_id": msg.local_id,
        "workflow_id": msg.workflow_id,
        "status_code": msg.status_code,
        "status_description": msg.status_description,
    });
    Bytes::from(doc.to_string())
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
