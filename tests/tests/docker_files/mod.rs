//! Helpers for `tests/docker.rs`: reading the Docker deployment files ([`deploy`]), compose's
//! services, secrets and images ([`compose`]), the Grafana dashboard ([`grafana`]), the
//! Junction nodes' configs ([`nodes`]) and the metric names in PromQL and `/metrics`
//! ([`promql`]).

pub mod compose;
pub mod deploy;
pub mod grafana;
pub mod nodes;
pub mod promql;
