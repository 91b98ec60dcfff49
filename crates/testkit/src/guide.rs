//! An org set up by hand as Datadog's well-known guide does it (issue #11): the pair's two
//! webhooks with the API key in the URL's query, `tags` as a string, one object instead of
//! an array and `$ALERT_TITLE`; a token in a custom header of another webhook and a password
//! in its payload; a secret custom variable; and the guide's two condition lines pasted into
//! every monitor of the group, among the text people wrote.

use super::sandbox::{variable_body, Sandbox, MONITORS, VARIABLES, WEBHOOKS};
use serde_json::{json, Value};

/// The org's API key, as the guide pastes it into the webhooks' URL (made up, not a real
/// key). No output may show it.
pub const LEAKED_KEY: &str = "a1b2c3d4e5f60718293a4b5c6d7e8f90";
/// A token in the `Authorization` header of another webhook.
pub const LEAKED_TOKEN: &str = "tok-0f9e8d7c6b5a49382716";
/// A password in that webhook's payload.
pub const LEAKED_PASSWORD: &str = "hunter2-but-longer-42";
/// The value of the secret custom variable.
pub const SECRET_VALUE: &str = "s3cr3t-variable-value-77";
/// Every credential of the org: none may reach any output.
pub const CREDENTIALS: [&str; 4] = [LEAKED_KEY, LEAKED_TOKEN, LEAKED_PASSWORD, SECRET_VALUE];

/// The group of the guide.
pub const GROUP: &str = "mymonitorgroup";

/// The guide's two lines, as people paste them.
pub const HAND_LINES: &str = "{{#is_alert}} @webhook-mymonitorgroup-alert-check {{/is_alert}}\n{{#is_recovery}} @webhook-mymonitorgroup-ok-check {{/is_recovery}}";

/// The scenario's manifest for the group (`webhook_pairs.mymonitorgroup` plus a block over
/// `team:checkout`), as a team would write it after reading the README.
pub const PAIR_MANIFEST: &str = concat!(
    "\n",
    the_variable!(),
    r#"webhook_pairs:
  mymonitorgroup:
    check: mymonitorgroup.status
monitor_notifications:
  mymonitorgroup:
    monitors: {tags: ["team:checkout"]}
    pair: mymonitorgroup
"#
);

/// The guide's payload for `status`: one object, tags as a string, `$ALERT_TITLE`.
pub fn guide_payload(status: u8) -> String {
    json!({
        "check": "mymonitorgroup.status",
        "status": status,
        "host_name": "$HOSTNAME",
        "tags": "monitor:$ALERT_TITLE",
    })
    .to_string()
}

/// The monitors made: id, what people wrote (the hand lines included), and whether it is
/// one of the group's.
pub struct GuideOrg {
    /// `(id, message, in the group)`.
    pub monitors: Vec<(i64, String, bool)>,
}

/// Sets `sandbox` up as the guide does.
pub async fn set_up(sandbox: &Sandbox) -> GuideOrg {
    for (name, status) in [("alert", 2), ("ok", 0)] {
        let (code, body) = sandbox
            .post(WEBHOOKS, json!({
                    "name": format!("{GROUP}-{name}-check"),
                    "url": format!("https://api.datadoghq.com/api/v1/check_run?api_key={LEAKED_KEY}"),
                    "payload": guide_payload(status),
                    "encode_as": "json",
                }))
            .await;
        assert!(code.is_success(), "{code}: {body}");
    }
    let (code, body) = sandbox
        .post(WEBHOOKS, json!({
                "name": "sms-oncall",
                "url": "https://sms.example.com/send",
                "custom_headers": json!({"Authorization": format!("Bearer {LEAKED_TOKEN}")}).to_string(),
                "payload": json!({"text": "$EVENT_TITLE", "password": LEAKED_PASSWORD}).to_string(),
                "encode_as": "json",
            }))
        .await;
    assert!(code.is_success(), "{code}: {body}");
    let (code, body) = sandbox
        .post(VARIABLES, variable_body("SMS_SECRET", SECRET_VALUE, true))
        .await;
    assert!(code.is_success(), "{code}: {body}");
    let texts = [
        (true, format!("Checkout latency is high on {{{{host.name}}}}.\nRunbook: https://wiki/latency\n\n{HAND_LINES}\n@sms-oncall")),
        (true, format!("{HAND_LINES}\nErrors are up. @webhook-sms-oncall")),
        (true, format!("Payments down.\n{}\n  people's notes stay\n{}", HAND_LINES.lines().nth(1).unwrap_or(""), HAND_LINES.lines().next().unwrap_or(""))),
        (false, "Search is slow. @search-team".to_string()),
    ];
    let mut monitors = Vec::new();
    for (i, (ours, message)) in texts.into_iter().enumerate() {
        let tag = if ours { "team:checkout" } else { "team:search" };
        let (code, body): (_, Value) = sandbox
            .post(
                MONITORS,
                json!({
                    "type": "metric alert",
                    "query": "avg(last_5m):avg:system.load.1{*} > 2",
                    "name": format!("guide monitor {i}"),
                    "message": message,
                    "tags": [tag],
                }),
            )
            .await;
        assert!(code.is_success(), "{code}: {body}");
        let id = body["id"].as_i64().expect("monitor id");
        monitors.push((id, message, ours));
    }
    GuideOrg { monitors }
}
