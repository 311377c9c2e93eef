//! The DICOM components: the `dicom` source (a C-ECHO/C-STORE SCP that stores instances and
//! journals a study JSON after a quiet period) and the `dicom_store` destination (C-STORE
//! forwarding of a study's stored files), and their checks (AE titles, PDU sizes, where the
//! stored instances are).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use super::components::{Source, SourceKind};
use super::error::join;
use super::schema::{ClientTls, ServerTls};
use super::units;
use super::validate::Checker;

/// The adapter that understands what a DICOM source journals.
pub const DICOM_ADAPTER: &str = "dicom";

/// `type = "dicom"` source: a DICOM SCP for C-ECHO and C-STORE.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DicomSource {
    /// `IP:port` to listen on (DICOM's registered port is 104; 11112 is common unprivileged).
    #[serde(deserialize_with = "units::socket_addr")]
    pub listen: SocketAddr,
    /// Our AE title: associations calling another title are refused.
    pub ae_title: String,
    /// Calling AE titles allowed to associate; empty allows any.
    #[serde(default)]
    pub accepted_calling_aes: Vec<String>,
    /// Directory the instances are stored in (`<SOP Instance UID>.dcm`; created at start).
    pub store_path: PathBuf,
    /// Stored instances older than this are deleted (checked every few minutes); default the
    /// journal's `[store] keep_delivered`. At least a day. A `dicom_store` delivery replayed
    /// after its instances are gone fails, naming the missing instance.
    #[serde(default, deserialize_with = "units::opt_duration")]
    pub keep_instances: Option<Duration>,
    /// A study is complete when no instance of it arrived for this long; default 30 seconds.
    #[serde(default = "default_quiet_period", deserialize_with = "units::duration")]
    pub quiet_period: Duration,
    /// Largest PDU accepted, in bytes; default 64 KiB (at least 4 KiB).
    #[serde(default = "default_max_pdu", deserialize_with = "units::size")]
    pub max_pdu: u64,
    /// Time a peer has to complete association negotiation; default 30 seconds.
    #[serde(default = "default_timeout", deserialize_with = "units::duration")]
    pub association_timeout: Duration,
    /// An association silent this long between PDUs is aborted; default 5 minutes.
    #[serde(default = "default_idle_timeout", deserialize_with = "units::duration")]
    pub idle_timeout: Duration,
    /// Associations served at once; more are refused. Default 32.
    #[serde(default = "default_max_associations")]
    pub max_associations: u32,
    /// DICOM over TLS; with `client_ca`, mutual TLS.
    #[serde(default)]
    pub tls: Option<ServerTls>,
}

/// The shortest `keep_instances` accepted.
const MIN_KEEP_INSTANCES: Duration = Duration::from_secs(24 * 3600);

fn default_quiet_period() -> Duration {
    Duration::from_secs(30)
}

fn default_max_pdu() -> u64 {
    64 << 10
}

fn default_timeout() -> Duration {
    Duration::from_secs(30)
}

fn default_idle_timeout() -> Duration {
    Duration::from_secs(300)
}

fn default_max_associations() -> u32 {
    32
}

/// `type = "dicom_store"` destination: C-STORE of a study's stored instances to a remote AE.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DicomStoreSink {
    /// `host:port` of the remote AE (resolved at connect time, not by `check`).
    pub address: String,
    /// The remote AE title.
    pub called_ae: String,
    /// Our AE title, as the remote AE knows us.
    pub calling_ae: String,
    /// Where the instances are; default the `store_path` of the config's only DICOM source.
    #[serde(default)]
    pub store_path: Option<PathBuf>,
    /// Largest PDU accepted from the peer, in bytes; default 64 KiB (at least 4 KiB).
    #[serde(default = "default_max_pdu", deserialize_with = "units::size")]
    pub max_pdu: u64,
    /// Bound on connecting and on each network read or write; default 30 seconds.
    #[serde(default = "default_timeout", deserialize_with = "units::duration")]
    pub timeout: Duration,
    /// DICOM over TLS to the remote AE.
    #[serde(default)]
    pub tls: Option<ClientTls>,
}

impl DicomStoreSink {
    /// Where this destination reads instances from: its own `store_path`, or else that of the
    /// only DICOM source in `sources` (`None` when there are none or several).
    pub fn store_path<'a>(&'a self, sources: &'a [Source]) -> Option<&'a Path> {
        if let Some(p) = &self.store_path {
            return Some(p);
        }
        let mut dicom = sources.iter().filter_map(|s| match &s.kind {
            SourceKind::Dicom(d) => Some(d.store_path.as_path()),
            _ => None,
        });
        match (dicom.next(), dicom.next()) {
            (Some(p), None) => Some(p),
            _ => None,
        }
    }
}

/// Why an AE title is unusable, if it is (PS3.5 6.2: up to 16 characters of the default
/// repertoire, no backslash or control characters, not only spaces).
pub fn ae_title_problem(ae: &str) -> Option<&'static str> {
    if ae.trim().is_empty() {
        Some("empty AE title (1 to 16 characters, not all spaces)")
    } else if ae.len() > 16 {
        Some("AE title longer than 16 characters")
    } else if !ae.bytes().all(|b| (0x20..0x7f).contains(&b) && b != b'\\') {
        Some("AE title has a backslash, a control or a non-ASCII character")
    } else {
        None
    }
}

impl Checker<'_> {
    fn ae_title(&mut self, key: &str, ae: &str) {
        if let Some(problem) = ae_title_problem(ae) {
            self.err(key, format!("{problem}: {ae:?}"));
        }
    }

    fn max_pdu(&mut self, key: &str, n: u64) {
        if !(4096..=u64::from(u32::MAX)).contains(&n) {
            self.err(key, "must be between 4 KiB and 4 GiB");
        }
    }

    pub(super) fn dicom_source(&mut self, path: &str, adapter: &str, d: &DicomSource) {
        if adapter != DICOM_ADAPTER {
            self.err(
                &join(path, "adapter"),
                format!(
                    "a DICOM source journals DICOM study JSON: use adapter = \"{DICOM_ADAPTER}\""
                ),
            );
        }
        self.ae_title(&join(path, "ae_title"), &d.ae_title);
        for (i, ae) in d.accepted_calling_aes.iter().enumerate() {
            self.ae_title(&format!("{path}.accepted_calling_aes[{i}]"), ae);
        }
        if d.store_path.as_os_str().is_empty() {
            self.err(&join(path, "store_path"), "empty path");
        }
        self.nonzero(&join(path, "quiet_period"), d.quiet_period);
        if d.keep_instances
            .is_some_and(|keep| keep < MIN_KEEP_INSTANCES)
        {
            self.err(
                &join(path, "keep_instances"),
                "must be at least 1 day: stored instances must outlive their study's quiet period and every retry of the deliveries that forward them",
            );
        }
        self.max_pdu(&join(path, "max_pdu"), d.max_pdu);
        self.nonzero(&join(path, "association_timeout"), d.association_timeout);
        self.nonzero(&join(path, "idle_timeout"), d.idle_timeout);
        self.positive(&join(path, "max_associations"), d.max_associations.into());
        if let Some(tls) = &d.tls {
            self.server_tls(&join(path, "tls"), tls);
        }
    }

    pub(super) fn dicom_destination(&mut self, path: &str, d: &DicomStoreSink, sources: &[Source]) {
        self.host_port(&join(path, "address"), &d.address);
        self.ae_title(&join(path, "called_ae"), &d.called_ae);
        self.ae_title(&join(path, "calling_ae"), &d.calling_ae);
        self.max_pdu(&join(path, "max_pdu"), d.max_pdu);
        self.nonzero(&join(path, "timeout"), d.timeout);
        if let Some(tls) = &d.tls {
            self.client_tls(&join(path, "tls"), tls);
        }
        match &d.store_path {
            Some(p) if p.as_os_str().is_empty() => {
                self.err(&join(path, "store_path"), "empty path")
            }
            Some(_) => {}
            None if d.store_path(sources).is_none() => {
                let n = sources
                    .iter()
                    .filter(|s| matches!(s.kind, SourceKind::Dicom(_)))
                    .count();
                self.err(
                    path,
                    format!("missing store_path (the directory of the stored instances; it defaults to the DICOM source's only when there is exactly one, and there are {n})"),
                );
            }
            None => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ae_titles_follow_ps3_5() {
        for ok in ["JUNCTION", "A", "PACS 1", "SIXTEEN_CHARS_AE"] {
            assert_eq!(ae_title_problem(ok), None, "{ok}");
        }
        for bad in [
            "",
            "    ",
            "SEVENTEEN_CHARS_A",
            "A\\B",
            "A\tB",
            "PACS\u{e9}",
        ] {
            assert!(ae_title_problem(bad).is_some(), "{bad:?}");
        }
    }
}
