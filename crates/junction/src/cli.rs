//! The command line: every subcommand and its flags, nothing else.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Junction: a "connect all" integration gateway for NHS trusts.
#[derive(Debug, Parser)]
#[command(name = "junction", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Parse HL7 v2 files and print every non-empty value by terse path (PID-5[1].1 = …).
    Parse {
        /// Files holding one message or a batch each.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}
