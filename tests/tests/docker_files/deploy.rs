//! Line-based readers for the Docker deployment files under `docker/`: Dockerfile instructions,
//! the block-style YAML subset compose.yaml, prometheus.yml and alerts.yml are written in, and
//! the listen addresses and paths of a Junction TOML config. Deliberately small: the files are
//! kept conventional so that these readers suffice, and a file they cannot read fails the test.

use std::path::PathBuf;

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A file under `docker/`, as text.
pub fn docker_file(rel: &str) -> String {
    let path = repo().join("docker").join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Dockerfile instructions as (KEYWORD, arguments), continuation lines joined, comments and
/// parser directives dropped.
pub fn instructions(dockerfile: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in dockerfile.lines() {
        let trimmed = line.trim();
        if current.is_empty() && (trimmed.is_empty() || trimmed.starts_with('#')) {
            continue;
        }
        if let Some(part) = trimmed.strip_suffix('\\') {
            current.push_str(part);
            current.push(' ');
            continue;
        }
        current.push_str(trimmed);
        let (kw, args) = current
            .split_once(char::is_whitespace)
            .unwrap_or((&current, ""));
        out.push((kw.to_ascii_uppercase(), args.trim().to_owned()));
        current.clear();
    }
    out
}

/// The strings of a JSON-array (exec form) instruction argument: `["a", "b"]` → `a`, `b`.
pub fn exec_form(args: &str) -> Vec<String> {
    serde_json::from_str(args).unwrap_or_else(|e| panic!("not exec form ({e}): {args}"))
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

fn meaningful(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .collect()
}

/// The lines nested under the key path `path` of a block-style YAML document (each step one
/// level deeper), or `None` when a key is missing.
pub fn section<'a>(text: &'a str, path: &[&str]) -> Option<Vec<&'a str>> {
    let mut scope = meaningful(text);
    for key in path {
        let level = scope.iter().map(|l| indent(l)).min()?;
        let at = scope.iter().position(|l| {
            indent(l) == level && {
                let t = l.trim();
                t == format!("{key}:") || t.starts_with(&format!("{key}: "))
            }
        })?;
        scope = scope[at + 1..]
            .iter()
            .take_while(|l| indent(l) > level)
            .copied()
            .collect();
    }
    Some(scope)
}

fn unquote(s: &str) -> String {
    s.trim().trim_matches('"').trim_matches('\'').to_owned()
}

/// The scalar items (`- item`) at the top level of a section.
pub fn items(scope: &[&str]) -> Vec<String> {
    let Some(level) = scope.iter().map(|l| indent(l)).min() else {
        return Vec::new();
    };
    scope
        .iter()
        .filter(|l| indent(l) == level)
        .filter_map(|l| l.trim().strip_prefix("- ").map(unquote))
        .collect()
}

/// The `key: value` pairs at the top level of a section.
pub fn pairs(scope: &[&str]) -> Vec<(String, String)> {
    let Some(level) = scope.iter().map(|l| indent(l)).min() else {
        return Vec::new();
    };
    scope
        .iter()
        .filter(|l| indent(l) == level)
        .filter_map(|l| l.trim().split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), unquote(v)))
        .collect()
}

/// A compose service's `key` section, following a `<<: *anchor` merge when the service does
/// not set the key itself.
pub fn service_key<'a>(compose: &'a str, service: &str, key: &str) -> Option<Vec<&'a str>> {
    if let Some(own) = section(compose, &["services", service, key]) {
        return Some(own);
    }
    let body = section(compose, &["services", service])?;
    let anchor = pairs(&body)
        .into_iter()
        .find(|(k, _)| k == "<<")
        .map(|(_, v)| v.trim_start_matches('*').to_owned())?;
    let holder = meaningful(compose)
        .into_iter()
        .find(|l| indent(l) == 0 && l.trim_end().ends_with(&format!("&{anchor}")))?;
    let name = holder.split(':').next()?.trim();
    section(compose, &[name, key])
}

/// Every `expr:` of an alert rules file, inline or as a `|` / `>` block scalar.
pub fn alert_exprs(rules: &str) -> Vec<String> {
    let lines: Vec<&str> = rules.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(value) = line.trim().strip_prefix("expr:") else {
            continue;
        };
        let value = value.trim();
        if value.starts_with('|') || value.starts_with('>') {
            let block: Vec<&str> = lines[i + 1..]
                .iter()
                .take_while(|l| l.trim().is_empty() || indent(l) > indent(line))
                .map(|l| l.trim())
                .collect();
            out.push(block.join("\n"));
        } else {
            out.push(unquote(value));
        }
    }
    out
}

/// Every `"host:port"` string in a prometheus.yml `targets:` list.
pub fn scrape_targets(prometheus: &str) -> Vec<String> {
    prometheus
        .lines()
        .filter_map(|l| l.split_once("targets:").map(|(_, v)| v))
        .flat_map(|v| {
            v.trim()
                .trim_start_matches('[')
                .trim_end_matches(']')
                .split(',')
                .map(unquote)
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// `(table header, key, value)` for every `key = "string"` line of a TOML config, the header
/// being the latest `[x]` or `[[x]]` line above it (empty at the top).
pub fn toml_strings(config: &str) -> Vec<(String, String, String)> {
    let mut header = String::new();
    let mut out = Vec::new();
    for line in config.lines().map(str::trim) {
        if line.starts_with('#') {
            continue;
        }
        if line.starts_with('[') {
            header = line.trim_matches(['[', ']']).to_owned();
        } else if let Some((k, v)) = line.split_once('=') {
            let v = v.trim();
            if v.starts_with('"') {
                let v = v.trim_start_matches('"');
                let v = v.split('"').next().unwrap_or_default();
                out.push((header.clone(), k.trim().to_owned(), v.to_owned()));
            }
        }
    }
    out
}

/// The `listen` addresses of a Junction config: (header, address), `[http]` and every source.
pub fn listens(config: &str) -> Vec<(String, String)> {
    toml_strings(config)
        .into_iter()
        .filter(|(_, k, _)| k == "listen")
        .map(|(h, _, v)| (h, v))
        .collect()
}
