//! Study availability → ImagingStudy: the Study Instance UID (IPC-3, else ZDS-1, else an OBX
//! whose OBX-3 is DICOM `113014` / "Study Instance UID") as `urn:oid:` under `urn:dicom:uid`,
//! the accession number, the modality (IPC-5, else OBR-24 mapped to DICOM), the number of
//! series (an OBX `(0020,1206)` / "Number of Study Related Series", where sent), the procedure
//! (OBR-4), start (OBR-7) and interpreter (OBR-32).

use junction_hl7v2::Value;
use junction_model::fhir::{CodeableConcept, Coding, Identifier, ImagingStudy, Reference};
use junction_model::uk_core::{self, systems};

use super::codes;
use super::ctx::{Ctx, comp, field1, path, rep1, text};
use super::groups::{Group, Seg};
use super::people::ndl_reference;

/// DICOM identifier system for UIDs.
const DICOM_UID: &str = "urn:dicom:uid";

/// What an OBX row says about the study, if it is a study-level DICOM attribute.
pub(crate) enum StudyObx {
    Uid,
    NumberOfSeries,
}

/// Classifies an OBX row by OBX-3 (code or text).
pub(crate) fn study_obx(obx: &Seg<'_>) -> Option<StudyObx> {
    let v = rep1(&obx.seg, 3)?;
    let code = comp(v, 1).unwrap_or_default();
    let name = comp(v, 2).unwrap_or_default();
    if code == "113014"
        || code.eq_ignore_ascii_case("Study Instance UID")
        || name.eq_ignore_ascii_case("Study Instance UID")
    {
        return Some(StudyObx::Uid);
    }
    if matches!(code.as_ref(), "(0020,1206)" | "00201206")
        || name.eq_ignore_ascii_case("Number of Study Related Series")
    {
        return Some(StudyObx::NumberOfSeries);
    }
    None
}

/// The Study Instance UID of a group and where it was: IPC-3, ZDS-1 (RP.1), or an OBX row.
pub(crate) fn study_uid(g: &Group<'_>) -> Option<(String, String)> {
    let ipc = g
        .ipc
        .and_then(|s| Some((field1(&s.seg, 3)?, path("IPC", s.n, 3))));
    let zds = g
        .zds
        .and_then(|s| Some((field1(&s.seg, 1)?, path("ZDS", s.n, 1))));
    let obx = || {
        g.obx
            .iter()
            .filter(|o| matches!(study_obx(o), Some(StudyObx::Uid)))
            .find_map(|o| Some((text(rep1(&o.seg, 5))?, path("OBX", o.n, 5))))
    };
    ipc.or(zds).or_else(obx).map(|(u, at)| (u.into_owned(), at))
}

/// Whether a UID is a DICOM UID: digits and dots, at most 64 characters.
fn valid_uid(uid: &str) -> bool {
    !uid.is_empty()
        && uid.len() <= 64
        && uid.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && !uid.starts_with('.')
        && !uid.ends_with('.')
}

/// The ImagingStudy of an order group whose exam is complete or whose report names a study.
pub(crate) struct StudyInput<'a> {
    pub id: String,
    pub subject: &'a Reference,
    pub based_on: Option<Reference>,
    pub accession: Option<Identifier>,
    pub procedure: Option<CodeableConcept>,
}

/// Builds the ImagingStudy; warns about an invalid UID or an unmapped modality.
pub(crate) fn imaging_study(
    ctx: &mut Ctx<'_>,
    g: &Group<'_>,
    input: StudyInput<'_>,
) -> ImagingStudy {
    let mut study = ImagingStudy {
        id: Some(input.id),
        meta: Some(uk_core::profile_meta(systems::profile::IMAGING_STUDY)),
        status: Some("available".into()),
        subject: Some(input.subject.clone()),
        based_on: input.based_on.into_iter().collect(),
        ..Default::default()
    };
    if let Some((uid, at)) = study_uid(g) {
        if valid_uid(&uid) {
            study
                .identifier
                .push(Identifier::new(DICOM_UID, format!("urn:oid:{uid}")));
        } else {
            ctx.warn(
                "field-invalid",
                at,
                "Study Instance UID is not a DICOM UID (digits and dots, ≤ 64); left out",
            );
        }
    }
    study.identifier.extend(input.accession);
    study.modality = modality(ctx, g).into_iter().collect();
    if let Some(obr) = g.obr {
        study.started = ctx.datetime(obr.seg.field(7), &path("OBR", obr.n, 7), "exam date/time");
        study.interpreter = rep1(&obr.seg, 32)
            .and_then(ndl_reference)
            .into_iter()
            .collect();
        study.description = rep1(&obr.seg, 4)
            .and_then(|v| comp(v, 2))
            .map(|t| t.into_owned());
    }
    study.procedure_code = input.procedure.into_iter().collect();
    study.number_of_series = number_of_series(ctx, g);
    study
}

/// IPC-5 (CE, DCM) first, else OBR-24 (table 0074).
fn modality(ctx: &mut Ctx<'_>, g: &Group<'_>) -> Option<Coding> {
    let ipc = g
        .ipc
        .and_then(|s| Some((rep1(&s.seg, 5)?, path("IPC", s.n, 5))));
    let obr = g
        .obr
        .and_then(|s| Some((rep1(&s.seg, 24)?, path("OBR", s.n, 24))));
    let (v, at): (Value<'_>, String) = ipc.or(obr)?;
    let code = comp(v, 1)?;
    match codes::modality(&code) {
        Ok(coding) => coding.map(|c| Coding {
            display: comp(v, 2).map(|d| d.into_owned()),
            ..c
        }),
        Err(()) => {
            ctx.warn(
                "code-unmapped",
                at,
                "modality is not a DICOM modality or an HL7 table 0074 imaging section; left out",
            );
            None
        }
    }
}

fn number_of_series(ctx: &mut Ctx<'_>, g: &Group<'_>) -> Option<u32> {
    let obx = g
        .obx
        .iter()
        .find(|o| matches!(study_obx(o), Some(StudyObx::NumberOfSeries)))?;
    let raw = text(rep1(&obx.seg, 5))?;
    match raw.parse::<u32>() {
        Ok(n) => Some(n),
        Err(_) => {
            ctx.warn(
                "field-unparseable",
                path("OBX", obx.n, 5),
                "number of series is not a whole number; left out",
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uids() {
        assert!(valid_uid("2.25.240711937203847562198273645509182736"));
        assert!(!valid_uid("2.25.x"));
        assert!(!valid_uid(""));
    }
}
