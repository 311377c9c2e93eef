//! The DICOM components in the running gateway: each `dicom` source is bound with its study
//! tracker (rebuilt from the store's recent files at start, so a study interrupted by a restart
//! is still announced), and each `dicom_store` destination gets its C-STORE sink.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use junction_connectors::Ingest;
use junction_connectors::dicom::{
    DicomSource, DicomSourceConfig, DicomStoreSink, DicomStoreSinkConfig, StudyTracker,
};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::convert;
use crate::config::{self, Config, Destination, SourceKind};
use crate::telemetry::Readiness;

/// How long a notified study is remembered (a later instance of it makes a new, larger
/// notification rather than starting from one instance), and how far back the tracker looks in
/// the store at start-up.
const STUDY_MEMORY: Duration = Duration::from_secs(3600);

/// The DICOM sources' names (for readiness).
pub fn source_names(cfg: &Config) -> impl Iterator<Item = String> + '_ {
    cfg.sources
        .iter()
        .filter(|s| matches!(s.kind, SourceKind::Dicom(_)))
        .map(|s| s.name.clone())
}

/// A DICOM source's settings.
pub fn source_config(name: &str, d: &config::DicomSource) -> DicomSourceConfig {
    DicomSourceConfig {
        accepted_calling_aes: d.accepted_calling_aes.clone(),
        max_pdu: u32::try_from(d.max_pdu).unwrap_or(u32::MAX),
        association_timeout: d.association_timeout,
        idle_timeout: d.idle_timeout,
        max_associations: d.max_associations as usize,
        tls: d.tls.as_ref().map(convert::server_tls),
        ..DicomSourceConfig::new(name, d.listen.to_string(), d.ae_title.trim(), &d.store_path)
    }
}

/// Binds every DICOM source, recovers and starts its study tracker, and starts serving; records
/// each bound address in `bound` (the ready line's `sources`) and in `readiness`.
pub async fn spawn_sources<I: Ingest>(
    cfg: &Config,
    ingest: &Arc<I>,
    metrics: &junction_connectors::Metrics,
    readiness: &Readiness,
    bound: &mut serde_json::Map<String, serde_json::Value>,
    tasks: &mut JoinSet<()>,
    shutdown: &CancellationToken,
) -> anyhow::Result<()> {
    for src in &cfg.sources {
        let SourceKind::Dicom(d) = &src.kind else {
            continue;
        };
        let ctx = || format!("source `{}`", src.name);
        let source =
            DicomSource::bind(source_config(&src.name, d), ingest.clone(), metrics.clone())
                .await
                .with_context(|| format!("source `{}`: binding {}", src.name, d.listen))?;
        let tracker = StudyTracker::new(&src.name, d.quiet_period, STUDY_MEMORY);
        // Instances stored before a restart: their studies are announced again after the quiet
        // period (a study already journaled is a duplicate and routes nothing new).
        let recovered = tracker
            .recover(&d.store_path, STUDY_MEMORY)
            .await
            .with_context(|| format!("reading the DICOM store {}", d.store_path.display()))
            .with_context(ctx)?;
        if recovered > 0 {
            tracing::info!(
                source = src.name,
                instances = recovered,
                "DICOM studies recovered from the store"
            );
        }
        tasks.spawn(tracker.clone().run(ingest.clone(), shutdown.child_token()));
        bound.insert(src.name.clone(), source.local_addr().to_string().into());
        readiness.set_listener_bound(&src.name);
        tasks.spawn(source.with_tracker(tracker).run(shutdown.child_token()));
    }
    Ok(())
}

/// A `dicom_store` destination's sink.
pub fn sink(
    cfg: &Config,
    dest: &Destination,
    d: &config::DicomStoreSink,
    metrics: &junction_connectors::Metrics,
) -> anyhow::Result<DicomStoreSink> {
    let store_path = d
        .store_path(&cfg.sources)
        .context("no store_path, and not exactly one DICOM source to take it from")?;
    let config = DicomStoreSinkConfig {
        destination: dest.name.clone(),
        addr: d.address.clone(),
        called_ae: d.called_ae.trim().to_owned(),
        calling_ae: d.calling_ae.trim().to_owned(),
        store_path: store_path.to_path_buf(),
        max_pdu: u32::try_from(d.max_pdu).unwrap_or(u32::MAX),
        timeout: d.timeout,
        tls: d.tls.as_ref().map(convert::client_tls),
    };
    Ok(DicomStoreSink::new(config, metrics.clone())?)
}

/// How long one forwarding of a study may take: `timeout` bounds each network step; a study
/// is many instances, so the whole send gets twenty of them.
pub fn send_timeout(d: &config::DicomStoreSink) -> Duration {
    d.timeout * 20
}
