//! How the API describes itself and answers: the OpenAPI document against the served route
//! table, RFC 3339 times, route globs for `message_type`.

use std::collections::BTreeSet;

use super::*;

/// Every `$ref` in `v` names something that exists in `doc`.
fn assert_refs_resolve(doc: &Value, v: &Value) {
    match v {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref") {
                let pointer = r
                    .strip_prefix('#')
                    .unwrap_or_else(|| panic!("external {r}"));
                assert!(doc.pointer(pointer).is_some(), "{r} does not resolve");
            }
            map.values().for_each(|x| assert_refs_resolve(doc, x));
        }
        Value::Array(items) => items.iter().for_each(|x| assert_refs_resolve(doc, x)),
        _ => {}
    }
}

#[tokio::test]
async fn openapi_document_describes_exactly_the_served_routes() {
    let gw = Gateway::start().await;
    assert_eq!(gw.anon("GET /api/openapi.json").await.status, 401);
    let res = gw.viewer("GET /api/openapi.json").await;
    assert_eq!(res.status, 200);
    assert_eq!(res.headers[header::CONTENT_TYPE], "application/json");
    let doc = res.json();
    assert_eq!(doc["openapi"], "3.1.0");
    assert_refs_resolve(&doc, &doc);

    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            documented.insert(format!("{} {path}", method.to_uppercase()));
            assert!(op["responses"]["200"].is_object(), "{method} {path}");
            // Every `{param}` of the path is declared as a path parameter.
            let declared: BTreeSet<&str> = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["in"] == "path")
                .map(|p| p["name"].as_str().unwrap())
                .collect();
            let in_path: BTreeSet<&str> = path
                .split('/')
                .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}'))
                .collect();
            assert_eq!(declared, in_path, "{method} {path}");
        }
    }
    let served: BTreeSet<String> = admin::routes::<SqliteStore>()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(documented, served);

    // The table is what is served: each route answers (not 404/405) at its method and path.
    let id = seed(&gw.store, 1).await[0];
    for route in &served {
        let req = route
            .replace("{id}", &id.0.to_string())
            .replace("{name}", "fhir");
        let res = gw.admin(&req).await;
        assert_eq!(res.status, 200, "{req}: {}", res.text());
    }
    assert_eq!(gw.admin("PUT /api/queues").await.status, 405);
    assert_eq!(gw.admin("GET /api/nothing").await.status, 404);
}

#[tokio::test]
async fn times_are_rfc3339_utc_with_millisecond_twins() {
    let gw = Gateway::start().await;
    let id = seed(&gw.store, 1).await[0];
    let v = gw.viewer(format!("GET /api/messages/{id}")).await.json();
    let message = &v["message"];
    assert_eq!(message["received_at"], "2023-11-14T22:13:20.000Z");
    assert_eq!(message["received_at_ms"], T0);
    let delivery = &v["deliveries"][0];
    let due = delivery["next_attempt_at"].as_str().unwrap();
    let parsed =
        time::OffsetDateTime::parse(due, &time::format_description::well_known::Rfc3339).unwrap();
    assert_eq!(parsed.offset(), time::UtcOffset::UTC);
    let due_ms = i64::try_from(parsed.unix_timestamp_nanos() / 1_000_000).unwrap();
    assert_eq!(delivery["next_attempt_at_ms"], due_ms);
    assert_eq!(
        pick(delivery, &["lease_until", "lease_until_ms"]),
        json!({"lease_until": null, "lease_until_ms": null})
    );
    let list = gw.viewer("GET /api/messages").await.json();
    assert_eq!(
        list["messages"][0]["received_at"],
        "2023-11-14T22:13:20.000Z"
    );
}

#[tokio::test]
async fn message_type_takes_the_route_glob() {
    let gw = Gateway::start().await;
    seed(&gw.store, 7).await; // ADT^A01 and ADT^A08, alternating
    for (glob, n) in [
        ("ADT%5EA0*", 7),
        ("ADT%5EA01", 4),
        ("ADT%5EA?8", 3),
        ("*A08", 3),
        ("adt*", 0),
        ("ADT%5EA0", 0),
    ] {
        let (ids, _) = page(&gw, &format!("message_type={glob}")).await;
        assert_eq!(ids.len(), n, "{glob}");
    }
    let res = gw.viewer("GET /api/messages?message_type=ADT%20A01").await;
    assert_eq!(res.status, 400);
    assert!(
        res.json()["error"]
            .as_str()
            .unwrap()
            .contains("message_type")
    );
}
