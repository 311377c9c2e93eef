//! The shipped Prometheus files as Prometheus itself reads them: `promtool check config` on
//! docker/prometheus/prometheus.yml as shipped (its rule path resolves beside it),
//! `promtool check rules` on alerts.yml and `promtool test rules` on alerts.test.yml, which
//! fires each alert on made-up series and holds it quiet where it must be (a quiet feed out of
//! working hours). promtool comes from Debian's `prometheus` package, which `tests/run`
//! installs; without it these tests fail, saying so.

use std::path::{Path, PathBuf};
use std::process::Command;

fn prometheus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../docker/prometheus")
}

/// Runs promtool with `args` in docker/prometheus and fails the test on a non-zero exit.
fn promtool(args: &[&str]) -> String {
    let out = Command::new("promtool")
        .args(args)
        .current_dir(prometheus_dir())
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "promtool not runnable ({e}): install Debian's `prometheus` package \
                 (apt-get install prometheus; tests/run does this itself)"
            )
        });
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "promtool {args:?} failed:\n{text}");
    text
}

#[test]
fn shipped_prometheus_config_loads_its_rules() {
    // From the repository root, as an operator would check it before `docker compose up`.
    let out = Command::new("promtool")
        .args(["check", "config"])
        .arg(prometheus_dir().join("prometheus.yml"))
        .output()
        .expect("promtool not runnable: install Debian's `prometheus` package");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "promtool check config:\n{text}");
    assert!(text.contains("1 rule files found"), "{text}");
}

#[test]
fn alert_rules_are_valid() {
    let text = promtool(&["check", "rules", "alerts.yml"]);
    assert!(text.contains("SUCCESS"), "{text}");
}

#[test]
fn alert_rules_fire_when_and_only_when_they_should() {
    let text = promtool(&["test", "rules", "alerts.test.yml"]);
    assert!(text.contains("SUCCESS"), "{text}");
}

/// Every alert in alerts.yml has a unit test that expects it to fire.
#[test]
fn every_alert_has_a_firing_test() {
    let dir = prometheus_dir();
    let rules = std::fs::read_to_string(dir.join("alerts.yml")).expect("alerts.yml");
    let tests = std::fs::read_to_string(dir.join("alerts.test.yml")).expect("alerts.test.yml");
    let alerts: Vec<&str> = rules
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- alert: "))
        .collect();
    assert!(alerts.len() >= 9, "alerts.yml has {} alerts", alerts.len());
    let untested: Vec<&&str> = alerts
        .iter()
        .filter(|a| {
            let needle = format!("alertname: {a}\n        exp_alerts:\n          - exp_labels:");
            !tests.contains(&needle)
        })
        .collect();
    assert!(untested.is_empty(), "alerts no test fires: {untested:?}");
}
