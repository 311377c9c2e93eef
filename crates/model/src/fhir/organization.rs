//! Organization: trusts, GP practices and other bodies identified by ODS code.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::datatypes::{
    Address, CodeableConcept, ContactPoint, Extension, Identifier, Meta, Narrative, Reference,
};
use super::resource::{Resource, ResourceTag};

/// An organisation (`Organization`), UK Core `UKCore-Organization`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Organization {
    /// Always `"Organization"`; serialised first.
    #[serde(rename = "resourceType")]
    pub resource_type: ResourceTag<Organization>,
    /// Logical id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Metadata: version, profiles, security labels.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// Human-readable narrative.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<Narrative>,
    /// Contained, inline resources.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub contained: Vec<Resource>,
    /// Extensions.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// Extensions that modify meaning.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub modifier_extension: Vec<Extension>,
    /// Identifiers, usually the ODS organisation code.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub identifier: Vec<Identifier>,
    /// Whether the record is in active use.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    /// Kind of organisation.
    #[serde(rename = "type", skip_serializing_if = "Vec::is_empty")]
    pub type_: Vec<CodeableConcept>,
    /// Name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Other names.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alias: Vec<String>,
    /// Contact details.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub telecom: Vec<ContactPoint>,
    /// Addresses.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub address: Vec<Address>,
    /// Parent organisation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub part_of: Option<Reference>,
    /// Unknown fields, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Organization {
    /// An organisation identified by ODS code, with a name.
    pub fn ods(code: &str, name: Option<&str>) -> Self {
        Self {
            identifier: vec![crate::uk_core::ods_organization_identifier(code)],
            name: name.map(str::to_owned),
            ..Default::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fhir::test_util::round_trip;

    #[test]
    fn organization_round_trips() {
        let org: Organization = round_trip(
            r#"{
              "resourceType": "Organization",
              "id": "3b4b03a5-52ba-4ba6-9b82-70350aa109d8",
              "identifier": [{"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "RRERP"}],
              "active": true,
              "type": [{"coding": [{"system": "https://fhir.nhs.uk/CodeSystem/organisation-role", "code": "197"}]}],
              "name": "PRESCRIBER 240",
              "telecom": [{"system": "phone", "value": "01233123123", "use": "work"}],
              "address": [{"line": ["SUNDORNE ROAD", "SHREWSBURY"], "postalCode": "SY1 4RQ"}],
              "partOf": {"identifier": {"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "RRE"},
                "display": "MIDLANDS PARTNERSHIP NHS FOUNDATION TRUST"}
            }"#,
        );
        assert_eq!(org.name.as_deref(), Some("PRESCRIBER 240"));
    }

    #[test]
    fn ods_constructor() {
        let org = Organization::ods("rxx", Some("Test Trust"));
        assert_eq!(
            serde_json::to_value(&org).unwrap(),
            serde_json::json!({
                "resourceType": "Organization",
                "identifier": [{"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "RXX"}],
                "name": "Test Trust"
            })
        );
    }
}
