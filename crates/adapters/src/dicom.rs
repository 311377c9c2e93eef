//! The `dicom` adapter: what the DICOM source journals. A study-complete notification
//! (`application/vnd.junction.dicom-study+json`) becomes one `imaging.study-available` event
//! whose collection Bundle holds a Patient (the DICOM Patient ID as the trust MRN) and an R4
//! ImagingStudy (Study Instance UID, accession, modalities and series coded in DICOM DCM,
//! instance counts, SOP instances with their classes). A single instance
//! (`application/vnd.junction.dicom-instance+json`) becomes no events: instances are journaled
//! for audit; the study event is what routes.
//!
//! Rejected (a [`DecodeError`]): input that is not JSON, and a study without a valid Study
//! Instance UID. A missing Patient ID, an unparseable study date or an unknown modality are
//! warnings. Ids are replay-stable: `deterministic_id("dicom", [source, study UID,
//! correlation id, what])`.

use junction_model::fhir::{
    CodeableConcept, Coding, Identifier, ImagingInstance, ImagingSeries, ImagingStudy, Patient,
    Reference,
};
use junction_model::uk_core::{self, systems};
use junction_model::{Bundle, Event, EventKind, Warning, deterministic_id};
use serde::Deserialize;

use crate::adapter::{Adapter, Inbound};
use crate::error::{DecodeError, DecodeErrorCode};
use crate::registry::AdapterOptions;

/// Content type of one instance's metadata, as the DICOM source journals it.
pub const INSTANCE_CONTENT_TYPE: &str = "application/vnd.junction.dicom-instance+json";
/// Content type of a study-complete notification.
pub const STUDY_CONTENT_TYPE: &str = "application/vnd.junction.dicom-study+json";

const ID_NAMESPACE: &str = "dicom";
/// DICOM controlled terminology (modalities).
const DICOM_DCM: &str = "http://dicom.nema.org/resources/ontology/DCM";
/// Identifier system for DICOM UIDs.
const DICOM_UID: &str = "urn:dicom:uid";
/// Code system of SOP class UIDs as `urn:oid:` URIs.
const RFC3986: &str = "urn:ietf:rfc:3986";
/// DICOM modality codes (PS3.3 C.7.3.1.1.1) accepted as DCM codings.
const MODALITIES: &[&str] = &[
    "AR", "AU", "BI", "BMD", "CR", "CT", "DG", "DOC", "DX", "ECG", "EPS", "ES", "GM", "HC", "HD",
    "IO", "IVOCT", "IVUS", "KER", "KO", "LEN", "LS", "MG", "MR", "NM", "OAM", "OCT", "OP", "OPM",
    "OPT", "OPV", "OSS", "OT", "PLAN", "PR", "PT", "PX", "REG", "RESP", "RF", "RG", "RTDOSE",
    "RTIMAGE", "RTPLAN", "RTRECORD", "RTSTRUCT", "RWV", "SEG", "SM", "SMR", "SR", "SRF", "STAIN",
    "TG", "US", "VA", "XA", "XC",
];

/// The study JSON (fields this adapter reads; others are ignored).
#[derive(Deserialize)]
struct Study {
    study_instance_uid: String,
    accession_number: Option<String>,
    patient_id: Option<String>,
    study_date: Option<String>,
    #[serde(default)]
    modalities: Vec<String>,
    #[serde(default)]
    series: Vec<Series>,
}

#[derive(Deserialize)]
struct Series {
    series_instance_uid: String,
    modality: Option<String>,
    #[serde(default)]
    instances: Vec<Instance>,
}

#[derive(Deserialize)]
struct Instance {
    sop_instance_uid: String,
    sop_class_uid: Option<String>,
}

/// The DICOM adapter. Options: `local_mrn_authority` / `local_mrn_system` say which system the
/// DICOM Patient ID belongs to (as for `pas`).
#[derive(Debug, Clone, Default)]
pub struct DicomAdapter {
    options: AdapterOptions,
}

impl DicomAdapter {
    /// An adapter with these options.
    pub fn new(options: AdapterOptions) -> Self {
        Self { options }
    }
}

impl Adapter for DicomAdapter {
    fn name(&self) -> &'static str {
        "dicom"
    }

    fn kinds(&self) -> &'static [&'static str] {
        &["imaging.study-available"]
    }

    fn decode(&self, msg: &Inbound<'_>) -> Result<Vec<Event>, DecodeError> {
        let value: serde_json::Value = serde_json::from_slice(msg.bytes).map_err(|e| {
            DecodeError::new(
                DecodeErrorCode::Unparseable,
                None,
                format!("not JSON at line {} column {}", e.line(), e.column()),
            )
        })?;
        let is_instance = match msg.content_type {
            Some(INSTANCE_CONTENT_TYPE) => true,
            Some(STUDY_CONTENT_TYPE) => false,
            _ => value.get("sop_instance_uid").is_some(),
        };
        if is_instance {
            return Ok(Vec::new());
        }
        let study: Study = serde_json::from_value(value).map_err(|e| {
            DecodeError::new(
                DecodeErrorCode::Unparseable,
                None,
                format!("not a DICOM study notification: {}", field_of(&e)),
            )
        })?;
        Ok(vec![self.study_event(msg, &study)?])
    }
}

/// The serde error without any value it may quote.
fn field_of(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.split_once("missing field ") {
        Some((_, rest)) => format!("missing field {}", rest.split(' ').next().unwrap_or("")),
        None => format!("wrong shape at line {} column {}", e.line(), e.column()),
    }
}

impl DicomAdapter {
    fn study_event(&self, msg: &Inbound<'_>, s: &Study) -> Result<Event, DecodeError> {
        let uid = s.study_instance_uid.as_str();
        if !valid_uid(uid) {
            return Err(DecodeError::new(
                DecodeErrorCode::BadValue,
                Some("study_instance_uid"),
                "Study Instance UID is not a DICOM UID (digits and dots, at most 64)",
            ));
        }
        let id = |what: &str| {
            deterministic_id(ID_NAMESPACE, &[msg.source, uid, msg.correlation_id, what])
        };
        let mut warnings = Vec::new();
        let modality = |code: &str, at: String, warnings: &mut Vec<Warning>| {
            if MODALITIES.contains(&code) {
                Some(Coding::new(DICOM_DCM, code, None))
            } else {
                warnings.push(Warning::new(
                    "code-unmapped",
                    at,
                    "not a DICOM modality code; left out",
                ));
                None
            }
        };
        let mrn = s.patient_id.as_deref().filter(|p| !p.trim().is_empty());
        let patient_id = id("Patient");
        let identifier = mrn.map(|p| Identifier {
            type_: Some(CodeableConcept::from_coding(Coding::new(
                systems::V2_IDENTIFIER_TYPE,
                "MR",
                None,
            ))),
            system: self.mrn_system(),
            value: Some(p.trim().to_owned()),
            ..Default::default()
        });
        if mrn.is_none() {
            warnings.push(Warning::new(
                "field-missing",
                "patient_id",
                "no Patient ID (0010,0020)",
            ));
        }
        let patient = Patient {
            id: Some(patient_id.clone()),
            meta: Some(uk_core::profile_meta(systems::profile::PATIENT)),
            identifier: identifier.clone().into_iter().collect(),
            ..Default::default()
        };
        let subject = Reference {
            reference: Some(format!("urn:uuid:{patient_id}")),
            type_: Some("Patient".into()),
            identifier: identifier.map(Box::new),
            ..Default::default()
        };
        let mut study = ImagingStudy {
            id: Some(id("ImagingStudy")),
            meta: Some(uk_core::profile_meta(systems::profile::IMAGING_STUDY)),
            status: Some("available".into()),
            identifier: vec![Identifier::new(DICOM_UID, format!("urn:oid:{uid}"))],
            subject: Some(subject),
            ..Default::default()
        };
        if let Some(acc) = s
            .accession_number
            .as_deref()
            .filter(|a| !a.trim().is_empty())
        {
            study.identifier.push(Identifier {
                type_: Some(CodeableConcept::from_coding(Coding::new(
                    systems::V2_IDENTIFIER_TYPE,
                    "ACSN",
                    None,
                ))),
                system: self.authority_system("accession-number"),
                value: Some(acc.trim().to_owned()),
                ..Default::default()
            });
        }
        study.started = s.study_date.as_deref().and_then(|d| {
            let date = fhir_date(d);
            if date.is_none() {
                warnings.push(Warning::new(
                    "field-unparseable",
                    "study_date",
                    "study date is not YYYYMMDD; left out",
                ));
            }
            date
        });
        for (n, m) in s.modalities.iter().enumerate() {
            if let Some(c) = modality(m, format!("modalities[{n}]"), &mut warnings) {
                study.modality.push(c);
            }
        }
        let mut total = 0u32;
        for (n, series) in s.series.iter().enumerate() {
            let count = u32::try_from(series.instances.len()).unwrap_or(u32::MAX);
            total = total.saturating_add(count);
            study.series.push(ImagingSeries {
                uid: Some(series.series_instance_uid.clone()),
                modality: series
                    .modality
                    .as_deref()
                    .and_then(|m| modality(m, format!("series[{n}].modality"), &mut warnings)),
                number_of_instances: Some(count),
                instance: series
                    .instances
                    .iter()
                    .map(|i| ImagingInstance {
                        uid: Some(i.sop_instance_uid.clone()),
                        sop_class: i
                            .sop_class_uid
                            .as_deref()
                            .map(|c| Coding::new(RFC3986, format!("urn:oid:{c}"), None)),
                        ..Default::default()
                    })
                    .collect(),
                ..Default::default()
            });
        }
        study.number_of_series = Some(u32::try_from(s.series.len()).unwrap_or(u32::MAX));
        study.number_of_instances = Some(total);
        let occurred_at = study.started.clone();
        let bundle = Bundle::collection(
            vec![patient.into(), study.into()],
            id("Bundle"),
            msg.received_at,
        );
        let mut event = Event::new(
            id("event"),
            EventKind::ImagingStudyAvailable,
            msg.source,
            msg.received_at,
            msg.correlation_id,
            bundle,
        );
        event.message_type = Some("DICOM^STUDY".into());
        event.occurred_at = occurred_at;
        event.patient_key = mrn.map(|p| match &self.options.local_mrn_authority {
            Some(a) => format!("mrn:{a}:{}", p.trim()),
            None => format!("mrn:{}", p.trim()),
        });
        event.warnings = warnings;
        Ok(event)
    }

    fn mrn_system(&self) -> Option<String> {
        self.options
            .local_mrn_system
            .clone()
            .or_else(|| self.authority_system("mrn"))
    }

    /// `https://fhir.<authority lowercase>.nhs.uk/Id/<kind>`, as the PAS adapter names them.
    fn authority_system(&self, kind: &str) -> Option<String> {
        let a = self.options.local_mrn_authority.as_deref()?;
        let a: String = a
            .to_ascii_lowercase()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        Some(format!("https://fhir.{a}.nhs.uk/Id/{kind}"))
    }
}

/// `YYYYMMDD` → `YYYY-MM-DD`.
fn fhir_date(d: &str) -> Option<String> {
    let d = d.trim();
    let ok = d.len() == 8
        && d.bytes().all(|b| b.is_ascii_digit())
        && matches!(d[4..6].parse::<u8>(), Ok(1..=12))
        && matches!(d[6..8].parse::<u8>(), Ok(1..=31));
    ok.then(|| format!("{}-{}-{}", &d[..4], &d[4..6], &d[6..8]))
}

fn valid_uid(uid: &str) -> bool {
    !uid.is_empty()
        && uid.len() <= 64
        && uid
            .split('.')
            .all(|c| !c.is_empty() && c.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_uids() {
        assert_eq!(fhir_date("20260102").as_deref(), Some("2026-01-02"));
        assert_eq!(fhir_date("20261302"), None);
        assert_eq!(fhir_date("2026"), None);
        assert!(valid_uid("1.2.840.10008"));
        assert!(!valid_uid("1..2") && !valid_uid("x"));
    }

    #[test]
    fn an_instance_makes_no_event() {
        let bytes = br#"{"sop_instance_uid":"1.2.3","study_instance_uid":"1.2"}"#;
        let inbound = Inbound {
            bytes,
            source: "pacs-in",
            received_at: "2026-01-01T00:00:00Z",
            correlation_id: "1",
            content_type: Some(INSTANCE_CONTENT_TYPE),
        };
        assert!(DicomAdapter::default().decode(&inbound).unwrap().is_empty());
    }
}
