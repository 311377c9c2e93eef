//! Config text for the tests' gateways: the common head (node, log, store and HTTP listener in
//! the temp dir, the shipped code tables) and one-line builders for sources, destinations and
//! routes. Every listener binds 127.0.0.1:0; the ready line says where.

use std::path::Path;

/// `[node]`, `[log]`, `[store]` (SQLite in `dir/data`), `[http]` (loopback, port 0, audit log
/// `dir/data/audit.log`) and `[code_tables]`.
pub fn head(dir: &Path) -> String {
    let tables = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/code-tables");
    let data = dir.join("data");
    format!(
        r#"[node]
name = "e2e"

[log]
format = "json"
level = "info"

[store]
type = "sqlite"
path = "{db}"

[http]
listen = "127.0.0.1:0"
audit_log = "{audit}"

[code_tables]
sex = "{tables}/sex.csv"
ethnic = "{tables}/ethnic.csv"
"#,
        db = data.join("junction.db").display(),
        audit = data.join("audit.log").display(),
        tables = tables.display(),
    )
}

/// An MLLP source with the `pas` adapter; `extra` is more `key = value` lines.
pub fn mllp_source(name: &str, extra: &str) -> String {
    format!(
        "\n[[sources]]\nname = \"{name}\"\ntype = \"mllp\"\nlisten = \"127.0.0.1:0\"\nadapter = \"pas\"\nmrn_authority = \"RXX\"\n{extra}\n"
    )
}

/// An HTTP ingest source (`POST /ingest/{name}`) with the `pas` adapter.
pub fn http_source(name: &str) -> String {
    format!("\n[[sources]]\nname = \"{name}\"\ntype = \"http\"\nadapter = \"pas\"\n")
}

/// A `fhir_http` destination; `extra` is more `key = value` lines (retry, breaker, timeout).
pub fn fhir_destination(name: &str, url: &str, extra: &str) -> String {
    format!(
        "\n[[destinations]]\nname = \"{name}\"\ntype = \"fhir_http\"\nurl = \"{url}\"\n{extra}\n"
    )
}

/// A `file` destination writing into `dir`.
pub fn file_destination(name: &str, dir: &Path) -> String {
    format!(
        "\n[[destinations]]\nname = \"{name}\"\ntype = \"file\"\ndir = \"{}\"\n",
        dir.display()
    )
}

/// A route from every source for `patient.*` events to `destinations`.
pub fn patient_route(destinations: &[&str]) -> String {
    let list: Vec<String> = destinations.iter().map(|d| format!("\"{d}\"")).collect();
    format!(
        "\n[[routes]]\nname = \"patients\"\nkinds = [\"patient.*\"]\ndestinations = [{}]\n",
        list.join(", ")
    )
}
