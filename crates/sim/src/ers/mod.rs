//! An e-Referral Service (e-RS) STU3 simulator for the provider side Junction uses, under
//! `{base}/STU3` (base e.g. `/referrals/FHIR`): A008 `POST ReferralRequest/$ers.fetchworklist`,
//! A005 `GET ReferralRequest/{ubrn}`, A028 `POST ReferralRequest/{ubrn}/$ers.recordReviewOutcome`.
//!
//! It is strict the way the spec is: bearer auth (when required), the role headers the access
//! mode calls for, `Content-Type`/`Accept`, the request bodies' shape, `ETag` on reads and
//! `If-Match` on A028 (412 without one, 409 when it is not the current version), 404 for an
//! unknown UBRN, and eRS-OperationOutcome-1 errors. It is seeded with the spec's A005 examples;
//! tests add referrals, bump versions, inject failures and read back recorded review outcomes.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde_json::{Value, json};

mod api;
mod checks;
mod worklist;

pub use checks::authorised;

/// The spec's A005 examples, by file name.
const SEEDS: &[&str] = &[
    include_str!("fixtures/Unbooked.json"),
    include_str!("fixtures/BookedDBS.json"),
    include_str!("fixtures/BookedIBS.json"),
    include_str!("fixtures/DeferredToProvider.json"),
    include_str!("fixtures/ConvertedFromAdviceAndGuidance.json"),
    include_str!("fixtures/WithRelatedReferral.json"),
    include_str!("fixtures/WithAdditionalRequirements.json"),
    include_str!("fixtures/WithUnavailableAttachments.json"),
];

/// How callers are authorised, which decides the role headers e-RS expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Signed-JWT, unattended: A005/A008 refuse the role headers, A008 needs a service filter.
    ApplicationRestricted,
    /// CIS2 user: every call needs `NHSD-End-User-Organisation-ODS` and
    /// `NHSD-eRS-Business-Function`.
    UserRestricted,
}

/// One of the simulated operations (to aim an injected failure).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    /// A008 fetch worklist.
    FetchWorklist,
    /// A005 retrieve referral request.
    RetrieveReferral,
    /// A028 record review outcome.
    RecordReviewOutcome,
}

/// A review outcome the simulator accepted (A028), with what came with it.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedOutcome {
    /// The UBRN.
    pub ubrn: String,
    /// The version the outcome was recorded against (the `If-Match`).
    pub version: u64,
    /// The `If-Match` header as sent.
    pub if_match: String,
    /// `X-Request-ID`.
    pub request_id: Option<String>,
    /// `X-Correlation-ID`.
    pub correlation_id: Option<String>,
    /// `NHSD-End-User-Organisation-ODS`.
    pub ods: String,
    /// `NHSD-eRS-Business-Function`.
    pub business_function: String,
    /// The Parameters body.
    pub parameters: Value,
}

/// Request counts, for tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErsStats {
    /// A008 calls answered 200.
    pub worklists: u64,
    /// A005 calls answered 200.
    pub retrievals: u64,
    /// A028 calls answered 200.
    pub reviews: u64,
    /// Calls refused (any 4xx/5xx, injected failures included).
    pub refused: u64,
}

pub(crate) struct SimReferral {
    pub(crate) resource: Value,
    pub(crate) version: u64,
    pub(crate) service_id: String,
    pub(crate) pending_review: bool,
}

#[derive(Default)]
pub(crate) struct Inner {
    pub(crate) referrals: BTreeMap<String, SimReferral>,
    pub(crate) outcomes: Vec<RecordedOutcome>,
    pub(crate) failures: HashMap<Operation, VecDeque<StatusCode>>,
    pub(crate) stats: ErsStats,
}

/// The simulator's shared state.
#[derive(Clone)]
pub struct ErsSim {
    pub(crate) inner: Arc<Mutex<Inner>>,
    pub(crate) auth_required: bool,
    pub(crate) access: Access,
}

impl Default for ErsSim {
    fn default() -> Self {
        Self::new()
    }
}

impl ErsSim {
    /// Seeded with the spec's A005 examples (all pending review, each under its first
    /// shortlisted service, e.g. `11002`); no auth required; application-restricted.
    pub fn new() -> Self {
        let sim = Self {
            inner: Arc::new(Mutex::new(Inner::default())),
            auth_required: false,
            access: Access::ApplicationRestricted,
        };
        for seed in SEEDS {
            let Ok(resource) = serde_json::from_str::<Value>(seed) else {
                continue;
            };
            let service = resource["contained"]
                .as_array()
                .and_then(|c| c.iter().find(|r| r["id"] == "shortlist"))
                .and_then(|l| l["entry"][0]["item"]["identifier"]["value"].as_str())
                .unwrap_or("11002")
                .to_string();
            sim.add_referral(resource, &service);
        }
        sim
    }

    /// Requires `Authorization: Bearer <token>` on every call (401 otherwise).
    pub fn with_auth(mut self, required: bool) -> Self {
        self.auth_required = required;
        self
    }

    /// Sets the access mode the role headers are checked against.
    pub fn with_access(mut self, access: Access) -> Self {
        self.access = access;
        self
    }

    /// Adds (or replaces) a referral, pending review on `service_id`'s worklists. Its UBRN is
    /// the resource's `id`; its version its `meta.versionId` (1 if absent). Returns the version,
    /// or `None` when the resource has no `id`.
    pub fn add_referral(&self, mut resource: Value, service_id: &str) -> Option<u64> {
        let ubrn = resource["id"].as_str()?.to_string();
        let version = resource["meta"]["versionId"]
            .as_str()
            .and_then(|v| v.parse().ok())
            .unwrap_or(1);
        resource["meta"]["versionId"] = json!(version.to_string());
        self.lock().referrals.insert(
            ubrn,
            SimReferral {
                resource,
                version,
                service_id: service_id.to_string(),
                pending_review: true,
            },
        );
        Some(version)
    }

    /// Bumps a referral's version (an e-RS-side change) and puts it back on the worklist.
    /// Returns the new version.
    pub fn bump_version(&self, ubrn: &str) -> Option<u64> {
        let mut inner = self.lock();
        let r = inner.referrals.get_mut(ubrn)?;
        r.version += 1;
        r.resource["meta"]["versionId"] = json!(r.version.to_string());
        r.pending_review = true;
        Some(r.version)
    }

    /// A referral's current version.
    pub fn version(&self, ubrn: &str) -> Option<u64> {
        self.lock().referrals.get(ubrn).map(|r| r.version)
    }

    /// The next `times` calls of `operation` are answered with `status` before any check (503s
    /// carry the spec's `SYSTEM_UNAVAILABLE` OperationOutcome).
    pub fn fail_next(&self, operation: Operation, status: StatusCode, times: usize) {
        let mut inner = self.lock();
        inner
            .failures
            .entry(operation)
            .or_default()
            .extend(std::iter::repeat_n(status, times));
    }

    /// The review outcomes recorded so far, oldest first.
    pub fn review_outcomes(&self) -> Vec<RecordedOutcome> {
        self.lock().outcomes.clone()
    }

    /// Counts so far.
    pub fn stats(&self) -> ErsStats {
        self.lock().stats.clone()
    }

    pub(crate) fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The routes, mounted under `base` (e.g. `/referrals/FHIR`).
    pub fn router(&self, base: &str) -> Router {
        let stu3 = format!("{}/STU3", base.trim_end_matches('/'));
        Router::new()
            .route(
                &format!("{stu3}/ReferralRequest/$ers.fetchworklist"),
                post(worklist::fetch_worklist),
            )
            .route(
                &format!("{stu3}/ReferralRequest/{{ubrn}}"),
                get(api::retrieve),
            )
            .route(
                &format!("{stu3}/ReferralRequest/{{ubrn}}/$ers.recordReviewOutcome"),
                post(api::record_review_outcome),
            )
            .with_state(self.clone())
    }

    /// Serves on `listener` until the task is dropped.
    pub async fn serve(self, listener: tokio::net::TcpListener, base: &str) -> std::io::Result<()> {
        axum::serve(listener, self.router(base)).await
    }
}
