//! Who gets notified, on which transition: every plan's `Routing changes:`, `ddhooks routes`
//! and `--unrouted` through the real binary, and a seeded property test that what `routes`
//! predicts is exactly what the sandbox notifies, transition by transition.

use crate::kit::e2e::E2e;
use crate::kit::fixtures::SCENARIO;
use crate::kit::seed::seeded;
use rand::seq::IndexedRandom;
use rand::Rng;
use serde_json::{json, Value};
use std::collections::BTreeSet;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_that_adds_a_pair_shows_its_webhooks_per_transition_collapsed() {
    let e = E2e::start().await;
    let a = e.checkout_monitor("[checkout] errors", "Errors").await;
    let b = e.checkout_monitor("[checkout] latency", "Latency").await;
    e.write("checkout.yaml", SCENARIO);
    let plan = e.plan(&[]).await;
    plan.assert_exit_shows(
        0,
        &[
            "Routing changes:",
            &format!("  alert: + @webhook-grp-alert-check (2 monitors: {a}, {b})"),
            &format!("  recovery: + @webhook-grp-ok-check (2 monitors: {a}, {b})"),
        ],
    );
    let json = e.plan(&["--format", "json"]).await;
    let view: Value = serde_json::from_str(&json.stdout).expect("JSON plan");
    let changes = view["routing_changes"].as_array().expect("routing_changes");
    assert!(
        changes.iter().any(|c| c["monitor_id"] == a
            && c["transition"] == "alert"
            && c["added"][0]["handle"] == "webhook-grp-alert-check"
            && c["added"][0]["sources"][0] == "block grp"),
        "{}",
        json.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn switching_delivery_shows_no_routing_change_and_a_persons_edit_does() {
    let e = E2e::start().await;
    let id = e.scenario_with_a_checkout_monitor().await;
    e.apply_ok().await;
    e.write("checkout.yaml", &format!("{SCENARIO}    delivery: rule\n"));
    let plan = e.plan(&[]).await;
    plan.assert_shows(&[
        "+ notification_rule.grp will be created",
        "remove block grp",
    ]);
    plan.assert_hides(&["Routing changes:"]);
    e.apply_ok().await;
    // A person adds a handle by hand to a rule-routed monitor: nothing to revert (people's
    // text is theirs), so no plan change; but a person editing the rule ddhooks owns is
    // drift the plan reverts, and the routing it restores is shown.
    let rules = e.rules().await;
    let rule_id = rules[0]["id"].as_str().expect("rule id").to_string();
    let mut attributes = rules[0]["attributes"].clone();
    attributes["conditional_recipients"]["conditions"][0]["recipients"] = json!(["slack-someone"]);
    for owned in ["created_at", "modified_at"] {
        attributes.as_object_mut().unwrap().remove(owned);
    }
    e.replace_rule(&rule_id, attributes).await;
    let plan = e.plan(&[]).await;
    plan.assert_shows(&[
        "Routing changes:",
        &format!("  alert: - @slack-someone (monitor {id})"),
        &format!("  alert: + @webhook-grp-alert-check (monitor {id})"),
    ]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routes_prints_the_table_and_unrouted_names_what_notifies_nobody() {
    let e = E2e::start().await;
    let only_alert = e
        .create_monitor(
            "only alert",
            &["team:a"],
            "{{#is_alert}} @slack-a {{/is_alert}}",
        )
        .await;
    let everywhere = e
        .create_monitor("everywhere", &["team:a"], "Always @slack-b")
        .await;
    e.write("empty.yaml", "version: 1\n");
    let routes = e.verb("routes", &[]).await;
    assert_eq!(routes.code, 0, "{}", routes.all());
    for line in [
        format!("monitor {only_alert} \"only alert\""),
        "  alert: @slack-a (text line 1)".to_string(),
        "  recovery: nobody".to_string(),
        "  recovery: @slack-b (text line 1)".to_string(),
    ] {
        assert!(routes.stdout.contains(&line), "{line}\n{}", routes.stdout);
    }
    let unrouted = e.verb("routes", &["--unrouted"]).await;
    assert_eq!(unrouted.code, 0, "{}", unrouted.all());
    assert!(
        unrouted
            .stdout
            .contains(&format!("monitor {only_alert} \"only alert\"\n")),
        "{}",
        unrouted.stdout
    );
    assert!(
        unrouted.stdout.contains("  recovery: nobody"),
        "{}",
        unrouted.stdout
    );
    assert!(!unrouted.stdout.contains("  alert:"), "{}", unrouted.stdout);
    assert!(
        !unrouted.stdout.contains(&format!("monitor {everywhere}")),
        "{}",
        unrouted.stdout
    );
}

/// Fragments of a random message: plain handles, sections, negated and nested sections,
/// priority sections.
const FRAGMENTS: &[&str] = &[
    "Disk is filling up.",
    "@slack-plain",
    "{{#is_alert}} @pagerduty-alert {{/is_alert}}",
    "{{#is_warning}} @slack-warn {{/is_warning}}",
    "{{^is_recovery}} @slack-not-recovery {{/is_recovery}}",
    "{{#is_recovery}} @slack-recovered {{/is_recovery}}",
    "{{#is_alert_recovery}} @slack-alert-recovered {{/is_alert_recovery}}",
    "{{#is_no_data}} @slack-no-data {{/is_no_data}}",
    "{{#is_renotify}} @pagerduty-renotify {{/is_renotify}}",
    "{{#is_priority 'P1'}} @pagerduty-p1 {{/is_priority}}",
    "{{#is_alert}}{{^is_priority 'P1'}} @slack-alert-not-p1 {{/is_priority}}{{/is_alert}}",
    "{{#is_alert_to_warning}} @slack-downgraded {{/is_alert_to_warning}}",
    "@webhook-shared",
];

const TAGS: &[&str] = &["team:a", "team:b", "env:prod", "env:dev"];
const HANDLES: &[&str] = &["slack-r1", "slack-r2", "pagerduty-r3", "webhook-shared"];
const SCOPES: &[&str] = &[
    "transition_type:is_alert",
    "transition_type:is_recovery",
    "transition_type:is_warning",
    "transition_type:is_no_data",
    "priority:p1",
    "env:prod",
];

/// Between `counts.start()` and `counts.end()` distinct items of `from`.
fn pick<'a>(
    rng: &mut impl Rng,
    from: &[&'a str],
    counts: std::ops::RangeInclusive<usize>,
) -> Vec<&'a str> {
    let n = rng.random_range(counts);
    from.choose_multiple(rng, n).copied().collect()
}

/// A random notification rule people made: a filter on one or two tags, then plain
/// recipients, or conditions (on transitions, the priority or a tag the monitor has) with
/// or without a fallback.
fn random_rule(rng: &mut impl Rng, i: usize) -> Value {
    let filter = json!({"tags": pick(rng, TAGS, 1..=2)});
    let mut rule = json!({"name": format!("people-{i}"), "filter": filter});
    if rng.random_bool(0.3) {
        rule["recipients"] = json!(pick(rng, HANDLES, 1..=2));
    } else {
        let conditions: Vec<Value> = pick(rng, SCOPES, 1..=3)
            .into_iter()
            .map(|scope| json!({"scope": scope, "recipients": pick(rng, HANDLES, 1..=2)}))
            .collect();
        rule["conditional_recipients"] = json!({"conditions": conditions});
        if rng.random_bool(0.5) {
            rule["conditional_recipients"]["fallback_recipients"] =
                json!(pick(rng, HANDLES, 1..=1));
        }
    }
    rule
}

/// Random blocks of the manifests: by message or by rule, on a tag.
fn random_blocks(rng: &mut impl Rng) -> String {
    let mut out = String::from("external_webhooks: [shared]\nmonitor_notifications:\n");
    for i in 0..rng.random_range(1..=3) {
        let tag = TAGS.choose(rng).expect("a tag");
        let by_rule = rng.random_bool(0.4);
        out.push_str(&format!(
            "  block-{i}:\n    monitors: {{tags: [\"{tag}\"]}}\n"
        ));
        if by_rule {
            out.push_str("    delivery: rule\n");
        }
        out.push_str("    notify:\n");
        let conditions: &[&str] = if by_rule {
            &["is_alert", "is_recovery", "is_warning", "is_no_data"]
        } else {
            &[
                "is_alert",
                "is_recovery",
                "^is_alert",
                "is_warning",
                "is_renotify",
                "is_alert_recovery",
            ]
        };
        for cond in pick(rng, conditions, 1..=2) {
            let handles: Vec<String> = pick(rng, HANDLES, 1..=2)
                .into_iter()
                .map(|h| format!("\"@{h}\""))
                .collect();
            out.push_str(&format!("      \"{cond}\": [{}]\n", handles.join(", ")));
        }
        if by_rule && rng.random_bool(0.4) {
            out.push_str(&format!(
                "    otherwise: [\"@{}\"]\n",
                HANDLES.choose(rng).expect("a handle")
            ));
        }
    }
    out
}

/// The transitions, as the sandbox makes them: the state to start from, the state to go
/// to, and whether it is a re-notification.
const MOVES: &[(&str, &str, &str, bool)] = &[
    ("alert", "OK", "Alert", false),
    ("warning", "OK", "Warn", false),
    ("no-data", "OK", "No Data", false),
    ("recovery", "Alert", "OK", false),
    ("warning-recovery", "Warn", "OK", false),
    ("no-data-recovery", "No Data", "OK", false),
    ("alert-to-warning", "Alert", "Warn", false),
    ("renotify", "Alert", "Alert", true),
];

/// For random monitors (messages of nested and negated sections, plain handles, priorities,
/// tags, drafts), random rules people made and random blocks applied by ddhooks: on every
/// transition, the recipients `ddhooks routes` predicts (those that depend on no firing
/// group) are exactly those the sandbox notifies, each once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routes_predicts_exactly_whom_the_sandbox_notifies() {
    let mut seed = seeded("routes_predicts_exactly_whom_the_sandbox_notifies");
    let replay = seed.replay();
    for round in 0..3 {
        let rng = &mut seed.rng;
        let e = E2e::start().await;
        // The PagerDuty service blocks and rules page exists (handles are checked).
        e.add_integrations(&["pagerduty:r3"]).await;
        let mut ids = Vec::new();
        for i in 0..10 {
            let message: Vec<&str> = (0..rng.random_range(1..=5))
                .map(|_| *FRAGMENTS.choose(rng).expect("a fragment"))
                .collect();
            let tags = pick(rng, TAGS, 0..=3);
            let mut fields = json!({});
            if rng.random_bool(0.5) {
                fields["priority"] = json!(rng.random_range(1..=5));
            }
            if rng.random_bool(0.1) {
                fields["draft_status"] = json!("draft");
            }
            ids.push(
                e.create_monitor_with(&format!("m{i}"), &tags, &message.join("\n"), fields)
                    .await,
            );
        }
        for i in 0..rng.random_range(0..=3) {
            e.create_rule(random_rule(rng, i)).await;
        }
        e.write("blocks.yaml", &random_blocks(rng));
        let applied = e.apply(&["--auto-approve"]).await;
        assert_eq!(
            applied.code,
            0,
            "round {round}, {replay}:\n{}",
            applied.all()
        );

        let routes = e.verb("routes", &["--format", "json"]).await;
        assert_eq!(routes.code, 0, "round {round}, {replay}:\n{}", routes.all());
        let table: Value = serde_json::from_str(&routes.stdout).expect("JSON table");
        for &id in &ids {
            for (name, from, to, renotify) in MOVES {
                let predicted: Vec<String> = table["rows"]
                    .as_array()
                    .expect("rows")
                    .iter()
                    .filter(|r| r["monitor_id"] == id && r["transition"] == *name)
                    .flat_map(|r| r["recipients"].as_array().cloned().unwrap_or_default())
                    .filter(|r| r.get("when").is_none())
                    .map(|r| r["handle"].as_str().unwrap_or_default().to_string())
                    .collect();
                let predicted_once: BTreeSet<String> = predicted.iter().cloned().collect();
                assert_eq!(
                    predicted_once.len(),
                    predicted.len(),
                    "round {round}, monitor {id}, {name}: routes names a recipient twice: {predicted:?}, {replay}"
                );
                let predicted = predicted_once;
                e.transition(id, from).await;
                e.transition_with(id, json!({"to": to, "renotify": renotify}))
                    .await;
                let record = e
                    .notifications()
                    .await
                    .pop()
                    .expect("a notification record");
                assert_eq!(record["monitor_id"], id, "{record}");
                let notified: Vec<String> = record["recipients"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
                    .iter()
                    .map(|r| r.as_str().unwrap_or_default().to_string())
                    .collect();
                let once: BTreeSet<String> = notified.iter().cloned().collect();
                assert_eq!(
                    once.len(),
                    notified.len(),
                    "notified once each: {notified:?}, {replay}"
                );
                assert_eq!(
                    predicted, once,
                    "round {round}, monitor {id}, {name}: routes predicted {predicted:?}, the sandbox notified {once:?}, {replay}"
                );
            }
        }
    }
}

/// Coverage warnings: a pair routed on alert but not on recovery leaves its group CRITICAL
/// on the board (plan and `routes --unrouted` say so); monitors a plan wires while they are
/// in No Data are not counted by seeding when the pair has no `no_data` status.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pair_routed_on_alert_only_and_unseeded_no_data_monitors_are_warned() {
    let e = E2e::start().await;
    let id = e.checkout_monitor("[checkout] errors", "Errors").await;
    // New monitors are in No Data until evaluated, as in Datadog.
    let alert_only = SCENARIO.replace(
        "    pair: grp\n",
        "    notify:\n      is_alert: [\"@webhook-grp-alert-check\"]\n",
    );
    e.write("checkout.yaml", &alert_only);
    let plan = e.plan(&[]).await;
    plan.assert_exit_shows(0, &[
        &format!("pair grp: 1 monitor is ({id}) routed to @webhook-grp-alert-check on alert but not to @webhook-grp-ok-check on recovery"),
        &format!("pair grp: of the monitors this plan wires, 1 monitor is ({id}) in No Data"),
    ]);
    e.apply_ok().await;
    let routes = e.verb("routes", &["--unrouted"]).await;
    assert_eq!(routes.code, 0, "{}", routes.all());
    assert!(
        routes
            .stderr
            .contains("routed to @webhook-grp-alert-check on alert but not"),
        "{}",
        routes.all()
    );
    // The whole pair routes both: no warning.
    e.write("checkout.yaml", SCENARIO);
    let plan = e.plan(&[]).await;
    plan.assert_hides(&["but not to @webhook-grp-ok-check"]);
}
