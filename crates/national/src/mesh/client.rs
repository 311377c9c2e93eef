//! [`MeshClient`]: the MESH REST API for one mailbox. Paths and headers follow MESH API 2.0.0
//! (`/messageexchange/{mailbox}` …); every request carries a fresh `NHSMESH` token.

use bytes::Bytes;
use http::Method;
use junction_connectors::http_client::{self, HttpClient};

use super::chunk::{self, DEFAULT_CHUNK_SIZE};
use super::http::{Answer, Call, exchange};
use super::message::{InboxMessage, OutgoingMessage, Tracked};
use super::{MeshConfig, MeshError};
use crate::metrics::NationalMetrics;

/// Most inbox pages followed in one [`MeshClient::list_inbox`] (500 ids a page).
const MAX_PAGES: usize = 20;

/// A client of one MESH mailbox.
pub struct MeshClient {
    config: MeshConfig,
    base: String,
    client: HttpClient,
    metrics: NationalMetrics,
}

impl MeshClient {
    /// Builds the client; TLS files are read now, so a bad certificate is a start-up error.
    pub fn new(config: MeshConfig) -> Result<Self, MeshError> {
        let client = http_client::build(&config.base_url, &config.tls)
            .map_err(|e| MeshError::Config(e.to_string()))?;
        let base = config.base_url.trim_end_matches('/').to_string();
        Ok(Self {
            config,
            base,
            client,
            metrics: NationalMetrics::default(),
        })
    }

    /// Counts this client's 429 answers (as service `mesh`) and inbox depths in `metrics`.
    pub fn with_metrics(mut self, metrics: NationalMetrics) -> Self {
        metrics.add_service("mesh");
        self.metrics = metrics;
        self
    }

    /// The metrics this client counts in.
    pub fn metrics(&self) -> &NationalMetrics {
        &self.metrics
    }

    /// The mailbox this client acts for.
    pub fn mailbox(&self) -> &str {
        &self.config.credentials.mailbox
    }

    fn path(&self, rest: &str) -> String {
        format!("/messageexchange/{}{rest}", self.mailbox())
    }

    async fn call(
        &self,
        operation: &'static str,
        method: Method,
        path: &str,
        headers: &[(&str, String)],
        body: Option<Bytes>,
    ) -> Result<Answer, MeshError> {
        let call = Call {
            operation,
            method,
            path,
            headers,
            body,
        };
        let answer = exchange(&self.client, &self.config, &self.base, call).await;
        if let Err(MeshError::Unavailable { status: 429, .. }) = &answer {
            self.metrics.rate_limited("mesh");
        }
        answer
    }

    /// Validates the mailbox (MESH asks for this once a day): checks reachability and auth.
    pub async fn handshake(&self) -> Result<(), MeshError> {
        let headers = [
            ("mex-ClientVersion", self.config.client_version.clone()),
            ("mex-OSName", std::env::consts::OS.to_string()),
            ("mex-OSArchitecture", std::env::consts::ARCH.to_string()),
            ("mex-OSVersion", "N/A".to_string()),
            ("mex-JavaVersion", "N/A".to_string()),
        ];
        self.call("handshake", Method::POST, &self.path(""), &headers, None)
            .await
            .map(drop)
    }

    /// Sends a message (in several chunks when it is larger than the chunk size) and returns
    /// MESH's message id.
    pub async fn send(&self, msg: &OutgoingMessage) -> Result<String, MeshError> {
        let size = msg.chunk_size.unwrap_or(DEFAULT_CHUNK_SIZE);
        let (body, gzip) = (msg.body.clone(), msg.gzip);
        let chunks = tokio::task::spawn_blocking(move || chunk::outgoing(&body, size, gzip))
            .await
            .map_err(|e| protocol("send", format!("compressing: {e}")))?
            .map_err(|e| protocol("send", format!("compressing: {e}")))?;
        let total = chunks.len();
        let mut chunks = chunks.into_iter();
        let first = chunks.next().unwrap_or_default();
        let content_type = if total == 1 {
            msg.content_type.clone()
        } else {
            "application/octet-stream".to_string()
        };
        let mut headers = vec![
            ("mex-From", self.mailbox().to_string()),
            ("mex-To", msg.to.clone()),
            ("mex-WorkflowID", msg.workflow_id.clone()),
            ("mex-Chunk-Range", format!("1:{total}")),
            ("mex-Content-Type", msg.content_type.clone()),
            ("Content-Type", content_type),
        ];
        let optional = [
            ("mex-Subject", &msg.subject),
            ("mex-LocalID", &msg.local_id),
            ("mex-FileName", &msg.file_name),
        ];
        for (name, value) in optional {
            if let Some(v) = value {
                headers.push((name, v.clone()));
            }
        }
        if gzip {
            headers.push(("Content-Encoding", "gzip".to_string()));
        }
        let answer = self
            .call(
                "send",
                Method::POST,
                &self.path("/outbox"),
                &headers,
                Some(first),
            )
            .await?;
        let json = answer.json("send")?;
        let message_id = json
            .get("message_id")
            .or_else(|| json.get("messageID"))
            .and_then(|v| v.as_str())
            .ok_or_else(|| protocol("send", "no message id in the answer".into()))?;
        let message_id = segment("send", message_id)?.to_string();
        for (i, body) in chunks.enumerate() {
            let n = i + 2;
            let mut headers = vec![
                ("mex-Chunk-Range", format!("{n}:{total}")),
                ("Content-Type", "application/octet-stream".to_string()),
            ];
            if gzip {
                headers.push(("Content-Encoding", "gzip".to_string()));
            }
            let path = self.path(&format!("/outbox/{message_id}/{n}"));
            self.call("send chunk", Method::POST, &path, &headers, Some(body))
                .await?;
        }
        Ok(message_id)
    }

    /// The ids of the messages waiting in the inbox (every page, up to 10,000 ids).
    pub async fn list_inbox(&self) -> Result<Vec<String>, MeshError> {
        let mut ids = Vec::new();
        let mut path = self.path("/inbox");
        for _ in 0..MAX_PAGES {
            let json = self
                .call("list inbox", Method::GET, &path, &[], None)
                .await?
                .json("list inbox")?;
            let page = json
                .get("messages")
                .and_then(|m| m.as_array())
                .ok_or_else(|| protocol("list inbox", "no messages list in the answer".into()))?;
            for id in page.iter().filter_map(|v| v.as_str()) {
                ids.push(segment("list inbox", id)?.to_string());
            }
            match json.pointer("/links/next").and_then(|v| v.as_str()) {
                Some(next) if next.starts_with("/messageexchange/") && !page.is_empty() => {
                    path = next.to_string();
                }
                _ => break,
            }
        }
        Ok(ids)
    }

    /// Downloads one message: every chunk, joined, gunzipped when MESH says `gzip`.
    pub async fn download(&self, message_id: &str) -> Result<InboxMessage, MeshError> {
        let id = segment("download", message_id)?;
        let first = self
            .call(
                "download",
                Method::GET,
                &self.path(&format!("/inbox/{id}")),
                &[],
                None,
            )
            .await?;
        let total = total_chunks(&first);
        let gzipped = first
            .header("content-encoding")
            .is_some_and(|e| e.eq_ignore_ascii_case("gzip"));
        let mut bodies = vec![first.body.clone()];
        for n in 2..=total {
            let path = self.path(&format!("/inbox/{id}/{n}"));
            let answer = self
                .call("download chunk", Method::GET, &path, &[], None)
                .await?;
            bodies.push(answer.body);
        }
        let body = tokio::task::spawn_blocking(move || chunk::reassemble(&bodies, gzipped))
            .await
            .map_err(|e| protocol("download", format!("decompressing: {e}")))?
            .map_err(|e| protocol("download", format!("decompressing: {e}")))?;
        let text = |name: &str| first.header(name).map(str::to_string);
        Ok(InboxMessage {
            message_id: id.to_string(),
            message_type: text("mex-messagetype").unwrap_or_else(|| "DATA".into()),
            from: text("mex-from"),
            workflow_id: text("mex-workflowid"),
            subject: text("mex-subject"),
            local_id: text("mex-localid"),
            file_name: text("mex-filename"),
            content_type: text("mex-content-type").or_else(|| text("content-type")),
            status_code: text("mex-statuscode"),
            status_description: text("mex-statusdescription"),
            linked_message_id: text("mex-linkedmsgid"),
            chunks: total,
            body,
        })
    }

    /// Acknowledges a downloaded message: MESH removes it from the inbox.
    pub async fn acknowledge(&self, message_id: &str) -> Result<(), MeshError> {
        let id = segment("acknowledge", message_id)?;
        let path = self.path(&format!("/inbox/{id}/status/acknowledged"));
        self.call("acknowledge", Method::PUT, &path, &[], None)
            .await
            .map(drop)
    }

    /// What MESH knows of messages we sent with this `mex-LocalID` (the spec's tracking by
    /// local id, marked deprecated but still served).
    pub async fn track_by_local_id(&self, local_id: &str) -> Result<Tracked, MeshError> {
        let id = segment("track", local_id)?;
        let path = self.path(&format!("/outbox/tracking/{id}"));
        match self.call("track", Method::GET, &path, &[], None).await {
            Ok(answer) => {
                let json = answer.json("track")?;
                let field = |k: &str| json.get(k).and_then(|v| v.as_str()).map(str::to_string);
                let message_id = field("messageId")
                    .or_else(|| field("message_id"))
                    .ok_or_else(|| protocol("track", "no message id in the answer".into()))?;
                Ok(Tracked::One {
                    message_id,
                    status: field("status").unwrap_or_default(),
                })
            }
            Err(MeshError::Rejected { status: 404, .. }) => Ok(Tracked::NotFound),
            Err(MeshError::Rejected { status: 300, .. }) => Ok(Tracked::Many),
            Err(e) => Err(e),
        }
    }
}

fn protocol(operation: &'static str, reason: String) -> MeshError {
    MeshError::Protocol { operation, reason }
}

/// `id` if it is safe as one URL path segment (letters, digits, `_`, `-`, `.`).
fn segment<'a>(operation: &'static str, id: &'a str) -> Result<&'a str, MeshError> {
    let ok = !id.is_empty()
        && id.len() <= 200
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
        && id != "."
        && id != "..";
    ok.then_some(id)
        .ok_or_else(|| protocol(operation, "an id that is not a plain path segment".into()))
}

/// The chunk count from `mex-Total-Chunks`, else `mex-Chunk-Range` (`1:n`); 1 when absent.
fn total_chunks(answer: &Answer) -> usize {
    let from_range = || {
        answer
            .header("mex-chunk-range")
            .and_then(|r| r.split_once(':'))
            .and_then(|(_, n)| n.trim().parse().ok())
    };
    answer
        .header("mex-total-chunks")
        .and_then(|n| n.trim().parse().ok())
        .or_else(from_range)
        .filter(|n: &usize| *n >= 1)
        .unwrap_or(1)
        .min(100_000)
}
