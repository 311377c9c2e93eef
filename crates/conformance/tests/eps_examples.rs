//! EPS messages built from the `prescribing` goldens, compared with NHS England's published EPS
//! examples (`$JUNCTION_SPECS/eps/examples`): structure, resource order and codes.

use std::path::Path;

use junction_model::Event;
use junction_national::eps::{EpsOptions, build_cancellation, build_prescription_order};
use serde_json::Value;

fn golden(name: &str) -> Vec<Event> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../adapters/tests/golden/prescribing")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    serde_json::from_str(&text).unwrap()
}

fn one(name: &str) -> Event {
    golden(name).remove(0)
}

/// One published EPS example bundle.
fn example(scenario: &str, file: &str) -> Value {
    let path = junction_conformance::specs()
        .join("eps/examples")
        .join(scenario)
        .join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    serde_json::from_str(&text).unwrap()
}

fn resources<'a>(bundle: &'a Value, rtype: &str) -> Vec<&'a Value> {
    bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["resource"])
        .filter(|r| r["resourceType"] == rtype)
        .collect()
}

fn types(bundle: &Value) -> Vec<String> {
    let mut t: Vec<String> = bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["resource"]["resourceType"].as_str().unwrap().to_string())
        .collect();
    t.dedup();
    t
}

/// Every `urn:uuid:` reference in the bundle names one of its entries.
fn references_resolve(bundle: &Value) {
    let urls: Vec<&str> = bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["fullUrl"].as_str().unwrap())
        .collect();
    fn walk<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(r)) = m.get("reference") {
                    out.push(r);
                }
                m.values().for_each(|x| walk(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    let mut refs = Vec::new();
    walk(bundle, &mut refs);
    for r in refs {
        assert!(urls.contains(&r), "dangling reference {r}");
    }
}

fn opts() -> EpsOptions {
    EpsOptions {
        sender_ods: Some("RBA".into()),
        ..EpsOptions::default()
    }
}
#[test]
fn order_has_the_examples_structure_and_codes() {
    let want = example("acute-nominated", "1-Process-Request-Send-200_OK.json");
    let got =
        build_prescription_order(&one("hl7v3/eps_acute_nominated_send.json"), &opts()).unwrap();
    assert_eq!(got["resourceType"], "Bundle");
    assert_eq!(got["type"], "message");
    assert_eq!(got["identifier"]["system"], want["identifier"]["system"]);
    assert_eq!(got["id"], got["entry"][0]["resource"]["id"]);
    let want_types: Vec<String> = types(&want)
        .into_iter()
        .filter(|t| t != "Provenance")
        .collect();
    assert_eq!(types(&got), want_types);
    references_resolve(&got);

    let (g, w) = (
        &resources(&got, "MessageHeader")[0],
        &resources(&want, "MessageHeader")[0],
    );
    assert_eq!(g["eventCoding"], w["eventCoding"]);
    assert_eq!(g["sender"]["identifier"], w["sender"]["identifier"]);
    assert_eq!(g["source"], w["source"]);
    assert_eq!(g["destination"], w["destination"]);
    assert_eq!(g["focus"].as_array().unwrap().len(), 2);

    let (g, w) = (
        &resources(&got, "MedicationRequest")[0],
        &resources(&want, "MedicationRequest")[0],
    );
    for field in [
        "extension",
        "identifier",
        "status",
        "intent",
        "category",
        "groupIdentifier",
        "courseOfTherapyType",
        "substitution",
    ] {
        assert_eq!(g[field], w[field], "MedicationRequest.{field}");
    }
    assert_eq!(
        g["medicationCodeableConcept"],
        w["medicationCodeableConcept"]
    );
    assert_eq!(
        g["dosageInstruction"][0]["text"],
        w["dosageInstruction"][0]["text"]
    );
    assert_eq!(
        g["dispenseRequest"]["extension"],
        w["dispenseRequest"]["extension"]
    );
    assert_eq!(
        g["dispenseRequest"]["quantity"],
        w["dispenseRequest"]["quantity"]
    );
    assert_eq!(
        g["dispenseRequest"]["performer"],
        w["dispenseRequest"]["performer"]
    );
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    for key in keys(g) {
        assert!(
            key == "authoredOn" || w.get(&key).is_some(),
            "unexpected MedicationRequest.{key}"
        );
    }

    let (g, w) = (
        &resources(&got, "Patient")[0],
        &resources(&want, "Patient")[0],
    );
    assert_eq!(g["identifier"], w["identifier"]);
    assert_eq!(g["gender"], w["gender"]);
    let role = &resources(&got, "PractitionerRole")[0];
    assert_eq!(
        role["identifier"],
        resources(&want, "PractitionerRole")[0]["identifier"]
    );
    let org = &resources(&got, "Organization")[0];
    let want_org = &resources(&want, "Organization")[0];
    assert_eq!(org["identifier"], want_org["identifier"]);
    assert_eq!(
        org["partOf"]["identifier"],
        want_org["partOf"]["identifier"]
    );
    assert_eq!(
        resources(&got, "Practitioner")[0]["identifier"][0]["system"],
        "https://fhir.hl7.org.uk/Id/gmc-number"
    );

    // Deterministic: a retry builds the same bytes.
    let again =
        build_prescription_order(&one("hl7v3/eps_acute_nominated_send.json"), &opts()).unwrap();
    assert_eq!(got, again);
}

#[test]
fn cancellation_has_the_examples_structure_and_codes() {
    let want = example("acute-nominated", "1-Process-Request-Cancel-200_OK.json");
    let got = build_cancellation(&one("hl7v3/eps_acute_nominated_cancel.json"), &opts()).unwrap();
    references_resolve(&got);
    let (g, w) = (
        &resources(&got, "MessageHeader")[0],
        &resources(&want, "MessageHeader")[0],
    );
    assert_eq!(g["eventCoding"], w["eventCoding"]);
    assert_eq!(g["sender"]["identifier"], w["sender"]["identifier"]);
    let (g, w) = (
        &resources(&got, "MedicationRequest")[0],
        &resources(&want, "MedicationRequest")[0],
    );
    for field in [
        "identifier",
        "status",
        "intent",
        "category",
        "groupIdentifier",
        "statusReason",
        "substitution",
    ] {
        assert_eq!(g[field], w[field], "MedicationRequest.{field}");
    }
    assert_eq!(
        resources(&got, "Patient")[0]["identifier"],
        resources(&want, "Patient")[0]["identifier"]
    );
    assert_eq!(resources(&got, "MedicationRequest").len(), 1);
}
