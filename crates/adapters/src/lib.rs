//! `junction-adapters`: the [`Adapter`] trait that turns raw messages into Junction
//! [`Event`](junction_model::Event)s, the built-in adapters ([`pas`]; `pacs` and `prescribing`
//! to follow) behind a small registry ([`built_in`]), and the [`golden`]-file test kit adapter
//! writers reuse.
//!
//! Adapters are pure functions of their input: no I/O, no clock, no randomness. Ids come from
//! [`deterministic_id`](junction_model::deterministic_id) over the source name and the
//! message's own id, so replaying a journalled message yields identical events. A message that
//! cannot be interpreted safely is a [`DecodeError`] (with an HL7 table 0357 code for the
//! NAK); a data-quality problem is a [`Warning`](junction_model::Warning) on the event, and the
//! event still flows. Neither ever carries patient data in its text.
//!
//! # Writing an adapter
//!
//! A complete adapter for a (made-up) bed-management feed that sends
//! `BEDCLEAN|<ward>|<bed>|<message id>`:
//!
//! ```
//! use junction_adapters::{Adapter, DecodeError, DecodeErrorCode, Inbound};
//! use junction_model::fhir::{Coding, Location, MessageEvent, MessageHeader};
//! use junction_model::{Bundle, Event, EventKind, Warning, deterministic_id};
//!
//! struct BedBoard;
//!
//! impl Adapter for BedBoard {
//!     fn name(&self) -> &'static str {
//!         "bedboard"
//!     }
//!
//!     fn kinds(&self) -> &'static [&'static str] {
//!         &["x-bedboard.bed-cleaned"]
//!     }
//!
//!     fn decode(&self, msg: &Inbound<'_>) -> Result<Vec<Event>, DecodeError> {
//!         let text = std::str::from_utf8(msg.bytes)
//!             .map_err(|_| DecodeError::new(DecodeErrorCode::Unparseable, None, "not UTF-8"))?;
//!         let mut fields = text.trim_end().split('|');
//!         if fields.next() != Some("BEDCLEAN") {
//!             return Err(DecodeError::new(
//!                 DecodeErrorCode::UnsupportedMessage,
//!                 Some("1"),
//!                 "only BEDCLEAN messages are handled",
//!             ));
//!         }
//!         let ward = fields.next().filter(|w| !w.is_empty())
//!             .ok_or_else(|| DecodeError::missing_field("2", "ward code is required"))?;
//!         let bed = fields.next().unwrap_or("");
//!         let msg_id = fields.next().unwrap_or(msg.correlation_id);
//!         // Replay-stable ids: source + the message's own id + what the id is for.
//!         let id = |part: &str| deterministic_id("bedboard", &[msg.source, msg_id, part]);
//!         let mut warnings = Vec::new();
//!         if bed.is_empty() {
//!             // A data-quality problem: say where and what, never the value.
//!             warnings.push(Warning::new("field-missing", "3", "bed code is empty"));
//!         }
//!         let location = Location {
//!             id: Some(id("Location")),
//!             name: Some(format!("{ward} {bed}").trim().to_owned()),
//!             ..Default::default()
//!         };
//!         let header = MessageHeader {
//!             id: Some(id("MessageHeader")),
//!             event: Some(MessageEvent::Coding(Coding::new(
//!                 "https://example.org/bed-events", "bed-cleaned", None,
//!             ))),
//!             ..Default::default()
//!         };
//!         let bundle = Bundle::message(header, vec![location.into()], id("Bundle"), msg.received_at);
//!         let event = Event {
//!             warnings,
//!             ..Event::new(
//!                 id("event"),
//!                 EventKind::Other("x-bedboard.bed-cleaned".into()),
//!                 msg.source,
//!                 msg.received_at, // an input, not a clock reading
//!                 msg.correlation_id,
//!                 bundle,
//!             )
//!         };
//!         Ok(vec![event])
//!     }
//! }
//!
//! let inbound = Inbound {
//!     bytes: b"BEDCLEAN|WD12||M42",
//!     source: "bedboard",
//!     received_at: "2026-01-01T00:00:00Z",
//!     correlation_id: "journal-1",
//!     content_type: None,
//! };
//! let events = BedBoard.decode(&inbound).unwrap();
//! assert_eq!(events[0].kind.as_str(), "x-bedboard.bed-cleaned");
//! assert_eq!(events[0].warnings[0].code, "field-missing");
//! assert_eq!(BedBoard.decode(&inbound).unwrap(), events, "replay gives the same event");
//!
//! let err = BedBoard.decode(&Inbound { bytes: b"BEDCLEAN||B1", ..inbound }).unwrap_err();
//! assert_eq!(err.hl7_error_code(), 101); // required field missing, for the NAK's ERR-3
//! assert_eq!(err.to_string(), "missing-field at 2: ward code is required");
//! ```
//!
//! Test it with the kit: put `*.hl7` (or any extension) inputs in a directory, run
//! [`golden::check_dir`] from a test with `UPDATE_GOLDEN=1` once to write the expected
//! `*.json` files, **review them by hand**, and commit them; inputs named `bad_*` must fail
//! and have a `*.error.json` instead.
//!
//! # The built-in PAS adapter
//!
//! ```
//! use junction_adapters::{AdapterOptions, Inbound, built_in};
//!
//! let pas = built_in("pas", AdapterOptions::default()).unwrap();
//! let bytes = b"MSH|^~\\&|PAS|RXX|ROUTE|ROUTE|20250214104512||ADT^A01^ADT_A01|PAS1|P|2.4\r\
//! EVN||20250214104510||||202502141042\r\
//! PID|1||9990000018^^^NHS^NH~K1^^^RXX^MR||SMITH^Jo^^^Ms^^L||19800229|2\r\
//! PV1|1|I|^WD12^B07^RXX01|21|||||||||||||||V1^^^RXX^VN|||||||||||||||||||||||||202502141042\r";
//! let inbound = Inbound {
//!     bytes,
//!     source: "pas",
//!     received_at: "2026-01-01T00:00:00Z",
//!     correlation_id: "j1",
//!     content_type: None,
//! };
//! let events = pas.decode(&inbound).unwrap();
//! assert_eq!(events[0].kind.as_str(), "patient.admitted");
//! assert_eq!(events[0].patient_key.as_deref(), Some("nhs:9990000018"));
//! assert_eq!(events[0].occurred_at.as_deref(), Some("2025-02-14T10:42:00+00:00"));
//! ```

mod adapter;
mod ctx;
pub mod dicom;
pub mod encode;
mod error;
pub mod ers;
pub mod fhir;
pub mod golden;
pub mod pacs;
pub mod pas;
pub mod passthrough;
pub mod prescribing;
mod read;
mod registry;
pub mod transform;

pub use adapter::{Adapter, Inbound, declares_kind};
pub use dicom::DicomAdapter;
pub use encode::{EncodeError, EncodeOptions, Encoder, encoder_for};
pub use error::{DecodeError, DecodeErrorCode};
pub use ers::ErsAdapter;
pub use fhir::FhirAdapter;
pub use pacs::PacsAdapter;
pub use pas::PasAdapter;
pub use prescribing::PrescribingAdapter;
pub use registry::{AdapterOptions, BUILT_IN, UnknownAdapter, built_in};
