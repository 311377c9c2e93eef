//! Route matching end to end: globs over kinds and message types, predicates over the event
//! JSON and bundle, all-errors-at-once validation, filter reasons, and recording the outcome
//! in a real store (routed with deliveries, or filtered) in one call.

use std::collections::BTreeSet;

use junction_model::Event;
use junction_router::{
    Decision, EventJson, Known, NO_EVENTS, RouteError, RouteSpec, Router, Wakers, route_outcome,
};
use junction_store::{DeliveryState, MessageStatus, RouteOutcome, Store};

use crate::support::{Db, T0, event, ingest, ingest_with};

fn spec(name: &str, dests: &[&str]) -> RouteSpec {
    RouteSpec {
        name: name.into(),
        destinations: dests.iter().map(|d| (*d).to_owned()).collect(),
        ..RouteSpec::default()
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// An inpatient admission whose bundle holds a Patient and an Encounter of class `IMP`.
fn admission() -> Event {
    let json = serde_json::json!({
        "id": "ev-adm", "kind": "patient.admitted", "source": "pas",
        "message_type": "ADT^A01", "recorded_at": "2024-03-01T09:31:00Z",
        "patient_key": "nhs:9990000018", "correlation_id": "MSG1",
        "warnings": [{"code": "nhs-number-invalid", "path": "PID-3", "message": "bad check digit"}],
        "bundle": {"resourceType": "Bundle", "type": "message", "entry": [
            {"resource": {"resourceType": "Patient", "gender": "female"}},
            {"resource": {"resourceType": "Encounter", "status": "in-progress",
                          "class": {"code": "IMP"}}}
        ]}
    });
    Event::from_json(&json.to_string()).unwrap()
}

fn destinations(d: &Decision) -> Vec<String> {
    match d {
        Decision::Deliver { destinations, .. } => destinations.clone(),
        Decision::Filtered { reason } => vec![format!("filtered: {reason}")],
    }
}

#[test]
fn globs_sources_and_message_types() {
    let router = Router::compile(
        &[
            RouteSpec {
                kinds: strings(&["patient.*"]),
                message_types: strings(&["ADT^A0*"]),
                ..spec("adt", &["fhir"])
            },
            RouteSpec {
                sources: strings(&["ris"]),
                ..spec("ris-only", &["pacs"])
            },
            RouteSpec {
                kinds: strings(&["order.placed", "patient.admitted"]),
                ..spec("orders", &["fhir", "eps"])
            },
        ],
        &Known::default(),
    )
    .unwrap();
    let mut a08 = event("e2", "patient.updated", Some("k"));
    a08.message_type = Some("ADT^A08".into());
    let mut a11 = event("e3", "patient.updated", Some("k"));
    a11.message_type = Some("ADT^A11".into());
    let mut untyped = event("e4", "patient.admitted", None);
    untyped.message_type = None;
    let events = [
        event("e1", "patient.admitted", Some("k")),
        a08,
        a11,
        untyped,
    ];
    let routing = router.route("pas", &events);
    let got: Vec<Vec<String>> = routing.decisions.iter().map(destinations).collect();
    assert_eq!(got[0], ["fhir", "eps"], "two routes, fhir once");
    assert_eq!(got[1], ["fhir"]);
    assert_eq!(
        got[2],
        ["filtered: no route matched event kind patient.updated from source pas"]
    );
    assert_eq!(
        got[3],
        ["fhir", "eps"],
        "no message type: only `orders` (any type)"
    );
    let Decision::Deliver { routes, .. } = &routing.decisions[0] else {
        panic!()
    };
    let names: Vec<&str> = routes.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["adt", "orders"]);
    let from_ris = router.route("ris", &[event("e5", "result.reported", None)]);
    assert_eq!(destinations(&from_ris.decisions[0]), ["pacs"]);
}

#[test]
fn predicates_over_event_and_bundle() {
    let when = |name: &str, expr: &str| RouteSpec {
        when: Some(expr.into()),
        ..spec(name, &[name])
    };
    let router = Router::compile(
        &[
            when("inpatient", r#"resource("Encounter").class.code == "IMP""#),
            when(
                "patient-first",
                r#"bundle.entry[0].resource.resourceType == "Patient""#,
            ),
            when("bad-nhs", r#"has_warning("nhs-number-invalid")"#),
            when(
                "adt",
                r#"event.message_type.startsWith("ADT^") && event.source in ["pas"]"#,
            ),
            when("outpatient", r#"resource("Encounter").class.code == "AMB""#),
            when("not-bad", r#"!has_warning("nhs-number-invalid")"#),
        ],
        &Known::default(),
    )
    .unwrap();
    let routing = router.route("pas", &[admission()]);
    assert_eq!(
        destinations(&routing.decisions[0]),
        ["inpatient", "patient-first", "bad-nhs", "adt"]
    );
    // A bare event has no Encounter: the path is null, not an error.
    let routing = router.route("pas", &[event("e", "patient.updated", None)]);
    assert_eq!(destinations(&routing.decisions[0]), ["adt", "not-bad"]);
}

#[test]
fn every_bad_route_is_reported_at_once() {
    let known = Known {
        destinations: Some(BTreeSet::from(["fhir".to_owned(), "mesh".to_owned()])),
        steps: Some(BTreeSet::from(["pds-check".to_owned()])),
        ..Known::default()
    };
    let specs = [
        RouteSpec {
            when: Some("event.kind = 'x'".into()),
            ..spec("a", &["fhir"])
        },
        spec("a", &["fhx"]),
        RouteSpec {
            kinds: strings(&["patient.*", ""]),
            steps: strings(&["pds-check", "spell-check"]),
            ..spec("", &[])
        },
        spec("fine", &["mesh"]),
    ];
    let errors = Router::compile(&specs, &known).unwrap_err();
    let got: Vec<String> = errors.iter().map(RouteError::to_string).collect();
    assert_eq!(
        got,
        [
            "route `a`: when: column 12: `=` is not an operator; use `==`",
            "route `a`: name: another route has this name",
            "route `a`: destinations[0]: unknown `fhx` (known: fhir, mesh)",
            "route `#2`: name: a route needs a name",
            "route `#2`: steps[1]: unknown `spell-check` (known: pds-check)",
            "route `#2`: destinations: a route needs at least one destination",
            "route `#2`: kinds[1]: empty pattern",
        ]
    );
}

#[test]
fn outcome_shapes() {
    let router = Router::compile(
        &[RouteSpec {
            kinds: strings(&["patient.*"]),
            ..spec("adt", &["fhir", "mesh"])
        }],
        &Known::default(),
    )
    .unwrap();
    let events = [
        event("e1", "patient.admitted", Some("nhs:1")),
        event("e2", "order.placed", None),
    ];
    let RouteOutcome::Routed {
        events: stored,
        deliveries,
    } = route_outcome(&router.route("pas", &events), &events, &EventJson)
    else {
        panic!("routed expected")
    };
    assert_eq!(stored.len(), 2, "filtered events are kept too");
    assert_eq!(stored[0].kind, "patient.admitted");
    assert_eq!(stored[0].json, events[0].to_json());
    let got: Vec<(&str, &str, Option<&str>)> = deliveries
        .iter()
        .map(|d| {
            (
                d.event_id.as_str(),
                d.destination.as_str(),
                d.ordering_key.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [("e1", "fhir", Some("nhs:1")), ("e1", "mesh", Some("nhs:1"))]
    );
    // The delivery carries the event's own JSON, stored once with the event.
    assert_eq!(deliveries[0].payload, None);

    let only_orders = [
        event("e3", "order.placed", None),
        event("e4", "order.placed", None),
    ];
    let outcome = route_outcome(&router.route("ris", &only_orders), &only_orders, &EventJson);
    let RouteOutcome::Filtered { reason, .. } = outcome else {
        panic!()
    };
    assert_eq!(
        reason,
        "no route matched event kind order.placed from source ris"
    );
    let RouteOutcome::Filtered { reason, .. } =
        route_outcome(&router.route("pas", &[]), &[], &EventJson)
    else {
        panic!()
    };
    assert_eq!(reason, NO_EVENTS);
}

#[tokio::test]
async fn one_call_records_routed_and_filtered_messages() {
    let db = Db::new();
    let wakers = Wakers::new();
    let wake = wakers.handle("fhir");
    let router = Router::compile(
        &[RouteSpec {
            kinds: strings(&["patient.*"]),
            ..spec("adt", &["fhir"])
        }],
        &Known::default(),
    )
    .unwrap();
    let events = [event("e1", "patient.admitted", Some("nhs:1"))];
    let routed = ingest(&db.store, &wakers, &router, &events, T0).await;
    // The wake was kept for the (not yet waiting) dispatcher.
    tokio::time::timeout(std::time::Duration::from_secs(5), wake.notified())
        .await
        .unwrap();
    let detail = db.store.get_message(routed).await.unwrap().unwrap();
    assert_eq!(detail.summary.state, MessageStatus::Routed);
    assert_eq!(detail.events.len(), 1);
    assert_eq!(detail.deliveries.len(), 1);
    assert_eq!(detail.deliveries[0].state, DeliveryState::Pending);
    assert_eq!(detail.deliveries[0].ordering_key.as_deref(), Some("nhs:1"));

    let filtered = ingest(
        &db.store,
        &wakers,
        &router,
        &[event("e2", "order.placed", None)],
        T0,
    )
    .await;
    let detail = db.store.get_message(filtered).await.unwrap().unwrap();
    assert_eq!(detail.summary.state, MessageStatus::Filtered);
    assert_eq!(
        detail.summary.reason.as_deref(),
        Some("no route matched event kind order.placed from source pas")
    );
    assert!(detail.deliveries.is_empty());
}

/// The status `route_message` returns (what the routing metric counts) is the one recorded,
/// `failed` too when every event decoded but a destination's payload could not be made.
#[tokio::test]
async fn routing_returns_the_status_it_recorded() {
    let db = Db::new();
    let wakers = Wakers::new();
    let route = |dests: &[&str]| Router::compile(&[spec("a", dests)], &Known::default()).unwrap();
    let cases = [
        (route(&["fhir"]), MessageStatus::Routed),
        (
            Router::compile(&[], &Known::default()).unwrap(),
            MessageStatus::Filtered,
        ),
        (route(&["fhir", "pas"]), MessageStatus::Failed),
    ];
    for (n, (router, expected)) in cases.into_iter().enumerate() {
        // A control id of its own each (the event id), so none is a door duplicate.
        let events = [event(&format!("e{n}"), "patient.admitted", Some("nhs:1"))];
        let (id, status) = ingest_with(&db.store, &wakers, &router, &NoHl7, &events, T0).await;
        assert_eq!(status, expected);
        let detail = db.store.get_message(id).await.unwrap().unwrap();
        assert_eq!(detail.summary.state, expected);
    }
}

#[test]
fn steps_run_for_every_selected_route_whatever_its_when() {
    let router = Router::compile(
        &[
            RouteSpec {
                kinds: strings(&["patient.*"]),
                when: Some(r#"event.annotations.pds.outcome == "verified""#.into()),
                steps: strings(&["pds_verify"]),
                ..spec("verified", &["fhir"])
            },
            RouteSpec {
                kinds: strings(&["patient.*"]),
                when: Some(r#"event.annotations.pds.outcome == "mismatch""#.into()),
                steps: strings(&["pds_verify", "other"]),
                ..spec("review", &["review"])
            },
            RouteSpec {
                kinds: strings(&["order.*"]),
                steps: strings(&["orders_only"]),
                ..spec("orders", &["ris"])
            },
        ],
        &Known::default(),
    )
    .unwrap();
    let mut adm = admission();
    assert_eq!(router.steps_for("pas", &adm), ["pds_verify", "other"]);
    assert!(
        router.may_need_steps("pas"),
        "routes from any source have steps"
    );
    // The step's annotation is what the routes branch on.
    adm.annotations.insert(
        "pds".into(),
        serde_json::json!({"outcome": "mismatch", "fields": ["family"]}),
    );
    assert_eq!(
        destinations(&router.route("pas", &[adm.clone()]).decisions[0]),
        ["review"]
    );
    adm.annotations["pds"]["outcome"] = "verified".into();
    assert_eq!(
        destinations(&router.route("pas", &[adm]).decisions[0]),
        ["fhir"]
    );
}

/// Payloads that `pas` cannot take (no HL7 v2 encoder), that cover `eps`'s second line and
/// that are text for every other destination.
struct NoHl7;

impl junction_router::Payloads for NoHl7 {
    fn payload(&self, e: &Event, _: &[Event], d: &str) -> Result<junction_router::Payload, String> {
        match d {
            "pas" => Err("no HL7 v2 encoder for event kind patient.admitted".into()),
            "eps" if e.id == "e2" => Ok(junction_router::Payload::Covered),
            _ => Ok(junction_router::Payload::Text("encoded".into())),
        }
    }
}

#[test]
fn a_payload_that_cannot_be_made_fails_the_message_naming_the_destination() {
    let events = [event("e1", "patient.admitted", Some("nhs:1"))];
    let one = Router::compile(&[spec("a", &["fhir"])], &Known::default()).unwrap();
    let RouteOutcome::Routed { deliveries, .. } =
        route_outcome(&one.route("x", &events), &events, &NoHl7)
    else {
        panic!("routed expected")
    };
    assert_eq!(deliveries[0].payload.as_deref(), Some("encoded"));
    // A covered event gets no delivery of its own.
    let two = [
        event("e1", "prescription.issued", Some("nhs:1")),
        event("e2", "prescription.issued", Some("nhs:1")),
    ];
    let eps = Router::compile(&[spec("rx", &["eps"])], &Known::default()).unwrap();
    let RouteOutcome::Routed { deliveries, .. } =
        route_outcome(&eps.route("x", &two), &two, &NoHl7)
    else {
        panic!("routed expected")
    };
    let ids: Vec<&str> = deliveries.iter().map(|d| d.event_id.as_str()).collect();
    assert_eq!(ids, ["e1"]);
    let both = Router::compile(&[spec("a", &["fhir", "pas"])], &Known::default()).unwrap();
    assert_eq!(
        route_outcome(&both.route("x", &events), &events, &NoHl7),
        RouteOutcome::failed(
            "destination `pas`: no HL7 v2 encoder for event kind patient.admitted"
        )
    );
}

#[test]
fn a_source_may_need_steps_only_through_its_own_routes() {
    let router = Router::compile(
        &[
            RouteSpec {
                sources: strings(&["pas"]),
                steps: strings(&["pds_verify"]),
                ..spec("verify", &["fhir"])
            },
            RouteSpec {
                sources: strings(&["ris"]),
                ..spec("orders", &["ris"])
            },
        ],
        &Known::default(),
    )
    .unwrap();
    assert!(router.may_need_steps("pas"));
    assert!(!router.may_need_steps("ris"));
    assert!(!router.may_need_steps("epma"), "no route takes from it");
}
