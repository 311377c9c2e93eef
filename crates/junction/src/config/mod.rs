//! The gateway's configuration: one TOML file read, checked as a whole and reported with file,
//! line and key for every problem at once. Only this module knows TOML; the wiring converts its
//! plain types into the inner crates' structs.
//!
//! Loading runs in three steps, none of which touches the network:
//! 1. `parse`: TOML syntax (all syntax errors, then stop), then each section and each component
//!    deserialized on its own (`deny_unknown_fields`; closed enums tagged by `type`);
//! 2. `validate`: names, references, listeners, numbers, URLs and addresses across sections;
//! 3. `files`: the local files the config names (TLS PEMs, token files, code tables) are read.
//!
//! Relative paths in the config resolve against the directory of the config file (`paths`),
//! whatever directory junction runs in; errors show them resolved that way.

// Until `junction run` wires the config in, only `check` uses it.

mod check_national;
mod components;
mod dicom;
mod error;
mod files;
mod national;
mod parse;
mod paths;
mod routes;
mod schema;
mod tree;
mod units;
mod validate;

use std::path::Path;

#[allow(unused_imports)] // the module's surface; tests and later commands use all of it
pub use components::{
    Breaker, Destination, DestinationKind, Encode, FhirHttp, FileSink, HttpSource, Method,
    MllpSink, MllpSource, Retry, Route, Source, SourceKind, TransformStep, build_transform,
    check_transform,
};
#[allow(unused_imports)] // the module's surface
pub use dicom::{DICOM_ADAPTER, DicomSource, DicomStoreSink, ae_title_problem};
pub use error::ConfigError;
#[allow(unused_imports)] // the module's surface
pub use national::{
    Environment, EpsSink, ErsSink, ErsWorklist, Mesh, MeshInbox, MeshSend, MeshSink, National,
    NationalSim, PdsVerify, PlatformAuth, RateLimit, Service, Steps,
};
#[allow(unused_imports)] // the module's surface; tests and later commands use all of it
pub use routes::validate_expression;
#[allow(unused_imports)] // the module's surface; tests and later commands use all of it
pub use schema::{
    ClientTls, Config, Http, Log, LogFormat, Node, Postgres, Role, Secret, ServerTls, Simulators,
    Sqlite, SqliteSync, Store, StoreBackend, Token,
};
#[allow(unused_imports)] // the module's surface; tests and later commands use all of it
pub use units::{parse_duration, parse_size};

/// Reads and checks the config at `path`. Returns every problem found, sorted by file, line and
/// column, or the config if there are none.
pub fn load(path: &Path) -> Result<Config, Vec<ConfigError>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            return Err(vec![ConfigError {
                file: path.to_path_buf(),
                line: 0,
                column: 0,
                key: String::new(),
                message: format!("cannot read config: {e}"),
            }]);
        }
    };
    from_str(path, &text)
}

/// Checks config text as if read from `path` (which names it in errors and is not read).
pub fn from_str(path: &Path, text: &str) -> Result<Config, Vec<ConfigError>> {
    let mut loc = error::Located::new(path, text);
    let mut errors = Vec::new();
    let base = paths::base_of(path);
    let config = parse::parse(&mut loc, text, &mut errors).and_then(|mut draft| {
        paths::rebase(&mut draft, &base);
        validate::validate(&loc, draft, &mut errors)
    });
    match config {
        Some(c) if errors.is_empty() => Ok(c),
        _ => {
            error::sort(&mut errors, path);
            errors.dedup();
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn load_str(text: &str) -> Result<Config, Vec<ConfigError>> {
        from_str(Path::new("test.toml"), text)
    }

    #[test]
    fn an_empty_file_is_all_defaults() {
        let c = load_str("").unwrap();
        assert_eq!(c.node.name, "junction");
        assert_eq!(c.log.format, LogFormat::Text);
        assert_eq!(c.http.listen, "127.0.0.1:8080".parse().unwrap());
        assert!(
            matches!(&c.store.backend, StoreBackend::Sqlite(s) if s.path == Path::new("./data/junction.db"))
        );
        assert_eq!(c.store.dedup_window, Duration::from_secs(7 * 86_400));
        assert!(c.sources.is_empty() && c.destinations.is_empty() && c.routes.is_empty());
    }

    #[test]
    fn components_come_out_typed_with_defaults_filled_in() {
        let c = load_str(
            r#"
            [[sources]]
            name = "pas"
            type = "mllp"
            listen = "127.0.0.1:2575"
            adapter = "pas"
            max_frame = 1024

            [[destinations]]
            name = "fhir"
            type = "fhir_http"
            url = "https://fhir.example/R4"
            bearer_token_env = "PATH"
            retry = { max_attempts = 3 }

            [[routes]]
            name = "all"
            destinations = ["fhir"]
            "#,
        )
        .unwrap();
        let SourceKind::Mllp(m) = &c.sources[0].kind else {
            panic!("not mllp")
        };
        assert_eq!((m.max_frame, m.max_connections), (1024, 1024));
        assert_eq!(m.idle_timeout, Duration::from_secs(300));
        let d = &c.destinations[0];
        assert_eq!((d.concurrency, d.retry.max_attempts), (4, 3));
        assert_eq!(d.retry.max_backoff, Duration::from_secs(600));
        let DestinationKind::FhirHttp(f) = &d.kind else {
            panic!("not fhir_http")
        };
        assert_eq!(f.method, Method::Post);
        // Any variable that is set will do: `load` checks it is (PATH always is here).
        assert_eq!(f.bearer_token(), Some(Secret::Env("PATH".into())));
        assert!(c.routes[0].sources.is_empty());
    }

    #[test]
    fn the_kind_enums_are_serde_tagged_by_type() {
        let k: DestinationKind = toml::from_str("type = \"file\"\ndir = \"out\"").unwrap();
        assert!(matches!(k, DestinationKind::File(f) if f.dir == Path::new("out")));
        assert!(toml::from_str::<SourceKind>("type = \"http\"\nmax_bdy = 1").is_err());
    }

    #[test]
    fn errors_name_the_key_and_line() {
        let errors = load_str("[node]\nname = \"a\"\n\n[log]\nlevel = \"loud\"\n").unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(
            errors[0].to_string().split(" (").next().unwrap(),
            "test.toml:5:1: log.level: invalid level \"loud\""
        );
    }
}
