//! What is never deleted: only objects in the registry are deleted (created or adopted by
//! ddhooks, renamed by it), a webhook people still mention outside managed blocks is kept
//! unless `--force`, and the registry that records ownership splits and shrinks safely.

use crate::kit::cli::API_KEY;
use crate::kit::e2e::E2e;
use crate::kit::fixtures::{ONLY_THE_VARIABLE, SCENARIO};
use crate::kit::sandbox::{route, WEBHOOKS};
use ddhooks::sandbox::SandboxConfig;
use serde_json::json;

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
        ids.push(e.checkout_monitor(&format!("m{i}"), m).await);
    }
    e.write("checkout.yaml", SCENARIO);
    e.apply_ok().await;
    for id in &ids {
        assert!(e.message(*id).await.contains("ddhooks:begin grp"));
    }

    e.write("checkout.yaml", ONLY_THE_VARIABLE);
    let plan = e.plan(&[]).await;
    plan.assert_exit_shows(
        0,
        &[
            "- webhook.grp-alert-check will be deleted",
            "- webhook.grp-ok-check will be deleted",
            &format!("monitor.{} \"m0\": remove block grp", ids[0]),
            "Plan: 0 to create, 0 to update, 5 to delete.",
        ],
    );
    let apply = e.apply_ok().await;
    apply.assert_shows(&["Apply complete: 0 created, 0 updated, 5 deleted."]);
    // People's text as Datadog holds it (trimmed when the monitor was made), to the byte.
    for (id, original) in ids.iter().zip(originals) {
        assert_eq!(e.message(*id).await, original.trim(), "monitor {id}");
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
            .post(
                WEBHOOKS,
                json!({"name": name, "url": url, "payload": "{\"text\": \"$EVENT_TITLE\"}"}),
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
    plan.assert_shows(&["~ webhook.differs will be adopted and updated"]);
    plan.assert_hides(&["will be created"]);
    e.clear_requests().await;
    e.apply_ok().await;
    assert_eq!(
        e.count(route::WEBHOOK_CREATE).await,
        0,
        "adoption creates nothing"
    );
    assert_eq!(
        e.count(route::WEBHOOK_UPDATE).await,
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
    plan.assert_shows(&[
        "- webhook.same will be deleted",
        "- webhook.differs will be deleted",
    ]);
    e.apply_ok().await;
    assert!(e.webhook("same").await.is_none());
    assert!(e.webhook("differs").await.is_none());
    e.assert_converged().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rename_is_one_put_and_rewrites_blocks() {
    let e = E2e::start().await;
    let original = "Checkout errors. @slack-checkout";
    let id = e.checkout_monitor("[checkout] errors", original).await;
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
    plan.assert_exit_shows(0, &["~ webhook.new-hook will be renamed from `old-hook`"]);
    plan.assert_shows(&[&format!(
        "monitor.{id} \"[checkout] errors\": update block chat"
    )]);
    plan.assert_shows(&["-{{#is_alert}} @webhook-old-hook {{/is_alert}}"]);
    plan.assert_hides(&["will be deleted", "will be created"]);

    e.clear_requests().await;
    e.apply_ok().await;
    let counts = e.request_counts().await;
    assert_eq!(e.count(route::WEBHOOK_UPDATE).await, 1, "{counts:?}");
    assert_eq!(e.count(route::WEBHOOK_CREATE).await, 0, "{counts:?}");
    assert_eq!(e.count(route::WEBHOOK_DELETE).await, 0, "{counts:?}");
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
async fn held_deletion_waits_for_mentions_outside_blocks_or_force() {
    let e = E2e::start().await;
    let people = "Errors. Also ping @webhook-grp-alert-check by hand.";
    let id = e.checkout_monitor("[checkout] errors", people).await;
    e.write("checkout.yaml", SCENARIO);
    e.apply_ok().await;
    e.write("checkout.yaml", ONLY_THE_VARIABLE);
    let plan = e.plan(&[]).await;
    plan.assert_shows(&[&format!(
        "! webhook.grp-alert-check not deleted: monitors {id} mention @webhook-grp-alert-check"
    )]);
    plan.assert_shows(&["- webhook.grp-ok-check will be deleted"]);
    e.apply_ok().await;
    assert!(e.webhook("grp-alert-check").await.is_some(), "held");
    assert!(e.webhook("grp-ok-check").await.is_none());
    assert_eq!(e.message(id).await, people);
    e.assert_converged().await;

    let plan = e.plan(&["--force", "--detailed-exitcode"]).await;
    plan.assert_exit_shows(2, &["- webhook.grp-alert-check will be deleted"]);
    let apply = e.apply(&["--auto-approve", "--force"]).await;
    assert_eq!(apply.code, 0, "{}", apply.all());
    assert!(e.webhook("grp-alert-check").await.is_none());
    assert_eq!(e.message(id).await, people, "people's mention is theirs");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registry_splits_over_parts_and_shrinks_back() {
    let config = SandboxConfig {
        max_variable_bytes: Some(4096),
        ..Default::default()
    };
    let e = E2e::with_config(config, API_KEY).await;
    // Names of 32 random hex digits, which compress poorly: 200 of them outgrow one part.
    let name = |i: usize| {
        format!(
            "hook-{}",
            ddhooks::registry::fingerprint("names", &i.to_string())
        )
    };
    let hooks = |n: usize| -> String {
        let list: String = (0..n)
            .map(|i| format!("  {}:\n    url: https://x.example.com/{i}\n", name(i)))
            .collect();
        format!("webhooks:\n{list}")
    };
    e.write("hooks.yaml", &hooks(200));
    let apply = e.apply_ok().await;
    apply.assert_shows(&["Apply complete: 200 created"]);
    let second_part = e.variable("DDHOOKS_STATE_2").await.is_some()
        || e.variable("DDHOOKS_STATE_B_2").await.is_some();
    assert!(second_part, "more than 4 KiB: two parts");
    e.assert_converged().await;

    e.write("hooks.yaml", &hooks(2));
    let apply = e.apply_ok().await;
    apply.assert_shows(&["198 deleted"]);
    assert!(
        e.variable("DDHOOKS_STATE_2").await.is_none()
            && e.variable("DDHOOKS_STATE_B_2").await.is_none(),
        "leftover parts deleted"
    );
    let parts = e.registry_parts().await;
    assert_eq!(parts.len(), 1, "one part left");
    let registry = ddhooks::registry::Registry::decode(|n| parts.get(n).cloned())
        .expect("decodes")
        .expect("exists");
    let owned: std::collections::BTreeSet<String> = registry
        .owned(ddhooks::registry::OwnedKind::Webhook)
        .map(str::to_string)
        .collect();
    assert_eq!(
        owned,
        [name(0), name(1)].into_iter().collect(),
        "the two left"
    );
    e.assert_converged().await;
}
