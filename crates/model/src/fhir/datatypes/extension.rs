//! Extensions (`Extension` with its `value[x]` choice) and `Element`, the
//! container for extensions on primitive values (`_birthDate` and friends).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{
    Address, Attachment, CodeableConcept, Coding, ContactPoint, Decimal, HumanName, Identifier,
    Period, Quantity, Range, Ratio, Reference,
};

/// An extension (`Extension`): a URL and either a value or nested extensions.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Extension {
    /// Element id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Nested extensions (complex extensions).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// Identifies the meaning of the extension.
    pub url: String,
    /// `value[x]`.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub value: Option<ExtensionValue>,
    /// Unknown fields, kept for round-tripping (including `value[x]` types
    /// not modelled in [`ExtensionValue`]).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Extension {
    /// A simple extension with a value.
    pub fn with_value(url: impl Into<String>, value: ExtensionValue) -> Self {
        Self {
            url: url.into(),
            value: Some(value),
            ..Default::default()
        }
    }

    /// A complex extension made of nested extensions.
    pub fn complex(url: impl Into<String>, extension: Vec<Extension>) -> Self {
        Self {
            url: url.into(),
            extension,
            ..Default::default()
        }
    }

    /// The nested extension with the given URL.
    pub fn nested(&self, url: &str) -> Option<&Extension> {
        self.extension.iter().find(|e| e.url == url)
    }
}

/// `Extension.value[x]`: each variant serialises to its FHIR key
/// (`valueString`, `valueCodeableConcept`, …).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ExtensionValue {
    /// `valueBoolean`.
    #[serde(rename = "valueBoolean")]
    Boolean(bool),
    /// `valueInteger`.
    #[serde(rename = "valueInteger")]
    Integer(i64),
    /// `valueDecimal`.
    #[serde(rename = "valueDecimal")]
    Decimal(Decimal),
    /// `valueString`.
    #[serde(rename = "valueString")]
    String(String),
    /// `valueCode`.
    #[serde(rename = "valueCode")]
    Code(String),
    /// `valueUri`.
    #[serde(rename = "valueUri")]
    Uri(String),
    /// `valueUrl`.
    #[serde(rename = "valueUrl")]
    Url(String),
    /// `valueDate`.
    #[serde(rename = "valueDate")]
    Date(String),
    /// `valueDateTime`.
    #[serde(rename = "valueDateTime")]
    DateTime(String),
    /// `valueInstant`.
    #[serde(rename = "valueInstant")]
    Instant(String),
    /// `valueTime`.
    #[serde(rename = "valueTime")]
    Time(String),
    /// `valueCoding`.
    #[serde(rename = "valueCoding")]
    Coding(Coding),
    /// `valueCodeableConcept`.
    #[serde(rename = "valueCodeableConcept")]
    CodeableConcept(CodeableConcept),
    /// `valueIdentifier`.
    #[serde(rename = "valueIdentifier")]
    Identifier(Identifier),
    /// `valueReference`.
    #[serde(rename = "valueReference")]
    Reference(Reference),
    /// `valuePeriod`.
    #[serde(rename = "valuePeriod")]
    Period(Period),
    /// `valueQuantity`.
    #[serde(rename = "valueQuantity")]
    Quantity(Quantity),
    /// `valueRange`.
    #[serde(rename = "valueRange")]
    Range(Range),
    /// `valueRatio`.
    #[serde(rename = "valueRatio")]
    Ratio(Ratio),
    /// `valueAddress`.
    #[serde(rename = "valueAddress")]
    Address(Address),
    /// `valueHumanName`.
    #[serde(rename = "valueHumanName")]
    HumanName(HumanName),
    /// `valueContactPoint`.
    #[serde(rename = "valueContactPoint")]
    ContactPoint(ContactPoint),
    /// `valueAttachment`.
    #[serde(rename = "valueAttachment")]
    Attachment(Attachment),
}

/// Id and extensions for a primitive value, serialised under `_field`
/// (e.g. `_birthDate` carrying the patient-birthTime extension).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Element {
    /// Element id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Extensions on the primitive.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// Unknown fields, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
