//! Status boards (dashboards of `check_status` widgets counting pairs' checks) into
//! `status_boards:` entries.
//!
//! A board is a candidate when the registry names it or one of its `check_status` widgets
//! counts the check of an imported pair. It is written only when its entry lowers to the
//! same board (title, description, widgets and their layout), so the plan adopts it by title
//! without a write; otherwise, and when its title is not unique among the org's dashboards
//! (adoption goes by title), it is a finding and left out.

use super::emit::{yaml_key, yaml_string};
use super::entries::{flow_list, not_imported, Context, Section};
use super::{is_valid_webhook_name, Finding};
use crate::model::{BoardWidget, RemoteBoard};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

/// The boards' entries under `status_boards`; candidates left out are findings.
pub(crate) fn emit(
    boards: &BTreeMap<String, RemoteBoard>,
    owned: &BTreeSet<String>,
    titles: &BTreeMap<String, String>,
    cx: &Context<'_>,
    findings: &mut Vec<Finding>,
) -> Section {
    let checks: BTreeSet<&str> = cx.pairs.iter().map(|p| p.check.as_str()).collect();
    let mut out = Section::new("status_boards");
    let mut names: BTreeSet<String> = BTreeSet::new();
    for b in boards.values() {
        let counts_a_pair = b.board.widgets.iter().any(
            |w| matches!(w, BoardWidget::CheckStatus { check, .. } if checks.contains(check.as_str())),
        );
        if !counts_a_pair && !owned.contains(&b.id) {
            continue;
        }
        let subject = format!("status board {} ({})", b.board.title, b.id);
        let fix = "make the dashboard what a `status_boards:` entry builds (one check_status widget per pair, laid out by ddhooks), or keep managing it by hand";
        let others: Vec<&str> = titles
            .iter()
            .chain(boards.iter().map(|(id, b)| (id, &b.board.title)))
            .filter(|(id, t)| **t == b.board.title && **id != b.id)
            .map(|(id, _)| id.as_str())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        if !others.is_empty() {
            findings.push(not_imported(
                &subject,
                format!(
                    "dashboards {} have the same title, and a board is adopted by its title when exactly one dashboard has it",
                    others.join(", ")
                ),
                "rename the other dashboards, then import again",
            ));
            continue;
        }
        let name = free_name(&b.board.title, &names);
        let entry = match entry(&name, b, cx) {
            Ok(entry) => entry,
            Err(why) => {
                findings.push(not_imported(&subject, why, fix));
                continue;
            }
        };
        let exact = cx
            .lower("status_boards", &entry)
            .and_then(|d| d.status_boards.get(&name).cloned())
            .is_some_and(|lowered| lowered == b.board);
        if !exact {
            findings.push(not_imported(
                &subject,
                "its widgets' titles, grouping, tags or layout differ from what ddhooks builds for its pairs".into(),
                fix,
            ));
            continue;
        }
        names.insert(name);
        out.push(&format!("imported from dashboard {}", b.id), &entry);
    }
    out
}

/// The entry for board `b` under `name`: its pairs found by the checks its widgets count.
fn entry(name: &str, b: &RemoteBoard, cx: &Context<'_>) -> Result<String, String> {
    let mut pairs: Vec<&str> = Vec::new();
    let mut tags: Option<&Vec<String>> = None;
    for w in &b.board.widgets {
        let BoardWidget::CheckStatus {
            check, tags: shown, ..
        } = w
        else {
            let BoardWidget::Other { kind, .. } = w else {
                continue;
            };
            return Err(format!(
                "it has a `{kind}` widget, and a status board holds check_status widgets only"
            ));
        };
        let Some(pair) = cx.pairs.iter().find(|p| p.check == *check) else {
            return Err(format!(
                "a widget counts check `{check}`, which no imported webhook pair reports"
            ));
        };
        match tags {
            Some(t) if t != shown => {
                return Err("its widgets filter on different tags".into());
            }
            _ => tags = Some(shown),
        }
        pairs.push(&pair.name);
    }
    if pairs.is_empty() {
        return Err("it has no check_status widget".into());
    }
    let mut out = String::new();
    let _ = writeln!(out, "  {}:", yaml_key(name));
    let _ = writeln!(out, "    title: {}", yaml_string(&b.board.title));
    if let Some(d) = &b.board.description {
        let _ = writeln!(out, "    description: {}", yaml_string(d));
    }
    let _ = writeln!(out, "    pairs: {}", flow_list(&pairs));
    if let Some(t) = tags.filter(|t| t.as_slice() != ["*"]) {
        let _ = writeln!(out, "    tags: {}", flow_list(t));
    }
    Ok(out)
}

/// A board name from its title (letters, digits, `-`), not among `taken`.
fn free_name(title: &str, taken: &BTreeSet<String>) -> String {
    let mut base = String::new();
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            base.push(c.to_ascii_lowercase());
        } else if !base.is_empty() && !base.ends_with('-') {
            base.push('-');
        }
    }
    let base = match base.trim_end_matches('-') {
        "" => "status-board".to_string(),
        b => b.to_string(),
    };
    debug_assert!(is_valid_webhook_name(&base));
    if !taken.contains(&base) {
        return base;
    }
    (2..)
        .map(|n| format!("{base}-{n}"))
        .find(|n| !taken.contains(n))
        .unwrap_or(base)
}
