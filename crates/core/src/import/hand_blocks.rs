//! The `monitor_notifications` entries of hand lines: monitors grouped by the set of hand
//! lines they carry, each group one entry named after its pair or webhooks (around the names
//! managed blocks and rules hold), selecting its monitors by a tag only they share, else by
//! id, and written as `pair:`, `notify:` or, for a condition said twice, `text:`.

use super::emit::{comment, yaml_key, yaml_string};
use super::hand_lines::{hand_lines_of, HandLine};
use super::pairs::{PairEntry, SUFFIXES};
use super::{Counts, Finding, FindingKind};
use crate::model::{NotifyRule, Remote, RemoteMonitor, RemoteWebhook, SectionCondition};
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet, HashMap};
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
    // Each monitor's hand lines, on every core (an import reads every monitor of the org).
    let monitors: Vec<&RemoteMonitor> = remote.monitors.values().collect();
    let found: Vec<(&RemoteMonitor, Option<Vec<HandLine>>)> = monitors
        .into_par_iter()
        .map(|m| (m, hand_lines_of(m, &known)))
        .collect();
    // Monitors grouped by the set of hand lines they carry.
    let mut groups: BTreeMap<Vec<String>, (Vec<HandLine>, Vec<i64>)> = BTreeMap::new();
    for (m, lines) in found {
        let Some(lines) = lines else {
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
    // The tags each group's monitors all carry, sorted: a group is selected by the first
    // that no other monitor of the org carries.
    let groups: Vec<(Vec<HandLine>, Vec<i64>, Vec<&String>)> = groups
        .into_values()
        .map(|(lines, ids)| {
            let members: Vec<&RemoteMonitor> = ids
                .iter()
                .filter_map(|id| remote.monitors.get(id))
                .collect();
            let mut shared: Vec<&String> = members.first().map_or_else(Vec::new, |first| {
                first
                    .tags
                    .iter()
                    .filter(|t| members.iter().all(|m| m.tags.contains(t)))
                    .collect()
            });
            shared.sort();
            shared.dedup();
            (lines, ids, shared)
        })
        .collect();
    // How many monitors carry each of those tags (only those: an org has far more tags).
    let mut tag_counts: HashMap<&str, usize> = groups
        .iter()
        .flat_map(|(_, _, shared)| shared.iter().map(|t| (t.as_str(), 0)))
        .collect();
    for m in remote.monitors.values() {
        for (i, t) in m.tags.iter().enumerate() {
            if let Some(count) = tag_counts.get_mut(t.as_str()) {
                if !m.tags[..i].contains(t) {
                    *count += 1;
                }
            }
        }
    }
    let mut entries: Vec<BlockEntry> = Vec::new();
    let mut names: BTreeSet<String> = taken.clone();
    for (lines, ids, shared) in groups {
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
        let tag = shared
            .into_iter()
            .find(|t| tag_counts.get(t.as_str()) == Some(&ids.len()))
            .cloned();
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
