//! The admin audit log: one JSON line per view of patient data and per replay or purge,
//! appended to a file and fsync'd before the request is carried out, and one per refused
//! request (401 or 403), written after it is answered.
//!
//! A record names the token, the action, the message id, destination or route, and the client
//! address; it never holds message content, patient identifiers, query strings or secrets. A
//! record that cannot be written fails the request, so every look at patient data is
//! answerable.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::Response;
use junction_store::Store;
use serde::Serialize;

use super::AdminState;
use super::auth::{self, Caller};

/// What an audited request did (the `action` field).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditAction {
    /// `GET /api/messages/{id}?include=body`.
    ViewMessage,
    /// `GET /api/messages/{id}/raw`.
    ViewRaw,
    /// `GET /api/messages?patient_key=…`: which messages concern a patient.
    SearchByPatient,
    /// `POST /api/messages/{id}/replay`.
    ReplayMessage,
    /// `POST /api/destinations/{name}/replay-dead`.
    ReplayDead,
    /// `DELETE /api/destinations/{name}/dead`.
    PurgeDead,
    /// Any request answered 401 or 403.
    Denied,
}

impl AuditAction {
    /// The name written to the log.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::ViewMessage => "message.view",
            AuditAction::ViewRaw => "message.view_raw",
            AuditAction::SearchByPatient => "messages.search_by_patient",
            AuditAction::ReplayMessage => "message.replay",
            AuditAction::ReplayDead => "destination.replay_dead",
            AuditAction::PurgeDead => "destination.purge_dead",
            AuditAction::Denied => "access.denied",
        }
    }
}

/// What an audited request was about.
#[derive(Debug, Clone, Copy)]
pub enum AuditTarget<'a> {
    /// A message, by journal id.
    Message(i64),
    /// A destination, by name.
    Destination(&'a str),
    /// A route template (`GET /api/messages/{id}`) and the status it was refused with.
    Route(&'a str, StatusCode),
    /// Nothing in particular (a search).
    None,
}

#[derive(Serialize)]
struct Record<'a> {
    time: String,
    token: &'a str,
    action: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    message_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    destination: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    route: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<u16>,
    client: Option<String>,
}

/// The append-only audit file. Cheap to clone; writes are serialised.
#[derive(Debug, Clone)]
pub struct AuditLog {
    file: Arc<Mutex<File>>,
    path: PathBuf,
}

impl AuditLog {
    /// Opens `path` for appending, creating it (mode 0600 on Unix) and syncing its directory
    /// when new, so the file itself survives a crash.
    pub fn open(path: impl AsRef<Path>) -> io::Result<AuditLog> {
        let path = path.as_ref().to_path_buf();
        let existed = path.exists();
        let mut opts = OpenOptions::new();
        opts.append(true).create(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let file = opts.open(&path)?;
        if !existed {
            file.sync_all()?;
            #[cfg(unix)]
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                File::open(dir)?.sync_all()?;
            }
        }
        Ok(AuditLog {
            file: Arc::new(Mutex::new(file)),
            path,
        })
    }

    /// The file written to.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one record for `caller` and fsyncs it; returns only once it is durable.
    pub async fn record(
        &self,
        caller: &Caller,
        action: AuditAction,
        target: AuditTarget<'_>,
    ) -> io::Result<()> {
        self.append(&caller.name, action, target, caller.client)
            .await
    }

    async fn append(
        &self,
        token: &str,
        action: AuditAction,
        target: AuditTarget<'_>,
        client: Option<SocketAddr>,
    ) -> io::Result<()> {
        let line = record_line(token, action, target, client)?;
        let file = Arc::clone(&self.file);
        tokio::task::spawn_blocking(move || {
            let mut file = file.lock().unwrap_or_else(|e| e.into_inner());
            file.write_all(line.as_bytes())?;
            file.sync_data()
        })
        .await
        .map_err(|_| io::Error::other("audit write task failed"))?
    }
}

/// Middleware over every admin route: once a request has been answered 401 or 403, records
/// who (the valid token's name, else `none`), which route (the template, never the query) and
/// the status. A record that cannot be written is logged; the refusal stands either way.
pub async fn record_denials<S: Store>(
    State(state): State<Arc<AdminState<S>>>,
    req: Request,
    next: Next,
) -> Response {
    let route = req.extensions().get::<MatchedPath>().map_or_else(
        || format!("{} ?", req.method()),
        |p| format!("{} {}", req.method(), p.as_str()),
    );
    let client = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    let mut headers = axum::http::HeaderMap::new();
    if let Some(value) = req.headers().get(AUTHORIZATION) {
        headers.insert(AUTHORIZATION, value.clone());
    }
    let res = next.run(req).await;
    let status = res.status();
    if status != StatusCode::UNAUTHORIZED && status != StatusCode::FORBIDDEN {
        return res;
    }
    let token = auth::caller_name(&headers, &state.tokens, client);
    let target = AuditTarget::Route(&route, status);
    if let Err(err) = state
        .audit
        .append(&token, AuditAction::Denied, target, client)
        .await
    {
        tracing::error!(error = %err, status = status.as_u16(), "refused admin request not audited: audit log write failed");
    }
    res
}

fn record_line(
    token: &str,
    action: AuditAction,
    target: AuditTarget<'_>,
    client: Option<SocketAddr>,
) -> io::Result<String> {
    let (mut message_id, mut destination, mut route, mut status) = (None, None, None, None);
    match target {
        AuditTarget::Message(id) => message_id = Some(id),
        AuditTarget::Destination(name) => destination = Some(name),
        AuditTarget::Route(path, code) => {
            route = Some(path);
            status = Some(code.as_u16());
        }
        AuditTarget::None => {}
    }
    let time = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .map_err(io::Error::other)?;
    let record = Record {
        time,
        token,
        action: action.as_str(),
        message_id,
        destination,
        route,
        status,
        client: client.map(|c| c.to_string()),
    };
    let mut line = serde_json::to_string(&record).map_err(io::Error::other)?;
    line.push('\n');
    Ok(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_is_one_json_line() {
        let client = "127.0.0.1:5000".parse().ok();
        let line = record_line(
            "ops",
            AuditAction::ReplayMessage,
            AuditTarget::Message(7),
            client,
        )
        .unwrap();
        assert!(line.ends_with('\n') && line.matches('\n').count() == 1);
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["token"], "ops");
        assert_eq!(v["action"], "message.replay");
        assert_eq!(v["message_id"], 7);
        assert_eq!(v["client"], "127.0.0.1:5000");
        assert!(v.get("destination").is_none());
    }
}
