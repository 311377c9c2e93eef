//! A fresh RSA key pair in PEM for the API platform's signed-JWT flow, generated in memory: the
//! demo and the tests configure the client with the private half and [`super::Platform`] with
//! the public half, so no private key is ever stored in the repository.

use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der, PublicKeyX509Der};
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::KeyPair as _;

/// An RSA key pair as PEM text.
#[derive(Clone)]
pub struct KeyPairPem {
    /// The private key, PKCS#8 (`-----BEGIN PRIVATE KEY-----`).
    pub private_pem: String,
    /// The public key, X.509 SubjectPublicKeyInfo (`-----BEGIN PUBLIC KEY-----`).
    pub public_pem: String,
}

/// Never shows the private key.
impl std::fmt::Debug for KeyPairPem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyPairPem").finish_non_exhaustive()
    }
}

/// The key could not be generated or encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("cannot generate an RSA key pair")]
pub struct KeyGenError;

/// A new 2048-bit RSA key pair.
pub fn generate_key_pair() -> Result<KeyPairPem, KeyGenError> {
    let pair = KeyPair::generate(KeySize::Rsa2048).map_err(|_| KeyGenError)?;
    let private: Pkcs8V1Der<'static> = pair.as_der().map_err(|_| KeyGenError)?;
    let public: PublicKeyX509Der<'static> = pair.public_key().as_der().map_err(|_| KeyGenError)?;
    Ok(KeyPairPem {
        private_pem: pem("PRIVATE KEY", private.as_ref()),
        public_pem: pem("PUBLIC KEY", public.as_ref()),
    })
}

/// PEM armour: base64 in 64-character lines.
fn pem(label: &str, der: &[u8]) -> String {
    let b64 = base64(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_padding() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foob"), "Zm9vYg==");
    }

    #[test]
    fn keys_load_in_jsonwebtoken() {
        let pair = generate_key_pair().unwrap();
        assert!(jsonwebtoken::EncodingKey::from_rsa_pem(pair.private_pem.as_bytes()).is_ok());
        assert!(jsonwebtoken::DecodingKey::from_rsa_pem(pair.public_pem.as_bytes()).is_ok());
        assert!(!format!("{pair:?}").contains("BEGIN"));
    }
}
