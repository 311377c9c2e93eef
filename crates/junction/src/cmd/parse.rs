//! `junction parse FILE…`: shows how the HL7 v2 parser reads a message, one terse path a line.
//! For adapter writers and interface analysts; output goes to stdout, never to logs.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use junction_hl7v2::{Batch, Message};

/// Prints every non-empty leaf of every message in `files`. Exits 1 if any message fails to parse.
pub fn run(files: &[PathBuf]) -> anyhow::Result<ExitCode> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut failed = false;
    for file in files {
        let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
        let batch = match Batch::split(&bytes) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("{}: {e}", file.display());
                failed = true;
                continue;
            }
        };
        for (i, raw) in batch.messages.iter().enumerate() {
            match Message::parse(raw) {
                Ok(msg) => {
                    writeln!(out, "# {} message {}", file.display(), i + 1)?;
                    print_message(&msg, &mut out)?;
                }
                Err(e) => {
                    eprintln!("{} message {}: {e}", file.display(), i + 1);
                    failed = true;
                }
            }
        }
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn print_message(msg: &Message<'_>, out: &mut impl Write) -> std::io::Result<()> {
    let mut seen = std::collections::HashMap::<&str, usize>::new();
    for seg in msg.segments() {
        let n = seen.entry(seg.name()).or_default();
        *n += 1;
        let name = if *n == 1 {
            seg.name().to_string()
        } else {
            format!("{}[{n}]", seg.name())
        };
        for (fi, field) in seg.fields().enumerate() {
            for (ri, rep) in field.children().enumerate() {
                for (ci, comp) in rep.children().enumerate() {
                    for (si, sub) in comp.children().enumerate() {
                        if sub.is_empty() {
                            continue;
                        }
                        let path = format!("{name}-{}[{}].{}.{}", fi + 1, ri + 1, ci + 1, si + 1);
                        writeln!(out, "{path}\t{}", sub.text().escape_debug())?;
                    }
                }
            }
        }
    }
    Ok(())
}
