//! `junction-hl7v2`: a zero-copy HL7 v2 ER7 ("pipe") parser and serialiser, the ACK/NAK
//! builder, batch splitting, timestamps, and MLLP framing (feature `codec`).
//!
//! ```
//! use junction_hl7v2::Message;
//!
//! let bytes = b"MSH|^~\\&|PAS|RXX|JUNCTION|RXX|20260115103000||ADT^A01^ADT_A01|MSG1|P|2.4\r\
//! PID|1||9990000018^^^NHS^NH~K123456^^^RXX^MR||SMITH^JOHN\r";
//! let msg = Message::parse(bytes).unwrap();
//! assert_eq!(msg.header().message_type().as_deref(), Some("ADT^A01"));
//! assert_eq!(msg.text("PID-3[2].4").as_deref(), Some("RXX"));
//! assert_eq!(msg.text("PID-5.2").as_deref(), Some("JOHN"));
//! ```
//!
//! Parsing is one pass over the bytes that records the offset of every separator; a value at
//! any depth is a slice of the input found from that index. Input in an 8-bit character set
//! declared in MSH-18 (8859/1, 8859/15) is transcoded to UTF-8 once, up front.

pub mod ack;
pub mod batch;
pub mod builder;
pub mod charset;
#[cfg(feature = "codec")]
pub mod codec;
pub mod delims;
pub mod error;
pub mod escape;
pub mod header;
pub mod message;
mod parse;
pub mod path;
pub mod ts;
pub mod value;

pub use ack::{
    AckCode, AckError, AckParams, ErrorLocation, Outcome, build_ack, build_nak_for_unparsed,
};
pub use batch::Batch;
pub use builder::{MessageBuf, SegmentBuf};
pub use charset::Charset;
pub use delims::Delimiters;
pub use error::{ParseError, ParseErrorKind};
pub use header::Header;
pub use message::Message;
pub use path::{Path, PathError};
pub use ts::Timestamp;
pub use value::{Level, Segment, Value};
