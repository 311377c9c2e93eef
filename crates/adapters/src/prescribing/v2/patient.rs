//! PID → the patient facts a prescription needs: the NHS number (validated, with PID-32
//! verification status), the trust MRN (patient key fallback), name, sex and birth date.
//! The full demographic mapping belongs to the `pas` adapter; a prescription only has to say
//! who it is for.

use junction_hl7v2::{Segment, Timestamp};
use junction_model::fhir::{HumanName, Identifier};
use junction_model::uk_core::{self, VerificationStatus};
use junction_model::{NhsNumber, event::patient_key};

use crate::error::DecodeError;
use crate::prescribing::ctx::{Ctx, comp, field1, text};
use crate::prescribing::order::Patient;

const NHS_NUMBER_OID: &str = "2.16.840.1.113883.2.1.4.1";

/// Reads PID; an error when no PID-3 identifier is usable.
pub(crate) fn read(ctx: &mut Ctx<'_>, pid: &Segment<'_>) -> Result<Patient, DecodeError> {
    let mut p = Patient::default();
    let verification = field1(pid, 32).and_then(|c| {
        let digits = c.strip_prefix("NSTS").unwrap_or(&c).to_owned();
        VerificationStatus::from_code(&digits)
    });
    let mut mrn_key = None;
    let reps = pid.field(3).into_iter().flat_map(|f| f.children());
    for (i, cx) in reps.enumerate() {
        let Some(id) = comp(cx, 1) else { continue };
        let hd = cx.component(4);
        let authority = text(hd.and_then(|h| h.subcomponent(1)));
        let oid = text(hd.and_then(|h| h.subcomponent(2)));
        let type_code = comp(cx, 5);
        let is_nhs = authority
            .as_deref()
            .is_some_and(|a| a.eq_ignore_ascii_case("NHS"))
            || oid.as_deref() == Some(NHS_NUMBER_OID)
            || (authority.is_none() && type_code.as_deref() == Some("NH"));
        if is_nhs {
            match NhsNumber::parse(&id) {
                Ok(n) => {
                    if p.key.is_none() {
                        p.key = Some(patient_key::nhs(&n));
                    }
                    p.identifiers
                        .push(uk_core::nhs_number_identifier(&n, verification));
                }
                Err(err) => ctx.warn(
                    "nhs-number-invalid",
                    format!("PID-3[{}]", i + 1),
                    format!("{err}; left out of the prescription"),
                ),
            }
            continue;
        }
        let Some(authority) = authority else { continue };
        let wanted = ctx
            .opts
            .local_mrn_authority
            .as_deref()
            .is_none_or(|w| w.eq_ignore_ascii_case(&authority));
        if !wanted || mrn_key.is_some() {
            continue;
        }
        mrn_key = Some(patient_key::mrn(&authority, &id));
        let system = ctx
            .opts
            .local_mrn_system
            .clone()
            .unwrap_or_else(|| super::authority_system(&authority, "mrn"));
        p.identifiers.push(Identifier::new(system, id.into_owned()));
    }
    if p.identifiers.is_empty() {
        return Err(DecodeError::missing_field(
            "PID-3",
            "no valid NHS number and no MRN with an assigning authority; cannot tell whose prescription it is",
        ));
    }
    if p.key.is_none() {
        p.key = mrn_key;
    }
    p.name = pid.field(5).and_then(|f| f.repetition(1)).and_then(|v| {
        let family = comp(v, 1).map(|s| s.into_owned());
        let given: Vec<String> = comp(v, 2).map(|s| s.into_owned()).into_iter().collect();
        (family.is_some() || !given.is_empty()).then(|| HumanName {
            use_: Some("usual".into()),
            family,
            given,
            prefix: comp(v, 5).map(|s| s.into_owned()).into_iter().collect(),
            ..Default::default()
        })
    });
    p.gender = field1(pid, 8).and_then(|c| uk_core::gender_from_hl7v2(&c));
    if let Some(raw) = field1(pid, 7) {
        match Timestamp::parse(&raw) {
            Ok(ts) => p.birth_date = Some(ts.to_fhir_date()),
            Err(_) => ctx.warn(
                "field-unparseable",
                "PID-7",
                "date of birth is not an HL7 date; left out",
            ),
        }
    }
    Ok(p)
}
