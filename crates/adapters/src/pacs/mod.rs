//! The `pacs` adapter: HL7 v2 radiology messages between order comms, the RIS and PACS
//! (v2.3–v2.5.1), decoded into FHIR `message` Bundles in UK Core form: MessageHeader, Patient
//! (PID through the PAS adapter's mapping, see `patient`), and the resources below.
//!
//! | message | event kind(s) | resources |
//! |---|---|---|
//! | ORM^O01, OMI^O23, OMG^O19 with ORC-1 `NW` | `order.placed` | ServiceRequest per ORC group |
//! | … ORC-1 `XO`/`XX`/`SC`/`HD`/`OH`/`RL`/… | `order.updated` | ServiceRequest (`on-hold` for HD/OH) |
//! | … ORC-1 `CA`/`DC`/`OC`/`OD`/`CR`/`DR` | `order.cancelled` | ServiceRequest `revoked` |
//! | … any group with ORC-5 `CM` (exam complete) | + `imaging.study-available` | ImagingStudy |
//! | ORU^R01 | `result.reported` | DiagnosticReport (+ Observations) per OBR group |
//! | … carrying a Study Instance UID (IPC-3, ZDS-1, OBX `113014`) | + `imaging.study-available` | ImagingStudy |
//! | SIU^S12 | `appointment.booked` | Appointment `booked` |
//! | SIU^S13, S14 | `appointment.rescheduled` | Appointment `booked` |
//! | SIU^S15 | `appointment.cancelled` | Appointment `cancelled` |
//! | SIU^S26 (no-show) | `appointment.cancelled` | Appointment `noshow` (no separate kind exists; routes tell a no-show by the status) |
//!
//! The study event is a second event in the returned Vec, with its own Bundle (MessageHeader,
//! Patient, ImagingStudy) and only the warnings raised building the study; the first event
//! carries every other warning. `occurred_at` is ORC-9 (orders), OBR-22 (results), else MSH-7.
//! Ids are replay-stable: `deterministic_id("pacs", [source,
//! MSH-10, resource type, key])`, events `[source, MSH-10, "0" | "1"]`.
//!
//! Rejected (a [`DecodeError`]): no MSH-9, a message type other than ORM/OMI/OMG/ORU/SIU
//! (`unsupported-message`) or an unsupported trigger (`unsupported-event`), no PID (or no
//! PID-3), an order without ORC or OBR, an ORC-1 that is empty or unknown, a result without
//! OBR, an SIU without SCH or (for S12–S14) without a start, and an unparseable OBR-7 on a
//! result or appointment start (`bad-value`, naming the field). Everything else that is wrong
//! is an [`Event::warnings`] entry.
//!
//! Memory: an encapsulated PDF is copied once, from the parsed message into
//! `Attachment.data`, and never decoded (see `document`).

mod appointment;
mod codes;
mod ctx;
mod document;
mod groups;
mod header;
mod order;
mod patient;
mod people;
mod report;
mod study;

use junction_hl7v2::Message;
use junction_model::fhir::{Reference, Resource};
use junction_model::{Bundle, Event, EventKind, Warning, deterministic_id};

use crate::adapter::{Adapter, Inbound};
use crate::error::{DecodeError, DecodeErrorCode};
use crate::registry::AdapterOptions;
use ctx::{Ctx, ID_NAMESPACE, ts_text};
use groups::groups;

/// The PACS/RIS (HL7 v2 radiology) adapter. See the [module docs](self) for the mapping.
#[derive(Debug, Clone, Default)]
pub struct PacsAdapter {
    options: AdapterOptions,
}

impl PacsAdapter {
    /// An adapter with these options (code tables `procedure`, `sex` and `ethnic` are used
    /// when present).
    pub fn new(options: AdapterOptions) -> Self {
        Self { options }
    }
}

/// The message families handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Order,
    Result,
    Schedule,
}

/// What one message maps to, before it is wrapped in events.
struct Mapped {
    kind: EventKind,
    focus: String,
    resources: Vec<Resource>,
    occurred_at: Option<String>,
    study: Option<(Resource, Vec<Warning>)>,
}

impl Adapter for PacsAdapter {
    fn name(&self) -> &'static str {
        "pacs"
    }

    fn kinds(&self) -> &'static [&'static str] {
        &[
            "order.placed",
            "order.updated",
            "order.cancelled",
            "result.reported",
            "imaging.study-available",
            "appointment.booked",
            "appointment.rescheduled",
            "appointment.cancelled",
        ]
    }

    fn decode(&self, inbound: &Inbound<'_>) -> Result<Vec<Event>, DecodeError> {
        let msg = Message::parse(inbound.bytes)?;
        let msh = msg.header();
        let (family, code, trigger) = message_type(&msg)?;
        let control_id = msh.control_id();
        let msg_id = control_id.as_deref().unwrap_or(inbound.correlation_id);
        let mut ctx = Ctx::new(ID_NAMESPACE, &self.options, inbound.source, msg_id);
        ctx.facility = msh.sending_facility().map(|f| f.into_owned());
        if control_id.is_none() {
            ctx.warn(
                "field-missing",
                "MSH-10",
                "message control id is empty; ids derived from the correlation id",
            );
        }
        let person = patient::map(&self.options, &msg, inbound.source, msg_id)?;
        ctx.warnings.extend(person.warnings);
        let patient_id = person.patient.id.clone().unwrap_or_default();
        let subject = Reference::to(Ctx::urn(&patient_id));
        let mapped = match family {
            Family::Order => map_orders(&mut ctx, &msg, &subject)?,
            Family::Result => map_results(&mut ctx, &msg, &subject)?,
            Family::Schedule => {
                let id = ctx.id("Appointment", "");
                let appt =
                    appointment::appointment(&mut ctx, &msg, &trigger, id.clone(), &subject)?;
                Mapped {
                    kind: match trigger.as_str() {
                        "S12" => EventKind::AppointmentBooked,
                        "S13" | "S14" => EventKind::AppointmentRescheduled,
                        _ => EventKind::AppointmentCancelled,
                    },
                    focus: id,
                    resources: vec![appt.into()],
                    occurred_at: None,
                    study: None,
                }
            }
        };
        let msh7 = ts_text(msh.field(7))
            .and_then(|t| junction_hl7v2::Timestamp::parse(&t).ok())
            .map(|t| t.to_fhir_datetime());
        let occurred_at = mapped.occurred_at.or(msh7);
        let message_type = format!("{code}^{trigger}");
        let warnings = std::mem::take(&mut ctx.warnings);
        let build = |n: &str, kind: EventKind, focus: &str, resources: Vec<Resource>, warnings| {
            let header = header::message_header(
                ctx.id("MessageHeader", n),
                &msh,
                &trigger,
                Reference::to(Ctx::urn(focus)),
            );
            let bundle =
                Bundle::message(header, resources, ctx.id("Bundle", n), inbound.received_at);
            let mut event = Event::new(
                deterministic_id(ID_NAMESPACE, &[inbound.source, msg_id, n]),
                kind,
                inbound.source,
                inbound.received_at,
                inbound.correlation_id,
                bundle,
            );
            event.message_type = Some(message_type.clone());
            event.occurred_at = occurred_at.clone();
            event.patient_key = person.key.clone();
            event.warnings = warnings;
            event
        };
        let mut events = Vec::with_capacity(2);
        let study = mapped.study.map(|(study, warnings)| {
            let focus = study.id().unwrap_or_default().to_owned();
            let resources = vec![person.patient.clone().into(), study];
            build(
                "1",
                EventKind::ImagingStudyAvailable,
                &focus,
                resources,
                warnings,
            )
        });
        let mut resources = Vec::with_capacity(mapped.resources.len() + 1);
        resources.push(person.patient.into());
        resources.extend(mapped.resources);
        events.push(build("0", mapped.kind, &mapped.focus, resources, warnings));
        events.extend(study);
        Ok(events)
    }
}

/// MSH-9 → family, message code and trigger.
fn message_type(msg: &Message<'_>) -> Result<(Family, String, String), DecodeError> {
    let msh = msg.header();
    let Some(code) = msh.message_code() else {
        return Err(DecodeError::missing_field(
            "MSH-9",
            "message type (MSH-9) is empty; expected e.g. ORM^O01, ORU^R01, SIU^S12",
        ));
    };
    let trigger = msh
        .trigger_event()
        .map(|t| t.into_owned())
        .unwrap_or_default();
    let (family, triggers): (Family, &[&str]) = match code.as_ref() {
        "ORM" => (Family::Order, &["O01"]),
        "OMI" => (Family::Order, &["O23"]),
        "OMG" => (Family::Order, &["O19"]),
        "ORU" => (Family::Result, &["R01"]),
        "SIU" => (Family::Schedule, &["S12", "S13", "S14", "S15", "S26"]),
        other => {
            return Err(DecodeError::new(
                DecodeErrorCode::UnsupportedMessage,
                Some("MSH-9.1"),
                format!(
                    "message type `{other}` is not handled by the pacs adapter \
                     (ORM, OMI, OMG, ORU, SIU)"
                ),
            ));
        }
    };
    if !triggers.contains(&trigger.as_str()) {
        return Err(DecodeError::new(
            DecodeErrorCode::UnsupportedEvent,
            Some("MSH-9.2"),
            format!("{code} trigger `{trigger}` is not supported by the pacs adapter"),
        ));
    }
    Ok((family, code.into_owned(), trigger))
}

/// Order messages: one ServiceRequest per ORC group; the kind from the first ORC-1.
fn map_orders(
    ctx: &mut Ctx<'_>,
    msg: &Message<'_>,
    subject: &Reference,
) -> Result<Mapped, DecodeError> {
    let groups = groups(msg);
    if groups.is_empty() {
        return Err(DecodeError::missing_segment(
            "ORC",
            "an order message needs ORC and OBR",
        ));
    }
    let mut resources = Vec::with_capacity(groups.len());
    let mut kind = None;
    let mut focus = String::new();
    let mut occurred_at = None;
    let mut study = None;
    for (i, g) in groups.iter().enumerate() {
        let key = (i + 1).to_string();
        let Some(orc) = g.orc else {
            return Err(DecodeError::missing_segment(
                "ORC",
                "each order group needs an ORC",
            ));
        };
        let Some(obr) = g.obr else {
            // No OBR anywhere: a diet (ODS), supply (RQD) or pharmacy (RXO) order, a kind this
            // adapter does not map (HL7 201) rather than a broken one; its pass-through event
            // still flows.
            if msg.segments_named("OBR").next().is_none() {
                return Err(DecodeError::new(
                    DecodeErrorCode::UnsupportedEvent,
                    Some("OBR"),
                    "an order without OBR (diet, supply or pharmacy) is not an order the pacs \
                     adapter maps",
                ));
            }
            return Err(DecodeError::missing_segment(
                "OBR",
                "each ORC of an order needs an OBR after it",
            ));
        };
        let (control, _) = order::control(&orc)?;
        let id = ctx.id("ServiceRequest", &key);
        let sr = order::service_request(ctx, g, orc, obr, id.clone(), subject)?;
        if kind.is_none() {
            kind = Some(control.kind());
            focus.clone_from(&id);
            occurred_at = sr.authored_on.clone();
        }
        let complete = order::order_status(&orc).as_deref() == Some("CM");
        if complete && study.is_none() {
            let before = ctx.warnings.len();
            let input = study::StudyInput {
                id: ctx.id("ImagingStudy", &key),
                subject,
                based_on: Some(Reference::to(Ctx::urn(&id))),
                accession: sr.identifier.iter().find(|i| is_accession(i)).cloned(),
                procedure: sr.code.clone(),
            };
            let is = study::imaging_study(ctx, g, input);
            study = Some((is.into(), ctx.warnings.split_off(before)));
        }
        resources.push(sr.into());
    }
    Ok(Mapped {
        kind: kind.unwrap_or(EventKind::OrderUpdated),
        focus,
        resources,
        occurred_at,
        study,
    })
}

/// Result messages: a DiagnosticReport (+ Observations) per OBR group.
fn map_results(
    ctx: &mut Ctx<'_>,
    msg: &Message<'_>,
    subject: &Reference,
) -> Result<Mapped, DecodeError> {
    let groups = groups(msg);
    if groups.iter().all(|g| g.obr.is_none()) {
        return Err(DecodeError::missing_segment(
            "OBR",
            "a result message needs an OBR",
        ));
    }
    let mut resources = Vec::new();
    let mut focus = String::new();
    let mut occurred_at = None;
    let mut study = None;
    for (i, g) in groups.iter().enumerate() {
        let Some(obr) = g.obr else { continue };
        let key = (i + 1).to_string();
        let rep = report::report(ctx, g, obr, &key, subject)?;
        let dr_id = rep.report.id.clone().unwrap_or_default();
        if focus.is_empty() {
            focus.clone_from(&dr_id);
            occurred_at = rep.report.issued.clone();
        }
        if study.is_none() && study::study_uid(g).is_some() {
            let before = ctx.warnings.len();
            let input = study::StudyInput {
                id: ctx.id("ImagingStudy", &key),
                subject,
                based_on: rep.report.based_on.first().cloned(),
                accession: rep
                    .report
                    .identifier
                    .iter()
                    .find(|i| is_accession(i))
                    .cloned(),
                procedure: rep.report.code.clone(),
            };
            let is = study::imaging_study(ctx, g, input);
            study = Some((is.into(), ctx.warnings.split_off(before)));
        }
        resources.push(rep.report.into());
        resources.extend(rep.observations.into_iter().map(Resource::from));
    }
    Ok(Mapped {
        kind: EventKind::ResultReported,
        focus,
        resources,
        occurred_at,
        study,
    })
}

fn is_accession(i: &junction_model::fhir::Identifier) -> bool {
    i.type_
        .as_ref()
        .is_some_and(|t| t.coding.iter().any(|c| c.code.as_deref() == Some("ACSN")))
}
