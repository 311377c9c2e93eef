//! The `ers` adapter: an e-RS referral as the worklist poller journals it (content type
//! `application/fhir+json; fhirVersion=3.0`, message type `ReferralRequest`, control id
//! `<ubrn>@<version>`) becomes one `referral.received` event whose bundle is FHIR R4 in UK Core
//! form.
//!
//! # Input
//! A Bundle `{"resourceType":"Bundle","type":"collection","entry":[{"resource": <STU3
//! ReferralRequest from A005>}, …]}` (a bare ReferralRequest is accepted too). Further entries
//! may add a Patient (demographics, matched by NHS number), Practitioners, PractitionerRoles and
//! Organizations that the referral references as `Type/id`.
//!
//! # Mapping (STU3 ReferralRequest → R4 ServiceRequest)
//! | STU3 | R4 |
//! |---|---|
//! | `id` (the UBRN) | `identifier` `https://fhir.nhs.uk/Id/UBRN` (as e-RS's own R4 API writes it) |
//! | `identifier` (e-RS request id) | `identifier`, kept |
//! | `meta.versionId` | `meta.versionId`; with the UBRN, the control id and [`Event::correlation_id`] |
//! | `status` | `status`: `suspended` → `on-hold`, `cancelled` → `revoked`, others alike |
//! | `intent` | `intent`: `plan` (all e-RS referrals) → `order`, as e-RS's R4 API |
//! | ReferralPriority extension | `priority`: `ROUTINE` → `routine`, `URGENT` → `urgent`, `TWO_WEEK_WAIT` → `asap`; the extension is kept |
//! | — / `specialty` / search criteria `clinicType` | `category`: `message-category-servicerequest#referral`, the specialty, the clinic type |
//! | `subject` (NHS number, `fhir.nhs.net` system) | a Patient with `https://fhir.nhs.uk/Id/nhs-number`; [`Event::patient_key`] `nhs:<n>` |
//! | `requester.agent` / `onBehalfOf` | Practitioner + Organization (ODS code) + PractitionerRole → `requester` |
//! | `recipient`, booked service, shortlist | `performer` (e-RS services as logical HealthcareService references) |
//! | `supportingInfo` → contained DocumentReference | one DocumentReference per attachment; `ReferralRequest/<ubrn>` → a ServiceRequest reference by UBRN |
//! | `occurrence[x]`, else the booked Appointment | `occurrence[x]` (`occurrencePeriod` = appointment start/end) |
//! | `authoredOn`, `reasonCode`, `description` + `note`, `serviceRequested`/`type`, `groupIdentifier` | `authoredOn`, `reasonCode`, `note`, `code`/`orderDetail`, `requisition` |
//! | the other e-RS extensions (state, commissioning org, pathway start, clinical info dates, additional requirements, appointment reference) | kept unchanged on the ServiceRequest |
//!
//! [`Event::occurred_at`] is `authoredOn`, else ClinicalInfoLastUpdated, else
//! ClinicalInfoFirstSubmitted. The ServiceRequest id is derived from the source and the UBRN,
//! so every version of a referral updates one resource; the other ids from the source and the
//! control id. Refused (a [`DecodeError`] naming the field): not JSON, no ReferralRequest, no
//! UBRN or version, no or an invalid NHS number, an unknown status or intent.

pub(crate) mod codes;
mod documents;
mod parties;
mod patient;
mod read;
mod referral;

use junction_model::fhir::{
    Coding, Extension, ExtensionValue, MessageEvent, MessageHeader, MessageSource, Reference,
    Resource,
};
use junction_model::uk_core::{self, systems};
use junction_model::{Bundle, Event, EventKind, deterministic_id, event::patient_key};

use crate::adapter::{Adapter, Inbound};
use crate::ctx::Ctx;
use crate::error::DecodeError;
use crate::registry::AdapterOptions;
use codes::{
    CS_MESSAGE_EVENTS_BARS, EXT_APPOINTMENT, EXT_CLINICAL_INFO_FIRST_SUBMITTED,
    EXT_CLINICAL_INFO_LAST_UPDATED, UBRN_LOWER,
};
use read::{Input, Obj, str_at};

/// Namespace for every id this adapter derives.
const ID_NAMESPACE: &str = "ers";

/// The e-RS referral adapter. See the [module docs](self).
#[derive(Debug, Clone, Default)]
pub struct ErsAdapter {
    options: AdapterOptions,
}

impl ErsAdapter {
    /// An adapter with these options (none are used yet; kept for code tables to come).
    pub fn new(options: AdapterOptions) -> Self {
        Self { options }
    }
}

impl Adapter for ErsAdapter {
    fn name(&self) -> &'static str {
        "ers"
    }

    fn kinds(&self) -> &'static [&'static str] {
        &["referral.received"]
    }

    fn decode(&self, msg: &Inbound<'_>) -> Result<Vec<Event>, DecodeError> {
        let root = read::parse(msg.bytes)?;
        let input = read::input(&root)?;
        let ubrn = ubrn(input.rr)?;
        let version = input
            .rr
            .get("meta")
            .and_then(|m| m.as_object())
            .and_then(|m| str_at(m, "versionId"))
            .ok_or_else(|| {
                DecodeError::missing_field(
                    "ReferralRequest.meta.versionId",
                    "the referral has no version",
                )
            })?;
        let control_id = format!("{ubrn}@{version}");
        let mut ctx = Ctx::new(ID_NAMESPACE, &self.options, msg.source, control_id.as_str());
        let (patient, nhs) = patient::patient(&mut ctx, &input)?;
        let patient_ref = Reference::to(Ctx::urn(patient.id.as_deref().unwrap_or_default()));
        let mut others: Vec<Resource> = Vec::new();
        let requester = parties::requester(&mut ctx, &input, &mut others);
        let appointment = appointment(&input);
        let performer = parties::performers(&mut ctx, &input, appointment, &mut others);
        let supporting_info =
            documents::supporting_info(&mut ctx, &input, &patient_ref, &mut others);
        let sr_id = deterministic_id(ID_NAMESPACE, &[msg.source, "ServiceRequest", ubrn]);
        let links = referral::Links {
            patient: patient_ref,
            requester,
            performer,
            supporting_info,
        };
        let sr = referral::service_request(
            &mut ctx,
            &input,
            sr_id.clone(),
            ubrn,
            version,
            appointment,
            links,
        )?;
        let occurred_at = sr.authored_on.clone().or_else(|| {
            [
                EXT_CLINICAL_INFO_LAST_UPDATED,
                EXT_CLINICAL_INFO_FIRST_SUBMITTED,
            ]
            .into_iter()
            .find_map(|url| datetime_ext(&sr.extension, url))
        });
        let header = MessageHeader {
            id: Some(ctx.id("MessageHeader", "")),
            meta: Some(uk_core::profile_meta(systems::profile::MESSAGE_HEADER)),
            event: Some(MessageEvent::Coding(Coding::new(
                CS_MESSAGE_EVENTS_BARS,
                "servicerequest-request",
                Some("ServiceRequest Request"),
            ))),
            source: Some(MessageSource {
                name: Some("NHS e-Referral Service".into()),
                endpoint: Some("urn:nhs:e-referral-service".into()),
                ..Default::default()
            }),
            focus: vec![Reference::to(Ctx::urn(&sr_id))],
            ..Default::default()
        };
        let mut resources: Vec<Resource> = vec![sr.into(), patient.into()];
        resources.extend(others);
        let bundle = Bundle::message(header, resources, ctx.id("Bundle", ""), msg.received_at);
        let id = deterministic_id(ID_NAMESPACE, &[msg.source, &control_id, "event"]);
        let mut event = Event::new(
            id,
            EventKind::ReferralReceived,
            msg.source,
            msg.received_at,
            control_id.as_str(),
            bundle,
        );
        event.message_type = Some("ReferralRequest".into());
        event.occurred_at = occurred_at;
        event.patient_key = Some(patient_key::nhs(&nhs));
        event.warnings = std::mem::take(&mut ctx.warnings);
        Ok(vec![event])
    }
}

/// The UBRN: an identifier with the UBRN system, else the resource id (as A005 returns it).
fn ubrn(rr: &Obj) -> Result<&str, DecodeError> {
    read::items(rr, "identifier")
        .iter()
        .filter_map(|i| i.as_object())
        .filter(|i| matches!(str_at(i, "system"), Some(systems::UBRN | UBRN_LOWER)))
        .find_map(|i| str_at(i, "value"))
        .or_else(|| str_at(rr, "id"))
        .ok_or_else(|| DecodeError::missing_field("ReferralRequest.id", "the referral has no UBRN"))
}

/// The contained Appointment the Appointment extension points at.
fn appointment<'a>(input: &Input<'a>) -> Option<&'a Obj> {
    read::items(input.rr, "extension")
        .iter()
        .filter_map(|e| e.as_object())
        .filter(|e| str_at(e, "url") == Some(EXT_APPOINTMENT))
        .find_map(|e| e.get("valueReference")?.get("reference")?.as_str())
        .and_then(|r| read::contained(input.rr, r))
        .filter(|a| str_at(a, "resourceType") == Some("Appointment"))
}

fn datetime_ext(ext: &[Extension], url: &str) -> Option<String> {
    ext.iter()
        .filter(|e| e.url == url)
        .find_map(|e| match &e.value {
            Some(ExtensionValue::DateTime(t) | ExtensionValue::Instant(t)) => Some(t.clone()),
            _ => None,
        })
}
