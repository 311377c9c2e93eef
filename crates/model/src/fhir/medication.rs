//! Medication: a medicinal product (dm+d coded) referenced by orders.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::datatypes::{CodeableConcept, Extension, Identifier, Meta, Narrative, Ratio, Reference};
use super::resource::{Resource, ResourceTag};

/// `Medication.ingredient.item[x]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum IngredientItem {
    /// `itemCodeableConcept`.
    #[serde(rename = "itemCodeableConcept")]
    CodeableConcept(CodeableConcept),
    /// `itemReference`.
    #[serde(rename = "itemReference")]
    Reference(Reference),
}

/// A medication (`Medication`), UK Core `UKCore-Medication`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Medication {
    /// Always `"Medication"`; serialised first.
    #[serde(rename = "resourceType")]
    pub resource_type: ResourceTag<Medication>,
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
    /// The product (dm+d VMP/AMP code).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<CodeableConcept>,
    /// `active | inactive | entered-in-error`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Manufacturer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manufacturer: Option<Reference>,
    /// Dose form.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub form: Option<CodeableConcept>,
    /// Amount in a package.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<Ratio>,
    /// Ingredients.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ingredient: Vec<MedicationIngredient>,
    /// Batch details.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch: Option<MedicationBatch>,
    /// Unknown fields, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// An ingredient (`Medication.ingredient`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct MedicationIngredient {
    /// Element id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Extensions on the element.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// `item[x]`.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub item: Option<IngredientItem>,
    /// Whether an active ingredient.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_active: Option<bool>,
    /// Strength.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub strength: Option<Ratio>,
    /// Unknown fields, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Batch details (`Medication.batch`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct MedicationBatch {
    /// Element id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Extensions on the element.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// Lot number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lot_number: Option<String>,
    /// Expiry (FHIR dateTime).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiration_date: Option<String>,
    /// Unknown fields, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fhir::test_util::round_trip;

    #[test]
    fn medication_round_trips() {
        let med: Medication = round_trip(
            r#"{
              "resourceType": "Medication",
              "id": "med1",
              "code": {"coding": [{"system": "http://snomed.info/sct", "code": "39720311000001101", "display": "Paracetamol 500mg tablets"}]},
              "status": "active",
              "form": {"coding": [{"system": "http://snomed.info/sct", "code": "385055001", "display": "Tablet"}]},
              "ingredient": [
                {"itemCodeableConcept": {"coding": [{"system": "http://snomed.info/sct", "code": "387517004", "display": "Paracetamol"}]},
                 "isActive": true,
                 "strength": {"numerator": {"value": 500, "unit": "mg"}, "denominator": {"value": 1, "unit": "tablet"}}},
                {"itemReference": {"reference": "Medication/excipient"}}
              ],
              "batch": {"lotNumber": "LOT123", "expirationDate": "2026-01-31"}
            }"#,
        );
        assert!(matches!(
            med.ingredient[0].item,
            Some(IngredientItem::CodeableConcept(_))
        ));
        assert!(matches!(
            med.ingredient[1].item,
            Some(IngredientItem::Reference(_))
        ));
    }
}
