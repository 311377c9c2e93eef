//! `junction-sim`: simulators that speak the published APIs of the services Junction delivers
//! to, strictly (headers, status codes, payload shape), so the embedded demo and the tests run
//! with nothing else installed. Today: a FHIR R4 server (`fhir`).

pub mod eps;
pub mod fhir;
