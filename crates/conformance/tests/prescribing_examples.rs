//! The `prescribing` adapter against NHS England's published EPS examples
//! (`$JUNCTION_SPECS/eps/examples`): each HL7 v3 message decoded and compared with its FHIR twin.

use junction_adapters::{Adapter, AdapterOptions, Inbound, PrescribingAdapter};
use junction_model::{CodeTable, CodeTables, Mapping};
use serde_json::Value;

fn adapter() -> PrescribingAdapter {
    let tables: CodeTables = [CodeTable::new(
        "medication",
        [(
            "LOC123",
            Mapping {
                code: "36031011000001102".into(),
                display: Some("Oramorph 10mg/5ml oral solution".into()),
                system: None,
            },
        )],
        None,
    )]
    .into_iter()
    .collect();
    PrescribingAdapter::new(AdapterOptions {
        code_tables: tables,
        local_mrn_authority: Some("RXX".into()),
        ..Default::default()
    })
}

fn decode(bytes: &[u8]) -> Result<Vec<Value>, junction_adapters::DecodeError> {
    let inbound = Inbound {
        bytes,
        source: "golden",
        received_at: "2026-01-01T00:00:00Z",
        correlation_id: "t",
        content_type: None,
    };
    let events = adapter().decode(&inbound)?;
    Ok(events
        .iter()
        .map(|e| serde_json::to_value(e).unwrap())
        .collect())
}

/// The resource of `type_` in a FHIR bundle value (first one, or the one `pick` accepts).
fn resources<'a>(bundle: &'a Value, type_: &str) -> Vec<&'a Value> {
    bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["resource"])
        .filter(|r| r["resourceType"] == type_)
        .collect()
}

fn id_value<'a>(ids: &'a Value, system_suffix: &str) -> Option<&'a str> {
    ids.as_array()?.iter().find(|i| {
        i["system"]
            .as_str()
            .is_some_and(|s| s.ends_with(system_suffix))
    })?["value"]
        .as_str()
}

/// Each v3 example against its FHIR twin: the fields that matter for routing and dispensing.
#[test]
fn eps_v3_matches_the_fhir_examples() {
    let examples = junction_conformance::specs().join("eps/examples");
    let cases = [
        ("acute-controlled-drugs", "Send", true),
        ("acute-no-nominated", "Send", true),
        ("acute-nominated", "Send", true),
        ("acute-nurse-multiple-meds", "Send", false),
        ("homecare-acute", "Send", false),
        ("repeat-dispensing", "Send", true),
        ("acute-nominated", "Cancel", false),
    ];
    for (scenario, which, gmc) in cases {
        let xml = std::fs::read(
            examples
                .join(scenario)
                .join(format!("1-Convert-Response-{which}-200_OK.xml")),
        )
        .unwrap();
        let json: Value = serde_json::from_slice(
            &std::fs::read(
                examples
                    .join(scenario)
                    .join(format!("1-Process-Request-{which}-200_OK.json")),
            )
            .unwrap(),
        )
        .unwrap();
        let events = decode(&xml).unwrap_or_else(|e| panic!("{scenario} {which}: {e}"));
        let want_mrs = resources(&json, "MedicationRequest");
        assert_eq!(
            events.len(),
            want_mrs.len(),
            "{scenario} {which}: one event per line item"
        );
        let want_nhs = id_value(&resources(&json, "Patient")[0]["identifier"], "nhs-number");
        for (event, want) in events.iter().zip(&want_mrs) {
            let at = format!("{scenario} {which}");
            let got = resources(&event["bundle"], "MedicationRequest")[0];
            let patient = resources(&event["bundle"], "Patient")[0];
            assert_eq!(
                id_value(&patient["identifier"], "nhs-number"),
                want_nhs,
                "{at}: NHS number"
            );
            assert_eq!(
                event["patient_key"],
                format!("nhs:{}", want_nhs.unwrap()),
                "{at}"
            );
            assert_eq!(
                got["groupIdentifier"]["value"], want["groupIdentifier"]["value"],
                "{at}: prescription id"
            );
            assert_eq!(got["identifier"], want["identifier"], "{at}: line item id");
            assert_eq!(got["status"], want["status"], "{at}: status");
            if which == "Cancel" {
                assert_eq!(event["kind"], "prescription.cancelled");
                assert_eq!(
                    got["statusReason"]["coding"][0]["code"],
                    want["statusReason"]["coding"][0]["code"]
                );
                // The v3 cancel names the prescriber by SDS user id only.
                let pr = resources(&event["bundle"], "Practitioner")[0];
                let want_pr = resources(&json, "Practitioner")[0];
                assert_eq!(
                    id_value(&pr["identifier"], "sds-user-id"),
                    id_value(&want_pr["identifier"], "sds-user-id")
                );
                continue;
            }
            assert_eq!(event["kind"], "prescription.issued");
            assert_eq!(
                got["medicationCodeableConcept"], want["medicationCodeableConcept"],
                "{at}: medication"
            );
            assert_eq!(
                got["dosageInstruction"][0]["text"], want["dosageInstruction"][0]["text"],
                "{at}: dosage text"
            );
            let (gq, wq) = (
                &got["dispenseRequest"]["quantity"],
                &want["dispenseRequest"]["quantity"],
            );
            for k in ["value", "unit", "system", "code"] {
                assert_eq!(gq[k], wq[k], "{at}: quantity {k}");
            }
            assert_eq!(
                got["dispenseRequest"]["performer"]["identifier"],
                want["dispenseRequest"]["performer"]["identifier"],
                "{at}: nominated pharmacy"
            );
            assert_eq!(
                got["courseOfTherapyType"]["coding"][0]["code"],
                want["courseOfTherapyType"]["coding"][0]["code"],
                "{at}"
            );
            // Prescriber: the professional code's value always; its register where the v3
            // message lets us tell it (it carries no register, see `professional`).
            let pr = resources(&event["bundle"], "Practitioner")[0];
            let want_pr = resources(&json, "Practitioner")[0];
            let want_code = want_pr["identifier"]
                .as_array()
                .unwrap()
                .iter()
                .find(|i| !i["system"].as_str().unwrap().ends_with("sds-user-id"))
                .unwrap();
            let got_code = pr["identifier"]
                .as_array()
                .unwrap()
                .iter()
                .find(|i| i["value"] == want_code["value"]);
            assert!(got_code.is_some(), "{at}: prescriber code");
            if gmc {
                assert_eq!(
                    got_code.unwrap()["system"],
                    want_code["system"],
                    "{at}: prescriber register"
                );
            }
        }
    }
}
