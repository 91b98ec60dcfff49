//! Blocks ddhooks already manages (the text between its markers in monitor messages) into
//! `monitor_notifications` entries, so that an org ddhooks partly manages imports into
//! manifests whose plan keeps those blocks instead of removing them.
//!
//! The monitors whose block NAME has the same body (as the planner compares bodies) become
//! one entry `NAME: {monitors: {ids: [...]}, ...}`. The body is written as `pair: P` when
//! that is exactly what pair P's block renders, else as `text`. The name is in the markers,
//! so it cannot change: a NAME with different bodies on different monitors, or one taken by
//! a rule, is a finding, and its blocks are left out (the plan then shows their removal).

use super::emit::{yaml_key, yaml_string};
use super::entries::{not_imported, Context, Section};
use super::Finding;
use crate::model::{NotificationBlock, RemoteMonitor};
use crate::plan::same_body;
use crate::template;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// One body of a block NAME and the monitors holding it.
struct Variant {
    /// The body as found on the first monitor holding it.
    body: String,
    /// Every monitor holding it, by id.
    ids: Vec<i64>,
}

/// The managed blocks' entries under `monitor_notifications`; the blocks left out are
/// findings. Monitors with damaged blocks are skipped (import reports them already).
pub(crate) fn emit<'m>(
    monitors: impl IntoIterator<Item = &'m RemoteMonitor>,
    cx: &mut Context<'_>,
    findings: &mut Vec<Finding>,
) -> Section {
    let mut by_name: BTreeMap<String, Vec<Variant>> = BTreeMap::new();
    for m in monitors {
        if !m.message.contains("ddhooks:") {
            continue;
        }
        let Ok(found) = template::find_blocks(&m.message) else {
            continue;
        };
        for block in found {
            let variants = by_name.entry(block.name).or_default();
            match variants
                .iter_mut()
                .find(|v| same_body(&v.body, &block.body))
            {
                Some(v) => v.ids.push(m.id),
                None => variants.push(Variant {
                    body: block.body,
                    ids: vec![m.id],
                }),
            }
        }
    }
    let mut out = Section::new("monitor_notifications");
    // Each pair's block body, rendered once (not once per block found).
    let pair_bodies: Vec<(&str, String)> = cx
        .pairs
        .iter()
        .map(|p| {
            let body = NotificationBlock {
                name: p.name.clone(),
                monitors: Default::default(),
                rules: p.rules(),
                text: None,
            }
            .body();
            (p.name.as_str(), body)
        })
        .collect();
    let mut chosen: Vec<(String, Variant, Vec<String>)> = Vec::new();
    for (name, mut variants) in by_name {
        let subject = format!("managed block {name}");
        if let [_, _, ..] = variants.as_slice() {
            // Its markers stay in the messages: no other entry may take the name.
            cx.block_names.insert(name.clone());
            let groups: Vec<String> = variants.iter().map(|v| ids_text(&v.ids)).collect();
            findings.push(not_imported(
                &subject,
                format!(
                    "its text differs between monitors ({}), and one entry writes one text under the one name the markers hold",
                    groups.join("; ")
                ),
                "make the blocks the same (or rename the markers of one group) by hand, then import again",
            ));
            continue;
        }
        let v = variants.remove(0);
        if let Err(finding) = cx.claim_block_name(&name, &subject) {
            findings.push(finding);
            continue;
        }
        let entries = candidates(&name, &v, &pair_bodies);
        chosen.push((name, v, entries));
    }
    // Every block's first candidate checked in one load (a load per entry would read the
    // pairs' declarations once per block); a candidate that does not lower to its block, or
    // a batch that does not load, is checked on its own.
    let batch: String = chosen.iter().map(|(_, _, e)| e[0].as_str()).collect();
    let lowered = cx.lower("monitor_notifications", &batch);
    for (name, v, entries) in chosen {
        let first_ok = lowered
            .as_ref()
            .is_some_and(|d| lowers_to(d.blocks.get(&name), &v));
        let entry = if first_ok {
            Some(entries[0].clone())
        } else {
            entries.into_iter().find(|entry| {
                let d = cx.lower("monitor_notifications", entry);
                lowers_to(d.as_ref().and_then(|d| d.blocks.get(&name)), &v)
            })
        };
        let Some(entry) = entry else {
            findings.push(not_imported(
                &format!("managed block {name} (monitors {})", ids_text(&v.ids)),
                "no entry a manifest can hold renders its text exactly (does it mention a webhook that was not imported, or spell `<<#…>>`?)".into(),
                "fix the block's text by hand, then import again",
            ));
            continue;
        };
        out.push(
            &format!("managed by ddhooks in monitors {}", ids_text(&v.ids)),
            &entry,
        );
    }
    out
}

/// The entries that may write `v.body` into exactly monitors `v.ids` under `name`, best
/// first: `pair:` when a pair renders it (the pair of the block's name looked at first),
/// then `text`.
fn candidates(name: &str, v: &Variant, pair_bodies: &[(&str, String)]) -> Vec<String> {
    let ids: Vec<String> = v.ids.iter().map(i64::to_string).collect();
    let head = format!(
        "  {}:
    monitors:
      ids: [{}]
",
        yaml_key(name),
        ids.join(", ")
    );
    let same_name = pair_bodies.iter().filter(|(p, _)| *p == name);
    let others = pair_bodies.iter().filter(|(p, _)| *p != name);
    let pair = same_name
        .chain(others)
        .find(|(_, body)| same_body(body, &v.body));
    let mut out = Vec::new();
    if let Some((p, _)) = pair {
        out.push(format!("{head}    pair: {}\n", yaml_key(p)));
    }
    let mut text = head;
    let _ = writeln!(text, "    text: {}", text_scalar(v.body.trim()));
    out.push(text);
    out
}

/// Whether `block` (as an entry lowered) writes `v`'s body into exactly its monitors.
fn lowers_to(block: Option<&NotificationBlock>, v: &Variant) -> bool {
    block.is_some_and(|b| {
        b.monitors.ids.iter().eq(v.ids.iter())
            && b.monitors.tags.is_empty()
            && b.monitors.name.is_none()
            && same_body(&b.body(), &v.body)
    })
}

/// A block's text as a YAML literal block (`|-`) when that keeps every byte, else quoted.
fn text_scalar(text: &str) -> String {
    let literal = !text.is_empty()
        && !text.starts_with([' ', '\t'])
        && text
            .lines()
            .all(|l| l == l.trim_end() && !l.is_empty() && l.chars().all(|c| !c.is_control()))
        && !text.contains('\r');
    if !literal {
        return yaml_string(text);
    }
    let mut out = String::from("|-");
    for line in text.lines() {
        out.push_str("\n      ");
        out.push_str(line);
    }
    out
}

/// Monitor ids as `1, 2, 3`.
fn ids_text(ids: &[i64]) -> String {
    let ids: Vec<String> = ids.iter().map(i64::to_string).collect();
    ids.join(", ")
}
