//! Plans are rendered for review: snapshots of the text and Markdown plans of a
//! representative change set (create, update, delete, adopt, rename, blocks added,
//! rewritten and removed) made by the real binary against a real sandbox, with volatile
//! parts masked; the JSON plan is versioned and parses.

use crate::kit::e2e::E2e;
use crate::kit::sandbox::WEBHOOKS;
use crate::kit::snapshots;
use serde_json::{json, Value};

/// A manifest of the change set: the variables and the pair, the same before and after but
/// for `TEAM`'s value, then `rest` (the webhooks and blocks, which the change set changes).
fn manifest(team: &str, rest: &str) -> String {
    format!(
        r#"
custom_variables:
  DD_API_KEY:
    value: ${{env:DD_API_KEY}}
    secret: true
  TEAM:
    value: {team}

webhook_pairs:
  grp:
    check: grp.status
    tags: ["monitor_id:$ALERT_ID", "team:checkout"]
{rest}"#
    )
}

/// The webhooks and blocks before the change.
const BEFORE: &str = r#"
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

/// The webhooks and blocks after the change.
const AFTER: &str = r#"
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
    let e = E2e::start().await;
    e.checkout_monitor(
        "[checkout] errors",
        "Error rate above 5%.\n{{#is_warning}} @slack-checkout {{/is_warning}}",
    )
    .await;
    e.checkout_monitor("[checkout] latency", "p99 latency 📈")
        .await;
    e.create_monitor("Disk almost full", &["team:storage"], "Disk @ops-storage")
        .await;
    e.write("manifests.yaml", &manifest("payments", BEFORE));
    e.apply_ok().await;
    for (name, url) in [
        ("adopted", "https://adopted.example.com/old"),
        ("matching", "https://matching.example.com/"),
    ] {
        let (status, body) = e.post(WEBHOOKS, json!({"name": name, "url": url})).await;
        assert_eq!(status, 201, "{body}");
    }
    e.write("manifests.yaml", &manifest("checkout", AFTER));
    e
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_and_markdown_plans_of_a_representative_change_set() {
    let e = change_set().await;
    let text = e.plan(&["--detailed-exitcode"]).await;
    assert_eq!(text.code, 2, "{}", text.all());
    snapshots::masked().bind(|| insta::assert_snapshot!("plan_text", &text.stdout));
    let markdown = e.plan(&["--format", "markdown"]).await;
    assert_eq!(markdown.code, 0, "{}", markdown.all());
    snapshots::masked().bind(|| insta::assert_snapshot!("plan_markdown", &markdown.stdout));

    // The snapshot is of a plan that applies and converges.
    e.apply_and_assert_converged().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_plan_is_versioned_and_parses() {
    let e = E2e::start().await;
    let id = e.scenario_with_a_checkout_monitor().await;
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
