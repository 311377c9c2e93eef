//! Fuzz target: the ER7 parser, batch splitter, value walk, builder and ACK must never panic.
#![no_main]

use junction_hl7v2::{AckError, AckParams, Batch, Message, Outcome, build_ack, build_nak_for_unparsed};
use libfuzzer_sys::fuzz_target;

const PARAMS: AckParams<'static> = AckParams { control_id: "F1", timestamp: "20260101000000" };

fuzz_target!(|data: &[u8]| {
    let _ = Batch::split(data);
    match Message::parse(data) {
        Ok(m) => {
            for seg in m.segments() {
                for f in seg.fields() {
                    for r in f.children() {
                        for c in r.children() {
                            for s in c.children() {
                                let _ = s.text();
                            }
                        }
                    }
                }
            }
            let _ = m.header().validate();
            let rebuilt = m.to_buf().to_bytes();
            assert!(Message::parse(&rebuilt).is_ok());
            let _ = build_ack(&m, Outcome::Accept, PARAMS, None).to_bytes();
        }
        Err(e) => {
            let err = AckError { code: 100, text: e.reason(), location: None };
            let _ = build_nak_for_unparsed(data, Outcome::Error, PARAMS, &err).to_bytes();
        }
    }
});
