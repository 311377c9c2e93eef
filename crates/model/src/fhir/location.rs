//! Location: wards, beds, clinics and sites (ODS site codes).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::datatypes::{
    Address, CodeableConcept, Coding, ContactPoint, Extension, Identifier, Meta, Narrative,
    Reference,
};
use super::resource::{Resource, ResourceTag};

/// A physical place (`Location`), UK Core `UKCore-Location`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Location {
    /// Always `"Location"`; serialised first.
    #[serde(rename = "resourceType")]
    pub resource_type: ResourceTag<Location>,
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
    /// Identifiers: ODS site code, local ward code.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub identifier: Vec<Identifier>,
    /// `active | suspended | inactive`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Bed status (occupied, closed…).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operational_status: Option<Coding>,
    /// Name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Other names.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alias: Vec<String>,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `instance | kind`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    /// Type of function performed.
    #[serde(rename = "type", skip_serializing_if = "Vec::is_empty")]
    pub type_: Vec<CodeableConcept>,
    /// Contact details.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub telecom: Vec<ContactPoint>,
    /// Address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
    /// Physical form: site, building, ward, bed…
    #[serde(skip_serializing_if = "Option::is_none")]
    pub physical_type: Option<CodeableConcept>,
    /// Organisation responsible.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub managing_organization: Option<Reference>,
    /// Location this is part of (bed in ward).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub part_of: Option<Reference>,
    /// Unknown fields, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fhir::test_util::round_trip;

    #[test]
    fn ward_bed_location_round_trips() {
        let loc: Location = round_trip(
            r#"{
              "resourceType": "Location",
              "id": "loc-w1-b3",
              "meta": {"profile": ["https://fhir.hl7.org.uk/StructureDefinition/UKCore-Location"]},
              "identifier": [{"system": "https://fhir.rxx.nhs.uk/Id/bed", "value": "W1-B3"}],
              "status": "active",
              "operationalStatus": {"system": "http://terminology.hl7.org/CodeSystem/v2-0116", "code": "O", "display": "Occupied"},
              "name": "Ward 1 Bed 3",
              "alias": ["W1B3"],
              "mode": "instance",
              "type": [{"text": "ward bed"}],
              "physicalType": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/location-physical-type", "code": "bd"}]},
              "managingOrganization": {"type": "Organization", "identifier": {"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "RXX"}},
              "partOf": {"reference": "Location/loc-w1"},
              "position": {"longitude": -1.5491, "latitude": 53.8008}
            }"#,
        );
        assert_eq!(
            loc.operational_status.and_then(|c| c.code).as_deref(),
            Some("O")
        );
        assert!(loc.extra.contains_key("position"));
    }
}
