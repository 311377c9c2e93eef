//! `junction-national`: Junction's clients of the NHS national services. [`platform`] is the
//! NHS API platform plumbing every service shares (signed-JWT auth with a cached token, rate
//! limits, request ids, error mapping); the services sit on top of it: [`pds`] (lookups and
//! the `pds_verify` routing step).
//!
//! ```text
//! sink / poller / transform ─▶ platform::ServiceClient ─▶ (token URL) ─▶ PDS, e-RS, EPS
//! MESH sink / inbox poller ─▶ mesh::MeshClient (NHSMESH HMAC token, client certificate)
//! ```

pub mod eps;
pub mod ers;
pub mod mesh;
pub mod metrics;
pub mod pds;
pub mod platform;
