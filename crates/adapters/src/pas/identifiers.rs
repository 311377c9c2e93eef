//! CX identifiers (PID-3, MRG-1, PID-18, PV1-19) → FHIR identifiers: the NHS number (checked
//! modulus 11, with its verification status) and local numbers with systems built from the
//! assigning authority; plus the patient key the router orders by.
//!
//! An NHS number is recognised by CX.4 = `NHS` (v2.5.1: HD namespace `NHS` or the NHS-number
//! OID), not by position. One that fails validation is never emitted with the national system
//! (it would poison national look-ups): it is kept as a system-less identifier whose type text
//! says "NHS number failing validation", and a `nhs-number-invalid` warning is raised.

use junction_hl7v2::{Segment, Value};
use junction_model::fhir::{CodeableConcept, Coding, Identifier, Reference};
use junction_model::uk_core::{self, VerificationStatus, systems};
use junction_model::{NhsNumber, event::patient_key};

use super::ctx::{Ctx, comp, field1, reps, text};

/// OID of the NHS number in HD.2 (v2.5.1 senders).
pub(crate) const NHS_NUMBER_OID: &str = "2.16.840.1.113883.2.1.4.1";
/// `Identifier.type.text` of an NHS number that failed validation (kept without a system).
pub const INVALID_NHS_TYPE_TEXT: &str = "NHS number failing validation (not verified)";

/// One CX, read.
pub(crate) struct Cx {
    pub id: String,
    pub authority: Option<String>,
    pub type_code: Option<String>,
    pub is_nhs: bool,
}

impl Cx {
    pub fn read(v: Value<'_>) -> Option<Self> {
        let id = comp(v, 1)?.into_owned();
        let hd = v.component(4);
        let authority = text(hd.and_then(|h| h.subcomponent(1))).map(|a| a.into_owned());
        let oid = text(hd.and_then(|h| h.subcomponent(2)));
        let type_code = comp(v, 5).map(|t| t.into_owned());
        let is_nhs = authority
            .as_deref()
            .is_some_and(|a| a.eq_ignore_ascii_case("NHS"))
            || oid.as_deref() == Some(NHS_NUMBER_OID)
            || (authority.is_none() && type_code.as_deref() == Some("NH"));
        Some(Self {
            id,
            authority,
            type_code,
            is_nhs,
        })
    }
}

/// Identifiers read from a repeating CX field, with the NHS number and patient key found.
#[derive(Default)]
pub(crate) struct Ids {
    pub identifiers: Vec<Identifier>,
    pub nhs: Option<NhsNumber>,
    pub mrn_key: Option<String>,
}

impl Ids {
    /// `nhs:<n>` when a valid NHS number was found, else `mrn:<authority>:<id>`.
    pub fn patient_key(&self) -> Option<String> {
        self.nhs
            .as_ref()
            .map(patient_key::nhs)
            .or_else(|| self.mrn_key.clone())
    }
}

/// Reads every repetition of a CX field (`path` like `"PID-3"`).
pub(crate) fn read_ids(
    ctx: &mut Ctx<'_>,
    seg: &Segment<'_>,
    field: usize,
    path: &str,
    verification: Option<VerificationStatus>,
) -> Ids {
    let mut out = Ids::default();
    for (i, rep) in reps(seg, field) {
        let Some(cx) = Cx::read(rep) else { continue };
        if cx.is_nhs {
            match NhsNumber::parse(&cx.id) {
                Ok(n) => {
                    out.identifiers
                        .push(uk_core::nhs_number_identifier(&n, verification));
                    out.nhs.get_or_insert(n);
                }
                Err(err) => {
                    ctx.warn(
                        "nhs-number-invalid",
                        format!("{path}[{i}]"),
                        format!("{err}; kept as an unverified identifier, not as an NHS number"),
                    );
                    out.identifiers.push(invalid_nhs_identifier(cx.id));
                }
            }
            continue;
        }
        let is_mrn = is_trust_mrn(ctx, &cx);
        if is_mrn && out.mrn_key.is_none() {
            out.mrn_key = Some(patient_key::mrn(
                cx.authority.as_deref().unwrap_or(""),
                &cx.id,
            ));
        }
        out.identifiers.push(local_identifier(ctx, cx, is_mrn));
    }
    out
}

/// Some UK senders put the NHS number only in PID-2 (external patient id, deprecated since
/// v2.3.1), sometimes spaced `999 000 0018`: taken from there, with a warning, when PID-3 has
/// no NHS number and PID-2.1 is a valid one.
pub(crate) fn nhs_number_from_pid2(
    ctx: &mut Ctx<'_>,
    pid: &Segment<'_>,
    ids: &mut Ids,
    verification: Option<VerificationStatus>,
) {
    if ids.nhs.is_some() {
        return;
    }
    let Some(value) = pid.field(2).and_then(|f| comp(f, 1)) else {
        return;
    };
    let Ok(n) = NhsNumber::parse(&value) else {
        return;
    };
    ctx.warn(
        "nhs-number-from-pid-2",
        "PID-2",
        "NHS number taken from PID-2 (external patient id); send it in PID-3 with CX.4 NHS",
    );
    ids.identifiers
        .insert(0, uk_core::nhs_number_identifier(&n, verification));
    ids.nhs = Some(n);
}

pub(crate) fn is_trust_mrn(ctx: &Ctx<'_>, cx: &Cx) -> bool {
    is_mrn_of(ctx.opts.local_mrn_authority.as_deref(), cx)
}

/// Whether `cx` is the trust's MRN: its authority is `mrn_authority` when one is configured,
/// else its type is MR, PI or PT (or absent).
pub(crate) fn is_mrn_of(mrn_authority: Option<&str>, cx: &Cx) -> bool {
    match (mrn_authority, &cx.authority) {
        (Some(want), Some(got)) => want.eq_ignore_ascii_case(got),
        (Some(_), None) => false,
        (None, _) => matches!(cx.type_code.as_deref(), None | Some("MR" | "PI" | "PT")),
    }
}

/// An NHS number that failed validation, kept without the national system.
pub(crate) fn invalid_nhs_identifier(value: String) -> Identifier {
    Identifier {
        type_: Some(CodeableConcept::text(INVALID_NHS_TYPE_TEXT)),
        value: Some(value),
        ..Default::default()
    }
}

/// A local identifier: system from the assigning authority and type, type coded in v2-0203,
/// assigner the authority as an ODS organisation.
pub(crate) fn local_identifier(ctx: &Ctx<'_>, cx: Cx, is_mrn: bool) -> Identifier {
    let kind = match cx.type_code.as_deref() {
        None | Some("MR" | "PI" | "PT") => "mrn",
        Some("AN") => "account-number",
        Some("VN") => "visit-number",
        Some("CE") => "consultant-episode",
        Some(_) => "local-identifier",
    };
    // Only an ODS code names an NHS organisation's identifier system; another authority
    // (`Hospital Lab`, an OID) is kept as the assigner's name, or as `urn:oid:`.
    let system = match (&ctx.opts.local_mrn_system, is_mrn) {
        (Some(system), true) => Some(system.clone()),
        _ => cx.authority.as_deref().and_then(|a| {
            if is_ods_code(a) {
                Some(authority_system(a, kind))
            } else {
                is_oid(a).then(|| format!("urn:oid:{a}"))
            }
        }),
    };
    Identifier {
        type_: cx.type_code.as_deref().map(|t| {
            CodeableConcept::from_coding(Coding::new(systems::V2_IDENTIFIER_TYPE, t, None))
        }),
        system,
        value: Some(cx.id),
        assigner: cx.authority.as_deref().map(|a| {
            Box::new(if is_ods_code(a) {
                uk_core::ods_reference(a, None)
            } else {
                Reference {
                    display: Some(a.to_owned()),
                    ..Default::default()
                }
            })
        }),
        ..Default::default()
    }
}

/// Whether an assigning authority looks like an ODS organisation code: a trust or other body
/// (`RXX`, `RR8`, `15F`), a site (`RXX01`) or a GP practice (`B99901`), upper case.
pub(crate) fn is_ods_code(a: &str) -> bool {
    let b = a.as_bytes();
    let upper_alnum = |c: &u8| c.is_ascii_uppercase() || c.is_ascii_digit();
    match b.len() {
        3 => b.iter().all(upper_alnum),
        5 => b[..3].iter().all(upper_alnum) && b[3..].iter().all(u8::is_ascii_digit),
        6 => b[0].is_ascii_uppercase() && b[1..].iter().all(u8::is_ascii_digit),
        _ => false,
    }
}

/// Whether an authority is an ISO OID (`2.16.840.1.113883.2.1.4.1`).
fn is_oid(a: &str) -> bool {
    a.contains('.')
        && a.split('.')
            .all(|p| !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit()))
}

/// `https://fhir.<authority lowercase>.nhs.uk/Id/<kind>`, the authority reduced to
/// `[a-z0-9-]`.
pub(crate) fn authority_system(authority: &str, kind: &str) -> String {
    trust_uri(authority, &format!("Id/{kind}"))
}

/// `https://fhir.<authority lowercase>.nhs.uk/<path>`: a URI in the trust's own namespace (local
/// identifier and code systems), the authority reduced to `[a-z0-9-]`.
pub(crate) fn trust_uri(authority: &str, path: &str) -> String {
    let trust: String = authority
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    format!("https://fhir.{trust}.nhs.uk/{path}")
}

/// NHS number verification status: PID-32 (table 0445), searching every repetition for
/// `NSTSnn` (ITK) or a bare `nn`; failing that the legacy ZU1-27.
pub(crate) fn verification_status(
    ctx: &mut Ctx<'_>,
    pid: &Segment<'_>,
    zu1: Option<&Segment<'_>>,
) -> Option<VerificationStatus> {
    let mut unknown = None;
    for (i, rep) in reps(pid, 32) {
        let Some(code) = comp(rep, 1) else { continue };
        match parse_status(&code) {
            Some(status) => return Some(status),
            None if looks_like_status(&code) => unknown = Some(format!("PID-32[{i}]")),
            None => {}
        }
    }
    if let Some(zu1) = zu1
        && let Some(code) = field1(zu1, 27)
    {
        if let Some(status) = parse_status(&code) {
            return Some(status);
        }
        unknown = Some("ZU1-27".to_owned());
    }
    if let Some(path) = unknown {
        ctx.warn(
            "code-unmapped",
            path,
            "NHS number verification status is not NSTS01..NSTS08; left out",
        );
    }
    None
}

fn looks_like_status(code: &str) -> bool {
    code.get(..4)
        .is_some_and(|p| p.eq_ignore_ascii_case("NSTS"))
}

fn parse_status(code: &str) -> Option<VerificationStatus> {
    let digits = if looks_like_status(code) {
        &code[4..]
    } else {
        code
    };
    if digits.is_empty() || digits.len() > 2 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    VerificationStatus::from_code(digits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::AdapterOptions;
    use junction_hl7v2::Message;

    fn pid(fields: &str) -> Vec<u8> {
        format!("MSH|^~\\&|A|B|C|D|20260101||ADT^A01|1|P|2.4\rPID|{fields}\r").into_bytes()
    }

    #[test]
    fn nhs_number_by_authority_not_position() {
        let bytes = pid("1||K1^^^RXX^MR~9990000018^^^NHS&2.16.840.1.113883.2.1.4.1&ISO^NH");
        let msg = Message::parse(&bytes).unwrap();
        let seg = msg.segment("PID", 1).unwrap();
        let opts = AdapterOptions::default();
        let mut ctx = Ctx::new(crate::pas::ctx::ID_NAMESPACE, &opts, "s", "m");
        let ids = read_ids(
            &mut ctx,
            &seg,
            3,
            "PID-3",
            Some(VerificationStatus::Verified),
        );
        assert_eq!(ids.patient_key().as_deref(), Some("nhs:9990000018"));
        assert_eq!(ids.mrn_key.as_deref(), Some("mrn:RXX:K1"));
        assert_eq!(
            ids.identifiers[0].system.as_deref(),
            Some("https://fhir.rxx.nhs.uk/Id/mrn")
        );
        assert_eq!(
            ids.identifiers[1].system.as_deref(),
            Some(systems::NHS_NUMBER)
        );
        assert!(ctx.warnings.is_empty());
    }

    #[test]
    fn invalid_nhs_number_is_flagged_not_emitted() {
        let bytes = pid("1||9990000017^^^NHS^NH~K1^^^RXX^MR");
        let msg = Message::parse(&bytes).unwrap();
        let seg = msg.segment("PID", 1).unwrap();
        let opts = AdapterOptions {
            local_mrn_system: Some("https://trust.example/mrn".into()),
            local_mrn_authority: Some("rxx".into()),
            ..Default::default()
        };
        let mut ctx = Ctx::new(crate::pas::ctx::ID_NAMESPACE, &opts, "s", "m");
        let ids = read_ids(&mut ctx, &seg, 3, "PID-3", None);
        assert!(ids.nhs.is_none());
        assert_eq!(ids.patient_key().as_deref(), Some("mrn:RXX:K1"));
        assert!(ids.identifiers[0].system.is_none());
        assert_eq!(
            ids.identifiers[1].system.as_deref(),
            Some("https://trust.example/mrn")
        );
        assert_eq!(ctx.warnings.len(), 1);
        assert_eq!(ctx.warnings[0].code, "nhs-number-invalid");
        assert_eq!(ctx.warnings[0].path, "PID-3[1]");
        assert!(!ctx.warnings[0].message.contains("9990000017"));
    }

    #[test]
    fn verification_status_is_searched_in_every_repetition() {
        let mut f = "|".repeat(31);
        f.push_str("X~~NSTS03");
        let bytes = pid(&f);
        let msg = Message::parse(&bytes).unwrap();
        let seg = msg.segment("PID", 1).unwrap();
        let opts = AdapterOptions::default();
        let mut ctx = Ctx::new(crate::pas::ctx::ID_NAMESPACE, &opts, "s", "m");
        assert_eq!(
            verification_status(&mut ctx, &seg, None),
            Some(VerificationStatus::TraceRequired)
        );
        let mut f = "|".repeat(31);
        f.push_str("NSTS99");
        let bytes = pid(&f);
        let msg = Message::parse(&bytes).unwrap();
        let seg = msg.segment("PID", 1).unwrap();
        assert_eq!(verification_status(&mut ctx, &seg, None), None);
        assert_eq!(ctx.warnings[0].path, "PID-32[1]");
        assert_eq!(
            parse_status("2"),
            Some(VerificationStatus::PresentNotTraced)
        );
        assert_eq!(parse_status("nsts01"), Some(VerificationStatus::Verified));
    }
}
