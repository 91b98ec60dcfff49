//! End-to-end: the real `ddhooks` binary against a real sandbox over loopback HTTP, through
//! the scenarios of issue #4.

#[path = "e2e_support/mod.rs"]
mod e2e_support;

use e2e_support::*;
use reqwest::Method;
use serde_json::{json, Value};

const WEBHOOK_PUT: &str = "PUT /api/v1/integration/webhooks/configuration/webhooks/";
const WEBHOOK_POST: &str = "POST /api/v1/integration/webhooks/configuration/webhooks";
const WEBHOOK_DELETE: &str = "DELETE /api/v1/integration/webhooks/configuration/webhooks/";

fn runs_for(runs: &[Value], id: i64) -> Vec<i64> {
    let tag = format!("monitor_id:{id}");
    runs.iter()
        .filter(|r| {
            r["tags"]
                .as_array()
                .is_some_and(|t| t.iter().any(|t| *t == tag))
        })
        .map(|r| r["status"].as_i64().expect("status"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scenario_plan_apply_converge_and_transitions_land_check_runs() {
    let e = E2e::start().await;
    let errors_msg =
        "Error rate above 5% on {{service.name}}.\n{{#is_alert}} @pagerduty-checkout {{/is_alert}}";
    let latency_msg = "p99 latency is {{value}} ms 📈  ";
    let disk_msg = "Disk almost full @ops-storage";
    let errors = e
        .monitor(
            "[checkout] errors",
            &["team:checkout", "service:api"],
            errors_msg,
        )
        .await;
    let latency = e
        .monitor("[checkout] latency", &["team:checkout"], latency_msg)
        .await;
    let disk = e.monitor("disk", &["team:storage"], disk_msg).await;
    e.write("checkout.yaml", SCENARIO);

    e.clear_requests().await;
    let plan = e.plan(&[]).await;
    assert_eq!(plan.code, 0, "{}", plan.all());
    for line in [
        "+ custom_variable.DD_API_KEY will be created",
        "+ webhook.grp-alert-check will be created",
        "+ webhook.grp-ok-check will be created",
        &format!("monitor.{errors} \"[checkout] errors\": add block grp"),
        &format!("monitor.{latency} \"[checkout] latency\": add block grp"),
        "Plan: 5 to create, 0 to update, 0 to delete.",
    ] {
        assert!(
            plan.stdout.contains(line),
            "missing `{line}`:\n{}",
            plan.all()
        );
    }
    assert!(
        !plan.stdout.contains(&format!("monitor.{disk}")),
        "{}",
        plan.all()
    );
    assert_eq!(e.writes().await, 0, "plan writes nothing");

    let apply = e.apply_ok().await;
    assert!(
        apply
            .stdout
            .contains("Apply complete: 5 created, 0 updated, 0 deleted."),
        "{}",
        apply.all()
    );
    e.assert_converged().await;

    let grp = block("grp", &pair_body("grp"));
    assert_eq!(e.message(errors).await, format!("{errors_msg}\n\n{grp}"));
    assert_eq!(e.message(latency).await, format!("{latency_msg}\n\n{grp}"));
    assert_eq!(e.message(disk).await, disk_msg);
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
    let id = e
        .monitor("[checkout] errors", &["team:checkout"], "Errors")
        .await;
    let manifest = |url: &str, payload: &str| {
        format!(
            "webhooks:\n  chat:\n    url: {url}\n    payload: {payload}\nmonitor_notifications:\n  chat:\n    monitors: {{tags: [\"team:checkout\"]}}\n    notify:\n      is_alert: [\"@webhook-chat\"]\n"
        )
    };
    e.write(
        "chat.yaml",
        &manifest("https://chat.example.com/a", "{text: \"$EVENT_TITLE\"}"),
    );
    e.apply_ok().await;
    e.assert_converged().await;
    let before_msg = e.message(id).await;

    e.write(
        "chat.yaml",
        &manifest(
            "https://chat.example.com/b",
            "{text: \"$EVENT_TITLE\", link: \"$LINK\"}",
        ),
    );
    let plan = e.plan(&["--detailed-exitcode"]).await;
    assert_eq!(plan.code, 2, "{}", plan.all());
    for line in [
        "  ~ webhook.chat will be updated in place",
        "~ url",
        "\"https://chat.example.com/a\" -> \"https://chat.example.com/b\"",
        "~ payload:",
        "+  \"link\": \"$LINK\"",
        "Plan: 0 to create, 1 to update, 0 to delete.",
    ] {
        assert!(
            plan.stdout.contains(line),
            "missing `{line}`:\n{}",
            plan.all()
        );
    }
    assert!(
        !plan.stdout.contains("monitor."),
        "the block did not change:\n{}",
        plan.all()
    );

    let apply = e.apply_ok().await;
    assert!(
        apply
            .stdout
            .contains("Apply complete: 0 created, 1 updated, 0 deleted."),
        "{}",
        apply.all()
    );
    let hook = e.webhook("chat").await.expect("webhook");
    assert_eq!(hook["url"], "https://chat.example.com/b");
    let payload: Value =
        serde_json::from_str(hook["payload"].as_str().expect("payload is JSON text")).unwrap();
    assert_eq!(payload, json!({"text": "$EVENT_TITLE", "link": "$LINK"}));
    assert_eq!(e.message(id).await, before_msg);
    e.assert_converged().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removed_pair_deletes_its_webhooks_and_blocks() {
    let e = E2e::start().await;
    let originals = [
        "Errors high.\n\n{{#is_warning}} @slack-a {{/is_warning}}\n",
        "  leading and trailing  \n\n",
        "ünïcödé ✓",
    ];
    let mut ids = Vec::new();
    for (i, m) in originals.iter().enumerate() {
        ids.push(e.monitor(&format!("m{i}"), &["team:checkout"], m).await);
    }
    e.write("checkout.yaml", SCENARIO);
    e.apply_ok().await;
    for id in &ids {
        assert!(e.message(*id).await.contains("ddhooks:begin grp"));
    }

    e.write(
        "checkout.yaml",
        "custom_variables:\n  DD_API_KEY:\n    value: ${env:DD_API_KEY}\n    secret: true\n",
    );
    let plan = e.plan(&[]).await;
    assert_eq!(plan.code, 0, "{}", plan.all());
    for line in [
        "- webhook.grp-alert-check will be deleted",
        "- webhook.grp-ok-check will be deleted",
        &format!("monitor.{} \"m0\": remove block grp", ids[0]),
        "Plan: 0 to create, 0 to update, 5 to delete.",
    ] {
        assert!(
            plan.stdout.contains(line),
            "missing `{line}`:\n{}",
            plan.all()
        );
    }
    let apply = e.apply_ok().await;
    assert!(
        apply
            .stdout
            .contains("Apply complete: 0 created, 0 updated, 5 deleted."),
        "{}",
        apply.all()
    );
    for (id, original) in ids.iter().zip(originals) {
        assert_eq!(e.message(*id).await, original, "monitor {id}");
    }
    assert!(e.webhook("grp-alert-check").await.is_none());
    assert!(e.webhook("grp-ok-check").await.is_none());
    assert!(e.variable("DD_API_KEY").await.is_some(), "still wanted");
    e.assert_converged().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn existing_webhooks_are_adopted_then_owned() {
    let e = E2e::start().await;
    for (name, url) in [
        ("same", "https://hooks.example.com/same"),
        ("differs", "https://hooks.example.com/old"),
    ] {
        let (status, body) = e
            .call(
                Method::POST,
                WEBHOOKS,
                Some(json!({"name": name, "url": url, "payload": "{\"text\": \"$EVENT_TITLE\"}"})),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }
    e.write(
        "hooks.yaml",
        "webhooks:\n  same:\n    url: https://hooks.example.com/same\n    payload: {text: \"$EVENT_TITLE\"}\n  differs:\n    url: https://hooks.example.com/new\n    payload: {text: \"$EVENT_TITLE\"}\n",
    );
    let plan = e.plan(&[]).await;
    assert_eq!(plan.code, 0, "{}", plan.all());
    assert!(
        plan.stdout
            .contains("~ webhook.same will be adopted (it already matches"),
        "{}",
        plan.all()
    );
    assert!(
        plan.stdout
            .contains("~ webhook.differs will be adopted and updated"),
        "{}",
        plan.all()
    );
    assert!(!plan.stdout.contains("will be created"), "{}", plan.all());
    e.clear_requests().await;
    e.apply_ok().await;
    assert_eq!(e.count(WEBHOOK_POST).await, 0, "adoption creates nothing");
    assert_eq!(
        e.count(WEBHOOK_PUT).await,
        1,
        "only the differing one is written"
    );
    assert_eq!(
        e.webhook("differs").await.unwrap()["url"],
        "https://hooks.example.com/new"
    );
    e.assert_converged().await;

    // Owned now: removing them from the manifests deletes them.
    e.write("hooks.yaml", "webhooks: {}\n");
    let plan = e.plan(&[]).await;
    assert!(
        plan.stdout.contains("- webhook.same will be deleted"),
        "{}",
        plan.all()
    );
    assert!(
        plan.stdout.contains("- webhook.differs will be deleted"),
        "{}",
        plan.all()
    );
    e.apply_ok().await;
    assert!(e.webhook("same").await.is_none());
    assert!(e.webhook("differs").await.is_none());
    e.assert_converged().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rename_is_one_put_and_rewrites_blocks() {
    let e = E2e::start().await;
    let original = "Checkout errors. @slack-checkout";
    let id = e
        .monitor("[checkout] errors", &["team:checkout"], original)
        .await;
    let manifest = |name: &str, renamed: &str| {
        format!(
            "webhooks:\n  {name}:\n    url: https://chat.example.com/x\n    payload: {{text: \"$EVENT_TITLE\"}}\n{renamed}monitor_notifications:\n  chat:\n    monitors: {{tags: [\"team:checkout\"]}}\n    notify:\n      is_alert: [\"@webhook-{name}\"]\n"
        )
    };
    e.write("chat.yaml", &manifest("old-hook", ""));
    e.apply_ok().await;
    assert!(e.message(id).await.contains("@webhook-old-hook"));

    e.write(
        "chat.yaml",
        &manifest("new-hook", "    renamed_from: old-hook\n"),
    );
    let plan = e.plan(&[]).await;
    assert_eq!(plan.code, 0, "{}", plan.all());
    assert!(
        plan.stdout
            .contains("~ webhook.new-hook will be renamed from `old-hook`"),
        "{}",
        plan.all()
    );
    assert!(
        plan.stdout.contains(&format!(
            "monitor.{id} \"[checkout] errors\": update block chat"
        )),
        "{}",
        plan.all()
    );
    assert!(
        plan.stdout
            .contains("-{{#is_alert}} @webhook-old-hook {{/is_alert}}"),
        "{}",
        plan.all()
    );
    assert!(!plan.stdout.contains("will be deleted"), "{}", plan.all());
    assert!(!plan.stdout.contains("will be created"), "{}", plan.all());

    e.clear_requests().await;
    e.apply_ok().await;
    let counts = e.request_counts().await;
    assert_eq!(e.count(WEBHOOK_PUT).await, 1, "{counts:?}");
    assert_eq!(e.count(WEBHOOK_POST).await, 0, "{counts:?}");
    assert_eq!(e.count(WEBHOOK_DELETE).await, 0, "{counts:?}");
    assert!(e.webhook("old-hook").await.is_none());
    assert!(e.webhook("new-hook").await.is_some());
    let message = e.message(id).await;
    assert!(message.starts_with(&format!("{original}\n\n")), "{message}");
    assert!(message.contains("@webhook-new-hook"), "{message}");
    assert!(!message.contains("old-hook"), "{message}");
    e.assert_converged().await;

    // The new name is owned: removing it deletes it.
    e.write("chat.yaml", "webhooks: {}\n");
    e.apply_ok().await;
    assert!(e.webhook("new-hook").await.is_none());
    assert_eq!(e.message(id).await, original);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn damaged_block_is_an_error_for_that_monitor_only() {
    let e = E2e::start().await;
    let damaged = "Broken on purpose.\n\n{{!-- ddhooks:begin grp --}}\n{{#is_alert}} @webhook-grp-alert-check {{/is_alert}}\n";
    let bad = e
        .monitor("[checkout] damaged one", &["team:checkout"], damaged)
        .await;
    let good = e
        .monitor("[checkout] fine", &["team:checkout"], "Fine.")
        .await;
    e.write("checkout.yaml", SCENARIO);

    let plan = e.plan(&[]).await;
    assert_eq!(plan.code, 1, "{}", plan.all());
    assert!(
        plan.stdout.contains(&format!("Error: monitor.{bad}")),
        "{}",
        plan.all()
    );
    assert!(
        plan.stdout.contains("[checkout] damaged one"),
        "{}",
        plan.all()
    );
    assert!(plan.stdout.contains(&format!(
        "monitor.{good} \"[checkout] fine\": add block grp"
    )));

    let apply = e.apply(&["--auto-approve"]).await;
    assert_eq!(apply.code, 1, "{}", apply.all());
    assert!(
        apply.stdout.contains(&format!("monitor.{bad}: skipped")),
        "{}",
        apply.all()
    );
    assert_eq!(
        e.message(bad).await,
        damaged,
        "nothing written to the damaged monitor"
    );
    assert_eq!(
        e.message(good).await,
        format!("Fine.\n\n{}", block("grp", &pair_body("grp")))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saved_plan_is_refused_when_a_monitor_changed() {
    let e = E2e::start().await;
    let id = e
        .monitor("[checkout] errors", &["team:checkout"], "Errors")
        .await;
    e.write("checkout.yaml", SCENARIO);
    let out = e.path("p.json");
    let plan = e.plan(&["--out", out.to_str().unwrap()]).await;
    assert_eq!(plan.code, 0, "{}", plan.all());
    assert!(out.exists());

    e.set_message(id, "Errors (edited by someone)").await;
    e.clear_requests().await;
    let apply = e.apply(&["--plan", out.to_str().unwrap()]).await;
    assert_eq!(apply.code, 1, "{}", apply.all());
    assert!(apply.stdout.contains("stale"), "{}", apply.all());
    assert!(
        apply.stdout.contains(&format!("monitor.{id}")),
        "{}",
        apply.all()
    );
    assert_eq!(e.writes().await, 0, "{:?}", e.request_counts().await);
    assert_eq!(e.message(id).await, "Errors (edited by someone)");
    assert!(e.webhook("grp-alert-check").await.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saved_plan_is_refused_when_a_webhook_changed() {
    let e = E2e::start().await;
    e.monitor("[checkout] errors", &["team:checkout"], "Errors")
        .await;
    e.write("checkout.yaml", SCENARIO);
    e.apply_ok().await;
    e.write(
        "checkout.yaml",
        &SCENARIO.replace("check: grp.status", "check: grp.state"),
    );
    let out = e.path("p.json");
    let plan = e.plan(&["--out", out.to_str().unwrap()]).await;
    assert_eq!(plan.code, 0, "{}", plan.all());
    assert!(plan
        .stdout
        .contains("~ webhook.grp-alert-check will be updated in place"));

    let (status, body) = e
        .call(
            Method::PUT,
            &format!("{WEBHOOKS}/grp-ok-check"),
            Some(json!({"url": "https://example.com/someone-else"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    e.clear_requests().await;
    let apply = e.apply(&["--plan", out.to_str().unwrap()]).await;
    assert_eq!(apply.code, 1, "{}", apply.all());
    assert!(apply.stdout.contains("stale"), "{}", apply.all());
    assert!(
        apply.stdout.contains("webhook.grp-ok-check"),
        "{}",
        apply.all()
    );
    assert_eq!(e.writes().await, 0, "{:?}", e.request_counts().await);
    let alert = e.webhook("grp-alert-check").await.unwrap();
    assert!(
        alert["payload"].as_str().unwrap().contains("grp.status"),
        "{alert}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saved_plan_applies_when_nothing_changed() {
    let e = E2e::start().await;
    let id = e
        .monitor("[checkout] errors", &["team:checkout"], "Errors")
        .await;
    e.write("checkout.yaml", SCENARIO);
    let out = e.path("p.json");
    let plan = e.plan(&["--out", out.to_str().unwrap()]).await;
    assert_eq!(plan.code, 0, "{}", plan.all());
    let apply = e.apply(&["--plan", out.to_str().unwrap()]).await;
    assert_eq!(apply.code, 0, "{}", apply.all());
    assert!(
        apply
            .stdout
            .contains("Apply complete: 4 created, 0 updated, 0 deleted."),
        "{}",
        apply.all()
    );
    assert!(e.message(id).await.contains("ddhooks:begin grp"));
    e.assert_converged().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn detailed_exitcode_is_0_2_1() {
    let e = E2e::start().await;
    e.monitor("[checkout] errors", &["team:checkout"], "Errors")
        .await;
    e.write("checkout.yaml", SCENARIO);
    assert_eq!(e.plan(&["--detailed-exitcode"]).await.code, 2);
    assert_eq!(
        e.plan(&[]).await.code,
        0,
        "without the flag, changes exit 0"
    );
    e.apply_ok().await;
    assert_eq!(e.plan(&["--detailed-exitcode"]).await.code, 0);

    // A damaged block: 1, even with --detailed-exitcode.
    e.monitor(
        "[checkout] bad",
        &["team:checkout"],
        "x {{!-- ddhooks:end grp --}}",
    )
    .await;
    let run = e.plan(&["--detailed-exitcode"]).await;
    assert_eq!(run.code, 1, "{}", run.all());
    // Invalid manifests: 1.
    e.write("bad.yaml", "webhook_pair: {}\n");
    let run = e.plan(&["--detailed-exitcode"]).await;
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(run.stderr.contains("webhook_pair"), "{}", run.all());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_plan_is_versioned_and_parses() {
    let e = E2e::start().await;
    let id = e
        .monitor("[checkout] errors", &["team:checkout"], "Errors")
        .await;
    e.write("checkout.yaml", SCENARIO);
    let run = e.plan(&["--format", "json"]).await;
    assert_eq!(run.code, 0, "{}", run.all());
    let plan: Value = serde_json::from_str(&run.stdout).expect("stdout is JSON");
    assert_eq!(plan["format_version"], 1);
    let changes = plan["changes"].as_array().unwrap();
    let addresses: Vec<&str> = changes
        .iter()
        .map(|c| c["address"].as_str().unwrap())
        .collect();
    assert_eq!(
        addresses,
        [
            "custom_variable.DD_API_KEY".to_string(),
            "webhook.grp-alert-check".into(),
            "webhook.grp-ok-check".into(),
            format!("monitor.{id}"),
        ]
    );
    assert!(changes[..3].iter().all(|c| c["action"] == "create"));
    assert_eq!(changes[3]["blocks"][0]["action"], "create");
    assert_eq!(
        plan["summary"],
        json!({"create": 4, "update": 0, "delete": 0})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_without_auto_approve_and_without_terminal_writes_nothing() {
    let e = E2e::start().await;
    let id = e
        .monitor("[checkout] errors", &["team:checkout"], "Errors")
        .await;
    e.write("checkout.yaml", SCENARIO);
    e.clear_requests().await;
    let run = e.apply(&[]).await;
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(run.stderr.contains("not a terminal"), "{}", run.all());
    assert!(run.stderr.contains("--auto-approve"), "{}", run.all());
    assert_eq!(e.writes().await, 0);
    assert_eq!(e.message(id).await, "Errors");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_message_diffs_show_no_phantom_blank_line() {
    let e = E2e::start().await;
    let id = e.monitor("[checkout] empty", &["team:checkout"], "").await;
    e.write("checkout.yaml", SCENARIO);
    let plan = e.plan(&[]).await;
    let diff = |out: &str| -> Vec<String> {
        out.lines()
            .skip_while(|l| !l.contains(&format!("monitor.{id} ")))
            .skip(1)
            .take_while(|l| !l.is_empty())
            .map(|l| l.trim_start().to_string())
            .collect()
    };
    let added = diff(&plan.stdout);
    assert_eq!(added[0], "@@ -0,0 +1,4 @@", "{}", plan.all());
    assert!(
        added[1..].iter().all(|l| l.starts_with('+') && l.len() > 1),
        "{}",
        plan.all()
    );
    e.apply_ok().await;
    assert_eq!(e.message(id).await, block("grp", &pair_body("grp")));

    e.write("checkout.yaml", "webhook_pairs: {}\n");
    let plan = e.plan(&[]).await;
    let removed = diff(&plan.stdout);
    assert_eq!(removed[0], "@@ -1,4 +0,0 @@", "{}", plan.all());
    assert!(
        removed[1..]
            .iter()
            .all(|l| l.starts_with('-') && l.len() > 1),
        "{}",
        plan.all()
    );
    e.apply_ok().await;
    assert_eq!(e.message(id).await, "");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saved_plan_is_refused_when_the_manifests_changed() {
    let e = E2e::start().await;
    e.write(
        "hooks.yaml",
        "webhooks:\n  chat:\n    url: https://a.example.com/\n",
    );
    let out = e.path("p.json");
    let plan = e.plan(&["--out", out.to_str().unwrap()]).await;
    assert_eq!(plan.code, 0, "{}", plan.all());
    e.write(
        "hooks.yaml",
        "webhooks:\n  chat:\n    url: https://b.example.com/\n",
    );
    e.clear_requests().await;
    let apply = e.apply(&["--plan", out.to_str().unwrap()]).await;
    assert_eq!(apply.code, 1, "{}", apply.all());
    assert!(apply.stdout.contains("stale"), "{}", apply.all());
    assert!(apply.stdout.contains("webhook.chat"), "{}", apply.all());
    assert_eq!(e.writes().await, 0);
    assert!(e.webhook("chat").await.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn held_deletion_waits_for_mentions_outside_blocks_or_force() {
    let e = E2e::start().await;
    let people = "Errors. Also ping @webhook-grp-alert-check by hand.";
    let id = e
        .monitor("[checkout] errors", &["team:checkout"], people)
        .await;
    e.write("checkout.yaml", SCENARIO);
    e.apply_ok().await;
    e.write(
        "checkout.yaml",
        "custom_variables:\n  DD_API_KEY:\n    value: ${env:DD_API_KEY}\n    secret: true\n",
    );
    let plan = e.plan(&[]).await;
    assert!(
        plan.stdout.contains(&format!(
            "! webhook.grp-alert-check not deleted: monitors {id} mention @webhook-grp-alert-check"
        )),
        "{}",
        plan.all()
    );
    assert!(
        plan.stdout
            .contains("- webhook.grp-ok-check will be deleted"),
        "{}",
        plan.all()
    );
    e.apply_ok().await;
    assert!(e.webhook("grp-alert-check").await.is_some(), "held");
    assert!(e.webhook("grp-ok-check").await.is_none());
    assert_eq!(e.message(id).await, people);
    e.assert_converged().await;

    let plan = e.plan(&["--force", "--detailed-exitcode"]).await;
    assert_eq!(plan.code, 2, "{}", plan.all());
    assert!(
        plan.stdout
            .contains("- webhook.grp-alert-check will be deleted"),
        "{}",
        plan.all()
    );
    let apply = e.apply(&["--auto-approve", "--force"]).await;
    assert_eq!(apply.code, 0, "{}", apply.all());
    assert!(e.webhook("grp-alert-check").await.is_none());
    assert_eq!(e.message(id).await, people, "people's mention is theirs");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registry_splits_over_parts_and_shrinks_back() {
    let config = ddhooks::sandbox::SandboxConfig {
        max_variable_bytes: Some(4096),
        ..Default::default()
    };
    let e = E2e::with_config(config, "e2e-test-api-key").await;
    let hooks = |n: usize| -> String {
        let list: String = (0..n)
            .map(|i| {
                format!(
                    "  hook-with-a-rather-long-name-{i:03}:\n    url: https://x.example.com/{i}\n"
                )
            })
            .collect();
        format!("webhooks:\n{list}")
    };
    e.write("hooks.yaml", &hooks(150));
    let apply = e.apply_ok().await;
    assert!(
        apply.stdout.contains("Apply complete: 150 created"),
        "{}",
        apply.all()
    );
    let second_part = e.variable("DDHOOKS_STATE_2").await.is_some()
        || e.variable("DDHOOKS_STATE_B_2").await.is_some();
    assert!(second_part, "more than 4 KiB: two parts");
    e.assert_converged().await;

    e.write("hooks.yaml", &hooks(2));
    let apply = e.apply_ok().await;
    assert!(apply.stdout.contains("148 deleted"), "{}", apply.all());
    assert!(
        e.variable("DDHOOKS_STATE_2").await.is_none()
            && e.variable("DDHOOKS_STATE_B_2").await.is_none(),
        "leftover parts deleted"
    );
    let state = e.variable("DDHOOKS_STATE").await.unwrap();
    assert!(state["value"]
        .as_str()
        .unwrap()
        .contains("hook-with-a-rather-long-name-001"));
    e.assert_converged().await;
}
