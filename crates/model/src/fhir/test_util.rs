//! Test helpers: assert that FHIR JSON survives struct and `Resource` round trips.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::Resource;

/// Parses `json` as `T` and as `Resource`, asserts both serialise back to
/// the same JSON value with `"resourceType"` first, and returns the `T`.
pub(crate) fn round_trip<T: Serialize + DeserializeOwned>(json: &str) -> T {
    let input: Value = serde_json::from_str(json).expect("test JSON is valid");
    let typed: T = serde_json::from_str(json).expect("parses as the typed resource");
    assert_same(&input, &typed);
    let res: Resource = serde_json::from_str(json).expect("parses as Resource");
    assert_same(&input, &res);
    typed
}

/// Asserts `value` serialises to `expected` (as JSON values) and that its
/// text starts with `"resourceType"`.
pub(crate) fn assert_same<T: Serialize>(expected: &Value, value: &T) {
    let text = serde_json::to_string(value).expect("serialises");
    assert!(
        text.starts_with("{\"resourceType\":"),
        "resourceType not first: {text}"
    );
    let out: Value = serde_json::from_str(&text).expect("output is JSON");
    if &out != expected {
        panic!(
            "round trip changed the JSON\n--- in\n{}\n--- out\n{}",
            serde_json::to_string_pretty(expected).unwrap_or_default(),
            serde_json::to_string_pretty(&out).unwrap_or_default()
        );
    }
}
