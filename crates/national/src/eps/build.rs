//! The EPS message Bundles, built from Junction events with no I/O: a `prescription-order`
//! (new prescription) and a `prescription-order-update` (cancel), shaped as the EPS examples
//! `1-Process-Request-Send-200_OK.json` and `1-Process-Request-Cancel-200_OK.json` are:
//! `Bundle` (type `message`, an RFC 4122 `identifier`, `id` = the MessageHeader's) holding the
//! MessageHeader first, then the MedicationRequests, Patient, Practitioner(s),
//! PractitionerRole(s), Organization(s) and, when the event carries the prescriber's
//! signature, its Provenance. Every id is the event's own (UUID-shaped) or derived from it,
//! so a retry builds the same bytes. Where the event lacks what EPS needs the error names the
//! field, never its value. Line items are shaped in `items`, what they reference in `parts`.

use junction_model::{Event, EventKind};
use serde_json::{Map, Value, json};

use super::config::EpsOptions;
use super::items;
use super::read::{self, Entry};
use super::{MESSAGE_EVENT_SYSTEM, PRESCRIPTION_ORDER, PRESCRIPTION_ORDER_UPDATE};

pub(crate) const ODS: &str = "https://fhir.nhs.uk/Id/ods-organization-code";
/// Where EPS messages point `source`/`destination` endpoints (as the examples do).
const DIRECTORY: &str = "https://directory.spineservices.nhs.uk/STU3/Organization/";
/// Most line items one EPS prescription may hold.
const MAX_LINES: usize = 4;

/// Why no EPS message could be built. Names fields and rules, never values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EpsBuildError {
    /// The event is of another kind than the message needs.
    #[error("EPS: cannot build a {message} from a {kind} event")]
    WrongKind {
        /// The message being built.
        message: &'static str,
        /// The event's kind.
        kind: String,
    },
    /// The event lacks a field EPS requires.
    #[error("EPS: the event lacks {0}, which EPS requires")]
    Missing(&'static str),
    /// The event has the field but EPS cannot take it as it is.
    #[error("EPS: {0}")]
    Invalid(&'static str),
}

/// Which message is being built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Order,
    Cancel,
}

/// The `prescription-order` message for one `prescription.issued` event (its
/// MedicationRequests are the prescription's lines).
pub fn build_prescription_order(event: &Event, opts: &EpsOptions) -> Result<Value, EpsBuildError> {
    build_prescription_order_lines(std::slice::from_ref(event), opts)
}

/// The `prescription-order` message for the events of one prescription's lines (as the
/// adapter writes them: one event per line, sharing `groupIdentifier`). 1–4 lines.
pub fn build_prescription_order_lines(
    events: &[Event],
    opts: &EpsOptions,
) -> Result<Value, EpsBuildError> {
    assemble(Kind::Order, events, opts)
}

/// The `prescription-order-update` message cancelling the line of one
/// `prescription.cancelled` event (its MedicationRequest has status `cancelled` and a
/// `statusReason`).
pub fn build_cancellation(event: &Event, opts: &EpsOptions) -> Result<Value, EpsBuildError> {
    assemble(Kind::Cancel, std::slice::from_ref(event), opts)
}

/// Whether a built message carries a prescriber signature (a Provenance with signature data).
pub fn is_signed(bundle: &Value) -> bool {
    read::entries(bundle).iter().any(|e| {
        e.rtype() == "Provenance"
            && e.resource
                .get("signature")
                .and_then(Value::as_array)
                .is_some_and(|sigs| sigs.iter().any(|s| read::present(s, "data").is_some()))
    })
}

/// The `$prepare` request for a `prescription-order`: the same message without the
/// Provenance (the spec: "the only difference between the prepare requests and create
/// request should be the inclusion of the provenance resource").
pub fn prepare_body(bundle: &Value) -> Value {
    let mut out = bundle.clone();
    if let Some(entries) = out.get_mut("entry").and_then(Value::as_array_mut) {
        entries.retain(|e| e["resource"]["resourceType"] != "Provenance");
    }
    out
}

/// The resources of the message being built, de-duplicated by id, in the examples' order.
#[derive(Default)]
pub(crate) struct Out {
    resources: Vec<(u8, String, Value)>,
}

impl Out {
    /// Adds a resource once; `false` when its id was already there.
    pub fn add(&mut self, id: String, resource: Value) -> bool {
        if self.resources.iter().any(|(_, known, _)| *known == id) {
            return false;
        }
        let rank = match resource["resourceType"].as_str().unwrap_or_default() {
            "MedicationRequest" => 1,
            "Patient" => 2,
            "Practitioner" => 3,
            "PractitionerRole" => 4,
            "Organization" => 5,
            _ => 6,
        };
        self.resources.push((rank, id, resource));
        true
    }

    fn into_entries(mut self) -> Vec<Value> {
        self.resources.sort_by_key(|(rank, _, _)| *rank);
        self.resources
            .into_iter()
            .map(|(_, id, resource)| json!({ "fullUrl": format!("urn:uuid:{id}"), "resource": resource }))
            .collect()
    }
}

/// What the lines agree on, for the MessageHeader and the consistency checks.
struct Common {
    group: String,
    patient_ref: String,
    nhs_number: String,
    performer: Option<String>,
    requester_ref: String,
    requester_org_name: Option<String>,
}

fn assemble(kind: Kind, events: &[Event], opts: &EpsOptions) -> Result<Value, EpsBuildError> {
    let (message, wanted) = match kind {
        Kind::Order => ("prescription-order", EventKind::PrescriptionIssued),
        Kind::Cancel => (
            "prescription-order-update",
            EventKind::PrescriptionCancelled,
        ),
    };
    if events.is_empty() {
        return Err(EpsBuildError::Missing("an event"));
    }
    if let Some(other) = events.iter().find(|e| e.kind != wanted) {
        return Err(EpsBuildError::WrongKind {
            message,
            kind: other.kind.to_string(),
        });
    }
    let bundles = events
        .iter()
        .map(|e| serde_json::to_value(&e.bundle))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| EpsBuildError::Invalid("the event's bundle is not valid FHIR JSON"))?;
    let mut out = Out::default();
    let mut common: Option<Common> = None;
    let mut focus = Vec::new();
    let mut header_sender: Option<String> = None;
    let mut header_id: Option<String> = None;
    for bundle in &bundles {
        let entries = read::entries(bundle);
        if let Some(header) = read::of_type(&entries, "MessageHeader").first() {
            header_sender = header_sender
                .or_else(|| read::ods_of(header.resource.get("sender")).map(str::to_string));
            header_id = header_id.or_else(|| Some(header.out_id()));
        }
        let lines = read::of_type(&entries, "MedicationRequest");
        if lines.is_empty() {
            return Err(EpsBuildError::Missing("a MedicationRequest"));
        }
        for line in lines {
            let item = items::item(kind, line, &entries, opts, &mut out)?;
            match &common {
                None => {
                    common = Some(Common {
                        group: item.group,
                        patient_ref: item.patient_ref,
                        nhs_number: item.nhs_number,
                        performer: item.performer,
                        requester_ref: item.requester_ref,
                        requester_org_name: item.requester_org_name,
                    })
                }
                Some(c) => {
                    if c.group != item.group {
                        return Err(EpsBuildError::Invalid(
                            "the lines have different prescription ids (groupIdentifier)",
                        ));
                    }
                    if c.nhs_number != item.nhs_number {
                        return Err(EpsBuildError::Invalid(
                            "the lines are for different patients",
                        ));
                    }
                    if c.performer != item.performer {
                        return Err(EpsBuildError::Invalid(
                            "the lines have different dispenseRequest.performer values",
                        ));
                    }
                }
            }
            if !focus.contains(&item.line_ref) {
                focus.push(item.line_ref);
            }
        }
        if kind == Kind::Order {
            super::parts::provenances(&entries, &mut out);
        }
    }
    let common = common.ok_or(EpsBuildError::Missing("a MedicationRequest"))?;
    let n_lines = focus.len();
    if kind == Kind::Order && n_lines > MAX_LINES {
        return Err(EpsBuildError::Invalid(
            "an EPS prescription holds at most four lines",
        ));
    }
    if kind == Kind::Cancel && n_lines != 1 {
        return Err(EpsBuildError::Invalid(
            "a cancellation must hold exactly one MedicationRequest",
        ));
    }
    let sender = opts
        .sender_ods
        .clone()
        .or(header_sender)
        .ok_or(EpsBuildError::Missing(
            "MessageHeader.sender (ODS code; or set the sender ODS code in the EPS options)",
        ))?;
    let event_ids: Vec<&str> = events.iter().map(|e| e.id.as_str()).collect();
    let header_id = header_id.unwrap_or_else(|| {
        read::derived_id(&[&["MessageHeader", message], event_ids.as_slice()].concat())
    });
    let (code, display) = match kind {
        Kind::Order => (PRESCRIPTION_ORDER, "Prescription Order"),
        Kind::Cancel => (PRESCRIPTION_ORDER_UPDATE, "Prescription Order Update"),
    };
    let sender_display = opts
        .sender_name
        .clone()
        .or(common.requester_org_name.clone())
        .unwrap_or_else(|| sender.clone());
    let mut header = Map::new();
    header.insert("resourceType".into(), json!("MessageHeader"));
    header.insert("id".into(), json!(header_id));
    header.insert(
        "eventCoding".into(),
        json!({ "system": MESSAGE_EVENT_SYSTEM, "code": code, "display": display }),
    );
    header.insert(
        "sender".into(),
        json!({
            "identifier": { "system": ODS, "value": sender },
            "reference": common.requester_ref,
            "display": sender_display,
        }),
    );
    header.insert(
        "source".into(),
        json!({ "endpoint": format!("{DIRECTORY}{sender}") }),
    );
    if let Some(dispenser) = &common.performer {
        header.insert(
            "destination".into(),
            json!([{
                "endpoint": format!("{DIRECTORY}{dispenser}"),
                "receiver": { "identifier": { "system": ODS, "value": dispenser } },
            }]),
        );
    }
    let mut focus_refs = vec![json!({ "reference": common.patient_ref })];
    focus_refs.extend(focus.iter().map(|r| json!({ "reference": r })));
    header.insert("focus".into(), Value::Array(focus_refs));
    let mut entry = vec![json!({
        "fullUrl": format!("urn:uuid:{header_id}"),
        "resource": Value::Object(header),
    })];
    entry.extend(out.into_entries());
    let identifier = read::derived_id(&[&["Bundle", message], event_ids.as_slice()].concat());
    Ok(json!({
        "resourceType": "Bundle",
        "id": header_id,
        "identifier": { "system": "https://tools.ietf.org/html/rfc4122", "value": identifier },
        "type": "message",
        "entry": entry,
    }))
}

/// Copies `fields` of `from` that are present into `to`, in that order.
pub(crate) fn copy(to: &mut Map<String, Value>, from: &Value, fields: &[&str]) {
    for field in fields {
        if let Some(v) = read::present(from, field) {
            to.insert((*field).to_string(), v.clone());
        }
    }
}

/// `{"reference": "urn:uuid:<id>"}` for an entry.
pub(crate) fn reference(entry: &Entry<'_>) -> Value {
    json!({ "reference": entry.out_ref() })
}
