//! The subcommands, one module each.

mod parse;

use std::process::ExitCode;

use crate::cli::Command;

/// Runs one subcommand.
pub fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Parse { files } => parse::run(&files),
    }
}
