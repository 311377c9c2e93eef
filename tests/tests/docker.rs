//! The Docker deployment (`docker/`) kept consistent with the code, without a Docker engine:
//! every metric the Grafana dashboard and the Prometheus alerts name is exported by the real
//! binary; the ports compose publishes, the Dockerfile exposes, its health check probes and
//! Prometheus scrapes are the ones the mounted configs listen on; every mounted config passes
//! `junction check` with the image's and compose's paths mapped to this checkout (its secrets to
//! temporary test files); secrets reach the services as files compose declares and grants,
//! never as environment variables; PostgreSQL checks a SCRAM password read from a file; every
//! image is pinned to an exact version; and the Dockerfile builds with the pinned toolchain and
//! runs as a fixed non-root user.

mod docker_files;

use std::collections::BTreeSet;
use std::time::Duration;

use docker_files::compose::{
    declared_secrets, granted_secrets, secret_name, service_scalar, services, unpinned,
};
use docker_files::deploy::{
    alert_exprs, docker_file, exec_form, instructions, items, listens, pairs, repo, scrape_targets,
    section, service_key, toml_strings,
};
use docker_files::grafana::{collect_uids, dashboard_exprs, names_in};
use docker_files::nodes::{
    CONFIG_IN_IMAGE, check, host_paths, mounted_config, port_of, section_range,
};
use docker_files::promql::Exposition;
use junction_e2e::adt::adt;
use junction_e2e::config;
use junction_e2e::fhir_server::FhirServer;
use junction_e2e::gateway::Gateway;
use junction_e2e::http;
use junction_e2e::mllp::MllpClient;
use junction_e2e::nhs::nhs_numbers;
use junction_e2e::wait::eventually;

/// The Junction services in compose.yaml.
const NODES: [&str; 2] = ["node-a", "node-b"];
/// Series Prometheus makes itself rather than scraping.
const PROMETHEUS_SERIES: &[&str] = &["up"];
const DEADLINE: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_and_alerts_name_only_exported_metrics() {
    let dashboard: serde_json::Value =
        serde_json::from_str(&docker_file("grafana/dashboards/junction.json"))
            .expect("dashboard is JSON");
    let mut exprs = Vec::new();
    dashboard_exprs(&dashboard, &mut exprs);
    let in_dashboard = names_in(&exprs);
    let alerts = docker_file("prometheus/alerts.yml");
    // Series the rules record themselves (`record: junction:working_hours`) are not scraped.
    let recorded: Vec<&str> = alerts
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- record: "))
        .collect();
    let mut in_alerts = names_in(&alert_exprs(&alerts));
    in_alerts.retain(|name| !recorded.contains(&name.as_str()));
    // The panels and alerts the deployment promises.
    for name in [
        "junction_messages_received_total",
        "junction_messages_accepted_total",
        "junction_ack_latency_seconds_bucket",
        "junction_queue_depth",
        "junction_queue_oldest_age_seconds",
        "junction_deliveries_total",
        "junction_breaker_open",
    ] {
        assert!(
            in_dashboard.contains(name),
            "no dashboard panel uses {name}"
        );
    }
    for name in [
        "up",
        "junction_queue_depth",
        "junction_queue_oldest_age_seconds",
        "junction_deliveries_total",
        "junction_breaker_open",
        "junction_messages_received_total",
        "junction_messages_routed_total",
        "junction_store_commit_failures_total",
    ] {
        assert!(in_alerts.contains(name), "no alert uses {name}");
    }

    // A gateway that has seen traffic, so that labelled series exist.
    let tmp = tempfile::tempdir().expect("temp dir");
    let fhir = FhirServer::start().await;
    let cfg = [
        config::head(tmp.path()),
        config::mllp_source("pas", ""),
        config::fhir_destination("fhir", &fhir.base_url(), ""),
        config::file_destination("outbox", &tmp.path().join("out")),
        config::patient_route(&["fhir", "outbox"]),
    ]
    .concat();
    let gw = Gateway::start(tmp.path(), &cfg);
    let mut client = MllpClient::connect(gw.source("pas"))
        .await
        .expect("connect");
    for (i, nhs) in nhs_numbers(2).iter().enumerate() {
        let ack = client
            .send(&adt("A01", &format!("DK{i}"), nhs, &format!("MRN{i}")))
            .await
            .expect("send")
            .expect("an ACK");
        assert_eq!(ack.code, "AA", "{}", String::from_utf8_lossy(&ack.raw));
    }
    // One message without MSH-10 is turned away, so the rejection series exists too.
    let mut bad = MllpClient::connect(gw.source("pas"))
        .await
        .expect("connect");
    let _ = bad
        .send(b"MSH|^~\\&|PAS|RXX|J|RXX|20250101||ADT^A01|||2.4\r")
        .await;
    let addr = gw.http;
    let text = eventually(
        DEADLINE,
        "deliveries and a rejection counted",
        || async move {
            let text = http::metrics_text(addr).await;
            let delivered = http::sample(
                &text,
                "junction_deliveries_total",
                &[("outcome", "delivered")],
            );
            let rejected = http::sample(&text, "junction_messages_rejected_total", &[]);
            (delivered >= 4.0 && rejected >= 1.0).then_some(text)
        },
    )
    .await;
    let scraped = Exposition::parse(&text);

    let mut missing = Vec::new();
    for (file, names) in [("dashboard", &in_dashboard), ("alerts.yml", &in_alerts)] {
        for name in names {
            if PROMETHEUS_SERIES.contains(&name.as_str()) {
                continue;
            }
            if let Some(why) = scraped.missing(name) {
                missing.push(format!("{file}: {name}: {why}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "names /metrics does not export: {missing:#?}"
    );
    drop(client);
    assert!(gw.stop().success(), "graceful stop");
}

#[test]
fn alerts_and_dashboard_agree_with_prometheus_and_grafana_provisioning() {
    let prometheus = docker_file("prometheus/prometheus.yml");
    let jobs: Vec<String> = prometheus
        .lines()
        .filter_map(|l| {
            l.trim()
                .strip_prefix("- job_name:")
                .map(|j| j.trim().to_owned())
        })
        .collect();
    assert_eq!(jobs, ["junction"], "one scrape job");
    for e in alert_exprs(&docker_file("prometheus/alerts.yml")) {
        if e.contains("job=") {
            assert!(
                e.contains("job=\"junction\""),
                "alert names another job: {e}"
            );
        }
    }
    // Relative to prometheus.yml, so `promtool check config` passes on the file as shipped, and
    // compose mounts the rules beside it.
    assert!(
        prometheus.contains("rule_files:\n  - alerts.yml"),
        "prometheus.yml loads alerts.yml beside it"
    );
    assert!(
        docker_file("compose.yaml")
            .contains("./prometheus/alerts.yml:/etc/prometheus/alerts.yml:ro"),
        "compose mounts the alerts beside prometheus.yml"
    );
    let compose = docker_file("compose.yaml");
    let prom_mounts = items(&service_key(&compose, "prometheus", "volumes").expect("volumes"));
    assert!(prom_mounts.contains(&"./prometheus/alerts.yml:/etc/prometheus/alerts.yml:ro".into()));

    // Grafana: the dashboard's data source is the provisioned one, and the provider reads the
    // directory compose mounts the dashboards at.
    let datasource = docker_file("grafana/provisioning/datasources/prometheus.yml");
    let uid = datasource
        .lines()
        .find_map(|l| l.trim().strip_prefix("uid:").map(|u| u.trim().to_owned()))
        .expect("datasource uid");
    let dashboard = docker_file("grafana/dashboards/junction.json");
    let v: serde_json::Value = serde_json::from_str(&dashboard).expect("dashboard JSON");
    let mut uids = BTreeSet::new();
    collect_uids(&v, &mut uids);
    assert_eq!(
        uids,
        BTreeSet::from([uid]),
        "every panel uses the provisioned data source"
    );
    let provider = docker_file("grafana/provisioning/dashboards/junction.yml");
    let path = provider
        .lines()
        .find_map(|l| l.trim().strip_prefix("path:").map(|p| p.trim().to_owned()))
        .expect("provider path");
    let mounts = items(&service_key(&compose, "grafana", "volumes").expect("volumes"));
    assert!(
        mounts.contains(&format!("./grafana/dashboards:{path}:ro")),
        "compose mounts the dashboards where the provider looks: {mounts:?}"
    );
}

#[test]
fn published_exposed_probed_and_scraped_ports_are_the_configs_listeners() {
    let compose = docker_file("compose.yaml");
    let dockerfile = instructions(&docker_file("Dockerfile"));
    let exposed: BTreeSet<u16> = dockerfile
        .iter()
        .filter(|(k, _)| k == "EXPOSE")
        .flat_map(|(_, a)| {
            a.split_whitespace()
                .map(|p| p.trim_end_matches("/tcp").parse().expect("port"))
        })
        .collect();
    let health = dockerfile
        .iter()
        .find(|(k, _)| k == "HEALTHCHECK")
        .map(|(_, a)| a.clone())
        .expect("HEALTHCHECK");
    let targets = scrape_targets(&docker_file("prometheus/prometheus.yml"));
    let mut host_ports = BTreeSet::new();
    for node in NODES {
        let cfg = std::fs::read_to_string(mounted_config(&compose, node)).expect("config");
        let listeners = listens(&cfg);
        let http = listeners
            .iter()
            .find(|(h, _)| h == "http")
            .map(|(_, a)| a.clone())
            .expect("[http] listen");
        for (header, addr) in &listeners {
            assert!(
                addr.starts_with("0.0.0.0:") || addr.starts_with("[::]:"),
                "{node} [{header}] listens on {addr}: unreachable from outside the container"
            );
        }
        let listening: BTreeSet<u16> = listeners.iter().map(|(_, a)| port_of(a)).collect();
        let published = items(&service_key(&compose, node, "ports").expect("ports"));
        let container: BTreeSet<u16> = published
            .iter()
            .map(|p| {
                let (host, inside) = p.rsplit_once(':').expect("[IP:]HOST:CONTAINER");
                assert!(
                    host_ports.insert(host.to_owned()),
                    "host port {host} published twice"
                );
                let inside: u16 = inside.parse().expect("container port");
                // Only the HTTP listener (bearer tokens) is published beyond loopback.
                assert!(
                    inside == port_of(&http) || host.starts_with("127.0.0.1:"),
                    "{node}: unauthenticated port {inside} published as {p}, not on 127.0.0.1"
                );
                inside
            })
            .collect();
        assert_eq!(
            container, listening,
            "{node}: compose ports vs config listeners"
        );
        assert_eq!(
            exposed, listening,
            "{node}: Dockerfile EXPOSE vs config listeners"
        );
        let http_port = port_of(&http);
        assert!(
            health.contains(&format!("http://127.0.0.1:{http_port}/healthz")),
            "{node}: HEALTHCHECK probes another port than [http] {http}: {health}"
        );
        assert!(
            targets.contains(&format!("{node}:{http_port}")),
            "{node}: Prometheus does not scrape its HTTP port: {targets:?}"
        );
    }
    assert_eq!(targets.len(), NODES.len(), "scrape targets: {targets:?}");
    let prometheus = items(&service_key(&compose, "prometheus", "ports").expect("ports"));
    assert!(
        prometheus.iter().all(|p| p.starts_with("127.0.0.1:")),
        "Prometheus has no authentication: publish it on 127.0.0.1 only: {prometheus:?}"
    );
}

#[test]
fn mounted_configs_pass_junction_check() {
    let compose = docker_file("compose.yaml");
    let tmp = tempfile::tempdir().expect("temp dir");
    let mut bodies = Vec::new();
    for node in NODES {
        let text = std::fs::read_to_string(mounted_config(&compose, node)).expect("config");
        let cfg = host_paths(&compose, node, &text, tmp.path());
        let path = tmp.path().join(format!("{node}.toml"));
        std::fs::write(&path, &cfg).expect("write config");
        let (ok, errors) = check(&path);
        assert!(ok, "{node}: junction check: {errors:#?}");
        // Everything else validated in full: the same config on SQLite passes.
        let store = section_range(&cfg, "[store]");
        let sqlite = format!(
            "{}[store]\ntype = \"sqlite\"\npath = \"{}\"\n{}",
            &cfg[..store.start],
            tmp.path().join(format!("{node}.db")).display(),
            &cfg[store.end..]
        );
        let path = tmp.path().join(format!("{node}-sqlite.toml"));
        std::fs::write(&path, sqlite).expect("write config");
        let (ok, errors) = check(&path);
        assert!(ok, "{node} on SQLite: junction check: {errors:#?}");

        let name = format!("name = \"{node}\"");
        assert!(text.contains(&name), "{node}: [node] {name}");
        // Settings only (comments may name the file), with this node's name blanked.
        let settings: Vec<String> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(|l| l.replace(node, "NODE"))
            .collect();
        bodies.push(settings);
    }
    let differ: Vec<_> = bodies[0]
        .iter()
        .zip(&bodies[1])
        .filter(|(a, b)| a != b)
        .collect();
    assert!(
        differ.is_empty() && bodies[0].len() == bodies[1].len(),
        "node configs differ beyond the node's name: {differ:?}"
    );
}

#[test]
fn dockerfile_builds_pinned_and_runs_as_a_fixed_non_root_user() {
    let steps = instructions(&docker_file("Dockerfile"));
    let toolchain = std::fs::read_to_string(repo().join("rust-toolchain.toml")).expect("toolchain");
    let channel = toolchain
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("channel = ")
                .map(|c| c.trim_matches('"').to_owned())
        })
        .expect("channel");
    let froms: Vec<&String> = steps
        .iter()
        .filter(|(k, _)| k == "FROM")
        .map(|(_, a)| a)
        .collect();
    assert_eq!(froms.len(), 2, "build and runtime stages: {froms:?}");
    // The exact release, not the moving `rust:1.95` tag.
    assert_eq!(*froms[0], format!("rust:{channel}-slim-bookworm AS build"));
    assert_eq!(channel.split('.').count(), 3, "toolchain channel {channel}");
    // The runtime is the builder's Debian (bookworm, 12) so the binary's glibc matches.
    assert!(
        froms[1].starts_with("debian:12.") && froms[1].ends_with("-slim"),
        "runtime stage on a Debian 12 point release: {}",
        froms[1]
    );
    assert!(
        steps
            .iter()
            .any(|(k, a)| k == "RUN" && a.contains("cargo build --release --locked -p junction"))
    );
    let runtime = steps
        .iter()
        .rposition(|(k, _)| k == "FROM")
        .expect("runtime stage");
    let runtime = &steps[runtime..];
    let get = |kw: &str| {
        runtime
            .iter()
            .filter(|(k, _)| k == kw)
            .map(|(_, a)| a.clone())
            .next_back()
    };
    let user = get("USER").expect("USER in the runtime stage");
    let uid: u32 = user
        .split(':')
        .next()
        .and_then(|u| u.parse().ok())
        .expect("numeric uid");
    assert!(uid >= 1000, "a fixed unprivileged uid: {user}");
    let health = get("HEALTHCHECK").expect("HEALTHCHECK");
    assert!(
        health.contains("/healthz") && health.contains("CMD"),
        "{health}"
    );
    assert_eq!(
        exec_form(&get("ENTRYPOINT").expect("ENTRYPOINT")),
        ["junction"]
    );
    assert_eq!(
        exec_form(&get("CMD").expect("CMD")),
        ["run", "--config", CONFIG_IN_IMAGE]
    );
    let volumes = exec_form(&get("VOLUME").expect("VOLUME"));
    assert_eq!(volumes, ["/etc/junction", "/var/lib/junction"]);
    let ignore = std::fs::read_to_string(repo().join(".dockerignore")).expect(".dockerignore");
    for entry in [".git", "target/", "rust-toolchain.toml"] {
        assert!(
            ignore.lines().any(|l| l.trim() == entry),
            ".dockerignore leaves out {entry}"
        );
    }
}

#[test]
fn secrets_reach_the_nodes_as_files_compose_declares_and_grants() {
    let compose = docker_file("compose.yaml");
    let declared = declared_secrets(&compose);
    assert!(!declared.is_empty(), "compose declares no secrets");
    for (name, file) in &declared {
        // File-based, under docker/secrets/ (git-ignored), never `environment:` or `external:`.
        assert!(
            file.as_deref()
                .is_some_and(|f| f == format!("./secrets/{name}")),
            "secret {name} must be `file: ./secrets/{name}`: {file:?}"
        );
    }
    let ignore = std::fs::read_to_string(repo().join(".gitignore")).expect(".gitignore");
    assert!(
        ignore.lines().any(|l| l.trim() == "/docker/secrets/"),
        ".gitignore leaves out docker/secrets/"
    );
    for node in NODES {
        // Nothing secret in the environment: no .env file, no interpolation, no secret-like key.
        assert_eq!(service_scalar(&compose, node, "env_file"), None, "{node}");
        assert!(service_key(&compose, node, "env_file").is_none(), "{node}");
        let env = service_key(&compose, node, "environment")
            .map(|e| pairs(&e))
            .unwrap_or_default();
        for (k, v) in &env {
            let key = k.to_ascii_uppercase();
            assert!(
                !["TOKEN", "PASSWORD", "SECRET", "KEY", "PASS"]
                    .iter()
                    .any(|w| key.contains(w))
                    && !v.contains("${"),
                "{node}: secret-like environment entry {k}: pass it as a secret file"
            );
        }
        let text = std::fs::read_to_string(mounted_config(&compose, node)).expect("config");
        let strings = toml_strings(&text);
        let envs: Vec<_> = strings
            .iter()
            .filter(|(_, k, _)| k.ends_with("_env"))
            .collect();
        assert!(
            envs.is_empty(),
            "{node}: secrets from the environment: {envs:?}"
        );
        let granted = granted_secrets(&compose, node);
        let files: Vec<_> = strings
            .iter()
            .filter(|(_, k, _)| k.ends_with("_file"))
            .collect();
        for (header, key, value) in &files {
            let name = secret_name(value).unwrap_or_else(|| {
                panic!("{node}: [{header}] {key} = {value}: not a /run/secrets/<name> path")
            });
            assert!(
                declared.iter().any(|(d, _)| d == name),
                "{node}: [{header}] {key}: compose declares no secret {name}"
            );
            assert!(
                granted.iter().any(|g| g == name),
                "{node}: [{header}] {key}: compose does not grant {node} the secret {name}"
            );
        }
        let tokens = text.matches("[[http.tokens]]").count();
        let token_files = files
            .iter()
            .filter(|(h, k, _)| h == "http.tokens" && k == "token_file");
        assert_eq!(
            token_files.count(),
            tokens,
            "{node}: every token a token_file"
        );
        assert!(
            files
                .iter()
                .any(|(h, k, _)| h == "store" && k == "password_file"),
            "{node}: the store's password from password_file"
        );
        // Only what the node reads.
        for name in &granted {
            assert!(
                files.iter().any(|(_, _, v)| secret_name(v) == Some(name)),
                "{node} is granted {name} but its config does not read it"
            );
        }
    }
}

#[test]
fn postgres_checks_a_scram_password_from_a_file() {
    let compose = docker_file("compose.yaml");
    let env = pairs(&service_key(&compose, "postgres", "environment").expect("environment"));
    let get = |key: &str| env.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
    assert_eq!(
        get("POSTGRES_PASSWORD"),
        None,
        "the password from a file, not the env"
    );
    let file = get("POSTGRES_PASSWORD_FILE").expect("POSTGRES_PASSWORD_FILE");
    let name = secret_name(file).expect("POSTGRES_PASSWORD_FILE under /run/secrets");
    assert!(
        granted_secrets(&compose, "postgres")
            .iter()
            .any(|g| g == name),
        "postgres is not granted {name}"
    );
    assert!(
        declared_secrets(&compose)
            .iter()
            .any(|(d, f)| d == name && f.is_some())
    );
    assert_eq!(get("POSTGRES_HOST_AUTH_METHOD"), Some("scram-sha-256"));
    let initdb: Vec<&str> = get("POSTGRES_INITDB_ARGS")
        .expect("POSTGRES_INITDB_ARGS")
        .split_whitespace()
        .collect();
    for arg in ["--auth-host=scram-sha-256", "--auth-local=scram-sha-256"] {
        assert!(
            initdb.contains(&arg),
            "POSTGRES_INITDB_ARGS lacks {arg}: {initdb:?}"
        );
    }
    for (k, v) in &env {
        assert!(
            !["trust", "md5", "password"].contains(&v.as_str()),
            "{k}: {v}"
        );
    }
    // The health check needs no password.
    let health = pairs(&section(&compose, &["services", "postgres", "healthcheck"]).expect("hc"));
    let test = health
        .iter()
        .find(|(k, _)| k == "test")
        .map(|(_, v)| v.clone());
    assert!(
        test.is_some_and(|t| t.contains("pg_isready")),
        "pg_isready health check"
    );

    // The nodes log in with the same secret, and their URL holds no password.
    for node in NODES {
        let text = std::fs::read_to_string(mounted_config(&compose, node)).expect("config");
        let store: Vec<_> = toml_strings(&text)
            .into_iter()
            .filter(|(h, _, _)| h == "store")
            .collect();
        let value = |key: &str| {
            store
                .iter()
                .find(|(_, k, _)| k == key)
                .map(|(_, _, v)| v.clone())
        };
        assert_eq!(value("type").as_deref(), Some("postgres"), "{node}");
        assert_eq!(value("password_file").as_deref(), Some(file), "{node}");
        let url = value("url").expect("store url");
        let userinfo = url
            .split_once("://")
            .and_then(|(_, rest)| rest.split_once('@'))
            .map(|(u, _)| u)
            .unwrap_or_default();
        assert!(
            !userinfo.contains(':') && !url.contains("password="),
            "{node}: the store URL holds a password"
        );
    }
}

#[test]
fn every_image_is_pinned_to_an_exact_version() {
    let compose = docker_file("compose.yaml");
    let mut refs = Vec::new();
    for service in services(&compose) {
        let image = service_scalar(&compose, &service, "image");
        if service_scalar(&compose, &service, "build").is_some() {
            // Built here from the Dockerfile, whose bases are checked below.
            continue;
        }
        refs.push((
            service.clone(),
            image.unwrap_or_else(|| panic!("{service}: no image")),
        ));
    }
    assert!(refs.len() >= 3, "postgres, prometheus, grafana: {refs:?}");
    for (kw, args) in instructions(&docker_file("Dockerfile")) {
        if kw == "FROM" {
            refs.push(("Dockerfile".into(), args));
        }
    }
    let loose: Vec<String> = refs
        .iter()
        .filter_map(|(at, image)| unpinned(image).map(|why| format!("{at}: {why}")))
        .collect();
    assert!(loose.is_empty(), "images not pinned: {loose:#?}");
}
