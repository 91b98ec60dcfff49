//! `ddhooks import` on an org ddhooks partly manages: an earlier apply wrote a pair, a
//! webhook, blocks, a status board and a webhook auth method and its registry was then lost, and a person added a
//! notification rule and a webhook only that rule names through the API. The manifests import
//! writes plan as adoptions only: no create, update or delete, and no monitor touched.

use crate::kit::e2e::E2e;
use crate::kit::sandbox::WEBHOOKS;
use serde_json::{json, Value};

/// The earlier ddhooks configuration: the scenario's variable and pair (`grp`, on the
/// `team:checkout` monitors), a webhook written in full, a text block naming it on the
/// storage monitor, and the pair's status board.
fn manifest(storage: i64) -> String {
    format!(
        r#"custom_variables:
  DD_API_KEY:
    value: ${{env:DD_API_KEY}}
    secret: true

webhook_pairs:
  grp:
    check: grp.status
    tags: ["monitor_id:$ALERT_ID", "team:checkout"]

webhooks:
  sms-oncall:
    url: https://sms.example.com/send
    payload: {{text: "$EVENT_TITLE"}}

monitor_notifications:
  grp:
    monitors:
      tags: ["team:checkout"]
    pair: grp
  storage-notes:
    monitors: {{ids: [{storage}]}}
    text: |
      <<#is_warning>> @webhook-sms-oncall <</is_warning>>
      Runbook: https://wiki.example.com/disk

status_boards:
  checkout:
    title: Checkout monitors status
    description: The checkout group, by status
    pairs: [grp]

webhook_auth_methods:
  okta:
    access_token_url: https://login.example.com/oauth2/token
    client_id: ddhooks-client
    client_secret: ${{env:OKTA_CLIENT_SECRET}}
"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_org_ddhooks_partly_manages_imports_into_a_plan_of_adoptions_only() {
    let mut e = E2e::start().await;
    e.env
        .push(("OKTA_CLIENT_SECRET".into(), "made-up-client-secret".into()));
    let errors = e
        .checkout_monitor("[checkout] errors", "Errors above 5%.")
        .await;
    let latency = e
        .checkout_monitor("[checkout] latency", "Latency is high.")
        .await;
    let storage = e
        .create_monitor("disk", &["team:storage"], "Disk is filling up.")
        .await;

    // An earlier ddhooks apply, whose registry (a file) is then lost with the manifests.
    let state = e.path("state.json");
    let state_arg = format!("file:{}", state.to_str().expect("utf-8 path"));
    e.write("earlier.yaml", &manifest(storage));
    let applied = e.apply(&["--auto-approve", "--state", &state_arg]).await;
    assert_eq!(applied.code, 0, "{}", applied.all());
    assert!(
        state.exists(),
        "the earlier apply kept its registry in the file"
    );
    std::fs::remove_file(&state).expect("the registry is lost");
    e.remove("earlier.yaml");
    assert!(e.variable("DDHOOKS_STATE").await.is_none());

    // What a person added through the API: a webhook only a rule names, and the rule.
    let (status, body) = e
        .post(
            WEBHOOKS,
            json!({"name": "pager-relay", "url": "https://pager.example.com/in"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    e.create_rule(json!({
        "name": "checkout-oncall",
        "filter": {"tags": ["team:checkout"]},
        "conditional_recipients": {"conditions": [
            {"scope": "transition_type:is_alert", "recipients": ["webhook-pager-relay", "slack-oncall"]},
            {"scope": "transition_type:is_recovery", "recipients": ["slack-oncall"]},
        ]}
    }))
    .await;
    let messages_before = [
        e.message(errors).await,
        e.message(latency).await,
        e.message(storage).await,
    ];

    let dir = e.manifests();
    let run = e.import(&dir, &[]).await;
    assert_eq!(run.code, 0, "{}", run.all());
    run.assert_stderr_shows(&["1 webhook auth methods, 1 webhook pairs, 2 webhooks, 2 notification blocks, 1 notification rules and 1 status boards"]);
    let text = std::fs::read_to_string(dir.join("imported.yaml")).expect("imported.yaml");
    for written in [
        &format!("  grp:\n    monitors:\n      ids: [{errors}, {latency}]\n    pair: grp\n"),
        &format!("  storage-notes:\n    monitors:\n      ids: [{storage}]\n    text: |-\n"),
        "  checkout-oncall:\n    delivery: rule\n",
        "      \"is_alert\": [\"@webhook-pager-relay\", \"@slack-oncall\"]\n",
        "status_boards:\n",
        "    title: \"Checkout monitors status\"\n    description: \"The checkout group, by status\"\n    pairs: [\"grp\"]\n",
        "  pager-relay:\n",
    ] {
        assert!(text.contains(written), "{written}\n---\n{text}");
    }

    let plan = e.plan(&["--format", "json"]).await;
    assert_eq!(plan.code, 0, "{}", plan.all());
    let view: Value = serde_json::from_str(&plan.stdout).expect("a JSON plan");
    let mut adopted: Vec<String> = Vec::new();
    for change in view["changes"].as_array().expect("changes") {
        let address = change["address"].as_str().expect("address").to_string();
        assert_eq!(change["action"], "adopt", "{change}");
        // A secret's value cannot be read back, so adopting it writes it once; every
        // other object already is what the manifest says.
        let secret =
            address == "custom_variable.DD_API_KEY" || address == "webhook_auth_method.okta";
        assert_eq!(change["writes"], secret, "{change}");
        adopted.push(address);
    }
    adopted.sort();
    assert_eq!(
        adopted,
        [
            "custom_variable.DD_API_KEY",
            "notification_rule.checkout-oncall",
            "status_board.checkout-monitors-status",
            "webhook.grp-alert-check",
            "webhook.grp-ok-check",
            "webhook.pager-relay",
            "webhook.sms-oncall",
            "webhook_auth_method.okta",
        ],
        "{}",
        plan.stdout
    );
    // The summary counts an adoption under `update`: each of those is one checked above.
    assert_eq!(view["summary"]["create"], 0, "{}", plan.stdout);
    assert_eq!(view["summary"]["update"], adopted.len(), "{}", plan.stdout);
    assert_eq!(view["summary"]["delete"], 0, "{}", plan.stdout);
    assert_eq!(
        view["seeds"].as_array().map_or(0, Vec::len),
        0,
        "{}",
        plan.stdout
    );
    // Reading and planning changed no monitor.
    let messages_after = [
        e.message(errors).await,
        e.message(latency).await,
        e.message(storage).await,
    ];
    assert_eq!(messages_before, messages_after);
}
