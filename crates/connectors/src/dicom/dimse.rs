//! DIMSE command sets (PS3.7 section 9.3): C-ECHO and C-STORE requests and responses, encoded
//! as implicit VR little endian command groups with `dicom-object`.

use dicom_core::{DataElement, PrimitiveValue, Tag, VR};
use dicom_dictionary_std::tags;
use dicom_object::InMemDicomObject;
use dicom_transfer_syntax_registry::entries::IMPLICIT_VR_LITTLE_ENDIAN;

/// Command Field (0000,0100) values.
pub(crate) mod field {
    /// C-STORE-RQ.
    pub const C_STORE_RQ: u16 = 0x0001;
    /// C-STORE-RSP.
    pub const C_STORE_RSP: u16 = 0x8001;
    /// C-ECHO-RQ.
    pub const C_ECHO_RQ: u16 = 0x0030;
    /// C-ECHO-RSP.
    pub const C_ECHO_RSP: u16 = 0x8030;
}

/// Status codes used here (PS3.4 Annex B.2.3, PS3.7 Annex C).
pub(crate) mod status {
    /// Success.
    pub const SUCCESS: u16 = 0x0000;
    /// Refused: out of resources.
    pub const OUT_OF_RESOURCES: u16 = 0xA700;
    /// Error: data set does not match SOP class / cannot understand.
    pub const CANNOT_UNDERSTAND: u16 = 0xC000;
    /// Refused: SOP class not supported.
    pub const SOP_CLASS_NOT_SUPPORTED: u16 = 0x0122;
}

/// Command Data Set Type (0000,0800) meaning "no data set follows".
const NO_DATA_SET: u16 = 0x0101;

/// A decoded command set: the fields this connector acts on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Command {
    pub field: u16,
    pub message_id: u16,
    pub responding_to: u16,
    pub sop_class: String,
    pub sop_instance: String,
    pub has_data_set: bool,
    pub status: u16,
    pub error_comment: Option<String>,
}

/// Why a command set could not be read.
#[derive(Debug, thiserror::Error)]
#[error("malformed DIMSE command set: {0}")]
pub(crate) struct CommandError(String);

impl Command {
    /// Decodes a complete command set.
    pub(crate) fn decode(bytes: &[u8]) -> Result<Self, CommandError> {
        let ts = IMPLICIT_VR_LITTLE_ENDIAN.erased();
        let obj = InMemDicomObject::read_dataset_with_ts(bytes, &ts)
            .map_err(|e| CommandError(e.to_string()))?;
        let int = |tag: Tag| -> Option<u16> {
            obj.element_opt(tag)
                .ok()
                .flatten()
                .and_then(|e| e.to_int::<u16>().ok())
        };
        let text = |tag: Tag| -> Option<String> {
            obj.element_opt(tag)
                .ok()
                .flatten()
                .and_then(|e| e.to_str().ok())
                .map(|s| super::syntax::trim_uid(&s).trim().to_owned())
        };
        let field = int(tags::COMMAND_FIELD)
            .ok_or_else(|| CommandError("no Command Field (0000,0100)".into()))?;
        Ok(Self {
            field,
            message_id: int(tags::MESSAGE_ID).unwrap_or(0),
            responding_to: int(tags::MESSAGE_ID_BEING_RESPONDED_TO).unwrap_or(0),
            sop_class: text(tags::AFFECTED_SOP_CLASS_UID).unwrap_or_default(),
            sop_instance: text(tags::AFFECTED_SOP_INSTANCE_UID).unwrap_or_default(),
            has_data_set: int(tags::COMMAND_DATA_SET_TYPE).is_some_and(|t| t != NO_DATA_SET),
            status: int(tags::STATUS).unwrap_or(0),
            error_comment: text(tags::ERROR_COMMENT),
        })
    }

    /// The response to this request with `status` (C-ECHO-RSP or C-STORE-RSP).
    pub(crate) fn response(&self, status: u16, comment: Option<&str>) -> Vec<u8> {
        let rsp_field = if self.field == field::C_ECHO_RQ {
            field::C_ECHO_RSP
        } else {
            field::C_STORE_RSP
        };
        let mut elems = vec![
            uid(tags::AFFECTED_SOP_CLASS_UID, &self.sop_class),
            us(tags::COMMAND_FIELD, rsp_field),
            us(tags::MESSAGE_ID_BEING_RESPONDED_TO, self.message_id),
            us(tags::COMMAND_DATA_SET_TYPE, NO_DATA_SET),
            us(tags::STATUS, status),
        ];
        if rsp_field == field::C_STORE_RSP {
            elems.push(uid(tags::AFFECTED_SOP_INSTANCE_UID, &self.sop_instance));
        }
        if let Some(c) = comment {
            // LO: at most 64 characters.
            let c: String = c.chars().take(64).collect();
            elems.push(DataElement::new(
                tags::ERROR_COMMENT,
                VR::LO,
                PrimitiveValue::from(c),
            ));
        }
        encode(elems)
    }
}

/// A C-STORE-RQ for one instance (a data set follows).
pub(crate) fn c_store_rq(message_id: u16, sop_class: &str, sop_instance: &str) -> Vec<u8> {
    encode(vec![
        uid(tags::AFFECTED_SOP_CLASS_UID, sop_class),
        us(tags::COMMAND_FIELD, field::C_STORE_RQ),
        us(tags::MESSAGE_ID, message_id),
        us(tags::PRIORITY, 0),
        us(tags::COMMAND_DATA_SET_TYPE, 0x0000),
        uid(tags::AFFECTED_SOP_INSTANCE_UID, sop_instance),
    ])
}

fn us(tag: Tag, v: u16) -> DataElement<InMemDicomObject> {
    DataElement::new(tag, VR::US, PrimitiveValue::from(v))
}

/// A UI element, padded to even length with NUL as PS3.5 requires.
fn uid(tag: Tag, v: &str) -> DataElement<InMemDicomObject> {
    let mut s = v.to_owned();
    if s.len() % 2 == 1 {
        s.push('\0');
    }
    DataElement::new(tag, VR::UI, PrimitiveValue::from(s))
}

fn encode(elems: Vec<DataElement<InMemDicomObject>>) -> Vec<u8> {
    let obj = InMemDicomObject::command_from_element_iter(elems);
    let mut out = Vec::with_capacity(160);
    let ts = IMPLICIT_VR_LITTLE_ENDIAN.erased();
    // Writing a few fixed elements into a Vec cannot fail.
    let _ = obj.write_dataset_with_ts(&mut out, &ts);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_request_round_trips_and_response_answers_it() {
        let rq = c_store_rq(7, "1.2.840.10008.5.1.4.1.1.2", "1.2.3.4");
        let cmd = Command::decode(&rq).unwrap();
        assert_eq!(cmd.field, field::C_STORE_RQ);
        assert_eq!(cmd.message_id, 7);
        assert_eq!(cmd.sop_instance, "1.2.3.4");
        assert!(cmd.has_data_set);
        let rsp = Command::decode(&cmd.response(status::OUT_OF_RESOURCES, Some("disk"))).unwrap();
        assert_eq!(rsp.field, field::C_STORE_RSP);
        assert_eq!(rsp.responding_to, 7);
        assert_eq!(rsp.status, 0xA700);
        assert_eq!(rsp.sop_class, "1.2.840.10008.5.1.4.1.1.2");
        assert_eq!(rsp.error_comment.as_deref(), Some("disk"));
        assert!(!rsp.has_data_set);
        assert!(Command::decode(b"\x01\x02").is_err());
    }
}
