//! PID (+ PD1, NK1) → UK Core Patient: identifiers, names, sex, birth date, addresses,
//! telecoms, marital status, language, ethnic category, death, registered GP and practice,
//! next of kin.

use junction_hl7v2::{Segment, Value};
use junction_model::fhir::{
    CodeableConcept, Coding, Deceased, Patient, PatientCommunication, PatientContact, Reference,
};
use junction_model::uk_core::{self, Professional, systems};

use super::ctx::{Ctx, comp, display_name, field_comp, field1, reps};
use super::demographics::{address, ethnic, gender, name, telecom};
use super::identifiers::Ids;

const V3_MARITAL_STATUS: &str = "http://terminology.hl7.org/CodeSystem/v3-MaritalStatus";
const UK_CORE_HUMAN_LANGUAGE: &str = "https://fhir.hl7.org.uk/CodeSystem/UKCore-HumanLanguage";
const V2_CONTACT_ROLE: &str = "http://terminology.hl7.org/CodeSystem/v2-0131";

/// The segments a Patient is built from.
pub(crate) struct PatientSegments<'m> {
    pub pid: Segment<'m>,
    pub pd1: Option<Segment<'m>>,
    pub nk1: Vec<Segment<'m>>,
}

/// Builds the Patient; `ids` are PID-3 already read (they also give the patient key).
pub(crate) fn patient(
    ctx: &mut Ctx<'_>,
    segs: &PatientSegments<'_>,
    ids: Ids,
    id: String,
) -> Patient {
    let pid = &segs.pid;
    let mut p = Patient {
        id: Some(id),
        meta: Some(uk_core::profile_meta(systems::profile::PATIENT)),
        identifier: ids.identifiers,
        name: reps(pid, 5).filter_map(|(_, v)| name(v)).collect(),
        address: reps(pid, 11).filter_map(|(_, v)| address(v)).collect(),
        telecom: reps(pid, 13)
            .chain(reps(pid, 14))
            .filter_map(|(_, v)| telecom(v))
            .collect(),
        ..Default::default()
    };
    if let Some(code) = field1(pid, 8) {
        p.gender = gender(ctx, &code, "PID-8");
    }
    if let Some(ts) = ctx.optional_ts(pid.field(7), "PID-7", "date of birth") {
        p.birth_date = Some(ts.to_fhir_date());
    }
    if let Some(code) = field1(pid, 16) {
        p.marital_status = Some(marital_status(ctx, &code));
    }
    if let Some(lang) = field1(pid, 15) {
        p.communication.push(PatientCommunication {
            language: Some(CodeableConcept::coded(UK_CORE_HUMAN_LANGUAGE, lang, None)),
            ..Default::default()
        });
    }
    if let Some(code) = field1(pid, 22)
        && let Some(cat) = ethnic(ctx, &code, "PID-22")
    {
        p.extension.push(uk_core::ethnic_category_extension(cat));
    }
    p.deceased = deceased(ctx, pid);
    if let Some(pd1) = &segs.pd1 {
        p.general_practitioner = general_practitioner(pd1);
    }
    p.contact = segs.nk1.iter().filter_map(next_of_kin).collect();
    p
}

/// PID-29 death date/time → `deceasedDateTime`; PID-30 `Y` alone → `deceasedBoolean`.
fn deceased(ctx: &mut Ctx<'_>, pid: &Segment<'_>) -> Option<Deceased> {
    let when = ctx.optional_ts(pid.field(29), "PID-29", "date/time of death");
    let flag = field1(pid, 30);
    match (when, flag.as_deref()) {
        (Some(ts), _) => Some(Deceased::DateTime(ts.to_fhir_datetime())),
        (None, Some("Y" | "y")) => Some(Deceased::Boolean(true)),
        _ => None,
    }
}

/// PID-16 (NHS DD Marital Status via ITK table 0002) → v3-MaritalStatus.
fn marital_status(ctx: &mut Ctx<'_>, code: &str) -> CodeableConcept {
    let (v3, display) = match code {
        "S" => ("S", "Never Married"),
        "M" => ("M", "Married"),
        "D" => ("D", "Divorced"),
        "W" => ("W", "Widowed"),
        "P" | "L" => ("L", "Legally Separated"),
        "T" => ("T", "Domestic partner"),
        "U" => ("U", "unmarried"),
        _ => {
            ctx.warn(
                "code-unmapped",
                "PID-16",
                "marital status is not an NHS DD code; kept as text",
            );
            return CodeableConcept::text(code);
        }
    };
    CodeableConcept::coded(V3_MARITAL_STATUS, v3, Some(display))
}

/// PD1-3[1] practice (XON.3 ODS code, v2.5 XON.10) → Organization by ODS code; PD1-4 GP
/// (XCN.1 national G-code) → Practitioner by GMP number. Branch surgeries (later
/// repetitions, usually name only) are left out.
fn general_practitioner(pd1: &Segment<'_>) -> Vec<Reference> {
    let mut out = Vec::new();
    if let Some(xon) = pd1.field(3).and_then(|f| f.repetition(1))
        && let Some(code) = comp(xon, 3).or_else(|| comp(xon, 10))
    {
        out.push(uk_core::ods_reference(&code, comp(xon, 1).as_deref()));
    }
    if let Some(code) = field_comp(pd1, 4, 1) {
        let display = display_name(
            field_comp(pd1, 4, 6).as_deref(),
            field_comp(pd1, 4, 3).as_deref(),
            field_comp(pd1, 4, 2).as_deref(),
        );
        out.push(Reference {
            display,
            ..Reference::by_identifier(
                "Practitioner",
                uk_core::professional_identifier(Professional::Gmp, &code),
            )
        });
    }
    out
}

/// NK1 → Patient.contact: NK1-2 name, NK1-3 relationship (ITK table 0063, kept as coded text
/// with the v2-0131 "next of kin" role), NK1-4 address, NK1-5/6 phones.
fn next_of_kin(nk1: &Segment<'_>) -> Option<PatientContact> {
    let name = nk1.field(2).and_then(|f| f.repetition(1)).and_then(name);
    let mut relationship = vec![CodeableConcept::from_coding(Coding::new(
        V2_CONTACT_ROLE,
        "N",
        Some("Next-of-Kin"),
    ))];
    if let Some(rel) = nk1.field(3).and_then(|f| f.repetition(1)) {
        let code = comp(rel, 1);
        let text = comp(rel, 2).or_else(|| code.clone());
        if let Some(text) = text {
            relationship.push(CodeableConcept::text(text));
        }
    }
    let contact = PatientContact {
        name,
        relationship,
        address: nk1.field(4).and_then(|f| f.repetition(1)).and_then(address),
        telecom: reps(nk1, 5)
            .chain(reps(nk1, 6))
            .filter_map(|(_, v): (usize, Value<'_>)| telecom(v))
            .collect(),
        ..Default::default()
    };
    (contact.name.is_some() || !contact.telecom.is_empty()).then_some(contact)
}
