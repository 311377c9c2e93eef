//! `junction-sim`: simulators that speak the published APIs of the services Junction delivers
//! to, strictly (headers, status codes, payload shape), so the embedded demo and the tests run
//! with nothing else installed. Today: a FHIR R4 server (`fhir`), the NHS API platform's
//! token endpoint (`platform`), PDS (`pds`), e-RS STU3 (`ers`), EPS (`eps`), and all of them on one listener (`national`).

pub mod eps;
pub mod ers;
pub mod fhir;
pub mod mesh_sandbox;
pub mod national;
pub mod outcome;
pub mod pds;
pub mod pki;
pub mod platform;
