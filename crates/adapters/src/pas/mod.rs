//! The `pas` adapter: HL7 v2 ADT from a Patient Administration System, as profiled by the
//! HSCIC ITK HL7 v2.4 message specification (v2.3 to v2.5.1 senders accepted), decoded into
//! one event whose bundle is a FHIR `message` Bundle in UK Core form: MessageHeader, Patient,
//! and for visit events the Encounter with its Locations and Practitioners.
//!
//! | trigger | event kind | Encounter status |
//! |---|---|---|
//! | A01 | `patient.admitted` | in-progress |
//! | A02 | `patient.transferred` | in-progress (PV1-6 prior location `completed`) |
//! | A03 | `patient.discharged` | finished |
//! | A04, A28 | `patient.registered` | in-progress (A28: no Encounter) |
//! | A05 | `patient.pre-admitted` | planned (period from PV2-8/9) |
//! | A08, A31 | `patient.updated` | from PV1 (A31: no Encounter) |
//! | A11, A38 / A12, A13 | `encounter.cancelled` | cancelled / in-progress |
//! | A21, A22 | `patient.leave-started`, `patient.leave-ended` | onleave, in-progress |
//! | A34, A35, A40 | `patient.merged` | no Encounter; MRG → `Patient.link` (see `merge`) |
//!
//! Rejected (a [`DecodeError`]): no MSH-9, a non-ADT message or unsupported trigger, no PID
//! (or no PID-3 identifier), no PV1 on a visit event, no MRG on a merge, and PV1-44 on A01 /
//! PV1-45 on A03 present but not a date (PV1-44 missing on A01, too). Everything else that is
//! wrong becomes an [`Event::warnings`] entry and the event still flows.

pub(crate) mod ctx;
mod demographics;
mod encounter;
pub(crate) mod header;
pub(crate) mod identifiers;
mod locations;
mod merge;
pub(crate) mod patient;
pub(crate) mod practitioners;
mod triggers;

use junction_hl7v2::{Message, Segment, Timestamp};
use junction_model::fhir::{Patient, Reference, Resource};
use junction_model::{Bundle, Event, deterministic_id};

use crate::adapter::{Adapter, Inbound};
use crate::error::{DecodeError, DecodeErrorCode};
use crate::registry::AdapterOptions;
use ctx::{Ctx, ID_NAMESPACE, ts_text};
use identifiers::{Cx, local_identifier, read_ids, verification_status};
use patient::PatientSegments;
use triggers::Trigger;

pub use identifiers::INVALID_NHS_TYPE_TEXT;

/// The PAS (HL7 v2 ADT) adapter. See the [module docs](self) for the mapping.
#[derive(Debug, Clone, Default)]
pub struct PasAdapter {
    options: AdapterOptions,
}

impl PasAdapter {
    /// An adapter with these options (code tables `sex` and `ethnic` are used when present).
    pub fn new(options: AdapterOptions) -> Self {
        Self { options }
    }
}

/// The segments the mapping reads, found in one pass.
#[derive(Default)]
struct Segments<'m> {
    evn: Option<Segment<'m>>,
    pid: Option<Segment<'m>>,
    pd1: Option<Segment<'m>>,
    nk1: Vec<Segment<'m>>,
    pv1: Option<Segment<'m>>,
    pv2: Option<Segment<'m>>,
    mrg: Option<Segment<'m>>,
    zu1: Option<Segment<'m>>,
}

impl<'m> Segments<'m> {
    fn find(msg: &'m Message<'_>) -> Self {
        let mut s = Self::default();
        for seg in msg.segments() {
            let slot = match seg.name() {
                "EVN" => &mut s.evn,
                "PID" => &mut s.pid,
                "PD1" => &mut s.pd1,
                "PV1" => &mut s.pv1,
                "PV2" => &mut s.pv2,
                "MRG" => &mut s.mrg,
                "ZU1" => &mut s.zu1,
                "NK1" => {
                    s.nk1.push(seg);
                    continue;
                }
                _ => continue,
            };
            if slot.is_none() {
                *slot = Some(seg);
            }
        }
        s
    }
}

impl Adapter for PasAdapter {
    fn name(&self) -> &'static str {
        "pas"
    }

    fn kinds(&self) -> &'static [&'static str] {
        &[
            "patient.registered",
            "patient.admitted",
            "patient.pre-admitted",
            "patient.transferred",
            "patient.discharged",
            "patient.updated",
            "patient.merged",
            "patient.leave-started",
            "patient.leave-ended",
            "encounter.cancelled",
        ]
    }

    fn decode(&self, inbound: &Inbound<'_>) -> Result<Vec<Event>, DecodeError> {
        let msg = Message::parse(inbound.bytes)?;
        let msh = msg.header();
        let segs = Segments::find(&msg);
        let trigger = trigger(&msg, segs.evn.as_ref())?;
        let control_id = msh.control_id();
        let msg_id = control_id.as_deref().unwrap_or(inbound.correlation_id);
        let mut ctx = Ctx::new(ID_NAMESPACE, &self.options, inbound.source, msg_id);
        if control_id.is_none() {
            ctx.warn(
                "field-missing",
                "MSH-10",
                "message control id is empty; ids derived from the correlation id",
            );
        }
        let Some(pid) = segs.pid else {
            return Err(DecodeError::missing_segment(
                "PID",
                "PID segment is required for this event",
            ));
        };
        let psegs = PatientSegments {
            pid,
            pd1: segs.pd1,
            nk1: segs.nk1,
        };
        let MappedPatient {
            mut patient,
            key: patient_key,
        } = map_patient(&mut ctx, &psegs, segs.zu1.as_ref())?;
        let patient_ref = Ctx::urn(patient.id.as_deref().unwrap_or_default());
        if trigger.is_merge() {
            let Some(mrg) = segs.mrg else {
                return Err(DecodeError::missing_segment(
                    "MRG",
                    "MRG segment is required for a merge",
                ));
            };
            merge::apply_mrg(&mut ctx, &mrg, &mut patient);
        }

        let facility = msh.sending_facility();
        let mut resources: Vec<Resource> = Vec::with_capacity(8);
        resources.push(patient.into());
        let mut focus = Reference::to(patient_ref.clone());
        if !trigger.is_person_only() {
            if encounter::has_visit(segs.pv1.as_ref()) {
                let pv1 = segs.pv1.as_ref().ok_or_else(|| {
                    DecodeError::new(DecodeErrorCode::Internal, Some("PV1"), "PV1 vanished")
                })?;
                let mapped = encounter::encounter(
                    &mut ctx,
                    trigger,
                    pv1,
                    segs.pv2.as_ref(),
                    segs.evn.as_ref(),
                    &patient_ref,
                    facility.as_deref(),
                )?;
                focus = Reference::to(Ctx::urn(mapped.encounter.id.as_deref().unwrap_or("")));
                resources.push(mapped.encounter.into());
                resources.extend(mapped.others);
            } else if trigger.needs_visit() {
                // PV1 sent with PV1-2 empty is an empty required field (HL7 101), not a missing
                // segment.
                let class_empty = segs
                    .pv1
                    .as_ref()
                    .is_some_and(|p| ctx::field1(p, 2).is_none());
                return Err(match class_empty {
                    true => DecodeError::missing_field(
                        "PV1-2",
                        "patient class (PV1-2) is empty; it is required for this event",
                    ),
                    false => DecodeError::missing_segment(
                        "PV1",
                        "PV1 with a patient class (PV1-2) is required for this event",
                    ),
                });
            }
        }

        let occurred_at = occurred_at(&mut ctx, &msg, segs.evn.as_ref());
        let header = header::message_header(ctx.id("MessageHeader", ""), &msh, trigger, focus);
        let bundle = Bundle::message(header, resources, ctx.id("Bundle", ""), inbound.received_at);
        let event_id = deterministic_id(ID_NAMESPACE, &[inbound.source, msg_id, "0"]);
        let mut event = Event::new(
            event_id,
            trigger.kind(),
            inbound.source,
            inbound.received_at,
            inbound.correlation_id,
            bundle,
        );
        event.message_type = Some(format!("ADT^{}", trigger.code()));
        event.occurred_at = occurred_at;
        event.patient_key = patient_key;
        event.warnings = ctx.warnings;
        Ok(vec![event])
    }
}

/// A message's patient as the PAS adapter maps it, for every HL7 v2 adapter.
pub(crate) struct MappedPatient {
    /// The Patient resource (id derived from the context's message id).
    pub patient: Patient,
    /// The ordering key: `nhs:…` or `mrn:…`.
    pub key: Option<String>,
}

/// PID-3 (with the NHS number's verification status from PID-32 or ZU1), the Patient resource
/// and the patient key; PID-18 joins the identifiers as the account number. Warnings go to `ctx`.
pub(crate) fn map_patient(
    ctx: &mut Ctx<'_>,
    segs: &PatientSegments<'_>,
    zu1: Option<&Segment<'_>>,
) -> Result<MappedPatient, DecodeError> {
    let pid = &segs.pid;
    let verification = verification_status(ctx, pid, zu1);
    let mut ids = read_ids(ctx, pid, 3, "PID-3", verification);
    identifiers::nhs_number_from_pid2(ctx, pid, &mut ids, verification);
    if ids.identifiers.is_empty() {
        return Err(DecodeError::missing_field(
            "PID-3",
            "patient identifier list holds no identifier; cannot identify the patient",
        ));
    }
    let key = ids.patient_key();
    if key.is_none() {
        ctx.warn(
            "patient-key-missing",
            "PID-3",
            "no valid NHS number and no MRN with an assigning authority; no patient key",
        );
    }
    let account = pid
        .field(18)
        .and_then(|f| f.repetition(1))
        .and_then(Cx::read);
    let patient_id = ctx.id("Patient", "");
    let mut patient = patient::patient(ctx, segs, ids, patient_id);
    if let Some(cx) = account {
        patient.identifier.push(local_identifier(ctx, cx, false));
    }
    Ok(MappedPatient { patient, key })
}

/// MSH-9 → a supported trigger (MSH-9.2, or EVN-1 for old senders that leave it out).
fn trigger(msg: &Message<'_>, evn: Option<&Segment<'_>>) -> Result<Trigger, DecodeError> {
    let msh = msg.header();
    let Some(code) = msh.message_code() else {
        return Err(DecodeError::missing_field(
            "MSH-9",
            "message type (MSH-9) is empty; expected e.g. ADT^A01^ADT_A01",
        ));
    };
    if code != "ADT" {
        return Err(DecodeError::new(
            DecodeErrorCode::UnsupportedMessage,
            Some("MSH-9.1"),
            format!("message type `{code}` is not handled by the pas adapter (ADT only)"),
        ));
    }
    let event = msh
        .trigger_event()
        .or_else(|| evn.and_then(|e| ctx::field1(e, 1)));
    let Some(event) = event else {
        return Err(DecodeError::missing_field(
            "MSH-9.2",
            "trigger event (MSH-9.2) is empty",
        ));
    };
    Trigger::from_code(&event).ok_or_else(|| {
        DecodeError::new(
            DecodeErrorCode::UnsupportedEvent,
            Some("MSH-9.2"),
            format!("ADT trigger `{event}` is not supported by the pas adapter"),
        )
    })
}

/// EVN-6 (event occurred), else EVN-2 (recorded), else MSH-7, as a FHIR dateTime.
fn occurred_at(ctx: &mut Ctx<'_>, msg: &Message<'_>, evn: Option<&Segment<'_>>) -> Option<String> {
    let msh = msg.segment("MSH", 1)?;
    let candidates = [
        (evn.and_then(|e| e.field(6)), "EVN-6"),
        (evn.and_then(|e| e.field(2)), "EVN-2"),
        (msh.field(7), "MSH-7"),
    ];
    for (value, path) in candidates {
        let Some(raw) = ts_text(value) else { continue };
        match Timestamp::parse(&raw) {
            Ok(ts) => return Some(ts.to_fhir_datetime()),
            Err(_) => ctx.warn(
                "field-unparseable",
                path,
                "event date/time is not a valid HL7 date/time; next candidate used",
            ),
        }
    }
    None
}
