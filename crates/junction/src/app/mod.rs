//! The running gateway: builds every component from the config and runs them until a signal.
//!
//! Start-up order: store (so nothing is accepted before it can be journaled), metrics, adapters
//! and routes, sinks and dispatchers, the routing pipeline, then the listeners; the ready line
//! goes to stdout last. Shutdown runs the other way: listeners stop, in-flight work drains.

mod clock;
mod cluster;
mod convert;
mod dicom;
mod door;
mod ingest;
mod national;
mod observer;
mod payloads;
mod pipeline;
mod retention;
mod sinks;
mod steps;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use junction_adapters::passthrough::Decoder;
use junction_adapters::{AdapterOptions, built_in};
use junction_connectors::fhir_http::FhirHttpSink;
use junction_connectors::file::FileSink;
use junction_connectors::http::HttpSourceConfig;
use junction_connectors::mllp::{MllpSink, MllpSource};
use junction_router::{Dispatcher, Router, Wakers};
use junction_store::{
    AnyStore, MessageStatus, PgOptions, PostgresStore, SqliteStore, StoreOptions,
};
use tokio::sync::Notify;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::admin::{self, AdminState, AuditLog, Token};
use crate::config::{Config, DestinationKind, Role as ConfigRole, SourceKind, StoreBackend};
use crate::telemetry::{self, Metrics, Readiness, TelemetryState};
use door::DoorRouting;
use ingest::StoreIngest;
use junction_connectors::metered::MeteredSink;
use observer::MetricsObserver;
use pipeline::Pipeline;
use sinks::AnySink;

/// Runs the gateway described by `cfg` until SIGINT or SIGTERM.
pub async fn run(cfg: Config) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let shutdown = CancellationToken::new();
    let signal = shutdown_signal();
    let mut tasks = JoinSet::new();
    let registry = prometheus::Registry::new();
    // process_cpu_seconds_total, process_resident_memory_bytes, process_open_fds, …
    registry
        .register(Box::new(
            prometheus::process_collector::ProcessCollector::for_self(),
        ))
        .context("registering process metrics")?;
    let metrics =
        Metrics::new(&registry, env!("CARGO_PKG_VERSION")).context("registering metrics")?;
    let conn_metrics =
        junction_connectors::Metrics::new(&registry).context("registering metrics")?;

    let store = Arc::new(open_store(&cfg, &metrics).await?);
    let tokens = tokens(&cfg)?;
    // Refuses to start with an admin API open beyond loopback (warned about once bound).
    let exposure = admin::check_exposure(cfg.http.listen, &tokens).map_err(anyhow::Error::msg)?;

    // In-process simulators of outside services, before anything may deliver to them.
    if let Some(addr) = cfg.simulators.fhir {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("simulators.fhir: binding {addr}"))?;
        // The bound address: with port 0 in config, the one the OS chose.
        let addr = listener.local_addr().unwrap_or(addr);
        tracing::info!(%addr, "FHIR server simulator at http://{addr}/fhir");
        let stop = shutdown.child_token();
        let sim = junction_sim::fhir::FhirServer::new();
        tasks.spawn(async move {
            tokio::select! {
                res = sim.serve(listener, "/fhir") => {
                    if let Err(e) = res {
                        tracing::error!(error = %e, "FHIR simulator failed");
                    }
                }
                () = stop.cancelled() => {}
            }
        });
    }

    national::start_simulators(&cfg, &mut tasks, shutdown.child_token()).await?;
    let national_metrics = junction_national::metrics::NationalMetrics::new(&registry)
        .context("registering metrics")?;
    let clients = national::clients(&cfg, national_metrics)?;

    // Decoding and routing.
    let mut adapters: pipeline::Decoders = HashMap::new();
    for src in &cfg.sources {
        let mrn_authority = match &src.kind {
            SourceKind::Mllp(m) => m.mrn_authority.clone(),
            _ => None,
        };
        let options = AdapterOptions {
            code_tables: cfg.code_tables.clone(),
            local_mrn_authority: mrn_authority.clone(),
            ..AdapterOptions::default()
        };
        let adapter = built_in(&src.adapter, options)?;
        adapters.insert(
            src.name.clone(),
            Arc::new(Decoder::new(adapter, mrn_authority)),
        );
        metrics.add_source(&src.name);
        conn_metrics.add_source(&src.name);
    }
    let (specs, known) = convert::routes(&cfg);
    let router = Router::compile(&specs, &known).map_err(|errs| {
        anyhow::anyhow!(
            "routes: {}",
            errs.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        )
    })?;
    let wakers = Wakers::new();
    let pipeline_wake = Arc::new(Notify::new());

    // Destinations.
    let observer = Arc::new(MetricsObserver(metrics.clone()));
    for dest in &cfg.destinations {
        metrics.add_destination(&dest.name);
        conn_metrics.add_destination(&dest.name);
        let sink = Arc::new(build_sink(&cfg, dest, &clients, &store, &conn_metrics)?);
        let dispatcher = Dispatcher::new(
            convert::dispatch(&cfg, dest),
            store.clone(),
            sink,
            wakers.handle(&dest.name),
        )
        .with_observer(observer.clone());
        let stop = shutdown.child_token();
        tasks.spawn(async move {
            dispatcher.run(stop).await;
        });
    }

    // The routing pipeline: journaled messages → events → deliveries.
    let routed_metrics = metrics.clone();
    let on_routed: pipeline::OnRouted = Arc::new(move |source: &str, outcome: MessageStatus| {
        routed_metrics.routed(source, outcome);
    });
    let router = Arc::new(router);
    let payloads = Arc::new(payloads::DestinationPayloads::new(&cfg));
    let door = Arc::new(DoorRouting {
        adapters: adapters.clone(),
        router: router.clone(),
        payloads: payloads.clone(),
        wakers: wakers.clone(),
        on_routed: on_routed.clone(),
    });
    let pipeline = Pipeline {
        store: store.clone(),
        adapters,
        router,
        steps: national::steps(&cfg, &clients)?,
        payloads,
        wakers: wakers.clone(),
        wake: pipeline_wake.clone(),
        on_routed,
    };
    tasks.spawn(pipeline.run(shutdown.child_token()));
    // With PostgreSQL, deliveries routed on other nodes wake this node's dispatchers too.
    if let AnyStore::Postgres(pg) = &*store {
        let names = cfg.destinations.iter().map(|d| d.name.clone()).collect();
        tasks.spawn(cluster::relay_wakes(
            pg.clone(),
            wakers.clone(),
            names,
            shutdown.child_token(),
        ));
    }
    // Singleton work (retention, pollers) runs on the node holding its leader lease.
    let leases = cluster::Leases::new(&cfg, store.clone());
    let (retained, keep) = (store.clone(), cfg.store.keep_delivered);
    leases.spawn(
        &mut tasks,
        "retention".into(),
        shutdown.child_token(),
        move |stop| retention::run(retained.clone(), keep, stop),
    );

    // Listeners.
    let ingest = Arc::new(StoreIngest::new(store.clone(), pipeline_wake).with_door_routing(door));
    // The pollers count what they journal as the listeners do.
    let polled = Arc::new(junction_connectors::metered::MeteredIngest::new(
        ingest.clone(),
        conn_metrics.clone(),
    ));
    national::spawn_pollers(
        &cfg, &clients, &store, &polled, &leases, &mut tasks, &shutdown,
    );
    let readiness = Readiness::new();
    let mllp_names: Vec<String> = cfg
        .sources
        .iter()
        .filter(|s| matches!(s.kind, SourceKind::Mllp(_)))
        .map(|s| s.name.clone())
        .collect();
    readiness.expected(
        mllp_names
            .iter()
            .cloned()
            .chain(dicom::source_names(&cfg))
            .chain(std::iter::once("http".to_string())),
    );
    let mut bound = serde_json::Map::new();
    for src in &cfg.sources {
        let SourceKind::Mllp(m) = &src.kind else {
            continue;
        };
        let source = MllpSource::bind(
            convert::mllp_source(&src.name, m),
            ingest.clone(),
            conn_metrics.clone(),
        )
        .await
        .with_context(|| format!("source `{}`: binding {}", src.name, m.listen))?;
        bound.insert(src.name.clone(), source.local_addr().to_string().into());
        readiness.set_listener_bound(&src.name);
        tasks.spawn(source.run(shutdown.child_token()));
    }
    dicom::spawn_sources(
        &cfg,
        &ingest,
        &conn_metrics,
        &readiness,
        &mut bound,
        &mut tasks,
        &shutdown,
    )
    .await?;
    let http_sources: Vec<&crate::config::Source> = cfg
        .sources
        .iter()
        .filter(|s| matches!(s.kind, SourceKind::Http(_)))
        .collect();
    let max_body = http_sources
        .iter()
        .filter_map(|s| match &s.kind {
            SourceKind::Http(h) => usize::try_from(h.max_body).ok(),
            _ => None,
        })
        .max()
        .unwrap_or(20 << 20);
    let http_cfg = HttpSourceConfig {
        max_body,
        ..HttpSourceConfig::new(http_sources.iter().map(|s| s.name.clone()))
    };
    let audit_path = cfg
        .http
        .audit_log
        .clone()
        .unwrap_or_else(|| "./data/audit.log".into());
    ensure_parent(&audit_path)?;
    let audit = AuditLog::open(&audit_path)
        .with_context(|| format!("opening audit log {}", audit_path.display()))?;
    let replay_wakers = wakers.clone();
    let app = junction_connectors::http::router(http_cfg, ingest, conn_metrics.clone())
        .merge(admin::router(AdminState {
            store: (*store).clone(),
            tokens,
            audit,
            replay_hook: Arc::new(move || replay_wakers.wake_all()),
            destinations: cfg.destinations.iter().map(|d| d.name.clone()).collect(),
            mesh_destinations: cfg
                .destinations
                .iter()
                .filter(|d| matches!(d.kind, DestinationKind::Mesh(_)))
                .map(|d| d.name.clone())
                .collect(),
        }))
        .merge(telemetry::router(TelemetryState {
            registry,
            metrics: metrics.clone(),
            store: (*store).clone(),
            readiness: readiness.clone(),
        }));
    let listener = tokio::net::TcpListener::bind(cfg.http.listen)
        .await
        .with_context(|| format!("http: binding {}", cfg.http.listen))?;
    let http_addr: SocketAddr = listener.local_addr()?;
    if exposure == admin::Exposure::LoopbackOnly {
        tracing::warn!(listen = %http_addr, "admin API has no tokens: bound to loopback only");
    }
    readiness.set_listener_bound("http");
    let http_shutdown = shutdown.clone();
    tasks.spawn(async move {
        if let Err(e) = admin::serve(
            listener,
            app,
            async move { http_shutdown.cancelled().await },
        )
        .await
        {
            tracing::error!(error = %e, "http server failed");
        }
    });

    // Ready: one JSON line on stdout for supervisors and tests.
    println!(
        "{}",
        serde_json::json!({ "event": "ready", "http": http_addr.to_string(), "sources": bound })
    );
    tracing::info!(elapsed_ms = started.elapsed().as_millis() as u64, http = %http_addr, "junction ready");

    signal.await;
    tracing::info!("shutting down: listeners stop, in-flight deliveries drain");
    shutdown.cancel();
    while tasks.join_next().await.is_some() {}
    Ok(())
}

async fn open_store(cfg: &Config, metrics: &Metrics) -> anyhow::Result<AnyStore> {
    let dedup_window_ms = i64::try_from(cfg.store.dedup_window.as_millis()).unwrap_or(i64::MAX);
    match &cfg.store.backend {
        StoreBackend::Sqlite(sqlite) => {
            ensure_parent(&sqlite.path)?;
            let options = StoreOptions {
                dedup_window_ms,
                observer: metrics.store_observer(),
                pipelined_sync: sqlite.sync == crate::config::SqliteSync::Pipelined,
                ..StoreOptions::default()
            };
            let store = SqliteStore::open(&sqlite.path, options)
                .with_context(|| format!("opening store {}", sqlite.path.display()))?;
            Ok(AnyStore::Sqlite(store))
        }
        StoreBackend::Postgres(pg) => {
            let url = match pg.password() {
                Some(secret) => cluster::with_password(&pg.url, &convert::read_secret(&secret)?),
                None => pg.url.clone(),
            };
            let options = PgOptions {
                pool: usize::try_from(pg.pool).unwrap_or(16),
                schema: pg.schema.clone(),
                dedup_window_ms,
                observer: metrics.store_observer(),
                ..PgOptions::new(url)
            };
            // The URL may hold a password: not in the error.
            let store = PostgresStore::open(options)
                .await
                .context("opening the postgres store")?;
            Ok(AnyStore::Postgres(store))
        }
    }
}

fn ensure_parent(path: &std::path::Path) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    Ok(())
}

fn tokens(cfg: &Config) -> anyhow::Result<Vec<Token>> {
    cfg.http
        .tokens
        .iter()
        .map(|t| {
            let secret = t
                .secret()
                .with_context(|| format!("token `{}` has no secret", t.name))?;
            let role = match t.role {
                ConfigRole::Viewer => admin::Role::Viewer,
                ConfigRole::Operator => admin::Role::Operator,
                ConfigRole::Admin => admin::Role::Admin,
            };
            Ok(Token::new(
                t.name.clone(),
                convert::read_secret(&secret)?,
                role,
            ))
        })
        .collect()
}

fn build_sink(
    cfg: &Config,
    dest: &crate::config::Destination,
    clients: &national::Clients,
    store: &Arc<AnyStore>,
    metrics: &junction_connectors::Metrics,
) -> anyhow::Result<AnySink> {
    let ctx = || format!("destination `{}`", dest.name);
    Ok(match &dest.kind {
        DestinationKind::FhirHttp(f) => {
            let bearer = f
                .bearer_token()
                .map(|s| convert::read_secret(&s))
                .transpose()
                .with_context(ctx)?;
            let ids = cluster::id_namespace(cfg);
            let c = convert::fhir_http(&ids, dest, &f.url, f.method, bearer, f.timeout);
            AnySink::FhirHttp(FhirHttpSink::new(c, metrics.clone()).with_context(ctx)?)
        }
        DestinationKind::Mllp(m) => AnySink::Mllp(
            MllpSink::new(
                convert::mllp_sink(&m.address, m.timeout, m.tls.as_ref()),
                metrics.clone(),
            )
            .with_context(ctx)?,
        ),
        DestinationKind::File(f) => AnySink::File(
            FileSink::new(convert::file_sink(&f.dir), metrics.clone()).with_context(ctx)?,
        ),
        DestinationKind::Ers(_) => {
            let client = clients
                .ers
                .clone()
                .context("needs [national.ers]")
                .with_context(ctx)?;
            AnySink::Ers(MeteredSink::new(
                junction_national::ers::ErsSink::new(client),
                metrics.clone(),
            ))
        }
        DestinationKind::Eps(e) => {
            let service = clients
                .eps
                .clone()
                .context("needs [national.eps]")
                .with_context(ctx)?;
            let sink = national::eps_sink(cfg, e, service, clients.metrics.clone());
            AnySink::Eps(Box::new(MeteredSink::new(
                sink.with_context(ctx)?,
                metrics.clone(),
            )))
        }
        DestinationKind::Mesh(m) => {
            let client = clients
                .mesh
                .clone()
                .context("needs [national.mesh]")
                .with_context(ctx)?;
            AnySink::Mesh(MeteredSink::new(
                national::mesh_sink(&cluster::id_namespace(cfg), m, client, store.clone()),
                metrics.clone(),
            ))
        }
        DestinationKind::DicomStore(d) => {
            AnySink::DicomStore(dicom::sink(cfg, dest, d, metrics).with_context(ctx)?)
        }
    })
}

/// SIGINT and SIGTERM, listened for from the moment this is made: make it before announcing
/// readiness, or a signal sent right after the ready line would kill the process outright.
#[cfg(unix)]
fn shutdown_signal() -> impl Future<Output = ()> {
    use tokio::signal::unix::{SignalKind, signal};
    let term = signal(SignalKind::terminate()).ok();
    let int = signal(SignalKind::interrupt()).ok();
    async move {
        match (term, int) {
            (Some(mut term), Some(mut int)) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = int.recv() => {}
                }
            }
            (Some(mut one), None) | (None, Some(mut one)) => {
                one.recv().await;
            }
            (None, None) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
}

/// Ctrl-C where there are no Unix signals.
#[cfg(not(unix))]
fn shutdown_signal() -> impl Future<Output = ()> {
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}
