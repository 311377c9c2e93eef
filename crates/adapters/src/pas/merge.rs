//! MRG (A34, A35, A40) → the surviving Patient's `link`s and retired identifiers.
//!
//! Decision: each prior patient identifier in MRG-1 that is not also a surviving identifier
//! becomes `Patient.link` with type `replaces` and a logical reference by identifier (`{type:
//! "Patient", identifier}`): the FHIR way to say "this record supersedes that one", and it
//! keeps a retired NHS number out of the surviving record's identifiers. A prior account
//! number (MRG-3, A35) is not a patient at all, so it is kept as an identifier with use `old`
//! (type `AN`) beside the surviving account number from PID-18.

use junction_hl7v2::Segment;
use junction_model::NhsNumber;
use junction_model::fhir::{Identifier, Patient, PatientLink, Reference};
use junction_model::uk_core;

use super::ctx::{Ctx, reps};
use super::identifiers::{Cx, invalid_nhs_identifier, is_trust_mrn, local_identifier};

/// Adds MRG's prior identifiers to the surviving `patient`.
pub(crate) fn apply_mrg(ctx: &mut Ctx<'_>, mrg: &Segment<'_>, patient: &mut Patient) {
    for (i, rep) in reps(mrg, 1) {
        let Some(cx) = Cx::read(rep) else { continue };
        let ident = if cx.is_nhs {
            match NhsNumber::parse(&cx.id) {
                Ok(n) => uk_core::nhs_number_identifier(&n, None),
                Err(err) => {
                    ctx.warn(
                        "nhs-number-invalid",
                        format!("MRG-1[{i}]"),
                        format!("prior {err}; kept as an unverified identifier"),
                    );
                    invalid_nhs_identifier(cx.id)
                }
            }
        } else {
            let is_mrn = is_trust_mrn(ctx, &cx);
            local_identifier(ctx, cx, is_mrn)
        };
        let surviving = patient
            .identifier
            .iter()
            .any(|p| p.system == ident.system && p.value == ident.value);
        if surviving {
            continue;
        }
        patient.link.push(PatientLink {
            other: Some(Reference::by_identifier("Patient", ident)),
            type_: Some("replaces".into()),
            ..Default::default()
        });
    }
    for (_, rep) in reps(mrg, 3) {
        let Some(cx) = Cx::read(rep) else { continue };
        let mut ident: Identifier = local_identifier(ctx, cx, false);
        ident.use_ = Some("old".into());
        patient.identifier.push(ident);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::AdapterOptions;
    use junction_hl7v2::Message;
    use junction_model::uk_core::systems;

    #[test]
    fn prior_ids_become_replaces_links() {
        let bytes = b"MSH|^~\\&|A|B|C|D|20260101||ADT^A40|1|P|2.4\r\
MRG|9992319488^^^NHS^NH~K1^^^RXX^MR~K2^^^RXX^MR~9992319480^^^NHS^NH||ACC1^^^RXX^AN\r";
        let msg = Message::parse(bytes).unwrap();
        let mrg = msg.segment("MRG", 1).unwrap();
        let opts = AdapterOptions::default();
        let mut ctx = Ctx::new(crate::pas::ctx::ID_NAMESPACE, &opts, "s", "m");
        let mut patient = Patient {
            identifier: vec![Identifier::new("https://fhir.rxx.nhs.uk/Id/mrn", "K2")],
            ..Default::default()
        };
        apply_mrg(&mut ctx, &mrg, &mut patient);
        let linked: Vec<_> = patient
            .link
            .iter()
            .map(|l| {
                let id = l.other.as_ref().unwrap().identifier.as_ref().unwrap();
                (id.system.clone(), id.value.clone().unwrap())
            })
            .collect();
        assert_eq!(linked.len(), 3, "K2 survives, so it is not linked");
        assert_eq!(linked[0].0.as_deref(), Some(systems::NHS_NUMBER));
        assert_eq!(linked[1].1, "K1");
        assert_eq!(
            linked[2].0, None,
            "invalid prior NHS number is not national"
        );
        assert_eq!(ctx.warnings[0].path, "MRG-1[4]");
        assert_eq!(patient.link[0].type_.as_deref(), Some("replaces"));
        let old = patient.identifier.last().unwrap();
        assert_eq!(old.use_.as_deref(), Some("old"));
        assert_eq!(old.value.as_deref(), Some("ACC1"));
    }
}
