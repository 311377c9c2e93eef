//! One ORC order group → one [`Item`]: ORC-1/ORC-5 → event kind and status, ORC-2/3/4 →
//! identifiers, RXE (RDE) or RXD (RDS) → medication, dose, quantity and dispenser, TQ1 or the
//! TQ in RXE-1/ORC-7 → timing, RXR → route, NTE → notes.

use junction_hl7v2::{Message as V2, Segment};
use junction_model::EventKind;
use junction_model::fhir::{
    CodeableConcept, Coding, Dosage, Dose, DoseAndRate, Identifier, Range, Rate,
};
use junction_model::uk_core::systems;

use super::{Trigger, authority_system, codes, first, timing};
use crate::error::{DecodeError, DecodeErrorCode};
use crate::prescribing::ctx::{Ctx, comp, field_comp, field1, rep1, text};
use crate::prescribing::order::Item;

const CS_COURSE: &str = "http://terminology.hl7.org/CodeSystem/medicationrequest-course-of-therapy";
const PRESCRIPTION_ORDER_NUMBER: &str = "https://fhir.nhs.uk/Id/prescription-order-number";

/// An ORC and the segments that follow it up to the next ORC.
pub(crate) struct Group<'m> {
    pub orc: Segment<'m>,
    pub segs: Vec<Segment<'m>>,
}

/// The order groups of a message, in order.
pub(crate) fn groups<'m>(msg: &'m V2<'_>) -> Vec<Group<'m>> {
    let mut out: Vec<Group<'m>> = Vec::new();
    for seg in msg.segments() {
        match seg.name() {
            "ORC" => out.push(Group {
                orc: seg,
                segs: Vec::new(),
            }),
            "RXE" | "RXD" | "RXR" | "TQ1" | "NTE" | "RXC" | "RXO" => {
                if let Some(g) = out.last_mut() {
                    g.segs.push(seg);
                }
            }
            _ => {}
        }
    }
    out
}

/// ORC-1 → event kind and default status (RDE); RDS is always a dispense.
fn control(trigger: Trigger, code: &str) -> Option<(EventKind, &'static str)> {
    if trigger == Trigger::Dispense {
        return Some((EventKind::MedicationDispensed, "completed"));
    }
    Some(match code {
        "NW" | "RF" => (EventKind::PrescriptionIssued, "active"),
        "CA" | "OC" => (EventKind::PrescriptionCancelled, "cancelled"),
        "DC" | "OD" => (EventKind::PrescriptionCancelled, "stopped"),
        _ => return None,
    })
}

/// ORC-5 order status (HL7 0038) → MedicationRequest status.
fn status_0038(code: &str) -> Option<&'static str> {
    Some(match code {
        "CM" => "completed",
        "CA" => "cancelled",
        "DC" | "RP" => "stopped",
        "HD" => "on-hold",
        "ER" => "entered-in-error",
        "IP" | "SC" | "A" => "active",
        _ => return None,
    })
}

/// Builds the item for group `n` (1-based).
pub(crate) fn item(
    ctx: &mut Ctx<'_>,
    g: &Group<'_>,
    n: usize,
    trigger: Trigger,
    facility: Option<&str>,
) -> Result<Item, DecodeError> {
    let orc = &g.orc;
    let path = |f: usize| {
        if n == 1 {
            format!("ORC-{f}")
        } else {
            format!("ORC[{n}]-{f}")
        }
    };
    let oc = field1(orc, 1)
        .ok_or_else(|| DecodeError::missing_field(&path(1), "order control (ORC-1) is empty"))?;
    let (kind, mut status) = control(trigger, &oc).ok_or_else(|| {
        DecodeError::new(
            DecodeErrorCode::UnsupportedEvent,
            Some(&path(1)),
            format!("order control `{oc}` is not supported (NW, RF, CA, OC, DC, OD); send a change as CA then NW"),
        )
    })?;
    if let Some(s) = field1(orc, 5) {
        match status_0038(&s) {
            Some(st) => status = st,
            None => ctx.warn(
                "code-unmapped",
                path(5),
                "order status is not an HL7 0038 code; status from ORC-1",
            ),
        }
    }
    let authority = facility.unwrap_or("local");
    let mut it = Item {
        kind: Some(kind),
        status,
        ..Default::default()
    };
    let placer = field_comp(orc, 2, 1);
    let filler = field_comp(orc, 3, 1);
    it.key = placer
        .as_deref()
        .or(filler.as_deref())
        .map(str::to_owned)
        .ok_or_else(|| DecodeError::missing_field(&path(2), "placer (ORC-2) and filler (ORC-3) order numbers are both empty; the item cannot be identified"))?;
    for (value, kind, type_code) in [
        (placer, "placer-order-number", "PLAC"),
        (filler, "filler-order-number", "FILL"),
    ] {
        if let Some(v) = value {
            it.identifiers.push(Identifier {
                type_: Some(CodeableConcept::from_coding(Coding::new(
                    systems::V2_IDENTIFIER_TYPE,
                    type_code,
                    None,
                ))),
                ..Identifier::new(authority_system(authority, kind), v.into_owned())
            });
        }
    }
    it.group = field_comp(orc, 4, 1).map(|g| {
        if is_eps_short_form(&g) {
            Identifier::new(PRESCRIPTION_ORDER_NUMBER, g.into_owned())
        } else {
            Identifier::new(
                authority_system(authority, "placer-group-number"),
                g.into_owned(),
            )
        }
    });
    it.authored_on = ctx.datetime(orc.field(9), &path(9), "order date/time");
    if it.authored_on.is_none() {
        ctx.warn(
            "field-missing",
            path(9),
            "order date/time (ORC-9) is empty; authoredOn left out",
        );
    }
    let rxe = first(&g.segs, "RXE");
    let rxd = first(&g.segs, "RXD");
    let (main, main_name) = match (trigger, rxd, rxe) {
        (Trigger::Dispense, Some(rxd), _) => (rxd, "RXD"),
        (Trigger::Order, _, Some(rxe)) => (rxe, "RXE"),
        (Trigger::Dispense, None, _) => {
            return Err(DecodeError::missing_segment(
                "RXD",
                format!("order group {n} has no RXD; a dispense needs one"),
            ));
        }
        (Trigger::Order, _, None) => {
            return Err(DecodeError::missing_segment(
                "RXE",
                format!("order group {n} has no RXE; an encoded order needs one"),
            ));
        }
    };
    let med_path = format!("{main_name}-2");
    it.medication = rep1(&main, 2).and_then(|v| codes::medication(ctx, v, &med_path));
    if it.medication.is_none() {
        return Err(DecodeError::missing_field(
            &med_path,
            "give/dispense code is empty; a prescription must name the medication",
        ));
    }
    it.dosage = Some(dosage(ctx, g, rxe.as_ref(), orc));
    if let Some(d) = &it.dosage
        && let Some(t) = &d.timing
        && let Some(r) = &t.repeat
        && let Some(junction_model::fhir::TimingBounds::Duration(dur)) = &r.bounds
    {
        it.supply_duration = Some(dur.clone());
    }
    it.priority = priority(g, rxe.as_ref(), orc);
    match trigger {
        Trigger::Order => order_supply(ctx, &mut it, &main),
        Trigger::Dispense => {
            if let Some(v) = field1(&main, 4) {
                it.quantity = codes::quantity(ctx, &v, rep1(&main, 5), "RXD-4");
            }
            it.occurred_at = ctx.datetime(main.field(3), "RXD-3", "date/time dispensed");
            it.dispenser = field1(&main, 30).map(|s| s.into_owned());
        }
    }
    if it.dispenser.is_none() {
        it.dispenser = rxe
            .as_ref()
            .and_then(|r| field1(r, 40))
            .map(|s| s.into_owned());
    }
    if let Some(rxe) = &rxe
        && let Some(rxe21) = rep1(rxe, 21)
        && let Some(t) = comp(rxe21, 2).or_else(|| comp(rxe21, 1))
    {
        it.notes.push(t.into_owned());
    }
    for nte in g.segs.iter().filter(|s| s.name() == "NTE") {
        if let Some(t) = text(nte.field(3)) {
            it.notes.push(t.into_owned());
        }
    }
    if oc == "RF" && it.course.is_none() {
        it.course = Some((CS_COURSE, "continuous", "Continuous long term therapy"));
    }
    Ok(it)
}

/// RXE-10/11 quantity, RXE-12 refills (→ repeats and course of therapy).
fn order_supply(ctx: &mut Ctx<'_>, it: &mut Item, rxe: &Segment<'_>) {
    if let Some(v) = field1(rxe, 10) {
        it.quantity = codes::quantity(ctx, &v, rep1(rxe, 11), "RXE-10");
    }
    if let Some(r) = field1(rxe, 12) {
        match r.parse::<u32>() {
            Ok(0) => {
                it.repeats = Some(0);
                it.course = Some((CS_COURSE, "acute", "Short course (acute) therapy"));
            }
            Ok(n) => {
                it.repeats = Some(n);
                it.course = Some((CS_COURSE, "continuous", "Continuous long term therapy"));
            }
            Err(_) => ctx.warn(
                "field-unparseable",
                "RXE-12",
                "number of refills is not a whole number; left out",
            ),
        }
    }
}

fn priority(g: &Group<'_>, rxe: Option<&Segment<'_>>, orc: &Segment<'_>) -> Option<&'static str> {
    let code = first(&g.segs, "TQ1")
        .and_then(|t| field_comp(&t, 9, 1))
        .or_else(|| rxe.and_then(|r| field_comp(r, 1, 6)))
        .or_else(|| field_comp(orc, 7, 6))?;
    match code.as_ref() {
        "S" => Some("stat"),
        "A" => Some("asap"),
        "R" => Some("routine"),
        _ => None,
    }
}

/// Dosage: timing, dose (RXE-3/4/5), rate (RXE-23/24), route (RXR-1), RXE-7 instructions,
/// and the text (TQ1-11 / TQ.8, else composed as "<dose> - <pattern> - <route>").
fn dosage(
    ctx: &mut Ctx<'_>,
    g: &Group<'_>,
    rxe: Option<&Segment<'_>>,
    orc: &Segment<'_>,
) -> Dosage {
    let tq1 = first(&g.segs, "TQ1");
    let tq = rxe
        .and_then(|r| rep1(r, 1).filter(|v| !v.is_empty()).map(|v| (v, "RXE-1")))
        .or_else(|| rep1(orc, 7).filter(|v| !v.is_empty()).map(|v| (v, "ORC-7")));
    let sched = timing::read(ctx, tq1.as_ref(), tq);
    let mut d = Dosage {
        sequence: Some(1),
        timing: sched.timing.clone(),
        as_needed: timing::as_needed(&sched),
        ..Default::default()
    };
    let mut dose_text = None;
    if let Some(rxe) = rxe {
        let units = rep1(rxe, 5);
        let min = field1(rxe, 3).and_then(|v| codes::quantity(ctx, &v, units, "RXE-3"));
        let max = field1(rxe, 4).and_then(|v| codes::quantity(ctx, &v, units, "RXE-4"));
        let dose = match (min, max) {
            (Some(lo), Some(hi)) if lo.value != hi.value => Some(Dose::Range(Range {
                low: Some(lo),
                high: Some(hi),
                ..Default::default()
            })),
            (Some(q), _) | (None, Some(q)) => Some(Dose::Quantity(q)),
            _ => None,
        };
        dose_text = dose.as_ref().map(dose_words);
        let rate = field1(rxe, 23).and_then(|v| codes::quantity(ctx, &v, rep1(rxe, 24), "RXE-23"));
        if dose.is_some() || rate.is_some() {
            d.dose_and_rate.push(DoseAndRate {
                dose,
                rate: rate.map(Rate::Quantity),
                ..Default::default()
            });
        }
        if let Some(v) = rep1(rxe, 7)
            && let Some(t) = comp(v, 2).or_else(|| comp(v, 1))
        {
            d.additional_instruction.push(CodeableConcept::text(t));
        }
    }
    if let Some(rxr) = first(&g.segs, "RXR") {
        d.route = rep1(&rxr, 1).and_then(|v| codes::route(ctx, v));
    }
    d.text = sched.text.clone().or_else(|| {
        let route = d.route.as_ref().and_then(|r| {
            r.coding
                .first()
                .and_then(|c| c.display.clone())
                .or(r.text.clone())
        });
        let parts: Vec<String> = [dose_text, sched.pattern_text.clone(), route]
            .into_iter()
            .flatten()
            .collect();
        (!parts.is_empty()).then(|| parts.join(" - "))
    });
    d
}

fn dose_words(d: &Dose) -> String {
    let q = |q: &junction_model::fhir::Quantity| {
        let v = q
            .value
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default();
        match q.unit.as_deref() {
            Some(u) => format!("{v} {u}"),
            None => v,
        }
    };
    match d {
        Dose::Quantity(x) => q(x),
        Dose::Range(r) => format!(
            "{} to {}",
            r.low.as_ref().map(q).unwrap_or_default(),
            r.high.as_ref().map(q).unwrap_or_default()
        ),
    }
}

/// An EPS short-form prescription id: `XXXXXX-XXXXXX-XXXXXC` (hex, ODS, hex + check char).
pub(crate) fn is_eps_short_form(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 20
        && b[6] == b'-'
        && b[13] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 6 || i == 13 || c.is_ascii_alphanumeric() || (i == 19 && *c == b'+'))
}
