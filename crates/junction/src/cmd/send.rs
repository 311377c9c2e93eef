//! `junction send --to HOST:PORT FILE…`: an MLLP client for operators. Sends each message,
//! waits for its ACK, prints `file: MSA-1 MSA-2 [text]`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt};
use junction_hl7v2::codec::MllpCodec;
use junction_hl7v2::{Batch, Message};
use tokio::net::TcpStream;
use tokio_util::codec::Framed;

/// How long to wait for each ACK.
const ACK_TIMEOUT: Duration = Duration::from_secs(30);

/// Sends every message; exits 1 unless each was accepted.
pub fn run(to: &str, files: &[PathBuf]) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(send_all(to, files))
}

async fn send_all(to: &str, files: &[PathBuf]) -> anyhow::Result<ExitCode> {
    let stream = TcpStream::connect(to)
        .await
        .with_context(|| format!("connecting to {to}"))?;
    stream.set_nodelay(true)?;
    let mut conn = Framed::new(stream, MllpCodec::default());
    let mut all_accepted = true;
    for file in files {
        let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
        let messages = match Batch::split(&bytes) {
            Ok(b) if Batch::is_batch(&bytes) => b.messages,
            _ => vec![&bytes[..]],
        };
        for raw in messages {
            conn.send(raw).await.context("sending")?;
            let Some(frame) = tokio::time::timeout(ACK_TIMEOUT, conn.next())
                .await
                .context("no ACK within 30 s")?
            else {
                bail!("{to} closed the connection without an ACK");
            };
            let frame = frame.context("reading the ACK")?;
            let ack = Message::parse(&frame).context("the ACK is not HL7 v2")?;
            let field = |p: &str| ack.text(p).map(|t| t.into_owned()).unwrap_or_default();
            let code = field("MSA-1");
            println!(
                "{}: {} {} {}",
                file.display(),
                code,
                field("MSA-2"),
                field("MSA-3")
            );
            all_accepted &= code == "AA" || code == "CA";
        }
    }
    Ok(if all_accepted {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
