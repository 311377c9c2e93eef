//! Errors from building connectors (binding, loading certificates). Per-message problems are
//! not errors here: they become NAKs, 4xx answers or [`crate::SendOutcome`]s.

use std::path::PathBuf;

/// A connector could not be built or started.
#[derive(Debug, thiserror::Error)]
pub enum ConnectorError {
    /// Binding a listener failed.
    #[error("cannot bind {addr}: {source}")]
    Bind {
        /// The address from config.
        addr: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// A PEM file could not be read or held nothing usable.
    #[error("{what} {path}: {reason}")]
    Pem {
        /// Which file (certificate, private key, CA bundle).
        what: &'static str,
        /// Its path.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// rustls refused the configuration.
    #[error("TLS configuration: {0}")]
    Tls(String),
    /// A config value is unusable (bad URL, empty name, …).
    #[error("invalid configuration: {0}")]
    Config(String),
    /// Another I/O failure while building (creating a directory, …).
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The OS error.
        source: std::io::Error,
    },
}
