//! The STU3 ReferralRequest's own fields → the R4 ServiceRequest: UBRN and e-RS request id,
//! status and intent, priority, category (referral, specialty, clinic type), the kept e-RS
//! extensions, code, reason, notes, occurrence (asked-for time, else the booked appointment),
//! authoredOn and the referral version in `meta.versionId`.

use junction_model::fhir::{
    Annotation, CodeableConcept, Coding, Extension, ExtensionValue, Identifier, Meta, Occurrence,
    Period, Reference, ServiceRequest,
};
use junction_model::uk_core::systems;
use serde::Deserialize;
use serde_json::Value;

use super::codes::{self, CS_PRIORITY, CS_SERVICEREQUEST_CATEGORY, EXT_PRIORITY};
use super::parties::modernise;
use super::read::{Input, Obj, items, str_at, typed, typed_items};
use crate::ctx::Ctx;
use crate::error::{DecodeError, DecodeErrorCode};

/// What the referral is about and who is involved, already mapped.
pub(crate) struct Links {
    pub patient: Reference,
    pub requester: Option<Reference>,
    pub performer: Vec<Reference>,
    pub supporting_info: Vec<Reference>,
}

/// The ServiceRequest for the referral `ubrn` at `version`; `id` is stable per UBRN.
pub(crate) fn service_request(
    ctx: &mut Ctx<'_>,
    input: &Input<'_>,
    id: String,
    ubrn: &str,
    version: &str,
    appointment: Option<&Obj>,
    links: Links,
) -> Result<ServiceRequest, DecodeError> {
    let rr = input.rr;
    let status = match str_at(rr, "status") {
        None => {
            ctx.warn(
                "field-missing",
                "ReferralRequest.status",
                "no status; set to unknown",
            );
            "unknown"
        }
        Some(s) => codes::status_r4(s).ok_or_else(|| {
            DecodeError::new(
                DecodeErrorCode::UnknownCode,
                Some("ReferralRequest.status"),
                "not an STU3 ReferralRequest status",
            )
        })?,
    };
    let intent = match str_at(rr, "intent") {
        None => {
            ctx.warn(
                "field-missing",
                "ReferralRequest.intent",
                "no intent; set to order",
            );
            "order"
        }
        Some(s) => codes::intent_r4(s).ok_or_else(|| {
            DecodeError::new(
                DecodeErrorCode::UnknownCode,
                Some("ReferralRequest.intent"),
                "not an STU3 ReferralRequest intent",
            )
        })?,
    };
    let extension: Vec<Extension> =
        typed_items::<Extension>(ctx, rr, "extension", "ReferralRequest.extension")
            .into_iter()
            .filter(|e| codes::keep_extension(&e.url))
            .collect();
    let mut identifier = vec![Identifier::new(systems::UBRN, ubrn)];
    let mut others: Vec<Identifier> =
        typed_items(ctx, rr, "identifier", "ReferralRequest.identifier");
    others.retain(|i| !matches!(i.system.as_deref(), Some(systems::UBRN | codes::UBRN_LOWER)));
    modernise(&mut others);
    identifier.extend(others);

    let mut note: Vec<Annotation> = str_at(rr, "description")
        .map(|d| Annotation {
            text: Some(d.to_owned()),
            ..Default::default()
        })
        .into_iter()
        .collect();
    note.extend(typed_items(ctx, rr, "note", "ReferralRequest.note"));
    let mut requested: Vec<CodeableConcept> = typed_items(
        ctx,
        rr,
        "serviceRequested",
        "ReferralRequest.serviceRequested",
    );
    let code = if requested.is_empty() {
        typed(ctx, rr.get("type"), "ReferralRequest.type")
    } else {
        Some(requested.remove(0))
    };
    Ok(ServiceRequest {
        id: Some(id),
        meta: Some(Meta {
            version_id: Some(version.to_owned()),
            ..Meta::with_profile(systems::profile::SERVICE_REQUEST)
        }),
        priority: priority(ctx, &extension, rr),
        extension,
        identifier,
        requisition: typed(
            ctx,
            rr.get("groupIdentifier"),
            "ReferralRequest.groupIdentifier",
        ),
        status: Some(status.to_owned()),
        intent: Some(intent.to_owned()),
        category: category(ctx, input),
        code,
        order_detail: requested,
        subject: Some(links.patient),
        occurrence: occurrence(ctx, rr, appointment),
        authored_on: str_at(rr, "authoredOn").map(str::to_owned),
        requester: links.requester,
        performer: links.performer,
        reason_code: typed_items(ctx, rr, "reasonCode", "ReferralRequest.reasonCode"),
        supporting_info: links.supporting_info,
        note,
        ..Default::default()
    })
}

/// The R4 priority from the e-RS ReferralPriority extension (else STU3 `priority`, which has
/// the R4 codes already).
fn priority(ctx: &mut Ctx<'_>, ext: &[Extension], rr: &Obj) -> Option<String> {
    let ers = ext
        .iter()
        .filter(|e| e.url == EXT_PRIORITY)
        .find_map(|e| match &e.value {
            Some(ExtensionValue::CodeableConcept(cc)) => cc.coding_in(CS_PRIORITY)?.code.clone(),
            _ => None,
        });
    if let Some(code) = ers {
        return match codes::priority_r4(&code) {
            Some(p) => Some(p.to_owned()),
            None => {
                ctx.warn(
                    "code-unmapped",
                    "ReferralRequest.extension(ReferralPriority)",
                    "unknown e-RS priority; ServiceRequest.priority left out (the extension keeps the code)",
                );
                None
            }
        };
    }
    match str_at(rr, "priority") {
        Some(p @ ("routine" | "urgent" | "asap" | "stat")) => Some(p.to_owned()),
        Some(_) => {
            ctx.warn(
                "code-unmapped",
                "ReferralRequest.priority",
                "unknown priority; left out",
            );
            None
        }
        None => None,
    }
}

/// The referral category e-RS uses in R4, then the specialty and the clinic type.
fn category(ctx: &mut Ctx<'_>, input: &Input<'_>) -> Vec<CodeableConcept> {
    let mut out = vec![CodeableConcept::coded(
        CS_SERVICEREQUEST_CATEGORY,
        "referral",
        Some("Referral"),
    )];
    let criteria = search_criteria(input.rr);
    let specialty: Option<CodeableConcept> =
        typed(ctx, input.rr.get("specialty"), "ReferralRequest.specialty")
            .or_else(|| param_coding(criteria, "specialty").map(CodeableConcept::from_coding));
    out.extend(specialty);
    out.extend(param_coding(criteria, "clinicType").map(CodeableConcept::from_coding));
    out.retain(|c| !c.coding.is_empty() || c.text.is_some());
    out
}

/// The contained ServiceSearchCriteria Parameters (specialty, clinic type, priority asked for).
fn search_criteria(rr: &Obj) -> Option<&Obj> {
    items(rr, "contained")
        .iter()
        .filter_map(Value::as_object)
        .find(|c| str_at(c, "resourceType") == Some("Parameters"))
}

fn param_coding(params: Option<&Obj>, name: &str) -> Option<Coding> {
    items(params?, "parameter")
        .iter()
        .filter_map(Value::as_object)
        .filter(|p| str_at(p, "name") == Some(name))
        .find_map(|p| Coding::deserialize(p.get("valueCoding")?).ok())
}

/// STU3 `occurrence[x]` (same keys in R4), else the booked appointment's start and end.
fn occurrence(ctx: &mut Ctx<'_>, rr: &Obj, appointment: Option<&Obj>) -> Option<Occurrence> {
    if let Some(dt) = str_at(rr, "occurrenceDateTime") {
        return Some(Occurrence::DateTime(dt.to_owned()));
    }
    if let Some(p) = typed::<Period>(
        ctx,
        rr.get("occurrencePeriod"),
        "ReferralRequest.occurrencePeriod",
    ) {
        return Some(Occurrence::Period(p));
    }
    let appt = appointment?;
    let live = matches!(
        str_at(appt, "status"),
        Some("booked" | "pending" | "arrived" | "fulfilled" | "checked-in")
    );
    let start = str_at(appt, "start")?;
    live.then(|| {
        Occurrence::Period(Period {
            start: Some(start.to_owned()),
            end: str_at(appt, "end").map(str::to_owned),
            ..Default::default()
        })
    })
}
