//! Observation: a result (OBX), measurement or assertion.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::choice::Effective;
use super::datatypes::{
    Annotation, CodeableConcept, Extension, Identifier, Meta, Narrative, Period, Quantity, Range,
    Ratio, Reference,
};
use super::resource::{Resource, ResourceTag};

/// `Observation.value[x]` (also used by components).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ObservationValue {
    /// `valueQuantity`.
    #[serde(rename = "valueQuantity")]
    Quantity(Quantity),
    /// `valueCodeableConcept`.
    #[serde(rename = "valueCodeableConcept")]
    CodeableConcept(CodeableConcept),
    /// `valueString`.
    #[serde(rename = "valueString")]
    String(String),
    /// `valueBoolean`.
    #[serde(rename = "valueBoolean")]
    Boolean(bool),
    /// `valueInteger`.
    #[serde(rename = "valueInteger")]
    Integer(i64),
    /// `valueRange`.
    #[serde(rename = "valueRange")]
    Range(Range),
    /// `valueRatio`.
    #[serde(rename = "valueRatio")]
    Ratio(Ratio),
    /// `valueTime`.
    #[serde(rename = "valueTime")]
    Time(String),
    /// `valueDateTime`.
    #[serde(rename = "valueDateTime")]
    DateTime(String),
    /// `valuePeriod`.
    #[serde(rename = "valuePeriod")]
    Period(Period),
}

/// An observation (`Observation`), UK Core `UKCore-Observation`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Observation {
    /// Always `"Observation"`; serialised first.
    #[serde(rename = "resourceType")]
    pub resource_type: ResourceTag<Observation>,
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
    /// Identifiers.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub identifier: Vec<Identifier>,
    /// Requests this fulfils.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub based_on: Vec<Reference>,
    /// Event this is part of.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub part_of: Vec<Reference>,
    /// `registered | preliminary | final | amended | corrected | cancelled | entered-in-error | unknown`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Classification (laboratory, vital-signs…).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub category: Vec<CodeableConcept>,
    /// What was observed (LOINC, SNOMED, local).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<CodeableConcept>,
    /// The patient.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<Reference>,
    /// Encounter.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encounter: Option<Reference>,
    /// `effective[x]`: clinically relevant time.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub effective: Option<Effective>,
    /// When made available (FHIR instant).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issued: Option<String>,
    /// Who is responsible.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub performer: Vec<Reference>,
    /// `value[x]`: the result.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub value: Option<ObservationValue>,
    /// Why the value is missing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_absent_reason: Option<CodeableConcept>,
    /// High, low, normal… (abnormal flags).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub interpretation: Vec<CodeableConcept>,
    /// Comments.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub note: Vec<Annotation>,
    /// Body site.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body_site: Option<CodeableConcept>,
    /// Method.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<CodeableConcept>,
    /// Specimen.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub specimen: Option<Reference>,
    /// Device.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device: Option<Reference>,
    /// Reference ranges.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reference_range: Vec<ObservationReferenceRange>,
    /// Grouped observations.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub has_member: Vec<Reference>,
    /// Sources of the value.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub derived_from: Vec<Reference>,
    /// Component results.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub component: Vec<ObservationComponent>,
    /// Unknown fields, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A reference range (`Observation.referenceRange`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ObservationReferenceRange {
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
    /// Kind of range.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_: Option<CodeableConcept>,
    /// Population it applies to.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub applies_to: Vec<CodeableConcept>,
    /// Applicable age range.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub age: Option<Range>,
    /// Text form, e.g. "3.5-5.0".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Unknown fields, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A component result (`Observation.component`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ObservationComponent {
    /// Element id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Extensions on the element.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// What was observed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<CodeableConcept>,
    /// `value[x]`.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub value: Option<ObservationValue>,
    /// Why the value is missing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_absent_reason: Option<CodeableConcept>,
    /// Abnormal flags.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub interpretation: Vec<CodeableConcept>,
    /// Reference ranges.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reference_range: Vec<ObservationReferenceRange>,
    /// Unknown fields, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fhir::test_util::round_trip;

    const POTASSIUM: &str = r#"{
      "resourceType": "Observation",
      "id": "obs1",
      "status": "final",
      "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "laboratory"}]}],
      "code": {"coding": [{"system": "http://snomed.info/sct", "code": "1000651000000109", "display": "Serum potassium level"}]},
      "subject": {"reference": "Patient/p1"},
      "effectivePeriod": {"start": "2024-03-01T08:00:00+00:00", "end": "2024-03-01T08:05:00+00:00"},
      "issued": "2024-03-01T09:00:00+00:00",
      "valueQuantity": {"value": 4.10, "comparator": "<", "unit": "mmol/L", "system": "http://unitsofmeasure.org", "code": "mmol/L"},
      "interpretation": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation", "code": "N"}]}],
      "note": [{"authorString": "Lab", "text": "Sample slightly haemolysed"}],
      "referenceRange": [{"low": {"value": 3.5, "unit": "mmol/L"}, "high": {"value": 5.3, "unit": "mmol/L"}, "text": "3.5-5.3"}],
      "component": [
        {"code": {"text": "flag"}, "valueString": "N"},
        {"code": {"text": "count"}, "valueInteger": 3},
        {"code": {"text": "coded"}, "valueCodeableConcept": {"text": "positive"}}
      ]
    }"#;

    #[test]
    fn observation_with_value_quantity_round_trips() {
        let obs: Observation = round_trip(POTASSIUM);
        let Some(ObservationValue::Quantity(q)) = &obs.value else {
            panic!("expected valueQuantity, got {:?}", obs.value);
        };
        assert_eq!(
            q.value.as_ref().and_then(serde_json::Number::as_f64),
            Some(4.1)
        );
        assert!(matches!(
            obs.effective,
            Some(crate::fhir::Effective::Period(_))
        ));
        assert!(matches!(
            obs.component[1].value,
            Some(ObservationValue::Integer(3))
        ));
        assert!(matches!(
            obs.note[0].author,
            Some(crate::fhir::AnnotationAuthor::String(_))
        ));
    }
}
