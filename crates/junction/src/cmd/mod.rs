//! The subcommands, one module each.

mod check;
mod parse;
mod run;
mod translate;

use std::process::ExitCode;

use crate::cli::Command;

/// Runs one subcommand.
pub fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Run { config } => run::run(&config),
        Command::Parse { files } => parse::run(&files),
        Command::Check { config } => check::run(&config),
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
