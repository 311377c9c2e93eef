//! One accepted association: reads PDUs, answers C-ECHO, and for each C-STORE streams the data
//! set fragments into an `InstanceWriter` as they arrive, journals the instance metadata through
//! [`Ingest::accept`], and only then answers: 0x0000 once journaled, 0xA700 when the journal or
//! the disk failed, 0xC000 when the data set cannot be read. An abort or a dropped connection
//! mid-instance removes the temp file; nothing is journaled.

use std::net::SocketAddr;
use std::time::Instant;

use bytes::Bytes;
use dicom_ul::association::Association as _;
use dicom_ul::association::server::AsyncServerAssociation;
use dicom_ul::pdu::{PDataValue, PDataValueType, Pdu, PresentationContextResultReason};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use super::INSTANCE_CONTENT_TYPE;
use super::dimse::{Command, field, status};
use super::instance::{InstanceMeta, InstanceWriter, StoreError};
use super::scp::Shared;
use crate::ingest::{Inbound, Ingest, IngestOutcome};
use crate::metrics::RejectReason;

/// Largest command set we buffer (real ones are a few hundred bytes).
const MAX_COMMAND: usize = 64 * 1024;

/// The C-STORE in progress on an association.
struct Store {
    cmd: Command,
    pc_id: u8,
    writer: Option<InstanceWriter>,
    failed: Option<StoreError>,
    started: Instant,
}

/// Namespace for [`Association::serve`].
pub(crate) struct Association;

impl Association {
    /// Negotiates and serves one association to its end.
    pub(crate) async fn serve<I: Ingest>(
        shared: &Shared<I>,
        stream: TcpStream,
        peer: SocketAddr,
        shutdown: CancellationToken,
    ) {
        let source = shared.config.name.as_str();
        let limit = shared.config.association_timeout;
        // A-ASSOCIATE-RJ (unknown AE titles) is sent by dicom-ul before it returns the error.
        let failed = if shared.config.tls.is_some() {
            match tokio::time::timeout(limit, shared.options.establish_tls_async(stream)).await {
                Ok(Ok(a)) => return Self::run(shared, a, peer, shutdown).await,
                Ok(Err(e)) => Some(e),
                Err(_) => None,
            }
        } else {
            match tokio::time::timeout(limit, shared.options.establish_async(stream)).await {
                Ok(Ok(a)) => return Self::run(shared, a, peer, shutdown).await,
                Ok(Err(e)) => Some(e),
                Err(_) => None,
            }
        };
        match failed {
            Some(e) => {
                info!(source, %peer, error = %e, "DICOM association not established");
                shared.metrics.rejected(source, RejectReason::Validate);
            }
            None => info!(source, %peer, "DICOM association negotiation timed out"),
        }
    }

    /// Serves an established association until release, abort or error.
    async fn run<I: Ingest, S>(
        shared: &Shared<I>,
        mut assoc: AsyncServerAssociation<S>,
        peer: SocketAddr,
        shutdown: CancellationToken,
    ) where
        S: AsyncRead + AsyncWrite + Unpin + Send,
    {
        let source = shared.config.name.as_str();
        let _guard = shared.metrics.connection(source);
        let calling = assoc.peer_ae_title().trim().to_owned();
        debug!(source, %peer, calling, "DICOM association established");
        let mut cmd_buf: Vec<u8> = Vec::new();
        let mut store: Option<Store> = None;
        loop {
            let pdu = tokio::select! {
                () = shutdown.cancelled(), if store.is_none() => {
                    let _ = assoc.abort().await;
                    return;
                }
                res = assoc.receive() => res,
            };
            let values = match pdu {
                Ok(Pdu::PData { data }) => data,
                Ok(Pdu::ReleaseRQ) => {
                    let _ = assoc.send(&Pdu::ReleaseRP).await;
                    debug!(source, %peer, "DICOM association released");
                    return;
                }
                Ok(Pdu::AbortRQ { .. }) => {
                    info!(source, %peer, in_progress = store.is_some(), "DICOM association aborted by peer");
                    return;
                }
                Ok(other) => {
                    warn!(source, %peer, pdu = %other.short_description(), "unexpected PDU; aborting");
                    let _ = assoc.abort().await;
                    return;
                }
                Err(e) => {
                    info!(source, %peer, error = %e, in_progress = store.is_some(), "DICOM association ended");
                    return;
                }
            };
            for v in values {
                let reply = match v.value_type {
                    PDataValueType::Command => {
                        if cmd_buf.len() + v.data.len() > MAX_COMMAND {
                            warn!(source, %peer, "DICOM command set too large; aborting");
                            let _ = assoc.abort().await;
                            return;
                        }
                        cmd_buf.extend_from_slice(&v.data);
                        if !v.is_last {
                            continue;
                        }
                        let bytes = std::mem::take(&mut cmd_buf);
                        on_command(
                            shared,
                            &assoc,
                            &calling,
                            v.presentation_context_id,
                            &bytes,
                            &mut store,
                        )
                        .await
                    }
                    PDataValueType::Data => on_data(shared, &calling, peer, v, &mut store).await,
                };
                if let Some((pc_id, rsp)) = reply {
                    let pdu = Pdu::PData {
                        data: vec![PDataValue {
                            presentation_context_id: pc_id,
                            value_type: PDataValueType::Command,
                            is_last: true,
                            data: rsp,
                        }],
                    };
                    if let Err(e) = assoc.send(&pdu).await {
                        info!(source, %peer, error = %e, "DICOM response not sent");
                        return;
                    }
                }
            }
        }
    }
}

/// Handles a complete command set; returns a response to send now, if any.
async fn on_command<I: Ingest, S>(
    shared: &Shared<I>,
    assoc: &AsyncServerAssociation<S>,
    calling: &str,
    pc_id: u8,
    bytes: &[u8],
    store: &mut Option<Store>,
) -> Option<(u8, Vec<u8>)>
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    let source = shared.config.name.as_str();
    let cmd = match Command::decode(bytes) {
        Ok(c) => c,
        Err(e) => {
            warn!(source, error = %e, "unreadable DIMSE command");
            return None;
        }
    };
    match cmd.field {
        field::C_ECHO_RQ => Some((pc_id, cmd.response(status::SUCCESS, None))),
        field::C_STORE_RQ => {
            let ts = assoc
                .presentation_contexts()
                .iter()
                .find(|pc| {
                    pc.id == pc_id && pc.reason == PresentationContextResultReason::Acceptance
                })
                .map(|pc| super::syntax::trim_uid(&pc.transfer_syntax).to_owned());
            let Some(ts) = ts else {
                return Some((pc_id, cmd.response(status::SOP_CLASS_NOT_SUPPORTED, None)));
            };
            let (writer, failed) = match InstanceWriter::create(
                &shared.config.store_path,
                &cmd.sop_class,
                &cmd.sop_instance,
                &ts,
                calling,
                &shared.config.ae_title,
            )
            .await
            {
                Ok(w) => (Some(w), None),
                Err(e) => (None, Some(e)),
            };
            let no_data = !cmd.has_data_set;
            *store = Some(Store {
                cmd,
                pc_id,
                writer,
                failed,
                started: Instant::now(),
            });
            if no_data {
                let s = store.take()?;
                return Some((
                    s.pc_id,
                    s.cmd
                        .response(status::CANNOT_UNDERSTAND, Some("no data set")),
                ));
            }
            None
        }
        other => {
            debug!(source, field = other, "unsupported DIMSE command ignored");
            None
        }
    }
}

/// Writes one data fragment; on the last one finishes the instance and answers.
async fn on_data<I: Ingest>(
    shared: &Shared<I>,
    calling: &str,
    peer: SocketAddr,
    v: PDataValue,
    store: &mut Option<Store>,
) -> Option<(u8, Vec<u8>)> {
    let s = store.as_mut()?;
    if let Some(w) = s.writer.as_mut()
        && let Err(e) = w.write(&v.data).await
    {
        s.writer = None;
        s.failed = Some(e);
    }
    if !v.is_last {
        return None;
    }
    let s = store.take()?;
    let source = shared.config.name.as_str();
    let finished = match (s.writer, s.failed) {
        (Some(w), None) => w.finish(calling).await,
        (_, Some(e)) => Err(e),
        (None, None) => Err(StoreError::Unreadable("no writer".into())),
    };
    let meta = match finished {
        Ok(m) => m,
        Err(e) => {
            let code = match e {
                StoreError::Io(_) => status::OUT_OF_RESOURCES,
                _ => status::CANNOT_UNDERSTAND,
            };
            warn!(source, error = %e, status = code, "DICOM instance not stored");
            shared.metrics.rejected(source, RejectReason::Unavailable);
            return Some((s.pc_id, s.cmd.response(code, Some(&e.to_string()))));
        }
    };
    let code = journal(shared, &meta, peer).await;
    shared.metrics.ack_latency(source, s.started);
    Some((s.pc_id, s.cmd.response(code, None)))
}

/// Journals the instance; returns the C-STORE status to answer with.
async fn journal<I: Ingest>(shared: &Shared<I>, meta: &InstanceMeta, peer: SocketAddr) -> u16 {
    let source = shared.config.name.as_str();
    let message_type = format!("DICOM^{}", meta.modality.as_deref().unwrap_or("UNKNOWN"));
    let raw = match serde_json::to_vec(meta) {
        Ok(r) => r,
        Err(_) => return status::OUT_OF_RESOURCES,
    };
    shared.metrics.received(source, Some(&message_type));
    let msg = Inbound {
        source: source.to_owned(),
        peer: Some(peer.to_string()),
        received_at_ms: crate::now_ms(),
        content_type: INSTANCE_CONTENT_TYPE.into(),
        raw: Bytes::from(raw),
        message_type: Some(message_type.clone()),
        control_id: Some(meta.sop_instance_uid.clone()),
        sender: Some(meta.calling_ae.clone()),
    };
    match shared.ingest.accept(msg).await {
        IngestOutcome::Accepted { id } => {
            debug!(
                source,
                journal_id = id,
                size = meta.size,
                "DICOM instance journaled"
            );
            shared.metrics.accepted(source, Some(&message_type));
        }
        IngestOutcome::Duplicate { original } => {
            debug!(
                source,
                journal_id = original,
                "DICOM instance already journaled"
            );
            shared.metrics.duplicate(source);
        }
        IngestOutcome::Unavailable { reason } => {
            warn!(
                source,
                reason, "DICOM instance not journaled: answering 0xA700"
            );
            shared.metrics.rejected(source, RejectReason::Unavailable);
            return status::OUT_OF_RESOURCES;
        }
    }
    if let Some(t) = &shared.tracker {
        t.record(meta);
    }
    status::SUCCESS
}
