//! Study completion: DICOM has no "study done" message, so [`StudyTracker`] counts a study as
//! complete after a quiet period with no new instance, and journals one study notification
//! ([`StudySummary`] as JSON) through the same [`Ingest`] as everything else. A later extra
//! instance restarts the clock and, once quiet again, makes a new notification with a new
//! control id (the study UID plus a hash of the instance set).
//!
//! The state is in memory. After a restart, [`StudyTracker::recover`] rebuilds it from the
//! recently stored files; a study notified before the restart gets the same control id again,
//! so the journal's duplicate check keeps it from routing twice.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use super::instance::read_stored;
use super::{InstanceMeta, STUDY_CONTENT_TYPE, StoreError};
use crate::ingest::{Inbound, Ingest, IngestOutcome};

/// A complete study, as journaled (the `raw` of the study `Inbound`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StudySummary {
    /// Study Instance UID.
    pub study_instance_uid: String,
    /// Accession Number, if any instance carried one.
    pub accession_number: Option<String>,
    /// Patient ID, if any instance carried one.
    pub patient_id: Option<String>,
    /// Study Date (`YYYYMMDD`), if sent.
    pub study_date: Option<String>,
    /// The AE title that sent the (last) instances.
    pub calling_ae: String,
    /// Distinct modalities over the series, sorted.
    pub modalities: Vec<String>,
    /// Total instances.
    pub number_of_instances: usize,
    /// The series, by Series Instance UID.
    pub series: Vec<StudySeries>,
}

/// One series of a [`StudySummary`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StudySeries {
    /// Series Instance UID.
    pub series_instance_uid: String,
    /// Modality, if sent.
    pub modality: Option<String>,
    /// Instances in the series.
    pub number_of_instances: usize,
    /// The instances, by SOP Instance UID.
    pub instances: Vec<StudyInstance>,
}

/// One instance of a [`StudySeries`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StudyInstance {
    /// SOP Instance UID (the stored file is `<store>/<uid>.dcm`).
    pub sop_instance_uid: String,
    /// SOP Class UID.
    pub sop_class_uid: String,
}

#[derive(Default)]
struct Study {
    accession: Option<String>,
    patient_id: Option<String>,
    study_date: Option<String>,
    calling_ae: String,
    /// series UID → (modality, SOP instance UID → SOP class UID)
    series: BTreeMap<String, (Option<String>, BTreeMap<String, String>)>,
    last_change: Option<Instant>,
    notified: Option<u64>,
}

impl Study {
    fn summary(&self, uid: &str) -> StudySummary {
        let series: Vec<StudySeries> = self
            .series
            .iter()
            .map(|(s, (modality, inst))| StudySeries {
                series_instance_uid: s.clone(),
                modality: modality.clone(),
                number_of_instances: inst.len(),
                instances: inst
                    .iter()
                    .map(|(i, c)| StudyInstance {
                        sop_instance_uid: i.clone(),
                        sop_class_uid: c.clone(),
                    })
                    .collect(),
            })
            .collect();
        let modalities: BTreeSet<String> =
            series.iter().filter_map(|s| s.modality.clone()).collect();
        StudySummary {
            study_instance_uid: uid.to_owned(),
            accession_number: self.accession.clone(),
            patient_id: self.patient_id.clone(),
            study_date: self.study_date.clone(),
            calling_ae: self.calling_ae.clone(),
            modalities: modalities.into_iter().collect(),
            number_of_instances: series.iter().map(|s| s.number_of_instances).sum(),
            series,
        }
    }

    /// FNV-1a over the sorted SOP Instance UIDs: stable across runs and versions.
    fn instance_hash(&self) -> u64 {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for (_, inst) in self.series.values() {
            for uid in inst.keys() {
                for b in uid.bytes().chain(std::iter::once(b'|')) {
                    h ^= u64::from(b);
                    h = h.wrapping_mul(0x0000_0100_0000_01b3);
                }
            }
        }
        h
    }
}

/// Tracks studies as their instances arrive; cheap to clone (shared state).
#[derive(Clone)]
pub struct StudyTracker {
    source: String,
    quiet: Duration,
    forget_after: Duration,
    studies: Arc<Mutex<HashMap<String, Study>>>,
    wake: Arc<Notify>,
}

impl StudyTracker {
    /// A tracker journaling under source name `source`, calling a study complete after `quiet`
    /// without a new instance. Notified studies are forgotten `forget_after` after their last
    /// instance (an instance after that starts a new, partial notification).
    pub fn new(source: impl Into<String>, quiet: Duration, forget_after: Duration) -> Self {
        Self {
            source: source.into(),
            quiet,
            forget_after,
            studies: Arc::default(),
            wake: Arc::default(),
        }
    }

    /// Records a journaled instance.
    pub fn record(&self, meta: &InstanceMeta) {
        let mut studies = self.studies.lock().unwrap_or_else(|p| p.into_inner());
        let study = studies.entry(meta.study_instance_uid.clone()).or_default();
        let keep = |old: &mut Option<String>, new: &Option<String>| {
            if new.is_some() {
                old.clone_from(new);
            }
        };
        keep(&mut study.accession, &meta.accession_number);
        keep(&mut study.patient_id, &meta.patient_id);
        keep(&mut study.study_date, &meta.study_date);
        study.calling_ae.clone_from(&meta.calling_ae);
        let series = study
            .series
            .entry(meta.series_instance_uid.clone())
            .or_default();
        keep(&mut series.0, &meta.modality);
        series
            .1
            .insert(meta.sop_instance_uid.clone(), meta.sop_class_uid.clone());
        study.last_change = Some(Instant::now());
        drop(studies);
        self.wake.notify_one();
    }

    /// Rebuilds state from the instances stored under `store` in the last `newer_than` (by file
    /// modification time), each as if it had just arrived. Unreadable files are skipped.
    /// Returns how many instances were recorded.
    pub async fn recover(&self, store: &Path, newer_than: Duration) -> Result<usize, StoreError> {
        let store = store.to_path_buf();
        let metas =
            tokio::task::spawn_blocking(move || -> Result<Vec<InstanceMeta>, StoreError> {
                let cutoff = std::time::SystemTime::now()
                    .checked_sub(newer_than)
                    .unwrap_or(std::time::UNIX_EPOCH);
                let mut out = Vec::new();
                for entry in std::fs::read_dir(&store)?.flatten() {
                    let path = entry.path();
                    let recent = entry
                        .metadata()
                        .and_then(|m| m.modified())
                        .is_ok_and(|t| t >= cutoff);
                    if !recent || path.extension().is_none_or(|e| e != "dcm") {
                        continue;
                    }
                    match read_stored(&path) {
                        Ok(m) => out.push(m),
                        Err(e) => warn!(error = %e, "stored DICOM file skipped while recovering"),
                    }
                }
                Ok(out)
            })
            .await
            .map_err(|e| StoreError::Unreadable(e.to_string()))??;
        for m in &metas {
            self.record(m);
        }
        Ok(metas.len())
    }

    /// Studies seen and not yet forgotten.
    pub fn tracked(&self) -> usize {
        self.studies.lock().map_or(0, |s| s.len())
    }

    /// Journals study notifications as their quiet periods run out, until `shutdown`.
    pub async fn run<I: Ingest>(self, ingest: Arc<I>, shutdown: CancellationToken) {
        loop {
            let next = self.due_and_next(Instant::now());
            for (uid, summary, hash) in next.due {
                self.notify(&*ingest, &uid, summary, hash).await;
            }
            let sleep = async {
                match next.wake_at {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = self.wake.notified() => {}
                () = sleep => {}
            }
        }
    }

    fn due_and_next(&self, now: Instant) -> Next {
        let mut studies = self.studies.lock().unwrap_or_else(|p| p.into_inner());
        studies.retain(|_, s| {
            s.notified.is_none() || s.last_change.is_none_or(|t| now < t + self.forget_after)
        });
        let mut next = Next {
            due: Vec::new(),
            wake_at: None,
        };
        for (uid, s) in studies.iter() {
            let Some(changed) = s.last_change else {
                continue;
            };
            let hash = s.instance_hash();
            if s.notified == Some(hash) {
                let forget = changed + self.forget_after;
                next.wake_at = Some(next.wake_at.map_or(forget, |w: Instant| w.min(forget)));
                continue;
            }
            let due = changed + self.quiet;
            if due <= now {
                next.due.push((uid.clone(), s.summary(uid), hash));
            } else {
                next.wake_at = Some(next.wake_at.map_or(due, |w: Instant| w.min(due)));
            }
        }
        next
    }

    async fn notify<I: Ingest>(&self, ingest: &I, uid: &str, summary: StudySummary, hash: u64) {
        let raw = match serde_json::to_vec(&summary) {
            Ok(r) => r,
            Err(e) => {
                warn!(source = self.source, error = %e, "study summary not serialisable");
                return;
            }
        };
        let n = summary.number_of_instances;
        let msg = Inbound {
            source: self.source.clone(),
            peer: None,
            received_at_ms: crate::now_ms(),
            content_type: STUDY_CONTENT_TYPE.into(),
            raw: Bytes::from(raw),
            message_type: Some("DICOM^STUDY".into()),
            control_id: Some(format!("{uid}#{n}-{hash:016x}")),
            sender: Some(summary.calling_ae.clone()),
        };
        let outcome = ingest.accept(msg).await;
        let mut studies = self.studies.lock().unwrap_or_else(|p| p.into_inner());
        let Some(study) = studies.get_mut(uid) else {
            return;
        };
        match outcome {
            IngestOutcome::Accepted { id } | IngestOutcome::Duplicate { original: id } => {
                info!(
                    source = self.source,
                    journal_id = id,
                    instances = n,
                    "DICOM study complete"
                );
                // Only if nothing arrived meanwhile; otherwise the new set gets its own turn.
                if study.instance_hash() == hash {
                    study.notified = Some(hash);
                }
            }
            IngestOutcome::Unavailable { reason } => {
                warn!(
                    source = self.source,
                    reason, "study notification not journaled; will retry"
                );
                study.last_change = Some(Instant::now());
            }
        }
    }
}

struct Next {
    due: Vec<(String, StudySummary, u64)>,
    wake_at: Option<Instant>,
}
