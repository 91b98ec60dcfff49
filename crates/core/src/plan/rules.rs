//! Notification rules in the plan: the rules of blocks declared `delivery: rule` against the
//! org's listed rules and the registry (ownership by id, adoption by name), and what a
//! reviewer should know about how rules meet monitor messages.

use super::by_id::{plan_kind, Kind};
use super::model::{Address, Change, Edit, Fingerprint, Plan};
use crate::model::{Desired, NotificationRule, Remote, RuleFilter, RuleRecipients};
use crate::registry::{OwnedKind, Registry};
use crate::template;
use crate::template::{filter_matches, recipient_webhook};
use std::collections::{BTreeMap, BTreeSet};

/// The fingerprint of a rule as read: its id and everything ddhooks compares.
pub fn rule_fingerprint(id: &str, rule: &NotificationRule) -> Fingerprint {
    super::fields_fingerprint(id, crate::model::canonical::rule(rule))
}

/// The webhook names a rule's recipients call (`webhook-NAME`), in order, each once.
pub fn rule_webhooks(rule: &NotificationRule) -> Vec<&str> {
    let lists: Vec<&Vec<String>> = match &rule.recipients {
        RuleRecipients::Always(list) => vec![list],
        RuleRecipients::Conditional {
            conditions,
            fallback,
        } => conditions
            .iter()
            .map(|c| &c.recipients)
            .chain(std::iter::once(fallback))
            .collect(),
    };
    let mut out: Vec<&str> = Vec::new();
    for name in lists
        .into_iter()
        .flatten()
        .filter_map(|r| recipient_webhook(r))
    {
        if !out.contains(&name) {
            out.push(name);
        }
    }
    out
}

/// Plans every desired rule and every owned rule no longer desired (adoption by name).
pub(super) fn plan_rules(desired: &Desired, remote: &Remote, registry: &Registry, out: &mut Plan) {
    let kind = Kind {
        noun: "rule",
        keyed: "named",
        desired: desired
            .notification_rules
            .iter()
            .map(|(name, rule)| (name.as_str(), rule, rule.name.as_str()))
            .collect(),
        remote: remote
            .notification_rules
            .values()
            .map(|r| {
                (
                    r.id.as_str(),
                    (&r.rule, r.rule.name.as_str(), &r.unmodelled),
                )
            })
            .collect(),
        registry,
        owned: OwnedKind::NotificationRule,
        change: Change::NotificationRule,
        fingerprint: rule_fingerprint,
    };
    plan_kind(kind, out);
}

/// Webhook deletions that would break a rule ddhooks does not own are held back: a rule
/// people made that names `webhook-NAME` is a use, as a mention in a message is.
pub(super) fn hold_webhooks_used_by_rules(
    remote: &Remote,
    registry: &Registry,
    force: bool,
    out: &mut Plan,
) {
    if force {
        return;
    }
    let owned: BTreeSet<&str> = registry
        .owned_ids(OwnedKind::NotificationRule)
        .map(|(_, id)| id)
        .collect();
    let mut users: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for rule in remote
        .notification_rules
        .values()
        .filter(|r| !owned.contains(r.id.as_str()))
    {
        for webhook in rule_webhooks(&rule.rule) {
            users.entry(webhook).or_default().push(&rule.rule.name);
        }
    }
    if users.is_empty() {
        return;
    }
    let mut held = Vec::new();
    out.changes.retain(|c| match c {
        Change::Webhook(w) if matches!(w.edit, Edit::Delete { .. }) => {
            match users.get(w.name.as_str()) {
                Some(rules) => {
                    held.push(super::Held {
                        address: Address::Webhook(w.name.clone()),
                        reason: format!(
                            "not deleted: notification rules not managed by ddhooks ({}) send to webhook-{}; remove it from them, or pass --force",
                            rules.join(", "),
                            w.name
                        ),
                    });
                    false
                }
                None => true,
            }
        }
        _ => true,
    });
    out.held.extend(held);
}

/// Which monitors each desired rule selects, testing a tag filter only against the
/// monitors that have its first tag.
fn selected_monitors<'a>(
    desired: &'a Desired,
    remote: &'a Remote,
) -> Vec<(&'a NotificationRule, Vec<i64>)> {
    let mut by_tag: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    let needs_index = desired
        .notification_rules
        .values()
        .any(|r| matches!(r.filter, RuleFilter::Tags(_)));
    if needs_index {
        for m in remote.monitors.values() {
            for tag in &m.tags {
                by_tag.entry(tag.as_str()).or_default().push(m.id);
            }
        }
    }
    desired
        .notification_rules
        .values()
        .map(|rule| {
            let ids = match &rule.filter {
                RuleFilter::Tags(tags) => match tags.first() {
                    Some(first) => by_tag
                        .get(first.as_str())
                        .into_iter()
                        .flatten()
                        .copied()
                        .filter(|id| {
                            remote
                                .monitors
                                .get(id)
                                .is_some_and(|m| filter_matches(&rule.filter, &m.tags))
                        })
                        .collect(),
                    None => Vec::new(),
                },
                RuleFilter::Scope(_) => remote
                    .monitors
                    .values()
                    .filter(|m| filter_matches(&rule.filter, &m.tags))
                    .map(|m| m.id)
                    .collect(),
            };
            (rule, ids)
        })
        .collect()
}

/// What a reviewer should know about the desired rules: a rule that selects no monitor,
/// and a monitor that gets the same webhook from a rule and from its message (a managed
/// block or people's text). Datadog merges a rule's recipients with the message's handles
/// and notifies each once, so the second is noise rather than double delivery; it is said
/// so that one of the two can go. Messages are taken as the plan leaves them.
pub(super) fn warn_about_rules(desired: &Desired, remote: &Remote, out: &mut Plan) {
    if desired.notification_rules.is_empty() {
        return;
    }
    let after: BTreeMap<i64, &str> = out
        .changes
        .iter()
        .filter_map(|c| match c {
            Change::Monitor(m) => Some((m.id, m.after.as_str())),
            _ => None,
        })
        .collect();
    let mut warnings = Vec::new();
    for (rule, ids) in selected_monitors(desired, remote) {
        if ids.is_empty() {
            let how = match &rule.filter {
                RuleFilter::Tags(tags) => format!("tags {}", tags.join(", ")),
                RuleFilter::Scope(scope) => format!("scope `{scope}`"),
            };
            warnings.push(format!(
                "notification rule `{}` selects no monitor: 0 of the org's {} monitors match its {how}; check the filter",
                rule.name,
                remote.monitor_count()
            ));
            continue;
        }
        let webhooks = rule_webhooks(rule);
        for id in ids {
            let Some(monitor) = remote.monitors.get(&id) else {
                continue;
            };
            let message = after.get(&id).copied().unwrap_or(&monitor.message);
            if !message.contains("@webhook-") {
                continue;
            }
            let blocks = template::find_blocks(message).unwrap_or_default();
            for webhook in &webhooks {
                let in_block = blocks
                    .iter()
                    .find(|b| template::webhook_mentions(&b.body).any(|w| w == *webhook));
                let source = match in_block {
                    Some(b) => format!("ddhooks' block `{}`", b.name),
                    None => {
                        let people = template::without_found_blocks(message, &blocks);
                        if !template::webhook_mentions(&people).any(|w| w == *webhook) {
                            continue;
                        }
                        "its message text".to_string()
                    }
                };
                warnings.push(format!(
                    "monitor {id} \"{}\" gets @webhook-{webhook} from notification rule `{}` and from {source}; Datadog notifies it once (no double delivery), so one of the two is noise: remove one",
                    monitor.name, rule.name
                ));
            }
        }
    }
    out.warnings.extend(warnings);
}
