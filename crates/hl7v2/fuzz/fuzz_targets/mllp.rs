//! Fuzz target: the MLLP decoder, fed the input in chunks whose sizes the input chooses.
#![no_main]

use bytes::BytesMut;
use junction_hl7v2::codec::MllpCodec;
use libfuzzer_sys::fuzz_target;
use tokio_util::codec::Decoder;

fuzz_target!(|data: &[u8]| {
    let Some((&max, rest)) = data.split_first() else { return };
    let max = usize::from(max) * 16 + 1;
    let mut codec = MllpCodec::new(max);
    let mut buf = BytesMut::new();
    let mut pos = 0;
    while pos < rest.len() {
        let step = usize::from(rest[pos] % 32) + 1;
        let end = (pos + step).min(rest.len());
        buf.extend_from_slice(&rest[pos..end]);
        pos = end;
        loop {
            match codec.decode(&mut buf) {
                Ok(Some(frame)) => assert!(frame.len() <= max),
                Ok(None) => break,
                Err(_) => return,
            }
        }
    }
    let _ = codec.decode_eof(&mut buf);
});
