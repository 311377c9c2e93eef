//! Helpers for `tests/docker.rs`: reading the Docker deployment files ([`deploy`]) and the
//! metric names in PromQL and `/metrics` ([`promql`]).

pub mod deploy;
pub mod promql;
