//! `junction-connectors`: the sources and sinks that do I/O. Sources (MLLP over TCP/TLS, HTTP)
//! hand what they receive to an [`Ingest`] and acknowledge only after it committed; sinks
//! (FHIR over HTTP, MLLP, files) deliver one [`OutboundDelivery`] and say what happened.
//!
//! ```text
//! sender ─▶ mllp::MllpSource / http::HttpSource ─▶ Ingest (journal) ─▶ ACK / 202
//! dispatcher ─▶ Sink (fhir_http::FhirHttpSink, mllp::MllpSink, file::FileSink) ─▶ destination
//! ```
//!
//! Every source and sink reports the same [`metrics::Metrics`]. Nothing here logs message
//! content or patient identifiers: logs carry peers, source and destination names, sizes and
//! journal or delivery ids.

pub mod dicom;
pub mod error;
pub mod fhir_http;
pub mod file;
mod hl7;
pub mod http;
pub mod http_client;
pub mod ingest;
pub mod metered;
pub mod metrics;
pub mod mllp;
pub mod sink;
pub mod tls;

pub use error::ConnectorError;
pub use ingest::{Inbound, Ingest, IngestOutcome};
pub use metrics::Metrics;
pub use sink::{OutboundDelivery, SendOutcome, Sink};

/// Milliseconds since the Unix epoch from the system clock (0 if the clock is before 1970).
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
