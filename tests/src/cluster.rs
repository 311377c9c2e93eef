//! Several nodes on one PostgreSQL database: a throw-away schema per test (dropped when the
//! guard goes), the config head that points a node at it, and a look at the leader-lease table.
//!
//! The server is the CI's: `postgres://postgres@127.0.0.1:5432/test` (trust auth), or
//! `JUNCTION_TEST_PG_URL` (`tests/run` starts a throwaway cluster and sets it). A test that
//! cannot reach it fails, loudly: it does not skip.

use std::path::Path;

use tokio_postgres::{Client, NoTls};

/// The test database's URL.
pub fn url() -> String {
    std::env::var("JUNCTION_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// Connects to the test database; panics (failing the test) when it is unreachable.
pub async fn connect() -> Client {
    connect_at(&url()).await
}

/// Connects to the database at `url`; panics when it is unreachable.
pub async fn connect_at(url: &str) -> Client {
    let (client, conn) = tokio_postgres::connect(url, NoTls).await.unwrap_or_else(|e| {
        panic!(
            "PostgreSQL at {url} is unreachable ({e}): these tests need it (set JUNCTION_TEST_PG_URL, or run tests/run)"
        )
    });
    tokio::spawn(conn);
    client
}

/// A schema of its own for one test, dropped (with everything in it) on drop.
pub struct TestSchema {
    /// Its name, `[a-z0-9_]`.
    pub name: String,
    url: String,
    client: Client,
}

impl TestSchema {
    /// Creates `<prefix>_<pid>_<random>` in the test database.
    pub async fn create(prefix: &str) -> TestSchema {
        TestSchema::create_at(&url(), prefix).await
    }

    /// Creates `<prefix>_<pid>_<random>` in the database at `url`.
    pub async fn create_at(url: &str, prefix: &str) -> TestSchema {
        use std::hash::{BuildHasher, RandomState};
        let random = RandomState::new().hash_one(prefix) & 0xffff_ffff;
        let name = format!("{prefix}_{}_{random:08x}", std::process::id());
        let client = connect_at(url).await;
        client
            .batch_execute(&format!("CREATE SCHEMA {name}"))
            .await
            .expect("create the test schema");
        TestSchema {
            name,
            url: url.to_owned(),
            client,
        }
    }

    /// The database client the schema was made with.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The holder of leader lease `lease` while it is unexpired (by the database's clock), as
    /// the node name (the part before `#`).
    pub async fn leader(&self, lease: &str) -> Option<String> {
        let sql = format!(
            "SELECT holder FROM {}.leases WHERE name = $1
               AND until > (extract(epoch from clock_timestamp()) * 1000)::bigint",
            self.name
        );
        let row = self.client.query_opt(&sql, &[&lease]).await.ok()??;
        let holder: String = row.get(0);
        Some(holder.split('#').next().unwrap_or_default().to_owned())
    }
}

impl Drop for TestSchema {
    fn drop(&mut self) {
        // Drop runs outside async: a thread with its own runtime and connection does it.
        let (name, url) = (self.name.clone(), self.url.clone());
        let done = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                if let Ok((client, conn)) = tokio_postgres::connect(&url, NoTls).await {
                    tokio::spawn(conn);
                    let _ = client
                        .batch_execute(&format!("DROP SCHEMA IF EXISTS {name} CASCADE"))
                        .await;
                }
            });
        });
        let _ = done.join();
    }
}

/// `[node]`, `[log]`, `[store]` (PostgreSQL, `schema`, leader leases of `leader_ttl`), `[http]`
/// (loopback, port 0, audit log in `dir`) and `[code_tables]`: [`crate::config::head`] for a
/// node of a cluster.
pub fn head(dir: &Path, node: &str, schema: &str, leader_ttl: &str) -> String {
    head_at(dir, node, &url(), schema, leader_ttl, "error")
}

/// [`head`] for the database at `url`, logging at `level`.
pub fn head_at(
    dir: &Path,
    node: &str,
    url: &str,
    schema: &str,
    leader_ttl: &str,
    level: &str,
) -> String {
    let tables = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/code-tables");
    format!(
        r#"[node]
name = "{node}"

[log]
format = "json"
level = "{level}"

[store]
type = "postgres"
url = "{url}"
schema = "{schema}"
pool = 8
leader_ttl = "{leader_ttl}"

[http]
listen = "127.0.0.1:0"
audit_log = "{audit}"

[code_tables]
sex = "{tables}/sex.csv"
ethnic = "{tables}/ethnic.csv"
"#,
        audit = dir.join("audit.log").display(),
        tables = tables.display(),
    )
}
