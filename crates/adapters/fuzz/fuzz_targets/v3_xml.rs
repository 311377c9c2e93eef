//! Fuzz target: the prescribing adapter's HL7 v3 XML path (streaming reader, limits, EPS
//! mapping) must never panic or hang; every failure is a `DecodeError`.
#![no_main]

use junction_adapters::{Adapter, AdapterOptions, Inbound, PrescribingAdapter};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let adapter = PrescribingAdapter::new(AdapterOptions::default());
    let inbound = Inbound {
        bytes: data,
        source: "fuzz",
        received_at: "2026-01-01T00:00:00Z",
        correlation_id: "fuzz",
        content_type: Some("application/xml"),
    };
    if let Ok(events) = adapter.decode(&inbound) {
        for event in events {
            assert!(!event.id.is_empty());
        }
    }
});
