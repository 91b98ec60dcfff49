//! Routing tests: a case checked in beside the manifests passes while the route holds, and
//! once a change breaks it, `ddhooks test` fails at the case's line (text and JUnit) and the
//! plan is an error whose Markdown says routing broke. `--offline` runs the cases that
//! describe a monitor and skips those about the org.

use crate::kit::cli;
use crate::kit::e2e::E2e;

/// A block paging `@pagerduty-x` on alert (or `pager`), and two cases: one about the org's
/// checkout monitors (its name at line 9, column 3), one describing a checkout monitor.
fn manifests(pager: &str) -> String {
    format!(
        "monitor_notifications:\n  pages:\n    monitors: {{tags: [\"team:checkout\"]}}\n    notify:\n      is_alert: [\"{pager}\"]\n      is_recovery: [\"@slack-checkout\"]\n\nrouting_tests:\n  checkout-pages:\n    monitors: {{tags: [\"team:checkout\"]}}\n    transition: alert\n    includes: [\"@pagerduty-x\"]\n  recovery-tells-slack:\n    given: {{tags: [\"team:checkout\"]}}\n    transition: recovery\n    exactly: [\"@slack-checkout\"]\n"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_passes_then_fails_at_its_line_when_a_change_breaks_the_route() {
    let mut e = E2e::start().await;
    e.add_integrations(&["pagerduty:x"]).await;
    e.checkout_monitor("[checkout] errors", "Errors").await;
    e.write("routing.yaml", &manifests("@pagerduty-x"));

    let passing = e.verb("test", &[]).await;
    passing.assert_exit_shows(
        0,
        &[
            "ok: checkout-pages (alert)",
            "2 passed, 0 failed, 0 skipped",
        ],
    );
    let plan = e.plan(&[]).await;
    assert_eq!(plan.code, 0, "{}", plan.all());

    e.write("routing.yaml", &manifests("@slack-oncall"));
    let failing = e.verb("test", &[]).await;
    failing.assert_exit_shows(
        1,
        &[
            "routing.yaml:9:3: error: routing test `checkout-pages` failed on alert",
            "expected @pagerduty-x to be notified: not notified",
            "@slack-oncall (block pages)",
            "1 passed, 1 failed, 0 skipped",
        ],
    );

    let markdown = e.plan(&["--format", "markdown"]).await;
    assert_eq!(markdown.code, 1, "a failing routing test fails the plan");
    markdown.assert_shows(&[
        "routing_test.checkout-pages",
        "routing test failed on alert",
        "expected @pagerduty-x to be notified",
    ]);

    let junit = e.verb("test", &["--format", "junit"]).await;
    junit.assert_exit_shows(
        1,
        &[
            "<testsuite name=\"routing_tests\" tests=\"2\"",
            "<testcase name=\"checkout-pages\"",
            "<failure message=\"on alert: monitor",
            "<testcase name=\"recovery-tells-slack\"",
        ],
    );

    // In GitHub Actions the failure is also an annotation at the case's line (stderr).
    e.env.push(("GITHUB_ACTIONS".into(), "true".into()));
    let annotated = e.verb("test", &["--format", "json"]).await;
    assert_eq!(annotated.code, 1);
    let json: serde_json::Value = serde_json::from_str(&annotated.stdout).expect("json");
    assert_eq!(json["failed"], 1, "{json}");
    assert_eq!(json["cases"][0]["name"], "checkout-pages");
    assert_eq!(json["cases"][0]["line"], 9);
    assert!(
        annotated.stderr.contains("::error file=") && annotated.stderr.contains(",line=9,"),
        "{}",
        annotated.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_runs_the_given_cases_and_skips_the_org_ones() {
    let e = E2e::start().await;
    e.write("routing.yaml", &manifests("@pagerduty-x"));
    let dir = e.manifests();
    // No --api-url and no keys needed: nothing is read.
    let run = cli::run(cli::command(&[
        "test",
        dir.to_str().expect("utf-8 path"),
        "--offline",
    ]))
    .await;
    run.assert_exit_shows(
        0,
        &[
            "skipped: checkout-pages: selects monitors of the org: needs Datadog",
            "ok: recovery-tells-slack (recovery)",
            "1 passed, 0 failed, 1 skipped",
        ],
    );
}
