//! The file sink: one file per delivery in a directory, written atomically (temporary file in
//! the same directory, fsync, rename, fsync the directory) and named from the delivery id, so a
//! retry overwrites the same file and a reader never sees half a file. Temporary files start
//! with a dot, so a consumer polling for `*.json` does not pick them up.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use tracing::debug;

use crate::error::ConnectorError;
use crate::metrics::Metrics;
use crate::sink::{OutboundDelivery, SendOutcome, Sink};

/// Settings for one file destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSinkConfig {
    /// The directory to write into (created if missing).
    pub dir: PathBuf,
    /// File extension without the dot, e.g. `json` or `hl7`.
    pub extension: String,
}

/// Writes each delivery's payload to `<dir>/delivery-<id>.<extension>`.
pub struct FileSink {
    config: FileSinkConfig,
    metrics: Metrics,
}

impl FileSink {
    /// Checks the extension and creates the directory.
    pub fn new(config: FileSinkConfig, metrics: Metrics) -> Result<Self, ConnectorError> {
        if config.extension.is_empty()
            || !config.extension.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            return Err(ConnectorError::Config(
                "file sink extension must be letters and digits".into(),
            ));
        }
        fs::create_dir_all(&config.dir).map_err(|source| ConnectorError::Io {
            context: format!("create {}", config.dir.display()),
            source,
        })?;
        Ok(Self { config, metrics })
    }

    /// Where a delivery's file goes.
    pub fn path_for(&self, delivery_id: i64) -> PathBuf {
        self.config
            .dir
            .join(format!("delivery-{delivery_id}.{}", self.config.extension))
    }
}

impl Sink for FileSink {
    async fn send(&self, d: &OutboundDelivery) -> SendOutcome {
        let started = Instant::now();
        let path = self.path_for(d.id);
        let payload = d.payload.clone().into_bytes();
        let res = tokio::task::spawn_blocking(move || write_atomically(&path, &payload)).await;
        let outcome = match res {
            Ok(Ok(())) => SendOutcome::Delivered,
            // Disk full, permissions, a missing mount: an operator can fix these, so retry.
            Ok(Err(e)) => SendOutcome::retry(format!("write failed: {e}")),
            Err(e) => SendOutcome::retry(format!("write task failed: {e}")),
        };
        debug!(
            destination = d.destination,
            delivery_id = d.id,
            outcome = outcome.label(),
            "file send"
        );
        self.metrics
            .sink_send(&d.destination, &outcome, started.elapsed());
        outcome
    }
}

/// Writes `bytes` to `path` so that `path` holds either the old content or all of the new.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| std::io::Error::other("path has no file name"))?;
    let tmp = dir.join(format!(
        ".{name}.{}.{}.tmp",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let res = (|| {
        let mut file = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&tmp, path)?;
        File::open(dir)?.sync_all()
    })();
    if res.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    res
}
