//! Coded v2 fields of a pharmacy order: the medication (RXE-2 / RXD-2: dm+d when the coding
//! system is `DMD`/`SNOMED`/`SCT`, else the `medication` code table), the route (RXR-1:
//! SNOMED CT, or HL7 table 0162 mapped onto SNOMED CT route codes) and units (UCUM or
//! SNOMED CT unit of presentation, else text).

use junction_hl7v2::Value;
use junction_model::fhir::{CodeableConcept, Coding, Quantity};
use junction_model::uk_core::systems;

use crate::prescribing::ctx::{Ctx, comp, decimal};

/// Whether a CE/CWE coding system name (component 3) means SNOMED CT (dm+d is part of it).
fn is_snomed(system: Option<&str>) -> bool {
    system.is_some_and(|s| {
        matches!(
            s.to_ascii_uppercase().as_str(),
            "DMD" | "SNOMED" | "SCT" | "SNOMEDCT" | "SNOMED-CT" | "SNM" | "2.16.840.1.113883.6.96"
        )
    })
}

/// A CE/CWE medication code → CodeableConcept; `None` when the field holds no code or text.
pub(crate) fn medication(ctx: &mut Ctx<'_>, v: Value<'_>, path: &str) -> Option<CodeableConcept> {
    let code = comp(v, 1);
    let display = comp(v, 2);
    let system = comp(v, 3);
    let Some(code) = code else {
        let display = display?;
        ctx.warn(
            "field-missing",
            format!("{path}.1"),
            "medication has text but no code; kept as text",
        );
        return Some(CodeableConcept::text(display));
    };
    if is_snomed(system.as_deref()) {
        return Some(CodeableConcept::coded(
            systems::SNOMED_CT,
            code,
            display.as_deref(),
        ));
    }
    if let Some(m) = ctx.table("medication", &code) {
        let mut coding = m.coding();
        coding
            .system
            .get_or_insert_with(|| systems::SNOMED_CT.to_owned());
        if coding.display.is_none() {
            coding.display = display.as_deref().map(str::to_owned);
        }
        return Some(CodeableConcept {
            coding: vec![coding],
            text: display.map(|d| d.into_owned()),
            ..Default::default()
        });
    }
    ctx.warn(
        "code-unmapped",
        format!("{path}.1"),
        "medication code is not dm+d and not in code table `medication`; kept as a local code",
    );
    Some(CodeableConcept {
        coding: vec![Coding {
            code: Some(code.into_owned()),
            display: display.as_deref().map(str::to_owned),
            ..Default::default()
        }],
        text: display.map(|d| d.into_owned()),
        ..Default::default()
    })
}

/// HL7 table 0162 route → SNOMED CT route of administration.
fn route_0162(code: &str) -> Option<(&'static str, &'static str)> {
    Some(match code.to_ascii_uppercase().as_str() {
        "PO" | "OR" => ("26643006", "Oral route"),
        "IV" => ("47625008", "Intravenous route"),
        "IM" => ("78421000", "Intramuscular route"),
        "SC" | "SQ" => ("34206005", "Subcutaneous route"),
        "TP" | "TOP" => ("6064005", "Topical route"),
        "PR" => ("37161004", "Rectal route"),
        "SL" => ("37839007", "Sublingual route"),
        "NS" => ("46713006", "Nasal route"),
        "IH" | "INH" => ("18679011000001101", "Inhalation"),
        "OP" => ("54485002", "Ophthalmic route"),
        "TD" | "TRA" => ("45890007", "Transdermal route"),
        _ => return None,
    })
}

/// RXR-1 → route CodeableConcept.
pub(crate) fn route(ctx: &mut Ctx<'_>, v: Value<'_>) -> Option<CodeableConcept> {
    let code = comp(v, 1)?;
    let display = comp(v, 2);
    let system = comp(v, 3);
    if is_snomed(system.as_deref()) {
        return Some(CodeableConcept::coded(
            systems::SNOMED_CT,
            code,
            display.as_deref(),
        ));
    }
    if let Some((sct, text)) = route_0162(&code) {
        return Some(CodeableConcept::coded(systems::SNOMED_CT, sct, Some(text)));
    }
    if let Some(m) = ctx.table("route", &code) {
        return Some(m.codeable_concept());
    }
    ctx.warn(
        "code-unmapped",
        "RXR-1",
        "route is not SNOMED CT, HL7 0162 or in code table `route`; kept as text",
    );
    Some(CodeableConcept::text(display.unwrap_or(code)))
}

/// An amount (`value`) with CE units (`code^text^system`) → Quantity. UCUM units get the UCUM
/// system, SNOMED CT units (units of presentation) the SNOMED CT system; others stay text.
pub(crate) fn quantity(
    ctx: &mut Ctx<'_>,
    value: &str,
    units: Option<Value<'_>>,
    path: &str,
) -> Option<Quantity> {
    let Some(n) = decimal(value) else {
        ctx.warn(
            "field-unparseable",
            path,
            "amount is not a number; left out",
        );
        return None;
    };
    let mut q = Quantity {
        value: Some(n),
        ..Default::default()
    };
    if let Some(u) = units {
        let code = comp(u, 1);
        let text = comp(u, 2);
        let system = comp(u, 3);
        let system = system.as_deref().map(str::to_ascii_uppercase);
        match system.as_deref() {
            Some("UCUM" | "ISO+" | "ANS+") => {
                q.system = Some(systems::UCUM.to_owned());
                q.code = code.as_deref().map(str::to_owned);
                q.unit = text.or(code).map(|s| s.into_owned());
            }
            s if is_snomed(s) => {
                q.system = Some(systems::SNOMED_CT.to_owned());
                q.code = code.as_deref().map(str::to_owned);
                q.unit = text.or(code).map(|s| s.into_owned());
            }
            _ => q.unit = text.or(code).map(|s| s.into_owned()),
        }
    }
    Some(q)
}
