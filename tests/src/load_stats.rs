//! Load generator helpers: latency percentiles, synthetic NHS numbers, and what `/proc` says
//! about a process (RSS, peak RSS, CPU time) and the machine (load average).

use std::time::Duration;

/// Every latency of a run, sorted once: exact percentiles without a histogram crate.
#[derive(Debug, Clone, Default)]
pub struct Latencies {
    sorted: Vec<Duration>,
}

impl Latencies {
    /// Sorts `samples`.
    pub fn new(mut samples: Vec<Duration>) -> Self {
        samples.sort_unstable();
        Self { sorted: samples }
    }

    /// Merges several runs' samples.
    pub fn merge(parts: Vec<Vec<Duration>>) -> Self {
        Self::new(parts.into_iter().flatten().collect())
    }

    /// The `q`-quantile (0.0..=1.0), nearest rank; zero when empty.
    pub fn quantile(&self, q: f64) -> Duration {
        if self.sorted.is_empty() {
            return Duration::ZERO;
        }
        let rank = (q * self.sorted.len() as f64).ceil() as usize;
        self.sorted[rank.clamp(1, self.sorted.len()) - 1]
    }

    /// The largest sample.
    pub fn max(&self) -> Duration {
        self.sorted.last().copied().unwrap_or_default()
    }

    /// The arithmetic mean.
    pub fn mean(&self) -> Duration {
        if self.sorted.is_empty() {
            return Duration::ZERO;
        }
        self.sorted.iter().sum::<Duration>() / self.sorted.len() as u32
    }
}

/// `n` distinct NHS numbers in the 999 test range that pass the modulus 11 check.
pub fn nhs_numbers(n: usize) -> Vec<String> {
    (100_000u32..)
        .map(|serial| format!("999{serial:06}"))
        .filter_map(|digits| Some(format!("{digits}{}", check_digit(&digits)?)))
        .take(n)
        .collect()
}

/// The modulus 11 check digit of the first nine digits; `None` when there is none (10).
fn check_digit(nine: &str) -> Option<u32> {
    let sum: u32 = nine
        .bytes()
        .zip((2..=10).rev())
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    match 11 - sum % 11 {
        11 => Some(0),
        10 => None,
        c => Some(c),
    }
}

/// A field of `/proc/<pid>/status` in kB (`VmRSS`, `VmHWM`), as bytes.
pub fn proc_status_kb(pid: u32, key: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        .map(|kb| kb * 1024)
}

/// User + system CPU time of a process so far (`/proc/<pid>/stat`, 100 Hz clock ticks).
pub fn proc_cpu(pid: u32) -> Option<Duration> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
    let rest = &text[text.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(Duration::from_millis((utime + stime) * 10))
}

/// The first line of `/proc/loadavg` (1, 5, 15 minute averages, runnable/total, last pid).
pub fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "unknown".into())
}

/// Milliseconds with three decimals, for tables.
pub fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nhs_numbers_pass_modulus_11() {
        let nums = nhs_numbers(1000);
        assert_eq!(nums.len(), 1000);
        assert!(nums.iter().all(|n| n.len() == 10 && n.starts_with("999")));
        // The NHS Digital worked example: 943 476 5919.
        assert_eq!(check_digit("943476591"), Some(9));
        assert_eq!(nhs_numbers(1)[0], "9991000003");
    }

    #[test]
    fn quantiles_are_nearest_rank() {
        let l = Latencies::new((1..=100).map(Duration::from_millis).collect());
        assert_eq!(l.quantile(0.5), Duration::from_millis(50));
        assert_eq!(l.quantile(0.99), Duration::from_millis(99));
        assert_eq!(l.max(), Duration::from_millis(100));
    }
}
