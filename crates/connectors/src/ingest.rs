//! The boundary between sources and the journal: what a source hands over ([`Inbound`]) and
//! what the journal answers ([`IngestOutcome`]). The binary implements [`Ingest`] over the store.

use std::future::Future;

use bytes::Bytes;

/// Content type recorded for HL7 v2 ER7 messages.
pub const HL7V2_CONTENT_TYPE: &str = "x-application/hl7-v2+er7";
/// Content type recorded for FHIR JSON.
pub const FHIR_JSON_CONTENT_TYPE: &str = "application/fhir+json";
/// Content type recorded for XML (HL7 v3 messages such as EPS prescriptions).
pub const XML_CONTENT_TYPE: &str = "application/xml";

/// One message as received, with what the source could read from it without decoding it.
#[derive(Clone)]
pub struct Inbound {
    /// The source's name from config.
    pub source: String,
    /// The peer's socket address, when known.
    pub peer: Option<String>,
    /// When the bytes arrived, Unix milliseconds.
    pub received_at_ms: i64,
    /// What the bytes are ([`HL7V2_CONTENT_TYPE`], [`FHIR_JSON_CONTENT_TYPE`]).
    pub content_type: String,
    /// The bytes exactly as received (one message; a batch is split first).
    pub raw: Bytes,
    /// `ADT^A01`, or a FHIR resource type; `None` when unparseable.
    pub message_type: Option<String>,
    /// MSH-10, or a FHIR resource id; `None` when unknown.
    pub control_id: Option<String>,
    /// MSH-3^MSH-4 (application^facility); `None` when unknown.
    pub sender: Option<String>,
}

/// `Debug` leaves out the bytes and the control id (they may carry patient data).
impl std::fmt::Debug for Inbound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inbound")
            .field("source", &self.source)
            .field("peer", &self.peer)
            .field("received_at_ms", &self.received_at_ms)
            .field("content_type", &self.content_type)
            .field("len", &self.raw.len())
            .field("message_type", &self.message_type)
            .finish_non_exhaustive()
    }
}

/// What the journal did with a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IngestOutcome {
    /// Committed under this journal id.
    Accepted {
        /// The journal id.
        id: i64,
    },
    /// Already journaled (same sender and control id): nothing new was stored.
    Duplicate {
        /// The journal id of the first copy.
        original: i64,
    },
    /// Nothing was stored (store down, disk full, shutting down): the sender must retry.
    Unavailable {
        /// Why, for the NAK and the operator (never message content).
        reason: String,
    },
}

/// The journal as sources see it.
pub trait Ingest: Send + Sync + 'static {
    /// Journal the message durably (and, if it was parseable, queue it for routing). Returns
    /// only after the commit.
    fn accept(&self, msg: Inbound) -> impl Future<Output = IngestOutcome> + Send;
    /// Journal bytes that could not be parsed, state rejected with this reason (kept, visible
    /// to operators).
    fn reject(&self, msg: Inbound, reason: String) -> impl Future<Output = IngestOutcome> + Send;
}

impl<T: Ingest> Ingest for std::sync::Arc<T> {
    fn accept(&self, msg: Inbound) -> impl Future<Output = IngestOutcome> + Send {
        T::accept(self, msg)
    }
    fn reject(&self, msg: Inbound, reason: String) -> impl Future<Output = IngestOutcome> + Send {
        T::reject(self, msg, reason)
    }
}
