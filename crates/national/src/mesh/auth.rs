//! The MESH `Authorization` header: `NHSMESH mailbox:nonce:nonce_count:timestamp:hmac`, where
//! the HMAC-SHA256 (keyed with the environment's shared secret) covers
//! `mailbox:nonce:nonce_count:mailbox_password:timestamp`. MESH accepts each token once, so
//! every request gets a fresh nonce.

use aws_lc_rs::hmac;
use time::OffsetDateTime;
use uuid::Uuid;

/// The custom authentication scheme's name (followed by one space in the header).
pub const SCHEME: &str = "NHSMESH";

/// What signs a mailbox's requests.
#[derive(Clone)]
pub struct MeshCredentials {
    /// The mailbox id (upper case, as MESH issues it).
    pub mailbox: String,
    /// The mailbox password.
    pub password: String,
    /// The environment's shared secret.
    pub shared_key: String,
}

/// `Debug` leaves out the password and the shared key.
impl std::fmt::Debug for MeshCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MeshCredentials")
            .field("mailbox", &self.mailbox)
            .finish_non_exhaustive()
    }
}

impl MeshCredentials {
    /// A header value for one request: a fresh UUID nonce, count 0, the current UTC minute.
    pub fn header(&self) -> String {
        let nonce = Uuid::new_v4().to_string();
        self.header_with(&nonce, 0, &timestamp(OffsetDateTime::now_utc()))
    }

    /// The header value for a given nonce, nonce count and `yyyyMMddHHmm` timestamp.
    pub fn header_with(&self, nonce: &str, nonce_count: u32, timestamp: &str) -> String {
        let message = format!(
            "{}:{nonce}:{nonce_count}:{}:{timestamp}",
            self.mailbox, self.password
        );
        let key = hmac::Key::new(hmac::HMAC_SHA256, self.shared_key.as_bytes());
        let tag = hmac::sign(&key, message.as_bytes());
        format!(
            "{SCHEME} {}:{nonce}:{nonce_count}:{timestamp}:{}",
            self.mailbox,
            hex(tag.as_ref())
        )
    }
}

/// `yyyyMMddHHmm` in UTC.
pub fn timestamp(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}{:02}{:02}{:02}{:02}",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute()
    )
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds() -> MeshCredentials {
        MeshCredentials {
            mailbox: "X26ABC1".into(),
            password: "password".into(),
            shared_key: "TestKey".into(),
        }
    }

    #[test]
    fn header_matches_the_published_algorithm() {
        // mesh_sandbox.common.generate_cipher_text, i.e. Python hmac.HMAC(b"TestKey",
        //   b"X26ABC1:2c001608-5f09-4840-9611-bea43e666a30:0:password:202005041305",
        //   sha256).hexdigest()
        let h = creds().header_with("2c001608-5f09-4840-9611-bea43e666a30", 0, "202005041305");
        assert_eq!(
            h,
            "NHSMESH X26ABC1:2c001608-5f09-4840-9611-bea43e666a30:0:202005041305:\
             e9e74e8a4f1ca0e7d174308f5e4e089f24cb7dcc05bea7681dd061962d3e2305"
        );
    }

    #[test]
    fn every_header_has_a_fresh_nonce() {
        let c = creds();
        let (a, b) = (c.header(), c.header());
        assert_ne!(a, b);
        let parts: Vec<&str> = a.trim_start_matches("NHSMESH ").split(':').collect();
        assert_eq!(parts.len(), 5);
        assert_eq!(parts[0], "X26ABC1");
        assert_eq!(parts[2], "0");
        assert_eq!(parts[3].len(), 12);
        assert_eq!(parts[4].len(), 64);
    }

    #[test]
    fn timestamp_is_utc_minutes() {
        let at = OffsetDateTime::from_unix_timestamp(1_588_597_500).unwrap(); // 2020-05-04 13:05 UTC
        assert_eq!(timestamp(at), "202005041305");
    }

    #[test]
    fn debug_hides_secrets() {
        let text = format!("{:?}", creds());
        assert!(!text.contains("password"));
        assert!(!text.contains("TestKey"));
    }
}
