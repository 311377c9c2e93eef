//! Encoders from Junction events to HL7 v2 text for MLLP destinations: [`ref_i12`] (a
//! `referral.received` event → REF^I12), picked by event kind with [`encoder_for`]. Pure like
//! the adapters: the control id and timestamp come in [`EncodeOptions`], no clock is read.
//! Output is built with [`junction_hl7v2::MessageBuf`], so delimiters in the data are escaped.

mod out;
mod parties;
mod ref_i12;
mod ts;
mod view;

use junction_model::{Event, EventKind};

pub use ref_i12::ref_i12;
pub use ts::fhir_to_hl7_ts;

/// What the sending side supplies for the MSH segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodeOptions {
    /// MSH-3, e.g. `"JUNCTION"`.
    pub sending_application: String,
    /// MSH-4, e.g. the trust's ODS code `"RXX"`.
    pub sending_facility: String,
    /// MSH-5, e.g. `"PAS"`.
    pub receiving_application: String,
    /// MSH-6.
    pub receiving_facility: String,
    /// MSH-10: stable per delivery, so a resend is recognised as a duplicate.
    pub control_id: String,
    /// MSH-7, an HL7 TS such as `"20260101120000+0000"` (checked).
    pub timestamp: String,
    /// MSH-11: `"P"` (production), `"T"` (training) or `"D"` (debugging).
    pub processing_id: String,
}

impl Default for EncodeOptions {
    fn default() -> Self {
        Self {
            sending_application: "JUNCTION".into(),
            sending_facility: String::new(),
            receiving_application: String::new(),
            receiving_facility: String::new(),
            control_id: String::new(),
            timestamp: String::new(),
            processing_id: "P".into(),
        }
    }
}

/// Why an event could not be encoded. Names what is missing, never a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// The encoder does not handle this event kind.
    #[error("event kind `{0}` is not handled by this encoder")]
    WrongKind(String),
    /// The bundle lacks something the message requires.
    #[error("cannot encode: the event's bundle has no {0}")]
    Missing(&'static str),
    /// An [`EncodeOptions`] field is empty or malformed.
    #[error("cannot encode: option `{0}` is empty or not valid")]
    BadOption(&'static str),
    /// A bug in the encoder (a bad terse path).
    #[error("internal encoder error: {0}")]
    Internal(String),
}

/// An HL7 v2 encoder: event + options → ER7 text, segments ended by CR.
pub type Encoder = fn(&Event, &EncodeOptions) -> Result<String, EncodeError>;

/// The HL7 v2 encoder for events of `kind`, if there is one: `referral.received` → REF^I12.
///
/// ```
/// use junction_adapters::encoder_for;
/// use junction_model::EventKind;
///
/// assert!(encoder_for(&EventKind::ReferralReceived).is_some());
/// assert!(encoder_for(&EventKind::PatientAdmitted).is_none());
/// ```
pub fn encoder_for(kind: &EventKind) -> Option<Encoder> {
    match kind {
        EventKind::ReferralReceived => Some(ref_i12),
        _ => None,
    }
}
