//! `junction check --config FILE`: loads the configuration and reports every problem in it, one
//! a line as `file:line:column: key: message`, sorted by line. Reads local files the config names
//! (TLS, tokens, code tables); never the network.

use std::path::Path;
use std::process::ExitCode;

/// Prints `config OK: …` and exits 0, or prints every error and exits 1.
pub fn run(path: &Path) -> anyhow::Result<ExitCode> {
    let Some(c) = super::load_config(path) else {
        return Ok(ExitCode::FAILURE);
    };
    println!(
        "config OK: {} sources, {} destinations, {} routes",
        c.sources.len(),
        c.destinations.len(),
        c.routes.len()
    );
    Ok(ExitCode::SUCCESS)
}
