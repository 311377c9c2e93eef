//! The people of a REF^I12: PRD for the referring provider (the ServiceRequest's requester)
//! and the referred-to provider (its first performer), and PID for the patient.

use junction_model::fhir::{
    HumanName, Organization, Practitioner, PractitionerRole, Reference, ServiceRequest,
};
use junction_model::uk_core::{gender_to_hl7v2, systems};
use junction_model::{Event, NhsNumber};

use super::EncodeError;
use super::out::{Out, xpn};
use super::ts::fhir_to_hl7_ts;
use super::view::{View, ident, ods_of};
use crate::ers::codes::ERS_SERVICE;

/// A provider for PRD: name, ODS code, other identifiers (`value`, type), location text.
#[derive(Default)]
struct Provider<'a> {
    name: Option<&'a HumanName>,
    ods: Option<&'a str>,
    ids: Vec<(&'a str, &'a str)>,
    place: Option<&'a str>,
}

fn professional_type(system: &str) -> Option<&'static str> {
    Some(match system {
        systems::GMC_NUMBER => "GMC",
        systems::GMP_NUMBER => "GMP",
        systems::NMC_NUMBER => "NMC",
        systems::HCPC_NUMBER => "HCPC",
        systems::SDS_USER_ID => "SDS",
        systems::SDS_ROLE_PROFILE_ID => "SDSROLE",
        _ => return None,
    })
}

fn provider<'a>(view: &View<'a>, r: &'a Reference) -> Provider<'a> {
    let mut p = Provider::default();
    let mut practitioner: Option<&'a Practitioner> = view.get::<Practitioner>(r);
    let mut org: Option<&'a Organization> = view.get::<Organization>(r);
    if let Some(role) = view.get::<PractitionerRole>(r) {
        practitioner = role
            .practitioner
            .as_ref()
            .and_then(|x| view.get::<Practitioner>(x));
        org = role
            .organization
            .as_ref()
            .and_then(|x| view.get::<Organization>(x));
        p.ods = role.organization.as_ref().and_then(ods_of);
    }
    if let Some(pr) = practitioner {
        p.name = pr
            .name
            .iter()
            .find(|n| n.use_.as_deref() == Some("official"))
            .or(pr.name.first());
        for i in &pr.identifier {
            if let (Some(t), Some(v)) = (
                i.system.as_deref().and_then(professional_type),
                i.value.as_deref(),
            ) {
                p.ids.push((v, t));
            }
        }
    }
    if let Some(o) = org {
        p.ods = p
            .ods
            .or(ident(&o.identifier, systems::ODS_ORGANIZATION_CODE));
        p.place = o.name.as_deref();
    }
    // A logical reference: an ODS code, an e-RS service or a professional id.
    p.ods = p.ods.or_else(|| ods_of(r));
    if let Some(id) = r.identifier.as_deref() {
        match (id.system.as_deref(), id.value.as_deref()) {
            (Some(ERS_SERVICE), Some(v)) => p.ids.push((v, "ERS-SERVICE")),
            (Some(s), Some(v)) => p.ids.extend(professional_type(s).map(|t| (v, t))),
            _ => {}
        }
    }
    p.place = p
        .place
        .or(r.display.as_deref().filter(|_| p.name.is_none()));
    p
}

pub(crate) fn prd(out: &mut Out, view: &View<'_>, sr: &ServiceRequest) -> Result<(), EncodeError> {
    let mut any = false;
    let roles = [
        (
            sr.requester.as_ref(),
            ["RP", "Referring Provider", "HL70286"],
        ),
        (
            sr.performer.first(),
            ["RT", "Referred to Provider", "HL70286"],
        ),
    ];
    for (r, role) in roles {
        let Some(r) = r else { continue };
        any = true;
        let p = provider(view, r);
        let n = out.seg("PRD");
        out.ce("PRD", n, 1, role, None)?;
        if let Some(name) = p.name {
            xpn(out, "PRD", n, 2, name)?;
        }
        out.put("PRD", n, "4.4", p.ods.unwrap_or(""))?;
        out.put("PRD", n, "4.9", p.place.unwrap_or(""))?;
        let ods = p.ods.map(|o| (o, "ODS"));
        for (i, (v, t)) in p.ids.iter().copied().chain(ods).enumerate() {
            out.put("PRD", n, &format!("7[{}].1", i + 1), v)?;
            out.put("PRD", n, &format!("7[{}].2", i + 1), t)?;
        }
    }
    if !any {
        // PRD is required in REF_I12: say at least that the referral is to a provider.
        let n = out.seg("PRD");
        out.ce("PRD", n, 1, ["RT", "Referred to Provider", "HL70286"], None)?;
    }
    Ok(())
}

pub(crate) fn pid(
    out: &mut Out,
    view: &View<'_>,
    sr: &ServiceRequest,
    event: &Event,
) -> Result<(), EncodeError> {
    let patient = view.patient(sr);
    let nhs = patient
        .and_then(|p| ident(&p.identifier, systems::NHS_NUMBER))
        .or_else(|| {
            event
                .patient_key
                .as_deref()
                .and_then(|k| k.strip_prefix("nhs:"))
        })
        .and_then(|v| NhsNumber::parse(v).ok())
        .ok_or(EncodeError::Missing("valid NHS number for the patient"))?;
    let n = out.seg("PID");
    out.put("PID", n, "1", "1")?;
    out.put("PID", n, "3.1", &nhs.to_string())?;
    out.put("PID", n, "3.4", "NHS")?;
    let Some(p) = patient else { return Ok(()) };
    if let Some(name) = p
        .name
        .iter()
        .find(|n| n.use_.as_deref() == Some("official"))
        .or(p.name.first())
    {
        xpn(out, "PID", n, 5, name)?;
        out.put("PID", n, "5.7", "L")?;
    }
    out.put(
        "PID",
        n,
        "7",
        &p.birth_date
            .as_deref()
            .and_then(fhir_to_hl7_ts)
            .unwrap_or_default(),
    )?;
    out.put("PID", n, "8", p.gender.map(gender_to_hl7v2).unwrap_or(""))?;
    if let Some(a) = p
        .address
        .iter()
        .find(|a| a.use_.as_deref() == Some("home"))
        .or(p.address.first())
    {
        let line = |i: usize| a.line.get(i).map_or("", String::as_str);
        let rest = a.line.get(2..).map(|l| l.join(", ")).unwrap_or_default();
        out.put("PID", n, "11.1", line(0))?;
        out.put("PID", n, "11.2", line(1))?;
        out.put("PID", n, "11.3", a.city.as_deref().unwrap_or(&rest))?;
        out.put(
            "PID",
            n,
            "11.4",
            a.district.as_deref().or(a.state.as_deref()).unwrap_or(""),
        )?;
        out.put("PID", n, "11.5", a.postal_code.as_deref().unwrap_or(""))?;
        out.put("PID", n, "11.6", a.country.as_deref().unwrap_or(""))?;
        out.put(
            "PID",
            n,
            "11.7",
            if a.use_.as_deref() == Some("home") {
                "H"
            } else {
                ""
            },
        )?;
    }
    Ok(())
}
