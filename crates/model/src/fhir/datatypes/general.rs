//! General-purpose FHIR datatypes: Identifier, HumanName, Address, ContactPoint and Period.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{CodeableConcept, Extension, Reference};

/// A time range; either end may be open (`Period`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Period {
    /// Element id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Extensions on the element.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// Start (FHIR dateTime, inclusive).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    /// End (FHIR dateTime, inclusive).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
    /// Unknown fields, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Period {
    /// A period with only a start.
    pub fn starting(start: impl Into<String>) -> Self {
        Self {
            start: Some(start.into()),
            ..Default::default()
        }
    }
}

/// A business identifier (`Identifier`), e.g. an NHS number or an MRN.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Identifier {
    /// Element id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Extensions, e.g. the UK Core NHS number verification status.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// `usual | official | temp | secondary | old`.
    #[serde(rename = "use", skip_serializing_if = "Option::is_none")]
    pub use_: Option<String>,
    /// Identifier type (e.g. v2-0203 `MR`).
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_: Option<CodeableConcept>,
    /// Namespace URI of the identifier.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    /// The identifier value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// When the identifier was valid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<Period>,
    /// Organisation that issued the identifier.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assigner: Option<Box<Reference>>,
    /// Unknown fields, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Identifier {
    /// An identifier with a system and value.
    pub fn new(system: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            system: Some(system.into()),
            value: Some(value.into()),
            ..Default::default()
        }
    }
}

/// A person's name (`HumanName`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct HumanName {
    /// Element id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Extensions on the element.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// `usual | official | temp | nickname | anonymous | old | maiden`.
    #[serde(rename = "use", skip_serializing_if = "Option::is_none")]
    pub use_: Option<String>,
    /// Full name as text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Family name (surname).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family: Option<String>,
    /// Given names, in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub given: Vec<String>,
    /// Titles before the name (`Mr`, `Dr`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub prefix: Vec<String>,
    /// Post-nominals after the name.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub suffix: Vec<String>,
    /// When the name was in use.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<Period>,
    /// Unknown fields, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A postal address (`Address`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Address {
    /// Element id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Extensions, e.g. UK Core address key (PAF, UPRN).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// `home | work | temp | old | billing`.
    #[serde(rename = "use", skip_serializing_if = "Option::is_none")]
    pub use_: Option<String>,
    /// `postal | physical | both`.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_: Option<String>,
    /// Full address as text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Street lines.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub line: Vec<String>,
    /// Town or city.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// District or county.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub district: Option<String>,
    /// State (rarely used in the UK).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Postcode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    /// Country (ISO 3166 code or name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// When the address was in use.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<Period>,
    /// Unknown fields, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A telephone number, email address or other contact (`ContactPoint`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ContactPoint {
    /// Element id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Extensions on the element.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// `phone | fax | email | pager | url | sms | other`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    /// The number or address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// `home | work | temp | old | mobile`.
    #[serde(rename = "use", skip_serializing_if = "Option::is_none")]
    pub use_: Option<String>,
    /// Preference order (1 = highest).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rank: Option<u32>,
    /// When the contact point was in use.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<Period>,
    /// Unknown fields, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
