//! The routing step `pds_verify`: reads the event's patient's NHS number, asks PDS (or the
//! cache) for the record, compares the demographics ([`super::compare`]) and writes the result
//! to `event.annotations["pds"]`:
//!
//! ```json
//! {"outcome": "mismatch", "restricted": false,
//!  "checked": ["family", "birthDate", "gender", "postalCode"], "fields": ["family"]}
//! ```
//!
//! | `outcome` | meaning |
//! |---|---|
//! | `verified` | PDS has the record and every `checked` field matches |
//! | `mismatch` | some field differs: `fields` lists them |
//! | `restricted` | the record is restricted (so PDS shows no address) and what PDS shows matches |
//! | `superseded` | PDS answered another record for this number: `nhs_number` is the new one; `fields` compares against it |
//! | `not_found` | PDS has no record for the number |
//! | `invalidated` | the record was invalidated and not superseded |
//! | `invalid_nhs_number` | the event's NHS number fails the modulus 11 check (or PDS says so) |
//! | `no_nhs_number` | the event has no Patient with an NHS number identifier |
//!
//! `restricted` (bool) is always present; `checked` and `fields` (FHIR element names) are
//! present whenever a PDS record was compared. `nhs_number` appears only for `superseded`
//! (destinations need the new number; the annotation goes to destinations, never to logs).
//! When PDS cannot be asked (transport, token, 408/429/5xx, refusal) `verify` returns the
//! error and leaves the annotations alone, so the caller can retry the step.

use std::time::Duration;

use junction_connectors::ConnectorError;
use junction_model::fhir::Patient;
use junction_model::uk_core::systems;
use junction_model::{Event, NhsNumber};
use serde_json::{Value, json};

use super::cache::LookupCache;
use super::compare::compare;
use super::{Lookup, PdsClient, PdsError};
use crate::platform::ServiceConfig;

/// The annotation key.
pub const ANNOTATION: &str = "pds";

/// The verifier as configured.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifierConfig {
    /// PDS: base URL (`…/personal-demographics/FHIR/R4`), auth, rate limit, timeout.
    pub service: ServiceConfig,
    /// How long a PDS answer is reused for the same NHS number (zero: never).
    pub cache_ttl: Duration,
    /// Most NHS numbers remembered (zero: no cache).
    pub cache_size: usize,
}

impl VerifierConfig {
    /// `service` with a 10-minute cache of up to 10,000 answers.
    pub fn new(service: ServiceConfig) -> Self {
        Self {
            service,
            cache_ttl: Duration::from_secs(600),
            cache_size: 10_000,
        }
    }
}

/// The `pds_verify` step.
pub struct Verifier {
    client: PdsClient,
    cache: LookupCache,
}

impl Verifier {
    /// Builds the PDS client (reading the private key now) and an empty cache.
    pub fn new(config: VerifierConfig) -> Result<Self, ConnectorError> {
        Ok(Self::with_client(
            PdsClient::new(config.service)?,
            config.cache_ttl,
            config.cache_size,
        ))
    }

    /// A verifier over an existing client.
    pub fn with_client(client: PdsClient, cache_ttl: Duration, cache_size: usize) -> Self {
        Self {
            client,
            cache: LookupCache::new(cache_ttl, cache_size),
        }
    }

    /// Counts every check's outcome (and the client's token fetches and 429s) in `metrics`.
    pub fn with_metrics(self, metrics: crate::metrics::NationalMetrics) -> Self {
        Self {
            client: self.client.with_metrics(metrics),
            cache: self.cache,
        }
    }

    /// Checks the event's patient against PDS and sets `event.annotations["pds"]`; on an
    /// error nothing is set.
    pub async fn verify(&self, event: &mut Event) -> Result<(), PdsError> {
        let checked = self.check(event).await;
        let outcome = match &checked {
            Ok(annotation) => annotation["outcome"].as_str().unwrap_or("no_answer"),
            Err(PdsError::Unavailable { .. }) => "unavailable",
            Err(PdsError::Refused { .. }) => "refused",
            Err(PdsError::Malformed) => "malformed",
            Err(PdsError::Api(_)) => "no_answer",
        };
        self.client.metrics().pds_lookup(outcome);
        let annotation = checked?;
        event.annotations.insert(ANNOTATION.to_string(), annotation);
        Ok(())
    }

    /// The annotation [`Self::verify`] would set.
    pub async fn check(&self, event: &Event) -> Result<Value, PdsError> {
        let (local, nhs) = match local_patient(event) {
            Local::None => return Ok(simple("no_nhs_number")),
            Local::Invalid => return Ok(simple("invalid_nhs_number")),
            Local::Found(patient, nhs) => (patient, nhs),
        };
        let lookup = match self.cache.get(&nhs) {
            Some(hit) => hit,
            None => {
                let fetched = self
                    .client
                    .get_patient(&nhs, Some(&event.correlation_id))
                    .await?;
                self.cache.put(nhs, fetched.clone());
                fetched
            }
        };
        Ok(match lookup {
            Lookup::NotFound => simple("not_found"),
            Lookup::Invalidated => simple("invalidated"),
            Lookup::InvalidNhsNumber => simple("invalid_nhs_number"),
            Lookup::Found(pds) => {
                let cmp = compare(local, &pds.patient);
                let restricted = pds.restricted();
                let superseding = pds.nhs_number().filter(|n| *n != nhs);
                let outcome = if superseding.is_some() {
                    "superseded"
                } else if !cmp.mismatched.is_empty() {
                    "mismatch"
                } else if restricted {
                    "restricted"
                } else {
                    "verified"
                };
                let names = |fields: &[super::Field]| -> Vec<&str> {
                    fields.iter().map(|f| f.as_str()).collect()
                };
                let mut out = json!({
                    "outcome": outcome,
                    "restricted": restricted,
                    "checked": names(&cmp.checked),
                    "fields": names(&cmp.mismatched),
                });
                if let Some(new) = superseding {
                    out["nhs_number"] = json!(new.as_digits());
                }
                out
            }
        })
    }
}

fn simple(outcome: &str) -> Value {
    json!({ "outcome": outcome, "restricted": false })
}

enum Local<'a> {
    None,
    Invalid,
    Found(&'a Patient, NhsNumber),
}

/// The first Patient with an NHS number identifier (a valid one if any is).
fn local_patient(event: &Event) -> Local<'_> {
    let mut seen_invalid = false;
    for patient in event.bundle.resources_of::<Patient>() {
        for id in &patient.identifier {
            if id.system.as_deref() != Some(systems::NHS_NUMBER) {
                continue;
            }
            match id.value.as_deref().map(NhsNumber::parse) {
                Some(Ok(nhs)) => return Local::Found(patient, nhs),
                _ => seen_invalid = true,
            }
        }
    }
    if seen_invalid {
        Local::Invalid
    } else {
        Local::None
    }
}
