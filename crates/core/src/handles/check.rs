//! The handle check of a plan: which handles to check (those the blocks write, those the
//! routing tests name, those in the text people wrote in the monitors ddhooks manages),
//! and what the org's answers make of them — errors for what ddhooks writes or tests, a
//! warning for people's text, one warning per integration the key may not read.

use super::resolve::{resolve, Resolution};
use super::HandleDirectory;
use crate::manifest::{DeclaredKind, HandleUse, Origins};
use crate::model::{Desired, Remote, RemoteMonitor};
use crate::plan::{Address, Change, Plan, Problem};
use crate::routing::TestSubject;
use crate::template;
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

/// A handle in the text people wrote in a monitor ddhooks manages (outside its blocks).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextMention {
    /// The monitor's id.
    pub monitor_id: i64,
    /// The handle without `@`.
    pub handle: String,
    /// Its 1-based line in the message.
    pub line: usize,
    /// That line, trimmed, to quote.
    pub quote: String,
}

/// Every handle a plan's check looks at.
#[derive(Debug, Clone, Default)]
pub struct HandlesToCheck {
    /// Handles the blocks write, where they were written.
    pub written: Vec<HandleUse>,
    /// Handles each routing test names, by test.
    pub tested: BTreeMap<String, Vec<String>>,
    /// Handles in people's text of the monitors ddhooks manages.
    pub text: Vec<TextMention>,
}

impl HandlesToCheck {
    /// The handles of `desired` (with where `origins` says the blocks wrote them) and of
    /// the people's text of the managed monitors after `plan`: those it rewrites, those
    /// carrying a block, those a desired rule selects.
    pub fn of(desired: &Desired, origins: &Origins, remote: &Remote, plan: &Plan) -> Self {
        let tested = Self::tested(desired);
        let rewritten = crate::plan::planned_routing(plan).messages;
        // Each managed message is traced on its own, on every core (a large org's plan
        // manages thousands); the mentions are gathered in id order.
        let monitors: Vec<&RemoteMonitor> = remote.monitors.values().collect();
        let text = monitors
            .into_par_iter()
            .flat_map_iter(|m| {
                let message = rewritten.get(&m.id).copied().unwrap_or(&m.message);
                let managed = rewritten.contains_key(&m.id)
                    || message.contains("ddhooks:")
                    || desired
                        .notification_rules
                        .values()
                        .any(|r| template::filter_matches(&r.filter, &m.tags));
                if managed {
                    people_text_mentions(m.id, message)
                } else {
                    Vec::new()
                }
            })
            .collect();
        HandlesToCheck {
            written: origins.handles().to_vec(),
            tested,
            text,
        }
    }

    /// The handles each routing test names (its expectations, and a `given:` message's).
    pub fn tested(desired: &Desired) -> BTreeMap<String, Vec<String>> {
        desired
            .routing_tests
            .iter()
            .map(|(name, test)| {
                let mut handles: Vec<String> = test
                    .expect
                    .handles()
                    .map(|h| h.trim_start_matches('@').to_string())
                    .collect();
                if let TestSubject::Given(given) = &test.subject {
                    handles.extend(
                        template::handles(&given.message)
                            .into_iter()
                            .map(|h| h.name),
                    );
                }
                (name.clone(), handles)
            })
            .collect()
    }

    /// Every distinct handle, for [`super::lookups`].
    pub fn distinct(&self) -> BTreeSet<&str> {
        self.written
            .iter()
            .map(|u| u.handle.as_str())
            .chain(self.tested.values().flatten().map(String::as_str))
            .chain(self.text.iter().map(|t| t.handle.as_str()))
            .collect()
    }
}

/// The handles of `message` outside ddhooks' blocks, each with its line.
fn people_text_mentions(monitor_id: i64, message: &str) -> Vec<TextMention> {
    let blocks = if message.contains("ddhooks:") {
        template::find_blocks(message).unwrap_or_default()
    } else {
        Vec::new()
    };
    crate::routing::handles_sent(message)
        .into_iter()
        .filter(|h| !blocks.iter().any(|b| b.range.contains(&h.offset)))
        .map(|h| {
            let (line, _) = template::line_column(message, h.offset);
            let quote = message.lines().nth(line - 1).unwrap_or("").trim();
            TextMention {
                monitor_id,
                handle: h.name,
                line,
                quote: quote.chars().take(200).collect(),
            }
        })
        .collect()
}

/// What the check found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HandleFindings {
    /// Handles ddhooks writes or a routing test names that name nothing: errors.
    pub problems: Vec<Problem>,
    /// The blocks with such a handle: their writes are held.
    pub held_blocks: BTreeSet<String>,
    /// Handles in people's text that name nothing, and the integrations the key may not
    /// read: warnings.
    pub warnings: Vec<String>,
    /// Every handle found unknown, with why (what `routes` marks and `import` reports).
    pub unknown: BTreeMap<String, String>,
}

/// Judges `handles` by what the org answered (`dir`).
pub fn check(
    handles: &HandlesToCheck,
    webhooks: &BTreeSet<String>,
    dir: &HandleDirectory,
    origins: &Origins,
    monitor_names: &dyn Fn(i64) -> Option<String>,
) -> HandleFindings {
    let verdicts = judge(handles.distinct(), webhooks, dir);
    let unknown = |handle: &str| verdicts.unknown.get(handle).cloned();
    let mut out = HandleFindings::default();
    for used in &handles.written {
        if let Some(why) = unknown(&used.handle) {
            let at = &used.at;
            out.problems.push(Problem {
                address: Address::Block(used.block.clone()),
                message: format!(
                    "{}:{}:{}: `@{}` names nothing in the org: {why}; the block's writes are held until it is fixed",
                    at.file.display(),
                    at.line,
                    at.column,
                    used.handle
                ),
                at: Some(at.clone()),
            });
            out.held_blocks.insert(used.block.clone());
        }
    }
    for (test, tested) in &handles.tested {
        let bad: BTreeSet<&str> = tested.iter().map(String::as_str).collect();
        for handle in bad {
            if let Some(why) = unknown(handle) {
                let at = origins.get(DeclaredKind::RoutingTest, test).cloned();
                let place = at
                    .as_ref()
                    .map(|p| format!("{}:{}:{}: ", p.file.display(), p.line, p.column))
                    .unwrap_or_default();
                out.problems.push(Problem {
                    address: Address::RoutingTest(test.clone()),
                    message: format!("{place}`@{handle}` names nothing in the org: {why}"),
                    at,
                });
            }
        }
    }
    let mut seen: BTreeSet<(i64, &str)> = BTreeSet::new();
    for mention in &handles.text {
        if !seen.insert((mention.monitor_id, mention.handle.as_str())) {
            continue;
        }
        if let Some(why) = unknown(&mention.handle) {
            let name = monitor_names(mention.monitor_id)
                .map(|n| format!(" \"{n}\""))
                .unwrap_or_default();
            out.warnings.push(format!(
                "monitor {}{name}: `@{}` on line {} (\"{}\") names nothing in the org: {why}; people's text is theirs, so ddhooks leaves it; fix it in Datadog",
                mention.monitor_id, mention.handle, mention.line, mention.quote
            ));
        }
    }
    out.warnings.extend(verdicts.warnings);
    out.unknown = verdicts.unknown;
    out
}

/// The verdicts on a set of handles, as every command reports them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verdicts {
    /// Each handle naming nothing in the org, with why (and a did-you-mean).
    pub unknown: BTreeMap<String, String>,
    /// One warning per integration the key may not read (its handles were not checked).
    pub warnings: Vec<String>,
}

/// Judges `handles` (without `@`) by what the org answered (`dir`).
pub fn judge<'h>(
    handles: impl IntoIterator<Item = &'h str>,
    webhooks: &BTreeSet<String>,
    dir: &HandleDirectory,
) -> Verdicts {
    let mut unknown = BTreeMap::new();
    let mut forbidden: BTreeMap<&'static str, String> = BTreeMap::new();
    for handle in handles {
        match resolve(handle, webhooks, dir) {
            Resolution::Unknown { why, did_you_mean } => {
                let why = match did_you_mean {
                    Some(s) => format!("{why}; did you mean `@{s}`?"),
                    None => why,
                };
                unknown.insert(handle.to_string(), why);
            }
            Resolution::Forbidden {
                integration,
                permission,
            } => {
                forbidden.insert(integration, permission);
            }
            Resolution::Known | Resolution::NotChecked { .. } => {}
        }
    }
    let warnings = forbidden
        .into_iter()
        .map(|(integration, permission)| {
            format!("the application key may not read the {integration} integration (it lacks the `{permission}` permission): its handles were not checked; grant the permission, or pass --no-handle-check")
        })
        .collect();
    Verdicts { unknown, warnings }
}

/// The webhooks a handle check never looks up: declared in the manifests (pairs included),
/// listed under `external_webhooks:`, or already read from the org.
pub fn known_webhooks(desired: &Desired, remote: &Remote) -> BTreeSet<String> {
    desired
        .webhooks
        .keys()
        .chain(&desired.external_webhooks)
        .chain(remote.webhooks.keys())
        .cloned()
        .collect()
}

/// Holds the writes of `blocks` (a handle they write names nothing): drops the monitor
/// rewrites that change them and their notification rules' writes, and recounts.
pub fn hold_blocks(plan: &mut Plan, blocks: &BTreeSet<String>) {
    if blocks.is_empty() {
        return;
    }
    plan.changes.retain(|c| match c {
        Change::Monitor(m) => !m.blocks.iter().any(|b| blocks.contains(&b.block)),
        Change::NotificationRule(r) => !blocks.contains(&r.name),
        _ => true,
    });
    plan.summarize();
}
