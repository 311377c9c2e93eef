//! `junction transform --config FILE --destination NAME MESSAGE…`: applies an MLLP
//! destination's declared `transform` to message files and prints each result, segments one a
//! line, so a trust can try a change before it goes live. Reads no network, starts nothing.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::config::{DestinationKind, build_transform};

/// Prints each transformed message (a blank line between them); exits 1 on the first problem.
pub fn run(config_path: &Path, destination: &str, files: &[PathBuf]) -> anyhow::Result<ExitCode> {
    let Some(cfg) = super::load_config(config_path) else {
        return Ok(ExitCode::FAILURE);
    };
    let Some(dest) = cfg.destinations.iter().find(|d| d.name == destination) else {
        let names: Vec<&str> = cfg.destinations.iter().map(|d| d.name.as_str()).collect();
        eprintln!(
            "no destination {destination:?} in {} (destinations: {})",
            config_path.display(),
            names.join(", ")
        );
        return Ok(ExitCode::FAILURE);
    };
    let transform = match &dest.kind {
        DestinationKind::Mllp(m) if !m.transform.is_empty() => build_transform(&m.transform),
        _ => None,
    };
    let Some(transform) = transform else {
        eprintln!("destination {destination:?} is not an MLLP destination with a transform");
        return Ok(ExitCode::FAILURE);
    };
    for (i, file) in files.iter().enumerate() {
        let text = match std::fs::read_to_string(file) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("{}: cannot read: {e}", file.display());
                return Ok(ExitCode::FAILURE);
            }
        };
        match transform.apply(&text, &cfg.code_tables) {
            Ok(out) => {
                if i > 0 {
                    println!();
                }
                for segment in out.split('\r').filter(|s| !s.is_empty()) {
                    println!("{segment}");
                }
            }
            Err(e) => {
                eprintln!("{}: {e}", file.display());
                return Ok(ExitCode::FAILURE);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
