//! What the EPS simulator ([`super`]) checks, in the spec's words: the headers
//! (`X-Request-ID` a UUID, `NHSD-Session-URID` digits, `Content-Type` FHIR JSON), the message
//! Bundle (type `message`, an identifier, a MessageHeader first with a supported
//! `eventCoding`), the MedicationRequests (1–4 for an order, exactly one for a cancel; the
//! schema's required fields; one prescription id with a valid check character; one
//! dispenser), the Patient's NHS number (mod 11), the prescriber's PractitionerRole,
//! Practitioner (exactly one professional code) and Organization (`partOf`), and the
//! signature. Each failure is the spec's 400 with an OperationOutcome.

use serde_json::Value;

use super::checks::{Reject, nhs_number_ok, prescription_id_ok};

const NHS_NUMBER: &str = "https://fhir.nhs.uk/Id/nhs-number";
const PROFESSIONAL_CODES: [&str; 5] = [
    "https://fhir.hl7.org.uk/Id/gmc-number",
    "https://fhir.hl7.org.uk/Id/nmc-number",
    "https://fhir.hl7.org.uk/Id/gphc-number",
    "https://fhir.hl7.org.uk/Id/hcpc-number",
    "https://fhir.hl7.org.uk/Id/professional-code",
];
const ORDER_REQUIRED: [&str; 13] = [
    "extension",
    "identifier",
    "status",
    "intent",
    "category",
    "medicationCodeableConcept",
    "subject",
    "requester",
    "groupIdentifier",
    "courseOfTherapyType",
    "dosageInstruction",
    "dispenseRequest",
    "substitution",
];
const CANCEL_REQUIRED: [&str; 7] = [
    "identifier",
    "status",
    "intent",
    "subject",
    "requester",
    "groupIdentifier",
    "statusReason",
];

/// Which operation a request was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// `$prepare`.
    Prepare,
    /// `$process-message` with `prescription-order`.
    Order,
    /// `$process-message` with `prescription-order-update` (a cancellation).
    Cancel,
}

/// A checked message.
#[derive(Debug, Clone)]
pub struct Message {
    /// What it asks for.
    pub operation: Operation,
    /// The Bundle.
    pub bundle: Value,
    /// The short-form prescription id.
    pub prescription_id: String,
    /// The patient's NHS number.
    pub nhs_number: String,
    /// The line item ids.
    pub items: Vec<String>,
}

/// Checks the Bundle of a `$prepare` (`prepare`) or `$process-message`.
pub fn message(prepare: bool, body: &[u8], require_signature: bool) -> Result<Message, Reject> {
    let bundle: Value = serde_json::from_slice(body).map_err(|_| {
        Reject::bad(
            "structure",
            "INVALID_VALUE",
            "Provided value is invalid",
            "The body is not JSON.",
        )
    })?;
    if bundle["resourceType"] != "Bundle" {
        return Err(Reject::value(
            "Incorrect FHIR resource type. Expected Bundle.",
        ));
    }
    if bundle["type"] != "message" {
        return Err(Reject::value("Bundle.type must be message."));
    }
    if str_at(&bundle, &["identifier", "value"]).is_none() {
        return Err(Reject::missing("Bundle.identifier is required."));
    }
    let entries = bundle["entry"].as_array().cloned().unwrap_or_default();
    if entries
        .iter()
        .any(|e| e["resource"]["resourceType"].as_str().is_none())
    {
        return Err(Reject::bad(
            "structure",
            "INVALID_VALUE",
            "Provided value is invalid",
            "Every Bundle.entry must hold a resource.",
        ));
    }
    let header = entries
        .first()
        .map(|e| &e["resource"])
        .filter(|r| r["resourceType"] == "MessageHeader")
        .ok_or_else(|| Reject::value("The first Bundle.entry must be a MessageHeader."))?;
    let operation = match (
        str_at(header, &["eventCoding", "system"]),
        str_at(header, &["eventCoding", "code"]),
    ) {
        (Some("https://fhir.nhs.uk/CodeSystem/message-event"), Some("prescription-order"))
            if prepare =>
        {
            Operation::Prepare
        }
        (Some("https://fhir.nhs.uk/CodeSystem/message-event"), Some("prescription-order")) => {
            Operation::Order
        }
        (
            Some("https://fhir.nhs.uk/CodeSystem/message-event"),
            Some("prescription-order-update"),
        ) if !prepare => Operation::Cancel,
        _ => {
            return Err(Reject::value(
                "MessageHeader.eventCoding.code must be one of: prescription-order, prescription-order-update, dispense-notification.",
            ));
        }
    };
    if str_at(header, &["source", "endpoint"]).is_none() {
        return Err(Reject::missing(
            "MessageHeader.source.endpoint is required.",
        ));
    }
    if str_at(header, &["sender", "identifier", "value"]).is_none()
        || str_at(header, &["sender", "display"]).is_none()
    {
        return Err(Reject::missing(
            "MessageHeader.sender.identifier and MessageHeader.sender.display are required.",
        ));
    }
    let (first, items) = lines(operation, &entries)?;
    let (prescription_id, nhs_number) = parties(operation, &entries, first)?;
    if operation == Operation::Order && require_signature && !signed(&entries) {
        return Err(Reject::bad(
            "invalid",
            "MISSING_DIGITAL_SIGNATURE",
            "Digital signature not found",
            "Digital signature not found.",
        ));
    }
    Ok(Message {
        operation,
        prescription_id,
        nhs_number,
        items,
        bundle,
    })
}

/// The entry a `urn:uuid:` reference names.
fn find<'a>(entries: &'a [Value], reference: Option<&str>) -> Option<&'a Value> {
    let r = reference?;
    entries
        .iter()
        .find(|e| e["fullUrl"] == r)
        .map(|e| &e["resource"])
}

/// The MedicationRequests: how many, their required fields, and what they must share.
/// Returns the first and the line item ids.
fn lines(operation: Operation, entries: &[Value]) -> Result<(&Value, Vec<String>), Reject> {
    let lines: Vec<&Value> = entries
        .iter()
        .map(|e| &e["resource"])
        .filter(|r| r["resourceType"] == "MedicationRequest")
        .collect();
    match operation {
        Operation::Cancel if lines.len() != 1 => {
            return Err(Reject::value(
                "The Bundle must contain exactly one MedicationRequest if MessageHeader.eventCoding.code is 'prescription-order-update'.",
            ));
        }
        _ if lines.is_empty() || lines.len() > 4 => {
            return Err(Reject::value(
                "The Bundle must contain between one and four MedicationRequests.",
            ));
        }
        _ => {}
    }
    let required: &[&str] = if operation == Operation::Cancel {
        &CANCEL_REQUIRED
    } else {
        &ORDER_REQUIRED
    };
    let mut items = Vec::new();
    for mr in &lines {
        if let Some(field) = required
            .iter()
            .find(|f| mr.get(**f).is_none_or(Value::is_null))
        {
            let text = if *field == "statusReason" {
                "Expected MedicationRequest to have a value for statusReason.".to_string()
            } else {
                format!("MedicationRequest.{field} is required.")
            };
            return Err(Reject::value(&text));
        }
        let wanted = if operation == Operation::Cancel {
            "cancelled"
        } else {
            "active"
        };
        if mr["status"] != wanted {
            return Err(Reject::value(&format!(
                "MedicationRequest.status must be {wanted}."
            )));
        }
        if !matches!(
            mr["intent"].as_str(),
            Some("order" | "original-order" | "instance-order")
        ) {
            return Err(Reject::value(
                "MedicationRequest.intent must be order, original-order or instance-order.",
            ));
        }
        if mr.get("medicationReference").is_some() && mr.get("medicationCodeableConcept").is_some()
        {
            return Err(Reject::bad(
                "structure",
                "INVALID_VALUE",
                "Provided value is invalid",
                "MedicationRequest cannot contain both medicationReference and medicationCodeableConcept fields.",
            ));
        }
        let item = mr["identifier"]
            .as_array()
            .and_then(|ids| {
                ids.iter().find(|i| {
                    i["system"] == "https://fhir.nhs.uk/Id/prescription-order-item-number"
                })
            })
            .and_then(|i| i["value"].as_str())
            .ok_or_else(|| {
                Reject::missing(
                    "MedicationRequest.identifier (prescription-order-item-number) is required.",
                )
            })?;
        if items.iter().any(|i| i == item) {
            return Err(Reject::value(
                "Expected all MedicationRequests to have a different value for identifier.",
            ));
        }
        items.push(item.to_string());
    }
    let first = lines[0];
    for field in ["groupIdentifier", "subject", "requester"] {
        if lines.iter().any(|mr| mr[field] != first[field]) {
            return Err(Reject::value(&format!(
                "Expected all MedicationRequests to have the same value for {field}."
            )));
        }
    }
    if lines
        .iter()
        .any(|mr| mr["dispenseRequest"]["performer"] != first["dispenseRequest"]["performer"])
    {
        return Err(Reject::value(
            "Expected all MedicationRequests to have the same value for dispenseRequest.performer.",
        ));
    }
    Ok((first, items))
}

/// The prescription id, the Patient (NHS number) and the prescriber the first line names.
fn parties(
    operation: Operation,
    entries: &[Value],
    first: &Value,
) -> Result<(String, String), Reject> {
    let find = |reference| find(entries, reference);
    let prescription_id = str_at(first, &["groupIdentifier", "value"])
        .filter(|_| {
            first["groupIdentifier"]["system"] == "https://fhir.nhs.uk/Id/prescription-order-number"
        })
        .ok_or_else(|| {
            Reject::missing(
                "MedicationRequest.groupIdentifier (prescription-order-number) is required.",
            )
        })?;
    let failure = |what: &str| {
        Reject::bad(
            "value",
            "FAILURE_TO_PROCESS_MESSAGE",
            "Unable to process message",
            what,
        )
    };
    if !prescription_id_ok(prescription_id) {
        return Err(failure("The prescription ID has an invalid checksum."));
    }
    let patient = find(str_at(first, &["subject", "reference"])).filter(|p| p["resourceType"] == "Patient")
        .ok_or_else(|| Reject::bad("invalid", "INVALID_VALUE", "Provided value is invalid", "MedicationRequest.subject populated incorrectly. Please populate with Reference to resource within Bundle."))?;
    let nhs_number = patient["identifier"]
        .as_array()
        .and_then(|ids| ids.iter().find(|i| i["system"] == NHS_NUMBER))
        .and_then(|i| i["value"].as_str())
        .ok_or_else(|| Reject::missing("Patient.identifier (NHS number) is required."))?;
    if !nhs_number_ok(nhs_number) {
        return Err(failure("Invalid NHS number."));
    }
    let role = find(str_at(first, &["requester", "reference"])).filter(|r| r["resourceType"] == "PractitionerRole")
        .ok_or_else(|| Reject::bad("invalid", "INVALID_VALUE", "Provided value is invalid", "MedicationRequest.requester populated incorrectly. Please populate with Reference to resource within Bundle."))?;
    let practitioner = find(str_at(role, &["practitioner", "reference"])).filter(|r| r["resourceType"] == "Practitioner")
        .ok_or_else(|| Reject::bad("invalid", "INVALID_VALUE", "Provided value is invalid", "practitionerRole.practitioner populated incorrectly. Please populate with Reference to resource within Bundle."))?;
    let organization = find(str_at(role, &["organization", "reference"])).filter(|r| r["resourceType"] == "Organization")
        .ok_or_else(|| Reject::bad("invalid", "INVALID_VALUE", "Provided value is invalid", "practitionerRole.organization populated incorrectly. Please populate with Reference to resource within Bundle."))?;
    if operation != Operation::Cancel {
        let n_codes = practitioner["identifier"].as_array().map_or(0, |ids| {
            ids.iter()
                .filter(|i| PROFESSIONAL_CODES.iter().any(|s| i["system"] == *s))
                .count()
        });
        if n_codes != 1 {
            return Err(Reject::value(
                "Bundle resource Practitioner.identifier expected exactly one professional code from GMC/NMC/GPhC/HCPC/professional-code.",
            ));
        }
        if organization.get("partOf").is_none() {
            return Err(Reject::bad(
                "invalid",
                "MISSING_VALUE",
                "Required value is missing",
                "Required field organization.partOf is missing.",
            ));
        }
    }
    Ok((prescription_id.to_string(), nhs_number.to_string()))
}

fn signed(entries: &[Value]) -> bool {
    entries
        .iter()
        .map(|e| &e["resource"])
        .filter(|r| r["resourceType"] == "Provenance")
        .any(|p| {
            p["signature"].as_array().is_some_and(|s| {
                s.iter()
                    .any(|sig| sig["data"].as_str().is_some_and(|d| !d.is_empty()))
            })
        })
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter()
        .try_fold(v, |v, k| v.get(k))?
        .as_str()
        .filter(|s| !s.trim().is_empty())
}
