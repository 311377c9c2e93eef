//! The checks that need more than one key: unique names, routes that name real sources and
//! destinations, listeners that do not collide, sane numbers, parseable URLs and addresses, and
//! the local files the config names. Every problem is recorded; none stops the others.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use junction_model::CodeTables;

use crate::admin::Role as AdminRole;

use super::components::{Destination, DestinationKind, Source, SourceKind};
use super::error::{ConfigError, Located, join};
use super::files::{self, Pem};
use super::parse::Draft;
use super::routes::{self, names};
use super::schema::{ClientTls, Config, Http, ServerTls, Store, StoreBackend};

/// Runs every check over a draft, recording problems in `errors`; builds the `Config` if the
/// draft is complete (the caller discards it if there were errors anywhere).
pub(super) fn validate(
    loc: &Located,
    draft: Draft,
    errors: &mut Vec<ConfigError>,
) -> Option<Config> {
    let mut v = Checker { loc, errors };
    v.name("node.name", &draft.node.name);
    v.log_level(&draft.log.level);
    if let Some(store) = &draft.store {
        v.store(store);
    }
    let mut listeners = Vec::new();
    if let Some(http) = &draft.http {
        v.http(http);
        listeners.push(("http.listen".to_owned(), http.listen));
    }
    if let Some(sim) = &draft.simulators.national {
        listeners.push(("simulators.national.listen".to_owned(), sim.listen));
    }
    v.national(&draft.national, &draft.simulators);
    v.unique("source", "sources", &draft.source_names);
    for (i, s) in &draft.sources {
        let path = format!("sources[{i}]");
        match &s.kind {
            SourceKind::Mllp(m) => listeners.push((join(&path, "listen"), m.listen)),
            SourceKind::Dicom(d) => listeners.push((join(&path, "listen"), d.listen)),
            _ => {}
        }
        v.source(&path, s);
        v.national_source(&path, s, &draft.national);
    }
    v.listeners(&listeners);
    v.unique("destination", "destinations", &draft.destination_names);
    let sources: Vec<Source> = draft.sources.iter().map(|(_, s)| s.clone()).collect();
    for (i, d) in &draft.destinations {
        v.destination(&format!("destinations[{i}]"), d);
        if let DestinationKind::DicomStore(s) = &d.kind {
            v.dicom_destination(&format!("destinations[{i}]"), s, &sources);
        }
        v.national_destination(&format!("destinations[{i}]"), d, &draft.national);
    }
    // A transform's `map` names a `[code_tables]` table.
    for (i, d) in &draft.destinations {
        if let DestinationKind::Mllp(m) = &d.kind {
            for (j, step) in m.transform.iter().enumerate() {
                if let Some(table) = &step.table
                    && !draft.code_tables.contains_key(table)
                {
                    let known: Vec<&str> = draft.code_tables.keys().map(String::as_str).collect();
                    let known = if known.is_empty() {
                        "none configured".to_owned()
                    } else {
                        known.join(", ")
                    };
                    v.err(
                        &format!("destinations[{i}].transform[{j}].table"),
                        format!("unknown code table {table:?} ([code_tables]: {known})"),
                    );
                }
            }
        }
    }
    let route_names: Vec<(usize, String)> = draft
        .routes
        .iter()
        .map(|(i, r)| (*i, r.name.clone()))
        .collect();
    v.unique("route", "routes", &route_names);
    let source_names = names(&draft.source_names);
    let destination_names = names(&draft.destination_names);
    let steps = draft.national.steps();
    let source_kinds = routes::source_kinds(&draft.sources);
    for (i, r) in &draft.routes {
        routes::check(
            &mut v,
            &format!("routes[{i}]"),
            r,
            &source_names,
            &source_kinds,
            &destination_names,
            &steps,
        );
    }
    let mut code_tables = CodeTables::new();
    for (name, path) in &draft.code_tables {
        let key = join("code_tables", name);
        if let Some(table) = files::code_table(loc, &key, name, path, v.errors) {
            code_tables.insert(table);
        }
    }
    Some(Config {
        node: draft.node,
        log: draft.log,
        simulators: draft.simulators,
        national: draft.national,
        steps: draft.steps,
        store: draft.store?,
        http: draft.http?,
        code_table_paths: draft.code_tables,
        code_tables,
        sources: draft.sources.into_iter().map(|(_, s)| s).collect(),
        destinations: draft.destinations.into_iter().map(|(_, d)| d).collect(),
        routes: draft.routes.into_iter().map(|(_, r)| r).collect(),
    })
}

pub(super) struct Checker<'a> {
    pub(super) loc: &'a Located,
    pub(super) errors: &'a mut Vec<ConfigError>,
}

impl Checker<'_> {
    pub(super) fn err(&mut self, key: &str, message: impl Into<String>) {
        self.errors.push(self.loc.error(key, message));
    }

    fn line_of(&self, key: &str) -> usize {
        self.loc.line_col(self.loc.offset_of(key).unwrap_or(0)).0
    }

    /// Names appear in URLs (`/ingest/{name}`), metric labels and logs: keep them plain.
    fn name(&mut self, key: &str, name: &str) {
        let ok = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !ok {
            self.err(
                key,
                format!("invalid name {name:?} (use letters, digits, '_' and '-')"),
            );
        }
    }

    fn unique(&mut self, what: &str, list: &str, names: &[(usize, String)]) {
        let mut seen: Vec<(usize, &String)> = Vec::new();
        for (i, name) in names {
            let key = format!("{list}[{i}].name");
            self.name(&key, name);
            if let Some((first, _)) = seen.iter().find(|(_, n)| *n == name) {
                let line = self.line_of(&format!("{list}[{first}].name"));
                self.err(
                    &key,
                    format!("duplicate {what} name {name:?} (first used on line {line})"),
                );
            } else {
                seen.push((*i, name));
            }
        }
    }

    pub(super) fn positive(&mut self, key: &str, n: u64) {
        if n == 0 {
            self.err(key, "must be greater than 0");
        }
    }

    pub(super) fn nonzero(&mut self, key: &str, d: Duration) {
        if d.is_zero() {
            self.err(key, "must be longer than 0s");
        }
    }

    fn log_level(&mut self, filter: &str) {
        const LEVELS: &[&str] = &["off", "error", "warn", "info", "debug", "trace"];
        let ok = !filter.trim().is_empty()
            && filter.split(',').all(|part| {
                let level = part.rsplit_once('=').map_or(part, |(target, level)| {
                    if target.trim().is_empty() { "" } else { level }
                });
                LEVELS.contains(&level.trim().to_ascii_lowercase().as_str())
            });
        if !ok {
            self.err(
                "log.level",
                format!("invalid level {filter:?} (one of {}, or a filter such as \"info,junction_router=debug\")", LEVELS.join(", ")),
            );
        }
    }

    fn store(&mut self, store: &Store) {
        match &store.backend {
            StoreBackend::Sqlite(s) => {
                if s.path.as_os_str().is_empty() {
                    self.err("store.path", "empty path");
                }
            }
            StoreBackend::Postgres(p) => {
                let ok = ["postgres://", "postgresql://", "host="]
                    .iter()
                    .any(|prefix| p.url.starts_with(prefix));
                if !ok {
                    self.err(
                        "store.url",
                        "expected a PostgreSQL URL (postgres://user@host:5432/db) or key=value string (host=… dbname=…)",
                    );
                }
                self.positive("store.pool", p.pool.into());
                self.secret(
                    "store",
                    ("password_file", &p.password_file),
                    ("password_env", &p.password_env),
                );
            }
        }
        self.nonzero("store.dedup_window", store.dedup_window);
        self.nonzero("store.keep_delivered", store.keep_delivered);
    }

    fn http(&mut self, http: &Http) {
        let mut seen = BTreeSet::new();
        let mut tokens = Vec::new();
        for (i, t) in http.tokens.iter().enumerate() {
            let path = format!("http.tokens[{i}]");
            self.name(&join(&path, "name"), &t.name);
            if !seen.insert(&t.name) {
                self.err(
                    &join(&path, "name"),
                    format!("duplicate token name {:?}", t.name),
                );
            }
            let secret = self.required_secret(
                &path,
                ("token_file", &t.token_file),
                ("token_env", &t.token_env),
            );
            // The role plays no part in the checks below.
            tokens.extend(secret.map(|s| crate::admin::Token::new(&t.name, s, AdminRole::Viewer)));
        }
        // The very checks `junction run` makes before it binds: secret lengths, shared secrets,
        // and no listener beyond loopback without tokens.
        if tokens.len() == http.tokens.len()
            && let Err(problem) = crate::admin::check_exposure(http.listen, &tokens)
        {
            let key = if tokens.is_empty() {
                "http.listen"
            } else {
                "http.tokens"
            };
            self.err(key, problem);
        }
    }

    /// A secret from whichever of its file and environment variable is set, read now: an
    /// unreadable or blank file, an unset or blank variable, or both keys set is an error.
    /// `None` when neither is set (the caller decides whether that is allowed) or on error.
    pub(super) fn secret(
        &mut self,
        path: &str,
        (file_key, file): (&str, &Option<PathBuf>),
        (env_key, env): (&str, &Option<String>),
    ) -> Option<String> {
        match (file, env) {
            (Some(f), None) => files::secret(self.loc, &join(path, file_key), f, self.errors),
            (None, Some(v)) => files::env_secret(self.loc, &join(path, env_key), v, self.errors),
            (Some(_), Some(_)) => {
                self.err(path, format!("set {file_key} or {env_key}, not both"));
                None
            }
            (None, None) => None,
        }
    }

    /// [`Checker::secret`] where one of the two keys must be set.
    pub(super) fn required_secret(
        &mut self,
        path: &str,
        file: (&str, &Option<PathBuf>),
        env: (&str, &Option<String>),
    ) -> Option<String> {
        if file.1.is_none() && env.1.is_none() {
            self.err(path, format!("missing {} or {}", file.0, env.0));
            return None;
        }
        self.secret(path, file, env)
    }

    fn listeners(&mut self, listeners: &[(String, SocketAddr)]) {
        for (i, (key, addr)) in listeners.iter().enumerate() {
            let clash = listeners[..i].iter().find(|(_, other)| {
                addr.port() != 0
                    && addr.port() == other.port()
                    && (addr.ip() == other.ip()
                        || addr.ip().is_unspecified()
                        || other.ip().is_unspecified())
            });
            if let Some((other_key, _)) = clash {
                let line = self.line_of(other_key);
                self.err(
                    key,
                    format!("address {addr} clashes with {other_key} (line {line})"),
                );
            }
        }
    }

    fn source(&mut self, path: &str, s: &Source) {
        if !junction_adapters::BUILT_IN.contains(&s.adapter.as_str()) {
            self.err(
                &join(path, "adapter"),
                format!(
                    "unknown adapter {:?} (built in: {})",
                    s.adapter,
                    junction_adapters::BUILT_IN.join(", ")
                ),
            );
        }
        match &s.kind {
            SourceKind::Mllp(m) => {
                self.positive(&join(path, "max_frame"), m.max_frame);
                self.positive(&join(path, "max_connections"), m.max_connections.into());
                self.nonzero(&join(path, "idle_timeout"), m.idle_timeout);
                if let Some(tls) = &m.tls {
                    self.server_tls(&join(path, "tls"), tls);
                }
            }
            SourceKind::Http(h) => self.positive(&join(path, "max_body"), h.max_body),
            SourceKind::Dicom(d) => self.dicom_source(path, &s.adapter, d),
            SourceKind::ErsWorklist(_) | SourceKind::MeshInbox(_) => {}
        }
    }

    pub(super) fn server_tls(&mut self, path: &str, tls: &ServerTls) {
        files::pem(
            self.loc,
            &join(path, "cert"),
            &tls.cert,
            Pem::Certificate,
            self.errors,
        );
        files::pem(
            self.loc,
            &join(path, "key"),
            &tls.key,
            Pem::PrivateKey,
            self.errors,
        );
        if let Some(ca) = &tls.client_ca {
            files::pem(
                self.loc,
                &join(path, "client_ca"),
                ca,
                Pem::Certificate,
                self.errors,
            );
        }
    }

    pub(super) fn client_tls(&mut self, path: &str, tls: &ClientTls) {
        if let Some(ca) = &tls.ca {
            files::pem(
                self.loc,
                &join(path, "ca"),
                ca,
                Pem::Certificate,
                self.errors,
            );
        }
        match (&tls.cert, &tls.key) {
            (Some(cert), Some(key)) => {
                files::pem(
                    self.loc,
                    &join(path, "cert"),
                    cert,
                    Pem::Certificate,
                    self.errors,
                );
                files::pem(
                    self.loc,
                    &join(path, "key"),
                    key,
                    Pem::PrivateKey,
                    self.errors,
                );
            }
            (Some(_), None) => {
                self.err(&join(path, "cert"), "a client certificate needs `key` too")
            }
            (None, Some(_)) => self.err(&join(path, "key"), "a client key needs `cert` too"),
            (None, None) => {}
        }
    }

    fn destination(&mut self, path: &str, d: &Destination) {
        self.positive(&join(path, "concurrency"), d.concurrency.into());
        self.positive(
            &format!("{path}.retry.max_attempts"),
            d.retry.max_attempts.into(),
        );
        self.nonzero(
            &format!("{path}.retry.initial_backoff"),
            d.retry.initial_backoff,
        );
        if d.retry.max_backoff < d.retry.initial_backoff {
            self.err(
                &format!("{path}.retry.max_backoff"),
                "must be at least initial_backoff",
            );
        }
        self.positive(
            &format!("{path}.breaker.failures"),
            d.breaker.failures.into(),
        );
        self.nonzero(&format!("{path}.breaker.cool_down"), d.breaker.cool_down);
        match &d.kind {
            DestinationKind::FhirHttp(f) => {
                self.url(&join(path, "url"), &f.url);
                self.nonzero(&join(path, "timeout"), f.timeout);
                self.secret(
                    path,
                    ("bearer_token_file", &f.bearer_token_file),
                    ("bearer_token_env", &f.bearer_token_env),
                );
            }
            DestinationKind::Mllp(m) => {
                self.host_port(&join(path, "address"), &m.address);
                self.nonzero(&join(path, "timeout"), m.timeout);
                if let Some(tls) = &m.tls {
                    self.client_tls(&join(path, "tls"), tls);
                }
                for (i, problem) in super::components::check_transform(&m.transform) {
                    self.err(&format!("{path}.transform[{i}]"), problem);
                }
            }
            DestinationKind::File(f) => {
                files::dir_if_exists(self.loc, &join(path, "dir"), &f.dir, self.errors)
            }
            DestinationKind::Ers(_)
            | DestinationKind::Eps(_)
            | DestinationKind::Mesh(_)
            | DestinationKind::DicomStore(_) => {}
        }
    }

    pub(super) fn url(&mut self, key: &str, url: &str) {
        let ok = url.parse::<http::Uri>().is_ok_and(|u| {
            matches!(u.scheme_str(), Some("http" | "https"))
                && u.host().is_some_and(|h| !h.is_empty())
        });
        if !ok {
            self.err(
                key,
                format!("invalid URL {url:?} (expected http://host… or https://host…)"),
            );
        }
    }

    /// `host:port` for an outbound connection: checked for shape only (no DNS).
    pub(super) fn host_port(&mut self, key: &str, address: &str) {
        let ok = address.parse::<SocketAddr>().is_ok()
            || address.rsplit_once(':').is_some_and(|(host, port)| {
                !host.is_empty()
                    && host
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
                    && port.parse::<u16>().is_ok_and(|p| p != 0)
            });
        if !ok {
            self.err(key, format!("invalid address {address:?} (expected host:port, e.g. \"ris.example.nhs.uk:2575\")"));
        }
    }
}
