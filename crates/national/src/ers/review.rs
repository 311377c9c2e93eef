//! What a review outcome is and where the [`super::ErsSink`] finds it in a Junction event.
//!
//! The sink takes a `junction_model::Event` of kind `referral.reviewed` whose bundle holds:
//!
//! ```json
//! {"resourceType": "Bundle", "type": "collection", "entry": [
//!   {"resource": {"resourceType": "ServiceRequest", "id": "sr-1",
//!     "meta": {"versionId": "5"},
//!     "identifier": [{"system": "https://fhir.nhs.uk/Id/UBRN", "value": "000000070001"}]}},
//!   {"resource": {"resourceType": "Task", "status": "completed", "intent": "order",
//!     "focus": {"reference": "ServiceRequest/sr-1"},
//!     "businessStatus": {"coding": [{"system": "https://fhir.nhs.uk/STU3/CodeSystem/eRS-ReviewOutcome-1",
//!                                    "code": "ACCEPT_REFER_BOOK_LATER"}]},
//!     "note": [{"text": "Urgent action needed. To be booked ASAP"}],
//!     "input": [{"type": {"text": "reviewPriority"},
//!                "valueCoding": {"system": "https://fhir.nhs.uk/STU3/CodeSystem/eRS-Priority-1",
//!                                "code": "URGENT"}}]}}
//! ]}
//! ```
//!
//! - the UBRN: the ServiceRequest identifier with system [`UBRN_SYSTEM`] (case-insensitive);
//! - the version the clinician reviewed: that ServiceRequest's `meta.versionId` (the e-RS
//!   referral version, which the `ers` adapter copies from the journaled STU3 `meta.versionId`);
//! - the outcome: a Task's `businessStatus` coding in [`super::REVIEW_OUTCOME_SYSTEM`], one of
//!   [`OUTCOME_CODES`] (A028's `reviewOutcome`);
//! - the comments (A028 requires them): the Task's first `note.text`;
//! - optional priority: a Task `input.valueCoding` in [`super::PRIORITY_SYSTEM`].

use junction_model::{Event, EventKind};
use serde_json::{Value, json};

use super::client::valid_ubrn;
use super::{PRIORITY_SYSTEM, REVIEW_OUTCOME_SYSTEM};

/// The UBRN identifier system (UK Core's spelling).
pub const UBRN_SYSTEM: &str = junction_model::uk_core::systems::UBRN;
/// The A028 request profile.
const RECORD_REVIEW_OUTCOME_PROFILE: &str =
    "https://fhir.nhs.uk/STU3/StructureDefinition/eRS-RecordReviewOutcome-Parameters-1";
/// The `reviewOutcome` codes A028 accepts.
pub const OUTCOME_CODES: &[&str] = &[
    "CANCEL_APPOINTMENT_ACTION_LATER",
    "PROVIDER_CONVERTED_ADVICE_AND_GUIDANCE_ADMIN_TO_REFER",
    "RETURN_TO_REFERRER_WITH_ADVICE",
    "ACCEPT_REFER_BOOK_LATER",
];

/// One review outcome to record with A028.
#[derive(Clone, PartialEq, Eq)]
pub struct ReviewOutcome {
    /// The referral's UBRN.
    pub ubrn: String,
    /// The referral version the review was made against (`If-Match: W/"n"`).
    pub version: u64,
    /// One of [`OUTCOME_CODES`].
    pub outcome: String,
    /// The triage comment (mandatory in e-RS).
    pub comments: String,
    /// `ROUTINE`, `URGENT`, `TWO_WEEK_WAIT`, if the review changes it.
    pub priority: Option<String>,
}

/// `Debug` leaves out the comments (clinical free text).
impl std::fmt::Debug for ReviewOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReviewOutcome")
            .field("ubrn", &self.ubrn)
            .field("version", &self.version)
            .field("outcome", &self.outcome)
            .field("priority", &self.priority)
            .finish_non_exhaustive()
    }
}

/// Why an event cannot be recorded as a review outcome (no payload content in the text).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReviewError {
    /// The payload is not event JSON.
    #[error("not a Junction event: {0}")]
    NotAnEvent(String),
    /// The event is of another kind.
    #[error("event kind {0} is not referral.reviewed")]
    WrongKind(String),
    /// No ServiceRequest with a usable UBRN identifier.
    #[error("no ServiceRequest with a {UBRN_SYSTEM} identifier of letters and digits")]
    NoUbrn,
    /// The ServiceRequest has no numeric `meta.versionId`.
    #[error("the referral ServiceRequest has no numeric meta.versionId")]
    NoVersion,
    /// No Task with a review outcome coding.
    #[error("no Task.businessStatus coding in {REVIEW_OUTCOME_SYSTEM}")]
    NoOutcome,
    /// The outcome code is not one A028 accepts.
    #[error("review outcome {0} is not one A028 accepts")]
    UnknownOutcome(String),
    /// The Task has no `note.text`.
    #[error("the review Task has no note text (A028 requires review comments)")]
    NoComments,
}

impl ReviewOutcome {
    /// Reads a review outcome from a delivery payload (event JSON).
    pub fn from_event_json(payload: &str) -> Result<Self, ReviewError> {
        let event =
            Event::from_json(payload).map_err(|e| ReviewError::NotAnEvent(e.to_string()))?;
        if event.kind != EventKind::ReferralReviewed {
            return Err(ReviewError::WrongKind(event.kind.as_str().to_string()));
        }
        let bundle = serde_json::to_value(&event.bundle)
            .map_err(|e| ReviewError::NotAnEvent(e.to_string()))?;
        Self::from_bundle(&bundle)
    }

    /// Reads a review outcome from the bundle described in the module docs.
    pub fn from_bundle(bundle: &Value) -> Result<Self, ReviewError> {
        let resources: Vec<&Value> = bundle["entry"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| &e["resource"])
            .collect();
        let (request, ubrn) = resources
            .iter()
            .filter(|r| r["resourceType"] == "ServiceRequest")
            .find_map(|r| ubrn_of(r).map(|u| (*r, u)))
            .ok_or(ReviewError::NoUbrn)?;
        let version = request["meta"]["versionId"]
            .as_str()
            .and_then(|v| v.parse::<u64>().ok())
            .ok_or(ReviewError::NoVersion)?;
        let (task, outcome) = resources
            .iter()
            .filter(|r| r["resourceType"] == "Task")
            .find_map(|t| {
                coding_in(&t["businessStatus"]["coding"], REVIEW_OUTCOME_SYSTEM).map(|c| (*t, c))
            })
            .ok_or(ReviewError::NoOutcome)?;
        if !OUTCOME_CODES.contains(&outcome.as_str()) {
            return Err(ReviewError::UnknownOutcome(outcome));
        }
        let comments = task["note"]
            .as_array()
            .into_iter()
            .flatten()
            .find_map(|n| n["text"].as_str().filter(|t| !t.trim().is_empty()))
            .ok_or(ReviewError::NoComments)?
            .to_string();
        let priority = task["input"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|i| i["valueCoding"]["system"] == PRIORITY_SYSTEM)
            .and_then(|i| i["valueCoding"]["code"].as_str())
            .map(str::to_string);
        Ok(Self {
            ubrn,
            version,
            outcome,
            comments,
            priority,
        })
    }

    /// The A028 request body (an `eRS-RecordReviewOutcome-Parameters-1`).
    pub fn parameters(&self) -> Value {
        let mut params = Vec::new();
        if let Some(p) = &self.priority {
            params.push(json!({"name": "reviewPriority",
                "valueCoding": {"system": PRIORITY_SYSTEM, "code": p}}));
        }
        params.push(json!({"name": "reviewOutcome",
            "valueCoding": {"system": REVIEW_OUTCOME_SYSTEM, "code": self.outcome}}));
        params.push(json!({"name": "reviewComments", "valueString": self.comments}));
        json!({
            "meta": {"profile": [RECORD_REVIEW_OUTCOME_PROFILE]},
            "resourceType": "Parameters",
            "parameter": params,
        })
    }

    /// The event bundle this outcome is read from (the module docs' shape), for tests and for
    /// adapters that emit `referral.reviewed`.
    pub fn to_bundle(&self) -> Value {
        let mut task = json!({
            "resourceType": "Task", "status": "completed", "intent": "order",
            "focus": {"reference": "ServiceRequest/ers-referral"},
            "businessStatus": {"coding": [{"system": REVIEW_OUTCOME_SYSTEM, "code": self.outcome}]},
            "note": [{"text": self.comments}],
        });
        if let Some(p) = &self.priority {
            task["input"] = json!([{"type": {"text": "reviewPriority"},
                "valueCoding": {"system": PRIORITY_SYSTEM, "code": p}}]);
        }
        json!({"resourceType": "Bundle", "type": "collection", "entry": [
            {"resource": {"resourceType": "ServiceRequest", "id": "ers-referral",
                "meta": {"versionId": self.version.to_string()},
                "identifier": [{"system": UBRN_SYSTEM, "value": self.ubrn}]}},
            {"resource": task},
        ]})
    }
}

fn ubrn_of(request: &Value) -> Option<String> {
    request["identifier"]
        .as_array()?
        .iter()
        .filter(|i| {
            i["system"]
                .as_str()
                .is_some_and(|s| s.eq_ignore_ascii_case(UBRN_SYSTEM))
        })
        .find_map(|i| i["value"].as_str().filter(|v| valid_ubrn(v)))
        .map(str::to_string)
}

fn coding_in(codings: &Value, system: &str) -> Option<String> {
    codings
        .as_array()?
        .iter()
        .find(|c| c["system"] == system)
        .and_then(|c| c["code"].as_str())
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> ReviewOutcome {
        ReviewOutcome {
            ubrn: "000000070001".into(),
            version: 5,
            outcome: "ACCEPT_REFER_BOOK_LATER".into(),
            comments: "Urgent action needed. To be booked ASAP".into(),
            priority: Some("URGENT".into()),
        }
    }

    #[test]
    fn round_trips_through_the_bundle() {
        let review = sample();
        assert_eq!(ReviewOutcome::from_bundle(&review.to_bundle()), Ok(review));
    }

    #[test]
    fn builds_the_spec_example_body() {
        let example = json!({
            "meta": {"profile": [RECORD_REVIEW_OUTCOME_PROFILE]},
            "resourceType": "Parameters",
            "parameter": [
                {"name": "reviewPriority", "valueCoding": {"system": PRIORITY_SYSTEM, "code": "URGENT"}},
                {"name": "reviewOutcome", "valueCoding": {"system": REVIEW_OUTCOME_SYSTEM, "code": "ACCEPT_REFER_BOOK_LATER"}},
                {"name": "reviewComments", "valueString": "Urgent action needed. To be booked ASAP"}
            ]
        });
        assert_eq!(sample().parameters(), example);
    }

    #[test]
    fn refuses_what_a028_would() {
        let mut bundle = sample().to_bundle();
        bundle["entry"][1]["resource"]["businessStatus"]["coding"][0]["code"] =
            json!("REFER_BOOK_NOW");
        assert_eq!(
            ReviewOutcome::from_bundle(&bundle),
            Err(ReviewError::UnknownOutcome("REFER_BOOK_NOW".into()))
        );
        let mut bundle = sample().to_bundle();
        bundle["entry"][1]["resource"]["note"] = json!([]);
        assert_eq!(
            ReviewOutcome::from_bundle(&bundle),
            Err(ReviewError::NoComments)
        );
        let mut bundle = sample().to_bundle();
        bundle["entry"][0]["resource"]["meta"] = json!({});
        assert_eq!(
            ReviewOutcome::from_bundle(&bundle),
            Err(ReviewError::NoVersion)
        );
    }
}
