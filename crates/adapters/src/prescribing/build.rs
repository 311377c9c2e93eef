//! [`Message`] → events: one event per [`Item`], each a FHIR `message` Bundle holding the
//! MessageHeader, the item's MedicationRequest, the Patient, and the prescriber as
//! Practitioner + PractitionerRole (+ Organizations). See the module docs for why per item.

use junction_model::fhir::{
    Annotation, CodeableConcept, Coding, ContactPoint, DispenseRequest, MedicationChoice,
    MedicationRequest, MessageDestination, MessageEvent, MessageHeader, MessageSource,
    Organization, Patient, Practitioner, PractitionerRole, Reference, Resource,
};
use junction_model::uk_core::{self, systems};
use junction_model::{Bundle, Event, EventKind, deterministic_id};

use super::ctx::{Ctx, ID_NAMESPACE};
use super::order::{Item, Message, Prescriber};

/// The events of one decoded message, in item order.
pub(crate) fn events(
    ctx: &mut Ctx<'_>,
    mut msg: Message,
    received_at: &str,
    correlation_id: &str,
) -> Vec<Event> {
    let patient_id = ctx.id("Patient", "");
    let patient = patient_resource(&msg, patient_id.clone());
    let prescriber = msg
        .prescriber
        .as_ref()
        .map(|p| prescriber_resources(ctx, p));
    let warnings = std::mem::take(&mut ctx.warnings);
    let mut out = Vec::with_capacity(msg.items.len());
    let items = std::mem::take(&mut msg.items);
    for (i, item) in items.into_iter().enumerate() {
        let kind = item.kind.clone().unwrap_or(EventKind::PrescriptionIssued);
        let mr_id = ctx.id("MedicationRequest", &item.key);
        let occurred_at = item.occurred_at.clone().or(item.authored_on.clone());
        let header = header(ctx, &msg, &item, &kind, &mr_id, &patient_id);
        let requester = prescriber.as_ref().map(|(_, role_ref)| role_ref.clone());
        let mr = medication_request(item, mr_id, &patient_id, requester);
        let mut resources: Vec<Resource> = vec![mr.into(), patient.clone().into()];
        if let Some((res, _)) = &prescriber {
            resources.extend(res.iter().cloned());
        }
        let bundle = Bundle::message(
            header,
            resources,
            ctx.id("Bundle", &i.to_string()),
            received_at,
        );
        let id = deterministic_id(ID_NAMESPACE, &[ctx.source, &ctx.msg_id, &i.to_string()]);
        let mut event = Event::new(id, kind, ctx.source, received_at, correlation_id, bundle);
        event.message_type = Some(msg.message_type.clone());
        event.occurred_at = occurred_at;
        event.patient_key = msg.patient.key.clone();
        event.warnings = warnings.clone();
        out.push(event);
    }
    out
}

fn header(
    ctx: &Ctx<'_>,
    msg: &Message,
    item: &Item,
    kind: &EventKind,
    mr_id: &str,
    patient_id: &str,
) -> MessageHeader {
    let (code, display) = match kind {
        EventKind::PrescriptionCancelled => {
            ("prescription-order-update", "Prescription Order Update")
        }
        EventKind::MedicationDispensed => ("dispense-notification", "Dispense Notification"),
        _ => ("prescription-order", "Prescription Order"),
    };
    MessageHeader {
        id: Some(ctx.id("MessageHeader", &item.key)),
        meta: Some(uk_core::profile_meta(systems::profile::MESSAGE_HEADER)),
        event: Some(MessageEvent::Coding(Coding::new(
            systems::MESSAGE_EVENT,
            code,
            Some(display),
        ))),
        source: Some(MessageSource {
            name: msg.source_name.clone(),
            endpoint: Some(msg.source_endpoint.clone()),
            ..Default::default()
        }),
        destination: item
            .dispenser
            .iter()
            .map(|ods| MessageDestination {
                endpoint: Some(format!("urn:nhs:ods:{ods}")),
                receiver: Some(uk_core::ods_reference(ods, None)),
                ..Default::default()
            })
            .collect(),
        sender: msg
            .sender_ods
            .as_deref()
            .map(|o| uk_core::ods_reference(o, None)),
        focus: vec![
            Reference::to(Ctx::urn(mr_id)),
            Reference::to(Ctx::urn(patient_id)),
        ],
        ..Default::default()
    }
}

fn medication_request(
    item: Item,
    id: String,
    patient_id: &str,
    requester: Option<Reference>,
) -> MedicationRequest {
    let dispense = DispenseRequest {
        extension: item.dispense_extensions,
        validity_period: item.validity,
        number_of_repeats_allowed: item.repeats,
        quantity: item.quantity,
        expected_supply_duration: item.supply_duration,
        performer: item
            .dispenser
            .as_deref()
            .map(|o| uk_core::ods_reference(o, None)),
        ..Default::default()
    };
    let has_dispense = dispense != DispenseRequest::default();
    MedicationRequest {
        id: Some(id),
        meta: Some(uk_core::profile_meta(systems::profile::MEDICATION_REQUEST)),
        extension: item.extensions,
        identifier: item.identifiers,
        status: Some(item.status.to_owned()),
        status_reason: item.status_reason,
        intent: Some("order".to_owned()),
        priority: item.priority.map(str::to_owned),
        medication: item.medication.map(MedicationChoice::CodeableConcept),
        subject: Some(Reference::to(Ctx::urn(patient_id))),
        authored_on: item.authored_on,
        requester,
        group_identifier: item.group,
        course_of_therapy_type: item
            .course
            .map(|(system, code, display)| CodeableConcept::coded(system, code, Some(display))),
        note: item
            .notes
            .into_iter()
            .map(|text| Annotation {
                text: Some(text),
                ..Default::default()
            })
            .collect(),
        dosage_instruction: item.dosage.into_iter().collect(),
        dispense_request: has_dispense.then_some(dispense),
        ..Default::default()
    }
}

fn patient_resource(msg: &Message, id: String) -> Patient {
    let p = &msg.patient;
    Patient {
        id: Some(id),
        meta: Some(uk_core::profile_meta(systems::profile::PATIENT)),
        identifier: p.identifiers.clone(),
        name: p.name.clone().into_iter().collect(),
        gender: p.gender,
        birth_date: p.birth_date.clone(),
        general_practitioner: p
            .gp_practice
            .iter()
            .map(|ods| uk_core::ods_reference(ods, None))
            .collect(),
        ..Default::default()
    }
}

/// Practitioner, PractitionerRole and Organization for the prescriber, and the role reference
/// (the requester).
fn prescriber_resources(ctx: &Ctx<'_>, p: &Prescriber) -> (Vec<Resource>, Reference) {
    let pr_id = ctx.id("Practitioner", &p.key);
    let role_id = ctx.id("PractitionerRole", &p.key);
    let mut out: Vec<Resource> = Vec::with_capacity(4);
    out.push(
        Practitioner {
            id: Some(pr_id.clone()),
            meta: Some(uk_core::profile_meta(systems::profile::PRACTITIONER)),
            identifier: p.identifiers.clone(),
            name: p.name.clone().into_iter().collect(),
            ..Default::default()
        }
        .into(),
    );
    let mut org_ref = None;
    if let Some(ods) = &p.org_ods {
        let org_id = ctx.id("Organization", ods);
        org_ref = Some(Reference::to(Ctx::urn(&org_id)));
        let part_of = p
            .parent_ods
            .as_deref()
            .map(|code| uk_core::ods_reference(code, p.parent_name.as_deref()));
        let org = Organization {
            id: Some(org_id),
            meta: Some(uk_core::profile_meta(systems::profile::ORGANIZATION)),
            part_of,
            ..Organization::ods(ods, p.org_name.as_deref())
        };
        out.push(org.into());
    }
    let practitioner_ref = Reference::to(Ctx::urn(&pr_id));
    let display = p.name.as_ref().and_then(display_name);
    out.insert(
        1,
        PractitionerRole {
            id: Some(role_id.clone()),
            meta: Some(uk_core::profile_meta(systems::profile::PRACTITIONER_ROLE)),
            identifier: p.role_ids.clone(),
            practitioner: Some(practitioner_ref),
            organization: org_ref,
            code: p.role_code.clone().into_iter().collect(),
            telecom: p
                .phone
                .iter()
                .map(|v| ContactPoint {
                    system: Some("phone".into()),
                    value: Some(v.clone()),
                    use_: Some("work".into()),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }
        .into(),
    );
    let role_ref = Reference {
        display,
        ..Reference::to(Ctx::urn(&role_id))
    };
    (out, role_ref)
}

fn display_name(n: &junction_model::fhir::HumanName) -> Option<String> {
    let parts: Vec<&str> = n
        .prefix
        .iter()
        .chain(n.given.iter().take(1))
        .map(String::as_str)
        .chain(n.family.as_deref())
        .collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}
