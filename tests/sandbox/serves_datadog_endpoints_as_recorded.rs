//! The sandbox's API quirks, over loopback HTTP against a real in-process sandbox.

use crate::kit::sandbox::{decode, variable_body, Sandbox, VARIABLES, WEBHOOKS};

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// The payload Datadog stores when a webhook is created with a `null` or absent payload,
/// byte for byte as recorded (pinned here, independently of the code that produces it).
const DEFAULT_WEBHOOK_PAYLOAD: &str = "{\"body\": \"$EVENT_MSG\", \"last_updated\": \"$LAST_UPDATED\", \"event_type\": \"$EVENT_TYPE\", \"title\": \"$EVENT_TITLE\", \"date\": \"$DATE\", \"org\": {\"id\": \"$ORG_ID\", \"name\": \"$ORG_NAME\"}, \"id\": \"$ID\"}";

async fn start() -> Sandbox {
    Sandbox::start(Default::default()).await
}

/// `GET /api/v1/validate` with `DD-API-KEY: api_key` only (`None`: no key at all).
async fn validate(h: &Sandbox, api_key: Option<&str>) -> (StatusCode, Value) {
    h.call_without_app_key(api_key, Method::GET, "/api/v1/validate", None)
        .await
}

fn error(body: &Value) -> &str {
    body["errors"][0].as_str().unwrap_or_default()
}

#[tokio::test]
async fn webhook_create_fills_default_payload_and_encoding() {
    let h = start().await;
    let (status, body) = h
        .post(
            WEBHOOKS,
            json!({"name": "w1", "url": "https://example.com/x"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    // `auth_method_id: null` as every answer since 2025 carries it (Terraform's provider,
    // `TestAccDatadogWebhook_Basic`, recorded 2025-03-14).
    assert_eq!(
        body,
        json!({"encode_as": "json", "url": "https://example.com/x", "custom_headers": null,
               "name": "w1", "payload": DEFAULT_WEBHOOK_PAYLOAD, "auth_method_id": null})
    );
    let (status, body) = h
        .post(
            WEBHOOKS,
            json!({"name": "w2", "url": "u", "payload": null, "encode_as": "form"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(body["payload"], DEFAULT_WEBHOOK_PAYLOAD);
    assert_eq!(body["encode_as"], "form");
    let (status, body) = h.get(&format!("{WEBHOOKS}/w1")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["payload"], DEFAULT_WEBHOOK_PAYLOAD);
}

#[tokio::test]
async fn webhook_put_is_partial_renames_and_resets_payload() {
    let h = start().await;
    let create = json!({"name": "w", "url": "https://a", "payload": "{\"a\": 1}",
                        "custom_headers": "{\"X\": \"1\"}"});
    h.post(WEBHOOKS, create).await;
    let (status, body) = h
        .put(&format!("{WEBHOOKS}/w"), json!({"url": "https://b"}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["url"], "https://b");
    assert_eq!(body["payload"], "{\"a\": 1}");
    assert_eq!(body["custom_headers"], "{\"X\": \"1\"}");
    let (status, body) = h
        .put(
            &format!("{WEBHOOKS}/w"),
            json!({"name": "w-new", "payload": null}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["name"], "w-new");
    assert_eq!(body["payload"], DEFAULT_WEBHOOK_PAYLOAD);
    let (status, body) = h.get(&format!("{WEBHOOKS}/w")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body, json!({"errors": ["Webhook does not exist"]}));
    let (status, _) = h.get(&format!("{WEBHOOKS}/w-new")).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn webhook_duplicates_and_missing_names() {
    let h = start().await;
    let w = json!({"name": "dup", "url": "https://a"});
    assert_eq!(h.post(WEBHOOKS, w.clone()).await.0, StatusCode::CREATED);
    let (status, body) = h.post(WEBHOOKS, w).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(!error(&body).is_empty());
    h.post(WEBHOOKS, json!({"name": "other", "url": "https://a"}))
        .await;
    let (status, _) = h
        .put(&format!("{WEBHOOKS}/other"), json!({"name": "dup"}))
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "rename onto an existing name"
    );
    for method in [Method::GET, Method::DELETE] {
        let (status, body) = h.call(method, &format!("{WEBHOOKS}/nope"), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(error(&body), "Webhook does not exist");
    }
    let (status, body) = h
        .put(&format!("{WEBHOOKS}/nope"), json!({"url": "x"}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error(&body), "Webhook does not exist");
    let (status, body) = h.delete(&format!("{WEBHOOKS}/dup")).await;
    assert_eq!((status, body), (StatusCode::OK, json!({})));
}

#[tokio::test]
async fn secret_variable_value_is_never_returned() {
    let h = start().await;
    let (status, body) = h
        .post(VARIABLES, variable_body("KEY", "s3cret", true))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(body, json!({"is_secret": true, "name": "KEY"}));
    let (_, body) = h.get(&format!("{VARIABLES}/KEY")).await;
    assert_eq!(body, json!({"is_secret": true, "name": "KEY"}));
    let (_, body) = h
        .put(&format!("{VARIABLES}/KEY"), json!({"value": "other"}))
        .await;
    assert_eq!(body, json!({"is_secret": true, "name": "KEY"}));
    // Making it public reveals the (updated) value: the PUT was partial and kept is_secret until now.
    let (_, body) = h
        .put(&format!("{VARIABLES}/KEY"), json!({"is_secret": false}))
        .await;
    assert_eq!(
        body,
        json!({"is_secret": false, "name": "KEY", "value": "other"})
    );
}

#[tokio::test]
async fn variable_put_renames_and_404s() {
    let h = start().await;
    h.post(VARIABLES, variable_body("A", "1", false)).await;
    let (status, body) = h.put(&format!("{VARIABLES}/A"), json!({"name": "B"})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"is_secret": false, "name": "B", "value": "1"}));
    let (status, body) = h.get(&format!("{VARIABLES}/A")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body, json!({"errors": ["Custom variable does not exist"]}));
    let (status, _) = h.post(VARIABLES, variable_body("B", "2", false)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "duplicate name");
    let (status, _) = h.post(VARIABLES, variable_body("lower", "2", false)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "names are upper-case");
}

#[tokio::test]
async fn bad_bodies_are_400_and_store_nothing() {
    let h = start().await;
    let cases: Vec<(&str, &str, String)> = vec![
        (
            WEBHOOKS,
            "malformed",
            "{\"name\": \"bad1\", \"url\": ".to_string(),
        ),
        (WEBHOOKS, "missing url", json!({"name": "bad2"}).to_string()),
        (
            WEBHOOKS,
            "wrong type",
            json!({"name": "bad3", "url": 5}).to_string(),
        ),
        (
            WEBHOOKS,
            "payload not a string",
            json!({"name": "bad4", "url": "u", "payload": {"a": 1}}).to_string(),
        ),
        (VARIABLES, "malformed", "{\"name\": \"BAD1\"".to_string()),
        (
            VARIABLES,
            "missing is_secret",
            json!({"name": "BAD2", "value": "v"}).to_string(),
        ),
        (
            VARIABLES,
            "wrong type",
            json!({"name": "BAD3", "value": 1, "is_secret": false}).to_string(),
        ),
    ];
    for (path, what, body) in &cases {
        let (status, answer) = h.call_raw(Method::POST, path, body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{what}: {answer}");
        assert!(!error(&answer).is_empty(), "{what}: errors body");
    }
    for name in ["bad1", "bad2", "bad3", "bad4"] {
        let (status, _) = h.get(&format!("{WEBHOOKS}/{name}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{name} was not stored");
    }
    for name in ["BAD1", "BAD2", "BAD3"] {
        let (status, _) = h.get(&format!("{VARIABLES}/{name}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{name} was not stored");
    }
    // Monitors: malformed, missing query, wrong type of a field, unknown monitor type.
    for body in [
        "{\"type\": \"query alert\"".to_string(),
        json!({"type": "query alert", "name": "m"}).to_string(),
        json!({"type": "query alert", "query": "a > 1", "tags": "team:x"}).to_string(),
        json!({"type": "not a type", "query": "a > 1"}).to_string(),
    ] {
        let (status, answer) = h.call_raw(Method::POST, "/api/v1/monitor", &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
        assert!(!error(&answer).is_empty());
    }
    let (_, list) = h.get("/api/v1/monitor").await;
    assert_eq!(list, json!([]), "no monitor was stored");
    // A bad PUT leaves the webhook as it was.
    h.post(WEBHOOKS, json!({"name": "ok", "url": "u"})).await;
    let (status, _) = h
        .call_raw(Method::PUT, &format!("{WEBHOOKS}/ok"), "{\"url\": 3}")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (_, body) = h.get(&format!("{WEBHOOKS}/ok")).await;
    assert_eq!(body["url"], "u");
}

#[tokio::test]
async fn missing_keys_are_403() {
    let h = start().await;
    // No keys at all.
    let (status, body) = validate(&h, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body, json!({"errors": ["API key required"]}));
    // API key only: enough for validate and check_run, not for webhooks or monitors.
    let answer = validate(&h, Some("k")).await;
    assert_eq!(answer, (StatusCode::OK, json!({"valid": true})));
    let run = json!([{"check": "c", "host_name": "h", "status": 0, "tags": []}]);
    let (status, _) = h
        .call_without_app_key(Some("k"), Method::POST, "/api/v1/check_run", Some(run))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    for (method, path) in [
        (Method::GET, "/api/v1/monitor".to_string()),
        (Method::GET, format!("{WEBHOOKS}/x")),
        (Method::POST, WEBHOOKS.to_string()),
        (Method::GET, format!("{VARIABLES}/X")),
    ] {
        let body = json!({"name": "x", "url": "u"});
        let (status, body) = h
            .call_without_app_key(Some("k"), method.clone(), &path, Some(body))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path}");
        assert!(!error(&body).is_empty());
    }
    let (status, _) = h.get(&format!("{WEBHOOKS}/x")).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "with both keys it gets through"
    );
    // Nothing was created by the forbidden POST.
    let (status, _) = h.get(&format!("{WEBHOOKS}/x")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn configured_keys_restrict_access() {
    let h = Sandbox::start(ddhooks::sandbox::SandboxConfig {
        api_keys: vec!["right".into()],
        ..Default::default()
    })
    .await;
    assert_eq!(validate(&h, Some("wrong")).await.0, StatusCode::FORBIDDEN);
    assert_eq!(validate(&h, Some("right")).await.0, StatusCode::OK);
}

/// A sandbox holding [`log_monitor`]: the create's answer, the monitor's id and its path.
async fn with_a_log_monitor() -> (Sandbox, Value, i64, String) {
    let h = start().await;
    let (_, m) = h.post("/api/v1/monitor", log_monitor()).await;
    let id = m["id"].as_i64().unwrap();
    (h, m, id, format!("/api/v1/monitor/{id}"))
}

fn log_monitor() -> Value {
    json!({
        "name": "errors", "type": "log alert", "message": "hello",
        "query": "logs(\"service:foo\").index(\"main\").rollup(\"count\").by(\"source\").last(\"5m\") > 2",
        "tags": ["team:a", "env:ci"], "priority": 3,
        "options": {"thresholds": {"critical": 2, "warning": 1}, "renotify_interval": 60},
        "custom_field": {"kept": true}
    })
}

#[tokio::test]
async fn monitor_create_fills_server_defaults() {
    let h = start().await;
    let (status, m) = h.post("/api/v1/monitor", log_monitor()).await;
    assert_eq!(status, StatusCode::OK, "create answers 200: {m}");
    assert!(m["id"].is_i64());
    assert_eq!(m["multi"], true);
    assert_eq!(m["overall_state"], "No Data");
    assert_eq!(m["draft_status"], "published");
    assert_eq!(m["deleted"], Value::Null);
    assert_eq!(m["restricted_roles"], Value::Null);
    assert_eq!(m["priority"], 3);
    assert_eq!(
        m["custom_field"],
        json!({"kept": true}),
        "unknown fields are echoed"
    );
    assert!(m["creator"].is_object());
    let created = m["created"].as_str().unwrap();
    assert!(
        created.ends_with("+00:00") && created.len() == 32,
        "{created}"
    );
    assert_eq!(
        m["options"],
        json!({"thresholds": {"critical": 2.0, "warning": 1.0}, "renotify_interval": 60,
               "notify_no_data": false, "notify_audit": false, "new_host_delay": 300,
               "include_tags": true, "groupby_simple_monitor": false, "silenced": {}})
    );
    assert!(m["options"]["thresholds"]["critical"].is_f64());
    // A metric monitor keeps its type (Terraform's provider records `avg(last_5m)` ones
    // staying `metric alert`) and without a group is not multi.
    let (_, m2) = h
        .post(
            "/api/v1/monitor",
            json!({"type": "metric alert", "query": "avg(last_5m):avg:cpu{*} > 1",
                        "options": {"on_missing_data": "default"}}),
        )
        .await;
    assert_eq!(m2["type"], "metric alert");
    assert_eq!(m2["multi"], false);
    assert_eq!(
        m2["options"],
        json!({"notify_audit": false, "new_host_delay": 300, "include_tags": true, "silenced": {}})
    );
    assert!(m2["id"].as_i64() > m["id"].as_i64(), "ids increase");
}

#[tokio::test]
async fn monitor_query_without_operator_is_the_recorded_400() {
    let h = start().await;
    let body = json!({"query": "query", "type": "log alert"});
    for path in ["/api/v1/monitor", "/api/v1/monitor/validate"] {
        let (status, answer) = h.post(path, body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(
            answer,
            json!({"errors": ["The value provided for parameter 'query' is invalid: invalid operator specified: "]})
        );
    }
    let (status, answer) = h.post("/api/v1/monitor/validate", log_monitor()).await;
    assert_eq!((status, answer), (StatusCode::OK, json!({})));
    let (status, answer) = h.post("/api/v1/monitor/999/validate", log_monitor()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error(&answer), "Monitor not found");
}

#[tokio::test]
async fn monitor_put_merges_fields_and_replaces_options_whole() {
    let (h, m, _, path) = with_a_log_monitor().await;
    let (status, updated) = h.put(&path, json!({"message": "new text"})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(updated["message"], "new text");
    assert_eq!(updated["name"], "errors", "absent fields are kept");
    assert_eq!(updated["options"], m["options"], "no options: options kept");
    assert!(
        updated.get("creator").is_none(),
        "PUT answers without creator"
    );
    let (_, updated) = h
        .put(&path, json!({"options": {"thresholds": {"critical": 5, "warning": null}, "new_host_delay": null}}))
        .await;
    assert_eq!(
        updated["options"],
        json!({"thresholds": {"critical": 5.0}, "new_host_delay": null, "notify_no_data": false,
               "notify_audit": false, "include_tags": true, "groupby_simple_monitor": false,
               "silenced": {}}),
        "renotify_interval is gone: options were replaced whole"
    );
    let (_, got) = h.get(&path).await;
    assert_eq!(got["message"], "new text");
    assert!(got["creator"].is_object(), "GET still has the creator");
    assert!(got.get("matching_downtimes").is_none());
    let (_, got) = h.get(&format!("{path}?with_downtimes=true")).await;
    assert_eq!(got["matching_downtimes"], json!([]));
    let (status, answer) = h.put("/api/v1/monitor/424242", json!({"name": "x"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(answer, json!({"errors": ["Monitor not found"]}));
}

#[tokio::test]
async fn monitor_delete_then_404() {
    let (h, _, id, path) = with_a_log_monitor().await;
    let (status, body) = h.delete(&path).await;
    assert_eq!(
        (status, body),
        (StatusCode::OK, json!({"deleted_monitor_id": id}))
    );
    for method in [Method::GET, Method::DELETE] {
        let (status, body) = h.call(method, &path, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(body, json!({"errors": ["Monitor not found"]}));
    }
}

#[tokio::test]
async fn monitor_list_pages_and_filters() {
    let h = start().await;
    for i in 0..5 {
        let tags = if i % 2 == 0 {
            json!(["team:even"])
        } else {
            json!(["team:odd"])
        };
        let query = format!("avg(last_5m):avg:cpu{{host:h{i}}} > 1");
        h.post("/api/v1/monitor", json!({"type": "query alert", "query": query, "name": format!("CPU {i}"), "tags": tags}))
        .await;
    }
    let ids = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|m| m["name"].as_str().unwrap().to_string())
            .collect()
    };
    let (_, all) = h.get("/api/v1/monitor").await;
    assert_eq!(all.as_array().unwrap().len(), 5);
    assert_eq!(all[0]["matching_downtimes"], json!([]));
    let (_, all) = h.get("/api/v1/monitor?page_size=2").await;
    assert_eq!(
        all.as_array().unwrap().len(),
        5,
        "page_size without page: everything"
    );
    let (_, p0) = h.get("/api/v1/monitor?page=0&page_size=2").await;
    let (_, p2) = h.get("/api/v1/monitor?page=2&page_size=2").await;
    let (_, p3) = h.get("/api/v1/monitor?page=3&page_size=2").await;
    assert_eq!(ids(&p0), ["CPU 0", "CPU 1"]);
    assert_eq!(ids(&p2), ["CPU 4"]);
    assert_eq!(p3, json!([]));
    let (_, p) = h.get("/api/v1/monitor?page=0").await;
    assert_eq!(p.as_array().unwrap().len(), 5, "page_size defaults to 100");
    let (status, _) = h.get("/api/v1/monitor?page=0&page_size=1001").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (_, even) = h.get("/api/v1/monitor?monitor_tags=team:even").await;
    assert_eq!(ids(&even), ["CPU 0", "CPU 2", "CPU 4"]);
    let (_, named) = h.get("/api/v1/monitor?name=cpu%203").await;
    assert_eq!(ids(&named), ["CPU 3"]);
    let (_, scoped) = h.get("/api/v1/monitor?tags=host:h1").await;
    assert_eq!(ids(&scoped), ["CPU 1"]);
    let (status, body) = h.get("/api/v1/monitor?group_states=notagroupstate").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body, json!({"errors": ["Invalid group_state filters."]}));
    let (status, _) = h.get("/api/v1/monitor?group_states=alert,no%20data").await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn check_run_takes_an_array_of_checks() {
    let h = start().await;
    let check = json!({"check": "app.ok", "host_name": "h", "status": 2, "tags": ["a:b"]});
    let resp = h
        .req(Method::POST, "/api/v1/check_run")
        .json(&json!([check.clone()]))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::ACCEPTED);
    assert_eq!(resp.headers()["content-type"], "text/json");
    assert_eq!(decode(resp).await.1, json!({"status": "ok"}));
    let one_object = h.post("/api/v1/check_run", check.clone()).await;
    assert_eq!(
        one_object.0,
        StatusCode::BAD_REQUEST,
        "one object instead of an array"
    );
    let string_tags = json!([{"check": "c", "host_name": "h", "status": 0, "tags": "a:b"}]);
    let (status, _) = h.post("/api/v1/check_run", string_tags).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "tags as a string");
    let bad_status = json!([{"check": "c", "host_name": "h", "status": 7, "tags": []}]);
    let (status, _) = h.post("/api/v1/check_run", bad_status).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(h.sim_get("/sandbox/v1/check_runs").await, json!([check]));
}

#[tokio::test]
async fn request_counts_are_keyed_by_route_template() {
    let h = start().await;
    h.get("/api/v1/monitor").await;
    h.get("/api/v1/monitor").await;
    h.get("/api/v1/monitor/1").await;
    h.put("/api/v1/monitor/2", json!({})).await;
    h.get(&format!("{WEBHOOKS}/a")).await;
    h.get(&format!("{VARIABLES}/B")).await;
    h.sim_get("/sandbox/v1/check_runs").await;
    let log = h.sim_get("/sandbox/v1/requests").await;
    assert_eq!(
        log,
        json!({"total": 6, "counts": {
            "GET /api/v1/integration/webhooks/configuration/custom-variables/{name}": 1,
            "GET /api/v1/integration/webhooks/configuration/webhooks/{webhook_name}": 1,
            "GET /api/v1/monitor": 2,
            "GET /api/v1/monitor/{id}": 1,
            "PUT /api/v1/monitor/{id}": 1,
        }})
    );
    let (status, _) = h.sim(Method::DELETE, "/sandbox/v1/requests", None).await;
    assert!(status.is_success());
    assert_eq!(
        h.sim_get("/sandbox/v1/requests").await,
        json!({"total": 0, "counts": {}})
    );
}

#[tokio::test]
async fn api_keys_in_the_query_string_are_accepted_like_datadog() {
    let h = start().await;
    let (status, _) = h
        .call_without_app_key(None, Method::GET, "/api/v1/validate?api_key=k", None)
        .await;
    assert_eq!(status, StatusCode::OK);
}
