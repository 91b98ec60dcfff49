//! `ddhooks import` on the org Datadog's by-hand guide leaves behind (`kit::guide`): the
//! manifests it writes plan as adoptions only, apply records ownership and converges, no
//! credential reaches a file or any output, `--as-pairs` leaves every mention once and
//! people's text intact, and existing files and unknown names are clear.

use crate::kit::cli::Run;
use crate::kit::e2e::E2e;
use crate::kit::guide::{
    self, CREDENTIALS, GROUP, LEAKED_KEY, LEAKED_PASSWORD, LEAKED_TOKEN, SECRET_VALUE,
};
use ddhooks::sandbox::SandboxConfig;
use ddhooks::template;
use serde_json::Value;
use std::path::Path;

/// A sandbox set up as the guide does; the binary authenticates with the key the guide
/// pasted into the webhooks' URLs (the org's key), so `DD_API_KEY` is that key.
async fn guide_org() -> (E2e, guide::GuideOrg) {
    let e2e = E2e::with_config(SandboxConfig::default(), LEAKED_KEY).await;
    let org = guide::set_up(&e2e.sandbox).await;
    (e2e, org)
}

/// The environment variable names import printed (the lines after `Set these …`).
fn printed_env(run: &Run) -> Vec<String> {
    run.stderr
        .lines()
        .skip_while(|l| !l.starts_with("Set these environment variables"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect()
}

/// The value the test knows for each variable import asks for.
fn value_of(name: &str) -> &'static str {
    match name {
        "DD_API_KEY" => LEAKED_KEY,
        "SMS_ONCALL_AUTHORIZATION" => LEAKED_TOKEN,
        "SMS_ONCALL_PASSWORD" => LEAKED_PASSWORD,
        "SMS_SECRET" => SECRET_VALUE,
        other => panic!("import asked for an unexpected variable {other}"),
    }
}

fn assert_no_credentials(what: &str, text: &str) {
    for secret in CREDENTIALS {
        assert!(!text.contains(secret), "{what} shows a credential:\n{text}");
    }
}

fn files_text(dir: &Path) -> String {
    let mut out = String::new();
    for entry in std::fs::read_dir(dir).expect("the output directory exists") {
        let path = entry.expect("entry").path();
        out.push_str(&std::fs::read_to_string(&path).expect("readable file"));
    }
    out
}

/// Imports into the manifests directory, sets the printed variables, and returns the run.
async fn imported(e2e: &mut E2e, extra: &[&str]) -> Run {
    let dir = e2e.manifests();
    let run = e2e
        .import(&dir, &[&["--variable", "SMS_SECRET"], extra].concat())
        .await;
    assert_eq!(run.code, 0, "{}", run.all());
    for name in printed_env(&run) {
        if name != "DD_API_KEY" {
            e2e.env.push((name.clone(), value_of(&name).to_string()));
        }
    }
    run
}

#[tokio::test]
async fn imported_manifests_plan_as_adoptions_only_and_converge_after_apply() {
    let (mut e2e, org) = guide_org().await;
    let run = imported(&mut e2e, &[]).await;
    let mut env = printed_env(&run);
    env.sort();
    assert_eq!(
        env,
        [
            "DD_API_KEY",
            "SMS_ONCALL_AUTHORIZATION",
            "SMS_ONCALL_PASSWORD",
            "SMS_SECRET"
        ],
        "{}",
        run.all()
    );
    // The pitfalls that keep the guide's webhooks from being a pair, with the lint's fix.
    for pitfall in [
        "the url passes a Datadog key in its query string",
        "send `DD-API-KEY: $DD_API_KEY` in `custom_headers`",
        "this payload is one object",
        "check_run `tags` must be a list of strings",
        "`$ALERT_TITLE`",
    ] {
        assert!(run.stderr.contains(pitfall), "{pitfall}: {}", run.all());
    }
    let text = files_text(&e2e.manifests());
    assert!(
        text.contains("# imported from webhook mymonitorgroup-alert-check"),
        "{text}"
    );
    assert!(text.contains("(tag team:checkout)"), "{text}");
    assert!(text.contains("?api_key=${env:DD_API_KEY}"), "{text}");

    let validate = e2e
        .ddhooks(&["validate", e2e.manifests().to_str().expect("utf-8")])
        .await;
    assert_eq!(validate.code, 0, "{}", validate.all());

    let plan = e2e.plan(&["--format", "json"]).await;
    assert_eq!(plan.code, 0, "{}", plan.all());
    let view: Value = serde_json::from_str(&plan.stdout).expect("a JSON plan");
    let changes = view["changes"].as_array().expect("changes");
    let mut monitors = Vec::new();
    for change in changes {
        let kind = change["kind"].as_str().unwrap_or("");
        let action = change["action"].as_str().unwrap_or("");
        match kind {
            "webhook" => {
                assert_eq!(action, "adopt", "{change}");
                assert_eq!(change["writes"], false, "{change}");
            }
            "custom_variable" => {
                // Only the secret is written (once): its value cannot be read back.
                assert_eq!(change["address"], "custom_variable.SMS_SECRET", "{change}");
                assert!(action == "adopt" || action == "update", "{change}");
            }
            "monitor" => {
                let blocks = change["blocks"].as_array().expect("blocks");
                assert!(!blocks.is_empty(), "{change}");
                for b in blocks {
                    assert_eq!(b["action"], "adopt", "{change}");
                }
                monitors.push(change["monitor_id"].as_i64().expect("id"));
            }
            other => panic!("unexpected change kind {other}: {change}"),
        }
    }
    let group: Vec<i64> = org
        .monitors
        .iter()
        .filter(|(_, _, ours)| *ours)
        .map(|(id, _, _)| *id)
        .collect();
    monitors.sort_unstable();
    assert_eq!(monitors, group, "{}", plan.stdout);
    assert_eq!(view["summary"]["create"], 0, "{}", plan.stdout);
    assert_eq!(view["summary"]["delete"], 0, "{}", plan.stdout);

    e2e.apply_and_assert_converged().await;
    // Ownership recorded: the registry lists the imported webhooks.
    let registry = e2e.variable("DDHOOKS_STATE").await;
    assert!(registry.is_some(), "apply recorded ownership");
}

#[tokio::test]
async fn no_credential_reaches_a_file_or_any_output_at_any_verbosity() {
    let (mut e2e, _org) = guide_org().await;
    let mut outputs: Vec<(String, Run)> = Vec::new();
    let out = e2e.path("other");
    for v in ["-v", "-vv"] {
        let run = e2e
            .import(&out, &[v, "--force", "--variable", "SMS_SECRET"])
            .await;
        assert_eq!(run.code, 0, "{}", run.all());
        outputs.push((format!("import {v}"), run));
    }
    let run = imported(&mut e2e, &[]).await;
    outputs.push(("import".into(), run));
    assert_no_credentials("the imported files", &files_text(&e2e.manifests()));
    assert_no_credentials("the -vv imported files", &files_text(&out));
    for format in ["text", "json", "markdown"] {
        for v in ["-v", "-vv"] {
            let run = e2e.plan(&["--format", format, v]).await;
            assert_eq!(run.code, 0, "{}", run.all());
            outputs.push((format!("plan {format} {v}"), run));
        }
    }
    outputs.push((
        "apply -vv".into(),
        e2e.apply(&["--auto-approve", "-vv"]).await,
    ));
    outputs.push(("plan after apply".into(), e2e.plan(&["-vv"]).await));
    for (what, run) in &outputs {
        assert_no_credentials(what, &run.stdout);
        assert_no_credentials(what, &run.stderr);
    }
}

#[tokio::test]
async fn as_pairs_leaves_each_webhook_mentioned_once_and_peoples_text_intact() {
    let (mut e2e, org) = guide_org().await;
    let run = imported(&mut e2e, &["--as-pairs"]).await;
    let text = files_text(&e2e.manifests());
    assert!(text.contains("webhook_pairs:"), "{text}");
    assert!(text.contains(&format!("    pair: {GROUP}")), "{text}");
    run.assert_stderr_shows(&["--as-pairs"]);
    e2e.apply_and_assert_converged().await;
    let hand: Vec<String> = guide::HAND_LINES
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    for (id, before, ours) in &org.monitors {
        let after = e2e.message(*id).await;
        for hook in template::webhook_mentions(before) {
            let count = template::webhook_mentions(&after)
                .filter(|h| *h == hook)
                .count();
            assert_eq!(
                count, 1,
                "monitor {id} mentions {hook} {count} times:\n{after}"
            );
        }
        // Every line people wrote, in order (the block replaced the hand lines in place;
        // the core's adoption tests check the line endings byte for byte).
        let people_before: Vec<&str> = before
            .lines()
            .filter(|l| !l.trim().is_empty())
            .filter(|l| !hand.contains(&l.split_whitespace().collect::<String>()))
            .collect();
        let people_after = template::without_blocks(&after).expect("readable blocks");
        let people_after: Vec<&str> = people_after
            .lines()
            .filter(|l| !l.trim().is_empty())
            .collect();
        assert_eq!(people_before, people_after, "monitor {id}:\n{after}");
        assert_eq!(*ours, after.contains("ddhooks:begin"), "monitor {id}");
    }
}

#[tokio::test]
async fn an_existing_file_is_kept_without_force_and_unknown_names_are_reported() {
    let (e2e, _org) = guide_org().await;
    let dir = e2e.manifests();
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("imported.yaml");
    std::fs::write(&file, "# mine\n").expect("write");
    let run = e2e.import(&dir, &[]).await;
    assert_ne!(run.code, 0, "{}", run.all());
    run.assert_stderr_shows(&["imported.yaml already exists", "--force"]);
    assert_eq!(std::fs::read_to_string(&file).expect("read"), "# mine\n");

    e2e.clear_requests().await;
    let run = e2e
        .import(&dir, &["--force", "--webhook", "no-such-hook"])
        .await;
    assert_eq!(run.code, 0, "{}", run.all());
    run.assert_stderr_shows(&["missing: webhook no-such-hook"]);
    assert_ne!(std::fs::read_to_string(&file).expect("read"), "# mine\n");
    // Read-only: import sent no write.
    let counts = e2e.request_counts().await;
    for (route, n) in &counts {
        assert!(route.starts_with("GET "), "import wrote: {route} x{n}");
    }
    assert!(!counts.is_empty(), "import read through the API");
}
