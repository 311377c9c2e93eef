//! Reading the poller's JSON: the Bundle (or a bare ReferralRequest) is unwrapped, the
//! ReferralRequest found, and its members read with small helpers that resolve `#id`
//! references to contained resources and turn STU3 datatypes that R4 kept unchanged (Coding,
//! CodeableConcept, Identifier, Reference, Annotation, Period, Extension) into model types.
//! Errors name the FHIR path, never a value.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::ctx::Ctx;
use crate::error::{DecodeError, DecodeErrorCode};

/// A JSON object.
pub(crate) type Obj = Map<String, Value>;

/// The ReferralRequest and any further Bundle entries (Patient, Practitioner, Organization,
/// PractitionerRole) the poller added.
pub(crate) struct Input<'a> {
    /// The STU3 ReferralRequest.
    pub rr: &'a Obj,
    /// The other entries' resources, in order.
    pub others: Vec<&'a Obj>,
}

/// Parses the body: a JSON object, after an optional UTF-8 BOM.
pub(crate) fn parse(bytes: &[u8]) -> Result<Value, DecodeError> {
    let body = bytes
        .strip_prefix(b"\xEF\xBB\xBF".as_slice())
        .unwrap_or(bytes);
    // serde_json's message can quote a value from the body: report the position only.
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        DecodeError::new(
            DecodeErrorCode::Unparseable,
            None,
            format!("not JSON at line {} column {}", e.line(), e.column()),
        )
    })?;
    if !value.is_object() {
        return Err(DecodeError::new(
            DecodeErrorCode::Unparseable,
            None,
            "not a FHIR resource: the body is not a JSON object",
        ));
    }
    Ok(value)
}

/// Finds the ReferralRequest: the body itself, or the first Bundle entry that is one.
pub(crate) fn input(root: &Value) -> Result<Input<'_>, DecodeError> {
    let obj = root
        .as_object()
        .ok_or_else(|| DecodeError::new(DecodeErrorCode::Unparseable, None, "not a JSON object"))?;
    match str_at(obj, "resourceType") {
        Some("ReferralRequest") => Ok(Input {
            rr: obj,
            others: Vec::new(),
        }),
        Some("Bundle") => {
            let resources: Vec<&Obj> = obj
                .get("entry")
                .and_then(Value::as_array)
                .map(|entries| {
                    entries
                        .iter()
                        .filter_map(|e| e.get("resource").and_then(Value::as_object))
                        .collect()
                })
                .unwrap_or_default();
            let at = resources
                .iter()
                .position(|r| str_at(r, "resourceType") == Some("ReferralRequest"))
                .ok_or_else(|| {
                    DecodeError::missing_field(
                        "Bundle.entry.resource",
                        "the Bundle holds no ReferralRequest entry",
                    )
                })?;
            let rr = resources[at];
            let others = resources
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != at)
                .map(|(_, r)| *r)
                .collect();
            Ok(Input { rr, others })
        }
        Some(_) => Err(DecodeError::new(
            DecodeErrorCode::UnsupportedMessage,
            Some("resourceType"),
            "only an STU3 ReferralRequest, or a Bundle holding one, is handled",
        )),
        None => Err(DecodeError::missing_field(
            "resourceType",
            "the body has no resourceType",
        )),
    }
}

/// A non-blank string member, trimmed.
pub(crate) fn str_at<'a>(obj: &'a Obj, key: &str) -> Option<&'a str> {
    obj.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// An array member's items (empty when absent or not an array).
pub(crate) fn items<'a>(obj: &'a Obj, key: &str) -> &'a [Value] {
    obj.get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// The contained resource a local reference (`#id`) points at.
pub(crate) fn contained<'a>(rr: &'a Obj, reference: &str) -> Option<&'a Obj> {
    let id = reference.strip_prefix('#')?;
    items(rr, "contained")
        .iter()
        .filter_map(Value::as_object)
        .find(|c| str_at(c, "id") == Some(id))
}

/// A member read as a model type; absent → `None`; the wrong shape → `None` and a
/// `field-unparseable` warning naming `path`.
pub(crate) fn typed<T: DeserializeOwned>(
    ctx: &mut Ctx<'_>,
    value: Option<&Value>,
    path: &str,
) -> Option<T> {
    let value = value.filter(|v| !v.is_null())?;
    match T::deserialize(value) {
        Ok(t) => Some(t),
        Err(_) => {
            ctx.warn(
                "field-unparseable",
                path,
                "not a valid FHIR value of the expected type; left out",
            );
            None
        }
    }
}

/// Each item of an array member read as a model type (bad items warned about and skipped).
pub(crate) fn typed_items<T: DeserializeOwned>(
    ctx: &mut Ctx<'_>,
    obj: &Obj,
    key: &str,
    path: &str,
) -> Vec<T> {
    items(obj, key)
        .iter()
        .enumerate()
        .filter_map(|(i, v)| typed(ctx, Some(v), &format!("{path}[{i}]")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_referral_in_a_bundle_or_alone() {
        let bundle = serde_json::json!({"resourceType": "Bundle", "type": "collection", "entry": [
            {"resource": {"resourceType": "Patient"}},
            {"resource": {"resourceType": "ReferralRequest", "id": "1"}}]});
        let got = input(&bundle).unwrap();
        assert_eq!(str_at(got.rr, "id"), Some("1"));
        assert_eq!(got.others.len(), 1);
        let bare = serde_json::json!({"resourceType": "ReferralRequest"});
        assert!(input(&bare).unwrap().others.is_empty());
        let empty = serde_json::json!({"resourceType": "Bundle"});
        assert_eq!(
            input(&empty).err().unwrap().code,
            DecodeErrorCode::MissingField
        );
        let other = serde_json::json!({"resourceType": "Patient"});
        assert_eq!(
            input(&other).err().unwrap().code,
            DecodeErrorCode::UnsupportedMessage
        );
    }

    #[test]
    fn parse_errors_name_the_position_only() {
        let err = parse(b"{\"id\": SECRET}").unwrap_err();
        assert!(err.message.contains("line 1"), "{err}");
        assert!(!err.message.contains("SECRET"));
        assert!(parse(b"[1]").is_err());
        assert!(parse(b"\xEF\xBB\xBF{}").is_ok());
    }
}
