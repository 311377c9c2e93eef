//! Reading the TOML: syntax errors first, then each section and each component deserialized on
//! its own, so that one bad table does not hide the errors of the next. Components are split
//! into their common keys and a closed enum of kinds chosen by `type`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::components::{
    Destination, DestinationCommon, DestinationKind, Route, Source, SourceCommon, SourceKind,
};
use super::error::{ConfigError, Located, join};
use super::national::{National, Steps};
use super::schema::{Http, Log, Node, Simulators, Store, StoreBackend, Token};
use super::tree::{Value, index_table, read};
use super::units;

const SECTIONS: &[&str] = &[
    "node",
    "log",
    "simulators",
    "national",
    "steps",
    "store",
    "http",
    "code_tables",
    "sources",
    "destinations",
    "routes",
];

/// What the file says, before the checks that span sections. Components keep their index in the
/// file so errors name the right element even when an earlier one failed to read.
#[derive(Default)]
pub(super) struct Draft {
    pub node: Node,
    pub log: Log,
    pub simulators: Simulators,
    pub national: National,
    pub steps: Steps,
    /// `None` if `[store]` failed to read.
    pub store: Option<Store>,
    /// `None` if `[http]` failed to read.
    pub http: Option<Http>,
    pub code_tables: BTreeMap<String, PathBuf>,
    pub sources: Vec<(usize, Source)>,
    pub destinations: Vec<(usize, Destination)>,
    pub routes: Vec<(usize, Route)>,
    /// Every source and destination name written, even in tables that failed to read, so a
    /// route naming a broken destination is not also told the destination does not exist.
    pub source_names: Vec<(usize, String)>,
    pub destination_names: Vec<(usize, String)>,
}

/// Parses `text`; returns the file's key index and, unless the TOML itself is malformed, a draft.
pub(super) fn parse(loc: &mut Located, text: &str, errors: &mut Vec<ConfigError>) -> Option<Draft> {
    let (root, syntax) = DeTable::parse_recoverable(text);
    if !syntax.is_empty() {
        // One error a line: the parser's recovery makes follow-on errors that only add noise.
        let mut lines = Vec::new();
        let mut syntax = syntax;
        syntax.sort_by_key(|e| e.span().map_or(0, |s| s.start));
        for e in syntax {
            let offset = e.span().map_or(0, |s| s.start);
            let line = loc.line_col(offset).0;
            if !lines.contains(&line) {
                lines.push(line);
                let message = e.message().trim().replace('\n', "; ");
                errors.push(loc.at(offset, "", format!("TOML syntax: {message}")));
            }
        }
        return None;
    }
    let mut entries = Vec::new();
    index_table(root.get_ref(), "", &mut entries);
    loc.set_entries(entries);

    let mut draft = Draft {
        store: Some(Store::default()),
        http: Some(Http::default()),
        ..Draft::default()
    };
    for (key, value) in root.into_inner() {
        let name: &str = key.get_ref();
        match name {
            "node" => draft.node = read(loc, "node", value, errors).unwrap_or_default(),
            "log" => draft.log = read(loc, "log", value, errors).unwrap_or_default(),
            "simulators" => {
                draft.simulators = read(loc, "simulators", value, errors).unwrap_or_default();
            }
            "national" => {
                draft.national = read(loc, "national", value, errors).unwrap_or_default();
            }
            "steps" => draft.steps = read(loc, "steps", value, errors).unwrap_or_default(),
            "store" => draft.store = store(loc, value, errors),
            "http" => draft.http = http(loc, value, errors),
            "code_tables" => draft.code_tables = code_tables(loc, value, errors),
            "sources" => {
                for (i, el) in array_of_tables(loc, "sources", value, errors) {
                    draft.source_names.extend(name_of(&el).map(|n| (i, n)));
                    draft
                        .sources
                        .extend(source(loc, &format!("sources[{i}]"), el, errors).map(|s| (i, s)));
                }
            }
            "destinations" => {
                for (i, el) in array_of_tables(loc, "destinations", value, errors) {
                    draft.destination_names.extend(name_of(&el).map(|n| (i, n)));
                    let path = format!("destinations[{i}]");
                    draft
                        .destinations
                        .extend(destination(loc, &path, el, errors).map(|d| (i, d)));
                }
            }
            "routes" => {
                for (i, el) in array_of_tables(loc, "routes", value, errors) {
                    let path = format!("routes[{i}]");
                    draft
                        .routes
                        .extend(read(loc, &path, el, errors).map(|r| (i, r)));
                }
            }
            other => errors.push(loc.at(
                key.span().start,
                &join("", other),
                format!("unknown section (known: {})", SECTIONS.join(", ")),
            )),
        }
    }
    Some(draft)
}

/// `[[sources]]` and the like: the elements of an array of tables, with their indexes.
fn array_of_tables<'a>(
    loc: &Located,
    path: &str,
    value: Value<'a>,
    errors: &mut Vec<ConfigError>,
) -> Vec<(usize, Value<'a>)> {
    let span = value.span();
    let DeValue::Array(items) = value.into_inner() else {
        errors.push(loc.at(
            span.start,
            path,
            format!("expected an array of tables: write [[{path}]]"),
        ));
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().cloned().enumerate() {
        if item.get_ref().is_table() {
            out.push((i, item));
        } else {
            let key = format!("{path}[{i}]");
            errors.push(loc.at(item.span().start, &key, "expected a table"));
        }
    }
    out
}

/// A component's `name`, if it has a string one.
fn name_of(value: &Value<'_>) -> Option<String> {
    value
        .get_ref()
        .get("name")?
        .get_ref()
        .as_str()
        .map(str::to_owned)
}

/// Splits a component table into its common keys and the rest, and takes out `type`.
fn split<'a>(value: Value<'a>, common: &[&str]) -> (Value<'a>, Value<'a>, Option<Value<'a>>) {
    let span = value.span();
    let DeValue::Table(table) = value.into_inner() else {
        unreachable!("array_of_tables passes tables only")
    };
    let (mut shared, mut rest) = (DeTable::new(), DeTable::new());
    let mut ty = None;
    for (k, v) in table {
        let key: &str = k.get_ref();
        if key == "type" {
            ty = Some(v);
        } else if common.contains(&key) {
            shared.insert(k, v);
        } else {
            rest.insert(k, v);
        }
    }
    let wrap = |t: DeTable<'a>| Spanned::new(span.clone(), DeValue::Table(t));
    (wrap(shared), wrap(rest), ty)
}

/// The `type` of a component: present, a string, one of `types`.
fn type_of(
    loc: &Located,
    path: &str,
    ty: Option<Value<'_>>,
    types: &[&str],
    errors: &mut Vec<ConfigError>,
) -> Option<String> {
    let key = join(path, "type");
    let known = types.join(", ");
    let Some(ty) = ty else {
        let mut e = loc.error(path, format!("missing field `type` (one of: {known})"));
        e.key = key;
        errors.push(e);
        return None;
    };
    match ty.get_ref().as_str() {
        Some(t) if types.contains(&t) => Some(t.to_owned()),
        Some(t) => {
            errors.push(loc.at(
                ty.span().start,
                &key,
                format!("unknown type {t:?} (known: {known})"),
            ));
            None
        }
        None => {
            errors.push(loc.at(
                ty.span().start,
                &key,
                format!("expected a string, one of: {known}"),
            ));
            None
        }
    }
}

fn source(
    loc: &Located,
    path: &str,
    value: Value<'_>,
    errors: &mut Vec<ConfigError>,
) -> Option<Source> {
    let (shared, rest, ty) = split(value, &["name", "adapter"]);
    let common: Option<SourceCommon> = read(loc, path, shared, errors);
    let kind = match type_of(loc, path, ty, SourceKind::TYPES, errors)?.as_str() {
        "mllp" => read(loc, path, rest, errors).map(SourceKind::Mllp),
        "ers_worklist" => read(loc, path, rest, errors).map(SourceKind::ErsWorklist),
        "mesh_inbox" => read(loc, path, rest, errors).map(SourceKind::MeshInbox),
        "dicom" => read(loc, path, rest, errors).map(SourceKind::Dicom),
        _ => read(loc, path, rest, errors).map(SourceKind::Http),
    };
    let common = common?;
    Some(Source {
        name: common.name,
        adapter: common.adapter,
        kind: kind?,
    })
}

fn destination(
    loc: &Located,
    path: &str,
    value: Value<'_>,
    errors: &mut Vec<ConfigError>,
) -> Option<Destination> {
    let (shared, rest, ty) = split(
        value,
        &[
            "name",
            "concurrency",
            "retry",
            "breaker",
            "allow_restricted",
            "encode",
        ],
    );
    let common: Option<DestinationCommon> = read(loc, path, shared, errors);
    let kind = match type_of(loc, path, ty, DestinationKind::TYPES, errors)?.as_str() {
        "fhir_http" => read(loc, path, rest, errors).map(DestinationKind::FhirHttp),
        "mllp" => read(loc, path, rest, errors).map(DestinationKind::Mllp),
        "ers" => read(loc, path, rest, errors).map(DestinationKind::Ers),
        "eps" => read(loc, path, rest, errors).map(DestinationKind::Eps),
        "mesh" => read(loc, path, rest, errors).map(DestinationKind::Mesh),
        "dicom_store" => read(loc, path, rest, errors).map(DestinationKind::DicomStore),
        _ => read(loc, path, rest, errors).map(DestinationKind::File),
    };
    let common = common?;
    Some(Destination {
        name: common.name,
        concurrency: common.concurrency,
        retry: common.retry,
        breaker: common.breaker,
        allow_restricted: common.allow_restricted,
        encode: common.encode,
        kind: kind?,
    })
}

/// `[store]`: a backend tagged by `type` (default `sqlite`) plus retention settings.
fn store(loc: &Located, value: Value<'_>, errors: &mut Vec<ConfigError>) -> Option<Store> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Common {
        #[serde(default = "dedup_window", deserialize_with = "units::duration")]
        dedup_window: std::time::Duration,
        #[serde(default = "keep_delivered", deserialize_with = "units::duration")]
        keep_delivered: std::time::Duration,
    }
    fn dedup_window() -> std::time::Duration {
        Store::default().dedup_window
    }
    fn keep_delivered() -> std::time::Duration {
        Store::default().keep_delivered
    }
    if !value.get_ref().is_table() {
        errors.push(loc.at(value.span().start, "store", "expected a table"));
        return None;
    }
    let (shared, rest, ty) = split(value, &["dedup_window", "keep_delivered"]);
    let common: Option<Common> = read(loc, "store", shared, errors);
    let ty = match ty {
        None => "sqlite".to_owned(),
        ty => type_of(loc, "store", ty, &["sqlite", "postgres"], errors)?,
    };
    let backend = match ty.as_str() {
        "sqlite" => read(loc, "store", rest, errors).map(StoreBackend::Sqlite),
        _ => read(loc, "store", rest, errors).map(StoreBackend::Postgres),
    };
    let common = common?;
    Some(Store {
        backend: backend?,
        dedup_window: common.dedup_window,
        keep_delivered: common.keep_delivered,
    })
}

/// `[http]`, reading each `[[http.tokens]]` on its own so one bad token hides nothing else.
fn http(loc: &Located, value: Value<'_>, errors: &mut Vec<ConfigError>) -> Option<Http> {
    if !value.get_ref().is_table() {
        errors.push(loc.at(value.span().start, "http", "expected a table"));
        return None;
    }
    let (tokens, rest, ty) = split(value, &["tokens"]);
    if let Some(ty) = ty {
        errors.push(loc.at(ty.span().start, "http.type", "unknown field `type`"));
    }
    let mut http: Option<Http> = read(loc, "http", rest, errors);
    let Some(tokens) = tokens
        .into_inner()
        .as_table()
        .and_then(|t| t.get("tokens"))
        .cloned()
    else {
        return http;
    };
    for (i, el) in array_of_tables(loc, "http.tokens", tokens, errors) {
        let token = read::<Token>(loc, &format!("http.tokens[{i}]"), el, errors);
        if let (Some(h), Some(t)) = (&mut http, token) {
            h.tokens.push(t);
        }
    }
    // A bad token is reported; the rest of `[http]` is still checked (the config is rejected).
    http
}

/// `[code_tables]`: name = "path.csv".
fn code_tables(
    loc: &Located,
    value: Value<'_>,
    errors: &mut Vec<ConfigError>,
) -> BTreeMap<String, PathBuf> {
    let span = value.span();
    let DeValue::Table(table) = value.into_inner() else {
        errors.push(loc.at(
            span.start,
            "code_tables",
            "expected a table of name = \"path.csv\"",
        ));
        return BTreeMap::new();
    };
    let mut out = BTreeMap::new();
    for (k, v) in table {
        let name: &str = k.get_ref();
        match v.get_ref().as_str() {
            Some(p) => {
                out.insert(name.to_owned(), PathBuf::from(p));
            }
            None => errors.push(loc.at(
                v.span().start,
                &join("code_tables", name),
                "expected a path to a CSV file (columns local,code,display,system)",
            )),
        }
    }
    out
}
