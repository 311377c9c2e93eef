//! PID (+ PD1) → Patient, mapped exactly as the PAS adapter maps it (`pas::map_patient`), so a
//! patient looks the same whichever system's message named them.

use junction_hl7v2::Message;
use junction_model::Warning;
use junction_model::fhir::Patient;

use crate::error::DecodeError;
use crate::pas::ctx::Ctx;
use crate::pas::map_patient;
use crate::pas::patient::PatientSegments;
use crate::registry::AdapterOptions;

/// The Patient of a message, with its ordering key and the warnings raised reading PID.
pub(crate) struct MappedPatient {
    pub patient: Patient,
    pub key: Option<String>,
    pub warnings: Vec<Warning>,
}

/// Maps PID/PD1 through the PAS mapping. `msg_id` is the id every derived id is built from.
pub(crate) fn map(
    opts: &AdapterOptions,
    msg: &Message<'_>,
    source: &str,
    msg_id: &str,
) -> Result<MappedPatient, DecodeError> {
    let Some(pid) = msg.segment("PID", 1) else {
        return Err(DecodeError::missing_segment(
            "PID",
            "PID segment is required to identify the patient",
        ));
    };
    let mut ctx = Ctx::new(crate::pas::ctx::ID_NAMESPACE, opts, source, msg_id);
    let segs = PatientSegments {
        pid,
        pd1: msg.segment("PD1", 1),
        nk1: Vec::new(),
    };
    let mapped = map_patient(&mut ctx, &segs, None)?;
    Ok(MappedPatient {
        patient: mapped.patient,
        key: mapped.key,
        warnings: ctx.warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_pid_as_the_pas_adapter_does() {
        let bytes = b"MSH|^~\\&|CRIS|RXX|ICE|RXX|20250305153002||ORU^R01^ORU_R01|M1|P|2.4\r\
PID|1||9990000018^^^NHS^NH~K1^^^RXX^MR||SMITH^Jo||19800229|9\r\
OBR|1\rOBX|1|TX|X||very long text\r";
        let msg = Message::parse(bytes).unwrap();
        let opts = AdapterOptions::default();
        let got = map(&opts, &msg, "s", "M1").unwrap();
        assert_eq!(got.key.as_deref(), Some("nhs:9990000018"));
        assert_eq!(
            got.patient.identifier[0].value.as_deref(),
            Some("9990000018")
        );
        let bad = Message::parse(b"MSH|^~\\&|A|B|C|D|20260101||ORU^R01|1|P|2.4\rOBR|1\r").unwrap();
        let err = map(&opts, &bad, "s", "1").err().unwrap();
        assert_eq!(err.path.as_deref(), Some("PID"));
    }
}
