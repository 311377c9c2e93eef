//! Checks of `[national.*]`, `[simulators] national` and the components that use the national
//! services: every service a source, destination or step needs is configured; URLs, secrets
//! and key files are usable; a live service is reached over https with auth; an EPS
//! destination sends unsigned prescriptions only to a sandbox.

use super::components::{Destination, DestinationKind, Source, SourceKind};
use super::error::join;
use super::files::{self, Pem};
use super::national::{Environment, Mesh, National, Service};
use super::schema::Simulators;
use super::validate::Checker;

impl National {
    /// The routing steps this config makes available.
    pub fn steps(&self) -> Vec<&'static str> {
        let mut steps = Vec::new();
        if self.pds.is_some() {
            steps.push("pds_verify");
        }
        steps
    }
}

impl Checker<'_> {
    pub(super) fn national(&mut self, n: &National, sims: &Simulators) {
        for (name, service) in [("pds", &n.pds), ("ers", &n.ers), ("eps", &n.eps)] {
            if let Some(s) = service {
                self.service(&join("national", name), s);
            }
        }
        if let Some(m) = &n.mesh {
            self.mesh(m);
        }
        if let Some(sim) = &sims.national {
            if !sim.listen.ip().is_loopback() {
                self.err(
                    "simulators.national.listen",
                    "simulators serve loopback addresses only (127.0.0.1 or [::1])",
                );
            }
            if let Some(auth) = &sim.auth {
                files::pem(
                    self.loc,
                    "simulators.national.auth.public_key",
                    &auth.public_key,
                    Pem::PublicKey,
                    self.errors,
                );
            }
        }
    }

    fn service(&mut self, path: &str, s: &Service) {
        self.url(&join(path, "url"), &s.url);
        self.nonzero(&join(path, "timeout"), s.timeout);
        if s.environment == Environment::Live {
            if !s.url.starts_with("https://") {
                self.err(
                    &join(path, "url"),
                    "a live service is reached over https (set environment = \"sandbox\" for a simulator)",
                );
            }
            if s.auth.is_none() {
                self.err(
                    path,
                    "a live service needs `auth` (the API platform's signed-JWT credentials)",
                );
            }
        }
        if let Some(auth) = &s.auth {
            let key = join(path, "auth");
            self.url(&join(&key, "token_url"), &auth.token_url);
            self.required_secret(
                &key,
                ("api_key_file", &auth.api_key_file),
                ("api_key_env", &auth.api_key_env),
            );
            if auth.key_id.trim().is_empty() {
                self.err(&join(&key, "key_id"), "empty key id");
            }
            files::pem(
                self.loc,
                &join(&key, "private_key"),
                &auth.private_key,
                Pem::PrivateKey,
                self.errors,
            );
        }
        if let Some(rate) = &s.rate_limit {
            if !(rate.per_second.is_finite() && rate.per_second > 0.0) {
                self.err(
                    &join(path, "rate_limit.per_second"),
                    "must be greater than 0",
                );
            }
            self.positive(&join(path, "rate_limit.burst"), rate.burst.into());
        }
        if let Some(tls) = &s.tls {
            self.client_tls(&join(path, "tls"), tls);
        }
    }

    fn mesh(&mut self, m: &Mesh) {
        self.url("national.mesh.url", &m.url);
        self.nonzero("national.mesh.timeout", m.timeout);
        if m.mailbox.trim().is_empty() {
            self.err("national.mesh.mailbox", "empty mailbox id");
        }
        self.required_secret(
            "national.mesh",
            ("password_file", &m.password_file),
            ("password_env", &m.password_env),
        );
        self.required_secret(
            "national.mesh",
            ("shared_key_file", &m.shared_key_file),
            ("shared_key_env", &m.shared_key_env),
        );
        if let Some(tls) = &m.tls {
            self.client_tls("national.mesh.tls", tls);
        }
    }

    fn needs(&mut self, path: &str, what: &str, present: bool) {
        if !present {
            self.err(
                &join(path, "type"),
                format!("needs [national.{what}] configured"),
            );
        }
    }

    pub(super) fn national_source(&mut self, path: &str, s: &Source, n: &National) {
        match &s.kind {
            SourceKind::ErsWorklist(w) => {
                self.needs(path, "ers", n.ers.is_some());
                if w.services.is_empty() {
                    self.err(&join(path, "services"), "name at least one e-RS service id");
                }
                self.nonzero(&join(path, "interval"), w.interval);
                if n.ers.as_ref().is_some_and(|e| e.ods_code.is_none()) {
                    self.err(
                        "national.ers",
                        "missing ods_code (sent as NHSD-End-User-Organisation-ODS)",
                    );
                }
            }
            SourceKind::MeshInbox(m) => {
                self.needs(path, "mesh", n.mesh.is_some());
                self.nonzero(&join(path, "interval"), m.interval);
            }
            SourceKind::Mllp(_) | SourceKind::Http(_) | SourceKind::Dicom(_) => {}
        }
    }

    pub(super) fn national_destination(&mut self, path: &str, d: &Destination, n: &National) {
        match &d.kind {
            DestinationKind::Ers(_) => {
                self.needs(path, "ers", n.ers.is_some());
                if n.ers.as_ref().is_some_and(|e| e.ods_code.is_none()) {
                    self.err(
                        "national.ers",
                        "missing ods_code (sent as NHSD-End-User-Organisation-ODS)",
                    );
                }
            }
            DestinationKind::Eps(e) => {
                self.needs(path, "eps", n.eps.is_some());
                if let Some(service) = &n.eps
                    && e.allow_unsigned
                {
                    let config = junction_national::eps::EpsConfig {
                        environment: match service.environment {
                            Environment::Sandbox => junction_national::eps::EpsEnvironment::Sandbox,
                            Environment::Live => junction_national::eps::EpsEnvironment::Live,
                        },
                        allow_unsigned: true,
                        ..Default::default()
                    };
                    if let Err(err) = junction_national::eps::check_config(&config, &service.url) {
                        self.err(&join(path, "allow_unsigned"), err.to_string());
                    }
                }
            }
            DestinationKind::Mesh(m) => {
                self.needs(path, "mesh", n.mesh.is_some());
                if m.to.trim().is_empty() {
                    self.err(&join(path, "to"), "empty mailbox id");
                }
                if m.workflow_id.trim().is_empty() {
                    self.err(&join(path, "workflow_id"), "empty workflow id");
                }
                if let Some(size) = m.chunk_size {
                    self.positive(&join(path, "chunk_size"), size);
                }
            }
            DestinationKind::FhirHttp(_)
            | DestinationKind::Mllp(_)
            | DestinationKind::File(_)
            | DestinationKind::DicomStore(_) => {}
        }
    }
}
