//! Snapshots of the text and Markdown plans of a representative change set (create,
//! update, delete, adopt, rename, blocks added, rewritten and removed), made by the real
//! binary against a real sandbox. Volatile parts are masked.

#[path = "e2e_support/mod.rs"]
mod e2e_support;

use e2e_support::*;
use reqwest::Method;
use serde_json::json;

const BEFORE: &str = r#"
custom_variables:
  DD_API_KEY:
    value: ${env:DD_API_KEY}
    secret: true
  TEAM:
    value: payments

webhook_pairs:
  grp:
    check: grp.status
    tags: ["monitor_id:$ALERT_ID", "team:checkout"]

webhooks:
  chat:
    url: https://chat.example.com/hooks/checkout
    payload: {title: "$EVENT_TITLE", link: "$LINK"}
  old-hook:
    url: https://sms.example.com/send
  gone:
    url: https://gone.example.com/
    encode_as: form

monitor_notifications:
  grp:
    monitors: {tags: ["team:checkout"]}
    pair: grp
  chat:
    monitors: {name: "[checkout]"}
    text: |
      <<#is_alert>> @webhook-chat @webhook-old-hook <</is_alert>>
      <<#is_recovery>> @webhook-chat <</is_recovery>>
"#;

const AFTER: &str = r#"
custom_variables:
  DD_API_KEY:
    value: ${env:DD_API_KEY}
    secret: true
  TEAM:
    value: checkout

webhook_pairs:
  grp:
    check: grp.status
    tags: ["monitor_id:$ALERT_ID", "team:checkout"]

webhooks:
  chat:
    url: https://chat.example.com/hooks/checkout
    payload: {title: "$EVENT_TITLE", link: "$LINK", team: "$TEAM"}
  sms:
    url: https://sms.example.com/send
    renamed_from: old-hook
  adopted:
    url: https://adopted.example.com/new
  matching:
    url: https://matching.example.com/
  pager:
    url: https://pager.example.com/v2/enqueue
    payload: {routing_key: "$TEAM", summary: "$EVENT_TITLE"}
    custom_headers: {Content-Type: application/json}

monitor_notifications:
  grp:
    monitors: {ids: [1]}
    pair: grp
  chat:
    monitors: {name: "[checkout]"}
    text: |
      <<#is_alert>> @webhook-chat @webhook-sms <</is_alert>>
      <<#is_recovery>> @webhook-chat <</is_recovery>>
  storage:
    monitors: {tags: ["team:storage"]}
    notify:
      is_alert: ["@webhook-adopted"]
      is_recovery: ["@webhook-adopted"]
      is_priority 'P1': ["@webhook-pager"]
"#;

async fn change_set() -> E2e {
    let e = E2e::with_key("snapshot-key").await;
    e.monitor(
        "[checkout] errors",
        &["team:checkout"],
        "Error rate above 5%.\n{{#is_warning}} @slack-checkout {{/is_warning}}",
    )
    .await;
    e.monitor("[checkout] latency", &["team:checkout"], "p99 latency 📈")
        .await;
    e.monitor("Disk almost full", &["team:storage"], "Disk @ops-storage")
        .await;
    e.write("manifests.yaml", BEFORE);
    e.apply_ok().await;
    for (name, url) in [
        ("adopted", "https://adopted.example.com/old"),
        ("matching", "https://matching.example.com/"),
    ] {
        let (status, body) = e
            .call(
                Method::POST,
                WEBHOOKS,
                Some(json!({"name": name, "url": url})),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }
    e.write("manifests.yaml", AFTER);
    e
}

fn masked(name: &str, text: &str) {
    insta::with_settings!({
        filters => vec![
            (r"127\.0\.0\.1:\d+", "[ADDR]"),
            (r"/tmp/[^\s`]+", "[TMP]"),
            (r"\b[0-9a-f]{16,64}\b", "[FP]"),
        ],
        prepend_module_to_snapshot => false,
    }, {
        insta::assert_snapshot!(name, text);
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_and_markdown_plans_of_a_representative_change_set() {
    let e = change_set().await;
    let text = e.plan(&["--detailed-exitcode"]).await;
    assert_eq!(text.code, 2, "{}", text.all());
    masked("e2e_plan_text", &text.stdout);
    let markdown = e.plan(&["--format", "markdown"]).await;
    assert_eq!(markdown.code, 0, "{}", markdown.all());
    masked("e2e_plan_markdown", &markdown.stdout);

    // The snapshot is of a plan that applies and converges.
    e.apply_ok().await;
    e.assert_converged().await;
}
