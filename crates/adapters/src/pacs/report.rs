//! ORU^R01 radiology results: each OBR group → a DiagnosticReport (status from OBR-25, code
//! OBR-4, effective OBR-7, issued OBR-22, performer and results interpreter OBR-32) with:
//! - the narrative: TX/FT rows whose OBX-3 is the exam code (OBR-4.1), an `&GDT`/`&IMP`-style
//!   section id, or empty, joined one row (or repetition) per line — `\.br\` is a line break
//!   and an empty row a blank line — into `conclusion`;
//! - an Observation for every other row: NM → valueQuantity (OBX-6 units, `<`/`>` comparators),
//!   ST/TX/FT → valueString, CE/CWE → valueCodeableConcept;
//! - ED rows → `presentedForm` (see `document`); study-level DICOM rows feed the ImagingStudy.

use std::borrow::Cow;

use junction_model::fhir::{
    CodeableConcept, Coding, DiagnosticReport, Effective, Observation, ObservationReferenceRange,
    ObservationValue, Quantity, Reference,
};
use junction_model::uk_core::{self, systems};

use super::codes::{self, V2_SERVICE_SECTION};
use super::ctx::{Ctx, comp, field1, path, rep1, required_dt, text};
use super::document::attachment;
use super::groups::{Group, Seg};
use super::order::identifiers;
use super::people::ndl_reference;
use super::study::study_obx;
use crate::error::DecodeError;

const OBSERVATION_CATEGORY: &str = "http://terminology.hl7.org/CodeSystem/observation-category";

/// A report and its structured results.
pub(crate) struct Reported {
    pub report: DiagnosticReport,
    pub observations: Vec<Observation>,
}

/// Maps one OBR group; `key` distinguishes groups in derived ids.
pub(crate) fn report(
    ctx: &mut Ctx<'_>,
    g: &Group<'_>,
    obr: Seg<'_>,
    key: &str,
    subject: &Reference,
) -> Result<Reported, DecodeError> {
    let b = &obr.seg;
    let effective = required_dt(b.field(7), &path("OBR", obr.n, 7), "observation date/time")?;
    if effective.is_none() {
        ctx.warn(
            "field-missing",
            path("OBR", obr.n, 7),
            "observation date/time is empty",
        );
    }
    let status = status(ctx, obr);
    let mut ids = identifiers(ctx, g);
    let placer = ids
        .iter()
        .position(|i| has_type(i, "PLAC"))
        .map(|at| ids.remove(at));
    let section = field1(b, 24).map_or(Cow::Borrowed("RAD"), |s| s);
    let interpreter: Vec<Reference> = rep1(b, 32).and_then(ndl_reference).into_iter().collect();
    let mut dr = DiagnosticReport {
        id: Some(ctx.id("DiagnosticReport", key)),
        meta: Some(uk_core::profile_meta(systems::profile::DIAGNOSTIC_REPORT)),
        identifier: ids,
        based_on: placer
            .map(|p| Reference::by_identifier("ServiceRequest", p))
            .into_iter()
            .collect(),
        status: Some(status.to_owned()),
        category: vec![CodeableConcept::coded(
            V2_SERVICE_SECTION,
            section.as_ref(),
            None,
        )],
        code: rep1(b, 4).and_then(|v| codes::procedure(ctx, v, &path("OBR", obr.n, 4))),
        subject: Some(subject.clone()),
        effective: effective.clone().map(Effective::DateTime),
        issued: ctx.datetime(b.field(22), &path("OBR", obr.n, 22), "report date/time"),
        performer: interpreter.clone(),
        results_interpreter: interpreter,
        ..Default::default()
    };
    let exam_code = rep1(b, 4).and_then(|v| comp(v, 1));
    let mut narrative: Vec<String> = Vec::new();
    let mut observations = Vec::new();
    for obx in &g.obx {
        if study_obx(obx).is_some() {
            continue;
        }
        let kind = field1(&obx.seg, 2).map(|k| k.to_ascii_uppercase());
        match kind.as_deref() {
            Some("ED") => dr.presented_form.extend(attachment(ctx, obx)),
            Some("TX" | "FT") if is_narrative(obx, exam_code.as_deref()) => {
                narrative.extend(lines(obx));
            }
            _ => {
                let id = ctx.id("Observation", &format!("{key}.{}", obx.n));
                let obs = observation(ctx, obx, id, status, subject, &dr);
                dr.result
                    .push(Reference::to(Ctx::urn(obs.id.as_deref().unwrap_or(""))));
                observations.push(obs);
            }
        }
    }
    if narrative.iter().any(|l| !l.trim().is_empty()) {
        dr.conclusion = Some(narrative.join("\n").trim_end().to_owned());
    }
    Ok(Reported {
        report: dr,
        observations,
    })
}

fn has_type(i: &junction_model::fhir::Identifier, code: &str) -> bool {
    i.type_
        .as_ref()
        .is_some_and(|t| t.coding.iter().any(|c| c.code.as_deref() == Some(code)))
}

/// OBR-25 → status; missing or unknown → `unknown` with a warning.
fn status(ctx: &mut Ctx<'_>, obr: Seg<'_>) -> &'static str {
    let at = path("OBR", obr.n, 25);
    match field1(&obr.seg, 25) {
        None => {
            ctx.warn(
                "field-missing",
                at,
                "result status is empty; report status unknown",
            );
            "unknown"
        }
        Some(code) => codes::report_status(&code.to_ascii_uppercase()).unwrap_or_else(|| {
            ctx.warn(
                "code-unmapped",
                at,
                "result status is not HL7 table 0123; status unknown",
            );
            "unknown"
        }),
    }
}

fn is_narrative(obx: &Seg<'_>, exam_code: Option<&str>) -> bool {
    let Some(id) = rep1(&obx.seg, 3).and_then(|v| comp(v, 1)) else {
        return true;
    };
    id.starts_with('&')
        || matches!(id.as_ref(), "GDT" | "IMP" | "ADD")
        || Some(id.as_ref()) == exam_code
}

/// The lines of a TX/FT row: one per repetition, escapes decoded (`\.br\` is a line break).
fn lines<'m>(obx: &Seg<'m>) -> Vec<String> {
    match obx.seg.field(5) {
        Some(f) if !f.is_empty() && !f.is_null() => {
            f.children().map(|r| r.text().into_owned()).collect()
        }
        _ => vec![String::new()],
    }
}

fn observation(
    ctx: &mut Ctx<'_>,
    obx: &Seg<'_>,
    id: String,
    report_status: &str,
    subject: &Reference,
    dr: &DiagnosticReport,
) -> Observation {
    let s = &obx.seg;
    let code = rep1(s, 3)
        .and_then(codes::concept)
        .unwrap_or_else(|| CodeableConcept::text("unspecified"));
    let status = field1(s, 11)
        .and_then(|c| codes::observation_status(&c.to_ascii_uppercase()))
        .unwrap_or(match report_status {
            "amended" => "amended",
            "unknown" => "unknown",
            "cancelled" => "cancelled",
            "preliminary" | "partial" => "preliminary",
            "registered" => "registered",
            _ => "final",
        });
    let effective = ctx
        .datetime(
            s.field(14),
            &path("OBX", obx.n, 14),
            "observation date/time",
        )
        .map(Effective::DateTime)
        .or_else(|| dr.effective.clone());
    Observation {
        id: Some(id),
        meta: Some(uk_core::profile_meta(systems::profile::OBSERVATION)),
        status: Some(status.to_owned()),
        category: vec![CodeableConcept::from_coding(Coding::new(
            OBSERVATION_CATEGORY,
            "imaging",
            Some("Imaging"),
        ))],
        code: Some(code),
        subject: Some(subject.clone()),
        effective,
        issued: dr.issued.clone(),
        value: value(ctx, obx),
        reference_range: text(rep1(s, 7))
            .map(|t| ObservationReferenceRange {
                text: Some(t.into_owned()),
                ..Default::default()
            })
            .into_iter()
            .collect(),
        ..Default::default()
    }
}

/// OBX-5 by OBX-2.
fn value(ctx: &mut Ctx<'_>, obx: &Seg<'_>) -> Option<ObservationValue> {
    let s = &obx.seg;
    let kind = field1(s, 2).map(|k| k.to_ascii_uppercase());
    match kind.as_deref() {
        Some("NM") => {
            let raw = text(rep1(s, 5))?;
            match quantity(&raw, rep1(s, 6)) {
                Some(q) => Some(ObservationValue::Quantity(q)),
                None => {
                    ctx.warn(
                        "field-unparseable",
                        path("OBX", obx.n, 5),
                        "numeric result (NM) is not a number; kept as text",
                    );
                    Some(ObservationValue::String(raw.into_owned()))
                }
            }
        }
        Some("CE" | "CWE") => rep1(s, 5)
            .and_then(codes::concept)
            .map(ObservationValue::CodeableConcept),
        _ => {
            let lines = lines(obx);
            let joined = lines.join("\n");
            (!joined.trim().is_empty()).then_some(ObservationValue::String(joined))
        }
    }
}

/// `[<|<=|>|>=]number` with OBX-6 units (UCUM coded when OBX-6.3 says UCUM).
fn quantity(raw: &str, units: Option<junction_hl7v2::Value<'_>>) -> Option<Quantity> {
    let (comparator, num) = ["<=", ">=", "<", ">"]
        .into_iter()
        .find_map(|c| raw.strip_prefix(c).map(|n| (Some(c), n.trim())))
        .unwrap_or((None, raw));
    let value: serde_json::Number = num.parse().ok()?;
    let mut q = Quantity {
        value: Some(value),
        comparator: comparator.map(str::to_owned),
        ..Default::default()
    };
    if let Some(u) = units {
        let code = comp(u, 1);
        q.unit = comp(u, 2).or_else(|| code.clone()).map(|t| t.into_owned());
        if comp(u, 3).is_some_and(|s| s.eq_ignore_ascii_case("UCUM")) {
            q.system = Some(systems::UCUM.to_owned());
            q.code = code.map(|c| c.into_owned());
        }
    }
    Some(q)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities() {
        let q = quantity("<5", None).unwrap();
        assert_eq!(q.comparator.as_deref(), Some("<"));
        assert_eq!(q.value.unwrap().as_u64(), Some(5));
        assert!(quantity("five", None).is_none());
        assert_eq!(
            quantity("12.5", None).unwrap().value.unwrap().as_f64(),
            Some(12.5)
        );
    }
}
