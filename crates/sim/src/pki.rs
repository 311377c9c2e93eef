//! A throwaway PKI for tests of TLS peers (MLLP, DICOM, MESH): a CA, a server certificate for
//! `localhost` and `127.0.0.1`, and a client certificate, written as PEM files to a temporary
//! directory that goes when the [`TestPki`] is dropped. Nothing here is a secret: every key is
//! made fresh per test.

use std::path::PathBuf;

use rcgen::{BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair};

/// The PEM files.
pub struct TestPki {
    /// The CA certificate both sides trust.
    pub ca: PathBuf,
    /// The server's certificate (for `localhost` and `127.0.0.1`).
    pub server_cert: PathBuf,
    /// The server's private key.
    pub server_key: PathBuf,
    /// The client's certificate.
    pub client_cert: PathBuf,
    /// The client's private key.
    pub client_key: PathBuf,
    _dir: tempfile::TempDir,
}

/// Why the PKI could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    /// rcgen refused.
    #[error("generating certificates: {0}")]
    Rcgen(#[from] rcgen::Error),
    /// Writing the files failed.
    #[error("writing certificates: {0}")]
    Io(#[from] std::io::Error),
}

impl TestPki {
    /// A CA named `ca_name` and a client certificate with common name `client_name`.
    pub fn generate(ca_name: &str, client_name: &str) -> Result<Self, PkiError> {
        let dir = tempfile::tempdir()?;
        let write = |name: &str, text: String| -> Result<PathBuf, std::io::Error> {
            let p = dir.path().join(name);
            std::fs::write(&p, text)?;
            Ok(p)
        };
        let ca_key = KeyPair::generate()?;
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, ca_name);
        let ca = params.self_signed(&ca_key)?;

        let server_key = KeyPair::generate()?;
        let mut params = CertificateParams::new(vec!["localhost".into(), "127.0.0.1".into()])?;
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let server = params.signed_by(&server_key, &ca, &ca_key)?;

        let client_key = KeyPair::generate()?;
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        params
            .distinguished_name
            .push(DnType::CommonName, client_name);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let client = params.signed_by(&client_key, &ca, &ca_key)?;

        Ok(Self {
            ca: write("ca.pem", ca.pem())?,
            server_cert: write("server.pem", server.pem())?,
            server_key: write("server.key", server_key.serialize_pem())?,
            client_cert: write("client.pem", client.pem())?,
            client_key: write("client.key", client_key.serialize_pem())?,
            _dir: dir,
        })
    }
}
