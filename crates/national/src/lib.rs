//! `junction-national`: Junction's clients of the NHS national services. [`platform`] is the
//! NHS API platform plumbing every service shares (signed-JWT auth with a cached token, rate
//! limits, request ids, error mapping); the services sit on top of it.
//!
//! ```text
//! sink / poller / transform ─▶ platform::ServiceClient ─▶ (token URL) ─▶ PDS, e-RS, EPS
//! ```

pub mod eps;
pub mod platform;
