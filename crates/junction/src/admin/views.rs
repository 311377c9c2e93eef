//! JSON shapes of the admin API's answers, built from the store's plain data.
//!
//! The line between metadata and patient data is drawn here: [`detail`] leaves out the raw
//! message, event JSON, patient keys, ordering keys and payloads unless `with_body` is set,
//! which only an audited operator request does. Times are RFC 3339 UTC strings with
//! milliseconds (`"2026-12-07T09:30:00.000Z"`); each has a `…_ms` twin in unix milliseconds
//! for scripts that sort or subtract.

use junction_store::{
    Attempt, DeliveryDetail, DuplicateAttempt, MessageDetail, MessageSummary, QueueDepth,
    StoredEvent,
};
use serde_json::{Map, Value, json};

/// Inserts `name` as an RFC 3339 UTC string and `name_ms` as unix milliseconds (both null
/// when there is no time).
fn put_time(obj: &mut Map<String, Value>, name: &str, ms: Option<i64>) {
    let text = ms.map(junction_hl7v2::ts::format_instant_millis);
    obj.insert(name.to_owned(), json!(text));
    obj.insert(format!("{name}_ms"), json!(ms));
}

/// `value` (an object) with the times in `times` added by [`put_time`].
fn with_times(mut value: Value, times: &[(&str, Option<i64>)]) -> Value {
    if let Some(obj) = value.as_object_mut() {
        for (name, ms) in times {
            put_time(obj, name, *ms);
        }
    }
    value
}

/// A message's metadata: no content, no patient identifiers.
pub fn summary(m: &MessageSummary) -> Value {
    let out = json!({
        "id": m.id.0,
        "source": m.source,
        "peer": m.peer,
        "content_type": m.content_type,
        "message_type": m.message_type,
        "control_id": m.control_id,
        "sender": m.sender,
        "state": m.state.as_str(),
        "reason": m.reason,
        "size": m.size,
        "duplicates": m.duplicates,
    });
    with_times(out, &[("received_at", Some(m.received_at))])
}

/// Everything about a message; patient data only when `with_body`.
pub fn detail(d: &MessageDetail, with_body: bool) -> Value {
    let mut out = json!({
        "message": summary(&d.summary),
        "duplicate_attempts": d.duplicates.iter().map(duplicate).collect::<Vec<_>>(),
        "events": d.events.iter().map(|e| event(e, with_body)).collect::<Vec<_>>(),
        "deliveries": d.deliveries.iter().map(|x| delivery(x, with_body)).collect::<Vec<_>>(),
    });
    if with_body {
        // Bytes that are not UTF-8 (e.g. 8859/1 HL7) are served exactly by `/raw` instead.
        let raw = match std::str::from_utf8(&d.raw) {
            Ok(text) => json!({ "raw": text }),
            Err(_) => json!({ "raw": null, "raw_note": "not UTF-8: fetch /raw for the bytes" }),
        };
        if let (Some(out), Value::Object(raw)) = (out.as_object_mut(), raw) {
            out.extend(raw);
        }
    }
    out
}

fn duplicate(d: &DuplicateAttempt) -> Value {
    with_times(json!({ "peer": d.peer }), &[("at", Some(d.at))])
}

fn event(e: &StoredEvent, with_body: bool) -> Value {
    let mut out = json!({ "id": e.id, "kind": e.kind });
    if with_body && let Some(obj) = out.as_object_mut() {
        obj.insert("patient_key".into(), json!(e.patient_key));
        // Stored JSON is shown as JSON; text that does not parse is shown as a string.
        let body = serde_json::from_str::<Value>(&e.json).unwrap_or_else(|_| json!(e.json));
        obj.insert("json".into(), body);
    }
    out
}

fn delivery(d: &DeliveryDetail, with_body: bool) -> Value {
    let out = json!({
        "id": d.id.0,
        "event_id": d.event_id,
        "destination": d.destination,
        "state": d.state.as_str(),
        "attempts": d.attempts,
        "lease_owner": d.lease_owner,
        "last_error": d.last_error,
        "history": d.history.iter().map(attempt).collect::<Vec<_>>(),
    });
    let mut out = with_times(
        out,
        &[
            ("next_attempt_at", Some(d.next_attempt_at)),
            ("lease_until", d.lease_until),
        ],
    );
    if with_body && let Some(obj) = out.as_object_mut() {
        obj.insert("ordering_key".into(), json!(d.ordering_key));
        obj.insert("payload".into(), json!(d.payload));
    }
    out
}

fn attempt(a: &Attempt) -> Value {
    with_times(
        json!({ "outcome": a.outcome, "error": a.error, "worker": a.worker }),
        &[("at", Some(a.at))],
    )
}

/// One destination's outbox depth.
pub fn queue(q: &QueueDepth) -> Value {
    json!({
        "destination": q.destination,
        "pending": q.pending,
        "leased": q.leased,
        "dead": q.dead,
        "oldest_pending_age_ms": q.oldest_pending_age_ms,
    })
}

/// The `text/plain` content type for a stored content type: its `charset` parameter when it
/// has one, else none (the bytes are served exactly as received).
pub fn raw_content_type(stored: &str) -> String {
    let charset = stored.split(';').skip(1).find_map(|param| {
        let (key, value) = param.split_once('=')?;
        let value = value.trim().trim_matches('"');
        (key.trim().eq_ignore_ascii_case("charset")
            && !value.is_empty()
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b)))
        .then_some(value)
    });
    match charset {
        Some(cs) => format!("text/plain; charset={cs}"),
        None => "text/plain".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charset_is_taken_from_the_stored_type() {
        assert_eq!(
            raw_content_type("x-application/hl7-v2+er7; charset=ISO-8859-1"),
            "text/plain; charset=ISO-8859-1"
        );
        assert_eq!(
            raw_content_type("application/fhir+json;Charset=\"utf-8\""),
            "text/plain; charset=utf-8"
        );
        assert_eq!(raw_content_type("x-application/hl7-v2+er7"), "text/plain");
        assert_eq!(raw_content_type("a/b; charset=bad\r\nx"), "text/plain");
    }
}
