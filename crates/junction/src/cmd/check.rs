//! `junction check --config FILE`: loads the configuration and reports every problem in it, one
//! a line as `file:line:column: key: message`, sorted by line. Reads local files the config names
//! (TLS, tokens, code tables); never the network.

use std::path::Path;
use std::process::ExitCode;

use crate::config;

/// Prints `config OK: …` and exits 0, or prints every error and exits 1.
pub fn run(path: &Path) -> anyhow::Result<ExitCode> {
    match config::load(path) {
        Ok(c) => {
            println!(
                "config OK: {} sources, {} destinations, {} routes",
                c.sources.len(),
                c.destinations.len(),
                c.routes.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(errors) => {
            for e in &errors {
                eprintln!("{e}");
            }
            Ok(ExitCode::FAILURE)
        }
    }
}
