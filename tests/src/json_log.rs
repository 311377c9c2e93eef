//! A strict reading of the gateway's JSON log lines: each must be one JSON object in which no
//! key appears twice at any depth. `serde_json::Value` keeps the last of two equal keys, so a
//! field named like the line's own `message`, `level` or `target` would silently replace it;
//! here it is an error. `Gateway` checks every stderr line that starts with `{`.

use std::fmt;

use serde::Deserializer;
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};

/// Why a log line is not a well-formed JSON log object.
#[derive(Debug, PartialEq, Eq)]
pub struct LogLineError(pub String);

impl fmt::Display for LogLineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Checks one line: a JSON object, no duplicate key anywhere, and a string `message` and
/// `level` (the fields every tracing JSON line has).
pub fn check_line(line: &str) -> Result<(), LogLineError> {
    let mut de = serde_json::Deserializer::from_str(line);
    let top = Strict { top: true }
        .deserialize(&mut de)
        .map_err(|e| LogLineError(e.to_string()))?;
    de.end().map_err(|e| LogLineError(e.to_string()))?;
    match top {
        Some(fields) if fields.message_is_text && fields.level_is_text => Ok(()),
        Some(_) => Err(LogLineError(
            "`message` or `level` is missing or not a string".into(),
        )),
        None => Err(LogLineError("not a JSON object".into())),
    }
}

/// What the top-level object held of the fields every line must have.
struct TopFields {
    message_is_text: bool,
    level_is_text: bool,
}

/// Visits any JSON value, rejecting an object with a repeated key. At the top it also insists
/// on an object and reports its `message` and `level`.
#[derive(Clone, Copy)]
struct Strict {
    top: bool,
}

impl<'de> DeserializeSeed<'de> for Strict {
    type Value = Option<TopFields>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Strict {
    type Value = Option<TopFields>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(if self.top {
            "a JSON object"
        } else {
            "a JSON value"
        })
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        self.scalar()
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        self.scalar()
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        self.scalar()
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        self.scalar()
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        self.scalar()
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        self.scalar()
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        if self.top {
            return Err(de::Error::custom("a JSON array, not an object"));
        }
        while seq.next_element_seed(Strict { top: false })?.is_some() {}
        Ok(None)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut keys: Vec<String> = Vec::new();
        let mut fields = TopFields {
            message_is_text: false,
            level_is_text: false,
        };
        while let Some(key) = map.next_key::<String>()? {
            if keys.contains(&key) {
                return Err(de::Error::custom(format!("duplicate key `{key}`")));
            }
            if self.top && (key == "message" || key == "level") {
                let value: serde_json::Value = map.next_value()?;
                let is_text = value.is_string();
                if key == "message" {
                    fields.message_is_text = is_text;
                } else {
                    fields.level_is_text = is_text;
                }
            } else {
                map.next_value_seed(Strict { top: false })?;
            }
            keys.push(key);
        }
        Ok(self.top.then_some(fields))
    }
}

impl Strict {
    fn scalar<E: de::Error>(self) -> Result<Option<TopFields>, E> {
        if self.top {
            Err(E::custom("a JSON scalar, not an object"))
        } else {
            Ok(None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tracing_line_passes() {
        let line = r#"{"timestamp":"2026-12-07T10:00:00Z","level":"WARN","message":"message could not be decoded","message_id":13,"target":"junction::app","fields":{"a":[1,{"b":2}]}}"#;
        assert_eq!(check_line(line), Ok(()));
    }

    #[test]
    fn a_field_named_like_the_text_is_caught() {
        let line = r#"{"level":"WARN","message":"message could not be decoded","message":13}"#;
        assert_eq!(
            check_line(line).unwrap_err().0,
            "duplicate key `message` at line 1 column 66"
        );
    }

    #[test]
    fn nested_duplicates_and_non_objects_are_caught() {
        assert!(check_line(r#"{"level":"INFO","message":"m","span":{"a":1,"a":2}}"#).is_err());
        assert!(check_line(r#"{"level":"INFO","message":"m","x":[{"a":1,"a":2}]}"#).is_err());
        assert!(check_line(r#"[1,2]"#).is_err());
        assert!(check_line(r#"{"level":"INFO","message":13}"#).is_err());
        assert!(check_line(r#"{"level":"INFO"}"#).is_err());
        assert!(check_line(r#"{"level":"INFO","message":"m"} trailing"#).is_err());
    }
}
