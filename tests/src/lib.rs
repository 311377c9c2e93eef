//! End-to-end test kit: starts the real `junction` binary on a config in a temp dir, waits for
//! the ready line it prints, and talks to it over loopback with a real MLLP client.

pub mod adt;
pub mod cluster;
pub mod config;
pub mod fhir_server;
pub mod first_scrape;
pub mod gateway;
pub mod http;
pub mod json_log;
pub mod mllp;
pub mod mllp_peer;
pub mod nhs;
pub mod raw_mllp;
pub mod wait;
