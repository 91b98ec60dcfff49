//! Notification rules into `monitor_notifications` entries with `delivery: rule`.
//!
//! A rule is written only when its entry lowers (through the manifest loader) to exactly the
//! rule Datadog holds, so the plan adopts it without a write: conditions under `notify:`,
//! plain `recipients` as `always:`, `fallback_recipients` as `otherwise:`. What a manifest
//! cannot say — a condition on another tag or transition, a name that is no block name, a
//! name two rules share (adoption goes by name) — is a finding
//! naming the rule and why, and the rule is left out.

use super::emit::{yaml_key, yaml_string};
use super::entries::{flow_list, not_imported, Context, Section};
use super::Finding;
use crate::manifest::rule::condition_scope;
use crate::model::{
    Condition, NotificationRule, RemoteRule, RuleConditionScope, RuleFilter, RuleRecipients,
    SectionCondition,
};
use crate::plan::rule_webhooks;
use crate::template::recipient_webhook;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

/// The rules' entries under `monitor_notifications`; the rules left out are findings.
pub(crate) fn emit(
    rules: &BTreeMap<String, RemoteRule>,
    cx: &mut Context<'_>,
    findings: &mut Vec<Finding>,
) -> Section {
    let mut out = Section::new("monitor_notifications");
    let mut by_name: BTreeMap<&str, Vec<&RemoteRule>> = BTreeMap::new();
    for r in rules.values() {
        by_name.entry(r.rule.name.as_str()).or_default().push(r);
    }
    for (name, same) in by_name {
        let subject = |r: &RemoteRule| format!("notification rule {name} ({})", r.id);
        if let [_, _, ..] = same.as_slice() {
            let ids: Vec<&str> = same.iter().map(|r| r.id.as_str()).collect();
            for r in &same {
                findings.push(not_imported(
                    &subject(r),
                    format!("{} rules are named `{name}` ({}), and a manifest entry adopts the one rule of its name", same.len(), ids.join(", ")),
                    "rename or delete the others in Datadog, then import again",
                ));
            }
            continue;
        }
        let r = same[0];
        let subject = subject(r);
        if let Err(finding) = cx.claim_block_name(name, &subject) {
            findings.push(finding);
            continue;
        }
        let entry = match entry(&r.rule, cx) {
            Ok(entry) => entry,
            Err(why) => {
                cx.block_names.remove(name);
                findings.push(not_imported(
                    &subject,
                    why,
                    "change the rule in Datadog so a manifest can say it, or keep managing it by hand",
                ));
                continue;
            }
        };
        let exact = cx
            .lower("monitor_notifications", &entry)
            .and_then(|d| d.notification_rules.get(name).cloned())
            .is_some_and(|lowered| lowered == r.rule);
        if !exact {
            cx.block_names.remove(name);
            findings.push(not_imported(
                &subject,
                "the entry written for it would not lower to the same rule".into(),
                "keep managing it by hand (and report this to ddhooks)",
            ));
            continue;
        }
        out.push(&format!("imported from notification rule {}", r.id), &entry);
    }
    out
}

/// The entry for `rule`, or why a manifest cannot say it.
fn entry(rule: &NotificationRule, cx: &Context<'_>) -> Result<String, String> {
    let mut out = String::new();
    let _ = writeln!(out, "  {}:", yaml_key(&rule.name));
    out.push_str("    delivery: rule\n");
    match &rule.filter {
        RuleFilter::Tags(tags) => {
            let _ = writeln!(out, "    monitors:\n      tags: {}", flow_list(tags));
        }
        RuleFilter::Scope(scope) => {
            let _ = writeln!(out, "    monitors:\n      scope: {}", yaml_string(scope));
        }
    }
    let (conditions, fallback) = match &rule.recipients {
        RuleRecipients::Always(list) => {
            check_webhooks(list, cx)?;
            let _ = writeln!(out, "    always: {}", flow_list(&handles(list)));
            return Ok(out);
        }
        RuleRecipients::Conditional {
            conditions,
            fallback,
        } => (conditions, fallback),
    };
    if !fallback.is_empty() {
        check_webhooks(fallback, cx)?;
        let _ = writeln!(out, "    otherwise: {}", flow_list(&handles(fallback)));
    }
    out.push_str("    notify:\n");
    for c in conditions {
        let when = condition_of(&c.scope).ok_or_else(|| {
            format!(
                "its condition `{}` is neither one of the transitions a manifest's rule routes on (is_alert, is_recovery, is_warning, is_no_data) nor `priority:p1`…`p5`",
                c.scope
            )
        })?;
        check_webhooks(&c.recipients, cx)?;
        let _ = writeln!(
            out,
            "      {}: {}",
            yaml_string(&when.to_string()),
            flow_list(&handles(&c.recipients))
        );
    }
    Ok(out)
}

/// Recipients as manifest handles (`slack-x` → `@slack-x`).
fn handles(recipients: &[String]) -> Vec<String> {
    recipients.iter().map(|r| format!("@{r}")).collect()
}

/// Why an entry cannot name these recipients: a webhook this import does not declare.
fn check_webhooks(recipients: &[String], cx: &Context<'_>) -> Result<(), String> {
    for r in recipients {
        if let Some(hook) = recipient_webhook(r) {
            if !cx.webhooks.contains(hook) {
                return Err(format!(
                    "it sends to webhook `{hook}`, which this import does not declare (it does not exist, or could not be imported)"
                ));
            }
        }
    }
    Ok(())
}

/// The `notify` key that lowers to a condition scope: the inverse of the loader's own
/// `manifest::rule::condition_scope`.
fn condition_of(scope: &RuleConditionScope) -> Option<SectionCondition> {
    Condition::SIMPLE
        .into_iter()
        .chain((1..=5).map(Condition::IsPriority))
        .map(|condition| SectionCondition {
            condition,
            negated: false,
        })
        .find(|when| condition_scope(*when).as_ref() == Some(scope))
}

/// Every webhook the rules send to (`webhook-NAME` recipients), with the names of the rules
/// sending to it: import reads and declares them as it does the webhooks monitors mention.
pub fn webhooks_named_by_rules<'a>(
    rules: impl IntoIterator<Item = &'a RemoteRule>,
) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for r in rules {
        for hook in rule_webhooks(&r.rule) {
            out.entry(hook.to_string())
                .or_default()
                .insert(r.rule.name.clone());
        }
    }
    out
}
