//! What goes to and comes from MESH: an [`OutgoingMessage`] to send, an [`InboxMessage`]
//! downloaded whole, and what tracking by local id found ([`Tracked`]). `Debug` never shows a
//! body or a subject (they may carry patient data).

use bytes::Bytes;

/// One message to send.
#[derive(Clone)]
pub struct OutgoingMessage {
    /// The recipient mailbox (`mex-To`).
    pub to: String,
    /// The workflow id (`mex-WorkflowID`).
    pub workflow_id: String,
    /// `mex-Subject`, if any.
    pub subject: Option<String>,
    /// `mex-LocalID`: the sender's reference (no patient data), used for tracking.
    pub local_id: Option<String>,
    /// `mex-FileName`, if any.
    pub file_name: Option<String>,
    /// What the body is once decoded (sent as `mex-Content-Type`, and as `Content-Type` when
    /// the message is one chunk).
    pub content_type: String,
    /// The message.
    pub body: Bytes,
    /// Gzip each chunk (`Content-Encoding: gzip`); the recipient gets the original bytes back.
    pub gzip: bool,
    /// Largest chunk, counted on the uncompressed bytes; `None` = 20 MB.
    pub chunk_size: Option<usize>,
}

/// `Debug` leaves out the body and the subject.
impl std::fmt::Debug for OutgoingMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutgoingMessage")
            .field("to", &self.to)
            .field("workflow_id", &self.workflow_id)
            .field("local_id", &self.local_id)
            .field("len", &self.body.len())
            .field("gzip", &self.gzip)
            .finish_non_exhaustive()
    }
}

/// One inbox message, downloaded whole (every chunk, gunzipped when sent compressed).
#[derive(Clone, PartialEq, Eq)]
pub struct InboxMessage {
    /// MESH's message id.
    pub message_id: String,
    /// `DATA`, or `REPORT` for an error report about a message we sent.
    pub message_type: String,
    /// The sender mailbox (`mex-From`).
    pub from: Option<String>,
    /// `mex-WorkflowID`.
    pub workflow_id: Option<String>,
    /// `mex-Subject`.
    pub subject: Option<String>,
    /// The sender's `mex-LocalID`.
    pub local_id: Option<String>,
    /// `mex-FileName`.
    pub file_name: Option<String>,
    /// `mex-Content-Type`, else the answer's `Content-Type`.
    pub content_type: Option<String>,
    /// `mex-StatusCode` (`00` for a delivered message; an error code on a report).
    pub status_code: Option<String>,
    /// `mex-StatusDescription`.
    pub status_description: Option<String>,
    /// `mex-LinkedMsgID`: on a report, the message it is about.
    pub linked_message_id: Option<String>,
    /// How many chunks it came in.
    pub chunks: usize,
    /// The message bytes as the sender gave them.
    pub body: Bytes,
}

/// `Debug` leaves out the body and the subject.
impl std::fmt::Debug for InboxMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InboxMessage")
            .field("message_id", &self.message_id)
            .field("message_type", &self.message_type)
            .field("from", &self.from)
            .field("workflow_id", &self.workflow_id)
            .field("chunks", &self.chunks)
            .field("len", &self.body.len())
            .finish_non_exhaustive()
    }
}

/// What MESH knows about the messages we sent under one local id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tracked {
    /// None.
    NotFound,
    /// One, with its message id and status (`Accepted`, `Acknowledged`, `Uploading`, …).
    One {
        /// MESH's message id.
        message_id: String,
        /// MESH's status text.
        status: String,
    },
    /// More than one (MESH answered 300).
    Many,
}
