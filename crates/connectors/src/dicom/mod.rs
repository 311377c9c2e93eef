//! DICOM for PACS: a C-ECHO/C-STORE receiver ([`DicomSource`]) that streams each instance to
//! disk and journals its metadata before answering, a [`StudyTracker`] that journals one
//! study-complete notification after a quiet period, and a C-STORE forwarding sink
//! ([`DicomStoreSink`]) that sends a study's stored files on, unchanged.
//!
//! ```text
//! modality/PACS ─C-STORE─▶ DicomSource ─▶ <store>/<SOP Instance UID>.dcm (temp file, rename)
//!                               │──▶ Ingest (instance JSON) ─▶ C-STORE-RSP 0x0000 / 0xA700
//!                               └──▶ StudyTracker ─(quiet period)─▶ Ingest (study JSON)
//! dispatcher ─▶ DicomStoreSink ─C-STORE (same transfer syntax, streamed from the file)─▶ PACS
//! ```
//!
//! Upper-layer association and PDU handling is `dicom-ul`; command sets and file meta groups
//! are `dicom-object`. Instances are never transcoded: the file meta group carries the transfer
//! syntax the instance arrived in, and the sink proposes that same one.

mod assoc;
mod dimse;
mod instance;
mod scp;
mod scu;
mod syntax;
mod tracker;

pub use instance::{InstanceMeta, StoreError, is_valid_uid};
pub use scp::{DicomSource, DicomSourceConfig};
pub use scu::{DicomStoreSink, DicomStoreSinkConfig};
pub use syntax::{STORAGE_SOP_CLASSES, TRANSFER_SYNTAXES, VERIFICATION};
pub use tracker::{StudyInstance, StudySeries, StudySummary, StudyTracker};

/// Content type of one received instance's metadata (the journaled `raw` is its JSON).
pub const INSTANCE_CONTENT_TYPE: &str = "application/vnd.junction.dicom-instance+json";
/// Content type of a study-complete notification (the journaled `raw` is its JSON).
pub const STUDY_CONTENT_TYPE: &str = "application/vnd.junction.dicom-study+json";
