//! Shared set-up of the platform and PDS tests: a fresh RSA key pair (never stored in the
//! repository: generated per test, the private half written to a temp file because the client
//! reads its key from a path), the token endpoint and PDS simulators on one loopback listener
//! (as the real platform serves both from one host), and client configs pointing at them.

#![allow(dead_code)]

use std::time::Duration;

use junction_national::platform::{ServiceConfig, SignedJwtConfig};
use junction_sim::pds::PdsServer;
use junction_sim::platform::{Platform, PlatformConfig, generate_key_pair};

pub const API_KEY: &str = "test-api-key";
pub const KID: &str = "test-1";
pub const PDS_BASE: &str = "/personal-demographics/FHIR/R4";

/// The simulators and how to reach them.
pub struct Kit {
    pub platform: Platform,
    pub pds: PdsServer,
    /// `http://127.0.0.1:PORT`.
    pub root: String,
    pub token_url: String,
    /// Holds the private key file.
    pub dir: tempfile::TempDir,
    pub key_path: std::path::PathBuf,
}

impl Kit {
    /// Signed-JWT auth as the platform expects it.
    pub fn auth(&self) -> SignedJwtConfig {
        SignedJwtConfig {
            token_url: self.token_url.clone(),
            api_key: API_KEY.into(),
            key_id: KID.into(),
            private_key_path: self.key_path.clone(),
        }
    }

    /// PDS's service config with auth and a short timeout.
    pub fn pds_service(&self) -> ServiceConfig {
        let mut config = ServiceConfig::new("pds", format!("{}{PDS_BASE}", self.root));
        config.auth = Some(self.auth());
        config.timeout = Duration::from_secs(10);
        config
    }

    /// Writes another private key file (a key the platform does not know).
    pub fn foreign_key(&self) -> std::path::PathBuf {
        let other = generate_key_pair().expect("key pair");
        let path = self.dir.path().join("foreign.pem");
        std::fs::write(&path, other.private_pem).expect("write key");
        path
    }
}

/// Starts the token endpoint and PDS (bearer checked) on 127.0.0.1:0.
pub async fn start() -> Kit {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let root = format!("http://{}", listener.local_addr().expect("addr"));
    let token_url = format!("{root}/oauth2/token");
    let keys = generate_key_pair().expect("key pair");
    let platform = Platform::new(PlatformConfig::new(
        &token_url,
        API_KEY,
        KID,
        &keys.public_pem,
    ))
    .expect("public key");
    let pds = PdsServer::new().with_platform(platform.clone());
    let app = platform.router().merge(pds.router(PDS_BASE));
    tokio::spawn(async move { axum::serve(listener, app).await });
    let dir = tempfile::tempdir().expect("temp dir");
    let key_path = dir.path().join("private.pem");
    std::fs::write(&key_path, &keys.private_pem).expect("write key");
    Kit {
        platform,
        pds,
        root,
        token_url,
        dir,
        key_path,
    }
}
