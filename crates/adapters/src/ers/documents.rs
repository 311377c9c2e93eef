//! `supportingInfo`: each contained STU3 DocumentReference becomes one R4 DocumentReference
//! per attachment (title, content type, size, e-RS `Binary/…` url and attachment id kept, with
//! the availability and attached-by extensions), and a `ReferralRequest/<ubrn>` reference (a
//! related referral) or `CommunicationRequest/<ubrn>` (the Advice and Guidance request it came
//! from) becomes a logical ServiceRequest reference by UBRN.

use junction_model::fhir::{
    Attachment, CodeableConcept, DocumentContent, DocumentReference, Extension, ExtensionValue,
    Identifier, Reference, Resource,
};
use junction_model::uk_core::{self, systems};

use super::codes::{EXT_ATTACHED_BY, EXT_ATTACHED_BY_ORG};
use super::parties::modernise_ref;
use super::read::{Input, Obj, contained, items, str_at, typed};
use crate::ctx::Ctx;

/// The ServiceRequest's `supportingInfo` references; the DocumentReferences go to `out`.
pub(crate) fn supporting_info(
    ctx: &mut Ctx<'_>,
    input: &Input<'_>,
    patient_ref: &Reference,
    out: &mut Vec<Resource>,
) -> Vec<Reference> {
    let mut refs = Vec::new();
    for (i, v) in items(input.rr, "supportingInfo").iter().enumerate() {
        let path = format!("ReferralRequest.supportingInfo[{i}]");
        let Some(r) = v.get("reference").and_then(|r| r.as_str()) else {
            ctx.warn(
                "field-missing",
                path,
                "supporting information without a reference; left out",
            );
            continue;
        };
        if r.starts_with('#') {
            match contained(input.rr, r)
                .filter(|d| str_at(d, "resourceType") == Some("DocumentReference"))
            {
                Some(doc) => {
                    for d in documents(ctx, doc, &path, patient_ref) {
                        refs.push(Reference::to(Ctx::urn(d.id.as_deref().unwrap_or_default())));
                        out.push(d.into());
                    }
                }
                None => ctx.warn(
                    "reference-unresolved",
                    path,
                    "points at no contained DocumentReference; left out",
                ),
            }
        } else if let Some((ubrn, display)) = related(r) {
            refs.push(Reference {
                display: display.map(str::to_owned),
                ..Reference::by_identifier("ServiceRequest", Identifier::new(systems::UBRN, ubrn))
            });
        } else {
            ctx.warn(
                "unsupported-reference",
                path,
                "only contained DocumentReferences and related ReferralRequests are mapped; left out",
            );
        }
    }
    refs
}

/// A related referral (`ReferralRequest/<ubrn>`) or the Advice and Guidance request it was
/// converted from (`CommunicationRequest/<ubrn>`; e-RS's R4 API shows both as ServiceRequests
/// with a UBRN), with a display for the latter; `_history` suffixes dropped.
fn related(r: &str) -> Option<(&str, Option<&'static str>)> {
    let (rest, display) = match r.strip_prefix("ReferralRequest/") {
        Some(rest) => (rest, None),
        None => (
            r.strip_prefix("CommunicationRequest/")?,
            Some("Advice and Guidance request"),
        ),
    };
    let ubrn = rest.split('/').next().filter(|u| !u.is_empty())?;
    Some((ubrn, display))
}

/// One R4 DocumentReference per attachment of an STU3 DocumentReference.
fn documents(
    ctx: &mut Ctx<'_>,
    doc: &Obj,
    path: &str,
    patient_ref: &Reference,
) -> Vec<DocumentReference> {
    let doc_id = str_at(doc, "id").unwrap_or_default();
    let type_: Option<CodeableConcept> = typed(ctx, doc.get("type"), &format!("{path}.type"));
    let mut out = Vec::new();
    for (j, content) in items(doc, "content").iter().enumerate() {
        let at = format!("{path}.content[{j}].attachment");
        let Some(attachment) = typed::<Attachment>(ctx, content.get("attachment"), &at) else {
            ctx.warn(
                "field-missing",
                at,
                "content without an attachment; left out",
            );
            continue;
        };
        let key = attachment
            .id
            .clone()
            .unwrap_or_else(|| format!("{doc_id}#{j}"));
        out.push(DocumentReference {
            id: Some(ctx.id("DocumentReference", &key)),
            meta: Some(uk_core::profile_meta(systems::profile::DOCUMENT_REFERENCE)),
            status: Some(str_at(doc, "status").unwrap_or("current").to_owned()),
            type_: type_.clone(),
            subject: Some(patient_ref.clone()),
            date: str_at(doc, "indexed").map(str::to_owned),
            author: authors(&attachment.extension),
            description: str_at(doc, "description").map(str::to_owned),
            content: vec![DocumentContent {
                attachment: Some(attachment),
                ..Default::default()
            }],
            ..Default::default()
        });
    }
    if out.is_empty() {
        ctx.warn(
            "field-missing",
            path,
            "the DocumentReference has no attachment; left out",
        );
    }
    out
}

/// Who attached it: the AttachedBy user and AttachedByOrganisation, as logical references.
fn authors(ext: &[Extension]) -> Vec<Reference> {
    let by = |url: &str, kind: &str| {
        ext.iter()
            .filter(|e| e.url == url)
            .find_map(|e| match &e.value {
                Some(ExtensionValue::Reference(r)) => Some(Reference {
                    type_: r.type_.clone().or_else(|| Some(kind.to_owned())),
                    ..modernise_ref(r.clone())
                }),
                _ => None,
            })
    };
    by(EXT_ATTACHED_BY, "Practitioner")
        .into_iter()
        .chain(by(EXT_ATTACHED_BY_ORG, "Organization"))
        .collect()
}
