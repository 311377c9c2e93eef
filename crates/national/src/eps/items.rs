//! One line item for the EPS builder ([`super::build`]): the MedicationRequest with the EPS
//! extensions (prescription type, performer site type, prescription id), the defaults EPS
//! requires (category, substitution), and, through [`super::parts`], the Patient and
//! prescriber it references.

use serde_json::{Map, Value, json};

use super::build::{EpsBuildError, Kind, ODS, Out, copy, reference};
use super::config::EpsOptions;
use super::parts;
use super::read::{self, Entry};
const ITEM_NUMBER: &str = "https://fhir.nhs.uk/Id/prescription-order-item-number";
const ORDER_NUMBER: &str = "https://fhir.nhs.uk/Id/prescription-order-number";
const PRESCRIPTION_ID: &str = "https://fhir.nhs.uk/StructureDefinition/Extension-DM-PrescriptionId";
const PRESCRIPTION_TYPE: &str =
    "https://fhir.nhs.uk/StructureDefinition/Extension-DM-PrescriptionType";
const RESPONSIBLE: &str =
    "https://fhir.nhs.uk/StructureDefinition/Extension-DM-ResponsiblePractitioner";
const SITE_TYPE: &str = "https://fhir.nhs.uk/StructureDefinition/Extension-DM-PerformerSiteType";
const CATEGORY: &str = "http://terminology.hl7.org/CodeSystem/medicationrequest-category";

/// What a line tells the message as a whole.
pub(crate) struct Item {
    pub group: String,
    pub patient_ref: String,
    pub nhs_number: String,
    pub performer: Option<String>,
    pub requester_ref: String,
    pub requester_org_name: Option<String>,
    pub line_ref: String,
}

type Res<T> = Result<T, EpsBuildError>;

/// Shapes one MedicationRequest and adds it and what it references to `out`.
pub(crate) fn item(
    kind: Kind,
    line: Entry<'_>,
    entries: &[Entry<'_>],
    opts: &EpsOptions,
    out: &mut Out,
) -> Res<Item> {
    let mr = line.resource;
    let order = kind == Kind::Order;
    let mut m = Map::new();
    m.insert("resourceType".into(), json!("MedicationRequest"));
    m.insert("id".into(), json!(line.out_id()));
    let mut extension: Vec<Value> = mr
        .get("extension")
        .and_then(Value::as_array)
        .map(|xs| {
            xs.iter()
                .filter(|x| x["url"] != RESPONSIBLE)
                .map(|x| match x["valueCoding"]["code"].as_str() {
                    Some(code)
                        if x["url"] == PRESCRIPTION_TYPE
                            && x["valueCoding"].get("display").is_none() =>
                    {
                        prescription_type(code)
                    }
                    _ => x.clone(),
                })
                .collect()
        })
        .unwrap_or_default();
    if read::extensions(mr, PRESCRIPTION_TYPE).is_empty() {
        match &opts.prescription_type {
            Some(code) => extension.insert(0, prescription_type(code)),
            None if order => {
                return Err(EpsBuildError::Missing(
                    "MedicationRequest.extension DM-PrescriptionType (or a default prescription type in the EPS options)",
                ));
            }
            None => {}
        }
    }
    for responsible in read::extensions(mr, RESPONSIBLE) {
        let role = read::resolve(entries, responsible.get("valueReference")).ok_or(
            EpsBuildError::Missing("the PractitionerRole DM-ResponsiblePractitioner refers to"),
        )?;
        parts::practitioner_role(kind, role, entries, opts, out)?;
        extension.push(json!({ "url": RESPONSIBLE, "valueReference": reference(&role) }));
    }
    if !extension.is_empty() {
        m.insert("extension".into(), Value::Array(extension));
    }
    let items: Vec<Value> = read::identifiers(mr)
        .into_iter()
        .filter(|i| i["system"] == ITEM_NUMBER && read::present(i, "value").is_some())
        .cloned()
        .collect();
    if items.is_empty() {
        return Err(EpsBuildError::Missing(
            "MedicationRequest.identifier (prescription-order-item-number)",
        ));
    }
    m.insert("identifier".into(), Value::Array(items));
    m.insert(
        "status".into(),
        json!(if order { "active" } else { "cancelled" }),
    );
    let intent = mr.get("intent").and_then(Value::as_str).unwrap_or("order");
    if !matches!(intent, "order" | "original-order" | "instance-order") {
        return Err(EpsBuildError::Invalid(
            "MedicationRequest.intent must be order, original-order or instance-order",
        ));
    }
    m.insert("intent".into(), json!(intent));
    let category = read::present(mr, "category")
        .cloned()
        .unwrap_or_else(|| category(&opts.category));
    m.insert("category".into(), category);
    if order && read::present(mr, "medicationCodeableConcept").is_none() {
        return Err(EpsBuildError::Missing(
            "MedicationRequest.medicationCodeableConcept",
        ));
    }
    copy(&mut m, mr, &["medicationCodeableConcept"]);
    let patient = read::resolve(entries, mr.get("subject"))
        .filter(|e| e.rtype() == "Patient")
        .ok_or(EpsBuildError::Missing(
            "MedicationRequest.subject (Patient)",
        ))?;
    let nhs_number = parts::patient(kind, patient, out)?;
    m.insert("subject".into(), reference(&patient));
    copy(&mut m, mr, &["authoredOn"]);
    let requester = read::resolve(entries, mr.get("requester"))
        .filter(|e| e.rtype() == "PractitionerRole")
        .ok_or(EpsBuildError::Missing(
            "MedicationRequest.requester (PractitionerRole)",
        ))?;
    let requester_org_name = parts::practitioner_role(kind, requester, entries, opts, out)?;
    m.insert("requester".into(), reference(&requester));
    let (group, group_value) = group_identifier(mr)?;
    m.insert("groupIdentifier".into(), group_value);
    if order {
        for field in ["courseOfTherapyType", "dosageInstruction"] {
            if read::present(mr, field).is_none() {
                return Err(EpsBuildError::Missing(match field {
                    "courseOfTherapyType" => "MedicationRequest.courseOfTherapyType",
                    _ => "MedicationRequest.dosageInstruction",
                }));
            }
        }
    }
    copy(&mut m, mr, &["courseOfTherapyType", "dosageInstruction"]);
    let (performer, dispense) = dispense_request(kind, mr)?;
    if let Some(dispense) = dispense {
        m.insert("dispenseRequest".into(), dispense);
    }
    let substitution = read::present(mr, "substitution")
        .cloned()
        .unwrap_or_else(|| json!({ "allowedBoolean": false }));
    m.insert("substitution".into(), substitution);
    if !order {
        let reason = read::present(mr, "statusReason").ok_or(EpsBuildError::Missing(
            "MedicationRequest.statusReason (the cancellation reason)",
        ))?;
        m.insert("statusReason".into(), reason.clone());
    }
    let line_ref = line.out_ref();
    out.add(line.out_id(), Value::Object(m));
    Ok(Item {
        group,
        patient_ref: patient.out_ref(),
        nhs_number,
        performer,
        requester_ref: requester.out_ref(),
        requester_org_name,
        line_ref,
    })
}

fn group_identifier(mr: &Value) -> Res<(String, Value)> {
    let group = mr.get("groupIdentifier").ok_or(EpsBuildError::Missing(
        "MedicationRequest.groupIdentifier (the short-form prescription id)",
    ))?;
    let short = group
        .get("value")
        .and_then(Value::as_str)
        .filter(|v| group["system"] == ORDER_NUMBER && !v.trim().is_empty())
        .ok_or(EpsBuildError::Missing(
            "MedicationRequest.groupIdentifier (the short-form prescription id)",
        ))?;
    let long = read::extensions(group, PRESCRIPTION_ID)
        .into_iter()
        .find_map(|x| read::present(&x["valueIdentifier"], "value").cloned())
        .ok_or(EpsBuildError::Missing(
            "MedicationRequest.groupIdentifier extension DM-PrescriptionId (the prescription UUID)",
        ))?;
    let value = json!({
        "extension": [{
            "url": PRESCRIPTION_ID,
            "valueIdentifier": { "system": "https://fhir.nhs.uk/Id/prescription", "value": long },
        }],
        "system": ORDER_NUMBER,
        "value": short,
    });
    Ok((short.to_string(), value))
}

/// `dispenseRequest` with the performer site type extension EPS requires: the event's, else
/// `P1` (community pharmacy) with a nominated dispenser and `0004` (none) without.
fn dispense_request(kind: Kind, mr: &Value) -> Res<(Option<String>, Option<Value>)> {
    let Some(dispense) = read::present(mr, "dispenseRequest") else {
        return match kind {
            Kind::Order => Err(EpsBuildError::Missing("MedicationRequest.dispenseRequest")),
            Kind::Cancel => Ok((None, None)),
        };
    };
    if kind == Kind::Order && read::present(dispense, "quantity").is_none() {
        return Err(EpsBuildError::Missing(
            "MedicationRequest.dispenseRequest.quantity",
        ));
    }
    let performer = read::ods_of(dispense.get("performer")).map(str::to_string);
    let mut d = Map::new();
    let site = read::extensions(dispense, SITE_TYPE);
    let ext = match site.first() {
        Some(x) => (*x).clone(),
        None => json!({
            "url": SITE_TYPE,
            "valueCoding": {
                "system": "https://fhir.nhs.uk/CodeSystem/dispensing-site-preference",
                "code": if performer.is_some() { "P1" } else { "0004" },
            },
        }),
    };
    d.insert("extension".into(), json!([ext]));
    copy(
        &mut d,
        dispense,
        &[
            "numberOfRepeatsAllowed",
            "validityPeriod",
            "quantity",
            "expectedSupplyDuration",
        ],
    );
    if let Some(ods) = &performer {
        d.insert(
            "performer".into(),
            json!({ "identifier": { "system": ODS, "value": ods } }),
        );
    }
    Ok((performer, Some(Value::Object(d))))
}

fn prescription_type(code: &str) -> Value {
    let mut coding =
        json!({ "system": "https://fhir.nhs.uk/CodeSystem/prescription-type", "code": code });
    let display = match code {
        "1001" => Some("Outpatient Community Prescriber - Medical Prescriber"),
        "1004" => {
            Some("Outpatient Community Prescriber - Nurse Independent/Supplementary prescriber")
        }
        "1005" => Some("Outpatient Community Prescriber - Community Practitioner Nurse prescriber"),
        "1201" => Some("Outpatient Homecare Prescriber - Medical Prescriber"),
        _ => None,
    };
    if let Some(d) = display {
        coding["display"] = json!(d);
    }
    json!({ "url": PRESCRIPTION_TYPE, "valueCoding": coding })
}

fn category(code: &str) -> Value {
    let mut coding = json!({ "system": CATEGORY, "code": code });
    let display = match code {
        "inpatient" => "Inpatient",
        "outpatient" => "Outpatient",
        "community" => "Community",
        "discharge" => "Discharge",
        _ => "",
    };
    if !display.is_empty() {
        coding["display"] = json!(display);
    }
    json!([{ "coding": [coding] }])
}
