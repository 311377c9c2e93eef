//! Resource metadata and text: Meta, Narrative, Attachment and Annotation.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{Coding, Extension, Reference};

/// Metadata about a resource (`Meta`): version, profiles, security labels.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Meta {
    /// Element id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Extensions on the element.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// Version specific identifier.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    /// When the resource last changed (FHIR instant).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_updated: Option<String>,
    /// Where the resource came from (URI).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Profiles the resource claims to conform to (e.g. UK Core).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub profile: Vec<String>,
    /// Security labels.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub security: Vec<Coding>,
    /// Tags.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tag: Vec<Coding>,
    /// Unknown fields, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Meta {
    /// Meta claiming a single profile.
    pub fn with_profile(profile: impl Into<String>) -> Self {
        Self {
            profile: vec![profile.into()],
            ..Default::default()
        }
    }
}

/// Human-readable summary of a resource (`Narrative`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Narrative {
    /// Element id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Extensions on the element.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// `generated | extensions | additional | empty`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// XHTML `<div>`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub div: Option<String>,
    /// Unknown fields, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Content in a format defined elsewhere, inline or by URL (`Attachment`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Attachment {
    /// Element id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Extensions on the element.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// MIME type, e.g. `application/pdf`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// Human language of the content.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// Inline data, base64.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
    /// Where the data can be fetched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Size in bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// SHA-1 of the data, base64.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
    /// Label to display.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// When first created (FHIR dateTime).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub creation: Option<String>,
    /// Unknown fields, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Who wrote an annotation (`Annotation.author[x]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum AnnotationAuthor {
    /// `authorReference`.
    #[serde(rename = "authorReference")]
    Reference(Reference),
    /// `authorString`.
    #[serde(rename = "authorString")]
    String(String),
}

/// A text note with author and time (`Annotation`), e.g. an NTE segment.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Annotation {
    /// Element id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Extensions on the element.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// `author[x]`.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub author: Option<AnnotationAuthor>,
    /// When the note was made (FHIR dateTime).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
    /// The note (markdown).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Unknown fields, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
