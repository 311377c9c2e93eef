//! An event's JSON as the SQLite store keeps it: LZ4-compressed in `events.json`, packed on
//! the caller's task so the writer thread only copies the bytes.
//!
//! A UK Core bundle of an ADT message is ~5.7 KB of JSON and ~2.2 KB packed: each message's
//! event was three of the journal's 2 KiB pages and the biggest share of what every commit
//! wrote to the WAL and every checkpoint copied (a third of the WAL's frames in the
//! 16-connection bench), and of the file's size. Rows written before schema V8 hold the JSON
//! as TEXT and are read as they are; a value that is TEXT is always plain JSON.

use std::cell::RefCell;

use lz4_flex::block::{CompressTable, compress_into_with_table, get_maximum_output_size};
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ValueRef};

use crate::{RouteOutcome, StoreError};

/// The largest JSON packed or unpacked: SQLite's own limit on a TEXT value (`SQLITE_MAX_LENGTH`),
/// so nothing is stored packed that could not have been stored plain, and a corrupt value
/// claiming more is refused before anything is allocated for it.
const MAX_UNPACKED: usize = 1_000_000_000;

thread_local! {
    /// Each thread's LZ4 hash table and worst-case output buffer: allocating and zeroing both
    /// for every event took as long as compressing it.
    static PACKER: RefCell<(CompressTable, Vec<u8>)> = RefCell::default();
}

/// The JSON of `outcome`'s events packed for `events.json`, in the outcome's order.
pub(crate) struct PackedEvents(Vec<Vec<u8>>);

impl PackedEvents {
    /// Packs every event `outcome` records.
    pub(crate) fn of(outcome: &RouteOutcome) -> Result<Self, StoreError> {
        let events = match outcome {
            RouteOutcome::Routed { events, .. }
            | RouteOutcome::Filtered { events, .. }
            | RouteOutcome::Failed { events, .. } => events.as_slice(),
        };
        let packed = events
            .iter()
            .map(|e| pack(&e.json))
            .collect::<Result<_, _>>()?;
        Ok(PackedEvents(packed))
    }

    /// The packed JSON of each of the outcome's events, in its order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &[u8]> {
        self.0.iter().map(Vec::as_slice)
    }
}

/// `json` as stored: its length (u32, little endian) then its LZ4 block, the layout of
/// `lz4_flex::compress_prepend_size`.
fn pack(json: &str) -> Result<Vec<u8>, StoreError> {
    let input = json.as_bytes();
    let length = u32::try_from(input.len())
        .ok()
        .filter(|_| input.len() <= MAX_UNPACKED)
        .ok_or(StoreError::Invalid(
            "an event's JSON is over 1,000,000,000 bytes",
        ))?;
    PACKER.with_borrow_mut(|(table, scratch)| {
        let worst = get_maximum_output_size(input.len());
        if scratch.len() < worst {
            scratch.resize(worst, 0);
        }
        let n = compress_into_with_table(input, scratch, table)
            .map_err(|e| StoreError::Corrupt(format!("packing an event's JSON: {e}")))?;
        let mut packed = Vec::with_capacity(4 + n);
        packed.extend_from_slice(&length.to_le_bytes());
        packed.extend_from_slice(&scratch[..n]);
        Ok(packed)
    })
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
        let packed = pack(json).unwrap();
        assert!(
            packed.len() < json.len(),
            "{} >= {}",
            packed.len(),
            json.len()
        );
        assert_eq!(packed, lz4_flex::compress_prepend_size(json.as_bytes()));
        assert_eq!(read(&conn, &packed).unwrap(), json);
        // The thread's buffer, grown for a long value, leaves nothing behind in a short one.
        let long = "{\"a\":\"".to_owned() + &"0123456789".repeat(2000) + "\"}";
        assert_eq!(read(&conn, &pack(&long).unwrap()).unwrap(), long);
        assert_eq!(read(&conn, &pack("").unwrap()).unwrap(), "");
        assert_eq!(read(&conn, &pack("{}").unwrap()).unwrap(), "{}");
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
        let mut truncated = pack(&"x".repeat(1000)).unwrap();
        truncated.truncate(truncated.len() / 2);
        let not_utf8 = lz4_flex::compress_prepend_size(&[0xff, 0xfe]);
        for bad in [vec![1u8, 2], huge, truncated, not_utf8] {
            assert!(read(&conn, &bad).is_err(), "{bad:?}");
        }
        assert!(read(&conn, &rusqlite::types::Null).is_err());
    }
}
