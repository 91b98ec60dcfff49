//! `ddhooks import` lists the dashboards beside the monitors, before it knows whether any
//! webhooks form a pair, but needs the answer only when some do (a status board can only
//! show a pair). A key that may not read dashboards (Datadog's 403 for `dashboards_read`)
//! imports an org without pairs as before, and fails, saying so, on an org with one.

use crate::kit::cli::API_KEY;
use crate::kit::e2e::E2e;
use crate::kit::sandbox::WEBHOOKS;
use ddhooks::sandbox::SandboxConfig;
use serde_json::json;

/// A sandbox whose key lacks `dashboards_read`, with a monitor mentioning each of
/// `webhooks` (which exist).
async fn org_without_dashboards_read(webhooks: &[&str]) -> E2e {
    let config = SandboxConfig {
        denied_permissions: ["dashboards_read".to_string()].into(),
        ..SandboxConfig::default()
    };
    let e = E2e::with_config(config, API_KEY).await;
    for name in webhooks {
        let body = json!({"name": name, "url": format!("https://example.com/{name}")});
        let (status, answer) = e.sandbox.post(WEBHOOKS, body).await;
        assert_eq!(status, 201, "{answer}");
        let message = format!("Disk full @webhook-{name}");
        e.sandbox
            .create_monitors(&[(format!("disk {name}"), vec![], message)])
            .await;
    }
    e
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_org_without_pairs_imports_with_a_key_that_may_not_read_dashboards() {
    let e = org_without_dashboards_read(&["sms-oncall"]).await;
    let dir = e.path("imported");
    let run = e.import(&dir, &[]).await;
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(run.stderr.contains("1 webhooks"), "{}", run.all());
    let written = std::fs::read_to_string(dir.join("imported.yaml")).expect("imported");
    assert!(written.contains("sms-oncall:"), "{written}");
    assert!(!written.contains("status_boards"), "{written}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_org_with_a_pair_needs_the_dashboards_and_says_which_permission_is_missing() {
    let e = org_without_dashboards_read(&["grp-alert-check", "grp-ok-check"]).await;
    let dir = e.path("imported");
    let run = e.import(&dir, &[]).await;
    assert_eq!(run.code, 1, "{}", run.all());
    for said in [
        "listing the dashboards",
        "403",
        "`dashboards_read` permission",
    ] {
        assert!(run.stderr.contains(said), "{said}: {}", run.all());
    }
    assert!(!dir.join("imported.yaml").exists(), "nothing is written");
}
