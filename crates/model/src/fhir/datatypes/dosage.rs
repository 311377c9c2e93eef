//! Medication dosing: Dosage (route, doseAndRate, asNeeded[x]) and Timing.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{CodeableConcept, Decimal, Duration, Extension, Period, Quantity, Range, Ratio};

/// When something happens, as events and/or a repeat rule (`Timing`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Timing {
    /// Element id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Extensions on the element.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// Specific times (FHIR dateTime).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub event: Vec<String>,
    /// The repeat rule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repeat: Option<TimingRepeat>,
    /// Named schedule code, e.g. `BID`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<CodeableConcept>,
    /// Unknown fields, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `Timing.repeat.bounds[x]`.
#[allow(
    clippy::large_enum_variant,
    reason = "FHIR choice values are built once per message; unboxed variants are simpler to construct"
)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum TimingBounds {
    /// `boundsDuration`.
    #[serde(rename = "boundsDuration")]
    Duration(Duration),
    /// `boundsRange`.
    #[serde(rename = "boundsRange")]
    Range(Range),
    /// `boundsPeriod`.
    #[serde(rename = "boundsPeriod")]
    Period(Period),
}

/// A repeat rule (`Timing.repeat`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct TimingRepeat {
    /// Element id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Extensions on the element.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// `bounds[x]`: length or range of the whole course.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub bounds: Option<TimingBounds>,
    /// Number of times to repeat.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    /// Maximum number of times to repeat.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count_max: Option<u32>,
    /// How long each event lasts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration: Option<Decimal>,
    /// Unit of `duration` (`s | min | h | d | wk | mo | a`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_unit: Option<String>,
    /// Events per period.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frequency: Option<u32>,
    /// Maximum events per period.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frequency_max: Option<u32>,
    /// Length of the period.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<Decimal>,
    /// Upper limit of the period.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period_max: Option<Decimal>,
    /// Unit of `period` (`s | min | h | d | wk | mo | a`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period_unit: Option<String>,
    /// Days of the week (`mon`, `tue`, …).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub day_of_week: Vec<String>,
    /// Times of day (`hh:mm:ss`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub time_of_day: Vec<String>,
    /// Event codes such as `MORN`, `ACM`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub when: Vec<String>,
    /// Minutes from the event.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<u32>,
    /// Unknown fields, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `asNeeded[x]` (on Dosage and ServiceRequest).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum AsNeeded {
    /// `asNeededBoolean`.
    #[serde(rename = "asNeededBoolean")]
    Boolean(bool),
    /// `asNeededCodeableConcept`: PRN with a reason.
    #[serde(rename = "asNeededCodeableConcept")]
    CodeableConcept(CodeableConcept),
}

/// `Dosage.doseAndRate.dose[x]`.
#[allow(
    clippy::large_enum_variant,
    reason = "FHIR choice values are built once per message; unboxed variants are simpler to construct"
)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Dose {
    /// `doseRange`.
    #[serde(rename = "doseRange")]
    Range(Range),
    /// `doseQuantity`.
    #[serde(rename = "doseQuantity")]
    Quantity(Quantity),
}

/// `Dosage.doseAndRate.rate[x]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Rate {
    /// `rateRatio`.
    #[serde(rename = "rateRatio")]
    Ratio(Ratio),
    /// `rateRange`.
    #[serde(rename = "rateRange")]
    Range(Range),
    /// `rateQuantity`.
    #[serde(rename = "rateQuantity")]
    Quantity(Quantity),
}

/// Amount of medication per dose and rate (`Dosage.doseAndRate`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct DoseAndRate {
    /// Element id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Extensions on the element.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// Kind of dose or rate (calculated, ordered).
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_: Option<CodeableConcept>,
    /// `dose[x]`.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub dose: Option<Dose>,
    /// `rate[x]`.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub rate: Option<Rate>,
    /// Unknown fields, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// How a medication is or should be taken (`Dosage`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Dosage {
    /// Element id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Extensions on the element.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// Order of the dosage instructions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sequence: Option<i32>,
    /// Free-text dosage instructions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Supplemental instructions, e.g. "with food".
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub additional_instruction: Vec<CodeableConcept>,
    /// Patient or consumer oriented instructions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patient_instruction: Option<String>,
    /// When the medication should be given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timing: Option<Timing>,
    /// `asNeeded[x]`.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub as_needed: Option<AsNeeded>,
    /// Body site.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub site: Option<CodeableConcept>,
    /// Route of administration.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub route: Option<CodeableConcept>,
    /// Technique, e.g. "Inject".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<CodeableConcept>,
    /// Amount per dose and rate.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dose_and_rate: Vec<DoseAndRate>,
    /// Upper limit per period.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_dose_per_period: Option<Ratio>,
    /// Upper limit per administration.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_dose_per_administration: Option<Quantity>,
    /// Unknown fields, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
