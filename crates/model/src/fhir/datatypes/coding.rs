//! Terminology and linking datatypes: Coding, CodeableConcept and Reference.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{Extension, Identifier};

/// A code from a code system (`Coding`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Coding {
    /// Element id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Extensions on the element.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// Code system URI.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    /// Code system version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Human-readable display for the code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
    /// Whether the user chose this coding directly.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_selected: Option<bool>,
    /// Unknown fields, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Coding {
    /// A coding with system, code and an optional display.
    pub fn new(system: impl Into<String>, code: impl Into<String>, display: Option<&str>) -> Self {
        Self {
            system: Some(system.into()),
            code: Some(code.into()),
            display: display.map(str::to_owned),
            ..Default::default()
        }
    }

    /// Whether this coding has the given system and code.
    pub fn is(&self, system: &str, code: &str) -> bool {
        self.system.as_deref() == Some(system) && self.code.as_deref() == Some(code)
    }
}

/// A concept given by codings and/or text (`CodeableConcept`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct CodeableConcept {
    /// Element id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Extensions on the element.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// Codes for the concept, possibly from several systems.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub coding: Vec<Coding>,
    /// Plain-text representation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Unknown fields, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl CodeableConcept {
    /// A concept with a single coding.
    pub fn from_coding(coding: Coding) -> Self {
        Self {
            coding: vec![coding],
            ..Default::default()
        }
    }

    /// A concept with a single coding built from system, code and display.
    pub fn coded(
        system: impl Into<String>,
        code: impl Into<String>,
        display: Option<&str>,
    ) -> Self {
        Self::from_coding(Coding::new(system, code, display))
    }

    /// A text-only concept.
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            text: Some(text.into()),
            ..Default::default()
        }
    }

    /// The first coding with the given system.
    pub fn coding_in(&self, system: &str) -> Option<&Coding> {
        self.coding
            .iter()
            .find(|c| c.system.as_deref() == Some(system))
    }
}

impl From<Coding> for CodeableConcept {
    fn from(coding: Coding) -> Self {
        Self::from_coding(coding)
    }
}

/// A reference from one resource to another (`Reference`): literal, logical
/// (by identifier) or both.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Reference {
    /// Element id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Extensions on the element.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// Literal reference: relative, absolute or `urn:uuid:`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// Type of the target resource, e.g. `Organization`.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_: Option<String>,
    /// Logical reference by business identifier (e.g. an ODS code).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identifier: Option<Box<Identifier>>,
    /// Text alternative for the target.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
    /// Unknown fields, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Reference {
    /// A literal reference, e.g. `urn:uuid:…` or `Patient/123`.
    pub fn to(reference: impl Into<String>) -> Self {
        Self {
            reference: Some(reference.into()),
            ..Default::default()
        }
    }

    /// A logical reference by identifier, with the target type.
    pub fn by_identifier(type_: impl Into<String>, identifier: Identifier) -> Self {
        Self {
            type_: Some(type_.into()),
            identifier: Some(Box::new(identifier)),
            ..Default::default()
        }
    }
}

/// `administrative-gender`: the only four values FHIR allows for
/// `Patient.gender`. See [`crate::uk_core::gender`] for mappings from HL7 v2
/// and NHS Data Dictionary codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AdministrativeGender {
    /// `male`.
    Male,
    /// `female`.
    Female,
    /// `other`.
    Other,
    /// `unknown`.
    Unknown,
}

impl AdministrativeGender {
    /// The FHIR code, e.g. `"female"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Male => "male",
            Self::Female => "female",
            Self::Other => "other",
            Self::Unknown => "unknown",
        }
    }
}
