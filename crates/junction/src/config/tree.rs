//! The TOML tree as the loader uses it: an index of where every key is, and deserialization of
//! one table at a time that survives bad keys. When a key fails, its error is recorded, the key
//! is dropped and the table read again, so every bad key in a table is reported at once.

use serde::de::{DeserializeOwned, IntoDeserializer};
use toml::Spanned;
use toml::de::{DeArray, DeString, DeTable, DeValue};

use super::error::{ConfigError, Entry, Located, join};

pub(super) type Value<'a> = Spanned<DeValue<'a>>;

/// Deserializes one table. On an error at a key, records it, drops that key and tries again, so
/// every bad key in the table is reported; a missing required key ends the attempt.
pub(super) fn read<T: DeserializeOwned>(
    loc: &Located,
    path: &str,
    mut value: Value<'_>,
    errors: &mut Vec<ConfigError>,
) -> Option<T> {
    let mut dropped: Vec<String> = Vec::new();
    for _ in 0..64 {
        let e = match T::deserialize(value.clone().into_deserializer()) {
            Ok(t) => return Some(t),
            Err(e) => e,
        };
        let offset = e.span().map_or(value.span().start, |s| s.start);
        let entry = loc
            .entry_at(offset)
            .filter(|en| en.path.starts_with(path) && en.path.len() > path.len());
        let message = e.message().trim().replace('\n', "; ");
        if let Some(field) = missing_field(&message) {
            let at = entry.map_or(path, |en| en.path.as_str());
            let key = join(at, field);
            let suffix = format!(".{field}");
            if !dropped.iter().any(|d| d.ends_with(&suffix)) {
                errors.push(loc.at(offset, &key, message));
            }
            return None;
        }
        let Some(entry) = entry else {
            errors.push(loc.at(offset, path, message));
            return None;
        };
        errors.push(loc.at(offset, &entry.path, message));
        dropped.push(entry.path.clone());
        if !remove(&mut value, entry) {
            return None;
        }
    }
    None
}

/// The field named by serde's "missing field `x`".
fn missing_field(message: &str) -> Option<&str> {
    message.strip_prefix("missing field `")?.split('`').next()
}

/// Removes the key (or array element) `entry` describes from `value`.
fn remove(value: &mut Value<'_>, entry: &Entry) -> bool {
    match value.get_mut() {
        DeValue::Table(t) => {
            if let Some(key) = &entry.key
                && t.keys().any(|k| k.span() == *key)
            {
                for (k, v) in std::mem::take(t) {
                    if k.span() != *key {
                        t.insert(k, v);
                    }
                }
                return true;
            }
            t.iter_mut().any(|(_, v)| remove(v, entry))
        }
        DeValue::Array(a) => {
            if entry.key.is_none() && a.iter().any(|e| e.span() == entry.value) {
                let old = std::mem::replace(a, DeArray::new());
                for el in old.iter() {
                    if el.span() != entry.value {
                        a.push(el.clone());
                    }
                }
                return true;
            }
            a.iter_mut().any(|v| remove(v, entry))
        }
        _ => false,
    }
}

/// Records the span of every key and array element under `table`.
pub(super) fn index_table(table: &DeTable<'_>, path: &str, out: &mut Vec<Entry>) {
    for (k, v) in table.iter() {
        let key: &DeString<'_> = k.get_ref();
        let p = join(path, key);
        out.push(Entry {
            path: p.clone(),
            key: Some(k.span()),
            value: v.span(),
        });
        index_value(v, &p, out);
    }
}

fn index_value(value: &Value<'_>, path: &str, out: &mut Vec<Entry>) {
    match value.get_ref() {
        DeValue::Table(t) => index_table(t, path, out),
        DeValue::Array(a) => {
            for (i, el) in a.iter().enumerate() {
                let p = format!("{path}[{i}]");
                out.push(Entry {
                    path: p.clone(),
                    key: None,
                    value: el.span(),
                });
                index_value(el, &p, out);
            }
        }
        _ => {}
    }
}
