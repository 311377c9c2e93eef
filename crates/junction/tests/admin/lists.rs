//! What the API answers: list filters and pages, message detail, queues, metrics, readiness.

use super::*;

#[tokio::test]
async fn list_filters_and_keyset_pagination() {
    let gw = Gateway::start().await;
    let ids: Vec<i64> = seed(&gw.store, 7).await.iter().map(|m| m.0).collect();
    let newest_first: Vec<i64> = ids.iter().rev().copied().collect();

    // Pages of 3 cover everything once, newest first; the last page has no `next`.
    let (p1, next1) = page(&gw, "limit=3").await;
    let (p2, next2) = page(&gw, &format!("limit=3&before={}", next1.unwrap())).await;
    let (p3, next3) = page(&gw, &format!("limit=3&before={}", next2.unwrap())).await;
    assert_eq!((p3.len(), next3), (1, None));
    assert_eq!([p1, p2, p3].concat(), newest_first);
    assert_eq!(
        page(&gw, "limit=7").await.1,
        None,
        "an exact fit has no next page"
    );

    let window = format!("from={}&to={}", T0 + 2000, T0 + 4000);
    for (query, want) in [
        ("source=pas", vec![6, 4, 2, 0]),
        ("message_type=ADT%5EA08", vec![5, 3, 1]),
        ("control_id=CTRL4", vec![4]),
        ("state=routed", vec![6, 5, 4, 3, 2, 1, 0]),
        ("state=failed", vec![]),
        (&window, vec![3, 2]),
        ("from=2023-11-14T22:13:25Z", vec![6, 5]),
        ("source=ris&limit=1&before=6", vec![3]),
        (&format!("patient_key={PATIENT}"), vec![6, 3, 0]),
    ] {
        let want: Vec<i64> = want.into_iter().map(|i| ids[i]).collect();
        assert_eq!(page(&gw, query).await.0, want, "{query}");
    }
    // A search by patient is answerable, without the key being written down.
    let audit = gw.audit();
    assert_eq!(
        (audit.len(), audit[0]["action"].as_str()),
        (1, Some("messages.search_by_patient"))
    );

    let bad = "state=lost limit=0 limit=100000 before=abc from=yesterday colour=red";
    for query in bad.split(' ') {
        let res = gw.viewer(format!("GET /api/messages?{query}")).await;
        assert_eq!(res.status, 400, "{query}");
        assert!(res.json()["error"].is_string(), "{query}");
    }
    let res = gw.viewer("GET /api/messages/99999").await;
    assert_eq!(res.status, 404);
    assert_eq!(res.json(), json!({"error": "message 99999 not found"}));
    assert_eq!(gw.viewer("GET /api/messages/x1").await.status, 400);
}

#[tokio::test]
async fn detail_shows_duplicates_and_delivery_history() {
    let gw = Gateway::start().await;
    let id = seed(&gw.store, 1).await[0];
    let mut again = new_message(0, "pas", "ADT^A01", b"MSH|resent".to_vec());
    again.received_at += 60_000;
    again.peer = Some("127.0.0.1:40001".into());
    assert_eq!(
        gw.store.append(again).await,
        Ok(Appended::Duplicate { original: id })
    );
    let now = now_ms();
    let retry = Outcome::Retry {
        at: now,
        next_attempt_at: now,
        error: "HTTP 503".into(),
    };
    assert_eq!(settle(&gw.store, "fhir", retry, false).await, 1);

    let v = gw.viewer(format!("GET /api/messages/{id}")).await.json();
    assert_eq!(v["message"]["duplicates"], 1);
    assert_eq!(v["duplicate_attempts"][0]["peer"], "127.0.0.1:40001");
    let fhir = &v["deliveries"][0];
    let want =
        json!({"destination": "fhir", "state": "pending", "attempts": 1, "last_error": "HTTP 503"});
    assert_eq!(
        pick(fhir, &["destination", "state", "attempts", "last_error"]),
        want
    );
    assert_eq!(fhir["history"][0]["outcome"], "retry");
    assert!(fhir.get("payload").is_none() && fhir.get("ordering_key").is_none());
}

#[tokio::test]
async fn queue_depths_after_routing() {
    let gw = Gateway::start().await;
    seed(&gw.store, 4).await;
    gw.store
        .lease("fhir", 1, now_ms(), 30_000, "w1")
        .await
        .unwrap();
    assert_eq!(kill_all(&gw.store, "ris").await, 4);

    let v = gw.viewer("GET /api/queues").await.json();
    let q = v["queues"].as_array().unwrap();
    let keys = ["destination", "pending", "leased", "dead"];
    let got: Vec<Value> = q.iter().map(|q| pick(q, &keys)).collect();
    let want = json!([
        {"destination": "fhir", "pending": 3, "leased": 1, "dead": 0},
        {"destination": "quiet", "pending": 0, "leased": 0, "dead": 0},
        {"destination": "ris", "pending": 0, "leased": 0, "dead": 4},
    ]);
    assert_eq!(
        Value::from(got),
        want,
        "every configured destination (idle ones too) and any other the outbox holds"
    );
    assert!(q[0]["oldest_pending_age_ms"].as_i64().unwrap() >= 5_000);
    assert_eq!(q[2]["oldest_pending_age_ms"], 0);
}

#[tokio::test]
async fn metrics_name_every_core_metric_after_activity() {
    let gw = Gateway::start().await;
    gw.metrics.add_destination("fhir");
    gw.metrics.add_source("pas");
    seed(&gw.store, 2).await; // its commits feed the store histograms through the observer
    gw.metrics
        .routed("pas", junction_store::MessageStatus::Routed);
    gw.metrics.delivery("fhir", DeliveryOutcome::Delivered);
    gw.metrics.delivery("fhir", DeliveryOutcome::Retried);
    gw.metrics
        .delivery_latency("fhir", Duration::from_millis(120));
    gw.metrics.breaker("fhir", true);

    let res = gw.anon("GET /metrics").await;
    assert_eq!(res.status, 200);
    let content_type = res.headers[header::CONTENT_TYPE].to_str().unwrap();
    assert!(content_type.starts_with("text/plain"));
    let text = res.text();
    for name in telemetry::metrics::NAMES {
        assert!(
            text.contains(&format!("# TYPE {name} ")),
            "{name} missing:\n{text}"
        );
    }
    for line in [
        r#"junction_deliveries_total{destination="fhir",outcome="delivered"} 1"#,
        r#"junction_deliveries_total{destination="fhir",outcome="dead"} 0"#,
        r#"junction_queue_depth{destination="fhir",state="pending"} 2"#,
        r#"junction_queue_depth{destination="ris",state="pending"} 2"#,
        r#"junction_breaker_open{destination="fhir"} 1"#,
        r#"junction_messages_routed_total{outcome="routed",source="pas"} 1"#,
        r#"junction_build_info{version="0.1.0-test"} 1"#,
        r#"junction_delivery_latency_seconds_count{destination="fhir"} 1"#,
    ] {
        assert!(text.contains(line), "{line} missing:\n{text}");
    }
    assert!(!text.contains("junction_store_commit_batch_size_count 0"));
    assert!(
        !text.contains(PATIENT) && !text.contains("CTRL"),
        "message data in labels"
    );

    // A drained queue reads zero instead of vanishing.
    let delivered = Outcome::Delivered { at: now_ms() };
    assert_eq!(settle(&gw.store, "ris", delivered, true).await, 2);
    let text = gw.anon("GET /metrics").await.text();
    let drained = r#"junction_queue_depth{destination="ris",state="pending"} 0"#;
    assert!(text.contains(drained), "{text}");
}

#[tokio::test]
async fn readyz_is_503_until_every_listener_is_bound() {
    let gw = Gateway::start().await;
    let health = gw.anon("GET /healthz").await;
    assert_eq!((health.status, health.text().as_str()), (200, "ok"));

    gw.readiness.expected(["mllp-pas", "http"]);
    let res = gw.anon("GET /readyz").await;
    assert_eq!(res.status, 503);
    assert_eq!(res.json()["not_ready"].as_array().unwrap().len(), 2);
    gw.readiness.set_listener_bound("http");
    let res = gw.anon("GET /readyz").await;
    assert_eq!(res.status, 503);
    assert_eq!(
        res.json(),
        json!({"ready": false, "not_ready": ["listener mllp-pas not bound"]})
    );
    gw.readiness.set_listener_bound("mllp-pas");
    let res = gw.anon("GET /readyz").await;
    assert_eq!((res.status, res.json()), (200, json!({"ready": true})));
}
