//! The resources a line item references, for the EPS builder ([`super::build`]): Patient,
//! PractitionerRole, Practitioner, Organization and the signed Provenance, each copied field
//! by field as the EPS examples carry them, with references rewritten to the message's
//! `urn:uuid:` ids.

use junction_model::NhsNumber;
use serde_json::{Map, Value, json};

use super::build::{EpsBuildError, Kind, ODS, Out, copy, reference};
use super::config::EpsOptions;
use super::read::{self, Entry};

const NHS_NUMBER: &str = "https://fhir.nhs.uk/Id/nhs-number";
const SDS_ROLE: &str = "https://fhir.nhs.uk/Id/sds-role-profile-id";
/// The identifier systems of a prescriber's professional code; EPS wants exactly one.
const PROFESSIONAL_CODES: [&str; 5] = [
    "https://fhir.hl7.org.uk/Id/gmc-number",
    "https://fhir.hl7.org.uk/Id/nmc-number",
    "https://fhir.hl7.org.uk/Id/gphc-number",
    "https://fhir.hl7.org.uk/Id/hcpc-number",
    "https://fhir.hl7.org.uk/Id/professional-code",
];

type Res<T> = Result<T, EpsBuildError>;

/// Adds the Patient; returns its NHS number (for the consistency check only).
pub(crate) fn patient(kind: Kind, patient: Entry<'_>, out: &mut Out) -> Res<String> {
    let p = patient.resource;
    let nhs = read::identifier(p, NHS_NUMBER)
        .ok_or(EpsBuildError::Missing("Patient.identifier (NHS number)"))?;
    let nhs = NhsNumber::parse(nhs)
        .map_err(|_| EpsBuildError::Invalid("the Patient's NHS number is not a valid NHS number"))?
        .as_digits();
    if kind == Kind::Order {
        for (field, name) in [
            ("name", "Patient.name"),
            ("gender", "Patient.gender"),
            ("birthDate", "Patient.birthDate"),
        ] {
            if read::present(p, field).is_none() {
                return Err(EpsBuildError::Missing(name));
            }
        }
    }
    let mut m = Map::new();
    m.insert("resourceType".into(), json!("Patient"));
    m.insert("id".into(), json!(patient.out_id()));
    m.insert(
        "identifier".into(),
        json!([{ "system": NHS_NUMBER, "value": nhs }]),
    );
    copy(
        &mut m,
        p,
        &[
            "name",
            "gender",
            "birthDate",
            "address",
            "generalPractitioner",
        ],
    );
    out.add(patient.out_id(), Value::Object(m));
    Ok(nhs)
}

/// Adds a PractitionerRole with its Practitioner and Organization; returns the
/// organisation's name.
pub(crate) fn practitioner_role(
    kind: Kind,
    role: Entry<'_>,
    entries: &[Entry<'_>],
    opts: &EpsOptions,
    out: &mut Out,
) -> Res<Option<String>> {
    let r = role.resource;
    if read::identifier(r, SDS_ROLE).is_none() {
        return Err(EpsBuildError::Missing(
            "PractitionerRole.identifier (SDS role profile id)",
        ));
    }
    let practitioner = read::resolve(entries, r.get("practitioner"))
        .filter(|e| e.rtype() == "Practitioner")
        .ok_or(EpsBuildError::Missing(
            "PractitionerRole.practitioner (Practitioner)",
        ))?;
    let org = read::resolve(entries, r.get("organization"))
        .filter(|e| e.rtype() == "Organization")
        .ok_or(EpsBuildError::Missing(
            "PractitionerRole.organization (Organization)",
        ))?;
    self::practitioner(kind, practitioner, out)?;
    let org_name = organization(kind, org, opts, out)?;
    let mut m = Map::new();
    m.insert("resourceType".into(), json!("PractitionerRole"));
    m.insert("id".into(), json!(role.out_id()));
    copy(&mut m, r, &["identifier"]);
    m.insert("practitioner".into(), reference(&practitioner));
    m.insert("organization".into(), reference(&org));
    copy(&mut m, r, &["code", "telecom"]);
    out.add(role.out_id(), Value::Object(m));
    Ok(org_name)
}

fn practitioner(kind: Kind, practitioner: Entry<'_>, out: &mut Out) -> Res<()> {
    let p = practitioner.resource;
    let n_codes = read::identifiers(p)
        .iter()
        .filter(|i| PROFESSIONAL_CODES.iter().any(|s| i["system"] == *s))
        .count();
    if kind == Kind::Order && n_codes != 1 {
        return Err(EpsBuildError::Invalid(
            "Practitioner.identifier must hold exactly one professional code (GMC, NMC, GPhC, HCPC or professional-code)",
        ));
    }
    if read::present(p, "name").is_none() {
        return Err(EpsBuildError::Missing("Practitioner.name"));
    }
    let mut m = Map::new();
    m.insert("resourceType".into(), json!("Practitioner"));
    m.insert("id".into(), json!(practitioner.out_id()));
    copy(&mut m, p, &["identifier", "name"]);
    out.add(practitioner.out_id(), Value::Object(m));
    Ok(())
}

fn organization(
    kind: Kind,
    org: Entry<'_>,
    opts: &EpsOptions,
    out: &mut Out,
) -> Res<Option<String>> {
    let o = org.resource;
    let ods = read::identifier(o, ODS)
        .ok_or(EpsBuildError::Missing("Organization.identifier (ODS code)"))?;
    let name = o.get("name").and_then(Value::as_str).map(str::to_string);
    if kind == Kind::Order && name.is_none() {
        return Err(EpsBuildError::Missing("Organization.name"));
    }
    let part_of = match (read::present(o, "partOf"), &opts.trust_ods) {
        (Some(p), _) => p.clone(),
        (None, Some(trust)) => json!({ "identifier": { "system": ODS, "value": trust } }),
        (None, None) if kind == Kind::Cancel => Value::Null,
        (None, None) => {
            return Err(EpsBuildError::Missing(
                "Organization.partOf (the trust's ODS code; or set it in the EPS options)",
            ));
        }
    };
    let mut m = Map::new();
    m.insert("resourceType".into(), json!("Organization"));
    m.insert("id".into(), json!(org.out_id()));
    m.insert(
        "identifier".into(),
        json!([{ "system": ODS, "value": ods }]),
    );
    copy(&mut m, o, &["name", "address", "telecom"]);
    if !part_of.is_null() {
        m.insert("partOf".into(), part_of);
    }
    out.add(org.out_id(), Value::Object(m));
    Ok(name)
}

/// Adds the event's signed Provenances (the prescriber's signature), references rewritten.
pub(crate) fn provenances(entries: &[Entry<'_>], out: &mut Out) {
    for prov in read::of_type(entries, "Provenance") {
        let p = prov.resource;
        let signed = p
            .get("signature")
            .and_then(Value::as_array)
            .is_some_and(|s| s.iter().any(|sig| read::present(sig, "data").is_some()));
        if !signed {
            continue;
        }
        let mut m = Map::new();
        m.insert("resourceType".into(), json!("Provenance"));
        m.insert("id".into(), json!(prov.out_id()));
        if let Some(targets) = p.get("target").and_then(Value::as_array) {
            let t: Vec<Value> = targets.iter().map(|t| rewrite(entries, t)).collect();
            m.insert("target".into(), Value::Array(t));
        }
        if let Some(recorded) = read::present(p, "recorded") {
            m.insert("recorded".into(), recorded.clone());
        }
        for field in ["agent", "signature"] {
            if let Some(items) = p.get(field).and_then(Value::as_array) {
                let rewritten = items
                    .iter()
                    .map(|item| {
                        let mut item = item.clone();
                        if let Some(who) = item.get("who").map(|w| rewrite(entries, w)) {
                            item["who"] = who;
                        }
                        item
                    })
                    .collect();
                m.insert(field.into(), Value::Array(rewritten));
            }
        }
        out.add(prov.out_id(), Value::Object(m));
    }
}

/// A reference pointed at the message's id for its target, when the target is in the bundle.
fn rewrite(entries: &[Entry<'_>], r: &Value) -> Value {
    read::resolve(entries, Some(r)).map_or_else(|| r.clone(), |e| reference(&e))
}
