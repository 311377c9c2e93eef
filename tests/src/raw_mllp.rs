//! A raw MLLP connection for malformed-input tests: writes exactly the bytes it is given (one
//! write, many small writes, or paced one byte at a time) and reads back whatever comes, a
//! frame, a close, or nothing within a bound, without assuming the peer behaves.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// What the peer did next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// A complete frame's payload.
    Frame(Vec<u8>),
    /// The connection was closed (EOF or reset) with no further frame.
    Closed,
    /// Nothing within the time allowed.
    Silent,
}

/// One acknowledgement parsed out of a reply (batch replies hold several).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Msa {
    /// MSA-1.
    pub code: String,
    /// MSA-2.
    pub control_id: String,
    /// MSA-3.
    pub text: String,
}

/// Every MSA segment of a reply, in order.
pub fn msas(frame: &[u8]) -> Vec<Msa> {
    String::from_utf8_lossy(frame)
        .split(['\r', '\n'])
        .filter(|l| l.starts_with("MSA|"))
        .map(|l| {
            let f: Vec<&str> = l.split('|').collect();
            let get = |i: usize| f.get(i).map(|s| (*s).to_owned()).unwrap_or_default();
            Msa {
                code: get(1),
                control_id: get(2),
                text: get(3),
            }
        })
        .collect()
}

/// A plain TCP connection speaking (or failing to speak) MLLP.
pub struct RawConn {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl RawConn {
    /// Connects.
    pub async fn connect(addr: SocketAddr) -> std::io::Result<Self> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream,
            buf: Vec::new(),
        })
    }

    /// Writes all of `bytes` in one write.
    pub async fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.stream.write_all(bytes).await?;
        self.stream.flush().await
    }

    /// Writes `bytes` in pieces of `chunk` bytes, each its own write (and segment).
    pub async fn write_chunked(&mut self, bytes: &[u8], chunk: usize) -> std::io::Result<()> {
        for piece in bytes.chunks(chunk.max(1)) {
            self.write(piece).await?;
            tokio::task::yield_now().await;
        }
        Ok(())
    }

    /// Writes `bytes` one byte per write, spread evenly over `over` (a slow sender).
    pub async fn write_paced(&mut self, bytes: &[u8], over: Duration) -> std::io::Result<()> {
        let step = over / u32::try_from(bytes.len().max(1)).unwrap_or(u32::MAX);
        let mut tick = tokio::time::interval(step.max(Duration::from_micros(100)));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
        for b in bytes {
            tick.tick().await;
            self.write(std::slice::from_ref(b)).await?;
        }
        Ok(())
    }

    /// Closes our sending side (the peer reads EOF).
    pub async fn shutdown_write(&mut self) -> std::io::Result<()> {
        self.stream.shutdown().await
    }

    /// The next frame's payload, `Closed` on EOF or reset, `Silent` if nothing came within
    /// `within`. Bytes outside frames are ignored.
    pub async fn reply(&mut self, within: Duration) -> Reply {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if let Some(start) = self.buf.iter().position(|&b| b == 0x0B)
                && let Some(end) = self.buf[start..].iter().position(|&b| b == 0x1C)
            {
                let end = start + end;
                let frame = self.buf[start + 1..end].to_vec();
                let mut rest = end + 1;
                if self.buf.get(rest) == Some(&0x0D) {
                    rest += 1;
                }
                self.buf.drain(..rest);
                return Reply::Frame(frame);
            }
            let mut chunk = [0u8; 8192];
            match tokio::time::timeout_at(deadline, self.stream.read(&mut chunk)).await {
                Err(_) => return Reply::Silent,
                Ok(Ok(0)) | Ok(Err(_)) => return Reply::Closed,
                Ok(Ok(n)) => self.buf.extend_from_slice(&chunk[..n]),
            }
        }
    }
}
