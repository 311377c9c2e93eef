//! An event's JSON as the SQLite store keeps it: LZ4-compressed in `events.json`, packed on
//! the caller's task so the writer thread only copies the bytes.
//!
//! A UK Core bundle of an ADT message is ~5.7 KB of JSON and ~2.2 KB packed: each message's
//! event was three of the journal's 2 KiB pages and the biggest share of what every commit
//! wrote to the WAL and every checkpoint copied (a third of the WAL's frames in the
//! 16-connection bench), and of the file's size. Rows written before schema V8 hold the JSON
//! as TEXT and are read as they are; a value that is TEXT is always plain JSON.

use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ValueRef};

use crate::RouteOutcome;

/// The largest JSON a packed value may claim to unpack to; a bigger claim is a corrupt value,
/// refused before anything is allocated for it.
const MAX_UNPACKED: usize = 256 * 1024 * 1024;

/// The JSON of `outcome`'s events packed for `events.json`, in the outcome's order.
pub(crate) struct PackedEvents(Vec<Vec<u8>>);

impl PackedEvents {
    /// Packs every event `outcome` records.
    pub(crate) fn of(outcome: &RouteOutcome) -> Self {
        let events = match outcome {
            RouteOutcome::Routed { events, .. } | RouteOutcome::Filtered { events, .. } => {
                events.as_slice()
            }
            RouteOutcome::Failed { .. } => &[],
        };
        PackedEvents(events.iter().map(|e| pack(&e.json)).collect())
    }

    /// The packed JSON of the outcome's `n`th event.
    pub(crate) fn get(&self, n: usize) -> &[u8] {
        &self.0[n]
    }
}

/// `json` as stored: its length (u32, little endian) then its LZ4 block.
fn pack(json: &str) -> Vec<u8> {
    lz4_flex::compress_prepend_size(json.as_bytes())
}

/// JSON read back from `events.json` (packed) or `deliveries.payload` (TEXT).
pub(crate) struct StoredJson(pub(crate) String);

impl FromSql for StoredJson {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        let other = |e: Box<dyn std::error::Error + Send + Sync>| FromSqlError::Other(e);
        match value {
            ValueRef::Text(text) => std::str::from_utf8(text)
                .map(|s| StoredJson(s.to_owned()))
                .map_err(|e| other(e.into())),
            ValueRef::Blob(packed) => {
                let claimed = packed
                    .first_chunk::<4>()
                    .map(|n| u32::from_le_bytes(*n) as usize)
                    .ok_or_else(|| other("packed JSON shorter than its length".into()))?;
                if claimed > MAX_UNPACKED {
                    return Err(other(
                        format!("packed JSON claims {claimed} bytes, over {MAX_UNPACKED}").into(),
                    ));
                }
                let bytes =
                    lz4_flex::decompress_size_prepended(packed).map_err(|e| other(e.into()))?;
                String::from_utf8(bytes)
                    .map(StoredJson)
                    .map_err(|e| other(e.into()))
            }
            _ => Err(FromSqlError::InvalidType),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::Connection;

    fn read(conn: &Connection, value: &dyn rusqlite::ToSql) -> Result<String, rusqlite::Error> {
        conn.query_row("SELECT ?1", [value], |r| r.get::<_, StoredJson>(0))
            .map(|j| j.0)
    }

    #[test]
    fn packed_json_reads_back_and_is_smaller() {
        let conn = Connection::open_in_memory().unwrap();
        let json = r#"{"resourceType":"Bundle","entry":[{"fullUrl":"urn:uuid:1"},{"fullUrl":"urn:uuid:2"},{"fullUrl":"urn:uuid:3"}]}"#;
        let packed = pack(json);
        assert!(
            packed.len() < json.len(),
            "{} >= {}",
            packed.len(),
            json.len()
        );
        assert_eq!(read(&conn, &packed).unwrap(), json);
        assert_eq!(read(&conn, &pack("")).unwrap(), "");
    }

    #[test]
    fn text_written_before_packing_reads_as_it_is() {
        let conn = Connection::open_in_memory().unwrap();
        assert_eq!(read(&conn, &"{\"a\":1}").unwrap(), "{\"a\":1}");
    }

    #[test]
    fn corrupt_packed_values_are_errors_not_allocations() {
        let conn = Connection::open_in_memory().unwrap();
        let mut huge = u32::MAX.to_le_bytes().to_vec();
        huge.extend_from_slice(b"\x10a");
        let mut truncated = pack(&"x".repeat(1000));
        truncated.truncate(truncated.len() / 2);
        let not_utf8 = lz4_flex::compress_prepend_size(&[0xff, 0xfe]);
        for bad in [vec![1u8, 2], huge, truncated, not_utf8] {
            assert!(read(&conn, &bad).is_err(), "{bad:?}");
        }
        assert!(read(&conn, &rusqlite::types::Null).is_err());
    }
}
