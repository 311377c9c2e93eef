//! The referral's Patient: the NHS number from `subject` (required, and valid by modulus 11),
//! demographics from the Patient it references (contained or a further Bundle entry) or from a
//! further Patient entry with the same NHS number.

use junction_model::fhir::{Identifier, Patient, Reference};
use junction_model::uk_core::{self, nhs_number_identifier, systems};
use junction_model::{NhsNumber, NhsNumberError};
use serde_json::Value;

use super::codes::NHS_NUMBER_STU3;
use super::parties::{modernise, modernise_ref, resolve};
use super::read::{Input, str_at, typed};
use crate::ctx::Ctx;
use crate::error::DecodeError;

fn is_nhs(id: &Identifier) -> bool {
    matches!(
        id.system.as_deref(),
        Some(systems::NHS_NUMBER | NHS_NUMBER_STU3)
    )
}

/// The Patient and its NHS number. The NHS number is required and must be valid: a referral
/// that cannot be matched to a patient safely is refused.
pub(crate) fn patient(
    ctx: &mut Ctx<'_>,
    input: &Input<'_>,
) -> Result<(Patient, NhsNumber), DecodeError> {
    const PATH: &str = "ReferralRequest.subject";
    let subject: Reference = typed(ctx, input.rr.get("subject"), PATH)
        .ok_or_else(|| DecodeError::missing_field(PATH, "the referral has no subject (patient)"))?;
    let resolved: Option<Patient> = resolve(input, &subject).and_then(|o| {
        typed(
            ctx,
            Some(&Value::Object(o.clone())),
            "ReferralRequest.subject.reference",
        )
    });
    let raw = subject
        .identifier
        .as_deref()
        .filter(|i| is_nhs(i))
        .and_then(|i| i.value.clone())
        .or_else(|| {
            resolved
                .as_ref()
                .and_then(|p| p.identifier.iter().find(|i| is_nhs(i)))
                .and_then(|i| i.value.clone())
        })
        .ok_or_else(|| {
            DecodeError::missing_field(
                "ReferralRequest.subject.identifier",
                "the referral names no NHS number for its patient",
            )
        })?;
    let nhs = NhsNumber::parse(&raw).map_err(|e| {
        let why = match e {
            NhsNumberError::WrongLength { .. } | NhsNumberError::NotDigits => {
                "the NHS number is not 10 digits"
            }
            _ => "the NHS number fails the modulus 11 check",
        };
        DecodeError::bad_value("ReferralRequest.subject.identifier.value", why)
    })?;
    // Demographics: the referenced Patient, else an added Patient entry with this NHS number.
    let source = resolved.or_else(|| {
        input
            .others
            .iter()
            .filter(|o| str_at(o, "resourceType") == Some("Patient"))
            .find_map(|o| {
                let p: Patient = typed(
                    ctx,
                    Some(&Value::Object((*o).clone())),
                    "Bundle.entry.resource",
                )?;
                let same = p.identifier.iter().any(|i| {
                    is_nhs(i)
                        && i.value.as_deref().and_then(|v| NhsNumber::parse(v).ok()) == Some(nhs)
                });
                same.then_some(p)
            })
    });
    let mut out = Patient {
        id: Some(ctx.id("Patient", "")),
        meta: Some(uk_core::profile_meta(systems::profile::PATIENT)),
        identifier: vec![nhs_number_identifier(&nhs, None)],
        ..Default::default()
    };
    if let Some(p) = source {
        let mut others: Vec<Identifier> = p.identifier.into_iter().filter(|i| !is_nhs(i)).collect();
        modernise(&mut others);
        out.identifier.extend(others);
        out.name = p.name;
        out.gender = p.gender;
        out.birth_date = p.birth_date;
        out.address = p.address;
        out.telecom = p.telecom;
        out.general_practitioner = p
            .general_practitioner
            .into_iter()
            .map(modernise_ref)
            .collect();
    }
    Ok((out, nhs))
}
