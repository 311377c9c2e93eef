//! PID (+ PD1) → Patient, by the PAS adapter's mapping. `crate::pas` keeps its patient
//! mapping private (`mod patient`), so this bridge hands the PAS adapter — its only public
//! entry point — a small `ADT^A28` (add person) message made of this message's MSH fields,
//! PID and PD1, and takes the Patient, the patient key and the PID warnings from the event.
//! Only those few short segments are copied (never an OBX), so a 5 MB report costs nothing
//! here. When `pas` exposes `patient::patient` and `identifiers::read_ids` to the crate, this
//! file shrinks to a direct call.

use junction_hl7v2::{Message, Segment};
use junction_model::fhir::Patient;
use junction_model::{Resource, Warning};

use crate::adapter::{Adapter, Inbound};
use crate::error::DecodeError;
use crate::pas::PasAdapter;

/// The Patient of a message, with its ordering key and the warnings raised reading PID.
pub(crate) struct MappedPatient {
    pub patient: Patient,
    pub key: Option<String>,
    pub warnings: Vec<Warning>,
}

/// Maps PID/PD1 through the PAS adapter. `msg_id` is the id every derived id is built from.
pub(crate) fn map(
    pas: &PasAdapter,
    msg: &Message<'_>,
    inbound: &Inbound<'_>,
    msg_id: &str,
) -> Result<MappedPatient, DecodeError> {
    let Some(pid) = msg.segment("PID", 1) else {
        return Err(DecodeError::missing_segment(
            "PID",
            "PID segment is required to identify the patient",
        ));
    };
    let bytes = person_message(msg, &pid, msg.segment("PD1", 1).as_ref(), msg_id);
    let person = Inbound {
        bytes: &bytes,
        ..*inbound
    };
    let mut events = pas.decode(&person)?;
    let event = events.pop().ok_or_else(|| {
        DecodeError::new(
            crate::DecodeErrorCode::Internal,
            Some("PID"),
            "patient mapping produced no event",
        )
    })?;
    let patient = event
        .bundle
        .entry
        .into_iter()
        .filter_map(|e| e.resource)
        .find_map(|r| match r {
            Resource::Patient(p) => Some(*p),
            _ => None,
        })
        .ok_or_else(|| {
            DecodeError::new(
                crate::DecodeErrorCode::Internal,
                Some("PID"),
                "patient mapping produced no Patient",
            )
        })?;
    Ok(MappedPatient {
        patient,
        key: event.patient_key,
        warnings: event.warnings,
    })
}

/// `MSH` (fields 1–7 as sent, 9 = `ADT^A28^ADT_A05`, 10 = `msg_id`, 11–12 as sent; MSH-18 left
/// out because the parsed message is already UTF-8) + `PID` + `PD1`, CR-terminated.
fn person_message(
    msg: &Message<'_>,
    pid: &Segment<'_>,
    pd1: Option<&Segment<'_>>,
    msg_id: &str,
) -> Vec<u8> {
    let d = msg.delimiters();
    let msh = msg.header();
    let raw = |n: usize| msh.field(n).map_or(&b""[..], |v| v.raw());
    let extra = pd1.map_or(0, |s| s.raw().len());
    let mut out = Vec::with_capacity(160 + pid.raw().len() + extra + msg_id.len());
    out.extend_from_slice(b"MSH");
    out.push(d.field);
    out.extend_from_slice(raw(2));
    for n in 3..=7 {
        out.push(d.field);
        out.extend_from_slice(raw(n));
    }
    out.push(d.field);
    out.push(d.field);
    for (i, part) in ["ADT", "A28", "ADT_A05"].iter().enumerate() {
        if i > 0 {
            out.push(d.component);
        }
        out.extend_from_slice(part.as_bytes());
    }
    out.push(d.field);
    // The control id is re-escaped only if it holds a delimiter, which no sender does; such an
    // id simply gives different (still replay-stable) Patient ids.
    out.extend(msg_id.bytes().filter(|b| !is_delim(*b, d)));
    for n in 11..=12 {
        out.push(d.field);
        out.extend_from_slice(raw(n));
    }
    for seg in std::iter::once(pid).chain(pd1) {
        out.push(b'\r');
        out.extend_from_slice(seg.raw());
    }
    out.push(b'\r');
    out
}

fn is_delim(b: u8, d: &junction_hl7v2::Delimiters) -> bool {
    b == d.field || b == d.component || b == d.repetition || b == d.escape || b == d.subcomponent
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::AdapterOptions;

    #[test]
    fn maps_pid_through_pas_without_copying_obx() {
        let bytes = b"MSH|^~\\&|CRIS|RXX|ICE|RXX|20250305153002||ORU^R01^ORU_R01|M1|P|2.4\r\
PID|1||9990000018^^^NHS^NH~K1^^^RXX^MR||SMITH^Jo||19800229|9\r\
OBR|1\rOBX|1|TX|X||very long text\r";
        let msg = Message::parse(bytes).unwrap();
        let pid = msg.segment("PID", 1).unwrap();
        let person = person_message(&msg, &pid, None, "M1");
        assert!(!person.windows(3).any(|w| w == b"OBX"));
        let inbound = Inbound {
            bytes,
            source: "s",
            received_at: "2026-01-01T00:00:00Z",
            correlation_id: "c",
            content_type: None,
        };
        let pas = PasAdapter::new(AdapterOptions::default());
        let got = map(&pas, &msg, &inbound, "M1").unwrap();
        assert_eq!(got.key.as_deref(), Some("nhs:9990000018"));
        assert_eq!(
            got.patient.identifier[0].value.as_deref(),
            Some("9990000018")
        );
        let bad = Message::parse(b"MSH|^~\\&|A|B|C|D|20260101||ORU^R01|1|P|2.4\rOBR|1\r").unwrap();
        let err = map(&pas, &bad, &inbound, "1").err().unwrap();
        assert_eq!(err.path.as_deref(), Some("PID"));
    }
}
