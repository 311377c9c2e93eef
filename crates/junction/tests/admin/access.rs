//! Who may do what: roles, 401s and 403s, open loopback mode, the audit log.

use super::*;

#[tokio::test]
async fn viewer_sees_metadata_but_no_bodies_and_cannot_change_anything() {
    let gw = Gateway::start().await;
    let id = seed(&gw.store, 3).await[0];

    let list = gw.viewer("GET /api/messages").await;
    assert_eq!(list.status, 200);
    assert_eq!(list.json()["messages"].as_array().unwrap().len(), 3);
    let detail = gw.viewer(format!("GET /api/messages/{id}")).await;
    assert_eq!(detail.status, 200);
    let v = detail.json();
    assert_eq!(v["message"]["control_id"], "CTRL0");
    let event = json!({"id": "e1", "kind": "patient.admitted"});
    assert_eq!(v["events"][0], event);
    assert_eq!(v["deliveries"].as_array().unwrap().len(), 2);
    assert!(
        !detail.text().contains(PATIENT),
        "patient data shown to a viewer"
    );
    assert!(v.get("raw").is_none());
    assert_eq!(gw.viewer("GET /api/queues").await.status, 200);

    for req in [
        format!("GET /api/messages/{id}?include=body"),
        format!("GET /api/messages/{id}/raw"),
        format!("POST /api/messages/{id}/replay"),
        "POST /api/destinations/fhir/replay-dead".to_owned(),
        "DELETE /api/destinations/fhir/dead".to_owned(),
    ] {
        let res = gw.viewer(&req).await;
        assert_eq!(res.status, 403, "{req}");
        assert!(res.json()["error"].as_str().unwrap().contains("role"));
        assert!(!res.text().contains(PATIENT));
    }
    // Each refusal is audited under the token's name, by route template and status.
    let denied = gw.audit();
    assert_eq!(denied.len(), 5, "{denied:?}");
    for record in &denied {
        let fields = pick(record, &["token", "action", "status"]);
        assert_eq!(
            fields,
            json!({"token": "vic", "action": "access.denied", "status": 403})
        );
    }
    assert_eq!(denied[1]["route"], "GET /api/messages/{id}/raw");
    assert_eq!(denied[4]["route"], "DELETE /api/destinations/{name}/dead");
    assert_eq!(gw.replays(), 0);
}

#[tokio::test]
async fn operator_views_bodies_and_replays_and_each_is_audited() {
    let gw = Gateway::start().await;
    let id = seed(&gw.store, 1).await[0];

    let raw = gw.operator(format!("GET /api/messages/{id}/raw")).await;
    assert_eq!(raw.status, 200);
    let content_type = &raw.headers[header::CONTENT_TYPE];
    assert_eq!(content_type, "text/plain; charset=UTF-8");
    assert_eq!(raw.headers[header::CACHE_CONTROL], "no-store");
    assert!(raw.text().starts_with("MSH|^~\\&|PAS|RX1") && raw.text().contains(PATIENT));

    let full = gw.operator(format!("GET /api/messages/{id}?include=body"));
    let full = full.await;
    assert_eq!(full.status, 200);
    let v = full.json();
    assert!(v["raw"].as_str().unwrap().starts_with("MSH|"));
    assert_eq!(v["events"][0]["patient_key"], PATIENT);
    assert_eq!(v["events"][0]["json"]["resourceType"], "Bundle");
    let payload = format!(r#"{{"patient":"{PATIENT}"}}"#);
    assert_eq!(v["deliveries"][0]["payload"], payload);

    // Deliver one, kill the other; a replay puts both back to pending and wakes dispatchers.
    let delivered = Outcome::Delivered { at: now_ms() };
    assert_eq!(settle(&gw.store, "fhir", delivered, false).await, 1);
    assert_eq!(kill_all(&gw.store, "ris").await, 1);
    let replay = gw.operator(format!("POST /api/messages/{id}/replay")).await;
    assert_eq!(replay.status, 200, "{}", replay.text());
    assert_eq!(replay.json()["deliveries"], 2);
    assert_eq!(gw.replays(), 1);
    let detail = gw.store.get_message(id).await.unwrap().unwrap();
    let mut states = detail.deliveries.iter().map(|d| d.state.as_str());
    assert!(states.all(|s| s == "pending"));

    let purge = gw.operator("DELETE /api/destinations/ris/dead").await;
    assert_eq!(purge.status, 403);

    let mut audit = gw.audit();
    let denied = audit.pop().unwrap();
    let want = json!({"token": "ops-alice", "action": "access.denied", "status": 403});
    assert_eq!(pick(&denied, &["token", "action", "status"]), want);
    let actions: Vec<&Value> = audit.iter().map(|r| &r["action"]).collect();
    let want = json!(["message.view_raw", "message.view", "message.replay"]);
    assert_eq!(Value::from_iter(actions.into_iter().cloned()), want);
    for r in &audit {
        let want = json!({"token": "ops-alice", "message_id": id.0});
        assert_eq!(pick(r, &["token", "message_id"]), want);
        assert!(r["client"].as_str().unwrap().starts_with("127.0.0.1:"));
        assert!(r["time"].as_str().unwrap().ends_with('Z'));
    }
}

#[tokio::test]
async fn admin_purges_and_operator_replays_dead_deliveries() {
    let gw = Gateway::start().await;
    seed(&gw.store, 3).await;
    assert_eq!(kill_all(&gw.store, "fhir").await, 3);
    assert_eq!(kill_all(&gw.store, "ris").await, 3);

    let res = gw.operator("POST /api/destinations/fhir/replay-dead").await;
    assert_eq!(
        (res.status, res.json()["replayed"].clone()),
        (200, json!(3))
    );
    assert_eq!(gw.replays(), 1);
    // Names from the URL must be configured destinations: no silent `replayed: 0`.
    for name in [
        "nope",
        "..%2F..%2Fetc%2Fpasswd",
        "x%0D%0A%7B%22forged%22%3Atrue%7D",
    ] {
        let res = gw
            .operator(&format!("POST /api/destinations/{name}/replay-dead"))
            .await;
        assert_eq!(res.status, 404, "{name}");
    }
    assert_eq!(gw.replays(), 1, "nothing replayed for unknown names");
    let res = gw.admin("DELETE /api/destinations/nope/dead").await;
    assert_eq!(res.status, 404);
    let res = gw.admin("DELETE /api/destinations/ris/dead").await;
    assert_eq!((res.status, res.json()["purged"].clone()), (200, json!(3)));

    let v = gw.admin("GET /api/queues").await.json();
    let expected = json!([
        {"destination": "fhir", "pending": 3, "dead": 0},
        {"destination": "quiet", "pending": 0, "dead": 0},
        {"destination": "ris", "pending": 0, "dead": 0},
    ]);
    let queues = v["queues"].as_array().unwrap().iter();
    let queues = queues.map(|q| pick(q, &["destination", "pending", "dead"]));
    assert_eq!(Value::from_iter(queues), expected, "ris has nothing left");

    let audit = gw.audit();
    let audit = audit
        .iter()
        .map(|r| pick(r, &["token", "action", "destination"]));
    let expected = json!([
        {"token": "ops-alice", "action": "destination.replay_dead", "destination": "fhir"},
        {"token": "root-bob", "action": "destination.purge_dead", "destination": "ris"},
    ]);
    assert_eq!(Value::from_iter(audit), expected);
}

#[tokio::test]
async fn missing_or_unknown_tokens_are_401_with_a_bearer_challenge() {
    let gw = Gateway::start().await;
    let id = seed(&gw.store, 1).await[0];
    let near_miss = format!("Bearer {}", &VIEWER[..VIEWER.len() - 1]);
    let unknown = "Bearer not-a-token-0123456789".to_owned();
    let basic = format!("Basic {VIEWER}");
    let wrong = [None, Some(unknown), Some(near_miss), Some(basic)];
    let raw = format!("GET /api/messages/{id}/raw");
    for req in ["GET /api/messages", &raw, "GET /api/queues"] {
        for auth in &wrong {
            let res = gw.call_with(req, auth.clone()).await;
            assert_eq!(res.status, 401, "{req} {auth:?}");
            let challenge = res.headers[header::WWW_AUTHENTICATE].to_str().unwrap();
            assert!(challenge.starts_with("Bearer"));
            assert!(res.json()["error"].is_string());
        }
    }
    // Audited as `none`: a wrong secret is never written down, not even in part.
    let denied = gw.audit();
    assert_eq!(denied.len(), 12);
    assert!(
        denied
            .iter()
            .all(|r| r["token"] == "none" && r["status"] == 401)
    );
    let text = std::fs::read_to_string(&gw.audit_path).unwrap();
    assert!(!text.contains("not-a-token") && !text.contains(&VIEWER[..12]));
}

#[tokio::test]
async fn without_tokens_only_loopback_is_served() {
    let addr = |s: &str| s.parse::<SocketAddr>().unwrap();
    assert_eq!(
        admin::check_exposure(addr("127.0.0.1:80"), &[]),
        Ok(Exposure::LoopbackOnly)
    );
    assert_eq!(
        admin::check_exposure(addr("[::1]:80"), &[]),
        Ok(Exposure::LoopbackOnly)
    );
    let err = admin::check_exposure(addr("0.0.0.0:80"), &[]).unwrap_err();
    assert!(err.contains("not loopback"), "{err}");
    assert!(admin::check_exposure(addr("10.1.2.3:80"), &[]).is_err());
    assert_eq!(
        admin::check_exposure(addr("10.1.2.3:80"), &tokens()),
        Ok(Exposure::Tokens(3))
    );
    let weak = Token::new("x", "short", Role::Admin);
    assert!(admin::check_exposure(addr("10.1.2.3:80"), &[weak]).is_err());

    // Open mode: a loopback client gets everything, audited as `loopback`.
    let gw = Gateway::with(vec![], None, true).await;
    let id = seed(&gw.store, 1).await[0];
    let raw = gw.anon(format!("GET /api/messages/{id}/raw")).await;
    assert_eq!(raw.status, 200);
    assert_eq!(gw.audit()[0]["token"], admin::LOOPBACK_CALLER);

    // Served without client addresses, open mode cannot tell who is calling and refuses.
    let blind = Gateway::with(vec![], None, false).await;
    assert_eq!(blind.anon("GET /api/queues").await.status, 401);
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn an_unwritable_audit_log_fails_the_request_and_nothing_is_done() {
    // Every write to /dev/full fails with ENOSPC.
    let gw = Gateway::with(tokens(), Some("/dev/full"), true).await;
    let id = seed(&gw.store, 1).await[0];
    assert_eq!(kill_all(&gw.store, "fhir").await, 1);

    for (req, token) in [
        (format!("GET /api/messages/{id}/raw"), OPERATOR),
        (format!("GET /api/messages/{id}?include=body"), OPERATOR),
        (format!("POST /api/messages/{id}/replay"), OPERATOR),
        ("DELETE /api/destinations/fhir/dead".to_owned(), ADMIN),
    ] {
        let res = gw.call(Some(token), &req).await;
        assert_eq!(res.status, 500, "{req}");
        assert!(res.json()["error"].as_str().unwrap().contains("audit"));
        assert!(!res.text().contains(PATIENT) && !res.text().contains("MSH"));
    }
    let detail = gw.store.get_message(id).await.unwrap().unwrap();
    let state = detail.deliveries[0].state.as_str();
    assert_eq!(state, "dead", "acted on without a record");
    assert_eq!(gw.replays(), 0);
    // Metadata needs no audit record.
    let metadata = gw.viewer(format!("GET /api/messages/{id}")).await;
    assert_eq!(metadata.status, 200);
}
