//! ImagingStudy: a DICOM study made available by PACS, with series and instances.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::datatypes::{
    Annotation, CodeableConcept, Coding, Extension, Identifier, Meta, Narrative, Reference,
};
use super::resource::{Resource, ResourceTag};

/// A DICOM study (`ImagingStudy`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ImagingStudy {
    /// Always `"ImagingStudy"`; serialised first.
    #[serde(rename = "resourceType")]
    pub resource_type: ResourceTag<ImagingStudy>,
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
    /// Identifiers: Study Instance UID (`urn:oid:`), accession number.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub identifier: Vec<Identifier>,
    /// `registered | available | cancelled | entered-in-error | unknown`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Modalities (DICOM codes).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub modality: Vec<Coding>,
    /// The patient.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<Reference>,
    /// Encounter.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encounter: Option<Reference>,
    /// When the study started (FHIR dateTime).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started: Option<String>,
    /// Requests fulfilled.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub based_on: Vec<Reference>,
    /// Referring practitioner.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub referrer: Option<Reference>,
    /// Who read the study.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub interpreter: Vec<Reference>,
    /// Where the study can be retrieved (WADO-RS, …).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub endpoint: Vec<Reference>,
    /// Number of series.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number_of_series: Option<u32>,
    /// Number of instances.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number_of_instances: Option<u32>,
    /// Procedure codes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub procedure_code: Vec<CodeableConcept>,
    /// Where performed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Reference>,
    /// Reasons.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reason_code: Vec<CodeableConcept>,
    /// Comments.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub note: Vec<Annotation>,
    /// Study description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Series.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub series: Vec<ImagingSeries>,
    /// Unknown fields, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A series (`ImagingStudy.series`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ImagingSeries {
    /// Element id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Extensions on the element.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// Series Instance UID.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    /// Series number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number: Option<u32>,
    /// Modality.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub modality: Option<Coding>,
    /// Series description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Number of instances.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number_of_instances: Option<u32>,
    /// Retrieval endpoints.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub endpoint: Vec<Reference>,
    /// Body part examined.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body_site: Option<Coding>,
    /// Laterality.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub laterality: Option<Coding>,
    /// When the series started.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started: Option<String>,
    /// Instances.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub instance: Vec<ImagingInstance>,
    /// Unknown fields, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// An instance (`ImagingStudy.series.instance`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ImagingInstance {
    /// Element id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Extensions on the element.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// SOP Instance UID.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    /// SOP Class UID.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sop_class: Option<Coding>,
    /// Instance number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number: Option<u32>,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Unknown fields, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fhir::test_util::round_trip;

    #[test]
    fn imaging_study_round_trips() {
        let study: ImagingStudy = round_trip(
            r#"{
              "resourceType": "ImagingStudy",
              "id": "is1",
              "identifier": [
                {"system": "urn:dicom:uid", "value": "urn:oid:2.25.123456789012345678901234567890"},
                {"type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "ACSN"}]}, "value": "RXX24000123"}
              ],
              "status": "available",
              "modality": [{"system": "http://dicom.nema.org/resources/ontology/DCM", "code": "CR"}],
              "subject": {"reference": "Patient/p1"},
              "started": "2024-03-01T11:00:00+00:00",
              "basedOn": [{"reference": "ServiceRequest/sr1"}],
              "endpoint": [{"reference": "Endpoint/wado"}],
              "numberOfSeries": 1,
              "numberOfInstances": 2,
              "description": "XR CHEST",
              "series": [{
                "uid": "2.25.1111", "number": 1,
                "modality": {"system": "http://dicom.nema.org/resources/ontology/DCM", "code": "CR"},
                "numberOfInstances": 2,
                "bodySite": {"system": "http://snomed.info/sct", "code": "51185008", "display": "Thorax"},
                "instance": [
                  {"uid": "2.25.1111.1", "sopClass": {"system": "urn:ietf:rfc:3986", "code": "urn:oid:1.2.840.10008.5.1.4.1.1.1"}, "number": 1},
                  {"uid": "2.25.1111.2", "sopClass": {"system": "urn:ietf:rfc:3986", "code": "urn:oid:1.2.840.10008.5.1.4.1.1.1"}, "number": 2, "title": "LAT"}
                ]
              }]
            }"#,
        );
        assert_eq!(study.series[0].instance.len(), 2);
        assert_eq!(study.number_of_instances, Some(2));
    }
}
