//! The Junction nodes of the Docker deployment: which config compose mounts for each, their
//! ports, the config rewritten to this checkout's paths (secrets to temporary test files), and
//! `junction check` run on it.

use std::path::{Path, PathBuf};
use std::process::Command;

use junction_e2e::gateway::binary;

use super::compose::{SECRETS_DIR, granted_secrets, test_secret};
use super::deploy::{docker_file, instructions, items, repo, service_key, toml_strings};

/// Where the image reads its config (Dockerfile CMD) and compose mounts each node's.
pub const CONFIG_IN_IMAGE: &str = "/etc/junction/junction.toml";

/// The host file compose mounts as a node's config.
pub fn mounted_config(compose: &str, node: &str) -> PathBuf {
    let volumes = items(&service_key(compose, node, "volumes").expect("node volumes"));
    let src = volumes
        .iter()
        .find_map(|v| {
            let mut parts = v.split(':');
            let (src, dst) = (parts.next()?, parts.next()?);
            (dst == CONFIG_IN_IMAGE).then(|| src.to_owned())
        })
        .unwrap_or_else(|| panic!("{node} mounts no config at {CONFIG_IN_IMAGE}: {volumes:?}"));
    repo().join("docker").join(src)
}

/// The port of a `host:port` address.
pub fn port_of(addr: &str) -> u16 {
    addr.rsplit_once(':')
        .and_then(|(_, p)| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in {addr:?}"))
}

/// Rewrites the image's and compose's container paths in a node config to this checkout's
/// (the Dockerfile's COPY sources, compose's bind mounts) or to `data` (named volumes). Each
/// secret compose grants the node (`/run/secrets/<name>`) becomes a file under `data/secrets`
/// holding a 32-character test secret, since the real ones are never in the checkout.
pub fn host_paths(compose: &str, node: &str, cfg: &str, data: &Path) -> String {
    let mut map: Vec<(String, String)> = Vec::new();
    for (kw, args) in instructions(&docker_file("Dockerfile")) {
        if kw == "COPY" && !args.starts_with("--") {
            let mut parts = args.split_whitespace();
            if let (Some(src), Some(dst)) = (parts.next(), parts.next())
                && src != "."
            {
                map.push((dst.to_owned(), repo().join(src).display().to_string()));
            }
        }
    }
    for v in items(&service_key(compose, node, "volumes").expect("volumes")) {
        let mut parts = v.split(':');
        if let (Some(src), Some(dst)) = (parts.next(), parts.next()) {
            let host = if src.starts_with('.') {
                repo().join("docker").join(src)
            } else {
                data.to_path_buf()
            };
            map.push((dst.to_owned(), host.display().to_string()));
        }
    }
    let secrets = data.join("secrets");
    std::fs::create_dir_all(&secrets).expect("secrets dir");
    for name in granted_secrets(compose, node) {
        let host = secrets.join(&name);
        std::fs::write(&host, format!("{}\n", test_secret(&name))).expect("write test secret");
        map.push((format!("{SECRETS_DIR}/{name}"), host.display().to_string()));
    }
    let mut out = cfg.to_owned();
    for (_, key, value) in toml_strings(cfg) {
        if !value.starts_with('/') {
            continue;
        }
        let (dst, host) = map
            .iter()
            .find(|(dst, _)| value == *dst || value.starts_with(&format!("{dst}/")))
            .unwrap_or_else(|| {
                panic!("{node}: {key} = {value}: neither the image nor compose provides it")
            });
        out = out.replace(&value, &value.replacen(dst.as_str(), host, 1));
    }
    out
}

/// Runs `junction check` on a config: whether it passed, and each error without its
/// `file:line:column: ` prefix.
pub fn check(path: &Path) -> (bool, Vec<String>) {
    let out = Command::new(binary())
        .args(["check", "--config"])
        .arg(path)
        .output()
        .expect("run junction check");
    let errors = String::from_utf8_lossy(&out.stderr)
        .lines()
        .map(|l| l.split_once(": ").map_or(l, |(_, rest)| rest).to_owned())
        .collect();
    (out.status.success(), errors)
}

/// The byte range of a `[header]` table, up to the next table header.
pub fn section_range(cfg: &str, header: &str) -> std::ops::Range<usize> {
    let start = cfg
        .find(&format!("\n{header}\n"))
        .map(|i| i + 1)
        .expect("table");
    let end = cfg[start + header.len()..]
        .find("\n[")
        .map_or(cfg.len(), |i| start + header.len() + i + 1);
    start..end
}
