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
    /// Run the gateway until SIGINT or SIGTERM. Prints one JSON line to stdout when ready.
    Run {
        /// The configuration file.
        #[arg(long, default_value = "config/junction.toml")]
        config: PathBuf,
    },
    /// Run an adapter over message files and print the events it makes, as FHIR JSON.
    /// Exits 1 with the decode error if any message cannot be decoded.
    Translate {
        /// The adapter to run (built in: pas).
        #[arg(long, default_value = "pas")]
        adapter: String,
        /// One compact JSON event per line instead of a pretty array per message.
        #[arg(long)]
        ndjson: bool,
        /// A code table for local codes, as NAME=FILE.csv (columns local,code,display,system).
        #[arg(long = "code-table", value_name = "NAME=FILE")]
        code_tables: Vec<String>,
        /// Assigning authority of the local MRN when PID-3 does not name one.
        #[arg(long)]
        mrn_authority: Option<String>,
        /// Files holding one message or a batch each.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Apply an MLLP destination's declared `transform` to HL7 v2 files and print each result
    /// (segments one a line), to try a transform before it goes live. Exits 1 if the config is
    /// refused, the destination has no transform, or a file is not HL7 v2.
    Transform {
        /// The config file naming the destination.
        #[arg(long, default_value = "config/junction.toml")]
        config: PathBuf,
        /// The MLLP destination whose transform to apply.
        #[arg(long)]
        destination: String,
        /// Files holding one HL7 v2 message each.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Send HL7 v2 files to an MLLP listener, one message at a time, and print each ACK.
    /// Exits 1 if any message is not acknowledged AA/CA.
    Send {
        /// Where to send, host:port.
        #[arg(long, default_value = "127.0.0.1:2575")]
        to: String,
        /// Files holding one message or a batch each (a batch is sent message by message).
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Replay through a running gateway's admin API: one message's deliveries, or every dead
    /// delivery of a destination.
    Replay {
        /// The gateway's HTTP listener.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        api: String,
        /// Environment variable holding an operator token (not needed on loopback without tokens).
        #[arg(long)]
        token_env: Option<String>,
        /// Replay every dead delivery of `--destination` instead of one message.
        #[arg(long, requires = "destination")]
        dead: bool,
        /// The destination whose dead deliveries to replay.
        #[arg(long)]
        destination: Option<String>,
        /// The message id to replay.
        #[arg(required_unless_present = "dead")]
        id: Option<i64>,
    },
    /// Parse HL7 v2 files and print every non-empty value by terse path (PID-5[1].1 = …).
    Parse {
        /// Files holding one message or a batch each.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Check a configuration file and print every problem in it (file:line:column: key: message).
    /// Exits 1 if there are any.
    Check {
        /// The configuration file.
        #[arg(long, default_value = "config/junction.toml")]
        config: PathBuf,
    },
}
