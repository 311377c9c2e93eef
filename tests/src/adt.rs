//! Synthetic HL7 v2 messages beyond the kit's `adt_a01`: other ADT triggers for the same
//! synthetic patient, and batch envelopes. Every patient here is made up (999-range NHS numbers).

use crate::mllp::adt_a01;

/// An ADT message of `trigger` (`A01`, `A08`, …) built from the kit's A01: same synthetic
/// patient, PV1-19 visit number `V<control_id>`, PV1-44 admit date.
pub fn adt(trigger: &str, control_id: &str, nhs_number: &str, mrn: &str) -> Vec<u8> {
    let a01 = String::from_utf8(adt_a01(control_id, nhs_number, mrn)).expect("ASCII");
    a01.replacen("ADT^A01^ADT_A01", &format!("ADT^{trigger}^ADT_A01"), 1)
        .into_bytes()
}

/// A batch: `FHS`, `BHS`, the messages, `BTS` (message count), `FTS`.
pub fn batch(messages: &[Vec<u8>]) -> Vec<u8> {
    let mut out = b"FHS|^~\\&|PAS|RXX|JUNCTION|RXX|20260115103000\rBHS|^~\\&|PAS|RXX|JUNCTION|RXX|20260115103000\r".to_vec();
    for m in messages {
        out.extend_from_slice(m);
    }
    out.extend_from_slice(format!("BTS|{}\rFTS|1\r", messages.len()).as_bytes());
    out
}

/// Wraps bytes in an MLLP frame (`0x0B` … `0x1C 0x0D`).
pub fn frame(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 3);
    out.push(0x0B);
    out.extend_from_slice(body);
    out.extend_from_slice(&[0x1C, 0x0D]);
    out
}
