//! SIU^S12/S13/S14/S15/S26 → Appointment. Status from the trigger (S12–S14 `booked`, S15
//! `cancelled`, S26 `noshow`); start from SCH-11.4, else AIS-4, AIL-6, AIP-6; end SCH-11.5;
//! duration SCH-9/10, else AIS-7/8; identifiers SCH-1 (placer) and SCH-2 (filler); reason
//! SCH-7; type SCH-8; cancellation reason SCH-6 (S15/S26); basedOn the order numbers in
//! SCH-26/27; serviceType from AIS-3 (the procedure, mapped like OBR-4); participants the
//! patient, AIP-3 staff (AIP-4 role), AIL-3 locations and AIG-3 resources (e.g. a scanner).

use junction_hl7v2::{Message, Segment, Value};
use junction_model::fhir::{
    Appointment, AppointmentParticipant, CodeableConcept, Identifier, Reference,
};
use junction_model::uk_core::{self, systems};

use super::codes::{self, concept};
use super::ctx::{Ctx, comp, field1, rep1, required_dt};
use super::people::{Number, number, xcn_reference};
use crate::error::DecodeError;

/// Builds the Appointment of an SIU message; `trigger` is S12, S13, S14, S15 or S26.
pub(crate) fn appointment(
    ctx: &mut Ctx<'_>,
    msg: &Message<'_>,
    trigger: &str,
    id: String,
    subject: &Reference,
) -> Result<Appointment, DecodeError> {
    let Some(sch) = msg.segment("SCH", 1) else {
        return Err(DecodeError::missing_segment(
            "SCH",
            "SCH segment is required in a scheduling (SIU) message",
        ));
    };
    let ais = msg.segment("AIS", 1);
    let (status, cancelled) = match trigger {
        "S15" => ("cancelled", true),
        "S26" => ("noshow", true),
        _ => ("booked", false),
    };
    let mut appt = Appointment {
        id: Some(id),
        meta: Some(uk_core::profile_meta(systems::profile::APPOINTMENT)),
        status: Some(status.into()),
        ..Default::default()
    };
    appt.identifier = [
        (1, Number::PlacerAppointment),
        (2, Number::FillerAppointment),
    ]
    .into_iter()
    .filter_map(|(f, what)| number(ctx, rep1(&sch, f)?, what))
    .collect();
    appt.start = start(msg, &sch)?;
    if appt.start.is_none() && !cancelled {
        return Err(DecodeError::missing_field(
            "SCH-11.4",
            "appointment start (SCH-11.4, or AIS-4) is required to book or reschedule",
        ));
    }
    let end = rep1(&sch, 11).and_then(|v| v.component(5));
    appt.end = ctx.datetime(end, "SCH-11.5", "appointment end");
    appt.minutes_duration = duration(&sch, 9, 10).or_else(|| ais.and_then(|a| duration(&a, 7, 8)));
    appt.reason_code = rep1(&sch, 7).and_then(concept).into_iter().collect();
    appt.appointment_type = rep1(&sch, 8).and_then(concept);
    if cancelled {
        appt.cancelation_reason = rep1(&sch, 6).and_then(concept);
    }
    appt.based_on = [(26, Number::Placer), (27, Number::Filler)]
        .into_iter()
        .filter_map(|(f, what)| number(ctx, rep1(&sch, f)?, what))
        .map(|i| Reference::by_identifier("ServiceRequest", i))
        .collect();
    if let Some(ais) = &ais
        && let Some(v) = rep1(ais, 3)
    {
        appt.service_type.extend(codes::procedure(ctx, v, "AIS-3"));
    }
    appt.participant = participants(msg, subject);
    Ok(appt)
}

/// The first start date/time sent: SCH-11.4, AIS-4, AIL-6, AIP-6. Unparseable → `bad-value`.
fn start(msg: &Message<'_>, sch: &Segment<'_>) -> Result<Option<String>, DecodeError> {
    let candidates = [
        (
            rep1(sch, 11).and_then(|v| v.component(4)),
            "SCH-11.4".to_owned(),
        ),
        (
            msg.segment("AIS", 1).and_then(|s| s.field(4)),
            "AIS-4".into(),
        ),
        (
            msg.segment("AIL", 1).and_then(|s| s.field(6)),
            "AIL-6".into(),
        ),
        (
            msg.segment("AIP", 1).and_then(|s| s.field(6)),
            "AIP-6".into(),
        ),
    ];
    for (v, at) in candidates {
        if let Some(dt) = required_dt(v, &at, "appointment start")? {
            return Ok(Some(dt));
        }
    }
    Ok(None)
}

/// A duration field with its units (CE; minutes when absent, `H`/`HR` hours).
fn duration(seg: &Segment<'_>, f: usize, units: usize) -> Option<u32> {
    let n: u32 = field1(seg, f)?.parse().ok()?;
    match field1(seg, units)
        .map(|u| u.to_ascii_uppercase())
        .as_deref()
    {
        None | Some("MIN" | "M" | "MINUTES") => Some(n),
        Some("H" | "HR" | "HOURS") => n.checked_mul(60),
        Some(_) => None,
    }
}

fn participants(msg: &Message<'_>, subject: &Reference) -> Vec<AppointmentParticipant> {
    let accepted = |actor: Reference, role: Option<CodeableConcept>| AppointmentParticipant {
        type_: role.into_iter().collect(),
        actor: Some(actor),
        required: Some("required".into()),
        status: Some("accepted".into()),
        ..Default::default()
    };
    let mut out = vec![accepted(subject.clone(), None)];
    for aip in msg.segments_named("AIP") {
        if let Some(actor) = rep1(&aip, 3).and_then(xcn_reference) {
            out.push(accepted(actor, rep1(&aip, 4).and_then(concept)));
        }
    }
    for ail in msg.segments_named("AIL") {
        if let Some(actor) = rep1(&ail, 3).and_then(location) {
            out.push(accepted(actor, rep1(&ail, 4).and_then(concept)));
        }
    }
    for aig in msg.segments_named("AIG") {
        if let Some(v) = rep1(&aig, 3)
            && let Some(code) = comp(v, 1)
        {
            let actor = Reference {
                display: comp(v, 2).map(|d| d.into_owned()),
                ..Reference::by_identifier(
                    "Device",
                    Identifier {
                        value: Some(code.into_owned()),
                        ..Default::default()
                    },
                )
            };
            out.push(accepted(actor, rep1(&aig, 4).and_then(concept)));
        }
    }
    out
}

/// PL (point of care, room, bed, facility) → a Location reference by the most specific code.
fn location(v: Value<'_>) -> Option<Reference> {
    let parts: Vec<String> = [1, 2, 4]
        .into_iter()
        .filter_map(|c| comp(v, c).map(|t| t.into_owned()))
        .collect();
    let code = comp(v, 2).or_else(|| comp(v, 1))?.into_owned();
    Some(Reference {
        display: Some(parts.join(" ")),
        ..Reference::by_identifier(
            "Location",
            Identifier {
                value: Some(code),
                ..Default::default()
            },
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        let msg = Message::parse(b"MSH|^~\\&|A|B|C|D|20260101||SIU^S12|1|P|2.4\rSCH|1|2|||||||20|MIN|\rAIS|1||X||||2|H\r").unwrap();
        let sch = msg.segment("SCH", 1).unwrap();
        assert_eq!(duration(&sch, 9, 10), Some(20));
        let ais = msg.segment("AIS", 1).unwrap();
        assert_eq!(duration(&ais, 7, 8), Some(120));
    }
}
