//! The MLLP listener: binds, applies the connection cap, terminates TLS, and runs one task per
//! connection (`conn.rs`) until the shutdown token fires.
//!
//! Connection cap: a connection beyond `max_connections` is accepted and closed at once (not
//! left in the kernel's backlog), so the sender sees the refusal immediately and retries later;
//! it is counted as `rejected{reason="connection_limit"}` and logged with the peer.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{debug, info, warn};

use super::conn::Connection;
use crate::error::ConnectorError;
use crate::ingest::Ingest;
use crate::metrics::{Metrics, RejectReason};
use crate::tls::{TlsServerConfig, server_config};

/// Settings for one MLLP source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MllpSourceConfig {
    /// The source's name (journal records and metric labels).
    pub name: String,
    /// Address to bind, e.g. `0.0.0.0:2575` (port 0 picks a free port).
    pub bind: String,
    /// TLS (and mutual TLS) settings; `None` for plain TCP.
    pub tls: Option<TlsServerConfig>,
    /// Connections served at once; more are accepted and closed.
    pub max_connections: usize,
    /// How long a connection may wait for a complete frame (after connecting or after the last
    /// ACK) before it is closed; also bounds the TLS handshake and each ACK write.
    pub idle_timeout: Duration,
    /// Largest frame accepted; a larger one is NAKed and the connection closed.
    pub max_frame: usize,
}

impl MllpSourceConfig {
    /// Plain TCP with defaults: 64 connections, 5 minutes idle, 10 MiB frames.
    pub fn new(name: impl Into<String>, bind: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            bind: bind.into(),
            tls: None,
            max_connections: 64,
            idle_timeout: Duration::from_secs(300),
            max_frame: junction_hl7v2::codec::DEFAULT_MAX_FRAME,
        }
    }
}

/// A bound MLLP source; [`MllpSource::run`] serves it.
pub struct MllpSource<I> {
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    config: MllpSourceConfig,
    ingest: Arc<I>,
    metrics: Metrics,
}

impl<I: Ingest> MllpSource<I> {
    /// Loads the TLS material (if any) and binds the listener.
    pub async fn bind(
        config: MllpSourceConfig,
        ingest: Arc<I>,
        metrics: Metrics,
    ) -> Result<Self, ConnectorError> {
        if config.name.is_empty() || config.max_connections == 0 || config.max_frame == 0 {
            return Err(ConnectorError::Config(
                "an MLLP source needs a name, max_connections > 0 and max_frame > 0".into(),
            ));
        }
        let tls = match &config.tls {
            Some(t) => Some(TlsAcceptor::from(server_config(t)?)),
            None => None,
        };
        let listener = listen(&config.bind, config.max_connections)
            .await
            .map_err(|source| ConnectorError::Bind {
                addr: config.bind.clone(),
                source,
            })?;
        Ok(Self {
            listener,
            tls,
            config,
            ingest,
            metrics,
        })
    }

    /// The address actually bound (the port when config said 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)))
    }

    /// Accepts connections until `shutdown` fires, then stops accepting and waits for every
    /// connection to finish the message in hand (each answers it, then closes).
    pub async fn run(self, shutdown: CancellationToken) {
        let source = self.config.name.clone();
        info!(source, addr = %self.local_addr(), tls = self.tls.is_some(), "MLLP source listening");
        let permits = Arc::new(Semaphore::new(self.config.max_connections));
        let tracker = TaskTracker::new();
        let shared = Arc::new(Connection {
            source: source.clone(),
            ingest: self.ingest,
            metrics: self.metrics.clone(),
            idle_timeout: self.config.idle_timeout,
            max_frame: self.config.max_frame,
        });
        loop {
            let (stream, peer) = tokio::select! {
                () = shutdown.cancelled() => break,
                res = self.listener.accept() => match res {
                    Ok(conn) => conn,
                    Err(e) => {
                        // Out of file descriptors and the like: back off rather than spin.
                        warn!(source, error = %e, "MLLP accept failed");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                },
            };
            let Ok(permit) = Arc::clone(&permits).try_acquire_owned() else {
                warn!(source, %peer, limit = self.config.max_connections, "MLLP connection refused: limit reached");
                self.metrics
                    .rejected(&source, RejectReason::ConnectionLimit);
                drop(stream);
                continue;
            };
            let _ = stream.set_nodelay(true);
            let conn = Arc::clone(&shared);
            let tls = self.tls.clone();
            let shutdown = shutdown.clone();
            tracker.spawn(async move {
                let _permit = permit;
                let _open = conn.metrics.connection(&conn.source);
                debug!(source = conn.source, %peer, "MLLP connection opened");
                match tls {
                    None => conn.serve(stream, peer, shutdown).await,
                    Some(acceptor) => {
                        match tokio::time::timeout(conn.idle_timeout, acceptor.accept(stream)).await
                        {
                            Ok(Ok(tls)) => conn.serve(tls, peer, shutdown).await,
                            Ok(Err(e)) => {
                                warn!(source = conn.source, %peer, error = %e, "MLLP TLS handshake failed");
                            }
                            Err(_) => {
                                warn!(source = conn.source, %peer, "MLLP TLS handshake timed out");
                            }
                        }
                    }
                }
                debug!(source = conn.source, %peer, "MLLP connection closed");
            });
        }
        tracker.close();
        tracker.wait().await;
        info!(source, "MLLP source stopped");
    }
}

/// Binds with a listen backlog sized for the connection cap (the default of 128 overflows in a
/// reconnection storm, and senders then stall on SYN retries).
async fn listen(bind: &str, max_connections: usize) -> std::io::Result<TcpListener> {
    let addr = tokio::net::lookup_host(bind)
        .await?
        .next()
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "no address"))?;
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(u32::try_from(max_connections.clamp(128, 4096)).unwrap_or(1024))
}
