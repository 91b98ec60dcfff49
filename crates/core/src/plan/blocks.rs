//! The managed blocks of monitors' messages: for each monitor the plan read whole, the
//! message with every block the manifests want present and current (adopting lines people
//! pasted by hand), each planned on its own, on every core.

use super::select::{BlockIndex, Wanted};
use super::{
    monitor_fingerprint, same_body, BlockAction, BlockChange, Change, Fingerprint, MonitorChange,
    Plan, Problem,
};
use crate::model::{Desired, RemoteMonitor};
use crate::plan::Address;
use crate::template::{self, ManagedBlock};
use rayon::prelude::*;
use std::collections::BTreeSet;

/// What planning one monitor's blocks found.
struct MonitorBlocks {
    /// Handles its blocks write that its people's text mentions too.
    warnings: Vec<String>,
    /// The write, with the read it is based on, or why there is none (a message that
    /// would not read back); `None` when nothing changes.
    outcome: Option<Result<(Fingerprint, MonitorChange), Problem>>,
}

/// Plans the blocks of `monitors` (each with its blocks as found, `None` for a monitor the
/// plan does not manage): the changes, reads, warnings and problems go to `out` in the
/// monitors' order.
pub(super) fn plan_blocks(
    desired: &Desired,
    monitors: &[(&RemoteMonitor, Option<Vec<ManagedBlock>>)],
    out: &mut Plan,
) {
    let index = BlockIndex::new(desired);
    let planned: Vec<MonitorBlocks> = monitors
        .par_iter()
        .map_init(Vec::new, |scratch, (monitor, existing)| {
            let existing = existing.as_deref()?;
            Some(plan_monitor(&index, monitor, existing, scratch))
        })
        .flatten_iter()
        .collect();
    for planned in planned {
        out.warnings.extend(planned.warnings);
        match planned.outcome {
            Some(Ok((read, change))) => {
                out.reads.insert(Address::Monitor(change.id), Some(read));
                out.changes.push(Change::Monitor(change));
            }
            Some(Err(problem)) => out.problems.push(problem),
            None => {}
        }
    }
}

/// The blocks of one monitor whose `existing` blocks were found.
fn plan_monitor<'d>(
    index: &BlockIndex<'d>,
    monitor: &RemoteMonitor,
    existing: &[ManagedBlock],
    scratch: &mut Vec<usize>,
) -> MonitorBlocks {
    let wanted = index.matching(monitor, scratch);
    let rewritten = rewrite_blocks(&monitor.message, existing, &wanted);
    let mut warnings = Vec::new();
    if !wanted.is_empty() {
        let after = rewritten
            .as_ref()
            .map_or(monitor.message.as_str(), |(m, _)| m);
        for (handle, line) in doubled_handles(after, &wanted) {
            warnings.push(format!(
                "monitor {} \"{}\": @{handle} is written by ddhooks' block and also mentioned outside it, so it would fire twice; remove it from this line: {line:?}",
                monitor.id, monitor.name
            ));
        }
    }
    let outcome = rewritten
        .filter(|(message, _)| message.trim() != monitor.message.trim())
        .map(|(message, blocks)| written(monitor, &wanted, message, blocks));
    MonitorBlocks { warnings, outcome }
}

/// The write of `message` to `monitor`, or the problem that stops it: a message must read
/// back as exactly the blocks wanted (never a damaged one, or one with other blocks).
fn written(
    monitor: &RemoteMonitor,
    wanted: &[&Wanted<'_>],
    message: String,
    blocks: Vec<(String, BlockAction)>,
) -> Result<(Fingerprint, MonitorChange), Problem> {
    let found = template::find_blocks(&message).ok();
    let read_back: Option<BTreeSet<&str>> = found
        .as_ref()
        .map(|found| found.iter().map(|b| b.name.as_str()).collect());
    let intended: BTreeSet<&str> = wanted.iter().map(|w| w.block.name.as_str()).collect();
    if read_back.as_ref() != Some(&intended) {
        return Err(Problem {
            at: None,
            address: Address::Monitor(monitor.id),
            message: format!(
                "monitor {} \"{}\": the new message would not read back as blocks {}; nothing will be written to this monitor (does a block's text contain a ddhooks marker?)",
                monitor.id,
                monitor.name,
                intended.iter().copied().collect::<Vec<_>>().join(", ")
            ),
        });
    }
    let read = monitor_fingerprint(monitor);
    Ok((
        read.clone(),
        MonitorChange {
            id: monitor.id,
            name: monitor.name.clone(),
            before: monitor.message.clone(),
            after: message,
            read,
            blocks: blocks
                .into_iter()
                .map(|(block, action)| BlockChange { block, action })
                .collect(),
            notes: Vec::new(),
        },
    ))
}

/// The message with every wanted block present and current and every other block removed,
/// and what was done to each block; `None` if nothing changes or a rewrite failed (a
/// damaged message).
fn rewrite_blocks(
    original: &str,
    existing: &[ManagedBlock],
    wanted: &[&Wanted],
) -> Option<(String, Vec<(String, BlockAction)>)> {
    let mut edits: Vec<(&str, Option<&str>, BlockAction)> = Vec::new();
    for w in wanted {
        let name = w.block.name.as_str();
        let action = match existing.iter().find(|e| e.name == name) {
            None => BlockAction::Add,
            Some(e) if !same_body(&e.body, &w.body) => BlockAction::Update,
            Some(_) => continue,
        };
        edits.push((name, Some(&w.body), action));
    }
    for stale in existing
        .iter()
        .filter(|e| !wanted.iter().any(|w| w.block.name == e.name))
    {
        edits.push((&stale.name, None, BlockAction::Remove));
    }
    if edits.is_empty() {
        return None;
    }
    let mut message = original.to_string();
    let mut done = Vec::with_capacity(edits.len());
    for (name, body, action) in edits {
        // A block to add whose lines people already pasted by hand takes their place.
        if let (BlockAction::Add, Some(body)) = (action, body) {
            let blocks = template::find_blocks(&message).ok()?;
            if let Some(lines) = template::find_hand_lines(&message, &blocks, body) {
                message = template::adopt_hand_lines(&message, name, body, &lines);
                done.push((
                    name.to_string(),
                    BlockAction::Adopt {
                        replaced: lines.len(),
                    },
                ));
                continue;
            }
        }
        message = template::set_block(&message, name, body).ok()?;
        done.push((name.to_string(), action));
    }
    Some((message, done))
}

/// Handles a monitor's blocks write that its people's text mentions too (they would fire
/// twice), each with the line that mentions it.
fn doubled_handles(message: &str, wanted: &[&Wanted]) -> Vec<(String, String)> {
    if !message.contains('@') {
        return Vec::new();
    }
    let Ok(blocks) = template::find_blocks(message) else {
        return Vec::new();
    };
    let people = template::without_found_blocks(message, &blocks);
    let mut out: Vec<(String, String)> = Vec::new();
    let written: BTreeSet<String> = wanted
        .iter()
        .flat_map(|w| template::handles(&w.body))
        .map(|h| h.name)
        .collect();
    for handle in template::handles(&people) {
        if written.contains(&handle.name) && !out.iter().any(|(h, _)| *h == handle.name) {
            let start = people[..handle.range.start]
                .rfind('\n')
                .map_or(0, |i| i + 1);
            let end = people[handle.range.end..]
                .find('\n')
                .map_or(people.len(), |i| handle.range.end + i);
            out.push((handle.name, people[start..end].trim().to_string()));
        }
    }
    out
}
