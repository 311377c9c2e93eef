//! TLS for sources and sinks: plain config structs naming PEM files, turned into rustls
//! configs with the `ring` provider. Mutual TLS on the server side when a client CA is given.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::RootCertStore;
use rustls::server::WebPkiClientVerifier;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};

use crate::error::ConnectorError;

/// Server-side TLS: our certificate chain and key, and optionally the CA that client
/// certificates must chain to (mutual TLS: clients without a valid certificate are refused).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsServerConfig {
    /// PEM certificate chain, leaf first.
    pub cert_path: PathBuf,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1).
    pub key_path: PathBuf,
    /// PEM CA bundle for client certificates; `Some` turns on mutual TLS.
    pub client_ca_path: Option<PathBuf>,
}

/// Client-side TLS: which CAs to trust, the name to verify, and an optional client
/// certificate for servers that require mutual TLS.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsClientConfig {
    /// PEM CA bundle to trust; `None` means the operating system's trust store.
    pub ca_path: Option<PathBuf>,
    /// The name the server certificate must carry; `None` means the host we connect to.
    pub server_name: Option<String>,
    /// PEM client certificate chain (with `client_key_path`) for mutual TLS.
    pub client_cert_path: Option<PathBuf>,
    /// PEM client private key.
    pub client_key_path: Option<PathBuf>,
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn tls_err(e: impl std::fmt::Display) -> ConnectorError {
    ConnectorError::Tls(e.to_string())
}

fn pem_err(what: &'static str, path: &Path, reason: impl std::fmt::Display) -> ConnectorError {
    ConnectorError::Pem {
        what,
        path: path.to_path_buf(),
        reason: reason.to_string(),
    }
}

/// Reads every certificate in a PEM file (at least one).
pub fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, ConnectorError> {
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| pem_err("certificate file", path, e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| pem_err("certificate file", path, e))?;
    if certs.is_empty() {
        return Err(pem_err("certificate file", path, "no certificate found"));
    }
    Ok(certs)
}

/// Reads the first private key in a PEM file.
pub fn load_key(path: &Path) -> Result<PrivateKeyDer<'static>, ConnectorError> {
    PrivateKeyDer::from_pem_file(path).map_err(|e| pem_err("private key file", path, e))
}

fn load_roots(path: &Path) -> Result<RootCertStore, ConnectorError> {
    let mut roots = RootCertStore::empty();
    for cert in load_certs(path)? {
        roots.add(cert).map_err(|e| pem_err("CA file", path, e))?;
    }
    Ok(roots)
}

/// Builds the rustls server config for a source.
pub fn server_config(cfg: &TlsServerConfig) -> Result<Arc<rustls::ServerConfig>, ConnectorError> {
    let certs = load_certs(&cfg.cert_path)?;
    let key = load_key(&cfg.key_path)?;
    let builder = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(tls_err)?;
    let builder = match &cfg.client_ca_path {
        Some(ca) => {
            let verifier =
                WebPkiClientVerifier::builder_with_provider(Arc::new(load_roots(ca)?), provider())
                    .build()
                    .map_err(tls_err)?;
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let config = builder.with_single_cert(certs, key).map_err(tls_err)?;
    Ok(Arc::new(config))
}

/// Builds the rustls client config for a sink.
pub fn client_config(cfg: &TlsClientConfig) -> Result<Arc<rustls::ClientConfig>, ConnectorError> {
    let roots = match &cfg.ca_path {
        Some(ca) => load_roots(ca)?,
        None => {
            let found = rustls_native_certs::load_native_certs();
            let mut roots = RootCertStore::empty();
            let (added, _ignored) = roots.add_parsable_certificates(found.certs);
            if added == 0 {
                return Err(ConnectorError::Tls(
                    "no CA file configured and no usable certificate in the system trust store"
                        .into(),
                ));
            }
            roots
        }
    };
    let builder = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(tls_err)?
        .with_root_certificates(roots);
    let config = match (&cfg.client_cert_path, &cfg.client_key_path) {
        (Some(cert), Some(key)) => builder
            .with_client_auth_cert(load_certs(cert)?, load_key(key)?)
            .map_err(tls_err)?,
        (None, None) => builder.with_no_client_auth(),
        _ => {
            return Err(ConnectorError::Config(
                "a client certificate needs both a certificate and a key file".into(),
            ));
        }
    };
    Ok(Arc::new(config))
}

/// The name to verify the server certificate against.
pub fn server_name(
    cfg: &TlsClientConfig,
    host: &str,
) -> Result<ServerName<'static>, ConnectorError> {
    let name = cfg.server_name.as_deref().unwrap_or(host);
    ServerName::try_from(name.to_string())
        .map_err(|e| ConnectorError::Config(format!("TLS server name {name:?}: {e}")))
}
