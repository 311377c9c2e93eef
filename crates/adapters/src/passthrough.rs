//! Every message flows: the events a message gets whether or not an adapter maps it. An HL7 v2
//! message that parses always gets a pass-through event (`hl7v2.<type>.<trigger>`, e.g.
//! `hl7v2.ADT.A09`) carrying its header facts, its patient key and the message itself, first,
//! before any clinical event the adapter adds, so per-patient order holds. A message of a type
//! or trigger its adapter does not map is not a failure: its pass-through event carries a
//! `not-mapped` warning saying so. A message the adapter cannot decode also gets a
//! `junction.decode-failed` event with the reason, so a route can take it to where a person
//! will look. [`Decoder`] is what the gateway decodes with.

use junction_hl7v2::Message;
use junction_model::event::{DECODE_FAILED, patient_key};
use junction_model::fhir::{Coding, MessageEvent, MessageHeader, Resource};
use junction_model::{Bundle, Event, EventKind, NhsNumber, Warning, deterministic_id};

use crate::adapter::{Adapter, Inbound};
use crate::error::{DecodeError, DecodeErrorCode};
use crate::pas::identifiers::{Cx, is_mrn_of};

/// Namespace of the ids of pass-through and decode-failed events.
const ID_NAMESPACE: &str = "junction-passthrough";
/// HL7 table 0003 (event type codes), for the pass-through MessageHeader.
const V2_EVENT_SYSTEM: &str = "http://terminology.hl7.org/CodeSystem/v2-0003";
/// HL7 table 0076 (message type codes), when a message has no trigger event.
const V2_MESSAGE_SYSTEM: &str = "http://terminology.hl7.org/CodeSystem/v2-0076";

/// Kinds any source may produce besides its adapter's own: pass-through and decode-failed.
pub const KINDS: &[&str] = &["hl7v2.*", "hl7v3.*", DECODE_FAILED];

/// An adapter and what the pass-through events of its source need.
pub struct Decoder {
    adapter: Box<dyn Adapter>,
    mrn_authority: Option<String>,
}

/// A message's events, and why its adapter could not decode it when it could not.
#[derive(Debug)]
pub struct Decoded {
    /// The pass-through event (HL7 v2), then the adapter's events or, when it failed, a
    /// decode-failed event.
    pub events: Vec<Event>,
    /// The adapter's error.
    pub failure: Option<DecodeError>,
}

impl Decoder {
    /// `adapter` for a source whose trust MRNs carry `mrn_authority` in CX.4 (`None`: the
    /// first identifier typed MR, PI or PT, or untyped).
    pub fn new(adapter: Box<dyn Adapter>, mrn_authority: Option<String>) -> Self {
        Self {
            adapter,
            mrn_authority,
        }
    }

    /// The adapter.
    pub fn adapter(&self) -> &dyn Adapter {
        &*self.adapter
    }

    /// Decodes `msg`: the pass-through event when it is HL7 v2, then the adapter's events, or
    /// a decode-failed event naming the adapter's error.
    pub fn decode(&self, msg: &Inbound<'_>) -> Decoded {
        let mut pass = hl7v2_event(msg, self.mrn_authority.as_deref()).or_else(|| hl7v3_event(msg));
        let (clinical, failure) = match self.adapter.decode(msg) {
            Ok(events) => (events, None),
            Err(e) if not_mapped(&e) && pass.is_some() => {
                if let Some(p) = &mut pass {
                    let path = e.path.clone().unwrap_or_else(|| "MSH-9".into());
                    p.warnings.push(Warning::new("not-mapped", path, e.message));
                }
                (Vec::new(), None)
            }
            Err(e) => (vec![decode_failed_event(msg, pass.as_ref(), &e)], Some(e)),
        };
        let mut events = Vec::with_capacity(clinical.len() + 1);
        events.extend(pass);
        events.extend(clinical);
        Decoded { events, failure }
    }
}

/// The adapter takes no message of this type or trigger: the pass-through event is all there is.
fn not_mapped(e: &DecodeError) -> bool {
    matches!(
        e.code,
        DecodeErrorCode::UnsupportedMessage | DecodeErrorCode::UnsupportedEvent
    )
}

/// The message as text: as received when it is UTF-8, else as the parser decoded it.
fn raw_text(bytes: &[u8], parsed: Option<&Message<'_>>) -> Option<String> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Some(text.to_owned()),
        Err(_) => parsed.and_then(|m| String::from_utf8(m.to_bytes()).ok()),
    }
}

/// A kind segment: letters, digits, `_` and `-` kept, anything else dropped.
fn kind_part(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect()
}

/// The pass-through event of an HL7 v2 message; `None` when the bytes are not one.
pub fn hl7v2_event(msg: &Inbound<'_>, mrn_authority: Option<&str>) -> Option<Event> {
    let start = msg
        .bytes
        .iter()
        .position(|b| !matches!(b, b'\r' | b'\n' | b' ' | b'\t' | 0xEF | 0xBB | 0xBF))?;
    if !msg.bytes[start..].starts_with(b"MSH") {
        return None;
    }
    let parsed = Message::parse(msg.bytes).ok()?;
    let header = parsed.header();
    let code = header.message_code().map(|c| kind_part(c.trim()));
    let trigger = header.trigger_event().map(|t| kind_part(t.trim()));
    let code = code.filter(|c| !c.is_empty())?;
    let trigger = trigger.filter(|t| !t.is_empty());
    let kind = match &trigger {
        Some(t) => format!("hl7v2.{code}.{t}"),
        None => format!("hl7v2.{code}"),
    };
    let event_coding = match &trigger {
        Some(t) => Coding::new(V2_EVENT_SYSTEM, t.as_str(), None),
        None => Coding::new(V2_MESSAGE_SYSTEM, code.as_str(), None),
    };
    let id = |part: &str| deterministic_id(ID_NAMESPACE, &[msg.source, msg.correlation_id, part]);
    let header_resource = MessageHeader {
        id: Some(id("MessageHeader")),
        event: Some(MessageEvent::Coding(event_coding)),
        ..Default::default()
    };
    let mut event = carrier_event(msg, &kind, Resource::from(header_resource), &id);
    event.message_type = Some(match &trigger {
        Some(t) => format!("{code}^{t}"),
        None => code.clone(),
    });
    event.patient_key = v2_patient_key(&parsed, mrn_authority);
    event.raw = raw_text(msg.bytes, Some(&parsed));
    Some(event)
}

/// An event of `kind` for `msg` whose bundle is a collection of `resource`, ids from `id`.
fn carrier_event(
    msg: &Inbound<'_>,
    kind: &str,
    resource: Resource,
    id: &dyn Fn(&str) -> String,
) -> Event {
    let bundle = Bundle::collection(vec![resource], id("Bundle"), msg.received_at);
    Event::new(
        id("event"),
        EventKind::from_name(kind),
        msg.source,
        msg.received_at,
        msg.correlation_id,
        bundle,
    )
}

/// The pass-through event of an HL7 v3 XML message, kind `hl7v3.<interaction>` (the root
/// element's name, e.g. `PORX_IN020101SM31`); `None` when the bytes are not XML text.
pub fn hl7v3_event(msg: &Inbound<'_>) -> Option<Event> {
    let text = std::str::from_utf8(msg.bytes).ok()?;
    let body = text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
    if !body.starts_with('<') {
        return None;
    }
    let mut reader = quick_xml::Reader::from_str(body);
    let interaction = loop {
        match reader.read_event().ok()? {
            quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e) => {
                break kind_part(e.local_name().as_ref());
            }
            quick_xml::events::Event::Eof => return None,
            _ => {}
        }
    };
    if interaction.is_empty() {
        return None;
    }
    let id = |part: &str| {
        deterministic_id(
            ID_NAMESPACE,
            &[msg.source, msg.correlation_id, "hl7v3", part],
        )
    };
    let header = MessageHeader {
        id: Some(id("MessageHeader")),
        event: Some(MessageEvent::Uri(format!("urn:hl7-org:v3:{interaction}"))),
        ..Default::default()
    };
    let mut event = carrier_event(
        msg,
        &format!("hl7v3.{interaction}"),
        Resource::from(header),
        &id,
    );
    event.message_type = Some(interaction);
    event.raw = Some(text.to_owned());
    Some(event)
}

/// `nhs:<n>` from a valid NHS number in PID-3, else `mrn:<authority>:<id>` for the trust's
/// MRN: each CX read and judged as the `pas` adapter reads it.
fn v2_patient_key(msg: &Message<'_>, mrn_authority: Option<&str>) -> Option<String> {
    let pid = msg.segment("PID", 1)?;
    let mut mrn = None;
    for (_, rep) in crate::pas::ctx::reps(&pid, 3) {
        let Some(cx) = Cx::read(rep) else { continue };
        if cx.is_nhs {
            if let Ok(n) = NhsNumber::parse(&cx.id) {
                return Some(patient_key::nhs(&n));
            }
        } else if mrn.is_none() && is_mrn_of(mrn_authority, &cx) {
            mrn = Some(patient_key::mrn(
                cx.authority.as_deref().unwrap_or(""),
                &cx.id,
            ));
        }
    }
    mrn
}

/// The event of a message its adapter could not decode: the pass-through event's message type
/// and patient key when there is one, the message itself, and the reason as an
/// OperationOutcome (no message content: a [`DecodeError`] names fields, never values).
fn decode_failed_event(msg: &Inbound<'_>, pass: Option<&Event>, error: &DecodeError) -> Event {
    let id = |part: &str| {
        deterministic_id(
            ID_NAMESPACE,
            &[msg.source, msg.correlation_id, "decode-failed", part],
        )
    };
    let mut issue = serde_json::Map::new();
    issue.insert("severity".into(), "error".into());
    issue.insert("code".into(), "processing".into());
    issue.insert("diagnostics".into(), error.to_string().into());
    if let Some(path) = &error.path {
        issue.insert("expression".into(), serde_json::json!([path]));
    }
    let mut outcome = serde_json::Map::new();
    outcome.insert("resourceType".into(), "OperationOutcome".into());
    outcome.insert("id".into(), id("OperationOutcome").into());
    outcome.insert("issue".into(), serde_json::Value::Array(vec![issue.into()]));
    let mut event = carrier_event(msg, DECODE_FAILED, Resource::Unknown(outcome), &id);
    event.message_type = pass.and_then(|p| p.message_type.clone());
    event.patient_key = pass.and_then(|p| p.patient_key.clone());
    event.raw = pass
        .and_then(|p| p.raw.clone())
        .or_else(|| raw_text(msg.bytes, None));
    event
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AdapterOptions, PasAdapter};

    fn inbound(bytes: &[u8]) -> Inbound<'_> {
        Inbound {
            bytes,
            source: "pas",
            received_at: "2026-01-01T00:00:00Z",
            correlation_id: "7",
            content_type: None,
        }
    }

    const A09: &str = "MSH|^~\\&|PAS|RXX|J|RXX|20260101120000||ADT^A09 ^ADT_A09|C1|P|2.4\rEVN|A09|20260101120000\rPID|1||12345^^^RXX^MR~9990000018^^^NHS^NH||TESTPATIENT^Alex\rPV1|1|I|W1^B1\r";

    #[test]
    fn any_v2_message_gets_a_pass_through_event_keyed_by_nhs_number() {
        let e = hl7v2_event(&inbound(A09.as_bytes()), Some("RXX")).unwrap();
        assert_eq!(e.kind.as_str(), "hl7v2.ADT.A09");
        assert!(e.kind.is_pass_through());
        assert_eq!(e.message_type.as_deref(), Some("ADT^A09"));
        assert_eq!(e.patient_key.as_deref(), Some("nhs:9990000018"));
        assert_eq!(e.raw.as_deref(), Some(A09));
        assert!(!format!("{e:?}").contains("TESTPATIENT"));
    }

    #[test]
    fn without_an_nhs_number_the_trust_mrn_keys_it() {
        let text = A09.replace("~9990000018^^^NHS^NH", "");
        let e = hl7v2_event(&inbound(text.as_bytes()), Some("RXX")).unwrap();
        assert_eq!(e.patient_key.as_deref(), Some("mrn:RXX:12345"));
        let other = hl7v2_event(&inbound(text.as_bytes()), Some("RYY")).unwrap();
        assert_eq!(other.patient_key, None);
    }

    #[test]
    fn v3_xml_gets_a_pass_through_event_named_by_its_interaction() {
        let xml = "<?xml version=\"1.0\"?>\n<!-- x -->\n<hl7:PORX_IN020101SM31 xmlns:hl7=\"urn:hl7-org:v3\"><id root=\"1\"/></hl7:PORX_IN020101SM31>";
        let e = hl7v3_event(&inbound(xml.as_bytes())).unwrap();
        assert_eq!(e.kind.as_str(), "hl7v3.PORX_IN020101SM31");
        assert!(e.kind.is_pass_through());
        assert_eq!(e.raw.as_deref(), Some(xml));
        assert!(hl7v3_event(&inbound(b"MSH|^~\\&|")).is_none());
        assert!(hl7v3_event(&inbound(b"<")).is_none());
    }

    #[test]
    fn not_v2_gets_none() {
        assert!(hl7v2_event(&inbound(b"{\"resourceType\":\"Patient\"}"), None).is_none());
        assert!(hl7v2_event(&inbound(b"MSH|^~\\&|\r"), None).is_none());
    }

    #[test]
    fn a_message_the_adapter_cannot_decode_still_flows() {
        let options = AdapterOptions {
            local_mrn_authority: Some("RXX".into()),
            ..Default::default()
        };
        let decoder = Decoder::new(Box::new(PasAdapter::new(options)), Some("RXX".into()));
        // The pas adapter maps no A09: not a failure, the pass-through event says so.
        let out = decoder.decode(&inbound(A09.as_bytes()));
        assert!(out.failure.is_none());
        let kinds: Vec<&str> = out.events.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(kinds, ["hl7v2.ADT.A09"]);
        assert_eq!(out.events[0].warnings[0].code, "not-mapped");
        // An A01 whose admit date (PV1-44) is not a date does not decode: the pass-through
        // event, and a decode-failed one with the reason and the message.
        let bad = A09.replacen("ADT^A09 ^ADT_A09", "ADT^A01", 1).replacen(
            "PV1|1|I|W1^B1\r",
            &format!("PV1|1|I|W1^B1{}|NOT-A-DATE\r", "|".repeat(40)),
            1,
        );
        let out = decoder.decode(&inbound(bad.as_bytes()));
        assert!(
            out.failure.is_some(),
            "an A01 with a bad PV1-44 does not decode"
        );
        let kinds: Vec<&str> = out.events.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(kinds, ["hl7v2.ADT.A01", DECODE_FAILED]);
        let failed = &out.events[1];
        assert_eq!(failed.patient_key.as_deref(), Some("nhs:9990000018"));
        assert_eq!(failed.raw.as_deref(), Some(bad.as_str()));
        let bundle = serde_json::to_string(&failed.bundle).unwrap();
        assert!(bundle.contains("OperationOutcome") && !bundle.contains("TESTPATIENT"));
    }
}
