//! The e-Referral Service (e-RS, Choose and Book's successor) from the service provider's side,
//! over the STU3 API at `{base}/STU3` (base e.g. `https://int.api.service.nhs.uk/referrals/FHIR`):
//!
//! ```text
//! WorklistPoller ─ A008 $ers.fetchworklist ─▶ A005 GET ReferralRequest/{ubrn} ─▶ Ingest (raw STU3)
//! dispatcher ─▶ ErsSink ─ A028 ReferralRequest/{ubrn}/$ers.recordReviewOutcome (If-Match) ─▶ e-RS
//! ```
//!
//! [`ErsClient`] is the three operations over [`crate::platform::ServiceClient`] (auth, rate
//! limit, request ids). [`WorklistPoller`] journals each new (UBRN, version) once, as the raw
//! STU3 document described in [`poller`]; the `ers` adapter maps it to R4. [`ErsSink`] records a
//! `referral.reviewed` event's outcome; the event shape it reads is in [`review`].

use crate::platform::ApiError;

pub mod client;
pub mod poller;
pub mod review;
pub mod sink;

pub use client::{AttachmentRef, ErsClient, Referral, WorklistItem};
pub use poller::{MemorySeen, PollReport, SeenReferrals, WorklistPoller};
pub use review::{ReviewError, ReviewOutcome};
pub use sink::ErsSink;

/// `Content-Type` and `Accept` of every e-RS STU3 exchange.
pub const FHIR_JSON: &str = "application/fhir+json";
/// The content type the poller journals the raw STU3 document under.
pub const STU3_CONTENT_TYPE: &str = "application/fhir+json; fhirVersion=3.0";
/// The worklist selector code system (A008 `listType`).
pub const LIST_SELECTOR_SYSTEM: &str =
    "https://fhir.nhs.uk/STU3/CodeSystem/eRS-ReferralListSelector-1";
/// The e-RS service identifier system (A008 `service`).
pub const SERVICE_SYSTEM: &str = "http://fhir.nhs.net/Id/ers-service";
/// The review outcome code system (A028 `reviewOutcome`).
pub const REVIEW_OUTCOME_SYSTEM: &str = "https://fhir.nhs.uk/STU3/CodeSystem/eRS-ReviewOutcome-1";
/// The priority code system (A028 `reviewPriority`).
pub const PRIORITY_SYSTEM: &str = "https://fhir.nhs.uk/STU3/CodeSystem/eRS-Priority-1";

/// How Junction is authorised to e-RS; it decides which role headers are sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessMode {
    /// Signed-JWT, unattended: A005 and A008 must not carry `NHSD-End-User-Organisation-ODS`
    /// or `NHSD-eRS-Business-Function`; A028 must; A008 must name a service.
    ApplicationRestricted,
    /// A CIS2 user's token: every call carries the role headers.
    UserRestricted,
}

/// What the e-RS client needs beyond the platform's [`crate::platform::ServiceConfig`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErsConfig {
    /// Application- or user-restricted.
    pub access: AccessMode,
    /// `NHSD-End-User-Organisation-ODS`: the provider organisation's ODS code, e.g. `R69`.
    pub ods_code: String,
    /// `NHSD-eRS-Business-Function`: `SERVICE_PROVIDER_CLINICIAN` or
    /// `SERVICE_PROVIDER_CLINICIAN_ADMIN`.
    pub business_function: String,
    /// `NHSD-eRS-On-Behalf-Of-User-ID`: the clinician's SDS user id when the business function is
    /// `SERVICE_PROVIDER_CLINICIAN_ADMIN`.
    pub on_behalf_of: Option<String>,
    /// The e-RS service ids whose worklists the poller fetches (one A008 per service).
    pub service_ids: Vec<String>,
    /// The worklist: `REFERRALS_FOR_REVIEW` or `APPOINTMENT_SLOT_ISSUES`.
    pub list_type: String,
}

impl ErsConfig {
    /// Application-restricted access as a service provider clinician at `ods_code`, polling the
    /// `REFERRALS_FOR_REVIEW` worklist of `service_ids`.
    pub fn new(ods_code: impl Into<String>, service_ids: Vec<String>) -> Self {
        Self {
            access: AccessMode::ApplicationRestricted,
            ods_code: ods_code.into(),
            business_function: "SERVICE_PROVIDER_CLINICIAN".into(),
            on_behalf_of: None,
            service_ids,
            list_type: "REFERRALS_FOR_REVIEW".into(),
        }
    }
}

/// Why an e-RS call or a poll failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ErsError {
    /// No answer (transport, timeout, token).
    #[error(transparent)]
    Api(#[from] ApiError),
    /// e-RS answered with an error status.
    #[error("e-RS {operation}: HTTP {status}{}", detail.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
    Status {
        /// `A008`, `A005`, `A028`.
        operation: &'static str,
        /// The HTTP status.
        status: u16,
        /// The OperationOutcome's code, display and diagnostics, if any.
        detail: Option<String>,
    },
    /// e-RS answered 2xx with something we cannot read.
    #[error("e-RS {operation}: unreadable answer: {reason}")]
    Malformed {
        /// `A008`, `A005`, `A028`.
        operation: &'static str,
        /// What was wrong (never payload content).
        reason: String,
    },
    /// The journal could not take a referral; the poll stopped and nothing more was marked seen.
    #[error("journal unavailable: {reason}")]
    IngestUnavailable {
        /// The journal's reason.
        reason: String,
    },
}

impl ErsError {
    /// True when trying again later may help (no answer, 408, 423, 429, 5xx, journal down).
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Api(_) | Self::IngestUnavailable { .. } => true,
            Self::Status { status, .. } => matches!(status, 408 | 423 | 429 | 500..=599),
            Self::Malformed { .. } => false,
        }
    }
}
