//! Relative paths in a config resolve against the directory of the config file, not the
//! directory junction was started in, so `junction check --config /etc/junction/junction.toml`
//! and `junction run` under systemd see the same files from anywhere. `load` rebases every path
//! field of the draft once, before any file is read; absolute paths are kept as written.

use std::path::{Path, PathBuf};

use super::components::{DestinationKind, SourceKind};
use super::national::{Mesh, PlatformAuth, Service};
use super::parse::Draft;
use super::schema::{ClientTls, ServerTls, StoreBackend};

/// The directory relative paths in the config at `config` resolve against.
pub(super) fn base_of(config: &Path) -> PathBuf {
    match config.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Rebases every path the draft holds onto `base` (nothing to do for a config in `.`, so
/// errors then show paths exactly as written).
pub(super) fn rebase(draft: &mut Draft, base: &Path) {
    if base == Path::new(".") {
        return;
    }
    let at = |p: &mut PathBuf| {
        if p.is_relative() && !p.as_os_str().is_empty() {
            *p = base.join(&*p);
        }
    };
    let opt = |p: &mut Option<PathBuf>| p.iter_mut().for_each(at);
    let server_tls = |t: &mut ServerTls| {
        at(&mut t.cert);
        at(&mut t.key);
        opt(&mut t.client_ca);
    };
    let client_tls = |t: &mut ClientTls| {
        opt(&mut t.ca);
        opt(&mut t.cert);
        opt(&mut t.key);
    };
    let auth = |a: &mut PlatformAuth| {
        opt(&mut a.api_key_file);
        at(&mut a.private_key);
    };
    let service = |s: &mut Service| {
        s.auth.iter_mut().for_each(auth);
        s.tls.iter_mut().for_each(client_tls);
    };
    let mesh = |m: &mut Mesh| {
        opt(&mut m.password_file);
        opt(&mut m.shared_key_file);
        m.tls.iter_mut().for_each(client_tls);
    };

    if let Some(store) = &mut draft.store {
        match &mut store.backend {
            StoreBackend::Sqlite(s) => at(&mut s.path),
            StoreBackend::Postgres(p) => opt(&mut p.password_file),
        }
    }
    if let Some(http) = &mut draft.http {
        opt(&mut http.audit_log);
        http.tokens.iter_mut().for_each(|t| opt(&mut t.token_file));
    }
    draft.code_tables.values_mut().for_each(at);
    let national = &mut draft.national;
    [&mut national.pds, &mut national.ers, &mut national.eps]
        .into_iter()
        .flatten()
        .for_each(service);
    national.mesh.iter_mut().for_each(mesh);
    if let Some(sim) = &mut draft.simulators.national
        && let Some(a) = &mut sim.auth
    {
        at(&mut a.public_key);
    }
    for (_, s) in &mut draft.sources {
        match &mut s.kind {
            SourceKind::Mllp(m) => m.tls.iter_mut().for_each(server_tls),
            SourceKind::Dicom(d) => {
                at(&mut d.store_path);
                d.tls.iter_mut().for_each(server_tls);
            }
            SourceKind::Http(_) | SourceKind::ErsWorklist(_) | SourceKind::MeshInbox(_) => {}
        }
    }
    for (_, d) in &mut draft.destinations {
        match &mut d.kind {
            DestinationKind::FhirHttp(f) => opt(&mut f.bearer_token_file),
            DestinationKind::Mllp(m) => m.tls.iter_mut().for_each(client_tls),
            DestinationKind::File(f) => at(&mut f.dir),
            DestinationKind::DicomStore(s) => {
                opt(&mut s.store_path);
                s.tls.iter_mut().for_each(client_tls);
            }
            DestinationKind::Ers(_) | DestinationKind::Eps(_) | DestinationKind::Mesh(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_base_is_the_config_files_directory() {
        assert_eq!(
            base_of(Path::new("/etc/junction/junction.toml")),
            Path::new("/etc/junction")
        );
        assert_eq!(
            base_of(Path::new("config/junction.toml")),
            Path::new("config")
        );
        assert_eq!(base_of(Path::new("junction.toml")), Path::new("."));
    }
}
