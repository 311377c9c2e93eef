//! Config → the plain structs the inner crates take. The only place that knows both sides.

use std::collections::BTreeSet;
use std::time::Duration;

use anyhow::{Context, anyhow};
use junction_connectors::fhir_http::{FhirHttpConfig, FhirSendMode};
use junction_connectors::file::FileSinkConfig;
use junction_connectors::mllp::{MllpSinkConfig, MllpSourceConfig};
use junction_connectors::tls::{TlsClientConfig, TlsServerConfig};
use junction_router::{BreakerPolicy, DispatchConfig, Known, RetryPolicy, RouteSpec};

use crate::config::{
    ClientTls, Config, Destination, DestinationKind, Method, MllpSource, Route, Secret, ServerTls,
};

/// Reads a secret from its file or environment variable, trimmed as `config::load` checked it.
/// The error names where, never what.
pub fn read_secret(secret: &Secret) -> anyhow::Result<String> {
    match secret {
        Secret::File(path) => std::fs::read_to_string(path)
            .map(|s| s.trim().to_string())
            .with_context(|| format!("reading secret file {}", path.display())),
        Secret::Env(var) => std::env::var(var)
            .map(|s| s.trim().to_string())
            .map_err(|_| anyhow!("environment variable {var} is not set")),
    }
}

/// Server TLS settings.
pub fn server_tls(tls: &ServerTls) -> TlsServerConfig {
    TlsServerConfig {
        cert_path: tls.cert.clone(),
        key_path: tls.key.clone(),
        client_ca_path: tls.client_ca.clone(),
    }
}

/// Client TLS settings.
pub fn client_tls(tls: &ClientTls) -> TlsClientConfig {
    TlsClientConfig {
        ca_path: tls.ca.clone(),
        server_name: tls.server_name.clone(),
        client_cert_path: tls.cert.clone(),
        client_key_path: tls.key.clone(),
    }
}

/// An MLLP source's settings.
pub fn mllp_source(name: &str, src: &MllpSource) -> MllpSourceConfig {
    MllpSourceConfig {
        name: name.to_string(),
        bind: src.listen.to_string(),
        tls: src.tls.as_ref().map(server_tls),
        max_connections: src.max_connections as usize,
        idle_timeout: src.idle_timeout,
        max_frame: usize::try_from(src.max_frame).unwrap_or(usize::MAX),
    }
}

/// How long one send to this destination may take.
/// National services: a send may take a token fetch, a 401 refresh and resend, and (EPS) two
/// calls, or (MESH) several chunks, each within the service's own timeout.
pub fn send_timeout(cfg: &Config, dest: &Destination) -> Duration {
    let n = &cfg.national;
    let service = |s: &Option<crate::config::Service>| {
        s.as_ref().map_or(Duration::from_secs(30), |s| s.timeout)
    };
    match &dest.kind {
        DestinationKind::FhirHttp(f) => f.timeout,
        DestinationKind::Mllp(m) => m.timeout,
        DestinationKind::File(_) => Duration::from_secs(30),
        DestinationKind::DicomStore(d) => super::dicom::send_timeout(d),
        DestinationKind::Ers(_) => service(&n.ers) * 3,
        DestinationKind::Eps(_) => service(&n.eps) * 5,
        DestinationKind::Mesh(_) => {
            n.mesh
                .as_ref()
                .map_or(Duration::from_secs(120), |m| m.timeout)
                * 8
        }
    }
}

/// A destination's dispatcher settings; the node name makes the lease owner unique per node.
pub fn dispatch(cfg: &Config, dest: &Destination) -> DispatchConfig {
    let node = cfg.node.name.as_str();
    let send_timeout = send_timeout(cfg, dest);
    DispatchConfig {
        concurrency: dest.concurrency.max(1) as usize,
        send_timeout,
        lease: send_timeout * 2 + Duration::from_secs(5),
        retry: RetryPolicy {
            max_attempts: dest.retry.max_attempts,
            initial_backoff: dest.retry.initial_backoff,
            max_backoff: dest.retry.max_backoff,
        },
        breaker: BreakerPolicy {
            failure_threshold: dest.breaker.failures,
            cool_down: dest.breaker.cool_down,
        },
        ..DispatchConfig::new(&dest.name, format!("{node}/{}", dest.name))
    }
}

/// A FHIR destination's settings.
pub fn fhir_http(
    node: &str,
    dest: &Destination,
    url: &str,
    method: Method,
    bearer: Option<String>,
    timeout: Duration,
) -> FhirHttpConfig {
    FhirHttpConfig {
        bearer_token: bearer,
        timeout,
        mode: match method {
            Method::Post => FhirSendMode::Bundle,
            Method::Put => FhirSendMode::FirstResource,
        },
        request_id_namespace: format!("{node}/{}", dest.name),
        ..FhirHttpConfig::new(url)
    }
}

/// An MLLP destination's settings.
pub fn mllp_sink(address: &str, timeout: Duration, tls: Option<&ClientTls>) -> MllpSinkConfig {
    MllpSinkConfig {
        tls: tls.map(client_tls),
        ack_timeout: timeout,
        ..MllpSinkConfig::new(address)
    }
}

/// A file destination's settings.
pub fn file_sink(dir: &std::path::Path) -> FileSinkConfig {
    FileSinkConfig {
        dir: dir.to_path_buf(),
        extension: "json".into(),
    }
}

/// The routes, and the names they may refer to.
pub fn routes(cfg: &Config) -> (Vec<RouteSpec>, Known) {
    let specs = cfg.routes.iter().map(route).collect();
    let known = Known {
        sources: Some(
            cfg.sources
                .iter()
                .map(|s| s.name.clone())
                .collect::<BTreeSet<_>>(),
        ),
        destinations: Some(cfg.destinations.iter().map(|d| d.name.clone()).collect()),
        steps: Some(cfg.national.steps().into_iter().map(String::from).collect()),
    };
    (specs, known)
}

fn route(r: &Route) -> RouteSpec {
    RouteSpec {
        name: r.name.clone(),
        sources: r.sources.clone(),
        kinds: r.kinds.clone(),
        message_types: r.message_types.clone(),
        when: r.when.clone(),
        destinations: r.destinations.clone(),
        steps: r.steps.clone(),
    }
}
