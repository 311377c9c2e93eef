//! ORM^O01 / OMI^O23 / OMG^O19 order groups → ServiceRequest. ORC-1 gives the event kind and,
//! with ORC-5, the status; numbers come from ORC-2/3 (else OBR-2/3) and OBR-18 (else IPC-1);
//! the procedure from OBR-4; priority from TQ1-9, else ORC-7.6, else OBR-27.6 (TQ1 replaces
//! the TQ fields from v2.5); occurrence from OBR-7, else TQ1-7, else ORC-7.4.

use junction_model::fhir::{CodeableConcept, Occurrence, Reference, ServiceRequest};
use junction_model::uk_core::{self, systems};

use super::codes::{self, Control};
use super::ctx::{Ctx, comp, field1, path, rep1, reps};
use super::groups::{Group, Seg};
use super::people::{Number, number, xcn_reference};
use crate::error::{DecodeError, DecodeErrorCode};

/// SNOMED CT 363679005 |Imaging|, the category of every radiology request.
pub(crate) fn imaging_category() -> CodeableConcept {
    CodeableConcept::coded(systems::SNOMED_CT, "363679005", Some("Imaging"))
}

/// An order group's control (ORC-1), required and known.
pub(crate) fn control(orc: &Seg<'_>) -> Result<(Control, String), DecodeError> {
    let at = path("ORC", orc.n, 1);
    let Some(code) = field1(&orc.seg, 1) else {
        return Err(DecodeError::missing_field(
            &at,
            "order control (ORC-1) is empty; expected e.g. NW, CA, XO, SC",
        ));
    };
    let code = code.to_ascii_uppercase();
    match Control::from_code(&code) {
        Some(c) => Ok((c, code)),
        None => Err(DecodeError::new(
            DecodeErrorCode::UnknownCode,
            Some(&at),
            "order control (ORC-1) is not one the pacs adapter interprets",
        )),
    }
}

/// The order status (ORC-5), upper-cased.
pub(crate) fn order_status(orc: &Seg<'_>) -> Option<String> {
    field1(&orc.seg, 5).map(|s| s.to_ascii_uppercase())
}

/// Placer, filler and accession identifiers of a group (ORC first, then OBR, then IPC).
pub(crate) fn identifiers<'m>(
    ctx: &Ctx<'_>,
    g: &Group<'m>,
) -> Vec<junction_model::fhir::Identifier> {
    let field = |s: Option<Seg<'m>>, f: usize| {
        s.and_then(|s| rep1(&s.seg, f))
            .filter(|v| comp(*v, 1).is_some())
    };
    let placer = field(g.orc, 2).or_else(|| field(g.obr, 2));
    let filler = field(g.orc, 3).or_else(|| field(g.obr, 3));
    let accession = field(g.obr, 18).or_else(|| field(g.ipc, 1));
    [
        (placer, Number::Placer),
        (filler, Number::Filler),
        (accession, Number::Accession),
    ]
    .into_iter()
    .filter_map(|(v, what)| number(ctx, v?, what))
    .collect()
}

/// The ServiceRequest of one order group; `orc` and `obr` must be present.
pub(crate) fn service_request(
    ctx: &mut Ctx<'_>,
    g: &Group<'_>,
    orc: Seg<'_>,
    obr: Seg<'_>,
    id: String,
    subject: &Reference,
) -> Result<ServiceRequest, DecodeError> {
    let (control, code) = control(&orc)?;
    let status = order_status(&orc);
    let (o, b) = (&orc.seg, &obr.seg);
    let mut sr = ServiceRequest {
        id: Some(id),
        meta: Some(uk_core::profile_meta(systems::profile::SERVICE_REQUEST)),
        identifier: identifiers(ctx, g),
        status: Some(control.status(status.as_deref()).to_owned()),
        intent: Some(codes::intent(&code).to_owned()),
        category: vec![imaging_category()],
        subject: Some(subject.clone()),
        ..Default::default()
    };
    if let Some(v) = rep1(b, 4) {
        sr.code = codes::procedure(ctx, v, &path("OBR", obr.n, 4));
    }
    sr.priority = priority(ctx, g, orc, obr).map(str::to_owned);
    let occurrence = [
        (rep1(b, 7), path("OBR", obr.n, 7)),
        (
            g.tq1.and_then(|t| rep1(&t.seg, 7)),
            path("TQ1", g.tq1.map_or(1, |t| t.n), 7),
        ),
        (
            rep1(o, 7).and_then(|v| v.component(4)),
            format!("{}.4", path("ORC", orc.n, 7)),
        ),
    ];
    for (v, at) in occurrence {
        if let Some(dt) = ctx.datetime(v, &at, "requested date/time") {
            sr.occurrence = Some(Occurrence::DateTime(dt));
            break;
        }
    }
    sr.authored_on = ctx.datetime(o.field(9), &path("ORC", orc.n, 9), "order date/time");
    sr.requester = rep1(o, 12)
        .and_then(xcn_reference)
        .or_else(|| rep1(b, 16).and_then(xcn_reference));
    sr.performer = rep1(b, 34)
        .and_then(super::people::ndl_reference)
        .into_iter()
        .collect();
    sr.reason_code = reps(b, 31)
        .filter_map(|v| comp(v, 2).or_else(|| comp(v, 1)))
        .chain(rep1(b, 13).and_then(|v| super::ctx::text(Some(v))))
        .map(|t| CodeableConcept::text(t.into_owned()))
        .collect();
    Ok(sr)
}

/// TQ1-9, else ORC-7.6, else OBR-27.6 → priority.
fn priority(ctx: &mut Ctx<'_>, g: &Group<'_>, orc: Seg<'_>, obr: Seg<'_>) -> Option<&'static str> {
    let tq1 = g
        .tq1
        .and_then(|t| Some((field1(&t.seg, 9)?, path("TQ1", t.n, 9))));
    let orc7 = rep1(&orc.seg, 7)
        .and_then(|v| comp(v, 6))
        .map(|c| (c, format!("{}.6", path("ORC", orc.n, 7))));
    let obr27 = rep1(&obr.seg, 27)
        .and_then(|v| comp(v, 6))
        .map(|c| (c, format!("{}.6", path("OBR", obr.n, 27))));
    let (code, at) = tq1.or(orc7).or(obr27)?;
    codes::priority(ctx, &code, &at)
}
