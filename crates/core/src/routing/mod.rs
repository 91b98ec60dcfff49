//! Who gets notified, on which transition: the routing of a monitor, computed from the text
//! people wrote in its message, ddhooks' managed blocks, and the notification rules whose
//! filter matches its tags — each recipient with where it comes from.
//!
//! Pure, and built on the one template evaluator ([`crate::template`]), so a recipient the
//! model names on a decided transition is one the sandbox notifies. Datadog's semantics, with
//! their sources, are listed in ARCHITECTURE.md ("Routing"); in short:
//! - handles outside any section are notified on every transition; a section's handles when
//!   its condition holds (an inverted section when it does not);
//! - a monitor in draft notifies nobody;
//! - a rule applies to a monitor whose tags match its filter; it notifies its plain
//!   recipients, or every applying condition's, else its fallback;
//! - a recipient is notified once, however many places name it (`@webhook-x` in a message
//!   and `webhook-x` in a rule are one recipient);
//! - what depends on the firing group (a rule condition on a tag the monitor lacks, an
//!   `is_match` section) is shown as a condition, never guessed.

mod changes;
mod check;
mod table;

pub use crate::model::{Expectations, GivenMonitor, RoutingTest, TestSelector, TestSubject};
pub use check::{
    check, given_message, recipient_text, run, unmet, CaseReport, CaseStatus, CheckError,
    MonitorCheck,
};

pub use changes::{collapsed, routing_changes, PlannedRouting, RecipientChange, RoutingChange};
pub use table::{
    write_table, RouteRow, TableFilter, TableFormat, TableSummary, Unresolved, TABLE_FORMAT_VERSION,
};

use crate::model::SampleTransition;
use crate::model::{NotificationRule, RuleConditionScope, RuleRecipients};
use crate::template::{self, filter_matches, TemplateError, TracedMessage};
use serde::Serialize;
use std::fmt;

/// The transitions routing is computed for: the eight `preview` shows (re-notification
/// among them).
pub const TRANSITIONS: [SampleTransition; 8] = SampleTransition::ALL;

/// What routing needs of a monitor.
#[derive(Debug, Clone, Copy)]
pub struct MonitorRouting<'a> {
    /// Its message, people's text and managed blocks together.
    pub message: &'a str,
    /// Its tags (rules select by them).
    pub tags: &'a [String],
    /// Its priority 1–5, if set (`is_priority` sections, `priority:pN` rule conditions).
    pub priority: Option<u8>,
    /// Whether it is a draft: a draft notifies nobody.
    pub draft: bool,
}

/// Where a recipient comes from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Source {
    /// The text people wrote in the message, at this 1-based line.
    Text {
        /// The line of the handle in the message.
        line: usize,
    },
    /// ddhooks' managed block NAME.
    Block {
        /// The block's name.
        name: String,
    },
    /// A notification rule.
    Rule {
        /// The rule's name.
        name: String,
        /// Which of its lists names the recipient.
        via: RuleVia,
    },
}

/// Which list of a rule names a recipient.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleVia {
    /// Its plain `recipients`: every notification.
    Always,
    /// A condition of its `conditional_recipients` (its scope, as Datadog stores it).
    Condition(String),
    /// Its `fallback_recipients`: no condition applied.
    Fallback,
}

impl fmt::Display for Source {
    /// How a reviewer reads it: `text line 3`, `block grp`, `rule grp (transition_type:is_alert)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Text { line } => write!(f, "text line {line}"),
            Source::Block { name } => write!(f, "block {name}"),
            Source::Rule { name, via } => match via {
                RuleVia::Always => write!(f, "rule {name}"),
                RuleVia::Condition(scope) => write!(f, "rule {name} ({scope})"),
                RuleVia::Fallback => write!(f, "rule {name} (fallback)"),
            },
        }
    }
}

/// A condition on the firing group that a recipient depends on, as a reader says it:
/// `the group has env:prod`, `is_match "env" "prod"`, `not is_match …`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct GroupCondition(pub String);

impl fmt::Display for GroupCondition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One recipient of a transition: a handle (without `@`), whether it depends on the firing
/// group, and every place that names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Recipient {
    /// The handle without `@`, e.g. `webhook-grp-alert-check`, `slack-oncall`.
    pub handle: String,
    /// When only some groups notify it (all must hold); empty: always on this transition.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub when: Vec<GroupCondition>,
    /// Every place that names it, in order.
    pub sources: Vec<Source>,
}

impl Recipient {
    /// `@handle`, with ` (when …)` when it depends on the firing group.
    pub fn label(&self) -> String {
        if self.when.is_empty() {
            format!("@{}", self.handle)
        } else {
            let when: Vec<&str> = self.when.iter().map(|c| c.0.as_str()).collect();
            format!("@{} (when {})", self.handle, when.join(" and "))
        }
    }
}

/// Every handle `message` sends on some transition, at some priority and for some firing
/// group, once each (with where it was first written): what the handle check looks up.
/// A handle right after a section's tag (`{{#is_alert}}@pagerduty-x`) counts, as it does
/// when the message is sent. A message that does not parse sends nothing that can be told.
pub fn handles_sent(message: &str) -> Vec<template::SentHandle> {
    if !message.contains("{{") {
        return template::handles(message)
            .into_iter()
            .map(|h| template::SentHandle {
                name: h.name,
                offset: h.range.start,
                depends_on: Vec::new(),
            })
            .collect();
    }
    let Ok(traced) = TracedMessage::new(message) else {
        return Vec::new();
    };
    let priorities: &[Option<u8>] = if message.contains("is_priority") {
        &[None, Some(1), Some(2), Some(3), Some(4), Some(5)]
    } else {
        &[None]
    };
    let transitions: Vec<_> = priorities
        .iter()
        .flat_map(|&priority| TRANSITIONS.map(|t| t.transition(priority)))
        .collect();
    // Each distinct answer once (the handle check reads the 2,000 managed messages of a
    // plan), in the order first met.
    let (answers, _) = traced.sent_on_each(&transitions);
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for (decided, undecided) in answers {
        for h in decided.into_iter().chain(undecided) {
            if seen.insert(h.name.clone()) {
                out.push(h);
            }
        }
    }
    out
}

/// Whom `monitor` notifies on `transition`, given the org's notification rules (those
/// whose filter does not match its tags are ignored): recipients in Datadog's merge order
/// (the message's, then each rule's), each once per condition on the group. A message that
/// does not parse is an error (the monitor's notifications cannot be predicted).
pub fn route<'r>(
    monitor: &MonitorRouting<'_>,
    rules: impl IntoIterator<Item = &'r NotificationRule>,
    transition: SampleTransition,
) -> Result<Vec<Recipient>, TemplateError> {
    let rules: Vec<&NotificationRule> = rules.into_iter().collect();
    Ok(route_all(monitor, &rules, &[transition])?
        .pop()
        .unwrap_or_default())
}

/// [`route`] for each of `transitions`, in order, reading the message once.
pub fn route_all(
    monitor: &MonitorRouting<'_>,
    rules: &[&NotificationRule],
    transitions: &[SampleTransition],
) -> Result<Vec<Vec<Recipient>>, TemplateError> {
    if monitor.draft {
        return Ok(vec![Vec::new(); transitions.len()]);
    }
    let traced = TracedMessage::new(monitor.message)?;
    let blocks = if monitor.message.contains("ddhooks:") {
        template::find_blocks(monitor.message).unwrap_or_default()
    } else {
        Vec::new()
    };
    // Where each line starts, found once: a handle's line is a binary search, not a scan
    // of the message per handle and transition.
    let newlines: Vec<usize> = monitor
        .message
        .match_indices('\n')
        .map(|(i, _)| i)
        .collect();
    let source_at = |offset: usize| match blocks.iter().find(|b| b.range.contains(&offset)) {
        Some(b) => Source::Block {
            name: b.name.clone(),
        },
        None => Source::Text {
            line: newlines.partition_point(|&n| n < offset) + 1,
        },
    };
    let applying: Vec<&NotificationRule> = rules
        .iter()
        .copied()
        .filter(|rule| filter_matches(&rule.filter, monitor.tags))
        .collect();
    let asked: Vec<_> = transitions
        .iter()
        .map(|t| t.transition(monitor.priority))
        .collect();
    let (answers, answer_of) = traced.sent_on_each(&asked);
    let mut all = Vec::with_capacity(transitions.len());
    for (t, at) in asked.iter().zip(answer_of) {
        let mut out = Routed::default();
        let (decided, undecided) = &answers[at];
        for h in decided.iter().chain(undecided) {
            let when = h.depends_on.iter().cloned().map(GroupCondition).collect();
            out.add(&h.name, when, source_at(h.offset));
        }
        for rule in &applying {
            route_rule(rule, t, monitor.tags, &mut out);
        }
        all.push(out.finish());
    }
    Ok(all)
}

/// A rule's recipients for a monitor it selects: plain ones; or those of each condition that
/// applies (a tag the monitor lacks applies when the firing group has it: a condition on the
/// group), else the fallback (depending on the group when some condition might apply).
fn route_rule(
    rule: &NotificationRule,
    t: &template::Transition,
    tags: &[String],
    out: &mut Routed,
) {
    let source = |via: RuleVia| Source::Rule {
        name: rule.name.clone(),
        via,
    };
    match &rule.recipients {
        RuleRecipients::Always(list) => {
            for r in list {
                out.add(r, Vec::new(), source(RuleVia::Always));
            }
        }
        RuleRecipients::Conditional {
            conditions,
            fallback,
        } => {
            let mut decided = false;
            let mut maybe: Vec<&str> = Vec::new();
            for c in conditions {
                let when = match &c.scope {
                    RuleConditionScope::Transition(cond) if t.satisfies(*cond) => Vec::new(),
                    RuleConditionScope::Transition(_) | RuleConditionScope::Other(_) => continue,
                    RuleConditionScope::Tag(tag) => {
                        if has_tag(tags, tag)
                            || priority_of(tag).is_some_and(|p| t.priority == Some(p))
                        {
                            Vec::new()
                        } else {
                            maybe.push(tag);
                            vec![GroupCondition(format!("the group has {tag}"))]
                        }
                    }
                };
                decided |= when.is_empty();
                for r in &c.recipients {
                    out.add(
                        r,
                        when.clone(),
                        source(RuleVia::Condition(c.scope.to_string())),
                    );
                }
            }
            if decided {
                return;
            }
            let when = if maybe.is_empty() {
                Vec::new()
            } else {
                vec![GroupCondition(format!(
                    "the group has none of {}",
                    maybe.join(", ")
                ))]
            };
            for r in fallback {
                out.add(r, when.clone(), source(RuleVia::Fallback));
            }
        }
    }
}

/// Whether `tags` has `wanted`, ASCII case-insensitively (as Datadog matches tags).
fn has_tag(tags: &[String], wanted: &str) -> bool {
    tags.iter().any(|t| t.eq_ignore_ascii_case(wanted))
}

/// `priority:pN` as a priority 1–5.
fn priority_of(tag: &str) -> Option<u8> {
    let (key, value) = tag.split_once(':')?;
    let digit = value
        .strip_prefix(['p', 'P'])
        .filter(|_| key.eq_ignore_ascii_case("priority"))?;
    digit
        .parse::<u8>()
        .ok()
        .filter(|n| (1..=5).contains(n) && digit.len() == 1)
}

/// Recipients being gathered, each once per group condition; one notified whatever the
/// group makes its conditional twins redundant.
#[derive(Default)]
struct Routed(Vec<Recipient>);

impl Routed {
    fn add(&mut self, handle: &str, when: Vec<GroupCondition>, source: Source) {
        match self
            .0
            .iter_mut()
            .find(|r| r.handle == handle && r.when == when)
        {
            Some(r) => {
                if !r.sources.contains(&source) {
                    r.sources.push(source);
                }
            }
            None => self.0.push(Recipient {
                handle: handle.to_string(),
                when,
                sources: vec![source],
            }),
        }
    }

    fn finish(self) -> Vec<Recipient> {
        let always: Vec<String> = self
            .0
            .iter()
            .filter(|r| r.when.is_empty())
            .map(|r| r.handle.clone())
            .collect();
        self.0
            .into_iter()
            .filter(|r| r.when.is_empty() || !always.contains(&r.handle))
            .collect()
    }
}

#[cfg(test)]
mod tests;

/// The org's routing as it will be once a plan is applied: every monitor read, with the
/// message the plan leaves it, and the notification rules the plan leaves. What `ddhooks
/// routes` prints and `ddhooks test` checks.
pub struct OrgRouting<'a> {
    remote: &'a crate::model::Remote,
    messages: std::collections::BTreeMap<i64, &'a str>,
    rules: Vec<&'a NotificationRule>,
}

impl<'a> OrgRouting<'a> {
    /// The org of `remote` after `planned` (see [`PlannedRouting`]).
    pub fn after(remote: &'a crate::model::Remote, planned: &PlannedRouting<'a>) -> Self {
        let mut rules: std::collections::BTreeMap<&'a str, &'a NotificationRule> = remote
            .notification_rules
            .values()
            .map(|r| (r.id.as_str(), &r.rule))
            .collect();
        for (key, _, after) in &planned.rules {
            match after {
                Some(rule) => {
                    rules.insert(key, rule);
                }
                None => {
                    rules.remove(key);
                }
            }
        }
        OrgRouting {
            remote,
            messages: planned.messages.clone(),
            rules: rules.into_values().collect(),
        }
    }

    /// The monitors, by id, each as routing sees it after the plan.
    pub fn monitors(
        &self,
    ) -> impl Iterator<Item = (&'a crate::model::RemoteMonitor, MonitorRouting<'a>)> + '_ {
        self.remote.monitors.values().map(move |m| {
            let message = self.messages.get(&m.id).copied().unwrap_or(&m.message);
            (
                m,
                MonitorRouting {
                    message,
                    tags: &m.tags,
                    priority: m.priority,
                    draft: m.draft,
                },
            )
        })
    }

    /// The notification rules after the plan.
    pub fn rules(&self) -> &[&'a NotificationRule] {
        &self.rules
    }

    /// Whom `monitor` notifies on `transition` after the plan.
    pub fn route(
        &self,
        monitor: &MonitorRouting<'_>,
        transition: SampleTransition,
    ) -> Result<Vec<Recipient>, TemplateError> {
        route(monitor, self.rules.iter().copied(), transition)
    }

    /// Whom `monitor` notifies on each of `transitions` after the plan (its message read
    /// once).
    pub fn route_all(
        &self,
        monitor: &MonitorRouting<'_>,
        transitions: &[SampleTransition],
    ) -> Result<Vec<Vec<Recipient>>, TemplateError> {
        route_all(monitor, &self.rules, transitions)
    }
}
