//! Manifests load into exactly the model they describe: random valid manifests written as
//! YAML load back into the model they were written from; a pair expands into the documented
//! webhooks and rules; angle spellings become Datadog's; environment values are never printed;
//! a `delivery: rule` block becomes exactly the notification rule it describes, and
//! `delivery: message` is the block it always was; a status board becomes exactly its
//! dashboard, and a pair exactly the check run seeded on its behalf.

use super::load;
use ddhooks_core::manifest::{load_sources, LoadOptions, Source};
use ddhooks_core::model::{
    BoardWidget, Condition, CustomVariable, Desired, EncodeAs, MonitorSelector, NotificationBlock,
    NotificationRule, NotifyRule, RuleCondition, RuleConditionScope, RuleFilter, RuleRecipients,
    Secret, SectionCondition, SeededPair, StatusBoard, Webhook, WebhookOrigin, WidgetLayout,
};
use proptest::prelude::*;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

fn text() -> impl Strategy<Value = String> {
    // Anything but `$` (no `${env:…}` and no `$VARIABLE` references to declare).
    "[^$]{0,16}"
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,6}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn condition() -> impl Strategy<Value = SectionCondition> {
    (
        prop_oneof![
            prop::sample::select(Condition::SIMPLE.to_vec()),
            (1u8..=5).prop_map(Condition::IsPriority)
        ],
        any::<bool>(),
    )
        .prop_map(|(condition, negated)| SectionCondition { condition, negated })
}

prop_compose! {
    fn webhook()(
        name in "[a-z][a-z0-9_]{0,8}",
        path in "[a-z0-9/]{0,10}",
        payload in prop::option::of(json_value().prop_filter("null is the default", |v| !v.is_null())),
        headers in prop::option::of(prop::collection::btree_map("X-[A-Za-z0-9]{1,6}", text(), 0..3)),
        form in any::<bool>(),
        renamed in prop::option::of("old-[a-z]{1,5}"),
    ) -> Webhook {
        Webhook {
            url: format!("https://hooks.example.com/{path}"),
            name,
            payload,
            custom_headers: headers.map(|h| {
                let mut seen = BTreeSet::new();
                h.into_iter().filter(|(k, _)| seen.insert(k.to_ascii_lowercase())).collect()
            }),
            encode_as: if form { EncodeAs::Form } else { EncodeAs::Json },
            renamed_from: renamed,
            origin: WebhookOrigin::Declared,
        }
    }
}

prop_compose! {
    fn desired()(
        vars in prop::collection::btree_map("[A-Z][A-Z0-9_]{0,8}", (text(), any::<bool>()), 0..4),
        hooks in prop::collection::vec(webhook(), 0..4),
        external in prop::collection::btree_set("ext-[a-z]{1,4}", 0..3),
        blocks in prop::collection::btree_map(
            "[a-z][a-z0-9-]{0,8}",
            (
                prop::collection::btree_set(any::<i64>(), 0..3),
                prop::collection::vec("[a-z]{1,5}:[a-z0-9]{1,5}", 0..3),
                prop::option::of("[a-z][a-z ]{0,8}"),
                prop::collection::vec((condition(), prop::collection::vec(0usize..100, 1..3)), 1..4),
                prop::option::of("[a-z][a-z .]{0,20}"),
            ),
            0..4,
        ),
    ) -> Desired {
        let mut d = Desired::default();
        for (name, (value, secret)) in vars {
            d.custom_variables.insert(name.clone(), CustomVariable { name, value: Secret::new(value), secret });
        }
        for h in hooks {
            d.webhooks.entry(h.name.clone()).or_insert(h);
        }
        d.external_webhooks = external;
        let targets: Vec<String> = d
            .webhooks
            .keys()
            .chain(d.external_webhooks.iter())
            .map(|n| format!("@webhook-{n}"))
            .chain(["@slack-team".to_string(), "@pagerduty-x".to_string()])
            .collect();
        for (name, (ids, tags, monitor_name, rules, text)) in blocks {
            let mut seen = BTreeSet::new();
            let rules: Vec<NotifyRule> = rules
                .into_iter()
                .filter(|(when, _)| seen.insert(*when))
                .map(|(when, picks)| NotifyRule {
                    when,
                    handles: picks.into_iter().map(|i| targets[i % targets.len()].clone()).collect(),
                })
                .collect();
            let mut monitors = MonitorSelector { ids, tags, name: monitor_name };
            if monitors.is_empty() {
                monitors.ids.insert(1);
            }
            d.blocks.insert(name.clone(), NotificationBlock { name, monitors, rules, text });
        }
        d
    }
}

/// The manifest a user would write for `d` (as JSON, then written as YAML).
fn manifest(d: &Desired) -> Value {
    let variable = |v: &CustomVariable| json!({"value": v.value.expose(), "secret": v.secret});
    json!({
        "custom_variables": by_name(d.custom_variables.values(), |v| (&v.name, variable(v))),
        "webhooks": by_name(d.webhooks.values(), |w| (&w.name, written_webhook(w))),
        "monitor_notifications": by_name(d.blocks.values(), |b| (&b.name, written_block(b))),
        "external_webhooks": d.external_webhooks,
    })
}

/// A manifest section: each item's name and what is written under it.
fn by_name<'a, T: 'a>(
    items: impl Iterator<Item = &'a T>,
    entry: impl Fn(&'a T) -> (&'a String, Value),
) -> Map<String, Value> {
    items
        .map(entry)
        .map(|(name, written)| (name.clone(), written))
        .collect()
}

/// A webhook as written.
fn written_webhook(w: &Webhook) -> Value {
    let mut m = Map::new();
    m.insert("url".into(), json!(w.url));
    if let Some(p) = &w.payload {
        m.insert("payload".into(), p.clone());
    }
    if let Some(h) = &w.custom_headers {
        m.insert("custom_headers".into(), json!(h));
    }
    m.insert("encode_as".into(), json!(w.encode_as.as_str()));
    if let Some(r) = &w.renamed_from {
        m.insert("renamed_from".into(), json!(r));
    }
    Value::Object(m)
}

/// A notification block as written.
fn written_block(b: &NotificationBlock) -> Value {
    let mut sel = Map::new();
    if !b.monitors.ids.is_empty() {
        sel.insert("ids".into(), json!(b.monitors.ids));
    }
    if !b.monitors.tags.is_empty() {
        sel.insert("tags".into(), json!(b.monitors.tags));
    }
    if let Some(n) = &b.monitors.name {
        sel.insert("name".into(), json!(n));
    }
    let notify: Map<String, Value> = b
        .rules
        .iter()
        .map(|r| (r.when.to_string(), json!(r.handles)))
        .collect();
    let mut m = Map::new();
    m.insert("monitors".into(), Value::Object(sel));
    m.insert("notify".into(), Value::Object(notify));
    if let Some(t) = &b.text {
        m.insert("text".into(), json!(t));
    }
    Value::Object(m)
}

/// The conditions a rule can route on, as written in `notify` and as the rule's scope.
fn rule_condition() -> impl Strategy<Value = (String, RuleConditionScope)> {
    prop_oneof![
        prop::sample::select(vec![
            Condition::IsAlert,
            Condition::IsRecovery,
            Condition::IsWarning,
            Condition::IsNoData
        ])
        .prop_map(|c| (c.to_string(), RuleConditionScope::Transition(c))),
        (1u8..=5).prop_map(|n| (
            Condition::IsPriority(n).to_string(),
            RuleConditionScope::Tag(format!("priority:p{n}"))
        )),
    ]
}

prop_compose! {
    /// A rule block as a user writes it (YAML as JSON) and the filter and recipients of the
    /// rule it must load into.
    fn rule_block()(
        filter in prop_oneof![
            prop::collection::vec("[a-z]{1,5}:[a-z0-9]{1,5}", 1..=20).prop_map(RuleFilter::Tags),
            "[a-z]{1,5}:[a-z0-9]{1,5}( AND NOT [a-z]{1,5}:[a-z0-9]{1,5})?".prop_map(RuleFilter::Scope),
        ],
        conditions in prop::collection::vec(
            (rule_condition(), prop::collection::vec(prop::sample::select(vec!["slack-team", "pagerduty-x", "webhook-ext-a"]), 1..=20)),
            1..=9,
        ),
    ) -> (Value, RuleFilter, RuleRecipients) {
        let mut seen = BTreeSet::new();
        let conditions: Vec<((String, RuleConditionScope), Vec<&str>)> =
            conditions.into_iter().filter(|((key, _), _)| seen.insert(key.clone())).collect();
        let notify: Map<String, Value> = conditions
            .iter()
            .map(|((key, _), to)| {
                let handles: Vec<String> = to.iter().map(|h| format!("@{h}")).collect();
                (key.clone(), json!(handles))
            })
            .collect();
        let monitors = match &filter {
            RuleFilter::Tags(tags) => json!({"tags": tags}),
            RuleFilter::Scope(scope) => json!({"scope": scope}),
        };
        let written = json!({"delivery": "rule", "monitors": monitors, "notify": notify});
        let recipients = RuleRecipients::Conditional {
            conditions: conditions
                .into_iter()
                .map(|((_, scope), to)| RuleCondition {
                    scope,
                    recipients: to.into_iter().map(str::to_string).collect(),
                })
                .collect(),
            fallback: vec![],
        };
        (written, filter, recipients)
    }
}

/// `d`'s manifest with `delivery: message` written on every block.
fn with_explicit_message_delivery(d: &Desired) -> Value {
    let mut m = manifest(d);
    if let Some(blocks) = m["monitor_notifications"].as_object_mut() {
        for block in blocks.values_mut() {
            block["delivery"] = json!("message");
        }
    }
    m
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_valid_manifests_load_into_the_same_model(d in desired()) {
        let yaml = serde_yaml::to_string(&manifest(&d)).unwrap();
        let loaded = load(std::slice::from_ref(&yaml), &LoadOptions::default());
        prop_assert_eq!(loaded.as_ref(), Ok(&d), "yaml:\n{}", yaml);
    }

    #[test]
    fn delivery_message_is_the_default(d in desired()) {
        let yaml = serde_yaml::to_string(&with_explicit_message_delivery(&d)).unwrap();
        let loaded = load(std::slice::from_ref(&yaml), &LoadOptions::default());
        prop_assert_eq!(loaded.as_ref(), Ok(&d), "yaml:\n{}", yaml);
    }

    #[test]
    fn random_rule_blocks_load_into_the_rule_they_describe(
        blocks in prop::collection::btree_map("[a-z][a-z0-9-]{0,8}", rule_block(), 1..4),
    ) {
        let written: Map<String, Value> = blocks.iter().map(|(name, (w, _, _))| (name.clone(), w.clone())).collect();
        let yaml = serde_yaml::to_string(&json!({
            "external_webhooks": ["ext-a"],
            "monitor_notifications": written,
        }))
        .unwrap();
        let loaded = load(std::slice::from_ref(&yaml), &LoadOptions::default());
        let mut expected = Desired::default();
        expected.external_webhooks.insert("ext-a".into());
        for (name, (_, filter, recipients)) in blocks {
            let rule = NotificationRule { name: name.clone(), filter, recipients };
            expected.notification_rules.insert(name, rule);
        }
        prop_assert_eq!(loaded.as_ref(), Ok(&expected), "yaml:\n{}", yaml);
    }
}

/// A manifest declaring pair `g` with these `statuses` (and the API key it sends), then
/// `blocks` under `monitor_notifications:`.
fn with_pair_g(statuses: &str, blocks: &str) -> String {
    format!(
        "custom_variables:\n  DD_API_KEY: {{value: \"${{env:DD_API_KEY}}\", secret: true}}\n\
         webhook_pairs:\n  g:\n    check: g.status\n    statuses: {statuses}\n\
         monitor_notifications:\n{blocks}"
    )
}

/// Options whose environment holds `DD_API_KEY`.
fn with_api_key(options: LoadOptions) -> LoadOptions {
    options.with_env_map(
        [("DD_API_KEY".to_string(), "k".to_string())]
            .into_iter()
            .collect(),
    )
}

#[test]
fn a_rule_block_loads_into_its_notification_rule_and_not_into_blocks() {
    let blocks = r#"
  g-rule:
    delivery: rule
    monitors: {tags: ["team:checkout", "env:prod"]}
    pair: g
    notify:
      is_priority 'P1': ["@pagerduty-checkout", "@slack-oncall"]
      is_no_data: "@slack-checkout @webhook-g-ok-check"
  g-scope:
    delivery: rule
    monitors: {scope: "team:checkout AND NOT env:dev"}
    notify: {is_alert: ["@webhook-g-alert-check"], is_recovery: ["@webhook-g-ok-check"]}
  g-message:
    delivery: message
    monitors: {tags: ["team:checkout"]}
    pair: g
  g-default:
    monitors: {tags: ["team:checkout"]}
    pair: g
"#;
    let yaml = with_pair_g(
        "{alert: 2, recovery: 0, warning: 1}",
        blocks.trim_start_matches('\n'),
    );
    let d = load(&[yaml], &with_api_key(LoadOptions::default())).unwrap();
    let transition = |c: Condition, to: &[&str]| RuleCondition {
        scope: RuleConditionScope::Transition(c),
        recipients: to.iter().map(|h| h.to_string()).collect(),
    };
    assert_eq!(
        d.notification_rules["g-rule"],
        NotificationRule {
            name: "g-rule".into(),
            filter: RuleFilter::Tags(vec!["team:checkout".into(), "env:prod".into()]),
            recipients: RuleRecipients::Conditional {
                conditions: vec![
                    transition(Condition::IsAlert, &["webhook-g-alert-check"]),
                    transition(Condition::IsRecovery, &["webhook-g-ok-check"]),
                    transition(Condition::IsWarning, &["webhook-g-warning-check"]),
                    RuleCondition {
                        scope: RuleConditionScope::Tag("priority:p1".into()),
                        recipients: vec!["pagerduty-checkout".into(), "slack-oncall".into()],
                    },
                    transition(
                        Condition::IsNoData,
                        &["slack-checkout", "webhook-g-ok-check"]
                    ),
                ],
                fallback: vec![],
            },
        }
    );
    assert_eq!(
        d.notification_rules["g-scope"],
        NotificationRule {
            name: "g-scope".into(),
            filter: RuleFilter::Scope("team:checkout AND NOT env:dev".into()),
            recipients: RuleRecipients::Conditional {
                conditions: vec![
                    transition(Condition::IsAlert, &["webhook-g-alert-check"]),
                    transition(Condition::IsRecovery, &["webhook-g-ok-check"]),
                ],
                fallback: vec![],
            },
        }
    );
    let rules: Vec<&str> = d.notification_rules.keys().map(String::as_str).collect();
    assert_eq!(rules, ["g-rule", "g-scope"]);
    let blocks: Vec<&str> = d.blocks.keys().map(String::as_str).collect();
    assert_eq!(blocks, ["g-default", "g-message"]);
    // `delivery: message` is the block it always was.
    let message = &d.blocks["g-message"];
    assert_eq!(
        (&message.monitors, &message.rules, &message.text),
        (
            &d.blocks["g-default"].monitors,
            &d.blocks["g-default"].rules,
            &d.blocks["g-default"].text
        )
    );
    assert_eq!(
        message.body(),
        "{{#is_alert}} @webhook-g-alert-check {{/is_alert}}\n\
         {{#is_recovery}} @webhook-g-ok-check {{/is_recovery}}\n\
         {{#is_warning}} @webhook-g-warning-check {{/is_warning}}"
    );
}

#[test]
fn a_pair_expands_into_the_documented_webhooks_and_rules() {
    let blocks = r#"  g:
    monitors: {tags: ["team:checkout"]}
    pair: g
    notify:
      is_warning: ["@slack-x"]
"#;
    let options = with_api_key(LoadOptions {
        site: "datadoghq.eu".into(),
        ..LoadOptions::default()
    });
    let sources = [Source {
        path: PathBuf::from("m.yaml"),
        text: with_pair_g("{alert: 2, recovery: 0, no_data: 3}", blocks),
    }];
    let loaded = load_sources(&sources, &options).unwrap();
    let d = loaded.desired;
    assert_eq!(d.custom_variables["DD_API_KEY"].value.expose(), "k");
    let names: Vec<&str> = d.webhooks.keys().map(String::as_str).collect();
    assert_eq!(names, ["g-alert-check", "g-no-data-check", "g-ok-check"]);
    let ok = &d.webhooks["g-ok-check"];
    assert_eq!(ok.url, "https://api.datadoghq.eu/api/v1/check_run");
    assert_eq!(
        ok.payload,
        Some(
            json!([{"check": "g.status", "status": 0, "host_name": "$HOSTNAME", "tags": ["monitor_id:$ALERT_ID"]}])
        )
    );
    let headers: BTreeMap<String, String> = [
        ("Content-Type".to_string(), "application/json".to_string()),
        ("DD-API-KEY".to_string(), "$DD_API_KEY".to_string()),
    ]
    .into_iter()
    .collect();
    assert_eq!(ok.custom_headers, Some(headers));
    assert_eq!(ok.origin, WebhookOrigin::Pair("g".into()));
    assert_eq!(
        d.blocks["g"].body(),
        "{{#is_alert}} @webhook-g-alert-check {{/is_alert}}\n\
         {{#is_recovery}} @webhook-g-ok-check {{/is_recovery}}\n\
         {{#is_no_data}} @webhook-g-no-data-check {{/is_no_data}}\n\
         {{#is_warning}} @slack-x {{/is_warning}}"
    );
}

#[test]
fn angle_spellings_are_stored_in_datadog_form_and_env_values_are_never_printed() {
    let yaml = "monitor_notifications:\n  b:\n    monitors: {ids: [1]}\n    text: \"<<#is_alert>> @slack-x <</is_alert>> <<^is_warning>> y <</is_warning>>\"\nwebhooks:\n  h:\n    url: \"${env:HOOK_URL}\"\n";
    let options = LoadOptions::default().with_env_map(
        [(
            "HOOK_URL".to_string(),
            "ftp://super-secret-token".to_string(),
        )]
        .into_iter()
        .collect(),
    );
    let sources = [Source {
        path: PathBuf::from("m.yaml"),
        text: yaml.into(),
    }];
    let err = load_sources(&sources, &options).unwrap_err().to_string();
    assert!(
        err.contains("m.yaml:7:10: error: url `${env:HOOK_URL}` is not an http(s) URL"),
        "{err}"
    );
    assert!(!err.contains("super-secret-token"), "{err}");
    let ok = load(&["monitor_notifications:\n  b:\n    monitors: {ids: [1]}\n    text: \"<<#is_alert>> @slack-x <</is_alert>>\"\n".to_string()], &LoadOptions::default()).unwrap();
    assert_eq!(
        ok.blocks["b"].text.as_deref(),
        Some("{{#is_alert}} @slack-x {{/is_alert}}")
    );
}

#[test]
fn a_status_board_loads_into_its_board_and_a_pair_into_its_seeded_check_run() {
    let blocks = r#"
  g-message:
    monitors: {tags: ["team:checkout"]}
    pair: g
  g-rule:
    delivery: rule
    monitors: {tags: ["team:checkout"]}
    pair: g
  other:
    monitors: {ids: [1]}
    notify: {is_alert: ["@webhook-g-alert-check"], is_recovery: ["@webhook-g-ok-check"]}
"#;
    // A second file: boards name pairs from any file.
    let second = r#"
webhook_pairs:
  quiet:
    check: quiet.status
    seed_status: false
  h:
    check: h.status
    host_name: checkout-host
    tags: ["monitor_id:$ALERT_ID", "team:checkout"]
    statuses: {alert: 2, recovery: 0, no_data: 3}
status_boards:
  checkout:
    title: Checkout monitors status
    description: OK and CRITICAL monitors of each group
    pairs: [h, g, quiet]
    tags: ["team:checkout"]
  plain:
    title: Plain
    pairs: [g]
"#;
    let yaml = with_pair_g(
        "{alert: 2, recovery: 0, warning: 1}",
        blocks.trim_start_matches('\n'),
    );
    let d = load(
        &[yaml.as_str(), second],
        &with_api_key(LoadOptions::default()),
    )
    .unwrap();
    let widget = |pair: &str, check: &str, tags: &[&str], x, y| BoardWidget::CheckStatus {
        title: format!("{pair}: monitors by status"),
        check: check.into(),
        grouping: "cluster".into(),
        tags: tags.iter().map(|t| t.to_string()).collect(),
        layout: WidgetLayout {
            x,
            y,
            width: 15,
            height: 8,
        },
    };
    assert_eq!(
        d.status_boards["checkout"],
        StatusBoard {
            title: "Checkout monitors status".into(),
            description: Some("OK and CRITICAL monitors of each group".into()),
            widgets: vec![
                widget("h", "h.status", &["team:checkout"], 0, 0),
                widget("g", "g.status", &["team:checkout"], 16, 0),
                widget("quiet", "quiet.status", &["team:checkout"], 0, 9),
            ],
        }
    );
    assert_eq!(
        d.status_boards["plain"],
        StatusBoard {
            title: "Plain".into(),
            description: None,
            widgets: vec![widget("g", "g.status", &["*"], 0, 0)],
        }
    );
    assert_eq!(
        d.seeded_pairs["g"],
        SeededPair {
            check: "g.status".into(),
            host_name: "$HOSTNAME".into(),
            tags: vec!["monitor_id:$ALERT_ID".into()],
            ok: 0,
            alert: 2,
            warning: Some(1),
            no_data: None,
            blocks: vec!["g-message".into(), "g-rule".into()],
        }
    );
    assert_eq!(
        d.seeded_pairs["h"],
        SeededPair {
            check: "h.status".into(),
            host_name: "checkout-host".into(),
            tags: vec!["monitor_id:$ALERT_ID".into(), "team:checkout".into()],
            ok: 0,
            alert: 2,
            warning: None,
            no_data: Some(3),
            blocks: vec![],
        }
    );
    // `seed_status: false` leaves the pair out.
    let seeded: Vec<&str> = d.seeded_pairs.keys().map(String::as_str).collect();
    assert_eq!(seeded, ["g", "h"]);
    // What is seeded is what the pair's webhooks send.
    let sent = &d.webhooks["h-no-data-check"].payload;
    assert_eq!(
        sent,
        &Some(
            json!([{"check": "h.status", "status": 3, "host_name": "checkout-host", "tags": ["monitor_id:$ALERT_ID", "team:checkout"]}])
        )
    );
}
