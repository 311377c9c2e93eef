//! Measured amounts: Quantity (and its Duration/Age profiles), Range and Ratio.
//!
//! FHIR decimals are kept as [`Decimal`] (a JSON number) so that `10` stays
//! `10` and `2.5` stays `2.5` through a round trip.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::Extension;

/// A FHIR `decimal`: a JSON number, kept as parsed (integer or float).
pub type Decimal = serde_json::Number;

/// The UCUM code system, used for units of measure.
pub const UCUM: &str = "http://unitsofmeasure.org";

/// A measured amount (`Quantity`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Quantity {
    /// Element id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Extensions on the element.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// Numerical value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<Decimal>,
    /// `< | <= | >= | >`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comparator: Option<String>,
    /// Unit as displayed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// System of the coded unit (usually UCUM).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    /// Coded unit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Unknown fields, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Quantity {
    /// A quantity with a UCUM unit, e.g. `Quantity::ucum(10.into(), "mg")`.
    pub fn ucum(value: Decimal, code: &str) -> Self {
        Self {
            value: Some(value),
            unit: Some(code.to_owned()),
            system: Some(UCUM.to_owned()),
            code: Some(code.to_owned()),
            ..Default::default()
        }
    }
}

/// A length of time (`Duration`, a profile of Quantity).
pub type Duration = Quantity;
/// An age (`Age`, a profile of Quantity).
pub type Age = Quantity;
/// A quantity without a comparator (`SimpleQuantity`).
pub type SimpleQuantity = Quantity;

/// A range of quantities (`Range`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Range {
    /// Element id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Extensions on the element.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// Low limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub low: Option<Quantity>,
    /// High limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub high: Option<Quantity>,
    /// Unknown fields, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A ratio of two quantities (`Ratio`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Ratio {
    /// Element id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Extensions on the element.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// Numerator.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub numerator: Option<Quantity>,
    /// Denominator.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub denominator: Option<Quantity>,
    /// Unknown fields, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
