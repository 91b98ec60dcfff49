//! Import's round trip of the kinds that keep the names Datadog holds — notification rules,
//! managed blocks, status boards: each imports as an entry the plan adopts unchanged, or as
//! a finding naming the object and why. Apart from the webhooks' and variables' tests
//! (`super`), whose helpers they share.

use super::*;
use crate::model::{
    BoardWidget, NotificationRule, RemoteBoard, RemoteRule, RuleCondition, RuleConditionScope,
    RuleFilter, RuleRecipients, StatusBoard, Unmodelled,
};

/// Imports `found` with the default options and asserts that the imported manifest holds
/// each of `parts`.
fn import_writing(found: &Found, parts: &[&str]) -> Imported {
    let imported = import_default(found);
    let text = &imported.manifest;
    for part in parts {
        assert!(text.contains(part), "{part:?} in:\n{text}");
    }
    imported
}

fn rule(id: &str, name: &str, filter: RuleFilter, recipients: RuleRecipients) -> RemoteRule {
    RemoteRule {
        id: id.into(),
        rule: NotificationRule {
            name: name.into(),
            filter,
            recipients,
        },
        unmodelled: Unmodelled::default(),
    }
}

/// Conditional recipients, `(scope, recipients)` in order, with `fallback`.
fn routed(conditions: &[(&str, &[&str])], fallback: &[&str]) -> RuleRecipients {
    RuleRecipients::Conditional {
        conditions: conditions
            .iter()
            .map(|(scope, to)| RuleCondition {
                scope: RuleConditionScope::parse(scope),
                recipients: to.iter().map(|r| r.to_string()).collect(),
            })
            .collect(),
        fallback: fallback.iter().map(|r| r.to_string()).collect(),
    }
}

/// `exact_pair()` without its monitors (their hand lines would be adopted, a monitor write),
/// plus webhook `relay`, which only rules name.
fn pair_org() -> Found {
    let mut found = exact_pair();
    found.remote.monitors.clear();
    let relay = hook("relay", "https://relay.example.com/in", None, None);
    found.remote.webhooks.insert(relay.name.clone(), relay);
    found
}

/// `pair_org()` holding `rules` too.
fn pair_org_with_rules(rules: impl IntoIterator<Item = RemoteRule>) -> Found {
    let mut found = pair_org();
    for r in rules {
        found.remote.notification_rules.insert(r.id.clone(), r);
    }
    found
}

/// The plan of the imported manifest against what was found: every change an adoption
/// without a write (the secret variables aside: their value cannot be read back).
fn assert_plan_adopts_only(imported: &Imported, found: &Found) -> plan::Plan {
    let plan = plan_of(
        imported,
        found,
        env_values(imported, &[("SMS_SECRET", "s"), ("DD_API_KEY", "k")]),
    );
    for change in &plan.changes {
        let quiet = match change {
            plan::Change::CustomVariable(c) => matches!(c.edit, plan::Edit::Adopt { .. }),
            plan::Change::Webhook(c) => matches!(c.edit, plan::Edit::Adopt { writes: false, .. }),
            plan::Change::NotificationRule(c) => {
                matches!(c.edit, plan::Edit::Adopt { writes: false, .. })
            }
            plan::Change::StatusBoard(c) => {
                matches!(c.edit, plan::Edit::Adopt { writes: false, .. })
            }
            // The client secret cannot be read back, so adopting writes it, as for a secret
            // variable.
            plan::Change::AuthMethod(c) => matches!(c.edit, plan::Edit::Adopt { .. }),
            plan::Change::Monitor(_) => false,
        };
        assert!(quiet, "{change:?}\n{}", imported.manifest);
    }
    plan
}

fn rules_adopted(plan: &plan::Plan) -> Vec<String> {
    plan.changes
        .iter()
        .filter_map(|c| match c {
            plan::Change::NotificationRule(r) => Some(r.name.clone()),
            _ => None,
        })
        .collect()
}

fn finding_about<'f>(imported: &'f Imported, subject: &str) -> &'f Finding {
    imported
        .findings
        .iter()
        .find(|f| f.subject.contains(subject))
        .unwrap_or_else(|| panic!("no finding about {subject}: {:?}", imported.findings))
}

#[test]
fn rules_filtered_by_tags_or_scope_import_as_rule_blocks_the_plan_adopts_unchanged() {
    let found = pair_org_with_rules([
        rule(
            "r-1",
            "checkout-pages",
            RuleFilter::Tags(vec!["team:checkout".into(), "env:prod".into()]),
            routed(
                &[
                    (
                        "transition_type:is_alert",
                        &["webhook-g-alert-check", "slack-oncall"],
                    ),
                    ("transition_type:is_recovery", &["webhook-g-ok-check"]),
                ],
                &[],
            ),
        ),
        rule(
            "r-2",
            "p1-relay",
            RuleFilter::Scope("team:checkout AND NOT env:dev".into()),
            routed(
                &[
                    ("priority:p1", &["webhook-relay"]),
                    ("transition_type:is_no_data", &["email-x@example.com"]),
                ],
                &[],
            ),
        ),
    ]);
    let imported = import_writing(
        &found,
        &[
            "  checkout-pages:\n    delivery: rule\n    monitors:\n      tags: [\"team:checkout\", \"env:prod\"]\n",
            "      scope: \"team:checkout AND NOT env:dev\"\n",
            "      \"is_priority 'P1'\": [\"@webhook-relay\"]\n",
            // The webhook only a rule names is declared, so the rule's handle resolves.
            "  relay:\n    url: ",
        ],
    );
    assert_eq!(imported.counts.rules, 2, "{:?}", imported.findings);
    let plan = assert_plan_adopts_only(&imported, &found);
    assert_eq!(rules_adopted(&plan), ["checkout-pages", "p1-relay"]);
}

#[test]
fn fallback_and_plain_recipients_import_as_otherwise_and_always() {
    let conditions: &[(&str, &[&str])] =
        &[("transition_type:is_alert", &["webhook-g-alert-check"])];
    let found = pair_org_with_rules([
        rule(
            "r-fallback",
            "with-fallback",
            RuleFilter::Tags(vec!["team:checkout".into()]),
            routed(conditions, &["slack-catchall"]),
        ),
        rule(
            "r-plain",
            "plain",
            RuleFilter::Tags(vec!["team:checkout".into()]),
            routed(conditions, &[]),
        ),
        rule(
            "r-always",
            "always",
            RuleFilter::Scope("team:checkout AND env:prod".into()),
            RuleRecipients::Always(vec!["slack-x".into(), "webhook-g-ok-check".into()]),
        ),
    ]);
    let imported = import_writing(
        &found,
        &[
            "    otherwise: [\"@slack-catchall\"]\n",
            "    always: [\"@slack-x\", \"@webhook-g-ok-check\"]\n",
        ],
    );
    // Each lowers to exactly the rule Datadog holds: adopted without a write.
    let plan = assert_plan_adopts_only(&imported, &found);
    assert_eq!(rules_adopted(&plan), ["always", "plain", "with-fallback"]);
}

#[test]
fn rules_a_manifest_cannot_say_are_findings_naming_the_rule_and_why() {
    let tags = || RuleFilter::Tags(vec!["team:checkout".into()]);
    let alert: &[(&str, &[&str])] = &[("transition_type:is_alert", &["slack-x"])];
    let mut found = pair_org_with_rules([
        rule(
            "b",
            "renotify",
            tags(),
            routed(&[("transition_type:is_renotify", &["slack-x"])], &[]),
        ),
        rule(
            "c",
            "by-env",
            tags(),
            routed(&[("env:prod", &["slack-x"])], &[]),
        ),
        rule("d", "Checkout on-call", tags(), routed(alert, &[])),
        rule("e", "twice", tags(), routed(alert, &[])),
        rule("f", "twice", tags(), routed(alert, &[])),
        rule(
            "g",
            "to-nowhere",
            tags(),
            routed(&[("transition_type:is_alert", &["webhook-gone"])], &[]),
        ),
    ]);
    found
        .missing_webhooks
        .insert("gone".into(), BTreeSet::new());
    let imported = import_default(&found);
    assert_eq!(imported.counts.rules, 0, "{}", imported.manifest);
    assert!(
        !imported.manifest.contains("delivery: rule"),
        "{}",
        imported.manifest
    );
    for (subject, why) in [
        (
            "notification rule renotify (b)",
            "`transition_type:is_renotify`",
        ),
        ("notification rule by-env (c)", "`env:prod`"),
        (
            "notification rule Checkout on-call (d)",
            "cannot name a `monitor_notifications` entry",
        ),
        (
            "notification rule twice (e)",
            "2 rules are named `twice` (e, f)",
        ),
        (
            "notification rule twice (f)",
            "2 rules are named `twice` (e, f)",
        ),
        ("notification rule to-nowhere (g)", "webhook `gone`"),
    ] {
        let f = finding_about(&imported, subject);
        assert!(f.message.starts_with("is not imported: "), "{f}");
        assert!(f.message.contains(why), "{f}");
    }
    let missing = finding_about(&imported, "webhook gone");
    assert_eq!(missing.kind, FindingKind::Missing);
    assert!(
        missing
            .message
            .contains("named by notification rules to-nowhere"),
        "{missing}"
    );
    assert_plan_adopts_only(&imported, &found);
}

/// `body` between ddhooks' markers of block `name`, after people's `text`.
fn with_block(text: &str, name: &str, body: &str) -> String {
    format!("{text}\n\n{}", crate::template::render_block(name, body))
}

#[test]
fn managed_blocks_import_grouped_by_body_with_their_ids_and_a_pair_is_recognised() {
    let mut found = pair_org();
    let notes = "{{#is_warning}} @slack-x {{/is_warning}}\nCall @pagerduty-y, then @webhook-relay";
    for m in [
        monitor(10, &["team:checkout"], &with_block("Latency", "g", LINES)),
        monitor(11, &[], &with_block("Errors", "g", LINES)),
        monitor(12, &[], &with_block("Disk", "notes", notes)),
        // The same body as the planner compares it (trailing spaces are no drift).
        monitor(
            13,
            &[],
            &with_block("CPU", "notes", &notes.replace('\n', "  \n")),
        ),
        monitor(14, &[], &with_block("A", "split", "@slack-a")),
        monitor(15, &[], &with_block("B", "split", "@slack-b")),
        monitor(16, &[], "No block here"),
    ] {
        found.remote.monitors.insert(m.id, m);
    }
    let imported = import_writing(
        &found,
        &[
            "  g:\n    monitors:\n      ids: [10, 11]\n    pair: g\n",
            "  notes:\n    monitors:\n      ids: [12, 13]\n    text: |-\n      {{#is_warning}} @slack-x {{/is_warning}}\n      Call @pagerduty-y, then @webhook-relay\n",
        ],
    );
    assert_eq!(imported.counts.blocks, 2, "{:?}", imported.findings);
    let f = finding_about(&imported, "managed block split");
    assert!(f.message.contains("(14; 15)"), "{f}");
    // The plan keeps every block it imported; only the one left out is removed.
    let plan = plan_of(
        &imported,
        &found,
        env_values(&imported, &[("DD_API_KEY", "k"), ("SMS_SECRET", "s")]),
    );
    let monitors: Vec<(i64, Vec<String>)> = plan
        .changes
        .iter()
        .filter_map(|c| match c {
            plan::Change::Monitor(m) => Some((
                m.id,
                m.blocks
                    .iter()
                    .map(|b| format!("{} {:?}", b.block, b.action))
                    .collect(),
            )),
            _ => None,
        })
        .collect();
    assert_eq!(
        monitors,
        [
            (14, vec!["split Remove".to_string()]),
            (15, vec!["split Remove".to_string()])
        ],
        "{}",
        imported.manifest
    );
    assert!(plan.seeds.is_empty(), "{:?}", plan.seeds);
}

fn board(id: &str, title: &str, widgets: Vec<BoardWidget>) -> RemoteBoard {
    RemoteBoard {
        id: id.into(),
        board: StatusBoard {
            title: title.into(),
            description: Some("Built by ddhooks".into()),
            widgets,
        },
        unmodelled: Unmodelled::default(),
    }
}

fn check_widget(title: &str, check: &str, x: u32) -> BoardWidget {
    BoardWidget::check_status(title, check, [x, 0, 15, 8])
}

#[test]
fn a_status_board_imports_only_when_its_entry_builds_the_same_board() {
    let mut found = pair_org();
    let ok = || check_widget("g: monitors by status", "g.status", 0);
    let other = BoardWidget::Other {
        kind: "note".into(),
        title: None,
    };
    for b in [
        board("aaa-111", "Checkout status", vec![ok()]),
        board(
            "bbb-222",
            "Moved",
            vec![check_widget("g: monitors by status", "g.status", 3)],
        ),
        board("ccc-333", "With a note", vec![ok(), other]),
        board("ddd-444", "Twin", vec![ok()]),
        board(
            "eee-555",
            "Someone's",
            vec![check_widget("x", "other.check", 0)],
        ),
        board(
            "fff-666",
            "Owned",
            vec![check_widget("x", "other.check", 0)],
        ),
    ] {
        found
            .remote
            .dashboards
            .insert(b.id.clone(), b.board.title.clone());
        found.remote.status_boards.insert(b.id.clone(), b);
    }
    found
        .remote
        .dashboards
        .insert("zzz-999".into(), "Twin".into());
    found.owned_boards.insert("fff-666".into());
    let imported = import_default(&found);
    let text = &imported.manifest;
    assert_eq!(imported.counts.boards, 1, "{text}\n{:?}", imported.findings);
    assert!(
        text.contains("status_boards:\n  # imported from dashboard aaa-111\n  checkout-status:\n    title: \"Checkout status\"\n    description: \"Built by ddhooks\"\n    pairs: [\"g\"]\n"),
        "{text}"
    );
    for (subject, why) in [
        ("status board Moved (bbb-222)", "layout"),
        ("status board With a note (ccc-333)", "a `note` widget"),
        (
            "status board Twin (ddd-444)",
            "dashboards zzz-999 have the same title",
        ),
        ("status board Owned (fff-666)", "check `other.check`"),
    ] {
        assert!(
            finding_about(&imported, subject).message.contains(why),
            "{subject}"
        );
    }
    assert!(!imported
        .findings
        .iter()
        .any(|f| f.subject.contains("eee-555")));
    let plan = assert_plan_adopts_only(&imported, &found);
    let boards: Vec<&str> = plan
        .changes
        .iter()
        .filter_map(|c| match c {
            plan::Change::StatusBoard(b) => b.id.as_deref(),
            _ => None,
        })
        .collect();
    assert_eq!(boards, ["aaa-111"]);
}
