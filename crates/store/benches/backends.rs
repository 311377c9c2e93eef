//! Throughput of the two store backends in one run: concurrent append + route of `N` messages
//! (one keyed delivery each), then lease + complete of every delivery by four workers.
//!
//! `cargo bench -p junction-store --bench backends` (PostgreSQL at 127.0.0.1:5432, database
//! `test`, or `JUNCTION_TEST_PG_URL`; `JUNCTION_BENCH_N` messages, default 4000). SQLite runs
//! with `synchronous=FULL`; PostgreSQL with whatever the server's `fsync`/`synchronous_commit`
//! are (printed). `JUNCTION_BENCH_PRELOAD=M` then runs PostgreSQL again on a schema that
//! already holds `M` finished messages (each with an event, a delivered delivery and an
//! attempt), to show what the table sizes do to the insert and lease rates.

#![allow(
    clippy::unwrap_used,
    clippy::print_stdout,
    reason = "a bench binary: failures abort the run, results go to stdout"
)]

use std::sync::Arc;
use std::time::Instant;

use junction_store::{
    MessageState, NewDelivery, NewMessage, Outcome, PgOptions, PostgresStore, RouteOutcome,
    SqliteStore, Store, StoreOptions, StoredEvent,
};

const T0: i64 = 1_700_000_000_000;
const WRITERS: usize = 32;
const WORKERS: usize = 4;

fn message(n: usize) -> NewMessage {
    NewMessage {
        source: "pas".into(),
        received_at: T0,
        peer: Some("127.0.0.1:40000".into()),
        content_type: "x-application/hl7-v2+er7".into(),
        raw: format!("MSH|^~\\&|PAS|RXX|||20231114||ADT^A01|B{n}|P|2.4\rPID|1||999{n:07}\r")
            .into_bytes(),
        message_type: Some("ADT^A01".into()),
        control_id: Some(format!("B{n}")),
        sender: Some("PAS^RXX".into()),
        state: MessageState::Received,
    }
}

fn outcome(n: usize) -> RouteOutcome {
    RouteOutcome::Routed {
        events: vec![StoredEvent {
            id: "e0".into(),
            kind: "patient.admitted".into(),
            patient_key: Some(format!("p{}", n % 50)),
            json: format!("{{\"resourceType\":\"Bundle\",\"n\":{n}}}"),
        }],
        deliveries: vec![NewDelivery {
            event_id: "e0".into(),
            destination: "fhir".into(),
            ordering_key: Some(format!("p{}", n % 50)),
            payload: None,
        }],
    }
}

/// Returns (ingest msgs/s, deliver msgs/s, commits during ingest).
async fn run<S: Store>(store: Arc<S>, n: usize) -> (f64, f64, u64) {
    let before = store.stats().commits;
    let started = Instant::now();
    let tasks: Vec<_> = (0..WRITERS)
        .map(|w| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                for i in (w..n).step_by(WRITERS) {
                    let id = store.append(message(i)).await.unwrap().id();
                    store.route(id, outcome(i), T0).await.unwrap();
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let ingest = n as f64 / started.elapsed().as_secs_f64();
    let commits = store.stats().commits - before;
    let started = Instant::now();
    let workers: Vec<_> = (0..WORKERS)
        .map(|w| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let worker = format!("w{w}");
                let mut done = 0usize;
                loop {
                    let got = store.lease("fhir", 32, T0, 60_000, &worker).await.unwrap();
                    if got.is_empty() {
                        let depth = store.queue_depths(T0).await.unwrap();
                        if depth.iter().all(|q| q.pending == 0 && q.leased == 0) {
                            return done;
                        }
                        tokio::task::yield_now().await;
                        continue;
                    }
                    for d in got {
                        store
                            .complete(d.id, &worker, Outcome::Delivered { at: T0 })
                            .await
                            .unwrap();
                        done += 1;
                    }
                }
            })
        })
        .collect();
    let mut delivered = 0;
    for w in workers {
        delivered += w.await.unwrap();
    }
    assert_eq!(delivered, n);
    let deliver = n as f64 / started.elapsed().as_secs_f64();
    (ingest, deliver, commits)
}

fn main() {
    let n: usize = std::env::var("JUNCTION_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4000);
    let url = std::env::var("JUNCTION_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let dir = tempfile::tempdir().unwrap();
        let sqlite =
            SqliteStore::open(dir.path().join("bench.db"), StoreOptions::default()).unwrap();
        let s = run(Arc::new(sqlite), n).await;

        let schema = format!("bench_{}", std::process::id());
        let opts = PgOptions {
            schema: Some(schema.clone()),
            ..PgOptions::new(url.clone())
        };
        let pg = PostgresStore::open(opts)
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL needed for the comparison: {e}"));
        let cfg: tokio_postgres::Config = url.parse().unwrap();
        let (client, conn) = cfg.connect(tokio_postgres::NoTls).await.unwrap();
        tokio::spawn(conn);
        let fsync: String = client.query_one("SHOW fsync", &[]).await.unwrap().get(0);
        let sync: String = client
            .query_one("SHOW synchronous_commit", &[])
            .await
            .unwrap()
            .get(0);
        let p = run(Arc::new(pg), n).await;
        client
            .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
            .await
            .unwrap();
        let preload: usize = std::env::var("JUNCTION_BENCH_PRELOAD")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let big = if preload > 0 {
            let schema = format!("bench_big_{}", std::process::id());
            let opts = PgOptions {
                schema: Some(schema.clone()),
                ..PgOptions::new(url.clone())
            };
            let pg = PostgresStore::open(opts).await.unwrap();
            let started = Instant::now();
            client
                .batch_execute(&preload_sql(&schema, preload))
                .await
                .unwrap();
            println!(
                "preloaded {preload} finished messages in {:.1} s",
                started.elapsed().as_secs_f64()
            );
            let b = run(Arc::new(pg), n).await;
            client
                .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
                .await
                .unwrap();
            Some(b)
        } else {
            None
        };

        println!("{n} messages, {WRITERS} concurrent writers, {WORKERS} delivery workers");
        println!("backend     append+route msg/s   lease+complete msg/s   ingest commits");
        println!("sqlite      {:>18.0}   {:>20.0}   {:>14}", s.0, s.1, s.2);
        println!(
            "postgres    {:>18.0}   {:>20.0}   {:>14}   (fsync={fsync}, synchronous_commit={sync})",
            p.0, p.1, p.2
        );
        if let Some(b) = big {
            println!(
                "postgres+{preload:<3} {:>18.0}   {:>20.0}   {:>14}   ({:.2} / {:.2} of the empty schema)",
                b.0,
                b.1,
                b.2,
                b.0 / p.0,
                b.1 / p.1
            );
        }
    });
}

/// SQL that fills `schema` with `m` finished messages (and their event, delivery, attempt),
/// received over the last 30 days.
fn preload_sql(schema: &str, m: usize) -> String {
    format!(
        "SET search_path TO {schema};
INSERT INTO messages (source, received_at, content_type, raw, message_type, control_id, sender, state)
  SELECT 'pas', {T0} - (30::bigint * 86400000) + g * 10, 'x-application/hl7-v2+er7',
         convert_to(repeat('MSH|^~\\&|PAS|RXX|', 20), 'UTF8'), 'ADT^A01', 'OLD' || g, 'PAS^RXX', 'routed'
  FROM generate_series(1, {m}) g;
INSERT INTO events (message_id, event_id, kind, patient_key, json)
  SELECT id, 'e' || id, 'patient.admitted', 'p' || (id % 100000), repeat('x', 500) FROM messages;
INSERT INTO deliveries (message_id, event_id, destination, ordering_key, payload, payload_from_event,
                        state, attempts, next_attempt_at, created_at, delivered_at)
  SELECT id, 'e' || id, 'fhir', 'p' || (id % 100000), '', TRUE, 'delivered', 1, received_at,
         received_at, received_at FROM messages;
INSERT INTO attempts (delivery_id, at, outcome, worker)
  SELECT id, created_at, 'delivered', 'w0' FROM deliveries;
ANALYZE;
RESET search_path;"
    )
}
