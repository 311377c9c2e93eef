//! Choice-type (`[x]`) enums shared by several resources.
//!
//! Each variant serialises to its FHIR key (`effectiveDateTime`, …); the
//! resources hold them as flattened `Option`s.

use serde::{Deserialize, Serialize};

use super::datatypes::{Period, Timing};

/// `effective[x]` (Observation, DiagnosticReport).
#[allow(
    clippy::large_enum_variant,
    reason = "FHIR choice values are built once per message; unboxed variants are simpler to construct"
)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Effective {
    /// `effectiveDateTime`.
    #[serde(rename = "effectiveDateTime")]
    DateTime(String),
    /// `effectivePeriod`.
    #[serde(rename = "effectivePeriod")]
    Period(Period),
    /// `effectiveTiming`.
    #[serde(rename = "effectiveTiming")]
    Timing(Timing),
    /// `effectiveInstant`.
    #[serde(rename = "effectiveInstant")]
    Instant(String),
}

/// `occurrence[x]` (ServiceRequest and others).
#[allow(
    clippy::large_enum_variant,
    reason = "FHIR choice values are built once per message; unboxed variants are simpler to construct"
)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Occurrence {
    /// `occurrenceDateTime`.
    #[serde(rename = "occurrenceDateTime")]
    DateTime(String),
    /// `occurrencePeriod`.
    #[serde(rename = "occurrencePeriod")]
    Period(Period),
    /// `occurrenceTiming`.
    #[serde(rename = "occurrenceTiming")]
    Timing(Timing),
}
