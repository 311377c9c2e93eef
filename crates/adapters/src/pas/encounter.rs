//! PV1 (+ PV2) → UK Core Encounter, with its Location (site/ward/bed) and Practitioner
//! (consultant, attending, referrer, admitter) resources. NHS DD codes from the ITK tables:
//! PV1-4 admission method, PV1-14 source of admission, PV1-36 discharge method, PV1-37
//! discharge destination, PV1-10 treatment function.

use junction_hl7v2::{Segment, Timestamp};
use junction_model::Resource;
use junction_model::fhir::{
    CodeableConcept, Coding, Encounter, EncounterHospitalization, EncounterLocation,
    EncounterParticipant, Extension, ExtensionValue, Period, Reference,
};
use junction_model::uk_core::{self, systems};

use super::ctx::{Ctx, comp, field1, reps, text, ts_text};
use super::identifiers::{Cx, local_identifier};
use super::locations::{LocationKind, locations};
use super::practitioners::Practitioners;
use super::triggers::Trigger;
use crate::error::{DecodeError, DecodeErrorCode};

const CS_ADMISSION_METHOD: &str =
    "https://fhir.hl7.org.uk/CodeSystem/UKCore-AdmissionMethodEngland";
const EXT_ADMISSION_METHOD: &str =
    "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-AdmissionMethod";
const CS_SOURCE_OF_ADMISSION: &str =
    "https://fhir.hl7.org.uk/CodeSystem/UKCore-SourceOfAdmissionEngland";
const CS_DISCHARGE_METHOD: &str =
    "https://fhir.hl7.org.uk/CodeSystem/UKCore-DischargeMethodEngland";
const EXT_DISCHARGE_METHOD: &str =
    "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-DischargeMethod";
const CS_DISCHARGE_DESTINATION: &str =
    "https://fhir.hl7.org.uk/CodeSystem/UKCore-DischargeDestinationEngland";
const CS_TREATMENT_FUNCTION: &str =
    "https://fhir.nhs.uk/CodeSystem/NHSDataModelAndDictionary-treatment-function";
const CS_PARTICIPATION_TYPE: &str = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType";
const CS_V2_PATIENT_CLASS: &str = "http://terminology.hl7.org/CodeSystem/v2-0004";

/// The Encounter and the resources it references.
pub(crate) struct Mapped {
    pub encounter: Encounter,
    pub others: Vec<Resource>,
}

/// Whether PV1 describes a visit at all: absent, or PV1-2 `N` (not applicable, as A31 sends),
/// means no Encounter.
pub(crate) fn has_visit(pv1: Option<&Segment<'_>>) -> bool {
    pv1.and_then(|p| field1(p, 2))
        .is_some_and(|c| !c.eq_ignore_ascii_case("N"))
}

/// Builds the Encounter for `trigger` from PV1/PV2. Fails only when a date the event depends
/// on (PV1-44 for A01, PV1-45 for A03) is present but not a date, or an A01 has no PV1-44 and
/// no event time in EVN-6 or EVN-2 to take it from (with a warning) instead.
pub(crate) fn encounter(
    ctx: &mut Ctx<'_>,
    trigger: Trigger,
    pv1: &Segment<'_>,
    pv2: Option<&Segment<'_>>,
    evn: Option<&Segment<'_>>,
    patient_ref: &str,
    sending_facility: Option<&str>,
) -> Result<Mapped, DecodeError> {
    let class_code = field1(pv1, 2).unwrap_or_default();
    let inpatient = matches!(&*class_code, "I" | "B");
    let admit_rule = if trigger.needs_admit_date() {
        DateRule::Required
    } else {
        DateRule::Optional
    };
    let discharge_rule = if trigger.checks_discharge_date() {
        DateRule::Checked
    } else {
        DateRule::Optional
    };
    let admit = match visit_ts(ctx, pv1, 44, "admit date/time", admit_rule) {
        // PV1-44 is optional in HL7 v2 and only conditionally required by ITK; the standard's
        // own A01 example lacks it. The event time stands in for it.
        Err(e) if e.code == DecodeErrorCode::MissingField => {
            Some(admit_from_evn(ctx, evn).ok_or(e)?)
        }
        other => other?,
    };
    let mut discharge = visit_ts(ctx, pv1, 45, "discharge date/time", discharge_rule)?;
    // A13 cancels the discharge: a PV1-45 resent with it is the discharge being cancelled, so
    // the Encounter, in progress again, has no end.
    if trigger == Trigger::A13 && discharge.take().is_some() {
        ctx.warn(
            "discharge-cancelled",
            "PV1-45",
            "A13 cancels the discharge: PV1-45 is left out of the period",
        );
    }

    let id = ctx.id("Encounter", "");
    let mut enc = Encounter {
        id: Some(id),
        meta: Some(uk_core::profile_meta(systems::profile::ENCOUNTER)),
        status: Some(
            trigger
                .encounter_status(discharge.is_some(), &class_code)
                .into(),
        ),
        class: Some(class(ctx, &class_code)),
        subject: Some(Reference::to(patient_ref)),
        service_provider: sending_facility.map(|f| uk_core::ods_reference(f, None)),
        ..Default::default()
    };
    for field in [19, 50] {
        if let Some(cx) = pv1
            .field(field)
            .and_then(|f| f.repetition(1))
            .and_then(Cx::read)
        {
            let mut ident = local_identifier(ctx, cx, false);
            if field == 19 {
                ident.use_ = Some("official".into());
            }
            enc.identifier.push(ident);
        }
    }
    enc.period = period(ctx, trigger, admit, discharge, pv2);
    if let Some(tf) = field1(pv1, 10) {
        enc.service_type = Some(CodeableConcept::coded(CS_TREATMENT_FUNCTION, tf, None));
    }
    if let Some(method) = field1(pv1, 4) {
        enc.extension.push(Extension::with_value(
            EXT_ADMISSION_METHOD,
            ExtensionValue::CodeableConcept(CodeableConcept::coded(
                CS_ADMISSION_METHOD,
                method,
                None,
            )),
        ));
    }
    if let Some(reason) = pv2.and_then(|p| p.field(3)).and_then(|f| f.repetition(1))
        && let Some(t) = comp(reason, 2).or_else(|| comp(reason, 1))
    {
        enc.reason_code.push(CodeableConcept::text(t));
    }
    enc.hospitalization = hospitalization(pv1, inpatient, &mut enc.extension);

    let mut others = Vec::new();
    let site_hint = sending_facility;
    let current = locations(ctx, pv1, 3, "current", site_hint, inpatient);
    let loc_status = if matches!(enc.status.as_deref(), Some("finished" | "cancelled")) {
        "completed"
    } else if enc.status.as_deref() == Some("planned") {
        "planned"
    } else {
        "active"
    };
    push_locations(&mut enc, &mut others, current, loc_status);
    if trigger == Trigger::A02 {
        let prior = locations(ctx, pv1, 6, "prior", site_hint, inpatient);
        push_locations(&mut enc, &mut others, prior, "completed");
    }

    let mut pracs = Practitioners::default();
    for (field, code, display) in [
        (7, "ATND", "attender"),
        (8, "REF", "referrer"),
        (9, "CON", "consultant"),
        (17, "ADM", "admitter"),
    ] {
        for (_, xcn) in reps(pv1, field) {
            let Some(reference) = pracs.add(ctx, xcn) else {
                continue;
            };
            enc.participant.push(EncounterParticipant {
                type_: vec![CodeableConcept::coded(
                    CS_PARTICIPATION_TYPE,
                    code,
                    Some(display),
                )],
                individual: Some(reference),
                ..Default::default()
            });
        }
    }
    others.extend(pracs.into_resources());
    Ok(Mapped {
        encounter: enc,
        others,
    })
}

fn push_locations(
    enc: &mut Encounter,
    others: &mut Vec<Resource>,
    locs: Vec<(LocationKind, junction_model::fhir::Location)>,
    status: &str,
) {
    for (kind, loc) in locs {
        let id = loc.id.clone().unwrap_or_default();
        if kind != LocationKind::Site {
            enc.location.push(EncounterLocation {
                location: Some(Reference {
                    display: loc.name.clone(),
                    ..Reference::to(Ctx::urn(&id))
                }),
                status: Some(status.into()),
                physical_type: loc.physical_type.clone(),
                ..Default::default()
            });
        }
        others.push(loc.into());
    }
}

/// How strictly a PV1 date is read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum DateRule {
    /// Missing or malformed → error.
    Required,
    /// Missing → warning; malformed → error.
    Checked,
    /// Malformed → warning.
    Optional,
}

fn visit_ts(
    ctx: &mut Ctx<'_>,
    pv1: &Segment<'_>,
    field: usize,
    what: &str,
    rule: DateRule,
) -> Result<Option<Timestamp>, DecodeError> {
    let path = format!("PV1-{field}");
    if rule == DateRule::Optional {
        return Ok(ctx.optional_ts(pv1.field(field), &path, what));
    }
    let Some(raw) = ts_text(pv1.field(field)) else {
        if rule == DateRule::Required {
            return Err(DecodeError::missing_field(
                &path,
                format!("{what} is required for this event"),
            ));
        }
        ctx.warn(
            "field-missing",
            path,
            format!("{what} should be sent with this event"),
        );
        return Ok(None);
    };
    Timestamp::parse(&raw).map(Some).map_err(|_| {
        DecodeError::bad_value(
            &path,
            format!("{what} is not a valid HL7 date/time (expected YYYYMMDDHHMM[SS])"),
        )
    })
}

/// The admission time from EVN-6 (event occurred), else EVN-2 (recorded), with a warning
/// saying PV1-44 was missing; `None` when neither is a date.
fn admit_from_evn(ctx: &mut Ctx<'_>, evn: Option<&Segment<'_>>) -> Option<Timestamp> {
    let evn = evn?;
    for (field, path) in [(6, "EVN-6"), (2, "EVN-2")] {
        if let Some(ts) = ts_text(evn.field(field)).and_then(|raw| Timestamp::parse(&raw).ok()) {
            ctx.warn(
                "admit-date-from-evn",
                "PV1-44",
                format!("admit date/time (PV1-44) is missing; the event time in {path} is used"),
            );
            return Some(ts);
        }
    }
    None
}

/// PV1-44/45 as the period; for a planned encounter (pre-admission) PV2-8/9 expected
/// admit/discharge instead.
fn period(
    ctx: &mut Ctx<'_>,
    trigger: Trigger,
    admit: Option<Timestamp>,
    discharge: Option<Timestamp>,
    pv2: Option<&Segment<'_>>,
) -> Option<Period> {
    let (mut start, mut end) = (admit, discharge);
    if start.is_none()
        && trigger.is_planned()
        && let Some(pv2) = pv2
    {
        start = ctx.optional_ts(pv2.field(8), "PV2-8", "expected admit date/time");
        end = ctx.optional_ts(pv2.field(9), "PV2-9", "expected discharge date/time");
    }
    if start.is_none() && end.is_none() {
        return None;
    }
    // FHIR requires end >= start; minute-precision senders can discharge "before" the admit.
    if let (Some(s), Some(e)) = (
        start.and_then(|t| t.unix_seconds()),
        end.and_then(|t| t.unix_seconds()),
    ) && e < s
    {
        ctx.warn(
            "period-end-before-start",
            "PV1-45",
            "discharge date/time (PV1-45) is before the admit date/time (PV1-44); left out of the period",
        );
        end = None;
    }
    Some(Period {
        start: start.map(|t| t.to_fhir_datetime()),
        end: end.map(|t| t.to_fhir_datetime()),
        ..Default::default()
    })
}

/// PV1-2 patient class (table 0004) → v3 ActCode.
fn class(ctx: &mut Ctx<'_>, code: &str) -> Coding {
    let (v3, display) = match code {
        "I" | "B" => ("IMP", "inpatient encounter"),
        "O" | "R" => ("AMB", "ambulatory"),
        "E" => ("EMER", "emergency"),
        "P" | "W" => ("PRENC", "pre-admission"),
        _ => {
            ctx.warn(
                "code-unmapped",
                "PV1-2",
                "patient class (table 0004) has no v3 ActCode mapping; sent as a v2-0004 coding",
            );
            return Coding::new(CS_V2_PATIENT_CLASS, code, None);
        }
    };
    Coding::new(systems::V3_ACT_CODE, v3, Some(display))
}

/// PV1-14 admission source, and (inpatients only: ITK table 0112 merges A&E disposal codes
/// into it) PV1-36 discharge method as an extension, PV1-37 discharge destination.
fn hospitalization(
    pv1: &Segment<'_>,
    inpatient: bool,
    extensions: &mut Vec<Extension>,
) -> Option<EncounterHospitalization> {
    let mut h = EncounterHospitalization::default();
    if let Some(src) = field1(pv1, 14) {
        h.admit_source = Some(CodeableConcept::coded(CS_SOURCE_OF_ADMISSION, src, None));
    }
    if inpatient && let Some(method) = field1(pv1, 36) {
        extensions.push(Extension::with_value(
            EXT_DISCHARGE_METHOD,
            ExtensionValue::CodeableConcept(CodeableConcept::coded(
                CS_DISCHARGE_METHOD,
                method,
                None,
            )),
        ));
    }
    if let Some(dest) = text(pv1.field(37).and_then(|f| f.component(1))) {
        h.discharge_disposition =
            Some(CodeableConcept::coded(CS_DISCHARGE_DESTINATION, dest, None));
    }
    (h.admit_source.is_some() || h.discharge_disposition.is_some()).then_some(h)
}
