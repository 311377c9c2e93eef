//! The router's integration tests in one binary (one link): routing, delivery and
//! resilience scenarios against a real SQLite store.

#![allow(
    clippy::unwrap_used,
    reason = "test code: a failed unwrap is a failed test"
)]

mod delivery;
mod paused;
mod resilience;
mod routing;
mod support;
