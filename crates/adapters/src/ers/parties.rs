//! The people and organisations of a referral besides the patient: reference resolution, the
//! requester (STU3 `requester.agent` / `onBehalfOf` → Practitioner, Organization and the
//! PractitionerRole joining them), and the performers (`recipient`, the booked service, the
//! shortlisted services).

use junction_model::fhir::{
    Identifier, Organization, Practitioner, PractitionerRole, Reference, Resource,
};
use junction_model::uk_core::{self, systems};
use serde::Deserialize;
use serde_json::Value;

use super::codes::{ERS_SERVICE, modern_system};
use super::read::{Input, Obj, contained, items, str_at, typed};
use crate::ctx::Ctx;

/// The resource a reference points at: `#id` (contained) or `Type/id` / `urn:uuid:id` (another
/// Bundle entry).
pub(crate) fn resolve<'a>(input: &Input<'a>, reference: &Reference) -> Option<&'a Obj> {
    let r = reference.reference.as_deref()?;
    if r.starts_with('#') {
        return contained(input.rr, r);
    }
    let (kind, id) = match r.strip_prefix("urn:uuid:") {
        Some(id) => (None, id),
        None => {
            let (kind, id) = r.split_once('/')?;
            (Some(kind), id)
        }
    };
    input.others.iter().copied().find(|o| {
        str_at(o, "id") == Some(id) && kind.is_none_or(|k| str_at(o, "resourceType") == Some(k))
    })
}

/// Identifier systems rewritten to their current form.
pub(crate) fn modernise(ids: &mut [Identifier]) {
    for id in ids {
        if let Some(s) = id.system.as_deref() {
            id.system = Some(modern_system(s).to_owned());
        }
    }
}

/// A reference with its identifier's system modernised.
pub(crate) fn modernise_ref(mut r: Reference) -> Reference {
    if let Some(id) = r.identifier.as_deref_mut() {
        modernise(std::slice::from_mut(id));
    }
    r
}

/// What a reference is to: its resolved resource type, its `type`, or its identifier system.
fn kind_of(r: &Reference, resolved: Option<&Obj>) -> Option<String> {
    if let Some(t) = resolved.and_then(|o| str_at(o, "resourceType")) {
        return Some(t.to_owned());
    }
    if let Some(t) = &r.type_ {
        return Some(t.clone());
    }
    if let Some((kind, _)) = r.reference.as_deref().and_then(|s| s.split_once('/')) {
        return Some(kind.to_owned());
    }
    let system = r.identifier.as_ref()?.system.as_deref()?;
    Some(
        match modern_system(system) {
            systems::ODS_ORGANIZATION_CODE | systems::ODS_SITE_CODE => "Organization",
            ERS_SERVICE => "HealthcareService",
            _ => "Practitioner",
        }
        .to_owned(),
    )
}

/// A Practitioner or Organization resource for a reference: the resolved one (identifiers
/// modernised) or one built from the reference's identifier and display.
fn party(
    ctx: &mut Ctx<'_>,
    input: &Input<'_>,
    r: &Reference,
    path: &str,
    key: &str,
) -> Option<(Resource, Reference)> {
    let resolved = resolve(input, r);
    let kind = kind_of(r, resolved)?;
    let as_value = resolved.map(|o| Value::Object(o.clone()));
    let ident = r.identifier.as_deref().cloned().map(|mut i| {
        modernise(std::slice::from_mut(&mut i));
        i
    });
    let res: Resource = match kind.as_str() {
        "Practitioner" => {
            let mut p: Practitioner = typed(ctx, as_value.as_ref(), path).unwrap_or_default();
            modernise(&mut p.identifier);
            p.identifier
                .extend(ident.filter(|i| !p.identifier.contains(i)));
            Practitioner {
                id: Some(ctx.id("Practitioner", key)),
                meta: Some(uk_core::profile_meta(systems::profile::PRACTITIONER)),
                ..p
            }
            .into()
        }
        "Organization" => {
            let mut o: Organization = typed(ctx, as_value.as_ref(), path).unwrap_or_default();
            modernise(&mut o.identifier);
            o.identifier
                .extend(ident.filter(|i| !o.identifier.contains(i)));
            if o.name.is_none() {
                o.name.clone_from(&r.display);
            }
            Organization {
                id: Some(ctx.id("Organization", key)),
                meta: Some(uk_core::profile_meta(systems::profile::ORGANIZATION)),
                ..o
            }
            .into()
        }
        _ => return None,
    };
    let reference = Reference {
        display: r.display.clone(),
        ..Reference::to(Ctx::urn(res.id().unwrap_or_default()))
    };
    Some((res, reference))
}

/// The requester: STU3 `requester.agent` (Practitioner, Organization or a PractitionerRole
/// naming both) on behalf of `requester.onBehalfOf` (Organization). A practitioner becomes a
/// PractitionerRole with its organisation; an organisation alone is referenced directly.
pub(crate) fn requester(
    ctx: &mut Ctx<'_>,
    input: &Input<'_>,
    out: &mut Vec<Resource>,
) -> Option<Reference> {
    let req = input.rr.get("requester")?.as_object()?;
    let mut agent: Option<Reference> =
        typed(ctx, req.get("agent"), "ReferralRequest.requester.agent");
    let mut org: Option<Reference> = typed(
        ctx,
        req.get("onBehalfOf"),
        "ReferralRequest.requester.onBehalfOf",
    );
    // A PractitionerRole agent: read through it to its practitioner and organisation.
    if let Some(role) = agent
        .as_ref()
        .and_then(|a| resolve(input, a))
        .filter(|o| str_at(o, "resourceType") == Some("PractitionerRole"))
    {
        let role: Option<PractitionerRole> = typed(
            ctx,
            Some(&Value::Object(role.clone())),
            "ReferralRequest.requester.agent",
        );
        let role = role.unwrap_or_default();
        org = org.or(role.organization);
        agent = role.practitioner;
    }
    let mut practitioner = None;
    let mut organization = None;
    for (r, path) in [
        (agent, "ReferralRequest.requester.agent"),
        (org, "ReferralRequest.requester.onBehalfOf"),
    ] {
        let Some(r) = r else { continue };
        if let Some((res, reference)) = party(ctx, input, &r, path, "requester") {
            match res {
                Resource::Practitioner(_) if practitioner.is_none() => {
                    practitioner = Some((res, reference))
                }
                Resource::Organization(_) if organization.is_none() => {
                    organization = Some((res, reference))
                }
                _ => {}
            }
        } else {
            ctx.warn(
                "unsupported-reference",
                path,
                "the requester is neither a practitioner nor an organisation; left out",
            );
        }
    }
    match (practitioner, organization) {
        (None, None) => None,
        (None, Some((org, org_ref))) => {
            out.push(org);
            Some(org_ref)
        }
        (Some((pr, pr_ref)), org) => {
            let role = PractitionerRole {
                id: Some(ctx.id("PractitionerRole", "requester")),
                meta: Some(uk_core::profile_meta(systems::profile::PRACTITIONER_ROLE)),
                practitioner: Some(Reference {
                    display: None,
                    ..pr_ref.clone()
                }),
                organization: org.as_ref().map(|(_, r)| Reference {
                    display: None,
                    ..r.clone()
                }),
                ..Default::default()
            };
            let role_ref = Reference {
                display: pr_ref.display.clone(),
                ..Reference::to(Ctx::urn(role.id.as_deref().unwrap_or_default()))
            };
            out.push(role.into());
            out.push(pr);
            if let Some((org, _)) = org {
                out.push(org);
            }
            Some(role_ref)
        }
    }
}

/// The performers: each `recipient`, then the service the appointment is booked with, then
/// the shortlisted services (e-RS service ids, as logical HealthcareService references),
/// without duplicates.
pub(crate) fn performers(
    ctx: &mut Ctx<'_>,
    input: &Input<'_>,
    appointment: Option<&Obj>,
    out: &mut Vec<Resource>,
) -> Vec<Reference> {
    let mut refs: Vec<Reference> = Vec::new();
    for (i, v) in items(input.rr, "recipient").iter().enumerate() {
        let path = format!("ReferralRequest.recipient[{i}]");
        let Some(r) = typed::<Reference>(ctx, Some(v), &path) else {
            continue;
        };
        match party(ctx, input, &r, &path, &format!("recipient-{i}")) {
            Some((res, reference)) => {
                out.push(res);
                refs.push(reference);
            }
            None => refs.push(service_ref(modernise_ref(r))),
        }
    }
    let booked = appointment
        .map(|a| items(a, "participant"))
        .unwrap_or_default()
        .iter()
        .filter_map(|p| p.get("actor"));
    let shortlist = shortlist(input)
        .map(|l| items(l, "entry"))
        .unwrap_or_default()
        .iter()
        .filter_map(|e| e.get("item"));
    for v in booked.chain(shortlist) {
        let Ok(r) = Reference::deserialize(v) else {
            continue;
        };
        let is_service =
            r.identifier.as_ref().and_then(|i| i.system.as_deref()) == Some(ERS_SERVICE);
        if is_service && !refs.iter().any(|x| x.identifier == r.identifier) {
            refs.push(service_ref(r));
        }
    }
    refs
}

/// The contained shortlist (e-RS contains exactly one List, the shortlist).
pub(crate) fn shortlist<'a>(input: &Input<'a>) -> Option<&'a Obj> {
    items(input.rr, "contained")
        .iter()
        .filter_map(Value::as_object)
        .find(|c| str_at(c, "resourceType") == Some("List"))
}

fn service_ref(r: Reference) -> Reference {
    Reference {
        type_: r.type_.or_else(|| Some("HealthcareService".to_owned())),
        reference: r.reference.filter(|s| !s.starts_with('#')),
        ..r
    }
}
