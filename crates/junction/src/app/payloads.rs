//! What each destination is sent, per its config: the event's JSON (stored once), the event
//! encoded as HL7 v2 (`encode = "hl7v2"`, e.g. REF^I12 for a referral), the raw message as
//! received (a MESH destination with `send = "raw"`), and never a restricted (sensitive)
//! record's address or contacts unless the destination has `allow_restricted = true`.

use std::collections::HashMap;

use junction_adapters::{EncodeOptions, encode::fhir_to_hl7_ts, encoder_for};
use junction_model::Event;
use junction_national::pds::redact_restricted;
use junction_router::Payloads;

use crate::config::{Config, DestinationKind, Encode, MeshSend};

/// How one destination's payload is made.
#[derive(Debug, Clone, Default)]
struct Policy {
    allow_restricted: bool,
    encode: Option<Encode>,
    raw: bool,
}

/// The policies of every destination.
#[derive(Debug, Clone, Default)]
pub struct DestinationPayloads {
    node: String,
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
                let policy = Policy {
                    allow_restricted: d.allow_restricted,
                    encode: d.encode,
                    raw,
                };
                (d.name.clone(), policy)
            })
            .collect();
        Self {
            node: cfg.node.name.clone(),
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
    fn payload(&self, event: &Event, destination: &str) -> Result<Option<String>, String> {
        let Some(policy) = self.all.policies.get(destination) else {
            return Ok(None);
        };
        if policy.raw {
            return std::str::from_utf8(self.raw)
                .map(|s| Some(s.to_owned()))
                .map_err(|_| {
                    "the raw message is not UTF-8 text; send the event instead (send = \"event\")"
                        .into()
                });
        }
        let redacted = (is_restricted(event) && !policy.allow_restricted).then(|| {
            let mut copy = event.clone();
            redact_restricted(&mut copy);
            copy
        });
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
                encode(event, &opts).map(Some).map_err(|e| e.to_string())
            }
            None if redacted.is_some() => Ok(Some(event.to_json())),
            None => Ok(None),
        }
    }
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
