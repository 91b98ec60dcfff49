//! Nothing ddhooks does not model is lost: a rule (PATCH replaces it whole) keeps its
//! `bundle_config`, a board (PUT replaces it whole) keeps its `template_variables`,
//! `notify_list`, `tags`, `reflow_type`, `restricted_roles` and fields Datadog may add, and
//! a webhook keeps the `auth_method_id` a person linked, through applies that change what
//! the manifests set. A seeded property test draws the extra fields.

use crate::kit::e2e::E2e;
use crate::kit::fixtures::SCENARIO;
use crate::kit::seed::seeded;
use rand::Rng;
use serde_json::{json, Map, Value};

/// The scenario's block delivered by a rule that notifies `extra` on alert besides the pair.
fn by_rule(extra: &str) -> String {
    format!("{SCENARIO}    delivery: rule\n    notify:\n      is_alert: [\"{extra}\"]\n")
}

/// A status board counting the pairs `pairs`.
fn board(pairs: &[&str]) -> String {
    format!(
        "status_boards:\n  checkout:\n    title: Checkout monitors status\n    pairs: [{}]\n",
        pairs.join(", ")
    )
}

/// A second pair, for a board that gains a widget.
const SECOND_PAIR: &str =
    "  other:\n    check: other.status\n    tags: [\"monitor_id:$ALERT_ID\"]\n";

/// The scenario with a second pair declared (after `grp`, under `webhook_pairs:`).
fn with_second_pair() -> String {
    SCENARIO.replacen(
        "\nmonitor_notifications:",
        &format!("{SECOND_PAIR}\nmonitor_notifications:"),
        1,
    )
}

async fn dashboard(e: &E2e) -> (String, Value) {
    let (status, list) = e.get("/api/v1/dashboard").await;
    assert_eq!(status, 200, "{list}");
    let id = list["dashboards"][0]["id"]
        .as_str()
        .expect("a dashboard")
        .to_string();
    let (status, board) = e.get(&format!("/api/v1/dashboard/{id}")).await;
    assert_eq!(status, 200, "{board}");
    (id, board)
}

/// A person sets `fields` on dashboard `id` (a PUT of the board as read, with them).
async fn set_board_fields(e: &E2e, id: &str, fields: &Map<String, Value>) {
    let path = format!("/api/v1/dashboard/{id}");
    let (_, mut board) = e.get(&path).await;
    for (k, v) in fields {
        board[k] = v.clone();
    }
    let (status, answer) = e.put(&path, board).await;
    assert_eq!(status, 200, "{answer}");
}

/// A person links webhook `name` to an auth method (what Datadog's UI does).
async fn link_auth_method(e: &E2e, name: &str, auth_method_id: &str) {
    let (status, answer) = e
        .put(
            &format!("/api/v1/integration/webhooks/configuration/webhooks/{name}"),
            json!({"auth_method_id": auth_method_id}),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_adopted_rule_keeps_its_bundle_config_when_its_recipients_change() {
    let e = E2e::start().await;
    e.scenario_with_a_checkout_monitor().await;
    let id = e
        .create_rule(json!({
            "name": "grp",
            "filter": {"tags": ["team:checkout"]},
            "recipients": ["slack-checkout"],
            "bundle_config": {"duration": 300},
        }))
        .await;
    e.add_integrations(&["pagerduty:checkout"]).await;
    e.write("checkout.yaml", &by_rule("@pagerduty-checkout"));
    let plan = e.plan(&[]).await;
    plan.assert_exit_shows(0, &["notification_rule.grp will be adopted"]);
    e.apply_and_assert_converged().await;
    let rules = e.rules().await;
    assert_eq!(rules.len(), 1, "{rules:?}");
    assert_eq!(rules[0]["id"], id.as_str(), "adopted, not made again");
    let attributes = &rules[0]["attributes"];
    assert_eq!(attributes["bundle_config"], json!({"duration": 300}));
    assert!(attributes["recipients"].is_null(), "{attributes}");
    let conditions = attributes["conditional_recipients"].to_string();
    assert!(
        conditions.contains("pagerduty-checkout") && !conditions.contains("slack-checkout"),
        "the recipients are the manifests': {conditions}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_board_keeps_what_people_set_when_a_widget_is_added() {
    let e = E2e::start_with_a_board(&board(&["grp"])).await;
    let (id, _) = dashboard(&e).await;
    let people: Map<String, Value> = json!({
        "template_variables": [{"name": "env", "prefix": "env", "default": "prod"}],
        "notify_list": ["@jane@example.com"],
        "tags": ["team:checkout"],
        "reflow_type": "fixed",
        "restricted_roles": ["00000000-0000-0000-0000-000000000001"],
    })
    .as_object()
    .cloned()
    .unwrap();
    set_board_fields(&e, &id, &people).await;
    e.assert_converged().await;

    e.write("checkout.yaml", &with_second_pair());
    e.write("board.yaml", &board(&["grp", "other"]));
    let plan = e.plan(&[]).await;
    plan.assert_shows(&["~ status_board.checkout will be updated in place"]);
    e.apply_and_assert_converged().await;
    let (_, after) = dashboard(&e).await;
    assert_eq!(
        after["widgets"].as_array().map(Vec::len),
        Some(2),
        "{after}"
    );
    for (k, v) in &people {
        assert_eq!(&after[k], v, "{k} kept");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_keeps_its_auth_method_when_its_payload_changes() {
    let e = E2e::start().await;
    e.scenario_with_a_checkout_monitor().await;
    e.apply_ok().await;
    link_auth_method(
        &e,
        "grp-alert-check",
        "7b168e05-f454-4758-b42e-0fcb1f3accaf",
    )
    .await;
    e.assert_converged().await;
    e.write(
        "checkout.yaml",
        &SCENARIO.replace("team:checkout\"]\n\nmonitor", "team:payments\"]\n\nmonitor"),
    );
    let plan = e.plan(&[]).await;
    plan.assert_shows(&["~ webhook.grp-alert-check will be updated in place"]);
    e.apply_and_assert_converged().await;
    let hook = e.webhook("grp-alert-check").await.expect("webhook");
    assert!(
        hook["payload"]
            .as_str()
            .unwrap_or_default()
            .contains("team:payments"),
        "{hook}"
    );
    assert_eq!(
        hook["auth_method_id"], "7b168e05-f454-4758-b42e-0fcb1f3accaf",
        "{hook}"
    );
}

/// A random JSON value: what a field Datadog adds later might hold.
fn any_value(rng: &mut impl Rng, depth: u32) -> Value {
    match rng.random_range(0..if depth == 0 { 4 } else { 6 }) {
        0 => Value::Null,
        1 => json!(rng.random_bool(0.5)),
        2 => json!(rng.random_range(-1_000_000i64..1_000_000)),
        3 => json!(format!("v{}", rng.random_range(0..1000u32))),
        4 => Value::Array(
            (0..rng.random_range(0..3))
                .map(|_| any_value(rng, depth - 1))
                .collect(),
        ),
        _ => {
            let mut map = Map::new();
            for i in 0..rng.random_range(0..3) {
                map.insert(format!("k{i}"), any_value(rng, depth - 1));
            }
            Value::Object(map)
        }
    }
}

/// Random extra fields on a board: some of the ones Datadog documents, and unknown ones.
fn board_extras(rng: &mut impl Rng) -> Map<String, Value> {
    let mut fields = Map::new();
    if rng.random_bool(0.7) {
        fields.insert(
            "template_variables".into(),
            json!([{"name": format!("v{}", rng.random_range(0..99u8)), "prefix": "env", "default": "*"}]),
        );
    }
    if rng.random_bool(0.7) {
        fields.insert(
            "notify_list".into(),
            json!([format!("@u{}@example.com", rng.random_range(0..99u8))]),
        );
    }
    if rng.random_bool(0.5) {
        fields.insert(
            "tags".into(),
            json!([format!("team:t{}", rng.random_range(0..99u8))]),
        );
    }
    if rng.random_bool(0.5) {
        fields.insert(
            "reflow_type".into(),
            json!(if rng.random_bool(0.5) {
                "auto"
            } else {
                "fixed"
            }),
        );
    }
    for i in 0..rng.random_range(1..4) {
        fields.insert(format!("x_future_{i}"), any_value(rng, 2));
    }
    fields
}

/// The seeded property: extra fields on a rule (`bundle_config`), a board (documented and
/// unknown fields) and a webhook (`auth_method_id`), then applies that change what the
/// manifests set on each; every extra field is still there, value for value.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extra_fields_survive_applies_that_change_the_modelled_ones() {
    let mut seed = seeded("extra_fields_survive_applies_that_change_the_modelled_ones");
    let replay = seed.replay();
    let e = E2e::start().await;
    e.scenario_with_a_checkout_monitor().await;
    e.write("checkout.yaml", &by_rule("@slack-a"));
    e.write("board.yaml", &board(&["grp"]));
    e.apply_ok().await;
    let rule_id = e.rules().await[0]["id"].as_str().expect("rule").to_string();
    let (board_id, _) = dashboard(&e).await;
    for round in 0..4 {
        let rng = &mut seed.rng;
        let duration = rng.random_range(60..3600u32);
        let rule = &e.rules().await[0]["attributes"];
        let mut rule = rule.clone();
        rule["bundle_config"] = json!({"duration": duration});
        for owned in ["created_at", "modified_at"] {
            rule.as_object_mut().unwrap().remove(owned);
        }
        e.replace_rule(&rule_id, rule).await;
        let extras = board_extras(rng);
        set_board_fields(&e, &board_id, &extras).await;
        let auth = format!(
            "00000000-0000-4000-8000-{:012}",
            rng.random_range(0..1_000_000u64)
        );
        link_auth_method(&e, "grp-ok-check", &auth).await;

        // Change every modelled side: the rule's recipients, the board's widgets, the
        // webhooks' payload tags.
        let handle = format!("@slack-r{round}");
        let pairs: &[&str] = if round % 2 == 0 {
            &["grp", "other"]
        } else {
            &["grp"]
        };
        let manifests = by_rule(&handle).replace(
            "team:checkout\"]\n\nmonitor",
            &format!("team:r{round}\"]\n\nmonitor"),
        );
        let manifests = manifests.replacen(
            "\nmonitor_notifications:",
            &format!("{SECOND_PAIR}\nmonitor_notifications:"),
            1,
        );
        e.write("checkout.yaml", &manifests);
        e.write("board.yaml", &board(pairs));
        e.apply_and_assert_converged().await;

        let rule = &e.rules().await[0]["attributes"];
        assert_eq!(
            rule["bundle_config"],
            json!({"duration": duration}),
            "round {round}, {replay}"
        );
        assert!(
            rule.to_string().contains(&handle[1..]),
            "round {round}: {rule}, {replay}"
        );
        let (_, after) = dashboard(&e).await;
        assert_eq!(
            after["widgets"].as_array().map(Vec::len),
            Some(pairs.len()),
            "round {round}, {replay}"
        );
        for (k, v) in &extras {
            assert_eq!(&after[k], v, "round {round}: board field {k}, {replay}");
        }
        let hook = e.webhook("grp-ok-check").await.expect("webhook");
        assert!(hook["payload"]
            .as_str()
            .unwrap_or_default()
            .contains(&format!("team:r{round}")));
        assert_eq!(
            hook["auth_method_id"],
            auth.as_str(),
            "round {round}, {replay}"
        );
    }
}
