//! The HL7 v3 path: EPS parent prescription (`PORX_IN020101SM31`) and cancel request
//! (`PORX_IN030101SM32`) → [`Message`], read in one streaming pass ([`reader`]) into the few
//! fields Junction maps ([`collect`]). Missing mandatory parts are [`DecodeError`]s whose
//! path is XPath-like (`/PORX_IN020101SM31/…/recordTarget/Patient/id`).

mod collect;
pub(crate) mod reader;

use junction_hl7v2::Timestamp;
use junction_model::fhir::{
    CodeableConcept, Coding, Dosage, Duration, Extension, ExtensionValue, HumanName, Identifier,
    Period, Quantity,
};
use junction_model::uk_core::{self, systems};
use junction_model::{Event, EventKind, NhsNumber, event::patient_key};

use crate::adapter::Inbound;
use crate::error::{DecodeError, DecodeErrorCode};
use crate::prescribing::ctx::{Ctx, decimal};
use crate::prescribing::order::{Item, Message, Patient, Prescriber};
use crate::prescribing::professional::{self, Profession};
use crate::registry::AdapterOptions;
use collect::Collected;

const PARENT_PRESCRIPTION: &str = "PORX_IN020101SM31";
const CANCEL_REQUEST: &str = "PORX_IN030101SM32";
const ITEM_NUMBER: &str = "https://fhir.nhs.uk/Id/prescription-order-item-number";
const ORDER_NUMBER: &str = "https://fhir.nhs.uk/Id/prescription-order-number";
const PRESCRIPTION_ID: &str = "https://fhir.nhs.uk/Id/prescription";
const EXT_PRESCRIPTION_ID: &str =
    "https://fhir.nhs.uk/StructureDefinition/Extension-DM-PrescriptionId";
const EXT_PRESCRIPTION_TYPE: &str =
    "https://fhir.nhs.uk/StructureDefinition/Extension-DM-PrescriptionType";
const EXT_SITE_TYPE: &str =
    "https://fhir.nhs.uk/StructureDefinition/Extension-DM-PerformerSiteType";
const CS_PRESCRIPTION_TYPE: &str = "https://fhir.nhs.uk/CodeSystem/prescription-type";
const CS_SITE_PREFERENCE: &str = "https://fhir.nhs.uk/CodeSystem/dispensing-site-preference";
const CS_STATUS_REASON: &str = "https://fhir.nhs.uk/CodeSystem/medicationrequest-status-reason";
const CS_JOB_ROLE: &str = "https://fhir.nhs.uk/CodeSystem/NHSDigital-SDS-JobRoleCode";
const CS_COURSE: &str = "http://terminology.hl7.org/CodeSystem/medicationrequest-course-of-therapy";
const CS_COURSE_NHS: &str = "https://fhir.nhs.uk/CodeSystem/medicationrequest-course-of-therapy";

/// Decodes an EPS HL7 v3 message into events.
pub(crate) fn decode(
    opts: &AdapterOptions,
    inbound: &Inbound<'_>,
) -> Result<Vec<Event>, DecodeError> {
    let mut c = Collected::default();
    let root = reader::walk(inbound.bytes, &mut c)?;
    let (subject, kind) = match root.as_str() {
        PARENT_PRESCRIPTION => ("ParentPrescription", EventKind::PrescriptionIssued),
        CANCEL_REQUEST => ("CancellationRequest", EventKind::PrescriptionCancelled),
        _ => {
            return Err(DecodeError::new(
                DecodeErrorCode::UnsupportedMessage,
                Some(&format!("/{root}")),
                format!(
                    "HL7 v3 interaction is not handled (only {PARENT_PRESCRIPTION} and {CANCEL_REQUEST})"
                ),
            ));
        }
    };
    let base = format!("/{root}/ControlActEvent/subject/{subject}");
    let msg_id = c
        .message_id
        .clone()
        .unwrap_or_else(|| inbound.correlation_id.to_owned());
    let mut ctx = Ctx::new(
        crate::prescribing::ctx::ID_NAMESPACE,
        opts,
        inbound.source,
        msg_id,
    );
    let patient = patient(&c, &base)?;
    let rx = if kind == EventKind::PrescriptionIssued {
        "/pertinentInformation1/pertinentPrescription"
    } else {
        ""
    };
    let short_id = c.short_id.clone().ok_or_else(|| {
        let at = if rx.is_empty() {
            "/pertinentInformation2/pertinentPrescriptionID/value"
        } else {
            "/id"
        };
        DecodeError::missing_field(
            &format!("{base}{rx}{at}"),
            "short-form prescription id is missing",
        )
    })?;
    let group = Identifier {
        extension: c
            .long_id
            .iter()
            .map(|id| {
                Extension::with_value(
                    EXT_PRESCRIPTION_ID,
                    ExtensionValue::Identifier(Identifier::new(
                        PRESCRIPTION_ID,
                        id.to_ascii_lowercase(),
                    )),
                )
            })
            .collect(),
        ..Identifier::new(ORDER_NUMBER, short_id.clone())
    };
    let profession = c
        .prescription_type
        .as_deref()
        .map(Profession::from_prescription_type);
    let prescriber = prescriber(
        &mut ctx,
        &mut c.author,
        profession,
        &format!("{base}{rx}/author/AgentPerson"),
    );
    let items = if kind == EventKind::PrescriptionIssued {
        issued_items(&mut ctx, &mut c, &group, &format!("{base}{rx}"))?
    } else {
        vec![cancel_item(&mut ctx, &c, group, &short_id)]
    };
    let m = Message {
        message_type: root.clone(),
        source_endpoint: format!(
            "urn:nhs:asid:{}",
            c.sender_asid.as_deref().unwrap_or("unknown")
        ),
        source_name: None,
        sender_ods: prescriber.as_ref().and_then(|p| p.org_ods.clone()),
        patient,
        prescriber,
        items,
    };
    Ok(crate::prescribing::build::events(
        &mut ctx,
        m,
        inbound.received_at,
        inbound.correlation_id,
    ))
}

fn patient(c: &Collected, base: &str) -> Result<Patient, DecodeError> {
    let path = format!("{base}/recordTarget/Patient/id");
    let raw = c
        .nhs_number
        .as_deref()
        .ok_or_else(|| DecodeError::missing_field(&path, "patient NHS number is missing"))?;
    let nhs = NhsNumber::parse(raw).map_err(|e| DecodeError::bad_value(&path, e.to_string()))?;
    let name = (c.patient_family.is_some() || !c.patient_given.is_empty()).then(|| HumanName {
        use_: Some("usual".into()),
        family: c.patient_family.clone(),
        given: c.patient_given.clone(),
        prefix: c.patient_prefix.clone(),
        ..Default::default()
    });
    Ok(Patient {
        identifiers: vec![uk_core::nhs_number_identifier(&nhs, None)],
        key: Some(patient_key::nhs(&nhs)),
        name,
        gender: c.gender.as_deref().and_then(uk_core::gender_from_nhs_dd),
        birth_date: c
            .birth
            .as_deref()
            .and_then(|b| Timestamp::parse(b).ok())
            .map(|t| t.to_fhir_date()),
        gp_practice: c.gp.clone(),
    })
}

fn prescriber(
    ctx: &mut Ctx<'_>,
    a: &mut collect::Author,
    profession: Option<Profession>,
    path: &str,
) -> Option<Prescriber> {
    let mut p = Prescriber::default();
    if let Some(sds) = &a.sds_user {
        p.identifiers
            .push(Identifier::new(systems::SDS_USER_ID, sds.clone()));
    }
    if let Some(code) = &a.prof_code {
        let (id, why) = professional::identifier(code, None, profession);
        if let Some(why) = why {
            ctx.warn(
                "prescriber-code-unclassified",
                format!("{path}/agentPerson/id"),
                why,
            );
        }
        p.identifiers.push(id);
    }
    p.key = a
        .prof_code
        .clone()
        .or(a.sds_user.clone())
        .or(a.role_profile.clone())?;
    p.name = (a.family.is_some() || !a.given.is_empty()).then(|| HumanName {
        family: a.family.take(),
        given: std::mem::take(&mut a.given),
        prefix: std::mem::take(&mut a.prefix),
        ..Default::default()
    });
    p.role_ids = a
        .role_profile
        .iter()
        .map(|r| Identifier::new(systems::SDS_ROLE_PROFILE_ID, r.clone()))
        .collect();
    p.role_code = a
        .job_role
        .as_deref()
        .map(|c| CodeableConcept::coded(CS_JOB_ROLE, c, None));
    p.phone = a.phone.take();
    p.org_ods = a.org_ods.take();
    p.org_name = a.org_name.take();
    p.parent_ods = a.parent_ods.take();
    p.parent_name = a.parent_name.take();
    Some(p)
}

/// The `(system, code, display)` for a prescription treatment type (EPS PTT).
fn course(ptt: &str) -> Option<(&'static str, &'static str, &'static str)> {
    Some(match ptt {
        "0001" => (CS_COURSE, "acute", "Short course (acute) therapy"),
        "0002" => (CS_COURSE, "continuous", "Continuous long term therapy"),
        "0003" => (
            CS_COURSE_NHS,
            "continuous-repeat-dispensing",
            "Continuous long term (repeat dispensing)",
        ),
        _ => return None,
    })
}

fn issued_items(
    ctx: &mut Ctx<'_>,
    c: &mut Collected,
    group: &Identifier,
    rx: &str,
) -> Result<Vec<Item>, DecodeError> {
    if c.items.is_empty() {
        return Err(DecodeError::missing_field(
            &format!("{rx}/pertinentInformation2/pertinentLineItem"),
            "prescription has no line item",
        ));
    }
    let authored = c
        .authored
        .as_deref()
        .and_then(|t| Timestamp::parse(t).ok())
        .map(|t| t.to_fhir_datetime());
    let date = |v: &Option<String>| {
        v.as_deref()
            .and_then(|t| Timestamp::parse(t).ok())
            .map(|t| t.to_fhir_date())
    };
    let validity = (c.validity.0.is_some() || c.validity.1.is_some()).then(|| Period {
        start: date(&c.validity.0),
        end: date(&c.validity.1),
        ..Default::default()
    });
    let repeats = c
        .repeat_high
        .as_deref()
        .and_then(|h| h.parse::<u32>().ok())
        .map(|h| h.saturating_sub(1));
    let supply = c
        .supply
        .as_ref()
        .and_then(|(v, u)| Some(Duration::ucum(decimal(v)?, u.as_deref().unwrap_or("d"))));
    let mut out = Vec::with_capacity(c.items.len());
    for (i, li) in c.items.drain(..).enumerate() {
        let at = format!("{rx}/pertinentInformation2[{}]/pertinentLineItem", i + 1);
        let id = li.id.ok_or_else(|| {
            DecodeError::missing_field(&format!("{at}/id"), "line item id is missing")
        })?;
        let code = li.code.ok_or_else(|| {
            DecodeError::missing_field(
                &format!("{at}/product/manufacturedProduct/manufacturedRequestedMaterial/code"),
                "line item medication code is missing",
            )
        })?;
        let quantity = li
            .qty_value
            .as_deref()
            .and_then(decimal)
            .map(|value| Quantity {
                value: Some(value),
                unit: li.qty_unit.clone(),
                system: li.qty_code.as_ref().map(|_| systems::SNOMED_CT.to_owned()),
                code: li.qty_code.clone(),
                ..Default::default()
            });
        if quantity.is_none() {
            ctx.warn(
                "field-missing",
                format!("{at}/component/lineItemQuantity/quantity"),
                "line item quantity is missing or not a number",
            );
        }
        if li.dose_text.is_none() {
            ctx.warn(
                "field-missing",
                format!("{at}/pertinentInformation2/pertinentDosageInstructions/value"),
                "dosage instructions are missing",
            );
        }
        out.push(Item {
            kind: Some(EventKind::PrescriptionIssued),
            status: "active",
            key: id.to_ascii_lowercase(),
            identifiers: vec![Identifier::new(ITEM_NUMBER, id.to_ascii_lowercase())],
            group: Some(group.clone()),
            medication: Some(CodeableConcept::coded(
                systems::SNOMED_CT,
                code,
                li.display.as_deref(),
            )),
            dosage: li.dose_text.map(|t| Dosage {
                text: Some(t),
                ..Default::default()
            }),
            quantity,
            supply_duration: supply.clone(),
            validity: validity.clone(),
            repeats,
            course: c.treatment_type.as_deref().and_then(course),
            authored_on: authored.clone(),
            dispenser: c.nominated.clone(),
            extensions: c
                .prescription_type
                .iter()
                .map(|t| coding_ext(EXT_PRESCRIPTION_TYPE, CS_PRESCRIPTION_TYPE, t))
                .collect(),
            dispense_extensions: c
                .site_preference
                .iter()
                .map(|s| coding_ext(EXT_SITE_TYPE, CS_SITE_PREFERENCE, s))
                .collect(),
            notes: li.notes,
            ..Default::default()
        });
    }
    Ok(out)
}

/// A cancel request names the prescription and (optionally) one line item; the medication is
/// not in the message, so the MedicationRequest has none.
fn cancel_item(ctx: &mut Ctx<'_>, c: &Collected, group: Identifier, short_id: &str) -> Item {
    if c.cancel_item.is_none() {
        ctx.warn(
            "field-missing",
            "pertinentLineItemRef",
            "cancel request names no line item; the whole prescription is cancelled",
        );
    }
    let key = c
        .cancel_item
        .as_deref()
        .map(str::to_ascii_lowercase)
        .unwrap_or_else(|| short_id.to_owned());
    Item {
        kind: Some(EventKind::PrescriptionCancelled),
        status: "cancelled",
        status_reason: c.cancel_reason.as_deref().map(|code| {
            CodeableConcept::from_coding(Coding::new(
                CS_STATUS_REASON,
                code,
                c.cancel_reason_text.as_deref(),
            ))
        }),
        identifiers: c
            .cancel_item
            .iter()
            .map(|i| Identifier::new(ITEM_NUMBER, i.to_ascii_lowercase()))
            .collect(),
        key,
        group: Some(group),
        occurred_at: c
            .effective
            .as_deref()
            .and_then(|t| Timestamp::parse(t).ok())
            .map(|t| t.to_fhir_datetime()),
        authored_on: None,
        ..Default::default()
    }
}

fn coding_ext(url: &str, system: &str, code: &str) -> Extension {
    Extension::with_value(url, ExtensionValue::Coding(Coding::new(system, code, None)))
}
