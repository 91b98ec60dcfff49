//! `delivery: rule`: a group delivered by a monitor notification rule leaves every monitor
//! message byte for byte as people wrote it, and a simulated Alert still lands the pair's
//! check run, through the rule. Switching delivery either way is one plan and converges.

use crate::kit::e2e::E2e;
use crate::kit::fixtures::{block, pair_body, statuses_for, SCENARIO};
use serde_json::json;

/// The scenario's manifests with the block delivered by a rule.
fn by_rule() -> String {
    format!("{SCENARIO}    delivery: rule\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rule_routes_the_pair_and_no_message_changes() {
    let e = E2e::start().await;
    let people = "Error rate above 5%.\n{{#is_alert}} @pagerduty-checkout {{/is_alert}}  ";
    let errors = e.checkout_monitor("[checkout] errors", people).await;
    let other = e.create_monitor("disk", &["team:storage"], "Disk").await;
    e.write("checkout.yaml", &by_rule());

    let plan = e.plan(&[]).await;
    plan.assert_exit_shows(
        0,
        &[
            "+ notification_rule.grp will be created",
            "transition_type:is_alert",
            "webhook-grp-alert-check",
            "Plan: 4 to create, 0 to update, 0 to delete.",
        ],
    );
    plan.assert_hides(&[&format!("monitor.{errors}"), "block grp"]);

    e.apply_and_assert_converged().await;
    assert_eq!(
        e.message(errors).await,
        people.trim(),
        "not one byte changed (of the text as Datadog stored it, trimmed)"
    );
    assert_eq!(e.message(other).await, "Disk");
    let rules = e.rules().await;
    assert_eq!(rules.len(), 1, "{rules:?}");
    let attributes = &rules[0]["attributes"];
    assert_eq!(attributes["name"], "grp");
    assert_eq!(attributes["filter"], json!({"tags": ["team:checkout"]}));
    assert_eq!(
        attributes["conditional_recipients"]["conditions"],
        json!([
            {"scope": "transition_type:is_alert", "recipients": ["webhook-grp-alert-check"]},
            {"scope": "transition_type:is_recovery", "recipients": ["webhook-grp-ok-check"]},
        ])
    );

    e.transition(errors, "Alert").await;
    assert_eq!(statuses_for(&e.check_runs().await, errors), [2]);
    e.transition(errors, "OK").await;
    assert_eq!(statuses_for(&e.check_runs().await, errors), [2, 0]);
    e.transition(other, "Alert").await;
    assert!(statuses_for(&e.check_runs().await, other).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn switching_delivery_both_ways_converges() {
    let e = E2e::start().await;
    let errors = e.scenario_with_a_checkout_monitor().await;
    e.apply_ok().await;
    let grp = block("grp", &pair_body("grp"));
    assert_eq!(e.message(errors).await, format!("Errors\n\n{grp}"));

    // Message to rule: the rule is created and the block removed, in one plan.
    e.write("checkout.yaml", &by_rule());
    let plan = e.plan(&[]).await;
    plan.assert_shows(&[
        "+ notification_rule.grp will be created",
        &format!("monitor.{errors} \"[checkout] errors\": remove block grp"),
        "Plan: 1 to create, 0 to update, 1 to delete.",
    ]);
    e.apply_and_assert_converged().await;
    assert_eq!(e.message(errors).await, "Errors");
    assert_eq!(e.rules().await.len(), 1);
    e.transition(errors, "Alert").await;
    assert_eq!(statuses_for(&e.check_runs().await, errors), [2]);

    // Rule to message: the block comes back and the rule goes.
    e.write("checkout.yaml", SCENARIO);
    let plan = e.plan(&[]).await;
    plan.assert_shows(&[
        &format!("monitor.{errors} \"[checkout] errors\": add block grp"),
        "- notification_rule.grp will be deleted",
    ]);
    e.apply_and_assert_converged().await;
    assert_eq!(e.message(errors).await, format!("Errors\n\n{grp}"));
    assert!(e.rules().await.is_empty());
    e.transition(errors, "OK").await;
    assert_eq!(statuses_for(&e.check_runs().await, errors), [2, 0]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rule_made_by_hand_with_the_name_is_adopted_and_corrected() {
    let e = E2e::start().await;
    e.checkout_monitor("[checkout] errors", "Errors").await;
    let (status, made) = e
        .post(
            "/api/v2/monitor/notification_rule",
            json!({"data": {"type": "monitor-notification-rule", "attributes": {
                "name": "grp",
                "filter": {"tags": ["team:checkout"]},
                "recipients": ["slack-checkout"]
            }}}),
        )
        .await;
    assert_eq!(status, 200, "{made}");
    let id = made["data"]["id"].as_str().expect("id").to_string();
    e.write("checkout.yaml", &by_rule());
    let plan = e.plan(&[]).await;
    plan.assert_shows(&[
        "~ notification_rule.grp will be adopted and updated",
        "\"slack-checkout\"",
    ]);
    e.apply_and_assert_converged().await;
    let rules = e.rules().await;
    assert_eq!(rules.len(), 1, "adopted, not duplicated: {rules:?}");
    assert_eq!(rules[0]["id"], id.as_str());
    assert!(rules[0]["attributes"]["recipients"].is_null());
}

/// `always:` becomes a rule's plain `recipients` (every transition), `otherwise:` its
/// `fallback_recipients` (when no condition applied); both converge, and a transition that
/// no condition routes fires the fallback.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn always_and_otherwise_become_plain_and_fallback_recipients() {
    let e = E2e::start().await;
    let errors = e.scenario_with_a_checkout_monitor().await;
    let manifests = format!(
        "{SCENARIO}    delivery: rule\n    otherwise: [\"@webhook-grp-ok-check\"]\n  everything:\n    delivery: rule\n    monitors: {{tags: [\"team:checkout\"]}}\n    always: \"@slack-checkout-firehose\"\n"
    );
    e.write("checkout.yaml", &manifests);
    let plan = e.plan(&[]).await;
    plan.assert_exit_shows(
        0,
        &[
            "+ notification_rule.grp will be created",
            "+ notification_rule.everything will be created",
            "fallback_recipients",
        ],
    );
    e.apply_and_assert_converged().await;
    let rules = e.rules().await;
    let by_name = |name: &str| {
        rules
            .iter()
            .find(|r| r["attributes"]["name"] == name)
            .map(|r| r["attributes"].clone())
            .unwrap_or_default()
    };
    assert_eq!(
        by_name("everything")["recipients"],
        json!(["slack-checkout-firehose"])
    );
    assert_eq!(
        by_name("grp")["conditional_recipients"]["fallback_recipients"],
        json!(["webhook-grp-ok-check"])
    );
    // Warn is neither of the pair's conditions: the fallback fires (status 0 from ok-check).
    let warn = e.transition(errors, "Warn").await;
    assert_eq!(warn["fired"], json!(["grp-ok-check"]), "{warn}");
    assert!(
        warn["recipients"]
            .to_string()
            .contains("slack-checkout-firehose"),
        "{warn}"
    );
}
