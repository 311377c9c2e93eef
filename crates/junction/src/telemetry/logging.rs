//! Process-wide logging setup: human-readable text or one JSON object per line, to stderr,
//! filtered by a level from config that the `JUNCTION_LOG` environment variable overrides
//! (full `tracing` filter syntax, e.g. `JUNCTION_LOG=info,junction_router=debug`).
//!
//! **The rule for every log line in Junction: never log message content or patient
//! identifiers.** Log ids (journal message id, delivery id, MSH-10 control id), names from
//! config (source, destination, route), message types, states, counts and error kinds. Never
//! log raw bytes, segments, field values, FHIR resources, payloads, NHS numbers, patient keys,
//! ordering keys or names. Errors that may quote input are logged by kind, not by text.

use std::io::IsTerminal;
use std::str::FromStr;

use tracing_subscriber::EnvFilter;

/// The environment variable that overrides the configured filter.
pub const ENV_VAR: &str = "JUNCTION_LOG";

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// One human-readable line per event.
    #[default]
    Text,
    /// One JSON object per line, for log shippers.
    Json,
}

impl FromStr for LogFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            other => Err(format!(
                "unknown log format `{other}` (expected text or json)"
            )),
        }
    }
}

/// The filter in force: `JUNCTION_LOG` when set and not empty, else `level` (a level such as
/// `info` or any filter directive).
pub fn filter(level: &str) -> Result<EnvFilter, String> {
    match std::env::var(ENV_VAR) {
        Ok(env) if !env.trim().is_empty() => {
            EnvFilter::try_new(&env).map_err(|e| format!("{ENV_VAR}: {e}"))
        }
        _ => EnvFilter::try_new(level).map_err(|e| format!("log level `{level}`: {e}")),
    }
}

/// Installs the global subscriber. Fails on a bad filter or when one is already installed.
pub fn init(format: LogFormat, level: &str) -> Result<(), String> {
    let filter = filter(level)?;
    // Colour only on a terminal: a log file or collector would get the escape codes as text.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    let res = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .try_init(),
    };
    res.map_err(|e| format!("logging already initialised: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_parse() {
        assert_eq!("json".parse::<LogFormat>(), Ok(LogFormat::Json));
        assert_eq!("text".parse::<LogFormat>(), Ok(LogFormat::Text));
        assert!("xml".parse::<LogFormat>().is_err());
    }
}
