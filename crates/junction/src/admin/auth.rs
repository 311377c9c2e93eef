//! Who may call the admin API: roles, bearer tokens (compared in constant time), the
//! [`Caller`] extractor every handler takes, and the start-up exposure check.
//!
//! With no tokens configured the API is open, but only to clients on loopback and only when
//! the listener itself is bound to loopback ([`check_exposure`] refuses anything else).

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use junction_store::Store;

use super::AdminState;
use super::error::ApiError;

/// The shortest secret [`validate_tokens`] accepts.
pub const MIN_SECRET_LEN: usize = 16;

/// The name audit records carry for a caller let in without a token (loopback, no tokens).
pub const LOOPBACK_CALLER: &str = "loopback";

/// The name audit records carry for a refused caller that presented no valid token.
pub const NO_CALLER: &str = "none";

/// What a token may do. Ordered: each role can do everything the one before it can.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Metadata, states, queue depths; never message bodies or patient identifiers.
    Viewer,
    /// Also message bodies, events, payloads, and replays.
    Operator,
    /// Also purging dead deliveries.
    Admin,
}

impl Role {
    /// The name used in config and error messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Operator => "operator",
            Role::Admin => "admin",
        }
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "viewer" => Ok(Role::Viewer),
            "operator" => Ok(Role::Operator),
            "admin" => Ok(Role::Admin),
            other => Err(format!(
                "unknown role `{other}` (expected viewer, operator or admin)"
            )),
        }
    }
}

/// A bearer token from config. `Debug` never shows the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Token {
    /// Who holds it; written to the audit log.
    pub name: String,
    /// The bearer secret.
    pub secret: String,
    /// What it may do.
    pub role: Role,
}

impl Token {
    /// A token named `name` with `secret` and `role`.
    pub fn new(name: impl Into<String>, secret: impl Into<String>, role: Role) -> Self {
        Token {
            name: name.into(),
            secret: secret.into(),
            role,
        }
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("name", &self.name)
            .field("secret", &"<redacted>")
            .field("role", &self.role)
            .finish()
    }
}

/// How the admin API is exposed, as decided by [`check_exposure`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exposure {
    /// Bearer tokens are required; this many are configured.
    Tokens(usize),
    /// No tokens: open to loopback clients only, because the listener is on loopback.
    LoopbackOnly,
}

/// Every problem with a token list (empty or duplicate names, short or shared secrets), for
/// config validation to report alongside its own errors. No secret appears in a message.
pub fn validate_tokens(tokens: &[Token]) -> Vec<String> {
    let mut errors = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        if t.name.trim().is_empty() {
            errors.push(format!("admin token #{}: name is empty", i + 1));
        }
        if t.secret.len() < MIN_SECRET_LEN {
            errors.push(format!(
                "admin token `{}`: secret is shorter than {MIN_SECRET_LEN} characters",
                t.name
            ));
        }
        let earlier = &tokens[..i];
        if earlier.iter().any(|e| e.name == t.name) {
            errors.push(format!("admin token `{}`: name used twice", t.name));
        }
        if earlier.iter().any(|e| e.secret == t.secret) {
            errors.push(format!(
                "admin token `{}`: same secret as another token",
                t.name
            ));
        }
    }
    errors
}

/// Decides at start-up whether the admin API may be served on `listen`: with tokens, if they
/// are valid; without, only on a loopback address (the caller warns, naming the bound address).
/// Call it before binding.
pub fn check_exposure(listen: SocketAddr, tokens: &[Token]) -> Result<Exposure, String> {
    if !tokens.is_empty() {
        let errors = validate_tokens(tokens);
        return if errors.is_empty() {
            Ok(Exposure::Tokens(tokens.len()))
        } else {
            Err(errors.join("; "))
        };
    }
    if is_loopback(listen.ip()) {
        Ok(Exposure::LoopbackOnly)
    } else {
        Err(format!(
            "admin API has no tokens but the HTTP listener {listen} is not loopback: \
             configure admin tokens or listen on 127.0.0.1"
        ))
    }
}

fn is_loopback(ip: IpAddr) -> bool {
    ip.to_canonical().is_loopback()
}

/// The authenticated caller of one request. Handlers take it as an extractor and call
/// [`Caller::require`] before doing anything.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The token's name ([`LOOPBACK_CALLER`] when let in without one).
    pub name: String,
    /// The token's role.
    pub role: Role,
    /// The client's address, when the server was started with connect info.
    pub client: Option<SocketAddr>,
}

impl Caller {
    /// `Ok` when the caller's role is at least `role`, else a 403.
    pub fn require(&self, role: Role) -> Result<(), ApiError> {
        if self.role >= role {
            Ok(())
        } else {
            Err(ApiError::Forbidden(role))
        }
    }
}

impl<S: Store> FromRequestParts<Arc<AdminState<S>>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AdminState<S>>,
    ) -> Result<Self, Self::Rejection> {
        let client = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ci| ci.0);
        authenticate(&parts.headers, &state.tokens, client)
    }
}

/// The name to audit a refused request under: the presented token's name when it is valid
/// (a 403), else [`NO_CALLER`].
pub fn caller_name<'a>(
    headers: &HeaderMap,
    tokens: &'a [Token],
    client: Option<SocketAddr>,
) -> std::borrow::Cow<'a, str> {
    match authenticate(headers, tokens, client) {
        Ok(caller) => caller.name.into(),
        Err(_) => NO_CALLER.into(),
    }
}

fn authenticate(
    headers: &HeaderMap,
    tokens: &[Token],
    client: Option<SocketAddr>,
) -> Result<Caller, ApiError> {
    if tokens.is_empty() {
        // Open mode: only a client we can see is on loopback. Without connect info we cannot
        // tell, so we refuse rather than guess.
        return match client {
            Some(addr) if is_loopback(addr.ip()) => Ok(Caller {
                name: LOOPBACK_CALLER.to_owned(),
                role: Role::Admin,
                client,
            }),
            _ => Err(ApiError::Unauthorized),
        };
    }
    let presented = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(bearer)
        .ok_or(ApiError::Unauthorized)?;
    find_token(tokens, presented.as_bytes())
        .map(|t| Caller {
            name: t.name.clone(),
            role: t.role,
            client,
        })
        .ok_or(ApiError::Unauthorized)
}

/// The credentials of a `Bearer` authorization header (scheme case-insensitive).
fn bearer(header: &str) -> Option<&str> {
    let (scheme, rest) = header.split_once(' ')?;
    let secret = rest.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !secret.is_empty()).then_some(secret)
}

/// The token whose secret is `presented`. Every token is compared in full, so the time taken
/// says nothing about which token matched or how much of a secret was right.
fn find_token<'a>(tokens: &'a [Token], presented: &[u8]) -> Option<&'a Token> {
    let mut found = None;
    for t in tokens {
        if ct_eq(t.secret.as_bytes(), presented) {
            found = Some(t);
        }
    }
    found
}

/// Constant-time equality: the time depends on the lengths only, never on the contents.
fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    let len = a.len().max(b.len());
    let mut diff = u8::from(a.len() != b.len());
    for i in 0..len {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0);
        diff |= std::hint::black_box(x ^ y);
    }
    diff == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ct_eq_matches_only_equal_inputs() {
        assert!(ct_eq(b"abcdef", b"abcdef"));
        assert!(!ct_eq(b"abcdef", b"abcdeg"));
        assert!(!ct_eq(b"abc", b"abcdef"));
        assert!(!ct_eq(b"", b"a"));
    }

    #[test]
    fn bearer_header_parsing() {
        assert_eq!(bearer("Bearer s3cret"), Some("s3cret"));
        assert_eq!(bearer("bearer  s3cret "), Some("s3cret"));
        assert_eq!(bearer("Basic abc"), None);
        assert_eq!(bearer("Bearer "), None);
    }

    #[test]
    fn roles_are_ordered() {
        assert!(Role::Admin > Role::Operator && Role::Operator > Role::Viewer);
        assert_eq!("operator".parse::<Role>(), Ok(Role::Operator));
        assert!("root".parse::<Role>().is_err());
    }

    #[test]
    fn token_debug_hides_the_secret() {
        let t = Token::new("ops", "0123456789abcdef", Role::Admin);
        assert!(!format!("{t:?}").contains("0123456789abcdef"));
    }

    #[test]
    fn validation_reports_every_problem() {
        let tokens = [
            Token::new("a", "short", Role::Viewer),
            Token::new("a", "0123456789abcdef", Role::Viewer),
            Token::new("", "0123456789abcdef", Role::Admin),
        ];
        let errors = validate_tokens(&tokens);
        assert_eq!(errors.len(), 4, "{errors:?}");
        assert!(errors.iter().all(|e| !e.contains("0123456789abcdef")));
    }

    #[test]
    fn exposure_rules() {
        let lo: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        let lo6: SocketAddr = "[::1]:8080".parse().unwrap();
        let any: SocketAddr = "0.0.0.0:8080".parse().unwrap();
        let ok = [Token::new("ops", "0123456789abcdef", Role::Admin)];
        assert_eq!(check_exposure(lo, &[]), Ok(Exposure::LoopbackOnly));
        assert_eq!(check_exposure(lo6, &[]), Ok(Exposure::LoopbackOnly));
        assert!(check_exposure(any, &[]).is_err());
        assert_eq!(check_exposure(any, &ok), Ok(Exposure::Tokens(1)));
    }
}
