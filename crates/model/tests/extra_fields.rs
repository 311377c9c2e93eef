//! Property tests: unknown JSON members, anywhere we keep an `extra` map,
//! survive a round trip through the typed model unchanged.

use junction_model::fhir::{Patient, Resource};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-1.0e12f64..1.0e12).prop_map(Value::from),
        "[a-zA-Z0-9 \"\\\\é]{0,12}".prop_map(Value::from),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map("[a-z]{1,6}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Unknown members: `zz`-prefixed names cannot collide with FHIR names.
fn extras() -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::btree_map("zz[a-z]{1,6}", json_value(), 0..4)
        .prop_map(|m| m.into_iter().collect())
}

proptest! {
    #[test]
    fn unknown_members_round_trip(top in extras(), in_identifier in extras(), in_name in extras()) {
        let mut identifier = json!({"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9990000034"});
        identifier.as_object_mut().unwrap().extend(in_identifier);
        let mut name = json!({"family": "TESTPATIENT", "given": ["Alex"]});
        name.as_object_mut().unwrap().extend(in_name);
        let mut patient = json!({
            "resourceType": "Patient",
            "identifier": [identifier],
            "name": [name],
            "deceasedBoolean": false
        });
        patient.as_object_mut().unwrap().extend(top);

        let typed: Patient = serde_json::from_value(patient.clone()).unwrap();
        prop_assert_eq!(serde_json::to_value(&typed).unwrap(), patient.clone());
        let text = serde_json::to_string(&Resource::from(typed)).unwrap();
        let first_key = r#"{"resourceType":"Patient""#;
        prop_assert!(text.starts_with(first_key), "resourceType not first");
        let back: Value = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(back, patient);
    }
}
