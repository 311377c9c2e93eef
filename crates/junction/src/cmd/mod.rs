//! The subcommands, one module each.

mod check;
mod parse;
mod replay;
mod run;
mod send;
mod transform;
mod translate;

use std::path::Path;
use std::process::ExitCode;

use crate::cli::Command;
use crate::config::{self, Config};

/// The config at `path`, or `None` once every problem in it is printed to stderr, one a line
/// as `file:line:column: key: message` (what `check`, `run` and `transform` all refuse with).
fn load_config(path: &Path) -> Option<Config> {
    match config::load(path) {
        Ok(c) => Some(c),
        Err(errors) => {
            for e in &errors {
                eprintln!("{e}");
            }
            None
        }
    }
}

/// Runs one subcommand.
pub fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Run { config } => run::run(&config),
        Command::Parse { files } => parse::run(&files),
        Command::Send { to, files } => send::run(&to, &files),
        Command::Replay {
            api,
            token_env,
            dead,
            destination,
            id,
        } => replay::run(
            &api,
            token_env.as_deref(),
            if dead { None } else { id },
            destination.as_deref(),
        ),
        Command::Check { config } => check::run(&config),
        Command::Transform {
            config,
            destination,
            files,
        } => transform::run(&config, &destination, &files),
        Command::Translate {
            adapter,
            ndjson,
            code_tables,
            mrn_authority,
            files,
        } => translate::run(
            &translate::Options {
                adapter,
                ndjson,
                code_tables,
                mrn_authority,
            },
            &files,
        ),
    }
}
