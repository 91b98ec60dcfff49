//! The `monitor_notifications` entries of hand lines: monitors grouped by the set of hand
//! lines they carry, each group one entry named after its pair or webhooks (around the names
//! managed blocks and rules hold), selecting its monitors by a tag only they share, else by
//! id, and written as `pair:`, `notify:` or, for a condition said twice, `text:`.

use super::emit::{comment, yaml_key, yaml_string};
use super::hand_lines::{hand_lines_of, HandLine};
use super::pairs::{PairEntry, SUFFIXES};
use super::{Counts, Finding, FindingKind};
use crate::model::{NotifyRule, Remote, RemoteMonitor, RemoteWebhook, SectionCondition};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

/// One `monitor_notifications` entry to write.
struct BlockEntry {
    name: String,
    ids: Vec<i64>,
    tag: Option<String>,
    pair: Option<String>,
    rules: Vec<NotifyRule>,
}

pub(super) fn write_blocks(
    remote: &Remote,
    webhooks: &BTreeMap<String, RemoteWebhook>,
    pairs: &[PairEntry],
    taken: &BTreeSet<String>,
    findings: &mut Vec<Finding>,
    counts: &mut Counts,
) -> String {
    let known: BTreeSet<String> = webhooks.keys().cloned().collect();
    // Monitors grouped by the set of hand lines they carry.
    let mut groups: BTreeMap<Vec<String>, (Vec<HandLine>, Vec<i64>)> = BTreeMap::new();
    let mut tag_counts: BTreeMap<&str, usize> = BTreeMap::new();
    for m in remote.monitors.values() {
        let mut tags: Vec<&str> = m.tags.iter().map(String::as_str).collect();
        tags.sort_unstable();
        tags.dedup();
        for t in tags {
            *tag_counts.entry(t).or_default() += 1;
        }
        let Some(lines) = hand_lines_of(m, &known) else {
            findings.push(Finding {
                kind: FindingKind::Note,
                subject: format!("monitor {}", m.id),
                message: "its managed blocks are damaged; its lines are not imported".into(),
                fix: Some(
                    "repair the ddhooks markers by hand (`ddhooks plan` names the problem)".into(),
                ),
            });
            continue;
        };
        if lines.is_empty() {
            continue;
        }
        let mut key: Vec<String> = lines.iter().map(|l| l.squeezed.clone()).collect();
        key.sort();
        groups
            .entry(key)
            .or_insert_with(|| (lines, Vec::new()))
            .1
            .push(m.id);
    }
    let mut entries: Vec<BlockEntry> = Vec::new();
    let mut names: BTreeSet<String> = taken.clone();
    for (_, (lines, ids)) in groups {
        let rules: Vec<NotifyRule> = lines.into_iter().map(|l| l.rule).collect();
        let pair = pairs.iter().find(|p| {
            let want = p.rules();
            want.len() == rules.len() && want.iter().all(|r| rules.contains(r))
        });
        let base = match pair {
            Some(p) => p.name.clone(),
            None => block_name(&rules),
        };
        let name = if names.contains(&base) {
            (2..)
                .map(|n| format!("{base}-{n}"))
                .find(|n| !names.contains(n))
                .unwrap_or(base)
        } else {
            base
        };
        names.insert(name.clone());
        let members: Vec<&RemoteMonitor> = ids
            .iter()
            .filter_map(|id| remote.monitors.get(id))
            .collect();
        let tag = members.first().and_then(|first| {
            let mut shared: Vec<&String> = first
                .tags
                .iter()
                .filter(|t| members.iter().all(|m| m.tags.contains(t)))
                .filter(|t| tag_counts.get(t.as_str()) == Some(&ids.len()))
                .collect();
            shared.sort();
            shared.first().map(|t| (*t).clone())
        });
        entries.push(BlockEntry {
            name,
            ids,
            tag,
            pair: pair.map(|p| p.name.clone()),
            rules,
        });
    }
    let mut out = String::new();
    for e in &entries {
        let ids: Vec<String> = e.ids.iter().map(i64::to_string).collect();
        let how = match &e.tag {
            Some(t) => format!(" (tag {})", comment(t)),
            None => String::new(),
        };
        let _ = writeln!(out, "  # found in monitors {}{how}", ids.join(", "));
        let _ = writeln!(out, "  {}:", yaml_key(&e.name));
        match &e.tag {
            Some(t) => {
                let _ = writeln!(out, "    monitors:\n      tags: [{}]", yaml_string(t));
            }
            None => {
                let _ = writeln!(out, "    monitors:\n      ids: [{}]", ids.join(", "));
            }
        }
        let mut conditions: BTreeSet<SectionCondition> = BTreeSet::new();
        let distinct = e.rules.iter().all(|r| conditions.insert(r.when));
        match (&e.pair, distinct) {
            (Some(p), _) => {
                let _ = writeln!(out, "    pair: {}", yaml_key(p));
            }
            (None, true) => {
                let _ = writeln!(out, "    notify:");
                for r in &e.rules {
                    let handles: Vec<String> = r.handles.iter().map(|h| yaml_string(h)).collect();
                    let _ = writeln!(
                        out,
                        "      {}: [{}]",
                        yaml_string(&r.when.to_string()),
                        handles.join(", ")
                    );
                }
            }
            (None, false) => {
                // The same condition twice: `notify` cannot say it, free text can.
                let body = crate::model::NotificationBlock {
                    name: e.name.clone(),
                    monitors: Default::default(),
                    rules: e.rules.clone(),
                    text: None,
                }
                .body();
                let _ = writeln!(out, "    text: {}", yaml_string(&body));
            }
        }
        counts.blocks += 1;
    }
    out
}

/// A block's name from the webhooks its rules mention: the pair group they share, or the
/// first webhook.
fn block_name(rules: &[NotifyRule]) -> String {
    let hooks: Vec<&str> = rules
        .iter()
        .flat_map(|r| r.handles.iter())
        .filter_map(|h| h.strip_prefix("@webhook-"))
        .collect();
    let groups: BTreeSet<&str> = hooks
        .iter()
        .map(|h| {
            SUFFIXES
                .iter()
                .find_map(|(suffix, _, _)| h.strip_suffix(suffix).and_then(|g| g.strip_suffix('-')))
                .unwrap_or(h)
        })
        .collect();
    match groups.iter().next() {
        Some(g) if groups.len() == 1 && !g.is_empty() => g.to_string(),
        _ => hooks.first().map_or("imported", |h| h).to_string(),
    }
}
