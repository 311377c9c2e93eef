//! `loadgen`: the gateway benchmark. Starts the real release `junction` binary on a temp config
//! (MLLP source → SQLite journal, synchronous=FULL → `pas` adapter → route `patient.*` →
//! `fhir_http` destination at an in-process HTTP sink) and measures start-up time, RSS, serial
//! and concurrent MLLP throughput with ACK latency, and end-to-end delivery. Loopback only,
//! bounded loops; it stops by itself.
//!
//! ```sh
//! cargo run --release -p junction-e2e --bin loadgen -- [--connections N] [--messages M]
//!     [--serial S] [--warmup W] [--starts K] [--dest-concurrency C] [--delivery-limit SECS]
//!     [--no-delivery] [--binary PATH] [--sqlite-sync pipelined|in_commit|default] [--json PATH]
//!     [--nodes N --postgres URL]
//! ```
//!
//! With `--nodes N --postgres URL` it runs the several-nodes bench instead (`load_cluster`).

#[path = "../load_cluster.rs"]
mod load_cluster;
#[path = "../load_gateway.rs"]
mod load_gateway;
#[path = "../load_machine.rs"]
mod load_machine;
#[path = "../load_sink.rs"]
mod load_sink;
#[path = "../load_stats.rs"]
mod load_stats;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use junction_e2e::mllp::{MllpClient, adt_a01};
use load_gateway::{CommitDelta, Running};
use load_sink::HttpSink;
use load_stats::{Latencies, loadavg, ms, nhs_numbers, proc_cpu, proc_status_kb};
use serde_json::json;

/// Distinct synthetic patients.
const PATIENTS: usize = 1000;

/// Command-line options.
struct Args {
    connections: usize,
    messages: usize,
    serial: usize,
    warmup: usize,
    starts: usize,
    dest_concurrency: u32,
    /// Route nothing (`kinds = ["none.*"]`): measures the ACK path without deliveries.
    no_delivery: bool,
    /// The longest the loadgen waits for the sink to receive every event of a run.
    delivery_limit: Duration,
    binary: PathBuf,
    /// `[store] sync` of the gateway under test.
    sqlite_sync: String,
    json: Option<PathBuf>,
    /// Several nodes on PostgreSQL (`--nodes`, `--postgres`).
    nodes: usize,
    postgres: Option<String>,
}

impl Args {
    fn parse() -> Result<Self, String> {
        let mut a = Self {
            connections: 16,
            messages: 40_000,
            serial: 5_000,
            warmup: 500,
            starts: 5,
            dest_concurrency: 4,
            no_delivery: false,
            delivery_limit: Duration::from_secs(600),
            binary: load_gateway::default_binary(),
            sqlite_sync: "pipelined".into(),
            json: None,
            nodes: 0,
            postgres: None,
        };
        let mut it = std::env::args().skip(1);
        while let Some(flag) = it.next() {
            let mut value = || it.next().ok_or(format!("{flag} needs a value"));
            let num = |v: String| v.parse::<usize>().map_err(|e| format!("{flag}: {e}"));
            match flag.as_str() {
                "--connections" => a.connections = num(value()?)?.max(1),
                "--messages" => a.messages = num(value()?)?,
                "--serial" => a.serial = num(value()?)?,
                "--warmup" => a.warmup = num(value()?)?,
                "--starts" => a.starts = num(value()?)?.max(1),
                "--dest-concurrency" => a.dest_concurrency = num(value()?)?.max(1) as u32,
                "--delivery-limit" => a.delivery_limit = Duration::from_secs(num(value()?)? as u64),
                "--no-delivery" => a.no_delivery = true,
                "--binary" => a.binary = value()?.into(),
                "--sqlite-sync" => a.sqlite_sync = value()?,
                "--json" => a.json = Some(value()?.into()),
                "--nodes" => a.nodes = num(value()?)?,
                "--postgres" => a.postgres = Some(value()?),
                "-h" | "--help" => {
                    return Err(
                        "usage: loadgen [--connections N] [--messages M] [--serial S] \
                         [--warmup W] [--starts K] [--dest-concurrency C] [--delivery-limit SECS] \
                         [--no-delivery] [--binary PATH] [--sqlite-sync pipelined|in_commit|default] [--json PATH] \
                         [--nodes N --postgres URL]"
                            .into(),
                    );
                }
                other => return Err(format!("unknown option {other}")),
            }
        }
        Ok(a)
    }
}

fn main() -> ExitCode {
    let args = match Args::parse() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    match runtime.block_on(bench_any(&args)) {
        Ok(report) => {
            if let Some(path) = &args.json {
                let text = serde_json::to_string_pretty(&report).expect("JSON");
                if let Err(e) = std::fs::write(path, text + "\n") {
                    eprintln!("writing {}: {e}", path.display());
                    return ExitCode::FAILURE;
                }
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("loadgen: {e}");
            ExitCode::FAILURE
        }
    }
}

/// One concurrent run's outcome.
struct Phase {
    acked: usize,
    not_aa: usize,
    elapsed: Duration,
    latencies: Latencies,
    gateway_cpu: Duration,
    loadgen_cpu: Duration,
    commits: CommitDelta,
}

impl Phase {
    fn rate(&self) -> f64 {
        self.acked as f64 / self.elapsed.as_secs_f64()
    }

    fn json(&self) -> serde_json::Value {
        json!({
            "messages": self.acked,
            "not_aa": self.not_aa,
            "seconds": self.elapsed.as_secs_f64(),
            "msgs_per_s": self.rate(),
            "ack_ms": {
                "mean": ms(self.latencies.mean()),
                "p50": ms(self.latencies.quantile(0.50)),
                "p90": ms(self.latencies.quantile(0.90)),
                "p99": ms(self.latencies.quantile(0.99)),
                "p999": ms(self.latencies.quantile(0.999)),
                "max": ms(self.latencies.max()),
            },
            "gateway_cpu_s": self.gateway_cpu.as_secs_f64(),
            "gateway_cpu_us_per_msg": self.gateway_cpu.as_secs_f64() * 1e6 / self.acked.max(1) as f64,
            "loadgen_cpu_s": self.loadgen_cpu.as_secs_f64(),
            "store": self.commits.json(),
        })
    }
}

/// The several-nodes bench when `--nodes` is given, the single-gateway bench otherwise.
async fn bench_any(args: &Args) -> Result<serde_json::Value, String> {
    if args.nodes == 0 {
        return bench(args).await;
    }
    let postgres = args
        .postgres
        .clone()
        .ok_or("--nodes needs --postgres URL")?;
    let sink = HttpSink::start()
        .await
        .map_err(|e| format!("HTTP sink: {e}"))?;
    let cluster = load_cluster::ClusterArgs {
        binary: args.binary.clone(),
        nodes: args.nodes,
        postgres,
        messages: args.messages,
        connections: args.connections,
        dest_concurrency: args.dest_concurrency,
        delivery_limit: args.delivery_limit,
        sqlite_sync: args.sqlite_sync.clone(),
    };
    load_cluster::run(&cluster, &sink).await
}

async fn bench(args: &Args) -> Result<serde_json::Value, String> {
    if !args.binary.exists() {
        return Err(format!(
            "{} is missing: build it with `cargo build --release -p junction`",
            args.binary.display()
        ));
    }
    let load_before = loadavg();
    println!(
        "loadgen: {} (load average {load_before})",
        args.binary.display()
    );
    let scratch = tempfile::tempdir().map_err(|e| e.to_string())?;
    let machine = load_machine::Machine::measure(scratch.path())?;
    println!("{}", machine.line());
    let sink = HttpSink::start()
        .await
        .map_err(|e| format!("HTTP sink: {e}"))?;
    let patients = nhs_numbers(PATIENTS);
    // Events the sink receives per message: one `patient.admitted` each, none when diagnosing.
    let (kinds, per_msg) = if args.no_delivery {
        ("none.*", 0)
    } else {
        ("patient.*", 1)
    };

    // Start-up: fresh directory (new database) each time, spawn → ready line.
    let mut startups = Vec::new();
    for _ in 0..args.starts {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let cfg = load_gateway::config(
            dir.path(),
            sink.addr,
            args.dest_concurrency,
            kinds,
            &args.sqlite_sync,
        );
        let gw = Running::start(&args.binary, dir.path(), &cfg)?;
        startups.push(gw.startup);
        gw.stop(Duration::from_secs(10))?;
    }
    let startup = Latencies::new(startups.clone());

    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let cfg = load_gateway::config(
        dir.path(),
        sink.addr,
        args.dest_concurrency,
        kinds,
        &args.sqlite_sync,
    );
    let gw = Running::start(&args.binary, dir.path(), &cfg)?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_rest = proc_status_kb(gw.pid, "VmRSS").unwrap_or(0);
    println!("gateway pid {} in {}", gw.pid, dir.path().display());

    // Warm-up, then the serial run: one connection, send, wait for the ACK, next.
    let mut client = MllpClient::connect(gw.mllp)
        .await
        .map_err(|e| format!("MLLP connect: {e}"))?;
    for i in 0..args.warmup {
        let msg = adt_a01(&format!("W{i:07}"), &patients[i % PATIENTS], &mrn(i));
        let ack = client.send(&msg).await.map_err(|e| e.to_string())?;
        if ack.map(|a| a.code) != Some("AA".into()) {
            return Err(format!("warm-up message {i} was not accepted"));
        }
    }
    let wait = sink
        .wait_for((args.warmup * per_msg) as u64, args.delivery_limit)
        .await;
    let per_msg_ok = sink.requests() == (args.warmup * per_msg) as u64;
    if !wait || !per_msg_ok {
        return Err(format!(
            "warm-up: the sink received {} requests for {} messages",
            sink.requests(),
            args.warmup
        ));
    }
    let serial = {
        let before = snapshot(&gw)?;
        let started = Instant::now();
        let mut lat = Vec::with_capacity(args.serial);
        let mut not_aa = 0;
        for i in 0..args.serial {
            let msg = adt_a01(&format!("S{i:07}"), &patients[i % PATIENTS], &mrn(i));
            let t = Instant::now();
            let ack = client.send(&msg).await.map_err(|e| e.to_string())?;
            lat.push(t.elapsed());
            not_aa += usize::from(ack.map(|a| a.code) != Some("AA".into()));
        }
        let elapsed = started.elapsed();
        let after = snapshot(&gw)?;
        before.phase(&after, args.serial, not_aa, elapsed, Latencies::new(lat))
    };
    drop(client);
    println!(
        "serial: {:.0} msgs/s, ACK p50/p99/max {:.3}/{:.3}/{:.3} ms",
        serial.rate(),
        ms(serial.latencies.quantile(0.5)),
        ms(serial.latencies.quantile(0.99)),
        ms(serial.latencies.max())
    );
    let serial_target = ((args.warmup + args.serial) * per_msg) as u64;
    let serial_drain_start = Instant::now();
    let serial_drained = sink.wait_for(serial_target, args.delivery_limit).await;
    let serial_drain = serial_drain_start.elapsed();
    if !serial_drained {
        eprintln!(
            "loadgen: {} of {serial_target} serial-run events delivered after {serial_drain:?}; \
             going on (the rest count against the next run's delivery)",
            sink.requests()
        );
    }
    println!("serial run done; starting {} connections", args.connections);

    // The concurrent run: N connections, each sending serially; patients split between them.
    // Counted from what the earlier runs should have delivered, drained or not.
    let base = serial_target;
    let mut clients = Vec::new();
    for _ in 0..args.connections {
        clients.push(
            MllpClient::connect(gw.mllp)
                .await
                .map_err(|e| format!("MLLP connect: {e}"))?,
        );
    }
    let before = snapshot(&gw)?;
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for (c, mut client) in clients.into_iter().enumerate() {
        let n =
            args.messages / args.connections + usize::from(c < args.messages % args.connections);
        let lo = c * PATIENTS / args.connections;
        let hi = ((c + 1) * PATIENTS / args.connections).max(lo + 1);
        let mine: Vec<String> = patients[lo..hi.min(PATIENTS)].to_vec();
        tasks.spawn(async move {
            let mut lat = Vec::with_capacity(n);
            let mut not_aa = 0usize;
            for i in 0..n {
                let msg = adt_a01(&format!("C{c:03}{i:07}"), &mine[i % mine.len()], &mrn(i));
                let t = Instant::now();
                let ack = client.send(&msg).await.map_err(|e| e.to_string())?;
                lat.push(t.elapsed());
                not_aa += usize::from(ack.map(|a| a.code) != Some("AA".into()));
            }
            Ok::<_, String>((lat, not_aa))
        });
    }
    let mut lats = Vec::new();
    let mut not_aa = 0;
    while let Some(res) = tasks.join_next().await {
        let (lat, bad) = res.map_err(|e| e.to_string())??;
        lats.push(lat);
        not_aa += bad;
    }
    let acked_elapsed = started.elapsed();
    let after = snapshot(&gw)?;
    let conc = before.phase(
        &after,
        args.messages,
        not_aa,
        acked_elapsed,
        Latencies::merge(lats),
    );
    let delivered_all = sink
        .wait_for(base + (args.messages * per_msg) as u64, args.delivery_limit)
        .await;
    let delivered_elapsed = started.elapsed();
    let delivered = sink.requests().saturating_sub(base);
    let after_delivery = snapshot(&gw)?;
    let rss_peak = proc_status_kb(gw.pid, "VmHWM").unwrap_or(0);
    let rss_end = proc_status_kb(gw.pid, "VmRSS").unwrap_or(0);
    let load_after = loadavg();
    let stopped = gw.stop(Duration::from_secs(30));

    let delivery_cpu = after_delivery
        .gateway_cpu
        .saturating_sub(before.gateway_cpu);
    let e2e_rate = delivered as f64 / delivered_elapsed.as_secs_f64();
    let report = json!({
        "binary": args.binary.display().to_string(),
        "loadavg_before": load_before,
        "loadavg_after": load_after,
        "machine": machine.json(),
        "patients": PATIENTS,
        "dest_concurrency": args.dest_concurrency,
        "no_delivery": args.no_delivery,
        "startup_ms": {
            "median": ms(startup.quantile(0.5)),
            "all": startups.iter().map(|d| ms(*d)).collect::<Vec<_>>(),
        },
        "rss_rest_mib": mib(rss_rest),
        "rss_peak_mib": mib(rss_peak),
        "rss_end_mib": mib(rss_end),
        "serial": serial.json(),
        "serial_drain_ms": ms(serial_drain),
        "serial_drained": serial_drained,
        "concurrent": {
            "connections": args.connections,
            "run": conc.json(),
            "delivered": delivered,
            "delivered_all": delivered_all,
            "delivery_seconds": delivered_elapsed.as_secs_f64(),
            "delivered_per_s": e2e_rate,
            "gateway_cpu_s_to_delivery": delivery_cpu.as_secs_f64(),
            "store_to_delivery": CommitDelta::between(&before.metrics, &after_delivery.metrics).json(),
        },
        "graceful_stop": stopped.is_ok(),
    });
    print_table(args, &report, &serial, &conc);
    if !delivered_all {
        eprintln!(
            "loadgen: only {delivered} of {} events reached the sink within {:?}",
            args.messages, args.delivery_limit
        );
    }
    Ok(report)
}

/// A local hospital number for message `i`.
fn mrn(i: usize) -> String {
    format!("RXX{:06}", i % 1_000_000)
}

fn mib(bytes: u64) -> f64 {
    (bytes as f64 / (1024.0 * 1024.0) * 10.0).round() / 10.0
}

/// CPU times and `/metrics` at one instant.
struct Snapshot {
    gateway_cpu: Duration,
    loadgen_cpu: Duration,
    metrics: String,
}

fn snapshot(gw: &Running) -> Result<Snapshot, String> {
    Ok(Snapshot {
        gateway_cpu: proc_cpu(gw.pid).unwrap_or_default(),
        loadgen_cpu: proc_cpu(std::process::id()).unwrap_or_default(),
        metrics: gw.metrics()?,
    })
}

impl Snapshot {
    fn phase(
        &self,
        after: &Snapshot,
        acked: usize,
        not_aa: usize,
        elapsed: Duration,
        latencies: Latencies,
    ) -> Phase {
        Phase {
            acked,
            not_aa,
            elapsed,
            latencies,
            gateway_cpu: after.gateway_cpu.saturating_sub(self.gateway_cpu),
            loadgen_cpu: after.loadgen_cpu.saturating_sub(self.loadgen_cpu),
            commits: CommitDelta::between(&self.metrics, &after.metrics),
        }
    }
}

fn print_table(args: &Args, r: &serde_json::Value, serial: &Phase, conc: &Phase) {
    let c = &r["concurrent"];
    let row = |name: &str, value: String, target: &str| {
        println!("| {name:<38} | {value:>22} | {target:<14} |");
    };
    println!();
    println!(
        "load average before: {}",
        r["loadavg_before"].as_str().unwrap_or("")
    );
    println!(
        "load average after:  {}",
        r["loadavg_after"].as_str().unwrap_or("")
    );
    let m = &r["machine"];
    println!(
        "machine: fdatasync p50 {} µs, thread wake round trip {} µs, memory load {} ns, CPU loop {} ms",
        m["sync_p50_us"], m["wake_round_trip_us"], m["memory_load_ns"], m["cpu_reference_ms"]
    );
    println!("| {:<38} | {:>22} | {:<14} |", "measure", "value", "target");
    println!("|{}|{}|{}|", "-".repeat(40), "-".repeat(24), "-".repeat(16));
    row(
        &format!("start-up, spawn → ready (median of {})", args.starts),
        format!("{} ms", r["startup_ms"]["median"]),
        "≤ 200 ms",
    );
    row("RSS at rest", format!("{} MiB", r["rss_rest_mib"]), "");
    row(
        &format!("peak RSS (VmHWM) after {} conns", args.connections),
        format!("{} MiB", r["rss_peak_mib"]),
        "≤ 64 MB",
    );
    let lat = |p: &Phase| {
        format!(
            "{:.3}/{:.3}/{:.3} ms",
            ms(p.latencies.quantile(0.5)),
            ms(p.latencies.quantile(0.99)),
            ms(p.latencies.max())
        )
    };
    row(
        &format!("serial, 1 conn ({} msgs)", serial.acked),
        format!("{:.0} msgs/s", serial.rate()),
        "≥ 1,500 msgs/s",
    );
    row("serial ACK p50/p99/max", lat(serial), "p99 ≤ 2 ms");
    row(
        &format!("{} conns ({} msgs), ACKed", args.connections, conc.acked),
        format!("{:.0} msgs/s", conc.rate()),
        "≥ 10,000 msgs/s",
    );
    row(
        &format!("{} conns ACK p50/p99/max", args.connections),
        lat(conc),
        "",
    );
    row(
        &format!("{} conns end-to-end delivered", args.connections),
        format!("{:.0} msgs/s", c["delivered_per_s"].as_f64().unwrap_or(0.0)),
        "",
    );
    println!();
    for (name, p) in [("serial", serial), ("concurrent", conc)] {
        println!(
            "{name}: gateway CPU {:.2} s ({:.0} µs/msg), loadgen CPU {:.2} s; store: {} commits, \
             mean {:.2} ms, mean batch {:.1}, {:.2} s in commits; non-AA {}",
            p.gateway_cpu.as_secs_f64(),
            p.gateway_cpu.as_secs_f64() * 1e6 / p.acked.max(1) as f64,
            p.loadgen_cpu.as_secs_f64(),
            p.commits.commits,
            p.commits.mean_commit_ms,
            p.commits.mean_batch,
            p.commits.commit_seconds,
            p.not_aa,
        );
    }
    println!(
        "concurrent to delivery: {} of {} delivered in {:.2} s; gateway CPU {:.2} s",
        c["delivered"],
        conc.acked,
        c["delivery_seconds"].as_f64().unwrap_or(0.0),
        c["gateway_cpu_s_to_delivery"].as_f64().unwrap_or(0.0)
    );
}
