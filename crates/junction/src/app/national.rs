//! Wiring of the NHS national services: clients built from `[national.*]`, the in-process
//! simulators (`[simulators] national`), the `pds_verify` step, the e-RS and MESH pollers and
//! the e-RS, EPS and MESH sinks.

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::Context;
use junction_connectors::Ingest;
use junction_model::Event;
use junction_national::ers::{ErsClient, ErsConfig, SeenReferrals, WorklistPoller};
use junction_national::mesh::{InboxPoller, MeshClient, MeshConfig, MeshCredentials, PollerConfig};
use junction_national::metrics::NationalMetrics;
use junction_national::pds::{Verifier, VerifierConfig};
use junction_national::platform::{RateLimit, ServiceClient, ServiceConfig, SignedJwtConfig};
use junction_store::Store;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::app::clock::now_ms;
use crate::app::cluster::Leases;
use crate::app::convert::{self, read_secret};
use crate::app::steps::{Step, StepFuture, Steps};
use crate::config::{Config, Environment, MeshSend, PlatformAuth, Service, SourceKind};

/// The national-service clients the config asks for.
#[derive(Default)]
pub struct Clients {
    /// PDS's endpoint (the verifier builds its own client from it).
    pub pds: Option<ServiceConfig>,
    /// e-RS.
    pub ers: Option<Arc<ErsClient>>,
    /// EPS's endpoint (each EPS destination builds its sink from it).
    pub eps: Option<ServiceConfig>,
    /// Our MESH mailbox.
    pub mesh: Option<Arc<MeshClient>>,
    /// What every national client, poller, step and sink counts in.
    pub metrics: NationalMetrics,
}

/// Builds every configured client; reads key files and secrets now, so a bad one stops the
/// start with its config key named.
pub fn clients(cfg: &Config, metrics: NationalMetrics) -> anyhow::Result<Clients> {
    let n = &cfg.national;
    // Request ids must be the same whichever node of a cluster (re)sends a delivery.
    let ids = crate::app::cluster::id_namespace(cfg);
    let service = |name: &str, s: &Option<Service>| {
        s.as_ref()
            .map(|s| service_config(&ids, name, s))
            .transpose()
            .with_context(|| format!("national.{name}"))
    };
    let ers = match (&n.ers, service("ers", &n.ers)?) {
        (Some(s), Some(sc)) => {
            let api = ServiceClient::new(sc)
                .context("national.ers")?
                .with_metrics(metrics.clone());
            let ods = s.ods_code.clone().unwrap_or_default();
            let services = cfg
                .sources
                .iter()
                .filter_map(|src| match &src.kind {
                    SourceKind::ErsWorklist(w) => Some(w.services.clone()),
                    _ => None,
                })
                .flatten()
                .collect();
            let mut ers = ErsConfig::new(ods, services);
            if let Some(bf) = cfg.sources.iter().find_map(|src| match &src.kind {
                SourceKind::ErsWorklist(w) => w.business_function.clone(),
                _ => None,
            }) {
                ers.business_function = bf;
            }
            Some(Arc::new(ErsClient::new(api, ers)))
        }
        _ => None,
    };
    let mesh = match &n.mesh {
        Some(m) => {
            let secret = |s: Option<crate::config::Secret>, what: &str| {
                s.map(|s| read_secret(&s))
                    .transpose()?
                    .with_context(|| format!("national.mesh: no {what}"))
            };
            let credentials = MeshCredentials {
                mailbox: m.mailbox.clone(),
                password: secret(m.password(), "password")?,
                shared_key: secret(m.shared_key(), "shared key")?,
            };
            let mut config = MeshConfig::new(&m.url, credentials);
            config.timeout = m.timeout;
            if let Some(tls) = &m.tls {
                config.tls = convert::client_tls(tls);
            }
            let client = MeshClient::new(config).context("national.mesh")?;
            Some(Arc::new(client.with_metrics(metrics.clone())))
        }
        None => None,
    };
    Ok(Clients {
        pds: service("pds", &n.pds)?,
        ers,
        eps: service("eps", &n.eps)?,
        mesh,
        metrics,
    })
}

fn service_config(node: &str, name: &str, s: &Service) -> anyhow::Result<ServiceConfig> {
    let mut c = ServiceConfig::new(name, &s.url);
    c.timeout = s.timeout;
    c.request_id_namespace = node.to_string();
    c.rate_limit = s.rate_limit.map(|r| RateLimit {
        per_second: r.per_second,
        burst: r.burst,
    });
    if let Some(tls) = &s.tls {
        c.tls = convert::client_tls(tls);
    }
    c.auth = s.auth.as_ref().map(signed_jwt).transpose()?;
    Ok(c)
}

fn signed_jwt(a: &PlatformAuth) -> anyhow::Result<SignedJwtConfig> {
    let api_key = a
        .api_key()
        .map(|s| read_secret(&s))
        .transpose()?
        .context("auth: no api_key_file or api_key_env")?;
    Ok(SignedJwtConfig {
        token_url: a.token_url.clone(),
        api_key,
        key_id: a.key_id.clone(),
        private_key_path: a.private_key.clone(),
    })
}

/// Starts `[simulators] national` on its loopback listener.
pub async fn start_simulators(
    cfg: &Config,
    tasks: &mut JoinSet<()>,
    stop: CancellationToken,
) -> anyhow::Result<()> {
    let Some(sim) = &cfg.simulators.national else {
        return Ok(());
    };
    let auth = match &sim.auth {
        Some(a) => Some(junction_sim::national::SimAuth {
            api_key: a.api_key.clone(),
            key_id: a.key_id.clone(),
            public_key_pem: std::fs::read_to_string(&a.public_key).with_context(|| {
                format!(
                    "simulators.national.auth.public_key: reading {}",
                    a.public_key.display()
                )
            })?,
        }),
        None => None,
    };
    let listener = tokio::net::TcpListener::bind(sim.listen)
        .await
        .with_context(|| format!("simulators.national: binding {}", sim.listen))?;
    let origin = format!("http://{}", listener.local_addr()?);
    let sims = junction_sim::national::NationalSim::new(&origin, auth)
        .map_err(|e| anyhow::anyhow!("simulators.national.auth.public_key: {e}"))?;
    tracing::info!(%origin, "national services simulator (token, PDS, e-RS, EPS)");
    let app = sims.router();
    tasks.spawn(async move {
        tokio::select! {
            res = axum::serve(listener, app) => {
                if let Err(e) = res {
                    tracing::error!(error = %e, "national simulator failed");
                }
            }
            () = stop.cancelled() => {}
        }
    });
    Ok(())
}

/// The routing steps: `pds_verify` when PDS is configured.
pub fn steps(cfg: &Config, clients: &Clients) -> anyhow::Result<Steps> {
    let mut steps = Steps::new();
    if let Some(service) = &clients.pds {
        let settings = cfg.steps.pds_verify.clone().unwrap_or_default();
        let verifier = Verifier::new(VerifierConfig {
            cache_ttl: settings.cache_ttl,
            cache_size: settings.cache_size,
            ..VerifierConfig::new(service.clone())
        })
        .context("steps.pds_verify")?
        .with_metrics(clients.metrics.clone());
        steps.insert("pds_verify".into(), Arc::new(PdsVerify(verifier)));
    }
    Ok(steps)
}

/// `pds_verify`: annotates `pds`.
struct PdsVerify(Verifier);

impl Step for PdsVerify {
    fn key(&self) -> &str {
        "pds"
    }

    fn apply<'a>(&'a self, event: &'a mut Event) -> StepFuture<'a> {
        Box::pin(async move { self.0.verify(event).await.map_err(|e| e.to_string()) })
    }
}

/// Starts the pollers (`ers_worklist`, `mesh_inbox` sources), each only while this process
/// holds its leader lease `poller:<source>` (see `cluster`).
pub fn spawn_pollers<S: Store, I: Ingest>(
    cfg: &Config,
    clients: &Clients,
    store: &Arc<S>,
    ingest: &Arc<I>,
    leases: &Leases,
    tasks: &mut JoinSet<()>,
    shutdown: &CancellationToken,
) {
    for src in &cfg.sources {
        let lease = format!("poller:{}", src.name);
        match &src.kind {
            SourceKind::ErsWorklist(w) => {
                let Some(client) = clients.ers.clone() else {
                    continue;
                };
                let (name, interval) = (src.name.clone(), w.interval);
                let (store, ingest) = (store.clone(), ingest.clone());
                // Each term starts afresh from the referrals the store says were journaled.
                leases.spawn(tasks, lease, shutdown.child_token(), move |stop| {
                    let poller = WorklistPoller::new(client.clone(), &name);
                    run_ers(
                        poller,
                        name.clone(),
                        interval,
                        store.clone(),
                        ingest.clone(),
                        stop,
                    )
                });
            }
            SourceKind::MeshInbox(m) => {
                let Some(client) = clients.mesh.clone() else {
                    continue;
                };
                let config = PollerConfig {
                    source: src.name.clone(),
                    default_content_type: m
                        .content_type
                        .clone()
                        .unwrap_or_else(|| "application/octet-stream".into()),
                    interval: m.interval,
                };
                let ingest = ingest.clone();
                leases.spawn(tasks, lease, shutdown.child_token(), move |stop| {
                    let poller = InboxPoller::new(client.clone(), config.clone());
                    let ingest = ingest.clone();
                    async move { poller.run(&*ingest, stop).await }
                });
            }
            SourceKind::Mllp(_) | SourceKind::Http(_) | SourceKind::Dicom(_) => {}
        }
    }
}

/// Referrals already journaled, kept durably in the store's state under one key per source.
struct StoredSeen {
    seen: HashMap<String, u64>,
    dirty: bool,
}

/// Most referrals remembered per source (the oldest versions are forgotten first; the
/// journal's duplicate window still catches a repeat within 7 days).
const MAX_SEEN: usize = 100_000;

impl SeenReferrals for StoredSeen {
    fn contains(&self, ubrn: &str, version: u64) -> bool {
        self.seen.get(ubrn).is_some_and(|v| *v >= version)
    }

    fn insert(&mut self, ubrn: &str, version: u64) {
        if self.seen.len() >= MAX_SEEN
            && let Some(oldest) = self
                .seen
                .iter()
                .min_by_key(|(_, v)| **v)
                .map(|(k, _)| k.clone())
        {
            self.seen.remove(&oldest);
        }
        self.seen.insert(ubrn.to_string(), version);
        self.dirty = true;
    }
}

async fn run_ers<S: Store, I: Ingest>(
    poller: WorklistPoller,
    source: String,
    interval: std::time::Duration,
    store: Arc<S>,
    ingest: Arc<I>,
    stop: CancellationToken,
) {
    let key = format!("ers:seen:{source}");
    let mut seen = StoredSeen {
        seen: match store.get_state(&key).await {
            Ok(Some(json)) => serde_json::from_str(&json).unwrap_or_default(),
            Ok(None) => HashMap::new(),
            Err(e) => {
                tracing::error!(source, error = %e, "reading e-RS poll state failed; starting empty");
                HashMap::new()
            }
        },
        dirty: false,
    };
    loop {
        match poller.poll_once(&*ingest, &mut seen).await {
            Ok(report) => tracing::debug!(source, ?report, "e-RS worklist polled"),
            Err(e) => tracing::warn!(source, error = %e, "e-RS worklist poll failed"),
        }
        if seen.dirty {
            let json = serde_json::to_string(&seen.seen).unwrap_or_default();
            match store.put_state(&key, Some(&json), now_ms()).await {
                Ok(()) => seen.dirty = false,
                Err(e) => tracing::error!(source, error = %e, "saving e-RS poll state failed"),
            }
        }
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(interval) => {}
        }
    }
}

/// An EPS destination's sink.
pub fn eps_sink(
    cfg: &Config,
    e: &crate::config::EpsSink,
    service: ServiceConfig,
    metrics: NationalMetrics,
) -> anyhow::Result<junction_national::eps::EpsSink> {
    use junction_national::eps::{EpsConfig, EpsEnvironment, EpsOptions, EpsSink};
    let eps = cfg.national.eps.as_ref();
    let config = EpsConfig {
        environment: match eps.map(|s| s.environment) {
            Some(Environment::Sandbox) => EpsEnvironment::Sandbox,
            _ => EpsEnvironment::Live,
        },
        allow_unsigned: e.allow_unsigned,
        session_urid: e.session_urid.clone(),
        options: EpsOptions {
            sender_ods: eps.and_then(|s| s.ods_code.clone()),
            prescription_type: e.prescription_type.clone(),
            trust_ods: e.trust_ods.clone(),
            ..EpsOptions::default()
        },
    };
    Ok(EpsSink::new(service, config)?.with_metrics(metrics))
}

/// A MESH destination's sink; the MESH message id of each delivery is kept in the store's
/// state under `mesh:delivery:<id>`.
pub fn mesh_sink<S: Store>(
    node: &str,
    m: &crate::config::MeshSink,
    client: Arc<MeshClient>,
    store: Arc<S>,
) -> junction_national::mesh::MeshSink {
    use junction_national::mesh::{MeshSink, MeshSinkConfig, SendMode};
    let mut config = MeshSinkConfig::new(&m.to, &m.workflow_id);
    config.subject = m.subject.clone();
    config.gzip = m.gzip;
    config.chunk_size = m.chunk_size.and_then(|s| usize::try_from(s).ok());
    config.local_id_prefix = local_id_prefix(node);
    config.mode = match m.send {
        MeshSend::Event => SendMode::Event,
        MeshSend::Raw => SendMode::Raw {
            content_type: m
                .content_type
                .clone()
                .unwrap_or_else(|| "application/octet-stream".into()),
        },
    };
    MeshSink::new(client, config).with_observer(Arc::new(move |delivery: i64, mesh_id: &str| {
        let (store, mesh_id) = (store.clone(), mesh_id.to_owned());
        tokio::spawn(async move {
            let key = junction_national::mesh::message_id_state_key(delivery);
            if let Err(e) = store.put_state(&key, Some(&mesh_id), now_ms()).await {
                tracing::warn!(delivery, error = %e, "recording the MESH message id failed");
            }
        });
    }))
}

/// A `mex-LocalID` prefix from the node name (letters, digits, `-`, `_`, `.` only).
fn local_id_prefix(node: &str) -> String {
    node.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect()
}
