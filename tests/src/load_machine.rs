//! The machine's own speed, measured by `loadgen` next to its figures: the same binary's
//! throughput follows the disk's flush time, memory latency, the cost of waking a thread and
//! the CPU's speed, and on a shared virtual machine these drift from day to day (the same
//! build used 2.2× the CPU time a message on one day as on another). References printed with
//! each run, so runs on different days or machines can be compared.

use std::fs::OpenOptions;
use std::hint::black_box;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::time::{Duration, Instant};

/// 4 KiB overwrites each followed by `fdatasync`, as the journal's WAL does per commit.
const SYNCS: usize = 200;
/// Rounds of the CPU reference loop; best of three timed.
const CPU_ROUNDS: u64 = 50_000_000;
/// Size of the memory reference's random cycle (well beyond the caches), in `usize`s.
const CYCLE_LEN: usize = 4 << 20;
/// Dependent loads timed along that cycle.
const LOADS: usize = 1_000_000;
/// Round trips of the thread wake-up reference.
const ROUND_TRIPS: u32 = 2_000;

/// What the machine measured.
pub struct Machine {
    /// Median time of one 4 KiB overwrite plus `fdatasync`, in the benchmark's directory.
    pub sync_p50: Duration,
    /// Best of three runs of a fixed single-thread integer loop.
    pub cpu: Duration,
    /// Mean latency of a load that misses every cache (a random cycle through 32 MiB).
    pub memory_load: Duration,
    /// Mean round trip of a message between two threads that block waiting for it (each
    /// way one thread wakes another, as a commit's caller, writer and syncer do).
    pub wake_round_trip: Duration,
}

impl Machine {
    /// Measures the disk under `dir` and one core (about a second).
    pub fn measure(dir: &Path) -> Result<Machine, String> {
        Ok(Machine {
            sync_p50: sync_p50(dir).map_err(|e| format!("fdatasync reference: {e}"))?,
            cpu: (0..3).map(|_| cpu_loop()).min().unwrap_or_default(),
            memory_load: memory_load(),
            wake_round_trip: wake_round_trip(),
        })
    }

    /// One line for the report.
    pub fn line(&self) -> String {
        format!(
            "machine: 4 KiB overwrite + fdatasync p50 {:.0} µs, thread wake round trip {:.1} µs, \
             memory load {:.0} ns, CPU loop {:.0} ms (compare runs by these too)",
            self.sync_p50.as_secs_f64() * 1e6,
            self.wake_round_trip.as_secs_f64() * 1e6,
            self.memory_load.as_secs_f64() * 1e9,
            self.cpu.as_secs_f64() * 1e3
        )
    }

    /// For the JSON report.
    pub fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "sync_p50_us": (self.sync_p50.as_secs_f64() * 1e6).round(),
            "cpu_reference_ms": (self.cpu.as_secs_f64() * 1e3).round(),
            "memory_load_ns": (self.memory_load.as_secs_f64() * 1e9).round(),
            "wake_round_trip_us": (self.wake_round_trip.as_secs_f64() * 1e7).round() / 10.0,
        })
    }
}

fn sync_p50(dir: &Path) -> std::io::Result<Duration> {
    let path = dir.join("machine-reference");
    let file = OpenOptions::new()
        .create(true)
        .truncate(true)
        .read(true)
        .write(true)
        .open(&path)?;
    let page = [0x5au8; 4096];
    // Allocated and flushed first, so the timed writes overwrite as a WAL's do.
    for slot in 0..16u64 {
        file.write_all_at(&page, slot * 4096)?;
    }
    file.sync_all()?;
    let mut times = Vec::with_capacity(SYNCS);
    for i in 0..SYNCS as u64 {
        let started = Instant::now();
        file.write_all_at(&page, (i % 16) * 4096)?;
        file.sync_data()?;
        times.push(started.elapsed());
    }
    drop(file);
    std::fs::remove_file(&path)?;
    times.sort_unstable();
    Ok(times[times.len() / 2])
}

/// A xorshift loop: integer work with no memory traffic, the same on every run.
fn cpu_loop() -> Duration {
    let started = Instant::now();
    let mut x = black_box(0x9e37_79b9_7f4a_7c15u64);
    for _ in 0..CPU_ROUNDS {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    black_box(x);
    started.elapsed()
}

/// One random cycle through `CYCLE_LEN` slots (Sattolo's shuffle), then `LOADS` loads each
/// depending on the one before.
fn memory_load() -> Duration {
    let mut next: Vec<usize> = (0..CYCLE_LEN).collect();
    let mut x = 0x2545_f491_4f6c_dd1du64;
    for i in (1..CYCLE_LEN).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let j = usize::try_from(x % i as u64).unwrap_or(0);
        next.swap(i, j);
    }
    let started = Instant::now();
    let mut at = 0usize;
    for _ in 0..LOADS {
        at = next[at];
    }
    black_box(at);
    started.elapsed() / LOADS as u32
}

/// Two threads passing one message back and forth over channels, each blocking in between.
fn wake_round_trip() -> Duration {
    let (to_echo, echo_rx) = std::sync::mpsc::channel::<u32>();
    let (to_main, main_rx) = std::sync::mpsc::channel::<u32>();
    let echo = std::thread::spawn(move || {
        while let Ok(n) = echo_rx.recv() {
            if to_main.send(n).is_err() {
                break;
            }
        }
    });
    let started = Instant::now();
    for n in 0..ROUND_TRIPS {
        if to_echo.send(n).is_err() || main_rx.recv().is_err() {
            break;
        }
    }
    let elapsed = started.elapsed();
    drop(to_echo);
    let _ = echo.join();
    elapsed / ROUND_TRIPS
}
