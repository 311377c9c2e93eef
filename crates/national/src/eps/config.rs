//! What the EPS destination is configured with ([`EpsConfig`], [`EpsOptions`]) and the rule
//! `junction check` and [`super::EpsSink::new`] both apply ([`check_config`]): unsigned
//! prescriptions may go only to an endpoint that is a sandbox both by the config's own word
//! (`environment = "sandbox"`) and by its address (the platform's sandbox host or loopback).

/// The platform's public sandbox host: no auth, no signature checks, canned answers.
pub const SANDBOX_HOST: &str = "sandbox.api.service.nhs.uk";

/// What the message builder needs beyond the event. Everything is optional: the event's own
/// values win, these fill gaps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EpsOptions {
    /// ODS code of the sending organisation (`MessageHeader.sender`, `source.endpoint`). When
    /// `None`, the event's `MessageHeader.sender` is used.
    pub sender_ods: Option<String>,
    /// Name of the sending organisation (`MessageHeader.sender.display`). When `None`, the
    /// prescriber's organisation's name.
    pub sender_name: Option<String>,
    /// The NHSBSA prescription type for lines that carry none (e.g. `1001`, "Outpatient
    /// Community Prescriber - Medical Prescriber").
    pub prescription_type: Option<String>,
    /// ODS code of the trust, for `Organization.partOf` when the prescriber's organisation
    /// has none (EPS requires it).
    pub trust_ods: Option<String>,
    /// `MedicationRequest.category` for lines that carry none (`outpatient` for hospital
    /// prescriptions sent to community pharmacies).
    pub category: String,
}

impl Default for EpsOptions {
    fn default() -> Self {
        Self {
            sender_ods: None,
            sender_name: None,
            prescription_type: None,
            trust_ods: None,
            category: "outpatient".into(),
        }
    }
}

/// Which EPS environment the endpoint is, as the operator declares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EpsEnvironment {
    /// The platform sandbox or Junction's simulator.
    Sandbox,
    /// Integration or production: real prescriptions, signatures checked.
    #[default]
    Live,
}

/// The EPS destination's own settings (the endpoint itself is a
/// [`crate::platform::ServiceConfig`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EpsConfig {
    /// The declared environment.
    pub environment: EpsEnvironment,
    /// Send prescriptions that carry no prescriber signature. Only for a sandbox.
    pub allow_unsigned: bool,
    /// `NHSD-Session-URID` when the event's prescriber has no SDS role profile id.
    pub session_urid: Option<String>,
    /// Message-building options.
    pub options: EpsOptions,
}

/// A config the EPS destination refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EpsConfigError {
    /// `allow_unsigned` with `environment = live`.
    #[error("eps: allow_unsigned is only allowed with environment = \"sandbox\"")]
    UnsignedLive,
    /// `allow_unsigned` with an address that is neither the sandbox host nor loopback.
    #[error(
        "eps: allow_unsigned needs a sandbox endpoint ({SANDBOX_HOST} or loopback), not {host:?}"
    )]
    UnsignedNotSandboxHost {
        /// The configured host.
        host: String,
    },
    /// The base URL cannot be read.
    #[error("eps: base URL {0:?} has no host")]
    BadUrl(String),
    /// `session_urid` is not digits.
    #[error("eps: session_urid must be digits (an SDS user role profile id)")]
    BadSessionUrid,
}

/// Checks an EPS destination: `allow_unsigned = true` is refused unless the environment is
/// `Sandbox` and `base_url`'s host is [`SANDBOX_HOST`] or loopback (`localhost`, `127.x`,
/// `::1`). No I/O.
pub fn check_config(eps: &EpsConfig, base_url: &str) -> Result<(), EpsConfigError> {
    if let Some(urid) = &eps.session_urid
        && (urid.is_empty() || !urid.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(EpsConfigError::BadSessionUrid);
    }
    let host = host_of(base_url).ok_or_else(|| EpsConfigError::BadUrl(base_url.to_string()))?;
    if !eps.allow_unsigned {
        return Ok(());
    }
    if eps.environment != EpsEnvironment::Sandbox {
        return Err(EpsConfigError::UnsignedLive);
    }
    if is_sandbox_host(&host) {
        Ok(())
    } else {
        Err(EpsConfigError::UnsignedNotSandboxHost { host })
    }
}

/// The platform sandbox host or a loopback address.
pub fn is_sandbox_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.eq_ignore_ascii_case(SANDBOX_HOST) || host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    host.parse::<std::net::IpAddr>()
        .is_ok_and(|ip| ip.is_loopback())
}

fn host_of(base_url: &str) -> Option<String> {
    let uri: http::Uri = base_url.parse().ok()?;
    uri.host().map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unsigned(environment: EpsEnvironment) -> EpsConfig {
        EpsConfig {
            environment,
            allow_unsigned: true,
            ..EpsConfig::default()
        }
    }

    #[test]
    fn unsigned_only_for_a_declared_sandbox_at_a_sandbox_address() {
        let sandbox = unsigned(EpsEnvironment::Sandbox);
        for url in [
            "https://sandbox.api.service.nhs.uk/electronic-prescriptions/FHIR/R4",
            "http://127.0.0.1:8080/electronic-prescriptions/FHIR/R4",
            "http://localhost/electronic-prescriptions",
            "http://[::1]:9000/x",
        ] {
            assert_eq!(check_config(&sandbox, url), Ok(()), "{url}");
        }
        assert!(matches!(
            check_config(
                &sandbox,
                "https://int.api.service.nhs.uk/electronic-prescriptions"
            ),
            Err(EpsConfigError::UnsignedNotSandboxHost { .. })
        ));
        assert_eq!(
            check_config(&unsigned(EpsEnvironment::Live), "http://127.0.0.1:1/x"),
            Err(EpsConfigError::UnsignedLive)
        );
        let live = EpsConfig::default();
        assert_eq!(
            check_config(&live, "https://api.service.nhs.uk/electronic-prescriptions"),
            Ok(())
        );
        assert!(check_config(&live, "not a url").is_err());
        let bad_urid = EpsConfig {
            session_urid: Some("55x".into()),
            ..EpsConfig::default()
        };
        assert_eq!(
            check_config(&bad_urid, "http://127.0.0.1/x"),
            Err(EpsConfigError::BadSessionUrid)
        );
    }
}
