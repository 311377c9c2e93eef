//! MLLP framing (`0x0B` payload `0x1C 0x0D`) as a tokio-util codec, with the frame size cap
//! enforced while reading so an endless frame cannot exhaust memory.

use bytes::{BufMut, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

/// Start block.
pub const SB: u8 = 0x0B;
/// End block.
pub const EB: u8 = 0x1C;
/// Carriage return after the end block.
pub const CR: u8 = 0x0D;

/// Default maximum frame: 10 MiB (radiology reports carry megabytes of base64 in OBX-5).
pub const DEFAULT_MAX_FRAME: usize = 10 * 1024 * 1024;

/// Why a stream could not be read as MLLP.
#[derive(Debug, thiserror::Error)]
pub enum MllpError {
    /// A frame grew past the configured maximum before its end block arrived.
    #[error("MLLP frame exceeds the maximum of {limit} bytes")]
    FrameTooLarge {
        /// The configured maximum.
        limit: usize,
    },
    /// The peer closed the connection inside a frame.
    #[error("connection closed inside an MLLP frame after {received} bytes")]
    Truncated {
        /// Bytes of the partial frame.
        received: usize,
    },
    /// The socket failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// MLLP codec. Decodes payloads (without framing bytes); encodes payloads into frames.
#[derive(Debug, Clone)]
pub struct MllpCodec {
    max_frame: usize,
    in_frame: bool,
    /// How far into the current frame we have already searched for the end block.
    scanned: usize,
    /// A CR may follow the previous frame's end block in the next read.
    after_end: bool,
    skipped: u64,
    abandoned: u64,
}

impl Default for MllpCodec {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_FRAME)
    }
}

impl MllpCodec {
    /// A codec that refuses frames larger than `max_frame` bytes.
    pub fn new(max_frame: usize) -> Self {
        Self {
            max_frame,
            in_frame: false,
            scanned: 0,
            after_end: false,
            skipped: 0,
            abandoned: 0,
        }
    }

    /// Bytes seen outside any frame (before a start block) and thrown away.
    pub fn skipped_bytes(&self) -> u64 {
        self.skipped
    }

    /// Frames abandoned because a new start block arrived before their end block.
    pub fn abandoned_frames(&self) -> u64 {
        self.abandoned
    }
}

impl Decoder for MllpCodec {
    type Item = BytesMut;
    type Error = MllpError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<BytesMut>, MllpError> {
        loop {
            if !self.in_frame {
                if self.after_end && !src.is_empty() {
                    self.after_end = false;
                    if src[0] == CR {
                        let _ = src.split_to(1);
                    }
                }
                match memchr::memchr(SB, src) {
                    Some(i) => {
                        self.skipped += i as u64;
                        let _ = src.split_to(i + 1);
                        self.in_frame = true;
                        self.scanned = 0;
                    }
                    None => {
                        self.skipped += src.len() as u64;
                        src.clear();
                        return Ok(None);
                    }
                }
            }
            let unscanned = &src[self.scanned..];
            match memchr::memchr2(EB, SB, unscanned) {
                Some(i) if unscanned[i] == SB => {
                    // A new frame started before this one ended: the sender gave up on it.
                    self.abandoned += 1;
                    self.skipped += (self.scanned + i) as u64;
                    let _ = src.split_to(self.scanned + i + 1);
                    self.scanned = 0;
                }
                Some(i) => {
                    let end = self.scanned + i;
                    if end > self.max_frame {
                        return Err(MllpError::FrameTooLarge {
                            limit: self.max_frame,
                        });
                    }
                    let frame = src.split_to(end);
                    let _ = src.split_to(1);
                    self.in_frame = false;
                    self.scanned = 0;
                    self.after_end = true;
                    if !src.is_empty() && src[0] == CR {
                        let _ = src.split_to(1);
                        self.after_end = false;
                    }
                    return Ok(Some(frame));
                }
                None => {
                    self.scanned = src.len();
                    if self.scanned > self.max_frame {
                        return Err(MllpError::FrameTooLarge {
                            limit: self.max_frame,
                        });
                    }
                    src.reserve(4096);
                    return Ok(None);
                }
            }
        }
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<BytesMut>, MllpError> {
        match self.decode(src)? {
            Some(frame) => Ok(Some(frame)),
            None if self.in_frame && !src.is_empty() => {
                let received = src.len();
                src.clear();
                self.in_frame = false;
                Err(MllpError::Truncated { received })
            }
            None => {
                if self.in_frame {
                    self.in_frame = false;
                }
                Ok(None)
            }
        }
    }
}

impl<T: AsRef<[u8]>> Encoder<T> for MllpCodec {
    type Error = MllpError;

    fn encode(&mut self, payload: T, dst: &mut BytesMut) -> Result<(), MllpError> {
        let payload = payload.as_ref();
        dst.reserve(payload.len() + 3);
        dst.put_u8(SB);
        dst.extend_from_slice(payload);
        dst.put_u8(EB);
        dst.put_u8(CR);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(codec: &mut MllpCodec, chunks: &[&[u8]]) -> Vec<Vec<u8>> {
        let mut buf = BytesMut::new();
        let mut out = Vec::new();
        for c in chunks {
            buf.extend_from_slice(c);
            while let Some(f) = codec.decode(&mut buf).unwrap() {
                out.push(f.to_vec());
            }
        }
        out
    }

    #[test]
    fn decodes_frames_split_across_reads() {
        let mut c = MllpCodec::default();
        let frames = decode_all(&mut c, &[b"\x0bMSH|a", b"bc\x1c", b"\x0d\x0bMSH|2\x1c\x0d"]);
        assert_eq!(frames, vec![b"MSH|abc".to_vec(), b"MSH|2".to_vec()]);
        assert_eq!(c.skipped_bytes(), 0);
    }

    #[test]
    fn skips_and_counts_noise_before_start() {
        let mut c = MllpCodec::default();
        let frames = decode_all(&mut c, &[b"junk\r\n\x0bMSH\x1c\x0d"]);
        assert_eq!(frames, vec![b"MSH".to_vec()]);
        assert_eq!(c.skipped_bytes(), 6);
    }

    #[test]
    fn tolerates_missing_final_cr() {
        let mut c = MllpCodec::default();
        let frames = decode_all(&mut c, &[b"\x0bA\x1c", b"\x0bB\x1c"]);
        assert_eq!(frames, vec![b"A".to_vec(), b"B".to_vec()]);
        assert_eq!(c.skipped_bytes(), 0);
    }

    #[test]
    fn caps_frame_size_while_reading() {
        let mut c = MllpCodec::new(8);
        let mut buf = BytesMut::from(&b"\x0b0123456789"[..]);
        assert!(matches!(
            c.decode(&mut buf),
            Err(MllpError::FrameTooLarge { limit: 8 })
        ));
        let mut c = MllpCodec::new(8);
        let mut buf = BytesMut::from(&b"\x0b012345678\x1c\x0d"[..]);
        assert!(matches!(
            c.decode(&mut buf),
            Err(MllpError::FrameTooLarge { .. })
        ));
        let mut c = MllpCodec::new(8);
        let mut buf = BytesMut::from(&b"\x0b01234567\x1c\x0d"[..]);
        assert_eq!(c.decode(&mut buf).unwrap().unwrap().as_ref(), b"01234567");
    }

    #[test]
    fn restart_inside_frame_abandons_the_partial() {
        let mut c = MllpCodec::default();
        let frames = decode_all(&mut c, &[b"\x0bpartial\x0bwhole\x1c\x0d"]);
        assert_eq!(frames, vec![b"whole".to_vec()]);
        assert_eq!(c.abandoned_frames(), 1);
    }

    #[test]
    fn eof_inside_frame_is_an_error() {
        let mut c = MllpCodec::default();
        let mut buf = BytesMut::from(&b"\x0bMSH|half"[..]);
        assert!(c.decode(&mut buf).unwrap().is_none());
        assert!(matches!(
            c.decode_eof(&mut buf),
            Err(MllpError::Truncated { received: 8 })
        ));
    }

    #[test]
    fn encodes_a_frame() {
        let mut c = MllpCodec::default();
        let mut dst = BytesMut::new();
        c.encode(b"MSH", &mut dst).unwrap();
        assert_eq!(dst.as_ref(), b"\x0bMSH\x1c\x0d");
    }
}
