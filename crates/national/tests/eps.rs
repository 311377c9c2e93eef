//! The EPS destination end to end over real HTTP on loopback: events from the `prescribing`
//! adapter's goldens are built into EPS messages (compared with the EPS examples), sent by
//! `EpsSink` through the platform client to `junction_sim::eps`, and the simulator's answers
//! become delivery outcomes.

use std::path::Path;
use std::time::Duration;

use junction_connectors::{OutboundDelivery, SendOutcome, Sink};
use junction_model::Event;
use junction_national::eps::{
    self, EpsBuildError, EpsConfig, EpsEnvironment, EpsOptions, EpsSink, build_cancellation,
    build_prescription_order, build_prescription_order_lines,
};
use junction_national::platform::ServiceConfig;
use junction_sim::eps::Operation;
use junction_sim::eps::{BASE, EpsSim, EpsSimOptions, Failure};
use serde_json::{Value, json};

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

fn resources<'a>(bundle: &'a Value, rtype: &str) -> Vec<&'a Value> {
    bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["resource"])
        .filter(|r| r["resourceType"] == rtype)
        .collect()
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
fn every_eps_golden_builds_and_lines_join_into_one_prescription() {
    for name in [
        "eps_acute_controlled_drugs_send",
        "eps_acute_no_nominated_send",
        "eps_acute_nominated_send",
        "eps_acute_nurse_multiple_meds_send",
        "eps_repeat_dispensing_send",
        "eps_unusual_structure",
    ] {
        for event in golden(&format!("hl7v3/{name}.json")) {
            let b =
                build_prescription_order(&event, &opts()).unwrap_or_else(|e| panic!("{name}: {e}"));
            references_resolve(&b);
        }
    }
    // The adapter reads this prescriber's code as a GMP number, which EPS refuses.
    let homecare = one("hl7v3/eps_homecare_acute_send.json");
    let err = build_prescription_order(&homecare, &opts()).unwrap_err();
    assert!(
        err.to_string().contains("exactly one professional code"),
        "{err}"
    );
    let lines = golden("hl7v3/eps_acute_nurse_multiple_meds_send.json");
    let b = build_prescription_order_lines(&lines, &opts()).unwrap();
    assert_eq!(resources(&b, "MedicationRequest").len(), 4);
    assert_eq!(resources(&b, "Patient").len(), 1);
    assert_eq!(
        b["entry"][0]["resource"]["focus"].as_array().unwrap().len(),
        5
    );
    references_resolve(&b);
}

#[test]
fn missing_fields_are_named_without_values() {
    let event = one("hl7v2/rde_o11_pharmacy.json");
    let err = build_prescription_order(&event, &opts()).unwrap_err();
    assert!(
        matches!(err, EpsBuildError::Missing(f) if f.contains("DM-PrescriptionType")),
        "{err}"
    );
    let with_type = EpsOptions {
        prescription_type: Some("1001".into()),
        ..opts()
    };
    let err = build_prescription_order(&event, &with_type)
        .unwrap_err()
        .to_string();
    assert!(err.contains("prescription-order-item-number"), "{err}");
    for secret in ["9991833137", "EASTWOOD", "1944-07-04", "EP25-556677"] {
        assert!(!err.contains(secret));
    }
    let cancel = one("hl7v2/rde_o11_cancel.json");
    assert!(matches!(
        build_prescription_order(&cancel, &opts()),
        Err(EpsBuildError::WrongKind { .. })
    ));
}

struct Rig {
    sim: EpsSim,
    base_url: String,
}

async fn rig(sim_opts: EpsSimOptions) -> Rig {
    let sim = EpsSim::new(sim_opts);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(sim.clone().serve(listener));
    Rig {
        sim,
        base_url: format!("http://{addr}{BASE}"),
    }
}

impl Rig {
    fn sink(&self, environment: EpsEnvironment, allow_unsigned: bool) -> EpsSink {
        let config = EpsConfig {
            environment,
            allow_unsigned,
            session_urid: None,
            options: opts(),
        };
        EpsSink::new(ServiceConfig::new("eps", self.base_url.clone()), config).unwrap()
    }

    fn sandbox(&self) -> EpsSink {
        self.sink(EpsEnvironment::Sandbox, true)
    }
}

fn delivery(id: i64, event: &Event) -> OutboundDelivery {
    OutboundDelivery {
        id,
        destination: "eps".into(),
        payload: event.to_json(),
        message_id: 1000 + id,
    }
}

/// The event with the prescriber's signature, as the EPS examples carry it.
fn signed(event: &Event) -> Event {
    let mut v = serde_json::to_value(event).unwrap();
    let bundle = &v["bundle"];
    let line = resources(bundle, "MedicationRequest")[0].clone();
    let entry = json!({ "fullUrl": "urn:uuid:28828c55-8fa7-42d7-916f-fcf076e0c10e", "resource": {
        "resourceType": "Provenance", "id": "28828c55-8fa7-42d7-916f-fcf076e0c10e",
        "target": [{ "reference": format!("urn:uuid:{}", line["id"].as_str().unwrap()) }],
        "recorded": "2022-02-28T14:57:09+00:00",
        "agent": [{ "who": line["requester"].clone() }],
        "signature": [{ "type": [{ "system": "urn:iso-astm:E1762-95:2013", "code": "1.2.840.10065.1.12.1.1" }],
            "when": "2022-02-28T14:57:09+00:00", "who": line["requester"].clone(), "data": "PFNpZ25hdHVyZS8+" }],
    }});
    v["bundle"]["entry"].as_array_mut().unwrap().push(entry);
    serde_json::from_value(v).unwrap()
}

#[tokio::test]
async fn issued_goes_through_prepare_then_process_message() {
    let rig = rig(EpsSimOptions::default()).await;
    let sink = rig.sandbox();
    let event = one("hl7v3/eps_acute_nominated_send.json");
    assert_eq!(
        sink.send(&delivery(1, &event)).await,
        SendOutcome::Delivered
    );
    let seen = rig.sim.accepted();
    assert_eq!(
        seen.iter().map(|a| a.operation).collect::<Vec<_>>(),
        [Operation::Prepare, Operation::Order]
    );
    let stable = sink.client().delivery_request_id(1);
    assert_eq!(seen[1].request_id, stable);
    assert_ne!(
        seen[0].request_id, stable,
        "each HTTP request has its own X-Request-ID"
    );
    assert_eq!(seen[1].correlation_id.as_deref(), Some("1001"));
    assert_eq!(seen[1].session_urid, "601986680555");
    assert_eq!(
        seen[1].bundle,
        build_prescription_order(&event, &opts()).unwrap()
    );

    for (n, name) in [
        "eps_acute_no_nominated_send",
        "eps_repeat_dispensing_send",
        "eps_acute_controlled_drugs_send",
    ]
    .iter()
    .enumerate()
    {
        let event = one(&format!("hl7v3/{name}.json"));
        assert_eq!(
            sink.send(&delivery(10 + n as i64, &event)).await,
            SendOutcome::Delivered,
            "{name}"
        );
    }
    // The same prescription again under another delivery: EPS refuses the duplicate id.
    match sink.send(&delivery(2, &event)).await {
        SendOutcome::Permanent { error } => {
            assert!(error.contains("DUPLICATE_PRESCRIPTION_ID"), "{error}")
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn cancel_after_issue_and_twice() {
    let rig = rig(EpsSimOptions::default()).await;
    let sink = rig.sandbox();
    let cancel = one("hl7v3/eps_acute_nominated_cancel.json");
    match sink.send(&delivery(5, &cancel)).await {
        SendOutcome::Permanent { error } => assert!(error.contains("R-0008"), "{error}"),
        other => panic!("cancel of an unknown prescription: {other:?}"),
    }
    assert_eq!(
        sink.send(&delivery(1, &one("hl7v3/eps_acute_nominated_send.json")))
            .await,
        SendOutcome::Delivered
    );
    assert_eq!(
        sink.send(&delivery(2, &cancel)).await,
        SendOutcome::Delivered
    );
    let last = rig.sim.accepted().pop().unwrap();
    assert_eq!(last.operation, Operation::Cancel);
    assert_eq!(
        resources(&last.bundle, "MedicationRequest")[0]["status"],
        "cancelled"
    );
    match sink.send(&delivery(3, &cancel)).await {
        SendOutcome::Permanent { error } => assert!(
            error.contains("R-0006: Prescription/item had already been cancelled"),
            "{error}"
        ),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn signatures_are_relayed_and_unsigned_is_refused_for_live() {
    let rig = rig(EpsSimOptions {
        require_auth: false,
        require_signature: true,
    })
    .await;
    let live = rig.sink(EpsEnvironment::Live, false);
    let event = one("hl7v3/eps_acute_nominated_send.json");
    assert_eq!(
        live.send(&delivery(1, &event)).await,
        SendOutcome::permanent(eps::sink::UNSIGNED_REFUSED)
    );
    assert!(rig.sim.accepted().is_empty(), "nothing was sent");

    assert_eq!(
        live.send(&delivery(2, &signed(&event))).await,
        SendOutcome::Delivered
    );
    let seen = rig.sim.accepted();
    assert!(
        resources(&seen[0].bundle, "Provenance").is_empty(),
        "$prepare has no Provenance"
    );
    let prov = &resources(&seen[1].bundle, "Provenance")[0];
    assert_eq!(prov["signature"][0]["data"], "PFNpZ25hdHVyZS8+");
    references_resolve(&seen[1].bundle);

    // A sandbox-configured sink sends unsigned; this simulator wants a signature: its 400
    // becomes a permanent failure with the EPS code.
    let sandbox = rig.sandbox();
    let other = one("hl7v3/eps_acute_no_nominated_send.json");
    match sandbox.send(&delivery(3, &other)).await {
        SendOutcome::Permanent { error } => {
            assert!(
                error.starts_with("EPS $process-message: HTTP 400: MISSING_DIGITAL_SIGNATURE"),
                "{error}"
            )
        }
        other => panic!("{other:?}"),
    }
    let refused = EpsConfig {
        environment: EpsEnvironment::Live,
        allow_unsigned: true,
        ..EpsConfig::default()
    };
    assert!(EpsSink::new(ServiceConfig::new("eps", rig.base_url.clone()), refused).is_err());
    let remote = EpsConfig {
        environment: EpsEnvironment::Sandbox,
        allow_unsigned: true,
        ..EpsConfig::default()
    };
    assert!(
        eps::check_config(
            &remote,
            "https://int.api.service.nhs.uk/electronic-prescriptions/FHIR/R4"
        )
        .is_err()
    );
}

#[tokio::test]
async fn server_errors_and_throttling_retry_and_a_retry_is_recorded_once() {
    let rig = rig(EpsSimOptions::default()).await;
    let sink = rig.sandbox();
    let event = one("hl7v3/eps_acute_nominated_send.json");
    let d = delivery(7, &event);

    rig.sim.fail_next(Failure::Status(500));
    match sink.send(&d).await {
        SendOutcome::Retry { error, retry_after } => {
            assert!(error.starts_with("EPS $prepare: HTTP 500"), "{error}");
            assert_eq!(retry_after, None);
        }
        other => panic!("{other:?}"),
    }
    rig.sim.fail_next(Failure::TooManyRequests {
        retry_after_secs: 7,
    });
    match sink.send(&d).await {
        SendOutcome::Retry { retry_after, .. } => {
            assert_eq!(retry_after, Some(Duration::from_secs(7)))
        }
        other => panic!("{other:?}"),
    }
    assert!(rig.sim.accepted().is_empty());

    assert_eq!(sink.send(&d).await, SendOutcome::Delivered);
    // The answer was lost, say: the dispatcher sends the same delivery again.
    assert_eq!(sink.send(&d).await, SendOutcome::Delivered);
    assert_eq!(
        rig.sim.accepted().len(),
        2,
        "one $prepare and one order, not two"
    );
    assert_eq!(rig.sim.replays(), 2);
}

#[tokio::test]
async fn auth_and_wrong_events_are_permanent() {
    let rig = rig(EpsSimOptions {
        require_auth: true,
        require_signature: false,
    })
    .await;
    let sink = rig.sandbox();
    match sink
        .send(&delivery(1, &one("hl7v3/eps_acute_nominated_send.json")))
        .await
    {
        SendOutcome::Permanent { error } => {
            assert!(error.contains("HTTP 401: ACCESS_DENIED"), "{error}")
        }
        other => panic!("{other:?}"),
    }
    let dispensed = one("hl7v2/rds_o13_dispense.json");
    assert!(matches!(
        sink.send(&delivery(2, &dispensed)).await,
        SendOutcome::Permanent { .. }
    ));
    let bad = OutboundDelivery {
        payload: "{not json".into(),
        ..delivery(3, &dispensed)
    };
    assert!(matches!(
        sink.send(&bad).await,
        SendOutcome::Permanent { .. }
    ));
    assert!(rig.sim.accepted().is_empty());
}

/// The simulator's own checks, with hand-made requests through the platform client.
#[tokio::test]
async fn simulator_checks_headers_and_message_strictly() {
    use bytes::Bytes;
    use junction_national::platform::{ApiRequest, ServiceClient};

    let rig = rig(EpsSimOptions {
        require_auth: true,
        require_signature: false,
    })
    .await;
    let client = ServiceClient::new(ServiceConfig::new("eps", rig.base_url.clone())).unwrap();
    let bundle =
        build_prescription_order(&one("hl7v3/eps_acute_nominated_send.json"), &opts()).unwrap();
    let post = |path: &str, body: &Value, id: &str| {
        let mut req = ApiRequest::post(
            path.to_string(),
            "application/fhir+json",
            Bytes::from(body.to_string()),
        )
        .header("authorization", "Bearer token")
        .header("nhsd-session-urid", "601986680555");
        req.request_id = id.to_string();
        req
    };
    let code = |res: &junction_national::platform::ApiResponse| {
        (
            res.status.as_u16(),
            res.json().unwrap()["issue"][0]["details"]["coding"][0]["code"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        )
    };
    let id = "60e0b220-8136-4ca5-ae46-1d97ef59d068";

    let mut no_bearer = post("/$prepare", &bundle, id);
    no_bearer.headers.retain(|(n, _)| n != "authorization");
    assert_eq!(
        code(&client.send(&no_bearer).await.unwrap()),
        (401, "ACCESS_DENIED".into())
    );
    let empty_bearer = no_bearer.clone().header("authorization", "Bearer ");
    assert_eq!(
        client.send(&empty_bearer).await.unwrap().status.as_u16(),
        401
    );
    assert_eq!(
        code(
            &client
                .send(&post("/$prepare", &bundle, "abc"))
                .await
                .unwrap()
        ),
        (400, "INVALID_VALUE".into())
    );
    let mut no_urid = post("/$prepare", &bundle, id);
    no_urid.headers.retain(|(n, _)| n != "nhsd-session-urid");
    assert_eq!(
        code(&client.send(&no_urid).await.unwrap()),
        (400, "MISSING_VALUE".into())
    );
    let mut text = post("/$prepare", &bundle, id);
    text.body = Some(("text/plain", Bytes::from(bundle.to_string())));
    assert_eq!(client.send(&text).await.unwrap().status.as_u16(), 415);

    let mut bad_nhs = bundle.clone();
    for e in bad_nhs["entry"].as_array_mut().unwrap() {
        if e["resource"]["resourceType"] == "Patient" {
            e["resource"]["identifier"][0]["value"] = json!("9000000001");
        }
    }
    assert_eq!(
        code(
            &client
                .send(&post("/$process-message", &bad_nhs, id))
                .await
                .unwrap()
        ),
        (400, "FAILURE_TO_PROCESS_MESSAGE".into())
    );
    let mut header_second = bundle.clone();
    header_second["entry"].as_array_mut().unwrap().swap(0, 1);
    assert_eq!(
        client
            .send(&post("/$process-message", &header_second, id))
            .await
            .unwrap()
            .status
            .as_u16(),
        400
    );
    let mut dispense = bundle.clone();
    dispense["entry"][0]["resource"]["eventCoding"]["code"] = json!("dispense-notification");
    assert_eq!(
        client
            .send(&post("/$prepare", &dispense, id))
            .await
            .unwrap()
            .status
            .as_u16(),
        400
    );
    let mut no_reason =
        build_cancellation(&one("hl7v3/eps_acute_nominated_cancel.json"), &opts()).unwrap();
    no_reason["entry"][1]["resource"]
        .as_object_mut()
        .unwrap()
        .remove("statusReason");
    let res = client
        .send(&post("/$process-message", &no_reason, id))
        .await
        .unwrap();
    assert!(String::from_utf8_lossy(&res.body).contains("statusReason"));
    assert!(
        rig.sim.accepted().is_empty(),
        "nothing refused was recorded"
    );

    // A failed request may be resent with the same id and is then processed.
    let res = client
        .send(&post("/$process-message", &bundle, id))
        .await
        .unwrap();
    assert_eq!(res.status.as_u16(), 200);
    assert_eq!(res.headers["x-request-id"], id);
    assert_eq!(rig.sim.accepted().len(), 1);
}
