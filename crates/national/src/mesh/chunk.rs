//! Message bodies as MESH moves them: split into ordered chunks for sending (each chunk gzipped
//! on its own when compression is on, as the spec's outbox workflow says: "split the
//! uncompressed message into n ordered chunks … independently compress each chunk"), and
//! joined back on download (gunzipping every gzip member, so a message compressed whole and
//! one compressed chunk by chunk both come back byte-identical).

use std::io::{Read, Write};

use bytes::Bytes;
use flate2::Compression;
use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;

/// MESH's default chunk size: 20 MB.
pub const DEFAULT_CHUNK_SIZE: usize = 20 * 1024 * 1024;
/// The most MESH accepts in one request: 100 MB.
pub const MAX_REQUEST_SIZE: usize = 100 * 1024 * 1024;

/// Splits `body` into pieces of at most `chunk_size` bytes (at least one piece, empty only
/// for an empty body). A `chunk_size` of 0 is taken as 1.
pub fn split(body: &Bytes, chunk_size: usize) -> Vec<Bytes> {
    let chunk_size = chunk_size.max(1);
    if body.is_empty() {
        return vec![Bytes::new()];
    }
    (0..body.len())
        .step_by(chunk_size)
        .map(|start| body.slice(start..(start + chunk_size).min(body.len())))
        .collect()
}

/// The chunks to upload: `body` split by `chunk_size` (counted on the uncompressed bytes) and,
/// with `gzip`, each piece compressed on its own.
pub fn outgoing(body: &Bytes, chunk_size: usize, gzip: bool) -> std::io::Result<Vec<Bytes>> {
    split(body, chunk_size)
        .into_iter()
        .map(|piece| if gzip { compress(&piece) } else { Ok(piece) })
        .collect()
}

/// One gzip member of `data`.
pub fn compress(data: &[u8]) -> std::io::Result<Bytes> {
    let mut enc = GzEncoder::new(
        Vec::with_capacity(data.len() / 2 + 64),
        Compression::default(),
    );
    enc.write_all(data)?;
    Ok(Bytes::from(enc.finish()?))
}

/// Every gzip member in `data`, decompressed and joined.
pub fn decompress(data: &[u8]) -> std::io::Result<Bytes> {
    let mut out = Vec::with_capacity(data.len() * 2);
    MultiGzDecoder::new(data).read_to_end(&mut out)?;
    Ok(Bytes::from(out))
}

/// The downloaded chunk bodies joined in order; gunzipped when MESH said `gzip`.
pub fn reassemble(chunks: &[Bytes], gzipped: bool) -> std::io::Result<Bytes> {
    let joined: Vec<u8> = chunks.iter().flat_map(|c| c.iter().copied()).collect();
    if gzipped {
        decompress(&joined)
    } else {
        Ok(Bytes::from(joined))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(n: usize) -> Bytes {
        Bytes::from((0..n).map(|i| (i * 7 % 251) as u8).collect::<Vec<u8>>())
    }

    #[test]
    fn splits_into_ordered_pieces_of_at_most_the_limit() {
        let b = body(25);
        let pieces = split(&b, 10);
        assert_eq!(
            pieces.iter().map(Bytes::len).collect::<Vec<_>>(),
            [10, 10, 5]
        );
        assert_eq!(pieces.concat(), b.to_vec());
        assert_eq!(split(&b, 25).len(), 1);
        assert_eq!(split(&b, 24).len(), 2);
        assert_eq!(split(&body(30), 10).len(), 3);
        assert_eq!(split(&Bytes::new(), 10), vec![Bytes::new()]);
        assert_eq!(split(&b, 0).len(), 25);
    }

    #[test]
    fn chunks_gzipped_independently_reassemble_byte_identical() {
        let b = body(100_000);
        let chunks = outgoing(&b, 30_000, true).unwrap();
        assert_eq!(chunks.len(), 4);
        for c in &chunks {
            assert_eq!(&c[..2], &[0x1f, 0x8b], "each chunk is a gzip member");
            assert!(decompress(c).unwrap().len() <= 30_000);
        }
        assert_eq!(reassemble(&chunks, true).unwrap(), b);
    }

    #[test]
    fn a_message_gzipped_whole_then_split_also_reassembles() {
        let b = body(50_000);
        let whole = compress(&b).unwrap();
        let pieces = split(&whole, 50);
        assert!(pieces.len() > 1);
        assert_eq!(reassemble(&pieces, true).unwrap(), b);
    }

    #[test]
    fn plain_chunks_join_as_they_are() {
        let b = body(1234);
        let chunks = outgoing(&b, 500, false).unwrap();
        assert_eq!(chunks.len(), 3);
        assert_eq!(reassemble(&chunks, false).unwrap(), b);
    }

    #[test]
    fn bad_gzip_is_an_error_not_a_panic() {
        assert!(decompress(b"\x1f\x8bnot really gzip").is_err());
    }
}
