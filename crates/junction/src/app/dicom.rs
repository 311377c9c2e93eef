//! The DICOM components in the running gateway: each `dicom` source is bound with its study
//! tracker (rebuilt from the store's recent files at start, so a study interrupted by a restart
//! is still announced) and its pruner (deletes instances older than `keep_instances`), and each
//! `dicom_store` destination gets its C-STORE sink.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

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

/// How often a DICOM source's store is pruned.
const PRUNE_EVERY: Duration = Duration::from_secs(300);

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
        let keep = d.keep_instances.unwrap_or(cfg.store.keep_delivered);
        tasks.spawn(prune_every(
            src.name.clone(),
            d.store_path.clone(),
            keep,
            shutdown.child_token(),
        ));
        bound.insert(src.name.clone(), source.local_addr().to_string().into());
        readiness.set_listener_bound(&src.name);
        tasks.spawn(source.with_tracker(tracker).run(shutdown.child_token()));
    }
    Ok(())
}

/// Deletes the store's instances older than `keep` at start and every few minutes after,
/// until cancelled. Each node prunes its own store: the files are local, whoever leads the
/// cluster.
async fn prune_every(source: String, store: PathBuf, keep: Duration, shutdown: CancellationToken) {
    loop {
        if let Some(cutoff) = SystemTime::now().checked_sub(keep) {
            let dir = store.clone();
            match tokio::task::spawn_blocking(move || prune_instances(&dir, cutoff)).await {
                Ok(Ok(0)) => {}
                Ok(Ok(n)) => tracing::info!(source, deleted = n, "old DICOM instances pruned"),
                Ok(Err(e)) => tracing::warn!(source, error = %e, "pruning the DICOM store failed"),
                Err(e) => tracing::warn!(source, error = %e, "pruning the DICOM store failed"),
            }
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(PRUNE_EVERY) => {}
        }
    }
}

/// Deletes the instances (`*.dcm`) in `store`, and the partial writes a crash left in its
/// `.tmp`, last modified before `cutoff`; how many it deleted. A file that cannot be deleted
/// is left for the next round (and named in the error only by its directory).
fn prune_instances(store: &Path, cutoff: SystemTime) -> std::io::Result<usize> {
    let mut deleted = 0;
    for dir in [store.to_path_buf(), store.join(".tmp")] {
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        let in_tmp = dir != store;
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(meta) = entry.metadata() else { continue };
            let is_instance = path.extension().is_some_and(|e| e == "dcm");
            let old = meta.modified().is_ok_and(|t| t < cutoff);
            if meta.is_file() && old && (is_instance || in_tmp) {
                match std::fs::remove_file(&path) {
                    Ok(()) => deleted += 1,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => {
                        return Err(std::io::Error::new(
                            e.kind(),
                            format!("deleting a file in {}: {e}", dir.display()),
                        ));
                    }
                }
            }
        }
    }
    Ok(deleted)
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes `name` under `dir`, last modified `age` ago.
    fn file(dir: &Path, name: &str, age: Duration) -> PathBuf {
        let path = dir.join(name);
        let f = std::fs::File::create(&path).unwrap();
        f.set_modified(SystemTime::now() - age).unwrap();
        path
    }

    #[test]
    fn pruning_deletes_old_instances_and_partial_writes_only() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join(".tmp")).unwrap();
        let day = Duration::from_secs(86_400);
        let old = file(dir.path(), "1.2.826.0.1.3680043.10.1.dcm", 40 * day);
        let recent = file(dir.path(), "1.2.826.0.1.3680043.10.2.dcm", 2 * day);
        let not_ours = file(dir.path(), "README.txt", 40 * day);
        let partial = file(&dir.path().join(".tmp"), "upload-7", 40 * day);
        let writing = file(&dir.path().join(".tmp"), "upload-8", Duration::ZERO);
        let cutoff = SystemTime::now() - 30 * day;

        assert_eq!(prune_instances(dir.path(), cutoff).unwrap(), 2);
        assert!(!old.exists() && !partial.exists());
        assert!(recent.exists() && not_ours.exists() && writing.exists());
        assert_eq!(
            prune_instances(dir.path(), cutoff).unwrap(),
            0,
            "nothing left to prune"
        );
    }

    #[test]
    fn a_store_not_yet_created_prunes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("dicom");
        assert_eq!(prune_instances(&missing, SystemTime::now()).unwrap(), 0);
    }
}
