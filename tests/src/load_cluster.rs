//! Load generator, several nodes (`loadgen --nodes N --postgres URL`): the same MLLP → `pas` →
//! `fhir_http` pipeline as the single-gateway bench, measured once on SQLite (one node) and
//! then on PostgreSQL with 1, 2, … N nodes sharing one database (a fresh schema each), the
//! connections spread evenly over the nodes. Reports ACKed and delivered msgs/s per
//! configuration and the ratio to one PostgreSQL node.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use junction_e2e::cluster::{TestSchema, head_at};
use junction_e2e::mllp::{MllpClient, adt_a01};
use serde_json::json;

use crate::load_gateway::{self, Running};
use crate::load_sink::HttpSink;
use crate::load_stats::{loadavg, nhs_numbers, proc_cpu};

/// Distinct synthetic patients, split between the connections.
const PATIENTS: usize = 1000;
/// Messages sent (and delivered) before each measured run.
const WARMUP: usize = 200;

/// What the multi-node bench runs.
pub struct ClusterArgs {
    /// The `junction` binary.
    pub binary: PathBuf,
    /// Most nodes (runs 1..=nodes).
    pub nodes: usize,
    /// The shared database.
    pub postgres: String,
    /// Messages per measured run.
    pub messages: usize,
    /// MLLP connections per node.
    pub connections: usize,
    /// The destination's concurrency on each node.
    pub dest_concurrency: u32,
    /// Longest wait for every event of a run to reach the sink.
    pub delivery_limit: Duration,
    /// `[store] sync` of the SQLite run.
    pub sqlite_sync: String,
}

/// One configuration's figures.
struct Row {
    name: String,
    acked_per_s: f64,
    delivered_per_s: f64,
    delivered_all: bool,
    cpu_s: f64,
    /// CPU of the local PostgreSQL server's processes (0 when it runs elsewhere).
    pg_cpu_s: f64,
    /// Share of the machine's CPU time busy during the run.
    busy: f64,
}

/// User + system CPU of every local process named `postgres`.
fn postgres_cpu() -> Duration {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Duration::ZERO;
    };
    dir.flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|c| c.trim() == "postgres")
        })
        .filter_map(proc_cpu)
        .sum()
}

/// (busy, total) clock ticks of the whole machine so far (`/proc/stat`).
fn machine_ticks() -> (u64, u64) {
    let text = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let ticks: Vec<u64> = text
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .skip(1)
        .filter_map(|t| t.parse().ok())
        .collect();
    let total: u64 = ticks.iter().sum();
    // idle and iowait are the 4th and 5th.
    let idle = ticks.get(3).copied().unwrap_or(0) + ticks.get(4).copied().unwrap_or(0);
    (total - idle, total)
}

/// Runs every configuration; returns the report as JSON.
pub async fn run(a: &ClusterArgs, sink: &HttpSink) -> Result<serde_json::Value, String> {
    let load_before = loadavg();
    let mut rows = Vec::new();

    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let cfg = load_gateway::config(
        dir.path(),
        sink.addr,
        a.dest_concurrency,
        "patient.*",
        &a.sqlite_sync,
    );
    let gw = Running::start(&a.binary, dir.path(), &cfg)?;
    rows.push(measure(a, "SQLite, 1 node".into(), vec![gw], sink).await?);

    for n in 1..=a.nodes {
        let schema = TestSchema::create_at(&a.postgres, "loadgen").await;
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let mut gws = Vec::new();
        for i in 0..n {
            let node_dir = dir.path().join(format!("node-{i}"));
            std::fs::create_dir_all(&node_dir).map_err(|e| e.to_string())?;
            let cfg = node_config(&node_dir, i, a, &schema.name, sink);
            gws.push(Running::start(&a.binary, &node_dir, &cfg)?);
        }
        let name = format!("PostgreSQL, {n} node{}", if n == 1 { "" } else { "s" });
        rows.push(measure(a, name, gws, sink).await?);
    }

    let base = rows
        .get(1)
        .map_or(1.0, |r| r.delivered_per_s.max(f64::MIN_POSITIVE));
    let base_ack = rows
        .get(1)
        .map_or(1.0, |r| r.acked_per_s.max(f64::MIN_POSITIVE));
    println!();
    println!("load average before: {load_before}; after: {}", loadavg());
    println!(
        "| configuration | ACKed msgs/s | delivered msgs/s | ×1 PG node (ACK / delivered) | gateway CPU s | PostgreSQL CPU s | machine busy |"
    );
    println!("|---|---|---|---|---|---|---|");
    for r in &rows {
        println!(
            "| {} | {:.0} | {:.0}{} | {:.2} / {:.2} | {:.1} | {:.1} | {:.0} % |",
            r.name,
            r.acked_per_s,
            r.delivered_per_s,
            if r.delivered_all { "" } else { " (cut off)" },
            r.acked_per_s / base_ack,
            r.delivered_per_s / base,
            r.cpu_s,
            r.pg_cpu_s,
            r.busy * 100.0
        );
    }
    Ok(json!({
        "messages": a.messages,
        "connections_per_node": a.connections,
        "loadavg_before": load_before,
        "runs": rows.iter().map(|r| json!({
            "configuration": r.name,
            "acked_per_s": r.acked_per_s,
            "delivered_per_s": r.delivered_per_s,
            "delivered_all": r.delivered_all,
            "gateway_cpu_s": r.cpu_s,
            "postgres_cpu_s": r.pg_cpu_s,
            "machine_busy": r.busy,
        })).collect::<Vec<_>>(),
    }))
}

/// A node of the PostgreSQL cluster: the bench's source, destination and route.
fn node_config(dir: &Path, i: usize, a: &ClusterArgs, schema: &str, sink: &HttpSink) -> String {
    let head = head_at(
        dir,
        &format!("node-{i}"),
        &a.postgres,
        schema,
        "15s",
        "warn",
    );
    let components = crate::load_gateway::components(sink.addr, a.dest_concurrency, "patient.*");
    format!("{head}\n{components}")
}

/// Warm-up, then `a.messages` over `a.connections` per node; stops the nodes.
async fn measure(
    a: &ClusterArgs,
    name: String,
    gws: Vec<Running>,
    sink: &HttpSink,
) -> Result<Row, String> {
    println!("{name}: warming up");
    let patients = nhs_numbers(PATIENTS);
    let warm_base = sink.requests();
    for (g, gw) in gws.iter().enumerate() {
        let mut client = MllpClient::connect(gw.mllp)
            .await
            .map_err(|e| e.to_string())?;
        for i in 0..WARMUP / gws.len() {
            let msg = adt_a01(&format!("W{g}{i:06}"), &patients[i % PATIENTS], "RXX000001");
            client.send(&msg).await.map_err(|e| e.to_string())?;
        }
    }
    let warm = (WARMUP / gws.len() * gws.len()) as u64;
    if !sink.wait_for(warm_base + warm, a.delivery_limit).await {
        return Err(format!("{name}: warm-up not delivered"));
    }

    let cpu_before: Duration = gws.iter().filter_map(|g| proc_cpu(g.pid)).sum();
    let (pg_before, ticks_before) = (postgres_cpu(), machine_ticks());
    let conns = gws.len() * a.connections;
    let mut clients = Vec::new();
    for c in 0..conns {
        let addr = gws[c % gws.len()].mllp;
        clients.push(MllpClient::connect(addr).await.map_err(|e| e.to_string())?);
    }
    let base = sink.requests();
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for (c, mut client) in clients.into_iter().enumerate() {
        let n = a.messages / conns + usize::from(c < a.messages % conns);
        let lo = c * PATIENTS / conns;
        let hi = ((c + 1) * PATIENTS / conns).max(lo + 1).min(PATIENTS);
        let mine: Vec<String> = patients[lo..hi].to_vec();
        tasks.spawn(async move {
            for i in 0..n {
                let msg = adt_a01(
                    &format!("N{c:03}{i:07}"),
                    &mine[i % mine.len()],
                    "RXX000001",
                );
                let ack = client.send(&msg).await.map_err(|e| e.to_string())?;
                if ack.map(|a| a.code) != Some("AA".into()) {
                    return Err(format!("connection {c}: message {i} not accepted"));
                }
            }
            Ok::<_, String>(())
        });
    }
    while let Some(res) = tasks.join_next().await {
        res.map_err(|e| e.to_string())??;
    }
    let acked = started.elapsed();
    let delivered_all = sink
        .wait_for(base + a.messages as u64, a.delivery_limit)
        .await;
    let delivered = started.elapsed();
    let count = sink.requests().saturating_sub(base);
    let cpu_after: Duration = gws.iter().filter_map(|g| proc_cpu(g.pid)).sum();
    let (pg_after, ticks_after) = (postgres_cpu(), machine_ticks());
    let busy =
        (ticks_after.0 - ticks_before.0) as f64 / (ticks_after.1 - ticks_before.1).max(1) as f64;
    for gw in gws {
        gw.stop(Duration::from_secs(30))?;
    }
    let row = Row {
        name,
        acked_per_s: a.messages as f64 / acked.as_secs_f64(),
        delivered_per_s: count as f64 / delivered.as_secs_f64(),
        delivered_all,
        cpu_s: cpu_after.saturating_sub(cpu_before).as_secs_f64(),
        pg_cpu_s: pg_after.saturating_sub(pg_before).as_secs_f64(),
        busy,
    };
    println!(
        "{}: {:.0} msgs/s ACKed, {:.0} msgs/s delivered ({count} of {})",
        row.name, row.acked_per_s, row.delivered_per_s, a.messages
    );
    Ok(row)
}
