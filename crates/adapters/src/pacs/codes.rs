//! Code mappings for radiology messages: ORC-1 order control (→ event kind and ServiceRequest
//! status), ORC-5 order status, priority (TQ.6 / TQ1-9), OBR-4 procedure codes (NICIP or the
//! `procedure` code table), coding systems named in CE.3, OBR-25 result status and DICOM
//! modalities (IPC-5, or OBR-24 diagnostic service section).

use junction_hl7v2::Value;
use junction_model::EventKind;
use junction_model::fhir::{CodeableConcept, Coding};
use junction_model::uk_core::systems;

use super::ctx::{Ctx, comp};
use crate::pas::identifiers::{is_ods_code, trust_uri};

/// The NICIP (National Interim Clinical Imaging Procedure) code system.
pub(crate) const NICIP: &str = "https://fhir.nhs.uk/CodeSystem/NICIP";
/// DICOM controlled terminology (modalities).
pub(crate) const DICOM_DCM: &str = "http://dicom.nema.org/resources/ontology/DCM";
/// HL7 v2 table 0074, diagnostic service section.
pub(crate) const V2_SERVICE_SECTION: &str = "http://terminology.hl7.org/CodeSystem/v2-0074";

/// What an order control code (ORC-1) means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Control {
    /// NW: a new order.
    New,
    /// CA, DC, OC, OD, CR, DR: the order is cancelled, discontinued or withdrawn.
    Cancel,
    /// HD, OH: the order is put on hold.
    Hold,
    /// XO, XX, XR, SC, RL, OR, OK, RE, SN, CH, PA, RO, RP, RU: a change to an existing order.
    Update,
}

impl Control {
    /// ORC-1 → control, `None` for codes this adapter does not interpret.
    pub fn from_code(code: &str) -> Option<Self> {
        Some(match code {
            "NW" => Self::New,
            "CA" | "DC" | "OC" | "OD" | "CR" | "DR" => Self::Cancel,
            "HD" | "OH" => Self::Hold,
            "XO" | "XX" | "XR" | "SC" | "RL" | "OR" | "OK" | "RE" | "SN" | "CH" | "PA" | "RO"
            | "RP" | "RU" => Self::Update,
            _ => return None,
        })
    }

    /// The event kind of an order message with this control.
    pub fn kind(self) -> EventKind {
        match self {
            Self::New => EventKind::OrderPlaced,
            Self::Cancel => EventKind::OrderCancelled,
            Self::Hold | Self::Update => EventKind::OrderUpdated,
        }
    }

    /// ServiceRequest.status, refined by ORC-5 when the control does not decide it.
    pub fn status(self, order_status: Option<&str>) -> &'static str {
        match (self, order_status) {
            (Self::Cancel, _) => "revoked",
            (Self::Hold, _) => "on-hold",
            (_, Some("CM")) => "completed",
            (_, Some("CA" | "DC")) => "revoked",
            (_, Some("HD")) => "on-hold",
            _ => "active",
        }
    }
}

/// ServiceRequest.intent for an order control code: `SN` (send number) is a proposal, `CH` a
/// child order (`instance-order`); everything else is an `order`.
pub(crate) fn intent(code: &str) -> &'static str {
    match code {
        "SN" => "proposal",
        "CH" => "instance-order",
        _ => "order",
    }
}

/// TQ.6 / TQ1-9 priority (HL7 0027/0485) → ServiceRequest.priority. `U` (urgent) is not in the
/// HL7 tables but is what UK order comms (ICE) send, so it maps to `urgent`.
pub(crate) fn priority(ctx: &mut Ctx<'_>, code: &str, path: &str) -> Option<&'static str> {
    let p = match code.to_ascii_uppercase().as_str() {
        "S" => "stat",
        "A" => "asap",
        "U" => "urgent",
        "R" | "P" | "T" | "C" | "PRN" => "routine",
        _ => {
            ctx.warn(
                "code-unmapped",
                path,
                "priority is not S/A/U/R (HL7 table 0027/0485); left out",
            );
            return None;
        }
    };
    Some(p)
}

/// The FHIR system for a coding system named in CE.3/CWE.3, when it is a national one.
pub(crate) fn system_for(name: &str) -> Option<&'static str> {
    Some(match name.to_ascii_uppercase().as_str() {
        "NICIP" => NICIP,
        "SCT" | "SNOMED" | "SNOMED-CT" | "SNOMEDCT" => systems::SNOMED_CT,
        "LN" | "LOINC" => systems::LOINC,
        "DCM" | "DICOM" => DICOM_DCM,
        "UCUM" => systems::UCUM,
        _ => return None,
    })
}

/// A CE/CWE → CodeableConcept: a coding for each triplet whose system is national (CE.1-3,
/// CE.4-6), text from CE.2; a local code without a national system is kept as text only.
pub(crate) fn concept(v: Value<'_>) -> Option<CodeableConcept> {
    let mut cc = CodeableConcept::default();
    for first in [1, 4] {
        let code = comp(v, first);
        let display = comp(v, first + 1);
        let system = comp(v, first + 2).as_deref().and_then(system_for);
        if let (Some(code), Some(system)) = (&code, system) {
            cc.coding
                .push(Coding::new(system, code.as_ref(), display.as_deref()));
        }
        if cc.text.is_none() && first == 1 {
            cc.text = display.or(code).map(|t| t.into_owned());
        }
    }
    (cc.text.is_some() || !cc.coding.is_empty()).then_some(cc)
}

/// OBR-4 / AIS-3 procedure → CodeableConcept: an entry in code table `procedure` first (a
/// trust's override), then a NICIP coding (CE.3 or CE.6 = `NICIP`), then the table's default;
/// otherwise the text, with a `code-unmapped` warning.
pub(crate) fn procedure(ctx: &mut Ctx<'_>, v: Value<'_>, path: &str) -> Option<CodeableConcept> {
    let code = comp(v, 1);
    let display = comp(v, 2).or_else(|| code.clone());
    let text = display.as_deref().map(str::to_owned);
    if let Some(m) = code
        .as_deref()
        .and_then(|c| ctx.table_entry("procedure", c))
    {
        return Some(CodeableConcept {
            text,
            ..m.codeable_concept()
        });
    }
    if let Some(cc) = concept(v).filter(|cc| cc.coding_in(NICIP).is_some()) {
        return Some(cc);
    }
    if let Some(m) = ctx.table_default("procedure") {
        return Some(CodeableConcept {
            text,
            ..m.codeable_concept()
        });
    }
    let mut cc = concept(v)?;
    if cc.coding.is_empty() {
        // A trust-local code (`XCHES^XR Chest^LOCAL`) is kept as a coding in the sending
        // trust's own code system, with its display, so it is not lost to the text.
        let trust = ctx.facility.as_deref().filter(|f| is_ods_code(f));
        let local = code.as_deref().zip(trust);
        let kept = match local {
            Some((code, facility)) => {
                cc.coding.push(Coding::new(
                    trust_uri(facility, "CodeSystem/local-procedure"),
                    code,
                    display.as_deref(),
                ));
                "kept in the trust's local code system"
            }
            None => "kept as text",
        };
        ctx.warn(
            "code-unmapped",
            path,
            format!("procedure code is not NICIP and not in code table `procedure`; {kept}"),
        );
    }
    Some(cc)
}

/// OBR-25 result status → DiagnosticReport.status (F final, C corrected → amended,
/// P/R preliminary, X cancelled, A/S partial, I/O registered).
pub(crate) fn report_status(code: &str) -> Option<&'static str> {
    Some(match code {
        "F" => "final",
        "C" => "amended",
        "P" | "R" => "preliminary",
        "X" => "cancelled",
        "A" | "S" => "partial",
        "I" | "O" => "registered",
        _ => return None,
    })
}

/// OBX-11 result status → Observation.status (`D`/`W` → entered-in-error).
pub(crate) fn observation_status(code: &str) -> Option<&'static str> {
    Some(match code {
        "F" => "final",
        "C" => "corrected",
        "P" | "R" | "S" => "preliminary",
        "X" => "cancelled",
        "D" | "W" => "entered-in-error",
        "I" | "O" => "registered",
        _ => return None,
    })
}

/// A DICOM modality code (IPC-5.1 when DCM, or a table 0074 section in OBR-24) → Coding.
/// `RAD` names radiology as a whole, so it gives no modality (and no warning).
pub(crate) fn modality(code: &str) -> Result<Option<Coding>, ()> {
    const DICOM: [&str; 16] = [
        "CT", "MR", "US", "DX", "CR", "NM", "PT", "MG", "XA", "RF", "OT", "IO", "PX", "DG", "BMD",
        "ES",
    ];
    let upper = code.to_ascii_uppercase();
    let dcm = match DICOM.into_iter().find(|c| *c == upper) {
        Some(c) => c,
        None => match upper.as_str() {
            "RX" => "DX",
            "XRC" => "XA",
            "NMR" => "MR",
            "NMS" => "NM",
            "VUS" => "US",
            "RAD" => return Ok(None),
            _ => return Err(()),
        },
    };
    Ok(Some(Coding::new(DICOM_DCM, dcm, None)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_controls() {
        let ca = Control::from_code("CA").unwrap();
        assert_eq!(ca.kind(), EventKind::OrderCancelled);
        assert_eq!(ca.status(Some("CM")), "revoked");
        let sc = Control::from_code("SC").unwrap();
        assert_eq!(sc.kind(), EventKind::OrderUpdated);
        assert_eq!(sc.status(Some("CM")), "completed");
        assert_eq!(sc.status(Some("IP")), "active");
        assert_eq!(Control::from_code("HD").unwrap().status(None), "on-hold");
        assert!(Control::from_code("ZZ").is_none());
    }

    #[test]
    fn statuses_and_modalities() {
        assert_eq!(report_status("C"), Some("amended"));
        assert_eq!(report_status("P"), Some("preliminary"));
        assert_eq!(report_status("Q"), None);
        assert_eq!(modality("ct").unwrap().unwrap().code.as_deref(), Some("CT"));
        assert_eq!(modality("RX").unwrap().unwrap().code.as_deref(), Some("DX"));
        assert_eq!(modality("RAD"), Ok(None));
        assert!(modality("ZZ").is_err());
    }
}
