//! What today's Datadog does to what it is sent, as Terraform's recordings show it, over
//! loopback HTTP: monitors' `message`, `query` and `options.escalation_message` trimmed;
//! `restriction_policy` in write answers only; a `metric alert` keeps its type but over a
//! `current_*` window, a formula query alert becomes a metric alert; an empty
//! `options.thresholds` dropped; `classification` never echoed; `with_restricted_roles=false`
//! reads without `restricted_roles`; widgets inside groups get ids, given ids kept; webhooks
//! carry `auth_method_id`, `null` unless a person set it.

use crate::kit::sandbox::{Sandbox, MONITORS, WEBHOOKS};

use reqwest::StatusCode;
use serde_json::{json, Value};

fn monitor_path(id: i64) -> String {
    format!("{MONITORS}/{id}")
}

/// Creates a monitor and answers the create's answer.
async fn create_monitor(h: &Sandbox, body: Value) -> Value {
    let (status, created) = h.post(MONITORS, body).await;
    assert_eq!(status, StatusCode::OK, "{created}");
    created
}

fn metric(query: &str) -> Value {
    json!({"type": "metric alert", "name": "m", "message": "m", "query": query})
}

#[tokio::test]
async fn message_query_and_escalation_message_are_trimmed_on_create_and_update() {
    let h = Sandbox::start(Default::default()).await;
    let created = create_monitor(
        &h,
        json!({"type": "metric alert", "name": "trim",
            "message": "some message Notify: @hipchat-channel\n",
            "query": "avg(last_1h):avg:aws.ec2.cpu{environment:foo,host:foo} by {host} > 2\n",
            "options": {"escalation_message": "the situation has escalated @pagerduty\n"}}),
    )
    .await;
    let trimmed = |m: &Value, message: &str, escalation: &str| {
        assert_eq!(m["message"], message, "{m}");
        assert_eq!(
            m["query"],
            "avg(last_1h):avg:aws.ec2.cpu{environment:foo,host:foo} by {host} > 2"
        );
        assert_eq!(m["options"]["escalation_message"], escalation, "{m}");
    };
    trimmed(
        &created,
        "some message Notify: @hipchat-channel",
        "the situation has escalated @pagerduty",
    );
    let id = created["id"].as_i64().expect("id");
    let (_, read) = h.get(&monitor_path(id)).await;
    trimmed(
        &read,
        "some message Notify: @hipchat-channel",
        "the situation has escalated @pagerduty",
    );
    let (status, updated) = h
        .put(
            &monitor_path(id),
            json!({"message": "  updated\n\n",
                "query": "avg(last_1h):avg:aws.ec2.cpu{environment:foo,host:foo} by {host} > 2\n",
                "options": {"escalation_message": "\tagain\n"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    trimmed(&updated, "updated", "again");
    let (_, read) = h.get(&monitor_path(id)).await;
    trimmed(&read, "updated", "again");
    h.stop().await;
}

#[tokio::test]
async fn restriction_policy_is_in_write_answers_only() {
    let h = Sandbox::start(Default::default()).await;
    let created = create_monitor(&h, metric("avg(last_5m):avg:cpu{*} > 1")).await;
    assert_eq!(created.get("restriction_policy"), Some(&Value::Null));
    let id = created["id"].as_i64().expect("id");
    let (status, updated) = h.put(&monitor_path(id), json!({"message": "new"})).await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated.get("restriction_policy"), Some(&Value::Null));
    let (_, read) = h.get(&monitor_path(id)).await;
    assert!(read.get("restriction_policy").is_none(), "{read}");
    let (_, listed) = h.get(MONITORS).await;
    let listed = listed.as_array().expect("a list");
    assert_eq!(listed.len(), 1);
    assert!(listed[0].get("restriction_policy").is_none(), "{listed:?}");
    h.stop().await;
}

#[tokio::test]
async fn metric_alerts_keep_their_type_but_over_calendar_windows() {
    let h = Sandbox::start(Default::default()).await;
    let cases = [
        (
            metric("avg(last_5m):max:system.load.1{*} by {host} > 100"),
            "metric alert",
        ),
        (
            metric("avg(current_1mo):avg:system.load.5{*} > 0.5"),
            "query alert",
        ),
        (
            json!({"type": "query alert", "name": "f", "message": "m",
                "query": "formula(\"query1\").rollup(\"sum\").last(\"5m\") > 124",
                "options": {"thresholds": {"critical": 124}, "variables": [
                    {"data_source": "aggregate_augmented_query", "name": "query1"}]}}),
            "metric alert",
        ),
        (
            json!({"type": "query alert", "name": "q", "message": "m",
                "query": "avg(last_5m):avg:cpu{*} > 1"}),
            "query alert",
        ),
    ];
    for (body, stored) in cases {
        let created = create_monitor(&h, body.clone()).await;
        assert_eq!(created["type"], stored, "{body}");
        let id = created["id"].as_i64().expect("id");
        let (_, read) = h.get(&monitor_path(id)).await;
        assert_eq!(read["type"], stored, "{body}");
    }
    h.stop().await;
}

#[tokio::test]
async fn empty_thresholds_are_dropped_and_classification_is_not_echoed() {
    let h = Sandbox::start(Default::default()).await;
    let mut body = metric("avg(last_5m):avg:cpu{*} > 1");
    body["options"] = json!({"require_full_window": true, "thresholds": {}, "timeout_h": 1});
    body["classification"] = json!("custom");
    let created = create_monitor(&h, body).await;
    let id = created["id"].as_i64().expect("id");
    let (_, read) = h.get(&monitor_path(id)).await;
    for answer in [&created, &read] {
        assert!(
            answer["options"].get("thresholds").is_none(),
            "{}",
            answer["options"]
        );
        assert_eq!(answer["options"]["timeout_h"], 1);
        assert!(answer.get("classification").is_none(), "{answer}");
    }
    // Thresholds that say something are kept.
    let mut body = metric("avg(last_5m):avg:cpu{*} > 1");
    body["options"] = json!({"thresholds": {"critical": 1}});
    let created = create_monitor(&h, body).await;
    assert_eq!(created["options"]["thresholds"]["critical"], json!(1.0));
    h.stop().await;
}

#[tokio::test]
async fn with_restricted_roles_false_reads_without_restricted_roles() {
    let h = Sandbox::start(Default::default()).await;
    let created = create_monitor(&h, metric("avg(last_5m):avg:cpu{*} > 1")).await;
    assert!(created.get("restricted_roles").is_some(), "{created}");
    let id = created["id"].as_i64().expect("id");
    let (_, plain) = h.get(&monitor_path(id)).await;
    assert!(plain.get("restricted_roles").is_some(), "{plain}");
    let (status, without) = h
        .get(&format!("{}?with_restricted_roles=false", monitor_path(id)))
        .await;
    assert_eq!(status, StatusCode::OK, "{without}");
    assert!(without.get("restricted_roles").is_none(), "{without}");
    assert!(without.get("restriction_policy").is_none(), "{without}");
    let mut expected = plain.clone();
    expected.as_object_mut().unwrap().remove("restricted_roles");
    assert_eq!(without, expected, "nothing else differs");
    h.stop().await;
}

#[tokio::test]
async fn widgets_inside_groups_get_ids_and_given_ids_are_kept() {
    let h = Sandbox::start(Default::default()).await;
    let note = |id: Option<i64>| {
        let mut widget = json!({"definition": {"type": "note", "content": "n"}});
        if let Some(id) = id {
            widget["id"] = json!(id);
        }
        widget
    };
    let board = |group_id: Option<i64>, inner: Vec<Value>| {
        let mut group = json!({"definition": {"type": "group", "layout_type": "ordered",
            "title": "g", "widgets": inner}});
        if let Some(id) = group_id {
            group["id"] = json!(id);
        }
        json!({"title": "groups", "layout_type": "ordered", "widgets": [group]})
    };
    let ids = |answer: &Value| -> (Option<i64>, Vec<Option<i64>>) {
        let group = &answer["widgets"][0];
        let inner = group["definition"]["widgets"]
            .as_array()
            .expect("inner widgets")
            .iter()
            .map(|w| w["id"].as_i64())
            .collect();
        (group["id"].as_i64(), inner)
    };

    let (status, created) = h
        .post(
            "/api/v1/dashboard",
            board(None, vec![note(None), note(None)]),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{created}");
    let (group, inner) = ids(&created);
    assert!(group.is_some(), "{created}");
    assert!(inner.iter().all(Option::is_some), "{created}");
    assert_ne!(inner[0], inner[1]);

    let dashboard = created["id"].as_str().expect("id");
    let (status, updated) = h
        .put(
            &format!("/api/v1/dashboard/{dashboard}"),
            board(
                Some(444_605_829_496_771),
                vec![note(Some(8_096_017_487_317_681)), note(None)],
            ),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    let (group, inner) = ids(&updated);
    assert_eq!(group, Some(444_605_829_496_771));
    assert_eq!(inner[0], Some(8_096_017_487_317_681));
    assert!(
        inner[1].is_some_and(|id| id != 8_096_017_487_317_681),
        "{updated}"
    );
    h.stop().await;
}

#[tokio::test]
async fn webhooks_carry_auth_method_id_null_unless_a_person_set_it() {
    let h = Sandbox::start(Default::default()).await;
    let path = |name: &str| format!("{WEBHOOKS}/{name}");
    let (status, plain) = h
        .post(WEBHOOKS, json!({"name": "plain", "url": "https://a"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{plain}");
    assert_eq!(plain.get("auth_method_id"), Some(&Value::Null));

    let (status, linked) = h
        .post(
            WEBHOOKS,
            json!({"name": "linked", "url": "https://a", "auth_method_id": "am-1"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{linked}");
    assert_eq!(linked["auth_method_id"], "am-1");

    // A PUT without it (what ddhooks sends) keeps a person's link.
    let (status, updated) = h.put(&path("linked"), json!({"url": "https://b"})).await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["auth_method_id"], "am-1");
    // A PUT with it sets it, on a webhook that had none too.
    let (_, relinked) = h
        .put(&path("plain"), json!({"auth_method_id": "am-2"}))
        .await;
    assert_eq!(relinked["auth_method_id"], "am-2");
    let (_, read) = h.get(&path("plain")).await;
    assert_eq!(read["auth_method_id"], "am-2");
    let (_, read) = h.get(&path("linked")).await;
    assert_eq!(read["auth_method_id"], "am-1");
    h.stop().await;
}
