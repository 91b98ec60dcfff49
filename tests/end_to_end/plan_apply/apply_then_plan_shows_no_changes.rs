//! Idempotence: apply followed by plan shows `No changes.` — the scenario end to end (the
//! pair's check runs land on transitions), an update, and a saved plan applied as is.

use crate::kit::e2e::E2e;
use crate::kit::fixtures::{block, pair_body, statuses_for as runs_for, SCENARIO};
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scenario_plan_apply_converge_and_transitions_land_check_runs() {
    let e = E2e::start().await;
    let errors_msg =
        "Error rate above 5% on {{service.name}}.\n{{#is_alert}} @pagerduty-checkout {{/is_alert}}";
    let latency_msg = "p99 latency is {{value}} ms 📈  ";
    let disk_msg = "Disk almost full @ops-storage";
    let errors = e
        .create_monitor(
            "[checkout] errors",
            &["team:checkout", "service:api"],
            errors_msg,
        )
        .await;
    let latency = e.checkout_monitor("[checkout] latency", latency_msg).await;
    let disk = e.create_monitor("disk", &["team:storage"], disk_msg).await;
    e.write("checkout.yaml", SCENARIO);

    e.clear_requests().await;
    let plan = e.plan(&[]).await;
    plan.assert_exit_shows(
        0,
        &[
            "+ custom_variable.DD_API_KEY will be created",
            "+ webhook.grp-alert-check will be created",
            "+ webhook.grp-ok-check will be created",
            &format!("monitor.{errors} \"[checkout] errors\": add block grp"),
            &format!("monitor.{latency} \"[checkout] latency\": add block grp"),
            "Plan: 5 to create, 0 to update, 0 to delete.",
        ],
    );
    plan.assert_hides(&[&format!("monitor.{disk}")]);
    assert_eq!(e.writes().await, 0, "plan writes nothing");

    let apply = e.apply_ok().await;
    apply.assert_shows(&["Apply complete: 5 created, 0 updated, 0 deleted."]);
    e.assert_converged().await;

    // People's text as Datadog holds it: trimmed when the monitor was made.
    let grp = block("grp", &pair_body("grp"));
    assert_eq!(
        e.message(errors).await,
        format!("{}\n\n{grp}", errors_msg.trim())
    );
    assert_eq!(
        e.message(latency).await,
        format!("{}\n\n{grp}", latency_msg.trim())
    );
    assert_eq!(e.message(disk).await, disk_msg.trim());
    let var = e.variable("DD_API_KEY").await.expect("variable created");
    assert_eq!(var["is_secret"], true, "{var}");
    assert!(
        var["value"].is_null(),
        "a secret's value is not returned: {var}"
    );

    // The pair's webhooks fire on transitions and their check runs land in the sandbox.
    e.transition(errors, "Alert").await;
    assert_eq!(runs_for(&e.check_runs().await, errors), [2]);
    e.transition(latency, "Alert").await;
    e.transition(errors, "OK").await;
    let runs = e.check_runs().await;
    assert_eq!(runs_for(&runs, errors), [2, 0]);
    assert_eq!(runs_for(&runs, latency), [2]);
    assert!(runs.iter().all(|r| r["check"] == "grp.status"), "{runs:?}");
    e.transition(disk, "Alert").await;
    assert_eq!(
        e.check_runs().await.len(),
        3,
        "the storage monitor has no block"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changed_payload_and_url_are_an_update_with_a_field_diff() {
    let e = E2e::start().await;
    let id = e.checkout_monitor("[checkout] errors", "Errors").await;
    let manifest = |url: &str, payload: &str| {
        format!(
            "webhooks:\n  chat:\n    url: {url}\n    payload: {payload}\nmonitor_notifications:\n  chat:\n    monitors: {{tags: [\"team:checkout\"]}}\n    notify:\n      is_alert: [\"@webhook-chat\"]\n"
        )
    };
    e.write(
        "chat.yaml",
        &manifest("https://chat.example.com/a", "{text: \"$EVENT_TITLE\"}"),
    );
    e.apply_and_assert_converged().await;
    let before_msg = e.message(id).await;

    e.write(
        "chat.yaml",
        &manifest(
            "https://chat.example.com/b",
            "{text: \"$EVENT_TITLE\", link: \"$LINK\"}",
        ),
    );
    let plan = e.plan(&["--detailed-exitcode"]).await;
    plan.assert_exit_shows(
        2,
        &[
            "  ~ webhook.chat will be updated in place",
            "~ url",
            "\"https://chat.example.com/a\" -> \"https://chat.example.com/b\"",
            "~ payload:",
            "+  \"link\": \"$LINK\"",
            "Plan: 0 to create, 1 to update, 0 to delete.",
        ],
    );
    assert!(
        !plan.stdout.contains("monitor."),
        "the block did not change:\n{}",
        plan.all()
    );

    let apply = e.apply_ok().await;
    apply.assert_shows(&["Apply complete: 0 created, 1 updated, 0 deleted."]);
    let hook = e.webhook("chat").await.expect("webhook");
    assert_eq!(hook["url"], "https://chat.example.com/b");
    let payload: Value =
        serde_json::from_str(hook["payload"].as_str().expect("payload is JSON text")).unwrap();
    assert_eq!(payload, json!({"text": "$EVENT_TITLE", "link": "$LINK"}));
    assert_eq!(e.message(id).await, before_msg);
    e.assert_converged().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saved_plan_applies_when_nothing_changed() {
    let e = E2e::start().await;
    let id = e.scenario_with_a_checkout_monitor().await;
    let (out, _) = e.save_plan().await;
    let apply = e.apply(&["--plan", out.to_str().unwrap()]).await;
    apply.assert_exit_shows(0, &["Apply complete: 4 created, 0 updated, 0 deleted."]);
    assert!(e.message(id).await.contains("ddhooks:begin grp"));
    e.assert_converged().await;
}
