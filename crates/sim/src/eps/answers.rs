//! The EPS simulator's success answers and the state they change: `$prepare`'s `Parameters`
//! (a simulated XML-DSig digest, the timestamp, `RS1`), a prescription order's
//! OperationOutcome (the prescription is recorded; a second one with the same id is
//! `DUPLICATE_PRESCRIPTION_ID`), and a cancellation's cancel-response Bundle (`R-0001`, or
//! `R-0006` / `R-0008` / `R-5000`).

use std::time::{SystemTime, UNIX_EPOCH};

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::checks::Reject;
use super::validate::Message;
use super::{Inner, Prescription};

/// The `$prepare` answer: the digest to sign (an XML-DSig `SignedInfo`, base64), when, how.
pub(super) fn prepared(msg: &Message) -> Value {
    let signed_info = format!(
        "<SignedInfo xmlns=\"http://www.w3.org/2000/09/xmldsig#\"><CanonicalizationMethod \
         Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/><SignatureMethod \
         Algorithm=\"http://www.w3.org/2000/09/xmldsig#rsa-sha1\"/><Reference><DigestMethod \
         Algorithm=\"http://www.w3.org/2000/09/xmldsig#sha1\"/><DigestValue>{}</DigestValue>\
         </Reference></SignedInfo>",
        base64(&fingerprint(msg.bundle.to_string().as_bytes()))
    );
    json!({
        "resourceType": "Parameters",
        "parameter": [
            { "name": "digest", "valueString": base64(signed_info.as_bytes()) },
            { "name": "timestamp", "valueString": now_rfc3339() },
            { "name": "algorithm", "valueString": "RS1" },
        ]
    })
}

pub(super) fn order(inner: &mut Inner, msg: &Message) -> Result<Value, Reject> {
    if inner.prescriptions.contains_key(&msg.prescription_id) {
        return Err(Reject::bad(
            "duplicate",
            "DUPLICATE_PRESCRIPTION_ID",
            "Duplicate prescription ID exists",
            "a prescription with this id already exists",
        ));
    }
    inner.prescriptions.insert(
        msg.prescription_id.clone(),
        Prescription {
            nhs_number: msg.nhs_number.clone(),
            items: msg.items.iter().map(|i| (i.clone(), false)).collect(),
        },
    );
    Ok(json!({
        "resourceType": "OperationOutcome",
        "issue": [{ "severity": "information", "code": "informational" }]
    }))
}

pub(super) fn cancel(inner: &mut Inner, msg: &Message) -> Result<Value, Reject> {
    let not_found = || {
        Reject::bad(
            "not-found",
            "R-0008",
            "Prescription/item not found",
            "no such prescription or line item",
        )
    };
    let prescription = inner
        .prescriptions
        .get_mut(&msg.prescription_id)
        .ok_or_else(not_found)?;
    if prescription.nhs_number != msg.nhs_number {
        return Err(Reject::bad(
            "processing",
            "R-5000",
            "Unable to process message",
            "Information missing or invalid - NHS number does not match the prescription",
        ));
    }
    let item = msg.items.first().ok_or_else(not_found)?;
    let cancelled = prescription.items.get_mut(item).ok_or_else(not_found)?;
    if *cancelled {
        return Err(Reject {
            status: StatusCode::BAD_REQUEST,
            body: cancel_response(
                msg,
                "R-0006",
                "Prescription/item had already been cancelled",
            ),
        });
    }
    *cancelled = true;
    Ok(cancel_response(
        msg,
        "R-0001",
        "Prescription/item was cancelled",
    ))
}

/// The cancel-response Bundle: the MedicationRequest with its status reason `code`.
pub fn cancel_response(msg: &Message, code: &str, display: &str) -> Value {
    let entries = msg.bundle["entry"].as_array().cloned().unwrap_or_default();
    let mut out = vec![
        json!({ "fullUrl": format!("urn:uuid:{}", uuid_like(&msg.bundle.to_string())), "resource": {
            "resourceType": "MessageHeader",
            "eventCoding": { "system": "https://fhir.nhs.uk/CodeSystem/message-event", "code": "prescription-order-response", "display": "Prescription Order Response" },
            "source": { "endpoint": "https://directory.spineservices.nhs.uk/STU3/Organization/YEA" },
            "response": { "identifier": msg.bundle["identifier"]["value"].clone(), "code": "ok" },
        }}),
    ];
    for entry in entries.into_iter().skip(1) {
        let mut entry = entry;
        if entry["resource"]["resourceType"] == "MedicationRequest" {
            let ext = json!({ "url": "https://fhir.nhs.uk/StructureDefinition/Extension-DM-PrescriptionTaskStatusReason", "extension": [
                { "url": "status", "valueCoding": { "system": "https://fhir.nhs.uk/CodeSystem/medicationrequest-status-history", "code": code, "display": display } },
                { "url": "statusDate", "valueDateTime": now_rfc3339() },
            ]});
            match entry["resource"]["extension"].as_array_mut() {
                Some(xs) => xs.push(ext),
                None => entry["resource"]["extension"] = json!([ext]),
            }
        }
        out.push(entry);
    }
    json!({ "resourceType": "Bundle", "identifier": { "system": "https://tools.ietf.org/html/rfc4122", "value": uuid_like(code) }, "type": "message", "entry": out })
}

/// A non-cryptographic 20-byte fingerprint (FNV-1a, five lanes) for the simulated digest.
pub fn fingerprint(bytes: &[u8]) -> Vec<u8> {
    (0u64..5)
        .flat_map(|lane| {
            let mut h = 0xcbf2_9ce4_8422_2325u64 ^ lane;
            for b in bytes {
                h = (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3);
            }
            (h as u32).to_be_bytes()
        })
        .collect()
}

fn uuid_like(seed: &str) -> String {
    let f = fingerprint(seed.as_bytes());
    let hex: String = f[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// Standard base64 with padding.
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
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

/// Now as `YYYY-MM-DDThh:mm:ss+00:00`.
pub fn now_rfc3339() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}+00:00",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings() {
        assert_eq!(base64(b"Man"), "TWFu");
        assert_eq!(base64(b"Ma"), "TWE=");
        assert_eq!(base64(b"M"), "TQ==");
        assert_eq!(now_rfc3339().len(), 25);
        assert_eq!(uuid_like("x").len(), 36);
    }
}
