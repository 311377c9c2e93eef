//! [`redact_restricted`]: what a destination that may not see a restricted record's location
//! gets instead. PDS's rule for a restricted (`R`) patient is that nothing reveals where they
//! are: `address`, `telecom`, `generalPractitioner` go (the spec), and so do the other
//! elements PDS leaves out of `Sensitive_Patient.json`: `managingOrganization`, `contact`
//! (next of kin live nearby), the nominated pharmacy, preferred dispenser, appliance supplier,
//! contact preference and birthplace extensions. The narrative (`text`) may repeat any of
//! these, so it goes too. The record is labelled `R` so the destination knows.

use junction_model::Event;
use junction_model::Resource;
use junction_model::fhir::{Coding, Meta, Patient};

/// The v3 confidentiality code system of `meta.security`.
pub const CONFIDENTIALITY: &str = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality";

/// Extensions a restricted record must not carry.
const LOCATION_EXTENSIONS: [&str; 5] = [
    "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NominatedPharmacy",
    "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-PreferredDispenserOrganization",
    "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-MedicalApplianceSupplier",
    "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-ContactPreference",
    "http://hl7.org/fhir/StructureDefinition/patient-birthPlace",
];

/// Removes the location-revealing elements from every Patient in the event's bundle (entries
/// and resources contained in them) and labels each `R` (restricted).
pub fn redact_restricted(event: &mut Event) {
    for entry in &mut event.bundle.entry {
        if let Some(resource) = entry.resource.as_mut() {
            redact_resource(resource);
        }
    }
}

fn redact_resource(resource: &mut Resource) {
    if let Resource::Patient(patient) = resource {
        redact_patient(patient);
        for inner in &mut patient.contained {
            redact_resource(inner);
        }
    }
}

/// Redacts one patient record in place.
pub fn redact_patient(patient: &mut Patient) {
    patient.address.clear();
    patient.telecom.clear();
    patient.general_practitioner.clear();
    patient.managing_organization = None;
    patient.contact.clear();
    patient.text = None;
    patient
        .extension
        .retain(|e| !LOCATION_EXTENSIONS.contains(&e.url.as_str()));
    let meta = patient.meta.get_or_insert_with(Meta::default);
    let labelled = meta.security.iter().any(|c| {
        c.system.as_deref() == Some(CONFIDENTIALITY) && matches!(c.code.as_deref(), Some("R" | "V"))
    });
    if !labelled {
        meta.security
            .retain(|c| c.system.as_deref() != Some(CONFIDENTIALITY));
        meta.security
            .push(Coding::new(CONFIDENTIALITY, "R", Some("restricted")));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unrestricted_label_replaced() {
        let mut p: Patient = serde_json::from_value(json!({
            "meta": {"security": [{"system": CONFIDENTIALITY, "code": "U"}]},
            "address": [{"postalCode": "LS1 6AE"}],
            "telecom": [{"system": "phone", "value": "01632 960000"}],
            "name": [{"family": "Testpatient"}],
            "extension": [
                {"url": LOCATION_EXTENSIONS[0], "valueString": "x"},
                {"url": "https://example.invalid/keep", "valueString": "y"}
            ]
        }))
        .unwrap();
        redact_patient(&mut p);
        let v = serde_json::to_value(&p).unwrap();
        assert!(v.get("address").is_none() && v.get("telecom").is_none());
        assert_eq!(v["name"][0]["family"], "Testpatient");
        assert_eq!(
            v["meta"]["security"],
            json!([{"system": CONFIDENTIALITY, "code": "R", "display": "restricted"}])
        );
        assert_eq!(v["extension"].as_array().unwrap().len(), 1);
    }
}
