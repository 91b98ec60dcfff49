//! Every handle checked against the org (issue 23): a block writing a Slack channel the
//! account lacks fails the plan at its line with a did-you-mean and its writes are held
//! (apply writes nothing of it); a person's unknown PagerDuty service in a managed monitor
//! is a warning naming the monitor; a correct set of handles plans clean; a key that may
//! not read an integration gets one warning, never a failure; `routes` marks recipients
//! that name nothing; a routing test naming one fails at its line; `--no-handle-check`
//! turns it all off.

use crate::kit::e2e::E2e;
use ddhooks::sandbox::SandboxConfig;

/// A block paging `slack` on alert for the checkout monitors (the handle on line 5).
fn block(slack: &str) -> String {
    format!(
        "monitor_notifications:\n  checkout:\n    monitors: {{tags: [\"team:checkout\"]}}\n    notify:\n      is_alert: [\"{slack}\"]\n"
    )
}

/// An org whose Slack account `main` has `#checkout-alerts`, with PagerDuty service
/// `checkout`, and one checkout monitor whose people's text pages `pager`.
async fn org(e: &E2e, pager: &str) -> i64 {
    e.add_integrations(&["slack:main:checkout-alerts", "pagerduty:checkout"])
        .await;
    e.checkout_monitor(
        "[checkout] errors",
        &format!("Errors are up.\nPage {pager} now."),
    )
    .await
}

/// [`org`] with two mistakes: the people's text pages PagerDuty service `nosuch`, and a
/// block pages the misspelt channel `#checkout-alerst`; returns the monitor's id.
async fn mistyped(e: &E2e) -> i64 {
    let id = org(e, "@pagerduty-nosuch").await;
    e.write("blocks.yaml", &block("@slack-main-checkout-alerst"));
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mistyped_channel_fails_the_plan_at_its_line_and_is_never_written() {
    let e = E2e::start().await;
    let id = mistyped(&e).await;

    let plan = e.plan(&[]).await;
    assert_eq!(
        plan.code,
        1,
        "an unknown handle a block writes is an error\n{}",
        plan.all()
    );
    plan.assert_shows(&[
        "notification_block.checkout",
        "blocks.yaml:5:",
        "`@slack-main-checkout-alerst` names nothing in the org",
        "Slack account `main` has no channel `#checkout-alerst`",
        "did you mean `@slack-main-checkout-alerts`?",
        "the block's writes are held until it is fixed",
        // People's text is only warned about, naming the monitor and quoting the line.
        &format!("monitor {id} \"[checkout] errors\": `@pagerduty-nosuch` on line 2 (\"Page @pagerduty-nosuch now.\")"),
        "the PagerDuty integration has no service named `nosuch`",
    ]);
    // In GitHub Actions it is an annotation at the handle itself.
    let mut annotated = E2e::start().await;
    org(&annotated, "@pagerduty-checkout").await;
    annotated.write("blocks.yaml", &block("@slack-main-checkout-alerst"));
    annotated.env.push(("GITHUB_ACTIONS".into(), "true".into()));
    let run = annotated.plan(&[]).await;
    assert!(
        run.stderr.contains("::error file=") && run.stderr.contains("blocks.yaml,line=5,"),
        "{}",
        run.all()
    );
    let markdown = e.plan(&["--format", "markdown"]).await;
    markdown.assert_shows(&[
        "notification_block.checkout",
        "did you mean `@slack-main-checkout-alerts`?",
    ]);

    // Apply writes nothing of the held block, and says why.
    let apply = e.apply(&[]).await;
    assert_eq!(apply.code, 1, "{}", apply.all());
    let message = e.message(id).await;
    assert!(!message.contains("checkout-alerst"), "{message}");
    assert!(!message.contains("ddhooks:"), "{message}");

    // Fixed, the block plans; the person's handle still warns.
    e.write("blocks.yaml", &block("@slack-main-checkout-alerts"));
    let fixed = e.plan(&[]).await;
    fixed.assert_exit_shows(
        0,
        &[
            "@slack-main-checkout-alerts",
            "`@pagerduty-nosuch` on line 2",
        ],
    );
    assert!(!fixed.all().contains("Error:"), "{}", fixed.all());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_correct_set_of_handles_plans_clean() {
    let e = E2e::start().await;
    org(&e, "@pagerduty-checkout").await;
    e.write("blocks.yaml", &block("@slack-main-checkout-alerts"));
    let plan = e.plan(&[]).await;
    assert_eq!(plan.code, 0, "{}", plan.all());
    assert!(!plan.all().contains("names nothing"), "{}", plan.all());
    assert!(!plan.all().contains("Warning"), "{}", plan.all());
    e.apply_and_assert_converged().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_without_the_integration_permission_plans_with_one_warning() {
    let config = SandboxConfig {
        denied_permissions: ["integrations_read".to_string()].into(),
        ..SandboxConfig::default()
    };
    let e = E2e::with_config(config, crate::kit::cli::API_KEY).await;
    mistyped(&e).await;
    let plan = e.plan(&[]).await;
    assert_eq!(
        plan.code,
        0,
        "a forbidden check is never a failed plan\n{}",
        plan.all()
    );
    let all = plan.all();
    let forbidden = all
        .matches("lacks the `integrations_read` permission")
        .count();
    // Slack and PagerDuty are both behind it: one warning per integration, none per handle.
    assert_eq!(forbidden, 2, "{all}");
    assert!(!all.contains("names nothing"), "{all}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routes_marks_what_names_nothing_and_the_check_can_be_turned_off() {
    let e = E2e::start().await;
    let id = mistyped(&e).await;

    let routes = e.verb("routes", &["--format", "json"]).await;
    assert_eq!(routes.code, 0, "{}", routes.all());
    let table: serde_json::Value = serde_json::from_str(&routes.stdout).expect("json");
    let alert = table["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["monitor_id"] == id && r["transition"] == "alert")
        .expect("the alert row")
        .clone();
    let recipient = |handle: &str| {
        alert["recipients"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["handle"] == handle)
            .unwrap_or_else(|| panic!("{handle} in {alert}"))
            .clone()
    };
    let typo = recipient("slack-main-checkout-alerst");
    assert!(
        typo["unresolved"]
            .as_str()
            .unwrap()
            .contains("did you mean `@slack-main-checkout-alerts`"),
        "{typo}"
    );
    assert!(recipient("pagerduty-nosuch")["unresolved"].is_string());

    // Off: the plan is clean of the check, and routes marks nothing.
    let unchecked = e.plan(&["--no-handle-check"]).await;
    assert_eq!(unchecked.code, 0, "{}", unchecked.all());
    assert!(
        !unchecked.all().contains("names nothing"),
        "{}",
        unchecked.all()
    );
    let routes = e.verb("routes", &["--no-handle-check"]).await;
    routes.assert_hides(&["names nothing"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_routing_test_naming_nothing_fails_at_its_line() {
    let e = E2e::start().await;
    org(&e, "@pagerduty-checkout").await;
    e.write(
        "tests.yaml",
        "routing_tests:\n  pages:\n    monitors: {tags: [\"team:checkout\"]}\n    transition: alert\n    excludes: [\"@pagerduty-chekout\"]\n",
    );
    let test = e.verb("test", &[]).await;
    assert_eq!(test.code, 1, "{}", test.all());
    test.assert_stderr_shows(&[
        "Error: routing_test.pages:",
        "tests.yaml:2:3:",
        "`@pagerduty-chekout` names nothing in the org",
    ]);
    let plan = e.plan(&[]).await;
    plan.assert_exit_shows(
        1,
        &["routing_test.pages", "`@pagerduty-chekout` names nothing"],
    );
}

/// Import looks up the handles the imported monitors mention while it still reads their
/// webhooks: a mistyped channel is a warning naming the monitor (with a did-you-mean), a
/// known one is not, and each webhook and each Slack account is asked for once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_warns_of_a_handle_naming_nothing_and_asks_each_question_once() {
    let e = E2e::start().await;
    e.add_integrations(&["slack:main:checkout-alerts"]).await;
    let (status, answer) = e
        .sandbox
        .post(
            crate::kit::sandbox::WEBHOOKS,
            serde_json::json!({"name": "sms-oncall", "url": "https://sms.example.com/send"}),
        )
        .await;
    assert_eq!(status, 201, "{answer}");
    let id = e
        .checkout_monitor(
            "[checkout] errors",
            "Errors.\n@webhook-sms-oncall @slack-main-checkout-alerts @slack-main-checkout-alerst",
        )
        .await;
    e.sandbox.clear_requests().await;
    let run = e.import(&e.path("imported"), &[]).await;
    assert_eq!(run.code, 0, "{}", run.all());
    let warning =
        format!("`@slack-main-checkout-alerst` (in monitors {id}) names nothing in the org");
    assert!(run.stderr.contains(&warning), "{}", run.all());
    for known in ["@slack-main-checkout-alerts", "@webhook-sms-oncall"] {
        let warning = format!("Warning: `{known}`");
        assert!(!run.stderr.contains(&warning), "{}", run.all());
    }
    let counts = e.sandbox.request_counts().await;
    assert_eq!(
        counts.get(crate::kit::sandbox::route::WEBHOOK_READ),
        Some(&1),
        "{counts:?}"
    );
    let slack = counts
        .iter()
        .filter(|(route, _)| route.contains("/slack/"))
        .map(|(_, n)| n)
        .sum::<u64>();
    // Account `main`, then `main-checkout` (a Slack handle's account may hold a dash):
    // each once, though the lookups began before the webhook reads ended.
    assert_eq!(slack, 2, "{counts:?}");
}
