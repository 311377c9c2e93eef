//! Integration tests of `junction-connectors` over real loopback sockets and temp dirs: one
//! test binary (one link) with a module per connector.

#![allow(missing_docs, clippy::unwrap_used)]

mod fhir_sink;
mod file_sink;
mod http_source;
mod metrics;
mod mllp_sink;
mod mllp_source;
mod mllp_tls;
mod support;
