//! Batches over MLLP (FHS/BHS … BTS/FTS in one frame). Each message in the batch is journaled
//! (or rejected) on its own, in order, and the answer is one frame holding a batch of ACKs,
//! one per message, as HL7 v2 prescribes for batch acknowledgement:
//! `[FHS] BHS {MSH MSA [ERR]}… BTS [FTS]`. If the journal becomes unavailable part way, the
//! rest of the batch is answered `AR` without being offered to it; the sender resends the
//! batch and the messages already journaled come back as duplicates (ACKed `AA`).

use bytes::Bytes;
use junction_hl7v2::{Batch, Outcome};

use super::conn::{Answer, Connection};
use crate::hl7::{self, Invalid};
use crate::ingest::Ingest;
use crate::metrics::RejectReason;

impl<I: Ingest> Connection<I> {
    pub(crate) async fn handle_batch(&self, frame: Bytes, peer: &str) -> Answer {
        let batch = match Batch::split(&frame) {
            Ok(b) if !b.messages.is_empty() => b,
            Ok(_) => {
                let invalid = Invalid::other(RejectReason::Parse, "batch holds no message".into());
                return self.reject(frame, peer, invalid).await;
            }
            Err(e) => {
                let invalid = Invalid::from_parse(&e, RejectReason::Parse, Default::default());
                return self.reject(frame, peer, invalid).await;
            }
        };
        let timestamp = junction_hl7v2::ts::format_unix_millis(crate::now_ms());
        let mut out = Vec::new();
        if batch.file_header.is_some() {
            out.extend_from_slice(format!("FHS|^~\\&|||||{timestamp}\r").as_bytes());
        }
        out.extend_from_slice(format!("BHS|^~\\&|||||{timestamp}\r").as_bytes());
        let mut unavailable = false;
        for part in &batch.messages {
            let raw = frame.slice_ref(part);
            if unavailable {
                self.metrics.received(&self.source, None);
                self.metrics
                    .rejected(&self.source, RejectReason::Unavailable);
                let error =
                    hl7::unavailable_error("an earlier message in the batch was not stored");
                let ack = hl7::ack_bytes(
                    &raw,
                    Outcome::Reject,
                    &hl7::ack_control_id(None),
                    Some(&error),
                );
                out.extend_from_slice(&ack);
                continue;
            }
            let answer = self.handle_message(raw, peer).await;
            unavailable = answer.unavailable;
            out.extend_from_slice(&answer.ack);
        }
        out.extend_from_slice(format!("BTS|{}\r", batch.messages.len()).as_bytes());
        if batch.file_header.is_some() {
            out.extend_from_slice(b"FTS|1\r");
        }
        Answer {
            ack: out,
            unavailable,
        }
    }
}
