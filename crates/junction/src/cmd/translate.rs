//! `junction translate FILE…`: runs an adapter over message files and prints its events as FHIR
//! JSON. The tool a supplier uses while writing an adapter; output goes to stdout, never to logs.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use junction_adapters::{AdapterOptions, Inbound, built_in};
use junction_hl7v2::Batch;
use junction_model::{CodeTable, CodeTables};

/// What `translate` was asked to do.
pub struct Options {
    pub adapter: String,
    pub ndjson: bool,
    pub code_tables: Vec<String>,
    pub mrn_authority: Option<String>,
}

/// Decodes every message of every file. Exits 1 if any message fails to decode.
pub fn run(opts: &Options, files: &[PathBuf]) -> anyhow::Result<ExitCode> {
    let options = AdapterOptions {
        code_tables: load_code_tables(&opts.code_tables)?,
        local_mrn_authority: opts.mrn_authority.clone(),
        ..AdapterOptions::default()
    };
    let adapter = built_in(&opts.adapter, options)?;
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    let received_at = junction_hl7v2::ts::format_instant_millis(now_ms);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut failed = false;
    for file in files {
        let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
        let stem = file
            .file_stem()
            .map_or_else(|| "message".into(), |s| s.to_string_lossy());
        // A batch file is split into its messages; anything else goes to the adapter whole.
        let messages = match Batch::split(&bytes) {
            Ok(b) if Batch::is_batch(&bytes) => b.messages,
            _ => vec![&bytes[..]],
        };
        for (i, raw) in messages.iter().enumerate() {
            let correlation_id = if messages.len() == 1 {
                stem.to_string()
            } else {
                format!("{stem}-{}", i + 1)
            };
            let inbound = Inbound {
                bytes: raw,
                source: "cli",
                received_at: &received_at,
                correlation_id: &correlation_id,
                content_type: None,
            };
            match adapter.decode(&inbound) {
                Ok(events) if opts.ndjson => {
                    for e in &events {
                        writeln!(out, "{}", e.to_json())?;
                    }
                }
                Ok(events) => writeln!(out, "{}", serde_json::to_string_pretty(&events)?)?,
                Err(e) => {
                    eprintln!("{}{}: {e}", file.display(), position(messages.len(), i));
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

fn position(n: usize, i: usize) -> String {
    if n == 1 {
        String::new()
    } else {
        format!(" message {}", i + 1)
    }
}

fn load_code_tables(specs: &[String]) -> anyhow::Result<CodeTables> {
    let mut tables = CodeTables::new();
    for spec in specs {
        let Some((name, file)) = spec.split_once('=') else {
            bail!("--code-table {spec:?}: expected NAME=FILE.csv");
        };
        let path = Path::new(file);
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let table = CodeTable::from_csv(name, &text, None)
            .with_context(|| format!("{}", path.display()))?;
        tables.insert(table);
    }
    Ok(tables)
}
