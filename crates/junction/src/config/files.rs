//! The local files a config names: TLS PEMs, token files and code tables, read and checked by
//! `load` (local file I/O only, never the network). Paths arrive rebased onto the config file's
//! directory (`paths`), and errors show them so.

use std::io;
use std::path::Path;

use junction_model::CodeTable;

use super::error::{ConfigError, Located};

/// What a PEM file must hold.
#[derive(Debug, Clone, Copy)]
pub(super) enum Pem {
    /// One or more certificates.
    Certificate,
    /// A private key (PKCS#8, PKCS#1 or SEC1).
    PrivateKey,
    /// A public key (SPKI or PKCS#1).
    PublicKey,
}

/// Reads a file the config names; on failure records an error at `key`.
pub(super) fn read(
    loc: &Located,
    key: &str,
    path: &Path,
    errors: &mut Vec<ConfigError>,
) -> Option<String> {
    match std::fs::read_to_string(path) {
        Ok(text) => Some(text),
        Err(e) => {
            errors.push(loc.error(
                key,
                format!("cannot read {}: {}", show(path), io_reason(&e)),
            ));
            None
        }
    }
}

/// Checks a PEM file exists, is readable and holds what it should. The contents are not parsed
/// further: the TLS library does that at start, and a key's bytes never reach an error message.
pub(super) fn pem(loc: &Located, key: &str, path: &Path, want: Pem, errors: &mut Vec<ConfigError>) {
    let Some(text) = read(loc, key, path, errors) else {
        return;
    };
    let ok = match want {
        Pem::Certificate => text.contains("-----BEGIN CERTIFICATE-----"),
        Pem::PrivateKey => text
            .lines()
            .any(|l| l.starts_with("-----BEGIN ") && l.ends_with("PRIVATE KEY-----")),
        Pem::PublicKey => text
            .lines()
            .any(|l| l.starts_with("-----BEGIN ") && l.ends_with("PUBLIC KEY-----")),
    };
    if !ok {
        let what = match want {
            Pem::Certificate => "a PEM certificate (-----BEGIN CERTIFICATE-----)",
            Pem::PrivateKey => "a PEM private key (-----BEGIN PRIVATE KEY-----)",
            Pem::PublicKey => "a PEM public key (-----BEGIN PUBLIC KEY-----)",
        };
        errors.push(loc.error(key, format!("{} does not hold {what}", show(path))));
    }
}

/// Reads a secret file, trimmed; an unreadable or blank one is an error (its contents are
/// never shown).
pub(super) fn secret(
    loc: &Located,
    key: &str,
    path: &Path,
    errors: &mut Vec<ConfigError>,
) -> Option<String> {
    let text = read(loc, key, path, errors)?;
    let secret = text.trim();
    if secret.is_empty() {
        errors.push(loc.error(key, format!("{} is empty", show(path))));
        return None;
    }
    Some(secret.to_owned())
}

/// Reads a secret from the environment variable `var`, trimmed: `junction run` reads the same
/// variable at start, so `junction check` run where the gateway runs gives the same answer. An
/// unset, blank or non-UTF-8 variable is an error (its value is never shown).
pub(super) fn env_secret(
    loc: &Located,
    key: &str,
    var: &str,
    errors: &mut Vec<ConfigError>,
) -> Option<String> {
    if var.is_empty() || var.contains(['=', '\0']) {
        errors.push(loc.error(key, format!("invalid environment variable name {var:?}")));
        return None;
    }
    let problem = match std::env::var(var) {
        Ok(value) if !value.trim().is_empty() => return Some(value.trim().to_owned()),
        Ok(_) => "is empty",
        Err(std::env::VarError::NotPresent) => "is not set",
        Err(std::env::VarError::NotUnicode(_)) => "is not UTF-8",
    };
    errors.push(loc.error(key, format!("environment variable {var} {problem}")));
    None
}

/// Loads a code table; a CSV error is reported against the CSV file and its line.
pub(super) fn code_table(
    loc: &Located,
    key: &str,
    name: &str,
    path: &Path,
    errors: &mut Vec<ConfigError>,
) -> Option<CodeTable> {
    let text = read(loc, key, path, errors)?;
    match CodeTable::from_csv(name, &text, None) {
        Ok(table) => Some(table),
        Err(e) => {
            errors.push(ConfigError {
                file: path.to_path_buf(),
                line: e.line,
                column: usize::from(e.line > 0),
                key: key.to_owned(),
                message: e.reason,
            });
            None
        }
    }
}

/// Checks that `path`, if it exists, is a directory (a missing one is created at start).
pub(super) fn dir_if_exists(loc: &Located, key: &str, path: &Path, errors: &mut Vec<ConfigError>) {
    if path.as_os_str().is_empty() {
        errors.push(loc.error(key, "empty path"));
    } else if path.exists() && !path.is_dir() {
        errors.push(loc.error(key, format!("{} exists and is not a directory", show(path))));
    }
}

/// A path as written, quoted.
pub(super) fn show(path: &Path) -> String {
    format!("{:?}", path.display().to_string())
}

fn io_reason(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => "no such file".into(),
        io::ErrorKind::PermissionDenied => "permission denied".into(),
        io::ErrorKind::IsADirectory => "it is a directory".into(),
        io::ErrorKind::InvalidData => "not UTF-8 text".into(),
        _ => e.to_string(),
    }
}
