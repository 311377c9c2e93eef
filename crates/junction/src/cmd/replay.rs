//! `junction replay ID | --dead --destination NAME`: asks a running gateway's admin API to
//! re-queue deliveries. Plain HTTP/1.1 to the (usually loopback) admin listener.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::ExitCode;

use anyhow::{Context, anyhow, bail};

/// Posts the replay and prints the gateway's answer; exits 1 on a non-2xx status.
pub fn run(
    api: &str,
    token_env: Option<&str>,
    id: Option<i64>,
    destination: Option<&str>,
) -> anyhow::Result<ExitCode> {
    let authority = api
        .strip_prefix("http://")
        .ok_or_else(|| anyhow!("--api must be an http:// URL"))?;
    let authority = authority.trim_end_matches('/');
    let path = match (id, destination) {
        (Some(id), _) => format!("/api/messages/{id}/replay"),
        (None, Some(dest)) => format!("/api/destinations/{dest}/replay-dead"),
        (None, None) => bail!("give a message id, or --dead --destination NAME"),
    };
    let auth = match token_env {
        Some(var) => {
            let token =
                std::env::var(var).map_err(|_| anyhow!("environment variable {var} is not set"))?;
            format!("Authorization: Bearer {token}\r\n")
        }
        None => String::new(),
    };
    let mut stream =
        TcpStream::connect(authority).with_context(|| format!("connecting to {authority}"))?;
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {authority}\r\n{auth}Content-Length: 0\r\nConnection: close\r\n\r\n"
    )?;
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .context("reading the answer")?;
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .unwrap_or(0);
    let body = response.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    println!("{status} {}", body.trim());
    Ok(if (200..300).contains(&status) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
