//! A receiving MLLP peer for tests (a local system Junction delivers to): accepts connections,
//! records every frame it gets and answers each with `MSA|AA` naming its MSH-10.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The peer; it stops when dropped.
pub struct MllpPeer {
    addr: SocketAddr,
    received: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl MllpPeer {
    /// Listens on 127.0.0.1, an ephemeral port.
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let received = Arc::new(Mutex::new(Vec::new()));
        let store = received.clone();
        let task = tokio::spawn(async move {
            while let Ok((conn, _)) = listener.accept().await {
                tokio::spawn(serve(conn, store.clone()));
            }
        });
        Self {
            addr,
            received,
            task,
        }
    }

    /// `host:port` for a destination's `address`.
    pub fn address(&self) -> String {
        self.addr.to_string()
    }

    /// The messages received so far (segments separated by `\r`), in order.
    pub fn received(&self) -> Vec<String> {
        self.received
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Drop for MllpPeer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(mut conn: TcpStream, store: Arc<Mutex<Vec<String>>>) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        let Ok(n) = conn.read(&mut chunk).await else {
            return;
        };
        if n == 0 {
            return;
        }
        buf.extend_from_slice(&chunk[..n]);
        while let Some(end) = buf.windows(2).position(|w| w == [0x1C, 0x0D]) {
            let frame: Vec<u8> = buf.drain(..end + 2).collect();
            let start = frame.iter().position(|b| *b == 0x0B).map_or(0, |p| p + 1);
            let text = String::from_utf8_lossy(&frame[start..end]).into_owned();
            let control_id = text
                .split('\r')
                .next()
                .and_then(|msh| msh.split('|').nth(9))
                .unwrap_or("")
                .to_owned();
            store
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(text);
            let ack = format!(
                "\u{b}MSH|^~\\&|PEER|RXX|JUNCTION|RXX|20260101000000||ACK|A{control_id}|P|2.4\rMSA|AA|{control_id}\r\u{1c}\r"
            );
            if conn.write_all(ack.as_bytes()).await.is_err() {
                return;
            }
        }
    }
}
