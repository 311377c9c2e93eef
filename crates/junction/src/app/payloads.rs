//! What each destination is sent, per its config: the event's JSON (stored once), the event
//! encoded as HL7 v2 (`encode = "hl7v2"`, e.g. REF^I12 for a referral), the raw message as
//! received (a MESH destination with `send = "raw"`), for an `eps` destination the lines of
//! one prescription as one event (EPS takes a prescription as one message; the prescribing
//! adapter makes an event per line), and never a restricted (sensitive) record's address or
//! contacts unless the destination has `allow_restricted = true`. An MLLP destination with a
//! declared `transform` is sent the HL7 v2 message a pass-through event carries, transformed.

use std::collections::HashMap;

use junction_adapters::transform::Transform;
use junction_adapters::{EncodeOptions, encode::fhir_to_hl7_ts, encoder_for};
use junction_model::CodeTables;
use junction_model::Event;
use junction_model::fhir::Resource;
use junction_national::pds::redact_restricted;
use junction_router::{Payload, Payloads};

use crate::config::{Config, DestinationKind, Encode, MeshSend, build_transform};

/// How one destination's payload is made.
#[derive(Debug, Clone, Default)]
struct Policy {
    allow_restricted: bool,
    encode: Option<Encode>,
    raw: bool,
    /// Lines of one prescription go as one event (`eps` destinations).
    whole_prescriptions: bool,
    /// Declared HL7 v2 changes (MLLP destinations).
    transform: Option<Transform>,
}

/// The policies of every destination.
#[derive(Debug, Clone, Default)]
pub struct DestinationPayloads {
    node: String,
    /// For transforms that map codes.
    tables: CodeTables,
    policies: HashMap<String, Policy>,
}

impl DestinationPayloads {
    /// From the config's destinations.
    pub fn new(cfg: &Config) -> Self {
        let policies = cfg
            .destinations
            .iter()
            .map(|d| {
                let raw = matches!(&d.kind, DestinationKind::Mesh(m) if m.send == MeshSend::Raw);
                // `junction check` refused a transform that does not build.
                let transform = match &d.kind {
                    DestinationKind::Mllp(m) if !m.transform.is_empty() => {
                        build_transform(&m.transform)
                    }
                    _ => None,
                };
                let policy = Policy {
                    allow_restricted: d.allow_restricted,
                    encode: d.encode,
                    raw,
                    whole_prescriptions: matches!(d.kind, DestinationKind::Eps(_)),
                    transform,
                };
                (d.name.clone(), policy)
            })
            .collect();
        Self {
            node: cfg.node.name.clone(),
            tables: cfg.code_tables.clone(),
            policies,
        }
    }

    /// The payloads for the events of one message, whose raw bytes are `raw`.
    pub fn for_message<'a>(&'a self, raw: &'a [u8]) -> ForMessage<'a> {
        ForMessage { all: self, raw }
    }
}

/// [`Payloads`] for one message.
pub struct ForMessage<'a> {
    all: &'a DestinationPayloads,
    raw: &'a [u8],
}

impl Payloads for ForMessage<'_> {
    fn payload(
        &self,
        event: &Event,
        events: &[Event],
        destination: &str,
    ) -> Result<Payload, String> {
        let Some(policy) = self.all.policies.get(destination) else {
            return Ok(Payload::EventJson);
        };
        if let (Some(transform), Some(message)) = (&policy.transform, &event.raw)
            && message.trim_start().starts_with("MSH")
        {
            return transform
                .apply(message, &self.all.tables)
                .map(Payload::Text)
                .map_err(|e| format!("transform: {e}"));
        }
        if policy.raw {
            return std::str::from_utf8(self.raw)
                .map(|s| Payload::Text(s.to_owned()))
                .map_err(|_| {
                    "the raw message is not UTF-8 text; send the event instead (send = \"event\")"
                        .into()
                });
        }
        let whole = match policy.whole_prescriptions {
            true => match prescription_lines(event, events) {
                Lines::Alone => None,
                Lines::Covered => return Ok(Payload::Covered),
                Lines::First(whole) => Some(*whole),
            },
            false => None,
        };
        let event = whole.as_ref().unwrap_or(event);
        let redacted = (is_restricted(event) && !policy.allow_restricted).then(|| {
            let mut copy = event.clone();
            redact_restricted(&mut copy);
            copy
        });
        let changed = redacted.is_some() || whole.is_some();
        let event = redacted.as_ref().unwrap_or(event);
        match policy.encode {
            Some(Encode::Hl7v2) => {
                let encode = encoder_for(&event.kind).ok_or_else(|| {
                    format!("no HL7 v2 encoder for event kind {}", event.kind.as_str())
                })?;
                let opts = EncodeOptions {
                    sending_facility: self.all.node.clone(),
                    receiving_application: destination.to_owned(),
                    // The MLLP sink puts the delivery's own stable id in MSH-10.
                    control_id: "JUNCTION".into(),
                    timestamp: fhir_to_hl7_ts(&event.recorded_at)
                        .ok_or("the event's recorded_at is not a FHIR instant")?,
                    ..EncodeOptions::default()
                };
                encode(event, &opts)
                    .map(Payload::Text)
                    .map_err(|e| e.to_string())
            }
            None if changed => Ok(Payload::Text(event.to_json())),
            None => Ok(Payload::EventJson),
        }
    }
}

/// Where an event stands among the lines of its prescription in one message.
enum Lines {
    /// Not a line of a prescription with other lines here.
    Alone,
    /// A later line: the first carries it.
    Covered,
    /// The first line: this event with every line's MedicationRequest.
    First(Box<Event>),
}

/// Groups `prescription.issued` lines of one message by their prescription id
/// (`MedicationRequest.groupIdentifier`).
fn prescription_lines(event: &Event, events: &[Event]) -> Lines {
    let Some(group) = prescription_id(event) else {
        return Lines::Alone;
    };
    let same: Vec<&Event> = events
        .iter()
        .filter(|e| e.kind == event.kind && prescription_id(e) == Some(group))
        .collect();
    if same.len() < 2 {
        return Lines::Alone;
    }
    if same[0].id != event.id {
        return Lines::Covered;
    }
    let mut whole = event.clone();
    for line in &same[1..] {
        let extra = line
            .bundle
            .entry
            .iter()
            .filter(|entry| matches!(entry.resource, Some(Resource::MedicationRequest(_))));
        whole.bundle.entry.extend(extra.cloned());
    }
    Lines::First(Box::new(whole))
}

/// The prescription id of a `prescription.issued` event's first MedicationRequest.
fn prescription_id(event: &Event) -> Option<&str> {
    if event.kind != junction_model::EventKind::PrescriptionIssued {
        return None;
    }
    event
        .bundle
        .entry
        .iter()
        .find_map(|entry| match &entry.resource {
            Some(Resource::MedicationRequest(mr)) => mr.group_identifier.as_ref()?.value.as_deref(),
            _ => None,
        })
}

/// Whether `pds_verify` found the patient's record restricted.
fn is_restricted(event: &Event) -> bool {
    event
        .annotations
        .get("pds")
        .and_then(|p| p.get("restricted"))
        .and_then(serde_json::Value::as_bool)
        == Some(true)
}
