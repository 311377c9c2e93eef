//! [`ErsSink`]: delivers a `referral.reviewed` event to e-RS as A028
//! `$ers.recordReviewOutcome` against the referral version the clinician reviewed.
//!
//! Outcomes: 2xx delivered; 409 (the referral changed since that version) and 412 permanent,
//! saying so; 423 (e-RS is updating the referral) and 408, 429, 5xx retry; any other status
//! permanent with e-RS's error code and display; no answer retry.

use std::sync::Arc;

use junction_connectors::{OutboundDelivery, SendOutcome, Sink};

use super::client::ErsClient;
use super::review::ReviewOutcome;

/// The e-RS review-outcome sink.
pub struct ErsSink {
    client: Arc<ErsClient>,
}

impl ErsSink {
    /// A sink over `client` (which may be shared with the poller).
    pub fn new(client: Arc<ErsClient>) -> Self {
        Self { client }
    }
}

impl Sink for ErsSink {
    async fn send(&self, d: &OutboundDelivery) -> SendOutcome {
        let review = match ReviewOutcome::from_event_json(&d.payload) {
            Ok(r) => r,
            Err(e) => return SendOutcome::permanent(format!("e-RS A028: {e}")),
        };
        let request_id = self.client.api().delivery_request_id(d.id);
        let res = match self
            .client
            .record_review_outcome(&review, request_id, Some(d.message_id.to_string()))
            .await
        {
            Ok(res) => res,
            Err(e) => return e.outcome(),
        };
        let detail = junction_connectors::http_client::operation_outcome_text(&res.body)
            .map(|t| format!(": {t}"))
            .unwrap_or_default();
        match res.status.as_u16() {
            409 => SendOutcome::permanent(format!(
                "e-RS A028 HTTP 409: version conflict: the referral is no longer at version {} \
                 (changed in e-RS since it was reviewed); review the current version{detail}",
                review.version
            )),
            412 => SendOutcome::permanent(format!(
                "e-RS A028 HTTP 412: precondition failed (If-Match W/\"{}\" or mandatory data){detail}",
                review.version
            )),
            423 => SendOutcome::Retry {
                error: format!(
                    "e-RS A028 HTTP 423: the referral is locked by another update{detail}"
                ),
                retry_after: junction_connectors::http_client::retry_after(&res.headers),
            },
            _ => match res.outcome() {
                SendOutcome::Delivered => SendOutcome::Delivered,
                SendOutcome::Retry { error, retry_after } => SendOutcome::Retry {
                    error: format!("e-RS A028 {error}"),
                    retry_after,
                },
                SendOutcome::Permanent { error } => {
                    SendOutcome::permanent(format!("e-RS A028 {error}"))
                }
            },
        }
    }
}
