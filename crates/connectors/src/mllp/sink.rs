//! The MLLP sink: sends one HL7 v2 message per delivery over a kept-open connection (TCP or
//! TLS) and waits for its ACK.
//!
//! MSH-10 of every message sent is `<prefix><delivery id>`, the same on every retry, so the
//! receiver can recognise a resend. ACK codes: `AA`/`CA` delivered; `AE`/`CE` permanent (the
//! receiver found the message wrong; resending the same bytes gives the same answer); `AR`/`CR`
//! retry (the receiver could not take it now: HL7 says a reject may succeed when resent, and
//! the dispatcher's retry limit dead-letters it if it never does). A timeout, a connection
//! error or an ACK for another control id is a retry, and the connection is dropped so a late
//! ACK can never be matched to the next message.

use std::time::{Duration, Instant};

use futures_util::{FutureExt, SinkExt, StreamExt};
use junction_hl7v2::Message;
use junction_hl7v2::codec::MllpCodec;
use rustls_pki_types::ServerName;
use tokio::net::TcpStream;
use tokio::sync::Mutex;
use tokio_rustls::TlsConnector;
use tokio_util::codec::Framed;
use tracing::debug;

use super::Io;
use crate::error::ConnectorError;
use crate::metrics::Metrics;
use crate::sink::{OutboundDelivery, SendOutcome, Sink};
use crate::tls::{TlsClientConfig, client_config, server_name};

/// Settings for one MLLP destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MllpSinkConfig {
    /// `host:port` of the receiver.
    pub addr: String,
    /// TLS settings; `None` for plain TCP.
    pub tls: Option<TlsClientConfig>,
    /// Time allowed to connect (and complete the TLS handshake).
    pub connect_timeout: Duration,
    /// Time allowed from writing the message to reading its ACK.
    pub ack_timeout: Duration,
    /// Largest ACK frame accepted.
    pub max_frame: usize,
    /// MSH-10 prefix before the delivery id (letters and digits; MSH-10 holds 20 characters in
    /// v2.4, so keep it to one or two).
    pub control_id_prefix: String,
}

impl MllpSinkConfig {
    /// Plain TCP to `addr`: 10 s to connect, 30 s for the ACK, prefix `J`.
    pub fn new(addr: impl Into<String>) -> Self {
        Self {
            addr: addr.into(),
            tls: None,
            connect_timeout: Duration::from_secs(10),
            ack_timeout: Duration::from_secs(30),
            max_frame: 1024 * 1024,
            control_id_prefix: "J".into(),
        }
    }
}

type Conn = Framed<Box<dyn Io>, MllpCodec>;

/// Sends HL7 v2 messages to one receiver over MLLP.
pub struct MllpSink {
    config: MllpSinkConfig,
    tls: Option<(TlsConnector, ServerName<'static>)>,
    conn: Mutex<Option<Conn>>,
    metrics: Metrics,
}

impl MllpSink {
    /// Checks the config and loads TLS material; connects lazily on the first send.
    pub fn new(config: MllpSinkConfig, metrics: Metrics) -> Result<Self, ConnectorError> {
        if !config
            .control_id_prefix
            .bytes()
            .all(|b| b.is_ascii_alphanumeric())
            || config.control_id_prefix.len() > 4
        {
            return Err(ConnectorError::Config(
                "control_id_prefix must be at most four letters or digits".into(),
            ));
        }
        let tls = match &config.tls {
            Some(t) => {
                let host = host_of(&config.addr);
                Some((TlsConnector::from(client_config(t)?), server_name(t, host)?))
            }
            None => None,
        };
        Ok(Self {
            config,
            tls,
            conn: Mutex::new(None),
            metrics,
        })
    }

    async fn connect(&self) -> Result<Conn, String> {
        let tcp = TcpStream::connect(&self.config.addr)
            .await
            .map_err(|e| format!("connect to {}: {e}", self.config.addr))?;
        let _ = tcp.set_nodelay(true);
        let io: Box<dyn Io> = match &self.tls {
            None => Box::new(tcp),
            Some((connector, name)) => Box::new(
                connector
                    .connect(name.clone(), tcp)
                    .await
                    .map_err(|e| format!("TLS handshake with {}: {e}", self.config.addr))?,
            ),
        };
        Ok(Framed::new(io, MllpCodec::new(self.config.max_frame)))
    }

    async fn send_inner(&self, d: &OutboundDelivery) -> SendOutcome {
        let control_id = format!("{}{}", self.config.control_id_prefix, d.id);
        let message = match prepare(&d.payload, &control_id) {
            Ok(m) => m,
            Err(e) => return SendOutcome::permanent(e),
        };
        let mut guard = self.conn.lock().await;
        // A kept connection the receiver has closed (or that holds an unasked-for frame) is
        // replaced before sending, so an idle close by the receiver does not cost a retry.
        if let Some(conn) = guard.as_mut()
            && conn.next().now_or_never().is_some()
        {
            *guard = None;
        }
        let mut conn = match guard.take() {
            Some(c) => c,
            None => match tokio::time::timeout(self.config.connect_timeout, self.connect()).await {
                Ok(Ok(c)) => c,
                Ok(Err(e)) => return SendOutcome::retry(e),
                Err(_) => {
                    return SendOutcome::retry(format!(
                        "connect to {} timed out",
                        self.config.addr
                    ));
                }
            },
        };
        let exchange = async {
            conn.send(message.as_bytes())
                .await
                .map_err(|e| format!("write: {e}"))?;
            match conn.next().await {
                Some(Ok(frame)) => Ok(frame),
                Some(Err(e)) => Err(format!("read ACK: {e}")),
                None => Err("connection closed before the ACK".to_string()),
            }
        };
        let ack = match tokio::time::timeout(self.config.ack_timeout, exchange).await {
            Ok(Ok(frame)) => frame,
            Ok(Err(e)) => return SendOutcome::retry(e),
            Err(_) => {
                return SendOutcome::retry(format!(
                    "no ACK within {} ms",
                    self.config.ack_timeout.as_millis()
                ));
            }
        };
        let outcome = judge_ack(&ack, &control_id);
        if matches!(outcome, Judged::Keep(_)) {
            *guard = Some(conn);
        }
        match outcome {
            Judged::Keep(o) | Judged::Drop(o) => o,
        }
    }
}

impl Sink for MllpSink {
    async fn send(&self, d: &OutboundDelivery) -> SendOutcome {
        let started = Instant::now();
        let outcome = self.send_inner(d).await;
        debug!(
            destination = d.destination,
            delivery_id = d.id,
            outcome = outcome.label(),
            "MLLP send"
        );
        self.metrics
            .sink_send(&d.destination, &outcome, started.elapsed());
        outcome
    }
}

enum Judged {
    /// The connection is in step: keep it.
    Keep(SendOutcome),
    /// The connection is out of step or the ACK unreadable: drop it.
    Drop(SendOutcome),
}

fn judge_ack(ack: &[u8], control_id: &str) -> Judged {
    let Ok(msg) = Message::parse(ack) else {
        return Judged::Drop(SendOutcome::retry("the receiver's ACK does not parse"));
    };
    if msg.text("MSA-2").as_deref() != Some(control_id) {
        return Judged::Drop(SendOutcome::retry(
            "the receiver answered for another message",
        ));
    }
    let code = msg
        .text("MSA-1")
        .map(|c| c.into_owned())
        .unwrap_or_default();
    let text = ["MSA-3", "ERR-8", "ERR-3.2", "ERR-1.4.2"]
        .iter()
        .find_map(|p| msg.text(p))
        .map(|t| format!(": {t}"))
        .unwrap_or_default();
    Judged::Keep(match code.as_str() {
        "AA" | "CA" => SendOutcome::Delivered,
        "AE" | "CE" => SendOutcome::permanent(format!("receiver answered {code}{text}")),
        "AR" | "CR" => SendOutcome::retry(format!("receiver answered {code}{text}")),
        _ => {
            return Judged::Drop(SendOutcome::retry(
                "the receiver's ACK has no known MSA-1 code",
            ));
        }
    })
}

/// The HL7 v2 text to send: the payload itself when it starts with MSH, else the `hl7v2` field
/// of event JSON; with MSH-10 set to `control_id`. Errors name the problem, never content.
fn prepare(payload: &str, control_id: &str) -> Result<String, String> {
    let trimmed = payload.trim_start_matches(['\u{feff}', '\r', '\n', ' ', '\t']);
    let text = if trimmed.starts_with("MSH") {
        trimmed.to_string()
    } else {
        let value: serde_json::Value = serde_json::from_str(payload)
            .map_err(|_| "payload is neither HL7 v2 text nor JSON".to_string())?;
        // A pass-through event carries the message as received in `raw`.
        let held = ["raw", "hl7v2"]
            .iter()
            .find_map(|k| value.get(k).and_then(|v| v.as_str()))
            .map(|t| t.trim_start_matches(['\u{feff}', '\r', '\n', ' ', '\t']));
        match held {
            Some(t) if t.starts_with("MSH") => t.to_string(),
            _ => {
                return Err(
                    "event JSON holds no HL7 v2 message (route `hl7v2.*` kinds to an MLLP \
                     destination, or set encode = \"hl7v2\")"
                        .into(),
                );
            }
        }
    };
    let text = set_msh10(&text, control_id)?;
    let msg = Message::parse(text.as_bytes()).map_err(|e| format!("HL7 v2 payload: {e}"))?;
    msg.header()
        .validate()
        .map_err(|e| format!("HL7 v2 payload: {e}"))?;
    Ok(text)
}

/// Replaces MSH-10 in the first segment, adding empty fields if the MSH is shorter.
fn set_msh10(text: &str, control_id: &str) -> Result<String, String> {
    let end = text.find(['\r', '\n']).unwrap_or(text.len());
    let (msh, rest) = text.split_at(end);
    let sep = msh
        .get(3..4)
        .ok_or_else(|| "HL7 v2 payload: MSH too short".to_string())?;
    // fields[0] is "MSH", fields[1] is MSH-2, so MSH-n is fields[n - 1].
    let mut fields: Vec<&str> = msh.split(sep).collect();
    if fields.len() < 10 {
        fields.resize(10, "");
    }
    fields[9] = control_id;
    Ok(format!("{}{rest}", fields.join(sep)))
}

fn host_of(addr: &str) -> &str {
    let host = addr.rsplit_once(':').map_or(addr, |(h, _)| h);
    host.trim_start_matches('[').trim_end_matches(']')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_msh10_from_the_delivery() {
        let t = prepare("MSH|^~\\&|J|X|R|Y|2026||ADT^A01|ORIG|P|2.4\rPID|1\r", "J7").unwrap();
        assert_eq!(t, "MSH|^~\\&|J|X|R|Y|2026||ADT^A01|J7|P|2.4\rPID|1\r");
        let t = prepare(
            r#"{"hl7v2":"MSH|^~\\&|J|X|R|Y|2026||ADT^A01\rPID|1\r"}"#,
            "J8",
        )
        .unwrap();
        assert!(t.starts_with("MSH|^~\\&|J|X|R|Y|2026||ADT^A01|J8\r"), "{t}");
    }

    #[test]
    fn refuses_payloads_without_a_message() {
        assert!(prepare("{\"bundle\":{}}", "J1").is_err());
        assert!(prepare("hello", "J1").is_err());
        assert!(prepare("MSH|^~\\&|J|X|R|Y|2026||\rPID|1\r", "J1").is_err());
    }

    #[test]
    fn host_of_addr() {
        assert_eq!(host_of("pas.example:2575"), "pas.example");
        assert_eq!(host_of("[::1]:2575"), "::1");
    }
}
