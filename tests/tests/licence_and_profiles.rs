//! Release hygiene read from the repository itself: the licence texts match `Cargo.toml`, no
//! placeholder URLs, and the shipped release profile leaves a binary without debug info.

use std::path::PathBuf;

fn workspace_file(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn table(manifest: &toml::Table, key: &str) -> toml::Table {
    manifest[key]
        .as_table()
        .unwrap_or_else(|| panic!("`{key}` is not a table"))
        .clone()
}

#[test]
fn licence_files_match_the_manifest() {
    let manifest: toml::Table = workspace_file("Cargo.toml").parse().unwrap();
    let package = table(&table(&manifest, "workspace"), "package");
    assert_eq!(package["license"].as_str(), Some("MIT OR Apache-2.0"));
    assert!(workspace_file("LICENSE-MIT").contains("Permission is hereby granted, free of charge"));
    assert!(
        workspace_file("LICENSE-APACHE")
            .contains("Apache License\n                           Version 2.0")
    );
    if let Some(repository) = package.get("repository") {
        let url = repository.as_str().unwrap();
        assert!(
            !url.contains(".invalid"),
            "placeholder repository URL {url}"
        );
    }
}

#[test]
fn the_release_profile_ships_without_debug_info() {
    let manifest: toml::Table = workspace_file("Cargo.toml").parse().unwrap();
    let profiles = table(&manifest, "profile");
    let release = profiles["release"].as_table().unwrap();
    assert_eq!(
        release.get("debug").and_then(toml::Value::as_bool),
        Some(false)
    );
    assert!(
        matches!(
            release.get("strip").and_then(toml::Value::as_str),
            Some("debuginfo" | "symbols")
        ),
        "release must strip debug info: {release:?}"
    );
    let profiling = profiles["profiling"].as_table().unwrap();
    assert_eq!(profiling["inherits"].as_str(), Some("release"));
    let dev_fast = profiles["dev-fast"].as_table().unwrap();
    assert_eq!(dev_fast["inherits"].as_str(), Some("release"));
}
