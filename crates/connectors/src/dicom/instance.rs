//! One received instance on disk: [`InstanceWriter`] writes a DICOM Part 10 file (preamble,
//! `DICM`, file meta group with the transfer syntax it arrived in, then the data set bytes
//! exactly as received, fragment by fragment) to a temp file, and on completion fsyncs it, reads
//! the identifying attributes back from its header ([`InstanceMeta`]) and renames it to
//! `<store>/<SOP Instance UID>.dcm`. Memory stays bounded by one PDU whatever the size.

use std::path::{Path, PathBuf};

use dicom_core::Tag;
use dicom_dictionary_std::tags;
use dicom_object::{FileMetaTableBuilder, OpenFileOptions};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncWriteExt, BufWriter};

/// The metadata journaled for one instance (the `raw` of its `Inbound`, as JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceMeta {
    /// SOP Instance UID (also the file name).
    pub sop_instance_uid: String,
    /// SOP Class UID.
    pub sop_class_uid: String,
    /// Study Instance UID.
    pub study_instance_uid: String,
    /// Series Instance UID.
    pub series_instance_uid: String,
    /// Patient ID (0010,0020), if present.
    pub patient_id: Option<String>,
    /// Accession Number (0008,0050), if present.
    pub accession_number: Option<String>,
    /// Modality (0008,0060), if present.
    pub modality: Option<String>,
    /// Study Date (0008,0020) as sent (`YYYYMMDD`), if present.
    pub study_date: Option<String>,
    /// Transfer syntax the instance arrived (and is stored) in.
    pub transfer_syntax: String,
    /// Where the Part 10 file is.
    pub file: String,
    /// The file's size in bytes.
    pub size: u64,
    /// The sender's AE title.
    pub calling_ae: String,
}

/// Why an instance could not be stored.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A UID that is not digits and dots (≤ 64): never used as a file name.
    #[error("invalid {what} UID")]
    InvalidUid {
        /// Which UID.
        what: &'static str,
    },
    /// The disk said no.
    #[error("store I/O failed: {0}")]
    Io(#[from] std::io::Error),
    /// The received data set could not be read back (not DICOM, or no study/series UID).
    #[error("received data set is unreadable: {0}")]
    Unreadable(String),
}

/// Whether `uid` is a DICOM UID (PS3.5 9.1): 1–64 characters, digits and dots, no empty or
/// leading-zero components. Only such strings become file names.
pub fn is_valid_uid(uid: &str) -> bool {
    !uid.is_empty()
        && uid.len() <= 64
        && uid.split('.').all(|c| {
            !c.is_empty()
                && c.bytes().all(|b| b.is_ascii_digit())
                && (c == "0" || !c.starts_with('0'))
        })
}

/// The final path of the instance `sop_instance_uid` under `store`.
pub(crate) fn instance_path(store: &Path, sop_instance_uid: &str) -> Result<PathBuf, StoreError> {
    if !is_valid_uid(sop_instance_uid) {
        return Err(StoreError::InvalidUid {
            what: "SOP Instance",
        });
    }
    Ok(store.join(format!("{sop_instance_uid}.dcm")))
}

/// A Part 10 file being received.
pub(crate) struct InstanceWriter {
    tmp: PathBuf,
    dest: PathBuf,
    out: Option<BufWriter<tokio::fs::File>>,
    sop_class: String,
    sop_instance: String,
    transfer_syntax: String,
    written: u64,
}

impl InstanceWriter {
    /// Opens the temp file and writes preamble, magic and file meta group.
    pub(crate) async fn create(
        store: &Path,
        sop_class: &str,
        sop_instance: &str,
        transfer_syntax: &str,
        calling_ae: &str,
        own_ae: &str,
    ) -> Result<Self, StoreError> {
        let dest = instance_path(store, sop_instance)?;
        if !is_valid_uid(sop_class) {
            return Err(StoreError::InvalidUid { what: "SOP Class" });
        }
        let tmp_dir = store.join(".tmp");
        tokio::fs::create_dir_all(&tmp_dir).await?;
        let tmp = tmp_dir.join(format!("{sop_instance}.{}.part", uuid::Uuid::new_v4()));
        let meta = FileMetaTableBuilder::new()
            .media_storage_sop_class_uid(sop_class)
            .media_storage_sop_instance_uid(sop_instance)
            .transfer_syntax(transfer_syntax)
            .implementation_class_uid(IMPLEMENTATION_CLASS_UID)
            .implementation_version_name("JUNCTION")
            .source_application_entity_title(calling_ae)
            .receiving_application_entity_title(own_ae)
            .build()
            .map_err(|e| StoreError::Unreadable(e.to_string()))?;
        let mut head = vec![0u8; 128];
        head.extend_from_slice(b"DICM");
        meta.write(&mut head)
            .map_err(|e| StoreError::Unreadable(e.to_string()))?;
        let file = tokio::fs::File::create(&tmp).await?;
        let mut w = Self {
            tmp,
            dest,
            out: Some(BufWriter::with_capacity(256 * 1024, file)),
            sop_class: sop_class.to_owned(),
            sop_instance: sop_instance.to_owned(),
            transfer_syntax: transfer_syntax.to_owned(),
            written: 0,
        };
        w.write(&head).await?;
        Ok(w)
    }

    /// Appends received data set bytes.
    pub(crate) async fn write(&mut self, bytes: &[u8]) -> Result<(), StoreError> {
        if let Some(out) = self.out.as_mut() {
            out.write_all(bytes).await?;
            self.written += bytes.len() as u64;
        }
        Ok(())
    }

    /// Flushes and fsyncs, reads the header back, renames into place.
    pub(crate) async fn finish(mut self, calling_ae: &str) -> Result<InstanceMeta, StoreError> {
        let Some(mut out) = self.out.take() else {
            return Err(StoreError::Unreadable("writer already closed".into()));
        };
        out.flush().await?;
        let file = out.into_inner();
        file.sync_all().await?;
        drop(file);
        let tmp = self.tmp.clone();
        let header = tokio::task::spawn_blocking(move || read_header(&tmp))
            .await
            .map_err(|e| StoreError::Unreadable(e.to_string()))??;
        tokio::fs::rename(&self.tmp, &self.dest).await?;
        if let Some(dir) = self.dest.parent() {
            // Make the rename durable; a directory fsync failure is not fatal on every fs.
            if let Ok(d) = tokio::fs::File::open(dir).await {
                let _ = d.sync_all().await;
            }
        }
        Ok(InstanceMeta {
            sop_instance_uid: self.sop_instance.clone(),
            sop_class_uid: self.sop_class.clone(),
            study_instance_uid: header.study,
            series_instance_uid: header.series,
            patient_id: header.patient_id,
            accession_number: header.accession,
            modality: header.modality,
            study_date: header.study_date,
            transfer_syntax: self.transfer_syntax.clone(),
            file: self.dest.display().to_string(),
            size: self.written,
            calling_ae: calling_ae.to_owned(),
        })
    }
}

/// A writer dropped before `finish` (abort, error) leaves no file behind.
impl Drop for InstanceWriter {
    fn drop(&mut self) {
        if self.out.take().is_some() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Our implementation class UID (a 2.25 UUID-derived root).
pub(crate) const IMPLEMENTATION_CLASS_UID: &str = "2.25.190180256392389218458215405632451806581";

struct Header {
    study: String,
    series: String,
    patient_id: Option<String>,
    accession: Option<String>,
    modality: Option<String>,
    study_date: Option<String>,
}

/// Reads the patient/study/series attributes (everything before group 0028, so pixel data and
/// other bulk data are never loaded).
fn read_header(path: &Path) -> Result<Header, StoreError> {
    header_of(&open_header(path)?)
}

type FileObject = dicom_object::FileDicomObject<dicom_object::InMemDicomObject>;

fn open_header(path: &Path) -> Result<FileObject, StoreError> {
    OpenFileOptions::new()
        .read_until(Tag(0x0028, 0x0000))
        .open_file(path)
        .map_err(|e| StoreError::Unreadable(e.to_string()))
}

/// The metadata of an already stored instance (for rebuilding state after a restart); the
/// calling AE is the file meta group's Source Application Entity Title.
pub(crate) fn read_stored(path: &Path) -> Result<InstanceMeta, StoreError> {
    let obj = open_header(path)?;
    let header = header_of(&obj)?;
    let meta = obj.meta();
    let uid = |s: &str| super::syntax::trim_uid(s).trim().to_owned();
    let sop_instance_uid = uid(meta.media_storage_sop_instance_uid());
    if !is_valid_uid(&sop_instance_uid) {
        return Err(StoreError::InvalidUid {
            what: "SOP Instance",
        });
    }
    Ok(InstanceMeta {
        sop_instance_uid,
        sop_class_uid: uid(meta.media_storage_sop_class_uid()),
        study_instance_uid: header.study,
        series_instance_uid: header.series,
        patient_id: header.patient_id,
        accession_number: header.accession,
        modality: header.modality,
        study_date: header.study_date,
        transfer_syntax: uid(meta.transfer_syntax()),
        file: path.display().to_string(),
        size: std::fs::metadata(path)?.len(),
        calling_ae: meta
            .source_application_entity_title()
            .map(|a| a.trim().to_owned())
            .unwrap_or_default(),
    })
}

fn header_of(obj: &FileObject) -> Result<Header, StoreError> {
    let text = |tag: Tag| -> Option<String> {
        obj.element_opt(tag)
            .ok()
            .flatten()
            .and_then(|e| e.to_str().ok())
            .map(|s| super::syntax::trim_uid(&s).trim().to_owned())
            .filter(|s| !s.is_empty())
    };
    let study = text(tags::STUDY_INSTANCE_UID)
        .filter(|u| is_valid_uid(u))
        .ok_or(StoreError::InvalidUid {
            what: "Study Instance",
        })?;
    let series = text(tags::SERIES_INSTANCE_UID)
        .filter(|u| is_valid_uid(u))
        .ok_or(StoreError::InvalidUid {
            what: "Series Instance",
        })?;
    Ok(Header {
        study,
        series,
        patient_id: text(tags::PATIENT_ID),
        accession: text(tags::ACCESSION_NUMBER),
        modality: text(tags::MODALITY),
        study_date: text(tags::STUDY_DATE),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_uids_become_file_names() {
        assert!(is_valid_uid("1.2.840.10008.5.1.4.1.1.2"));
        assert!(is_valid_uid("2.25.0"));
        for bad in [
            "",
            "../etc/passwd",
            "1..2",
            "1.2.",
            "1.02",
            "1.2/3",
            &"1".repeat(65),
        ] {
            assert!(!is_valid_uid(bad), "{bad}");
        }
        assert!(instance_path(Path::new("/s"), "1.2/../../x").is_err());
        assert_eq!(
            instance_path(Path::new("/s"), "1.2.3").unwrap(),
            Path::new("/s/1.2.3.dcm")
        );
    }
}
