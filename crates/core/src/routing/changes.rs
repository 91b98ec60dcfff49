//! Routing changes: who is notified before a plan and after it, per monitor and transition,
//! for the monitors the plan can change the routing of (those whose message it rewrites, and
//! those a rule it creates, updates or deletes selects before or after). Recipients compare
//! by handle and group condition, not by source: a block switched from `delivery: message`
//! to `delivery: rule` changes no routing, which is what a reviewer wants to see.

use super::{route_all, MonitorRouting, Recipient, TRANSITIONS};
use crate::model::SampleTransition;
use crate::model::{NotificationRule, Remote};
use crate::template::filter_matches;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// How one monitor's routing changes on one transition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoutingChange {
    /// The monitor's id.
    pub monitor: i64,
    /// Its name, for reviewers.
    pub name: String,
    /// The transition.
    #[serde(serialize_with = "transition_name")]
    pub transition: SampleTransition,
    /// Recipients notified after the plan and not before, with their sources after.
    pub added: Vec<Recipient>,
    /// Recipients notified before the plan and not after, with their sources before.
    pub removed: Vec<Recipient>,
}

/// One recipient added or removed, as the text and Markdown plans list them.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RecipientChange {
    /// The transition.
    pub transition: SampleTransition,
    /// Added (`+`) or removed (`-`).
    pub added: bool,
    /// The recipient as a reviewer reads it (`@handle`, with its group condition).
    pub label: String,
}

fn transition_name<S: serde::Serializer>(t: &SampleTransition, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(t.name())
}

impl RoutingChange {
    /// Its recipient changes, one per recipient added or removed.
    pub fn recipient_changes(&self) -> impl Iterator<Item = RecipientChange> + '_ {
        let added = self.added.iter().map(|r| (true, r));
        let removed = self.removed.iter().map(|r| (false, r));
        added.chain(removed).map(|(added, r)| RecipientChange {
            transition: self.transition,
            added,
            label: r.label(),
        })
    }
}

/// What a plan changes that routing depends on: the messages it rewrites, and the rules it
/// creates, updates or deletes (each as before and after: `None` when it does not exist on
/// that side), keyed by the rule's id (its name for a create).
#[derive(Debug, Default)]
pub struct PlannedRouting<'a> {
    /// Each rewritten message, by monitor id.
    pub messages: BTreeMap<i64, &'a str>,
    /// Each rule written: key, before, after.
    pub rules: Vec<(
        &'a str,
        Option<&'a NotificationRule>,
        Option<&'a NotificationRule>,
    )>,
}

/// The routing changes `planned` makes to `remote`, by monitor then transition. Monitors
/// whose message does not parse are left out (the plan reports them as problems).
pub fn routing_changes(remote: &Remote, planned: &PlannedRouting<'_>) -> Vec<RoutingChange> {
    let after_messages = &planned.messages;
    let rules_before: BTreeMap<&str, &NotificationRule> = remote
        .notification_rules
        .values()
        .map(|r| (r.id.as_str(), &r.rule))
        .collect();
    // A rule the plan creates has no id yet: it is keyed by its name, never an id.
    let mut rules_after = rules_before.clone();
    let mut touched_rules: Vec<&NotificationRule> = Vec::new();
    for (key, before, after) in &planned.rules {
        touched_rules.extend(before.iter().copied());
        match after {
            Some(after) => {
                touched_rules.push(after);
                rules_after.insert(key, after);
            }
            None => {
                rules_after.remove(key);
            }
        }
    }
    if after_messages.is_empty() && touched_rules.is_empty() {
        return Vec::new();
    }
    let mut ids: BTreeSet<i64> = after_messages.keys().copied().collect();
    for rule in &touched_rules {
        ids.extend(
            remote
                .monitors
                .values()
                .filter(|m| filter_matches(&rule.filter, &m.tags))
                .map(|m| m.id),
        );
    }
    let rules_before: Vec<&NotificationRule> = rules_before.values().copied().collect();
    let rules_after: Vec<&NotificationRule> = rules_after.values().copied().collect();
    // Each monitor is routed on its own: on both cores, in id order.
    let ids: Vec<i64> = ids.into_iter().collect();
    ids.par_iter()
        .flat_map_iter(|id| {
            let Some(m) = remote.monitors.get(id) else {
                return Vec::new();
            };
            let before = MonitorRouting {
                message: &m.message,
                tags: &m.tags,
                priority: m.priority,
                draft: m.draft,
            };
            let after = MonitorRouting {
                message: after_messages.get(id).copied().unwrap_or(&m.message),
                ..before
            };
            monitor_changes(
                m.id,
                &m.name,
                (&before, &rules_before),
                (&after, &rules_after),
            )
        })
        .collect()
}

/// How one monitor's routing changes, transition by transition, between `before` and
/// `after` (each a monitor and the rules that exist then); nothing if either side's message
/// does not parse.
fn monitor_changes(
    monitor: i64,
    name: &str,
    (before, rules_before): (&MonitorRouting<'_>, &[&NotificationRule]),
    (after, rules_after): (&MonitorRouting<'_>, &[&NotificationRule]),
) -> Vec<RoutingChange> {
    let (Ok(old), Ok(new)) = (
        route_all(before, rules_before, &TRANSITIONS),
        route_all(after, rules_after, &TRANSITIONS),
    ) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for ((transition, old), new) in TRANSITIONS.into_iter().zip(old).zip(new) {
        let key = |r: &Recipient| (r.handle.clone(), r.when.clone());
        let old_keys: BTreeSet<_> = old.iter().map(key).collect();
        let new_keys: BTreeSet<_> = new.iter().map(key).collect();
        let added: Vec<Recipient> = new
            .into_iter()
            .filter(|r| !old_keys.contains(&key(r)))
            .collect();
        let removed: Vec<Recipient> = old
            .into_iter()
            .filter(|r| !new_keys.contains(&key(r)))
            .collect();
        if added.is_empty() && removed.is_empty() {
            continue;
        }
        out.push(RoutingChange {
            monitor,
            name: name.to_string(),
            transition,
            added,
            removed,
        });
    }
    out
}

/// The recipient changes of `changes`, each with the monitors it happens to, in order of
/// transition, then removals before additions, then recipient: monitors whose change is the
/// same collapse into one line.
pub fn collapsed(changes: &[RoutingChange]) -> Vec<(RecipientChange, Vec<i64>)> {
    let mut by_change: BTreeMap<RecipientChange, Vec<i64>> = BTreeMap::new();
    for c in changes {
        for rc in c.recipient_changes() {
            let ids = by_change.entry(rc).or_default();
            if !ids.contains(&c.monitor) {
                ids.push(c.monitor);
            }
        }
    }
    let order = |t: SampleTransition| TRANSITIONS.iter().position(|x| *x == t);
    let mut lines: Vec<(RecipientChange, Vec<i64>)> = by_change.into_iter().collect();
    lines.sort_by(|(a, _), (b, _)| {
        (order(a.transition), a.added, &a.label).cmp(&(order(b.transition), b.added, &b.label))
    });
    lines
}
