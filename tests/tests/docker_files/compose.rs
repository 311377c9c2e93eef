//! Compose's services, secrets and images for `tests/docker.rs`: a service's scalar settings
//! (following a `<<: *anchor` merge), the file-based secrets compose declares and the ones each
//! service is granted, and whether an image reference is pinned to an exact version.

use super::deploy::{items, pairs, section, service_key};

/// Where compose mounts a granted secret inside a container.
pub const SECRETS_DIR: &str = "/run/secrets";

/// The services compose defines, in file order.
pub fn services(compose: &str) -> Vec<String> {
    pairs(&section(compose, &["services"]).expect("services"))
        .into_iter()
        .map(|(k, _)| k)
        .collect()
}

/// A service's scalar `key: value` (such as `image`), its own or from the anchor it merges.
pub fn service_scalar(compose: &str, service: &str, key: &str) -> Option<String> {
    let body = section(compose, &["services", service])?;
    let own = pairs(&body);
    if let Some((_, v)) = own.iter().find(|(k, _)| k == key) {
        return Some(v.clone());
    }
    let anchor = own
        .iter()
        .find(|(k, _)| k == "<<")
        .map(|(_, v)| v.trim_start_matches('*').to_owned())?;
    let holder = compose
        .lines()
        .find(|l| !l.starts_with([' ', '#']) && l.trim_end().ends_with(&format!("&{anchor}")))?;
    let name = holder.split(':').next()?.trim();
    pairs(&section(compose, &[name])?)
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
}

/// The top-level `secrets:`: each name with its `file:` (`None` when it is not file-based).
pub fn declared_secrets(compose: &str) -> Vec<(String, Option<String>)> {
    let Some(top) = section(compose, &["secrets"]) else {
        return Vec::new();
    };
    pairs(&top)
        .into_iter()
        .map(|(name, _)| {
            let file = section(compose, &["secrets", &name])
                .map(|body| pairs(&body))
                .and_then(|p| p.into_iter().find(|(k, _)| k == "file").map(|(_, v)| v));
            (name, file)
        })
        .collect()
}

/// The secrets a service is granted (short syntax: `- name`), its own or its anchor's.
pub fn granted_secrets(compose: &str, service: &str) -> Vec<String> {
    let granted = service_key(compose, service, "secrets")
        .map(|s| items(&s))
        .unwrap_or_default();
    for name in &granted {
        assert!(
            !name.contains(':'),
            "{service}: write secrets in the short syntax (`- name`): {name}"
        );
    }
    granted
}

/// The secret a `/run/secrets/<name>` path names.
pub fn secret_name(path: &str) -> Option<&str> {
    path.strip_prefix(SECRETS_DIR)?
        .strip_prefix('/')
        .filter(|n| !n.is_empty() && !n.contains('/'))
}

/// A 32-character stand-in for a secret's value, distinct for each name.
pub fn test_secret(name: &str) -> String {
    let secret: String = format!("{name}0123456789abcdefghijklmnopqrstuvwxyz")
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(32)
        .collect();
    assert_eq!(secret.len(), 32, "{name}");
    secret
}

/// Why an image reference (`name:tag`, `name@sha256:…`, a Dockerfile `FROM` argument with its
/// `AS stage`) is not pinned, if it is not: it needs a digest, or a tag whose version is exact
/// (`15.10-bookworm`, `v2.55.1`, `12.11-slim`: at least major.minor, all digits), never
/// `latest` or a bare major.
pub fn unpinned(image: &str) -> Option<String> {
    let image = image.split_whitespace().next().unwrap_or_default();
    if let Some((_, digest)) = image.split_once("@sha256:") {
        let ok = digest.len() == 64 && digest.bytes().all(|b| b.is_ascii_hexdigit());
        return (!ok).then(|| format!("{image}: malformed digest"));
    }
    let last = image.rsplit('/').next().unwrap_or_default();
    let Some((_, tag)) = last.split_once(':') else {
        return Some(format!("{image}: no tag (means latest)"));
    };
    if tag == "latest" {
        return Some(format!("{image}: latest moves"));
    }
    let version = tag.strip_prefix('v').unwrap_or(tag);
    let version = version.split('-').next().unwrap_or_default();
    let parts: Vec<&str> = version.split('.').collect();
    let exact = parts.len() >= 2
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    (!exact).then(|| format!("{image}: tag {tag} is not an exact version"))
}

#[test]
fn pinned_images_are_told_apart() {
    for ok in [
        "postgres:15.10-bookworm",
        "prom/prometheus:v2.55.1",
        "grafana/grafana:11.3.0",
        "rust:1.95.0-slim-bookworm AS build",
        "debian:12.11-slim",
        "registry.example:5000/x/y:1.2.3",
        "debian@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    ] {
        assert_eq!(unpinned(ok), None, "{ok}");
    }
    for bad in [
        "postgres",
        "postgres:latest",
        "debian:bookworm-slim",
        "rust:1-slim",
        "registry.example:5000/x/y",
        "x@sha256:abc",
    ] {
        assert!(unpinned(bad).is_some(), "{bad}");
    }
}
