//! A real MLLP client for the tests: one connection, send a message, read its ACK.

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use junction_hl7v2::Message;
use junction_hl7v2::codec::MllpCodec;
use tokio::net::TcpStream;
use tokio_util::codec::Framed;

/// An MLLP connection to the gateway.
pub struct MllpClient {
    framed: Framed<TcpStream, MllpCodec>,
}

/// What came back for one message.
#[derive(Debug, Clone)]
pub struct Ack {
    /// MSA-1: AA, AE, AR (or CA/CE/CR).
    pub code: String,
    /// MSA-2: the control id it acknowledges.
    pub control_id: String,
    /// MSA-3 / ERR text, when present.
    pub text: String,
    /// The whole ACK.
    pub raw: Vec<u8>,
}

impl MllpClient {
    /// Connects.
    pub async fn connect(addr: SocketAddr) -> std::io::Result<Self> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Self {
            framed: Framed::new(stream, MllpCodec::default()),
        })
    }

    /// Sends one message and waits (up to 30 s) for its ACK. `None` if the connection closed.
    pub async fn send(&mut self, msg: &[u8]) -> std::io::Result<Option<Ack>> {
        self.framed.send(msg).await.map_err(std::io::Error::other)?;
        self.read_ack().await
    }

    /// Sends raw bytes, unframed (for malformed-frame tests).
    pub async fn send_raw(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        use tokio::io::AsyncWriteExt;
        self.framed.get_mut().write_all(bytes).await
    }

    /// Reads the next ACK.
    pub async fn read_ack(&mut self) -> std::io::Result<Option<Ack>> {
        let next = tokio::time::timeout(Duration::from_secs(30), self.framed.next())
            .await
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "no ACK within 30 s"))?;
        let Some(frame) = next else { return Ok(None) };
        let frame = frame.map_err(std::io::Error::other)?;
        let raw = frame.to_vec();
        let msg = Message::parse(&raw).map_err(std::io::Error::other)?;
        let text = |p: &str| msg.text(p).map(|t| t.into_owned()).unwrap_or_default();
        Ok(Some(Ack {
            code: text("MSA-1"),
            control_id: text("MSA-2"),
            text: text("MSA-3"),
            raw: raw.clone(),
        }))
    }
}

/// A synthetic UK ADT^A01 with this control id for a patient with this NHS number (999 range).
pub fn adt_a01(control_id: &str, nhs_number: &str, mrn: &str) -> Vec<u8> {
    format!(
        "MSH|^~\\&|PAS|RXX|JUNCTION|RXX|20260115103000||ADT^A01^ADT_A01|{control_id}|P|2.4|||||GBR||EN\r\
EVN||20260115103000|||||RXX01\r\
PID|1||{nhs_number}^^^NHS^NH~{mrn}^^^RXX^MR||TESTPATIENT^Alex^^^Mx^^L||19800101|9|||1 Test Street^^Leeds^^LS1 1AA^GBR^H||||||||||||||||||||NSTS01\r\
PV1|1|I|^WD01^B01^RXX01||||C9990011^TEST^Consultant|||100||||19|||||V{control_id}^^^RXX^VN|||||||||||||||||||||||||20260115103000\r"
    )
    .into_bytes()
}
