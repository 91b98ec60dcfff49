//! The simulation interface: monitor transitions fire the webhooks their messages mention,
//! a webhook pair's check runs land in the sandbox itself, other URLs are only recorded.

use crate::kit::sandbox::{variable_body, Sandbox, VARIABLES, WEBHOOKS};

use reqwest::StatusCode;
use serde_json::json;

/// Sets up a webhook pair like ddhooks makes, a secret API-key variable, an external webhook,
/// and a monitor whose message uses them; returns the monitor id.
async fn setup(h: &Sandbox, host: &str) -> i64 {
    let (status, _) = h
        .post(VARIABLES, variable_body("DD_API_KEY", "real-key", true))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let headers =
        json!({"Content-Type": "application/json", "DD-API-KEY": "$DD_API_KEY"}).to_string();
    for (name, status) in [("grp-alert-check", 2), ("grp-ok-check", 0)] {
        let payload = json!([{"check": "grp.status", "status": status, "host_name": "$HOSTNAME",
                              "tags": ["monitor_id:$ALERT_ID", "team:$TAGS[team]"]}])
        .to_string();
        let (status, body) = h
            .post(
                WEBHOOKS,
                json!({"name": name, "url": format!("https://{host}/api/v1/check_run"),
                            "payload": payload, "custom_headers": headers}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    h.post(
        WEBHOOKS,
        json!({"name": "sms", "url": "https://example.com/hook/$ALERT_ID?k=$DD_API_KEY",
                    "payload": "{\"text\": \"$ALERT_TITLE\", \"key\": \"$DD_API_KEY\"}"}),
    )
    .await;
    let message = "CPU high.\n{{!-- ddhooks:begin grp --}}\n{{#is_alert}} @webhook-grp-alert-check @webhook-sms {{/is_alert}}\n{{#is_recovery}} @webhook-grp-ok-check {{/is_recovery}}\n{{!-- ddhooks:end grp --}}";
    let (_, m) = h
        .post(
            "/api/v1/monitor",
            json!({"name": "CPU", "type": "query alert", "query": "avg(last_5m):avg:cpu{*} > 1",
                        "message": message, "tags": ["team:payments"]}),
        )
        .await;
    m["id"].as_i64().unwrap()
}

#[tokio::test]
async fn alert_then_recovery_lands_check_runs_in_the_sandbox() {
    let h = Sandbox::start(Default::default()).await;
    let id = setup(&h, "api.datadoghq.com").await;
    let alert = h.transition(id, "Alert").await;
    assert_eq!(alert["from"], "OK");
    assert_eq!(alert["to"], "Alert");
    assert_eq!(alert["fired"], json!(["grp-alert-check", "sms"]));
    let pair = &alert["deliveries"][0];
    assert_eq!(pair["result"]["sent"], true);
    assert_eq!(pair["result"]["status"], 202, "{pair}");
    assert_eq!(
        pair["payload"],
        json!([{"check": "grp.status", "status": 2, "host_name": "sandbox-host",
                "tags": [format!("monitor_id:{id}"), "team:payments"]}])
    );
    // The secret is masked in what the simulation shows.
    assert_eq!(pair["headers"]["DD-API-KEY"], "$DD_API_KEY");
    let sms = &alert["deliveries"][1];
    assert_eq!(
        sms["result"]["sent"], false,
        "other URLs are recorded, not sent"
    );
    assert_eq!(sms["result"]["recorded"], true);
    assert_eq!(
        sms["url"],
        format!("https://example.com/hook/{id}?k=$DD_API_KEY")
    );
    assert_eq!(sms["payload"]["key"], "$DD_API_KEY");
    assert!(
        !alert.to_string().contains("real-key"),
        "no secret in the answer"
    );

    let ok = h.transition(id, "OK").await;
    assert_eq!(ok["fired"], json!(["grp-ok-check"]));
    let runs = h.sim_get("/sandbox/v1/check_runs").await;
    let statuses: Vec<i64> = runs
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_i64().unwrap())
        .collect();
    assert_eq!(statuses, [2, 0]);
    // overall_state follows the simulation.
    let (_, m) = h.get(&format!("/api/v1/monitor/{id}")).await;
    assert_eq!(m["overall_state"], "OK");
    // The delivered check runs count as API requests, by template.
    let log = h.sim_get("/sandbox/v1/requests").await;
    assert_eq!(log["counts"]["POST /api/v1/check_run"], 2);
    assert!(log["counts"]
        .as_object()
        .unwrap()
        .keys()
        .all(|k| !k.contains("/sandbox/")));
    let deliveries = h.sim_get("/sandbox/v1/deliveries").await;
    assert_eq!(deliveries.as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn warn_and_no_data_fire_nothing_and_recovery_from_them_does() {
    let h = Sandbox::start(Default::default()).await;
    let id = setup(&h, "api.datadoghq.eu").await;
    assert_eq!(h.transition(id, "Warn").await["fired"], json!([]));
    let ok = h.transition(id, "OK").await;
    assert_eq!(ok["from"], "Warn");
    assert_eq!(
        ok["fired"],
        json!(["grp-ok-check"]),
        "is_recovery covers Warn"
    );
    assert_eq!(h.transition(id, "No Data").await["fired"], json!([]));
    assert_eq!(
        h.transition(id, "OK").await["fired"],
        json!(["grp-ok-check"]),
        "is_recovery covers No Data"
    );
    let runs = h.sim_get("/sandbox/v1/check_runs").await;
    assert_eq!(runs.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_call_to_the_sandbox_own_address_is_routed_too() {
    let h = Sandbox::start(Default::default()).await;
    let host = h.base.trim_start_matches("http://").to_string();
    // setup() builds https:// URLs; the pair here uses the sandbox's own http address.
    let id = setup(&h, "unused.example.com").await;
    for name in ["grp-alert-check"] {
        h.put(
            &format!("{WEBHOOKS}/{name}"),
            json!({"url": format!("http://{host}/api/v1/check_run")}),
        )
        .await;
    }
    let alert = h.transition(id, "Alert").await;
    assert_eq!(alert["deliveries"][0]["result"]["status"], 202);
    assert_eq!(
        h.sim_get("/sandbox/v1/check_runs")
            .await
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn a_webhook_without_the_key_header_is_refused_like_datadog() {
    let h = Sandbox::start(Default::default()).await;
    let id = setup(&h, "api.us5.datadoghq.com").await;
    h.put(
        &format!("{WEBHOOKS}/grp-alert-check"),
        json!({"custom_headers": null}),
    )
    .await;
    let alert = h.transition(id, "Alert").await;
    assert_eq!(alert["deliveries"][0]["result"]["status"], 403);
    assert_eq!(h.sim_get("/sandbox/v1/check_runs").await, json!([]));
}

#[tokio::test]
async fn transition_errors() {
    let h = Sandbox::start(Default::default()).await;
    let (status, body) = h
        .sim_post("/sandbox/v1/monitor/99/transition", json!({"to": "Alert"}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body, json!({"errors": ["Monitor not found"]}));
    let id = setup(&h, "api.datadoghq.com").await;
    let (status, _) = h
        .sim_post(
            &format!("/sandbox/v1/monitor/{id}/transition"),
            json!({"to": "Critical"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn priority_and_negated_sections() {
    let h = Sandbox::start(Default::default()).await;
    h.post(
        WEBHOOKS,
        json!({"name": "p1", "url": "https://example.com/p1"}),
    )
    .await;
    h.post(
        WEBHOOKS,
        json!({"name": "calm", "url": "https://example.com/calm"}),
    )
    .await;
    let message = "{{#is_priority 'P1'}} @webhook-p1 {{/is_priority}}{{^is_alert}} @webhook-calm {{/is_alert}}";
    let (_, m) = h
        .post(
            "/api/v1/monitor",
            json!({"type": "query alert", "query": "avg(last_5m):avg:cpu{*} > 1",
                        "message": message, "priority": 1}),
        )
        .await;
    let id = m["id"].as_i64().unwrap();
    assert_eq!(h.transition(id, "Alert").await["fired"], json!(["p1"]));
    assert_eq!(h.transition(id, "OK").await["fired"], json!(["p1", "calm"]));
    let payload = &h.transition(id, "Alert").await["deliveries"][0]["payload"];
    assert_eq!(
        payload["org"]["name"], "ddhooks sandbox",
        "default payload is filled"
    );
}
