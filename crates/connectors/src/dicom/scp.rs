//! The DICOM listener ([`DicomSource`]): binds, negotiates associations with `dicom-ul`
//! (our AE title, the accepted calling AE titles, the storage SOP classes and transfer
//! syntaxes of `syntax.rs`), and runs one task per association (`assoc.rs`) until shutdown.
//!
//! A calling AE title not on the list is refused with A-ASSOCIATE-RJ, permanent, service user,
//! reason 3 (calling AE title not recognised); a wrong called AE title with reason 7.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use dicom_ul::association::server::{AccessControl, ServerAssociationOptions};
use dicom_ul::pdu::{AssociationRJServiceUserReason, UserIdentity};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{info, warn};

use super::assoc::Association;
use super::syntax::{STORAGE_SOP_CLASSES, TRANSFER_SYNTAXES, VERIFICATION};
use super::tracker::StudyTracker;
use crate::error::ConnectorError;
use crate::ingest::Ingest;
use crate::metrics::{Metrics, RejectReason};
use crate::tls::{TlsServerConfig, server_config};

/// Settings for one DICOM source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DicomSourceConfig {
    /// The source's name (journal records and metric labels).
    pub name: String,
    /// Address to bind, e.g. `0.0.0.0:104` (port 0 picks a free port).
    pub bind: String,
    /// Our AE title: associations calling another title are rejected.
    pub ae_title: String,
    /// Calling AE titles allowed to associate; empty allows any.
    pub accepted_calling_aes: Vec<String>,
    /// Directory of stored instances (`<SOP Instance UID>.dcm`; temp files in `.tmp/`).
    pub store_path: PathBuf,
    /// Largest PDU we accept (advertised in A-ASSOCIATE-AC).
    pub max_pdu: u32,
    /// How long a peer may take to complete association negotiation.
    pub association_timeout: Duration,
    /// How long an association may stay silent between PDUs before it is aborted.
    pub idle_timeout: Duration,
    /// Associations served at once; more are refused.
    pub max_associations: usize,
    /// DICOM over TLS (PS3.15 Annex B; mutual when `client_ca_path` is set); `None` for
    /// plain TCP.
    pub tls: Option<TlsServerConfig>,
}

impl DicomSourceConfig {
    /// Defaults: any calling AE, 64 KiB PDUs, 30 s to associate, 5 min idle, 32 associations.
    pub fn new(
        name: impl Into<String>,
        bind: impl Into<String>,
        ae_title: impl Into<String>,
        store_path: impl Into<PathBuf>,
    ) -> Self {
        Self {
            name: name.into(),
            bind: bind.into(),
            ae_title: ae_title.into(),
            accepted_calling_aes: Vec::new(),
            store_path: store_path.into(),
            max_pdu: 65_536,
            association_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(300),
            max_associations: 32,
            tls: None,
        }
    }
}

/// Checks the called and calling AE titles.
pub(crate) struct AeCheck {
    accepted: Vec<String>,
}

impl AccessControl for AeCheck {
    fn check_access(
        &self,
        this_ae_title: &str,
        calling_ae_title: &str,
        called_ae_title: &str,
        _user_identity: Option<&UserIdentity>,
    ) -> Result<(), AssociationRJServiceUserReason> {
        if called_ae_title.trim() != this_ae_title.trim() {
            return Err(AssociationRJServiceUserReason::CalledAETitleNotRecognized);
        }
        let calling = calling_ae_title.trim();
        if !self.accepted.is_empty() && !self.accepted.iter().any(|a| a.trim() == calling) {
            return Err(AssociationRJServiceUserReason::CallingAETitleNotRecognized);
        }
        Ok(())
    }
}

/// What every association of one source shares.
pub(crate) struct Shared<I> {
    pub config: DicomSourceConfig,
    pub options: ServerAssociationOptions<
        'static,
        AeCheck,
        dicom_ul::association::server::DefaultNegotiation,
    >,
    pub ingest: Arc<I>,
    pub metrics: Metrics,
    pub tracker: Option<StudyTracker>,
}

/// A bound DICOM source; [`DicomSource::run`] serves it.
pub struct DicomSource<I> {
    listener: TcpListener,
    shared: Shared<I>,
}

impl<I: Ingest> DicomSource<I> {
    /// Checks the config, creates the store directory and binds the listener.
    pub async fn bind(
        config: DicomSourceConfig,
        ingest: Arc<I>,
        metrics: Metrics,
    ) -> Result<Self, ConnectorError> {
        let ae = config.ae_title.trim();
        if config.name.is_empty() || ae.is_empty() || ae.len() > 16 || config.max_associations == 0
        {
            return Err(ConnectorError::Config(
                "a DICOM source needs a name, an AE title of 1-16 characters and max_associations > 0"
                    .into(),
            ));
        }
        if config.max_pdu < 4096 {
            return Err(ConnectorError::Config(
                "DICOM max_pdu must be at least 4096".into(),
            ));
        }
        tokio::fs::create_dir_all(config.store_path.join(".tmp"))
            .await
            .map_err(|source| ConnectorError::Io {
                context: format!("creating DICOM store {}", config.store_path.display()),
                source,
            })?;
        let mut options = ServerAssociationOptions::new()
            .ae_access_control(AeCheck {
                accepted: config.accepted_calling_aes.clone(),
            })
            .ae_title(ae.to_owned())
            .max_pdu_length(config.max_pdu)
            .read_timeout(config.idle_timeout)
            .write_timeout(config.idle_timeout)
            .with_abstract_syntax(VERIFICATION);
        for (uid, _) in STORAGE_SOP_CLASSES {
            options = options.with_abstract_syntax(*uid);
        }
        for (uid, _) in TRANSFER_SYNTAXES {
            options = options.with_transfer_syntax(*uid);
        }
        if let Some(t) = &config.tls {
            options = options.tls_config(server_config(t)?);
        }
        let listener =
            TcpListener::bind(&config.bind)
                .await
                .map_err(|source| ConnectorError::Bind {
                    addr: config.bind.clone(),
                    source,
                })?;
        Ok(Self {
            listener,
            shared: Shared {
                config,
                options,
                ingest,
                metrics,
                tracker: None,
            },
        })
    }

    /// Records every journaled instance in `tracker` (for study-complete notifications).
    pub fn with_tracker(mut self, tracker: StudyTracker) -> Self {
        self.shared.tracker = Some(tracker);
        self
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)))
    }

    /// Accepts associations until `shutdown` fires, then waits for the open ones: each
    /// finishes the instance in hand, then is aborted.
    pub async fn run(self, shutdown: CancellationToken) {
        let source = self.shared.config.name.clone();
        info!(source, addr = %self.local_addr(), ae = self.shared.config.ae_title, tls = self.shared.config.tls.is_some(), "DICOM source listening");
        let permits = Arc::new(Semaphore::new(self.shared.config.max_associations));
        let tracker = TaskTracker::new();
        let shared = Arc::new(self.shared);
        loop {
            let (stream, peer) = tokio::select! {
                () = shutdown.cancelled() => break,
                res = self.listener.accept() => match res {
                    Ok(conn) => conn,
                    Err(e) => {
                        warn!(source, error = %e, "DICOM accept failed");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                },
            };
            let Ok(permit) = Arc::clone(&permits).try_acquire_owned() else {
                warn!(source, %peer, "DICOM association refused: limit reached");
                shared
                    .metrics
                    .rejected(&source, RejectReason::ConnectionLimit);
                continue;
            };
            let _ = stream.set_nodelay(true);
            let shared = Arc::clone(&shared);
            let shutdown = shutdown.clone();
            tracker.spawn(async move {
                Association::serve(&shared, stream, peer, shutdown).await;
                drop(permit);
            });
        }
        tracker.close();
        tracker.wait().await;
    }
}
