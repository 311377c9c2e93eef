//! The C-STORE forwarding sink ([`DicomStoreSink`]): for a study event (or study JSON), opens
//! one association to the remote AE proposing, per SOP class, exactly the transfer syntax each
//! stored file already has, and C-STOREs every instance, streaming the data set from the file
//! (never transcoded, never held whole in memory).
//!
//! Outcomes: all sent → `Delivered`; association rejected, network error or timeout → `Retry`;
//! a C-STORE failure status, a refused presentation context, a missing file or a payload naming
//! no instances → `Permanent`.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use dicom_object::FileMetaTable;
use dicom_ul::association::client::{AsyncClientAssociation, ClientAssociationOptions};
use dicom_ul::pdu::{PDataValue, PDataValueType, Pdu, PresentationContextResultReason};
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncSeekExt, AsyncWrite};

use super::dimse::{self, Command};
use super::instance::instance_path;
use crate::error::ConnectorError;
use crate::metrics::Metrics;
use crate::sink::{OutboundDelivery, SendOutcome, Sink};
use crate::tls::{TlsClientConfig, client_config};

/// Settings for one DICOM destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DicomStoreSinkConfig {
    /// The destination's name (metric labels).
    pub destination: String,
    /// Remote `host:port`.
    pub addr: String,
    /// The remote AE title (called).
    pub called_ae: String,
    /// Our AE title (calling).
    pub calling_ae: String,
    /// The DICOM source's store directory, where `<SOP Instance UID>.dcm` files are.
    pub store_path: PathBuf,
    /// Largest PDU we accept from the peer.
    pub max_pdu: u32,
    /// Bound on each network read or write, and on connecting.
    pub timeout: Duration,
    /// DICOM over TLS to the remote AE; `None` for plain TCP.
    pub tls: Option<TlsClientConfig>,
}

/// Forwards stored studies by C-STORE.
pub struct DicomStoreSink {
    config: DicomStoreSinkConfig,
    /// The rustls config and the name to verify, when TLS is on.
    tls: Option<(Arc<rustls::ClientConfig>, String)>,
    metrics: Metrics,
}

/// One file to send.
struct File {
    path: PathBuf,
    sop_class: String,
    sop_instance: String,
    ts: String,
    data_offset: u64,
}

impl DicomStoreSink {
    /// A sink for `config` (loads the TLS material, if any).
    pub fn new(config: DicomStoreSinkConfig, metrics: Metrics) -> Result<Self, ConnectorError> {
        if config.called_ae.trim().is_empty() || config.calling_ae.trim().is_empty() {
            return Err(ConnectorError::Config(
                "a DICOM sink needs called and calling AE titles".into(),
            ));
        }
        let tls = match &config.tls {
            Some(t) => {
                let host = config
                    .addr
                    .rsplit_once(':')
                    .map_or(config.addr.as_str(), |(h, _)| h);
                let name = t.server_name.clone().unwrap_or_else(|| host.to_owned());
                Some((client_config(t)?, name))
            }
            None => None,
        };
        Ok(Self {
            config,
            tls,
            metrics,
        })
    }

    async fn send_all(&self, payload: &str) -> SendOutcome {
        let uids = match instance_uids(payload) {
            Ok(u) if !u.is_empty() => u,
            Ok(_) => return SendOutcome::permanent("payload names no DICOM instances"),
            Err(e) => return SendOutcome::permanent(e),
        };
        let store = self.config.store_path.clone();
        let files = tokio::task::spawn_blocking(move || {
            uids.iter()
                .map(|u| open_meta(&store, u))
                .collect::<Result<Vec<File>, String>>()
        })
        .await;
        let files = match files {
            Ok(Ok(f)) => f,
            Ok(Err(e)) => return SendOutcome::permanent(e),
            Err(e) => return SendOutcome::retry(format!("reading stored files: {e}")),
        };
        let mut contexts: Vec<(String, String)> = files
            .iter()
            .map(|f| (f.sop_class.clone(), f.ts.clone()))
            .collect();
        contexts.sort();
        contexts.dedup();
        if contexts.len() > 128 {
            return SendOutcome::permanent("more than 128 SOP class / transfer syntax pairs");
        }
        let mut options = ClientAssociationOptions::new()
            .calling_ae_title(self.config.calling_ae.clone())
            .called_ae_title(self.config.called_ae.clone())
            .max_pdu_length(self.config.max_pdu)
            .read_timeout(self.config.timeout)
            .write_timeout(self.config.timeout)
            .connection_timeout(self.config.timeout);
        for (class, ts) in &contexts {
            options = options.with_presentation_context(class.clone(), vec![ts.clone()]);
        }
        let addr = self.config.addr.as_str();
        match &self.tls {
            Some((tls, name)) => {
                let options = options.tls_config(Arc::clone(tls)).server_name(name);
                match options.establish_tls_async(addr).await {
                    Ok(a) => send_files(a, &files).await,
                    Err(e) => SendOutcome::retry(format!("DICOM association failed: {e}")),
                }
            }
            None => match options.establish_async(addr).await {
                Ok(a) => send_files(a, &files).await,
                Err(e) => SendOutcome::retry(format!("DICOM association failed: {e}")),
            },
        }
    }
}

/// C-STOREs every file on an established association, then releases it.
async fn send_files<S>(mut assoc: AsyncClientAssociation<S>, files: &[File]) -> SendOutcome
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    for (n, f) in files.iter().enumerate() {
        let Some(pc) = assoc
            .presentation_contexts()
            .iter()
            .find(|pc| {
                pc.reason == PresentationContextResultReason::Acceptance
                    && super::syntax::trim_uid(&pc.abstract_syntax) == f.sop_class
                    && super::syntax::trim_uid(&pc.transfer_syntax) == f.ts
            })
            .map(|pc| pc.id)
        else {
            let _ = assoc.abort().await;
            return SendOutcome::permanent(format!(
                "peer refused SOP class {} with transfer syntax {}",
                f.sop_class, f.ts
            ));
        };
        let message_id = u16::try_from(n % 65_535 + 1).unwrap_or(1);
        let cmd = dimse::c_store_rq(message_id, &f.sop_class, &f.sop_instance);
        let sent = async {
            assoc
                .send(&Pdu::PData {
                    data: vec![PDataValue {
                        presentation_context_id: pc,
                        value_type: PDataValueType::Command,
                        is_last: true,
                        data: cmd,
                    }],
                })
                .await
                .map_err(|e| e.to_string())?;
            let mut file = tokio::fs::File::open(&f.path)
                .await
                .map_err(|e| e.to_string())?;
            file.seek(std::io::SeekFrom::Start(f.data_offset))
                .await
                .map_err(|e| e.to_string())?;
            let mut w = assoc.send_pdata(pc);
            tokio::io::copy(&mut file, &mut w)
                .await
                .map_err(|e| e.to_string())?;
            w.finish().await.map_err(|e| e.to_string())
        }
        .await;
        if let Err(e) = sent {
            return SendOutcome::retry(format!("C-STORE send failed: {e}"));
        }
        let rsp = match read_response(&mut assoc).await {
            Ok(r) => r,
            Err(e) => return SendOutcome::retry(format!("C-STORE response: {e}")),
        };
        // Success, or a warning (0x0001, 0xBxxx): the peer has the instance.
        if !(rsp.status == 0 || rsp.status == 0x0001 || rsp.status & 0xF000 == 0xB000) {
            let _ = assoc.release().await;
            let comment = rsp
                .error_comment
                .map(|c| format!(" ({c})"))
                .unwrap_or_default();
            return SendOutcome::permanent(format!(
                "C-STORE failed with status 0x{:04X}{comment}",
                rsp.status
            ));
        }
    }
    let _ = assoc.release().await;
    SendOutcome::Delivered
}

impl Sink for DicomStoreSink {
    async fn send(&self, d: &OutboundDelivery) -> SendOutcome {
        let started = Instant::now();
        let outcome = self.send_all(&d.payload).await;
        self.metrics
            .sink_send(&self.config.destination, &outcome, started.elapsed());
        outcome
    }
}

/// Reads PDUs until a complete command set arrives.
async fn read_response<S>(assoc: &mut AsyncClientAssociation<S>) -> Result<Command, String>
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    let mut buf = Vec::new();
    loop {
        match assoc.receive().await.map_err(|e| e.to_string())? {
            Pdu::PData { data } => {
                for v in data {
                    if v.value_type == PDataValueType::Command {
                        buf.extend_from_slice(&v.data);
                        if v.is_last {
                            return Command::decode(&buf).map_err(|e| e.to_string());
                        }
                    }
                }
            }
            Pdu::AbortRQ { .. } => return Err("peer aborted the association".into()),
            other => return Err(format!("unexpected {}", other.short_description())),
        }
    }
}

/// The SOP Instance UIDs a payload names: a study JSON (`series[].instances[].sop_instance_uid`)
/// or an event whose bundle holds an ImagingStudy (`series[].instance[].uid`).
fn instance_uids(payload: &str) -> Result<Vec<String>, String> {
    let v: Value = serde_json::from_str(payload).map_err(|e| {
        format!(
            "payload is not JSON (line {} column {})",
            e.line(),
            e.column()
        )
    })?;
    let strs = |arr: Option<&Value>, inner: &str, key: &str| -> Vec<String> {
        arr.and_then(Value::as_array)
            .into_iter()
            .flatten()
            .flat_map(|s| s.get(inner).and_then(Value::as_array).into_iter().flatten())
            .filter_map(|i| i.get(key).and_then(Value::as_str).map(str::to_owned))
            .collect()
    };
    if v.get("study_instance_uid").is_some() {
        return Ok(strs(v.get("series"), "instances", "sop_instance_uid"));
    }
    let entries = v
        .pointer("/bundle/entry")
        .or_else(|| v.pointer("/entry"))
        .and_then(Value::as_array)
        .ok_or("payload is neither a study JSON nor an event with a bundle")?;
    Ok(entries
        .iter()
        .filter_map(|e| e.get("resource"))
        .filter(|r| r.get("resourceType").and_then(Value::as_str) == Some("ImagingStudy"))
        .flat_map(|r| {
            strs(r.get("series"), "instance", "uid")
                .into_iter()
                .map(|u| u.strip_prefix("urn:oid:").map_or(u.clone(), str::to_owned))
        })
        .collect())
}

/// Reads a stored file's meta group: SOP class, transfer syntax, where the data set starts.
fn open_meta(store: &Path, uid: &str) -> Result<File, String> {
    let path = instance_path(store, uid).map_err(|e| e.to_string())?;
    let mut f = std::fs::File::open(&path)
        .map_err(|e| format!("stored instance {uid} cannot be opened: {e}"))?;
    let mut preamble = [0u8; 128];
    f.read_exact(&mut preamble)
        .map_err(|e| format!("stored instance {uid} is truncated: {e}"))?;
    let meta = FileMetaTable::from_reader(std::io::BufReader::new(f))
        .map_err(|e| format!("stored instance {uid} has no readable file meta group: {e}"))?;
    Ok(File {
        sop_class: super::syntax::trim_uid(meta.media_storage_sop_class_uid()).to_owned(),
        sop_instance: uid.to_owned(),
        ts: super::syntax::trim_uid(meta.transfer_syntax()).to_owned(),
        // preamble + "DICM" + group length element (12 bytes) + the rest of group 0002
        data_offset: 128 + 4 + 12 + u64::from(meta.information_group_length),
        path,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uids_from_study_json_and_from_an_event() {
        let study = r#"{"study_instance_uid":"1.2","series":[{"instances":[{"sop_instance_uid":"1.2.3"},{"sop_instance_uid":"1.2.4"}]}]}"#;
        assert_eq!(instance_uids(study).unwrap(), ["1.2.3", "1.2.4"]);
        let event = r#"{"bundle":{"entry":[{"resource":{"resourceType":"Patient"}},
            {"resource":{"resourceType":"ImagingStudy","series":[{"instance":[{"uid":"1.2.5"}]}]}}]}}"#;
        assert_eq!(instance_uids(event).unwrap(), ["1.2.5"]);
        assert!(instance_uids("nope").is_err());
        assert!(instance_uids("{}").is_err());
    }
}
