//! The national services' own metrics, beside the delivery metrics every sink reports: PDS
//! lookups by outcome, platform token fetches, 429 answers and MESH inbox depth. Label values
//! are service and source names from config and the fixed sets below, never message content.

use prometheus::{IntCounterVec, IntGaugeVec, Opts, Registry};

/// PDS lookups by outcome: `{outcome}` (one of [`PDS_OUTCOMES`]).
pub const PDS_LOOKUPS_TOTAL: &str = "junction_pds_lookups_total";
/// Access-token fetches from the platform's token endpoint: `{service, outcome}` (`ok`, `failed`).
pub const TOKEN_REFRESHES_TOTAL: &str = "junction_national_token_refreshes_total";
/// Answers with HTTP 429 (the service's rate limit): `{service}`.
pub const RATE_LIMITED_TOTAL: &str = "junction_national_rate_limited_total";
/// Messages in a MESH inbox at its last listing: `{source}`.
pub const MESH_INBOX_MESSAGES: &str = "junction_mesh_inbox_messages";

/// Every name defined here.
pub const NAMES: &[&str] = &[
    PDS_LOOKUPS_TOTAL,
    TOKEN_REFRESHES_TOTAL,
    RATE_LIMITED_TOTAL,
    MESH_INBOX_MESSAGES,
];

/// The `outcome` values of [`PDS_LOOKUPS_TOTAL`]: the `pds` annotation's outcomes, then why a
/// lookup gave no answer.
pub const PDS_OUTCOMES: &[&str] = &[
    "verified",
    "mismatch",
    "restricted",
    "superseded",
    "not_found",
    "invalidated",
    "invalid_nhs_number",
    "no_nhs_number",
    "unavailable",
    "refused",
    "malformed",
    "no_answer",
];

/// Handles to the national metrics. Cheap to clone. [`Default`] gives handles registered
/// nowhere (for clients built without a registry, as in tests).
#[derive(Debug, Clone)]
pub struct NationalMetrics {
    pds: IntCounterVec,
    token_refreshes: IntCounterVec,
    rate_limited: IntCounterVec,
    mesh_inbox: IntGaugeVec,
}

impl NationalMetrics {
    /// Creates the metrics and registers them in `registry` (once per registry).
    pub fn new(registry: &Registry) -> Result<Self, prometheus::Error> {
        let m = Self::unregistered()?;
        registry.register(Box::new(m.pds.clone()))?;
        registry.register(Box::new(m.token_refreshes.clone()))?;
        registry.register(Box::new(m.rate_limited.clone()))?;
        registry.register(Box::new(m.mesh_inbox.clone()))?;
        Ok(m)
    }

    fn unregistered() -> Result<Self, prometheus::Error> {
        Ok(Self {
            pds: IntCounterVec::new(
                Opts::new(PDS_LOOKUPS_TOTAL, "PDS checks of a patient, by outcome."),
                &["outcome"],
            )?,
            token_refreshes: IntCounterVec::new(
                Opts::new(
                    TOKEN_REFRESHES_TOTAL,
                    "Access-token fetches from the API platform, by outcome.",
                ),
                &["service", "outcome"],
            )?,
            rate_limited: IntCounterVec::new(
                Opts::new(
                    RATE_LIMITED_TOTAL,
                    "Answers of HTTP 429 Too Many Requests from a national service.",
                ),
                &["service"],
            )?,
            mesh_inbox: IntGaugeVec::new(
                Opts::new(
                    MESH_INBOX_MESSAGES,
                    "Messages waiting in a MESH inbox at its last listing.",
                ),
                &["source"],
            )?,
        })
    }

    /// Creates a service's series at zero (`pds`, `ers`, `eps`, `mesh`); for `pds` also every
    /// lookup outcome.
    pub fn add_service(&self, service: &str) {
        for outcome in ["ok", "failed"] {
            self.token_refreshes.with_label_values(&[service, outcome]);
        }
        self.rate_limited.with_label_values(&[service]);
        if service == "pds" {
            for outcome in PDS_OUTCOMES {
                self.pds.with_label_values(&[outcome]);
            }
        }
    }

    /// Creates a MESH inbox source's depth gauge at zero.
    pub fn add_mesh_inbox(&self, source: &str) {
        self.mesh_inbox.with_label_values(&[source]).set(0);
    }

    /// Counts one PDS check's outcome (one of [`PDS_OUTCOMES`]).
    pub fn pds_lookup(&self, outcome: &str) {
        self.pds.with_label_values(&[outcome]).inc();
    }

    /// Counts one token fetch.
    pub fn token_refresh(&self, service: &str, ok: bool) {
        let outcome = if ok { "ok" } else { "failed" };
        self.token_refreshes
            .with_label_values(&[service, outcome])
            .inc();
    }

    /// Counts one 429 answer.
    pub fn rate_limited(&self, service: &str) {
        self.rate_limited.with_label_values(&[service]).inc();
    }

    /// Sets a MESH inbox's depth.
    pub fn mesh_inbox(&self, source: &str, messages: usize) {
        let n = i64::try_from(messages).unwrap_or(i64::MAX);
        self.mesh_inbox.with_label_values(&[source]).set(n);
    }
}

impl Default for NationalMetrics {
    fn default() -> Self {
        Self::unregistered().expect("constant metric names and labels are valid")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn added_series_exist_at_zero() {
        let r = Registry::new();
        let m = NationalMetrics::new(&r).unwrap();
        m.add_service("pds");
        m.add_mesh_inbox("inbox");
        let families = r.gather();
        let count = |name: &str| {
            families
                .iter()
                .find(|f| f.name() == name)
                .map_or(0, |f| f.get_metric().len())
        };
        assert_eq!(count(PDS_LOOKUPS_TOTAL), PDS_OUTCOMES.len());
        assert_eq!(count(TOKEN_REFRESHES_TOTAL), 2);
        assert_eq!(count(RATE_LIMITED_TOTAL), 1);
        assert_eq!(count(MESH_INBOX_MESSAGES), 1);
        assert!(NationalMetrics::new(&r).is_err(), "registered twice");
    }
}
