//! [`WorklistPoller`]: fetches the configured worklists (A008), retrieves every referral version
//! not seen before (A005) and journals it, one message per (UBRN, version).
//!
//! # What is journaled
//!
//! `content_type` [`super::STU3_CONTENT_TYPE`], `message_type` `ReferralRequest`, `control_id`
//! `<ubrn>@<version>`, `sender` `ers`, and `raw` this JSON (see [`Referral::journal_document`]):
//!
//! ```json
//! {"resourceType": "Bundle", "type": "collection", "entry": [
//!   {"fullUrl": "ReferralRequest/000000070001/_history/5",
//!    "resource": { ...the STU3 ReferralRequest exactly as A005 returned it, with
//!                  "meta": {"versionId": "5", ...} and its contained Appointment,
//!                  shortlist List, Parameters and DocumentReferences (attachments)... }}
//! ]}
//! ```
//!
//! A (UBRN, version) is marked seen only after the journal answered Accepted or Duplicate; on
//! Unavailable the poll stops, so the next poll offers it again.

use std::time::Duration;

use junction_connectors::{Inbound, Ingest, IngestOutcome};
use tokio_util::sync::CancellationToken;

use super::client::{ErsClient, Referral};
use super::{AccessMode, ErsError, STU3_CONTENT_TYPE};

/// The referral versions already journaled. The binary backs it with the durable store.
pub trait SeenReferrals {
    /// True when this version of this referral was journaled.
    fn contains(&self, ubrn: &str, version: u64) -> bool;
    /// Records that this version of this referral was journaled.
    fn insert(&mut self, ubrn: &str, version: u64);
}

/// An in-memory [`SeenReferrals`] (tests, and a demo without a store).
#[derive(Debug, Default, Clone)]
pub struct MemorySeen {
    seen: std::collections::HashSet<(String, u64)>,
}

impl MemorySeen {
    /// How many versions are recorded.
    pub fn len(&self) -> usize {
        self.seen.len()
    }

    /// True when nothing is recorded.
    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }
}

impl SeenReferrals for MemorySeen {
    fn contains(&self, ubrn: &str, version: u64) -> bool {
        self.seen.contains(&(ubrn.to_string(), version))
    }
    fn insert(&mut self, ubrn: &str, version: u64) {
        self.seen.insert((ubrn.to_string(), version));
    }
}

/// What one poll did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PollReport {
    /// Worklist entries read, over all services.
    pub listed: usize,
    /// Entries skipped because their version was already seen.
    pub already_seen: usize,
    /// Referrals retrieved with A005.
    pub fetched: usize,
    /// Referrals newly journaled.
    pub accepted: usize,
    /// Referrals the journal already had.
    pub duplicates: usize,
    /// Referrals whose A005 failed (retried on the next poll), with the error text.
    pub failed: Vec<String>,
}

/// The worklist poller for one e-RS source.
pub struct WorklistPoller {
    client: std::sync::Arc<ErsClient>,
    source: String,
}

impl WorklistPoller {
    /// A poller journaling under the source name `source`.
    pub fn new(client: std::sync::Arc<ErsClient>, source: impl Into<String>) -> Self {
        Self {
            client,
            source: source.into(),
        }
    }

    /// One poll: every configured service's worklist, every unseen referral version journaled.
    /// A worklist that cannot be fetched or a journal that is unavailable ends the poll with an
    /// error; one referral that cannot be retrieved is reported and skipped.
    pub async fn poll_once(
        &self,
        ingest: &impl Ingest,
        seen: &mut impl SeenReferrals,
    ) -> Result<PollReport, ErsError> {
        let config = self.client.config();
        let services: Vec<Option<&str>> = match (config.service_ids.is_empty(), config.access) {
            (true, AccessMode::UserRestricted) => vec![None],
            _ => config
                .service_ids
                .iter()
                .map(|s| Some(s.as_str()))
                .collect(),
        };
        let mut report = PollReport::default();
        for service in services {
            let items = self.client.fetch_worklist(service).await?;
            report.listed += items.len();
            for item in items {
                if item.version.is_some_and(|v| seen.contains(&item.ubrn, v)) {
                    report.already_seen += 1;
                    continue;
                }
                let referral = match self.client.retrieve_referral(&item.ubrn).await {
                    Ok(r) => r,
                    Err(e) => {
                        tracing::warn!(source = %self.source, error = %e, "e-RS referral not retrieved; retried next poll");
                        report.failed.push(e.to_string());
                        continue;
                    }
                };
                report.fetched += 1;
                if seen.contains(&referral.ubrn, referral.version) {
                    report.already_seen += 1;
                    continue;
                }
                match ingest.accept(self.inbound(&referral)).await {
                    IngestOutcome::Accepted { .. } => report.accepted += 1,
                    IngestOutcome::Duplicate { .. } => report.duplicates += 1,
                    IngestOutcome::Unavailable { reason } => {
                        return Err(ErsError::IngestUnavailable { reason });
                    }
                }
                seen.insert(&referral.ubrn, referral.version);
            }
        }
        Ok(report)
    }

    /// Polls every `interval` until `shutdown` is cancelled (the first poll at once). Errors are
    /// logged and the next poll tries again.
    pub async fn run(
        &self,
        ingest: &impl Ingest,
        seen: &mut impl SeenReferrals,
        interval: Duration,
        shutdown: CancellationToken,
    ) {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return,
                _ = ticker.tick() => {}
            }
            let poll = tokio::select! {
                () = shutdown.cancelled() => return,
                poll = self.poll_once(ingest, seen) => poll,
            };
            match poll {
                Ok(r) => {
                    tracing::debug!(source = %self.source, listed = r.listed, accepted = r.accepted,
                    duplicates = r.duplicates, failed = r.failed.len(), "e-RS worklist polled")
                }
                Err(e) => {
                    tracing::warn!(source = %self.source, error = %e, "e-RS worklist poll failed")
                }
            }
        }
    }

    fn inbound(&self, referral: &Referral) -> Inbound {
        Inbound {
            source: self.source.clone(),
            peer: None,
            received_at_ms: now_ms(),
            content_type: STU3_CONTENT_TYPE.to_string(),
            raw: bytes::Bytes::from(referral.journal_document().to_string()),
            message_type: Some("ReferralRequest".into()),
            control_id: Some(format!("{}@{}", referral.ubrn, referral.version)),
            sender: Some("ers".into()),
        }
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
