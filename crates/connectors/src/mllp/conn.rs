//! One MLLP connection: read a frame, journal it, write its ACK, then read the next, strictly
//! in order. The ACK for a message is written only after the journal answered for it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use junction_hl7v2::Outcome;
use junction_hl7v2::codec::{MllpCodec, MllpError};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_util::codec::Framed;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use super::Io;
use crate::hl7::{self, Invalid};
use crate::ingest::{HL7V2_CONTENT_TYPE, Inbound, Ingest, IngestOutcome};
use crate::metrics::{Metrics, RejectReason};

/// What every connection of one source shares.
pub(crate) struct Connection<I> {
    pub source: String,
    pub ingest: Arc<I>,
    pub metrics: Metrics,
    pub idle_timeout: Duration,
    pub max_frame: usize,
}

/// The answer to one message: the ACK bytes, and whether the journal was unavailable.
pub(crate) struct Answer {
    pub ack: Vec<u8>,
    pub unavailable: bool,
}

/// After an oversize frame: how long and how much to drain before closing, so the peer reads
/// our NAK instead of a reset.
const DRAIN_LIMIT: usize = 16 * 1024 * 1024;
const DRAIN_TIME: Duration = Duration::from_secs(2);

impl<I: Ingest> Connection<I> {
    /// Serves one connection until EOF, error, idle timeout or shutdown.
    pub async fn serve(&self, io: impl Io, peer: SocketAddr, shutdown: CancellationToken) {
        let mut framed = Framed::new(io, MllpCodec::new(self.max_frame));
        let peer_text = peer.to_string();
        loop {
            let next = tokio::select! {
                biased;
                () = shutdown.cancelled() => break,
                next = tokio::time::timeout(self.idle_timeout, framed.next()) => next,
            };
            let frame = match next {
                Err(_) => {
                    info!(source = self.source, %peer, "MLLP connection idle: closing");
                    break;
                }
                Ok(None) => break,
                Ok(Some(Ok(frame))) => frame.freeze(),
                Ok(Some(Err(MllpError::FrameTooLarge { limit }))) => {
                    self.refuse_oversize(&mut framed, peer, limit).await;
                    break;
                }
                Ok(Some(Err(MllpError::Truncated { received }))) => {
                    debug!(source = self.source, %peer, received, "MLLP peer closed inside a frame: nothing to ACK");
                    break;
                }
                Ok(Some(Err(MllpError::Io(e)))) => {
                    debug!(source = self.source, %peer, error = %e, "MLLP read failed");
                    break;
                }
            };
            let started = Instant::now();
            let answer = self.handle_frame(frame, &peer_text).await;
            match tokio::time::timeout(self.idle_timeout, framed.send(answer.ack)).await {
                Ok(Ok(())) => self.metrics.ack_latency(&self.source, started),
                Ok(Err(e)) => {
                    debug!(source = self.source, %peer, error = %e, "MLLP ACK write failed");
                    break;
                }
                Err(_) => {
                    warn!(source = self.source, %peer, "MLLP ACK write timed out: peer not reading");
                    break;
                }
            }
        }
    }

    async fn refuse_oversize(
        &self,
        framed: &mut Framed<impl Io, MllpCodec>,
        peer: SocketAddr,
        limit: usize,
    ) {
        warn!(source = self.source, %peer, limit, "MLLP frame too large: NAK and close");
        self.metrics.received(&self.source, None);
        self.metrics.rejected(&self.source, RejectReason::Oversize);
        let invalid = Invalid::other(
            RejectReason::Oversize,
            format!("frame exceeds {limit} bytes"),
        );
        // The partial frame is still buffered: salvage its MSH so the NAK echoes MSH-10.
        let ack = hl7::ack_bytes(
            framed.read_buffer(),
            Outcome::Error,
            &hl7::ack_control_id(None),
            Some(&*invalid.error),
        );
        if tokio::time::timeout(self.idle_timeout, framed.send(ack))
            .await
            .is_err()
        {
            return;
        }
        // Half-close, then drain what the peer is still sending: closing with unread bytes
        // would reset the connection and could destroy the NAK before the peer reads it.
        let io = framed.get_mut();
        let _ = io.shutdown().await;
        let drain = async {
            let mut buf = vec![0u8; 64 * 1024];
            let mut total = 0;
            while total < DRAIN_LIMIT {
                match io.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => total += n,
                }
            }
        };
        let _ = tokio::time::timeout(DRAIN_TIME.min(self.idle_timeout), drain).await;
    }

    /// Answers one frame: a message, or a batch of them.
    pub(crate) async fn handle_frame(&self, frame: Bytes, peer: &str) -> Answer {
        if junction_hl7v2::Batch::is_batch(&frame) {
            return self.handle_batch(frame, peer).await;
        }
        self.handle_message(frame, peer).await
    }

    /// Journals one message (or its rejection) and builds its ACK.
    pub(crate) async fn handle_message(&self, raw: Bytes, peer: &str) -> Answer {
        match hl7::check(&raw) {
            Ok(info) => {
                let message_type = info.message_type.clone();
                self.metrics.received(&self.source, message_type.as_deref());
                let msg = self.inbound(raw.clone(), peer, info);
                let res = self.ingest.accept(msg).await;
                match res {
                    IngestOutcome::Accepted { id } => {
                        self.metrics.accepted(&self.source, message_type.as_deref());
                        debug!(
                            source = self.source,
                            peer,
                            journal_id = id,
                            len = raw.len(),
                            "MLLP message journaled"
                        );
                        self.answer(&raw, Outcome::Accept, Some(id), None)
                    }
                    IngestOutcome::Duplicate { original } => {
                        self.metrics.duplicate(&self.source);
                        debug!(
                            source = self.source,
                            peer,
                            journal_id = original,
                            "MLLP duplicate"
                        );
                        self.answer(&raw, Outcome::Accept, None, None)
                    }
                    IngestOutcome::Unavailable { reason } => self.unavailable(&raw, peer, &reason),
                }
            }
            Err(invalid) => self.reject(raw, peer, invalid).await,
        }
    }

    /// Journals bytes that cannot be taken and builds the NAK (`AE`, or `AR` if even the
    /// rejection could not be stored).
    pub(crate) async fn reject(&self, raw: Bytes, peer: &str, invalid: Invalid) -> Answer {
        self.metrics
            .received(&self.source, invalid.info.message_type.as_deref());
        let msg = self.inbound(raw.clone(), peer, invalid.info.clone());
        match self.ingest.reject(msg, invalid.reason().to_string()).await {
            IngestOutcome::Accepted { id } | IngestOutcome::Duplicate { original: id } => {
                self.metrics.rejected(&self.source, invalid.kind);
                info!(
                    source = self.source,
                    peer,
                    journal_id = id,
                    reason = invalid.reason(),
                    "MLLP message rejected"
                );
                self.answer(&raw, Outcome::Error, Some(id), Some(&*invalid.error))
            }
            IngestOutcome::Unavailable { reason } => self.unavailable(&raw, peer, &reason),
        }
    }

    fn unavailable(&self, raw: &[u8], peer: &str, reason: &str) -> Answer {
        self.metrics
            .rejected(&self.source, RejectReason::Unavailable);
        warn!(
            source = self.source,
            peer, reason, "journal unavailable: NAK AR"
        );
        let error = hl7::unavailable_error(reason);
        let mut answer = self.answer(raw, Outcome::Reject, None, Some(&error));
        answer.unavailable = true;
        answer
    }

    fn answer(
        &self,
        raw: &[u8],
        outcome: Outcome,
        journal_id: Option<i64>,
        error: Option<&junction_hl7v2::AckError>,
    ) -> Answer {
        let control_id = hl7::ack_control_id(journal_id);
        Answer {
            ack: hl7::ack_bytes(raw, outcome, &control_id, error),
            unavailable: false,
        }
    }

    fn inbound(&self, raw: Bytes, peer: &str, info: hl7::Info) -> Inbound {
        Inbound {
            source: self.source.clone(),
            peer: Some(peer.to_string()),
            received_at_ms: crate::now_ms(),
            content_type: HL7V2_CONTENT_TYPE.to_string(),
            raw,
            message_type: info.message_type,
            control_id: info.control_id,
            sender: info.sender,
        }
    }
}
