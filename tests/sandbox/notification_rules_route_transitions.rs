//! Notification rules in the simulation: a transition fires the webhooks of every rule whose
//! filter matches the monitor, merged with the message's handles (a webhook named by both
//! fires once), so a pair's check runs land in the sandbox whether a message block or a rule
//! routes them.

use crate::kit::sandbox::{variable_body, Sandbox, RULES, WEBHOOKS};

use reqwest::StatusCode;
use serde_json::{json, Value};

/// A default sandbox with a pair's two webhooks (`g-alert-check` sends status 2,
/// `g-ok-check` status 0) calling check_run with a secret API-key variable, as ddhooks
/// writes them: where every test here starts.
async fn with_a_pair() -> Sandbox {
    let h = Sandbox::start(Default::default()).await;
    h.create_variable(variable_body("DD_API_KEY", "real-key", true))
        .await;
    let headers =
        json!({"Content-Type": "application/json", "DD-API-KEY": "$DD_API_KEY"}).to_string();
    for (name, status) in [("g-alert-check", 2), ("g-ok-check", 0)] {
        let payload = json!([{"check": "g.status", "status": status, "host_name": "$HOSTNAME",
                              "tags": ["monitor_id:$ALERT_ID"]}])
        .to_string();
        let (code, body) = h
            .post(
                WEBHOOKS,
                json!({"name": name, "url": "https://api.datadoghq.com/api/v1/check_run",
                            "payload": payload, "custom_headers": headers}),
            )
            .await;
        assert_eq!(code, StatusCode::CREATED, "{body}");
    }
    h
}

/// The pair's routing as a rule on `filter`: alert to the alert webhook, recovery to the OK one.
fn pair_rule(filter: Value) -> Value {
    json!({
        "name": "g",
        "filter": filter,
        "conditional_recipients": {"conditions": [
            {"scope": "transition_type:is_alert", "recipients": ["webhook-g-alert-check"]},
            {"scope": "transition_type:is_recovery", "recipients": ["webhook-g-ok-check"]},
        ]},
    })
}

/// `(status, monitor_id tag)` of every check run so far.
async fn runs(h: &Sandbox) -> Vec<(i64, String)> {
    h.check_runs()
        .await
        .iter()
        .map(|r| {
            (
                r["status"].as_i64().expect("status"),
                r["tags"][0].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// The message of the checkout monitor most cases route.
const CHECKOUT_ERRORS: &str = "Checkout errors are high.";

#[tokio::test]
async fn a_rule_fires_a_pair_for_monitors_whose_messages_mention_no_webhook() {
    let h = with_a_pair().await;
    let checkout = h.checkout_monitor("checkout", CHECKOUT_ERRORS).await;
    let payments = h
        .create_monitor("payments", &["team:payments"], "Payments errors are high.")
        .await;
    let rule = h
        .create_rule(pair_rule(json!({"tags": ["team:checkout"]})))
        .await;

    let alert = h.transition(checkout, "Alert").await;
    assert_eq!(alert["fired"], json!(["g-alert-check"]), "{alert}");
    let delivery = &alert["deliveries"][0];
    assert_eq!(delivery["result"]["status"], 202, "{delivery}");
    assert_eq!(
        delivery["routed_by"],
        json!({"message": false, "rules": [rule]})
    );
    assert_eq!(
        alert["rules"],
        json!([{"id": rule, "name": "g", "recipients": ["webhook-g-alert-check"]}])
    );
    assert_eq!(alert["recipients"], json!(["webhook-g-alert-check"]));
    assert!(
        !alert.to_string().contains("real-key"),
        "no secret in the answer"
    );
    let tag = format!("monitor_id:{checkout}");
    assert_eq!(runs(&h).await, [(2, tag.clone())]);

    let ok = h.transition(checkout, "OK").await;
    assert_eq!(ok["fired"], json!(["g-ok-check"]), "{ok}");
    assert_eq!(runs(&h).await, [(2, tag.clone()), (0, tag.clone())]);

    // Warn is neither condition, and the rule has no fallback: nothing fires.
    assert_eq!(h.transition(checkout, "Warn").await["fired"], json!([]));

    // A monitor the filter does not match gets nothing.
    let other = h.transition(payments, "Alert").await;
    assert_eq!(other["fired"], json!([]), "{other}");
    assert_eq!(other["rules"], json!([]));
    assert_eq!(runs(&h).await.len(), 2);
}

#[tokio::test]
async fn a_webhook_named_by_the_message_and_a_rule_fires_once() {
    let h = with_a_pair().await;
    let message = "{{#is_alert}} @webhook-g-alert-check @slack-oncall {{/is_alert}}";
    let both = h.checkout_monitor("both", message).await;
    let rule = h
        .create_rule(pair_rule(json!({"tags": ["team:checkout"]})))
        .await;
    let alert = h.transition(both, "Alert").await;
    assert_eq!(alert["fired"], json!(["g-alert-check"]), "{alert}");
    let deliveries = alert["deliveries"].as_array().expect("deliveries");
    assert_eq!(deliveries.len(), 1, "{alert}");
    assert_eq!(
        deliveries[0]["routed_by"],
        json!({"message": true, "rules": [rule]})
    );
    assert_eq!(
        alert["recipients"],
        json!(["webhook-g-alert-check", "slack-oncall"])
    );
    assert_eq!(runs(&h).await, [(2, format!("monitor_id:{both}"))]);
}

#[tokio::test]
async fn scopes_fallbacks_and_rule_changes_route_the_next_transition() {
    let h = with_a_pair().await;
    let prod = h
        .create_monitor("prod", &["team:checkout", "env:prod"], "prod")
        .await;
    let dev = h
        .create_monitor("dev", &["team:checkout", "env:dev"], "dev")
        .await;
    let mut attributes = pair_rule(json!({"scope": "team:(checkout OR payments) -env:dev"}));
    attributes["conditional_recipients"]["fallback_recipients"] = json!(["webhook-g-ok-check"]);
    let rule = h.create_rule(attributes).await;
    assert_eq!(h.transition(dev, "Alert").await["fired"], json!([]));
    assert_eq!(
        h.transition(prod, "Warn").await["fired"],
        json!(["g-ok-check"]),
        "no condition applied: the fallback"
    );
    assert_eq!(
        h.transition(prod, "Alert").await["fired"],
        json!(["g-alert-check"])
    );

    // PATCH replaces the routing; the next transition follows it.
    let replaced = json!({"name": "g", "filter": {"tags": ["env:dev"]},
                          "recipients": ["webhook-g-alert-check", "webhook-g-ok-check"]});
    h.replace_rule(&rule, replaced).await;
    assert_eq!(h.transition(prod, "OK").await["fired"], json!([]));
    assert_eq!(
        h.transition(dev, "OK").await["fired"],
        json!(["g-alert-check", "g-ok-check"]),
        "plain recipients fire on every transition"
    );

    // Deleted, it routes nothing.
    let (status, _) = h.delete(&format!("{RULES}/{rule}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(h.transition(dev, "Alert").await["fired"], json!([]));
    let statuses: Vec<i64> = runs(&h).await.into_iter().map(|(s, _)| s).collect();
    assert_eq!(statuses, [0, 2, 2, 0]);
}

#[tokio::test]
async fn rule_recipients_that_are_no_webhook_of_the_org_are_reported_not_fired() {
    let h = Sandbox::start(Default::default()).await;
    let id = h.create_monitor("m", &["team:a"], "m").await;
    let rule = h
        .create_rule(json!({"name": "r", "filter": {"tags": ["team:a"]},
                            "recipients": ["webhook-missing", "slack-x"]}))
        .await;
    let alert = h.transition(id, "Alert").await;
    assert_eq!(alert["fired"], json!(["missing"]));
    let delivery = &alert["deliveries"][0];
    assert_eq!(delivery["result"]["error"], "Webhook does not exist");
    assert_eq!(delivery["routed_by"]["rules"], json!([rule]));
    assert_eq!(alert["recipients"], json!(["webhook-missing", "slack-x"]));
}

/// A condition spelled `transition_type:alert` (the example Datadog's API spec gave until
/// January 2026) is taken, kept as written, and routes the alert transition as
/// `transition_type:is_alert` does.
#[tokio::test]
async fn a_transition_spelled_without_is_routes_the_same() {
    let h = with_a_pair().await;
    let checkout = h.checkout_monitor("checkout", CHECKOUT_ERRORS).await;
    let mut rule = pair_rule(json!({"tags": ["team:checkout"]}));
    rule["conditional_recipients"]["conditions"][0]["scope"] = json!("transition_type:alert");
    rule["conditional_recipients"]["conditions"][1]["scope"] = json!("transition_type:recovery");
    let id = h.create_rule(rule).await;
    let (status, read) = h.get(&format!("{RULES}/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{read}");
    assert_eq!(
        read["data"]["attributes"]["conditional_recipients"]["conditions"][0]["scope"],
        "transition_type:alert"
    );
    assert_eq!(
        h.transition(checkout, "Alert").await["fired"],
        json!(["g-alert-check"])
    );
    assert_eq!(
        h.transition(checkout, "OK").await["fired"],
        json!(["g-ok-check"])
    );
}
