//! `GET /sandbox/v1/notifications`: each transition records every recipient Datadog would
//! notify — the message's handles (outside sections, in sections that hold, negated ones),
//! then every matching rule's (plain, per condition, fallback; tag conditions through the
//! monitor's or the firing group's tags) — each once, with where it came from; drafts notify
//! nobody.

use crate::kit::sandbox::{Sandbox, MONITORS, WEBHOOKS};

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// The recipients of a notification record.
fn recipients(record: &Value) -> Vec<String> {
    record["recipients"]
        .as_array()
        .unwrap_or_else(|| panic!("recipients in {record}"))
        .iter()
        .map(|r| r.as_str().expect("a handle").to_string())
        .collect()
}

/// The last notification record.
async fn last(h: &Sandbox) -> Value {
    h.notifications()
        .await
        .last()
        .cloned()
        .expect("a notification record")
}

/// `{"source": "rule", …}` for rule `id` named `name`.
fn rule_source(id: &str, name: &str) -> Value {
    json!({"source": "rule", "rule_id": id, "rule_name": name})
}

/// A webhook whose calls leave Datadog (recorded, never sent).
async fn external_webhook(h: &Sandbox, name: &str) {
    let (status, body) = h
        .post(
            WEBHOOKS,
            json!({"name": name, "url": "https://hooks.example.com/in", "payload": "{}"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

#[tokio::test]
async fn message_handles_outside_inside_and_negated_sections_are_recorded() {
    let h = Sandbox::start(Default::default()).await;
    let message = "Load is high. @slack-always\n\
                   {{#is_alert}}@pagerduty-alert{{/is_alert}}\n\
                   {{^is_alert}}@slack-not-alert{{/is_alert}}\n\
                   {{#is_recovery}}@slack-recovered{{/is_recovery}}";
    let id = h.create_monitor("m", &["team:a"], message).await;

    h.transition(id, "Alert").await;
    let alert = last(&h).await;
    assert_eq!(
        alert,
        json!({
            "event_id": alert["event_id"],
            "monitor_id": id,
            "from": "OK",
            "to": "Alert",
            "priority": null,
            "renotify": false,
            "group_tags": [],
            "draft": false,
            "recipients": ["slack-always", "pagerduty-alert"],
            "sources": [
                {"recipient": "slack-always", "from": [{"source": "message"}]},
                {"recipient": "pagerduty-alert", "from": [{"source": "message"}]},
            ],
        })
    );

    h.transition(id, "OK").await;
    let ok = last(&h).await;
    assert_eq!(
        recipients(&ok),
        ["slack-always", "slack-not-alert", "slack-recovered"],
        "{ok}"
    );
    assert_eq!((&ok["from"], &ok["to"]), (&json!("Alert"), &json!("OK")));

    h.transition(id, "Warn").await;
    assert_eq!(
        recipients(&last(&h).await),
        ["slack-always", "slack-not-alert"],
        "a section that does not hold notifies nobody"
    );
}

#[tokio::test]
async fn a_rules_plain_recipients_are_recorded_on_every_transition() {
    let h = Sandbox::start(Default::default()).await;
    let id = h.create_monitor("m", &["team:a"], "@slack-msg").await;
    let other = h.create_monitor("other", &["team:b"], "@slack-b").await;
    let rule = h
        .create_rule(json!({"name": "plain", "filter": {"tags": ["team:a"]},
                            "recipients": ["slack-a", "pagerduty-a"]}))
        .await;
    for to in ["Alert", "Warn", "OK"] {
        h.transition(id, to).await;
        let record = last(&h).await;
        assert_eq!(
            recipients(&record),
            ["slack-msg", "slack-a", "pagerduty-a"],
            "{to}"
        );
        assert_eq!(
            record["sources"][1],
            json!({"recipient": "slack-a", "from": [rule_source(&rule, "plain")]})
        );
    }
    h.transition(other, "Alert").await;
    assert_eq!(
        recipients(&last(&h).await),
        ["slack-b"],
        "a rule whose filter does not match adds nobody"
    );
}

#[tokio::test]
async fn rule_conditions_and_the_fallback_are_recorded_with_their_rule() {
    let h = Sandbox::start(Default::default()).await;
    external_webhook(&h, "fallback-hook").await;
    let id = h.create_monitor("m", &["team:a"], "@slack-msg").await;
    let rule = h
        .create_rule(json!({
            "name": "by-transition",
            "filter": {"tags": ["team:a"]},
            "conditional_recipients": {
                "conditions": [
                    {"scope": "transition_type:is_alert", "recipients": ["pagerduty-x"]},
                    {"scope": "priority:p1", "recipients": ["slack-p1", "pagerduty-x"]},
                ],
                "fallback_recipients": ["webhook-fallback-hook", "slack-fallback"],
            },
        }))
        .await;
    let source = rule_source(&rule, "by-transition");

    let alert = h
        .transition_with(id, json!({"to": "Alert", "priority": "P1"}))
        .await;
    assert_eq!(
        alert["fired"],
        json!([]),
        "the fallback did not fire: {alert}"
    );
    let record = last(&h).await;
    assert_eq!(
        recipients(&record),
        ["slack-msg", "pagerduty-x", "slack-p1"],
        "{record}"
    );
    assert_eq!(record["priority"], "P1");
    assert_eq!(record["sources"][1]["from"], json!([source]));

    // No condition applies to a warning: the fallback is notified, and its webhook fires.
    let warn = h.transition(id, "Warn").await;
    assert_eq!(warn["fired"], json!(["fallback-hook"]), "{warn}");
    assert_eq!(
        warn["deliveries"][0]["result"]["recorded"],
        json!(true),
        "{warn}"
    );
    assert_eq!(
        warn["deliveries"][0]["routed_by"],
        json!({"message": false, "rules": [rule]})
    );
    let record = last(&h).await;
    assert_eq!(
        recipients(&record),
        ["slack-msg", "webhook-fallback-hook", "slack-fallback"]
    );
    assert_eq!(
        record["sources"][1],
        json!({"recipient": "webhook-fallback-hook", "from": [source]})
    );
}

#[tokio::test]
async fn tag_conditions_apply_through_the_firing_groups_tags_and_not_otherwise() {
    let h = Sandbox::start(Default::default()).await;
    let multi = h.create_monitor("multi", &["team:a"], "").await;
    let prod = h.create_monitor("prod", &["team:a", "env:prod"], "").await;
    h.create_rule(json!({
        "name": "by-env",
        "filter": {"tags": ["team:a"]},
        "conditional_recipients": {
            "conditions": [{"scope": "env:prod", "recipients": ["pagerduty-prod"]}],
            "fallback_recipients": ["slack-fallback"],
        },
    }))
    .await;

    let answer = h
        .transition_with(
            multi,
            json!({"to": "Alert", "group_tags": ["env:prod", "host:a"]}),
        )
        .await;
    assert_eq!(answer["recipients"], json!(["pagerduty-prod"]), "{answer}");
    let record = last(&h).await;
    assert_eq!(recipients(&record), ["pagerduty-prod"], "{record}");
    assert_eq!(record["group_tags"], json!(["env:prod", "host:a"]));

    for (body, why) in [
        (json!({"to": "Warn"}), "no group tags"),
        (
            json!({"to": "Alert", "group_tags": ["env:dev"]}),
            "another group",
        ),
    ] {
        h.transition_with(multi, body).await;
        assert_eq!(recipients(&last(&h).await), ["slack-fallback"], "{why}");
    }

    h.transition(prod, "Alert").await;
    assert_eq!(
        recipients(&last(&h).await),
        ["pagerduty-prod"],
        "the monitor's own tag applies without group tags"
    );
}

#[tokio::test]
async fn a_handle_named_by_the_message_and_a_rule_is_recorded_once() {
    let h = Sandbox::start(Default::default()).await;
    external_webhook(&h, "x").await;
    let id = h
        .create_monitor(
            "m",
            &["team:a"],
            "{{#is_alert}}@webhook-x{{/is_alert}} @slack-y",
        )
        .await;
    let rule = h
        .create_rule(json!({"name": "dup", "filter": {"tags": ["team:a"]},
                            "recipients": ["webhook-x", "slack-y", "slack-z"]}))
        .await;
    let answer = h.transition(id, "Alert").await;
    assert_eq!(answer["fired"], json!(["x"]), "fired once: {answer}");
    let record = last(&h).await;
    assert_eq!(recipients(&record), ["webhook-x", "slack-y", "slack-z"]);
    let both = json!([{"source": "message"}, rule_source(&rule, "dup")]);
    assert_eq!(
        record["sources"],
        json!([
            {"recipient": "webhook-x", "from": both},
            {"recipient": "slack-y", "from": both},
            {"recipient": "slack-z", "from": [rule_source(&rule, "dup")]},
        ])
    );
}

#[tokio::test]
async fn a_draft_notifies_nobody_and_fires_nothing_but_changes_state() {
    let h = Sandbox::start(Default::default()).await;
    external_webhook(&h, "hook").await;
    let message = "@slack-msg {{#is_alert}}@webhook-hook{{/is_alert}}";
    let draft = h
        .create_monitor_with(
            "draft",
            &["team:a"],
            message,
            json!({"draft_status": "draft"}),
        )
        .await;
    let published = h.create_monitor("published", &["team:a"], message).await;
    h.create_rule(json!({"name": "all", "filter": {"tags": ["team:a"]},
                         "recipients": ["webhook-hook", "slack-rule"]}))
        .await;

    let answer = h.transition(draft, "Alert").await;
    assert_eq!(answer["fired"], json!([]), "{answer}");
    assert_eq!(answer["deliveries"], json!([]), "{answer}");
    assert_eq!(answer["recipients"], json!([]), "{answer}");
    assert_eq!(answer["draft"], json!(true), "{answer}");
    let record = last(&h).await;
    assert_eq!(record["draft"], json!(true), "{record}");
    assert_eq!(record["recipients"], json!([]), "{record}");
    assert_eq!(record["sources"], json!([]), "{record}");
    let deliveries = h.sim_get("/sandbox/v1/deliveries").await;
    assert_eq!(deliveries, json!([]), "no webhook call for a draft");
    let (status, monitor) = h.get(&format!("{MONITORS}/{draft}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(monitor["overall_state"], "Alert", "the draft still moved");

    let answer = h.transition(published, "Alert").await;
    assert_eq!(answer["fired"], json!(["hook"]), "{answer}");
    assert_eq!(
        recipients(&last(&h).await),
        ["slack-msg", "webhook-hook", "slack-rule"]
    );
}

#[tokio::test]
async fn the_log_keeps_every_transition_in_order_until_deleted() {
    let h = Sandbox::start(Default::default()).await;
    let a = h.create_monitor("a", &[], "@slack-a").await;
    let b = h.create_monitor("b", &[], "@slack-b").await;
    h.transition(a, "Alert").await;
    h.transition_with(b, json!({"to": "Warn", "renotify": true}))
        .await;
    h.transition(a, "OK").await;
    let log = h.notifications().await;
    let seen: Vec<(i64, &str, &str, bool)> = log
        .iter()
        .map(|r| {
            (
                r["monitor_id"].as_i64().expect("monitor id"),
                r["from"].as_str().expect("from"),
                r["to"].as_str().expect("to"),
                r["renotify"].as_bool().expect("renotify"),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (a, "OK", "Alert", false),
            (b, "OK", "Warn", true),
            (a, "Alert", "OK", false)
        ]
    );

    // A refused transition records nothing.
    let path = format!("/sandbox/v1/monitor/{a}/transition");
    for bad in [
        json!({"to": "Alert", "group_tags": "env:prod"}),
        json!({"to": "Alert", "group_tags": [1]}),
        json!({"to": "Sideways"}),
    ] {
        let (status, body) = h.sim_post(&path, bad.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
    }
    assert_eq!(h.notifications().await.len(), 3);

    let (status, _) = h
        .sim(Method::DELETE, "/sandbox/v1/notifications", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(h.notifications().await.is_empty());
    h.transition(b, "OK").await;
    assert_eq!(h.notifications().await.len(), 1);
}
