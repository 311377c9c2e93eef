//! End-to-end test crate: helpers that start the real `junction` binary and talk to it over loopback.
