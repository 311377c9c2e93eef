//! HL7 v2 over MLLP: the source (a TCP/TLS listener that journals each message before it
//! ACKs) and the sink (a client that sends one message and waits for its ACK). Framing is the
//! hl7v2 crate's `MllpCodec`.

mod batch;
mod conn;
mod server;
mod sink;

pub use server::{MllpSource, MllpSourceConfig};
pub use sink::{MllpSink, MllpSinkConfig};

use tokio::io::{AsyncRead, AsyncWrite};

/// A byte stream MLLP runs over: plain TCP or TLS.
pub(crate) trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}
