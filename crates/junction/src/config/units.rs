//! Durations ("30s", "5m", "7d", "250ms", "1h30m") and byte sizes ("10MiB", "512KiB", or a bare
//! integer of bytes) and listen addresses as written in the config, with the serde glue the
//! schema uses.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use serde::de::{self, Deserializer, Visitor};

/// Parses a duration: one or more `<integer><unit>` parts, units `ms`, `s`, `m`, `h`, `d`.
/// `"0s"` is a valid zero; a bare number is rejected because its unit would be a guess.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let s = text.trim();
    if s.is_empty() {
        return Err("empty duration (expected e.g. \"30s\", \"5m\", \"7d\", \"250ms\")".into());
    }
    let mut total = Duration::ZERO;
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(bad_duration(text));
        }
        let n: u64 = rest[..digits].parse().map_err(|_| bad_duration(text))?;
        rest = &rest[digits..];
        let unit_len = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
        let part = match &rest[..unit_len] {
            "ms" => Some(Duration::from_millis(n)),
            "s" => Some(Duration::from_secs(n)),
            "m" => n.checked_mul(60).map(Duration::from_secs),
            "h" => n.checked_mul(3600).map(Duration::from_secs),
            "d" => n.checked_mul(86_400).map(Duration::from_secs),
            _ => return Err(bad_duration(text)),
        };
        rest = &rest[unit_len..];
        total = part
            .and_then(|p| total.checked_add(p))
            .ok_or_else(|| format!("duration {text:?} is too large"))?;
    }
    Ok(total)
}

fn bad_duration(text: &str) -> String {
    format!(
        "invalid duration {text:?} (expected e.g. \"30s\", \"5m\", \"7d\", \"250ms\"; units ms, s, m, h, d)"
    )
}

/// Parses a size: an integer with an optional binary unit `B`, `KiB`, `MiB`, `GiB`.
/// Decimal units (`MB`) are rejected rather than guessed at.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let s = text.trim();
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return Err(bad_size(text));
    }
    let n: u64 = s[..digits].parse().map_err(|_| bad_size(text))?;
    let factor: u64 = match s[digits..].trim_start() {
        "" | "B" => 1,
        "KiB" => 1 << 10,
        "MiB" => 1 << 20,
        "GiB" => 1 << 30,
        _ => return Err(bad_size(text)),
    };
    n.checked_mul(factor)
        .ok_or_else(|| format!("size {text:?} is too large"))
}

fn bad_size(text: &str) -> String {
    format!("invalid size {text:?} (expected bytes, or e.g. \"512KiB\", \"10MiB\", \"1GiB\")")
}

/// `#[serde(deserialize_with = "units::duration")]`: a duration string.
pub fn duration<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    struct V;
    impl Visitor<'_> for V {
        type Value = Duration;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a duration string such as \"30s\"")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Duration, E> {
            parse_duration(v).map_err(E::custom)
        }
    }
    d.deserialize_str(V)
}

/// `#[serde(deserialize_with = "units::size")]`: a size string or an integer of bytes.
pub fn size<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    struct V;
    impl Visitor<'_> for V {
        type Value = u64;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a size such as \"10MiB\" or an integer of bytes")
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<u64, E> {
            u64::try_from(v).map_err(|_| E::custom(format!("size {v} is negative")))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<u64, E> {
            Ok(v)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<u64, E> {
            parse_size(v).map_err(E::custom)
        }
    }
    d.deserialize_any(V)
}

/// `#[serde(deserialize_with = "units::socket_addr")]`: an `IP:port` listen address (no host
/// names: resolving them would be I/O, and a listener binds an address, not a name).
pub fn socket_addr<'de, D: Deserializer<'de>>(d: D) -> Result<SocketAddr, D::Error> {
    struct V;
    impl Visitor<'_> for V {
        type Value = SocketAddr;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an IP:port address such as \"127.0.0.1:2575\"")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<SocketAddr, E> {
            v.parse().map_err(|_| {
                E::custom(format!(
                    "invalid address {v:?} (expected IP:port, e.g. \"127.0.0.1:2575\" or \"[::1]:2575\")"
                ))
            })
        }
    }
    d.deserialize_str(V)
}

/// Deserialises an optional duration (for keys that may be left out).
pub fn opt_duration<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    duration(d).map(Some)
}

/// Deserialises an optional size (for keys that may be left out).
pub fn opt_size<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    size(d).map(Some)
}

/// Deserialises an optional `IP:port` (for keys that may be left out).
pub fn opt_socket_addr<'de, D: Deserializer<'de>>(d: D) -> Result<Option<SocketAddr>, D::Error> {
    socket_addr(d).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_in_every_unit() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse_duration("7d"), Ok(Duration::from_secs(7 * 86_400)));
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
        assert_eq!(parse_duration(" 10m "), Ok(Duration::from_secs(600)));
    }

    #[test]
    fn durations_compose() {
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("1s500ms"), Ok(Duration::from_millis(1500)));
    }

    #[test]
    fn bad_durations_are_rejected() {
        for bad in [
            "",
            "30",
            "s",
            "30x",
            "5 m",
            "-5s",
            "1.5s",
            "30S",
            "5m3",
            "99999999999999999999d",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad:?} accepted");
        }
        assert!(
            parse_duration("30 seconds")
                .unwrap_err()
                .contains("units ms, s, m, h, d")
        );
        assert!(
            parse_duration("999999999999999d")
                .unwrap_err()
                .contains("too large")
        );
    }

    #[test]
    fn sizes_in_binary_units() {
        assert_eq!(parse_size("512"), Ok(512));
        assert_eq!(parse_size("512B"), Ok(512));
        assert_eq!(parse_size("512KiB"), Ok(512 * 1024));
        assert_eq!(parse_size("10MiB"), Ok(10 * 1024 * 1024));
        assert_eq!(parse_size("1GiB"), Ok(1 << 30));
        assert_eq!(parse_size("10 MiB"), Ok(10 << 20));
    }

    #[test]
    fn bad_sizes_are_rejected() {
        for bad in [
            "",
            "MiB",
            "10MB",
            "10mib",
            "1.5MiB",
            "-1",
            "10 MiB extra",
            "99999999999GiB",
        ] {
            assert!(parse_size(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn serde_accepts_integer_and_string_sizes() {
        #[derive(serde::Deserialize)]
        struct T {
            #[serde(deserialize_with = "size")]
            a: u64,
            #[serde(deserialize_with = "size")]
            b: u64,
            #[serde(deserialize_with = "duration")]
            c: Duration,
        }
        let t: T = toml::from_str("a = 1024\nb = \"2KiB\"\nc = \"1m\"").unwrap();
        assert_eq!((t.a, t.b, t.c), (1024, 2048, Duration::from_secs(60)));
        assert!(toml::from_str::<T>("a = -1\nb = 1\nc = \"1m\"").is_err());
    }
}
