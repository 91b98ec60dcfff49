//! The org's routing table (`ddhooks routes`): per monitor and transition, who is notified
//! after the plan, and from where; filtered by monitor, tags and transition, or to the
//! transitions that notify nobody. Rendered as text, JSON or Markdown.

use super::{OrgRouting, Recipient, Source, TRANSITIONS};
use crate::preview::SampleTransition;
use serde::Serialize;
use std::collections::BTreeSet;
use std::fmt::Write as _;

/// Which rows of the table to show.
#[derive(Debug, Clone, Default)]
pub struct TableFilter {
    /// Only these monitors (empty: all).
    pub monitors: BTreeSet<i64>,
    /// Only monitors with all these tags.
    pub tags: Vec<String>,
    /// Only this transition.
    pub transition: Option<SampleTransition>,
    /// Only the transitions that notify nobody whatever the firing group.
    pub unrouted: bool,
}

/// One monitor's routing on one transition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RouteRow {
    /// The monitor's id.
    pub monitor_id: i64,
    /// Its name.
    pub monitor_name: String,
    /// The transition's name.
    pub transition: &'static str,
    /// Whom it notifies, with the sources of each.
    pub recipients: Vec<Recipient>,
}

impl RouteRow {
    /// Whether it notifies nobody whatever the firing group.
    pub fn is_unrouted(&self) -> bool {
        self.recipients.iter().all(|r| !r.when.is_empty())
    }
}

/// The table: its rows, and the monitors whose message does not parse (their routing
/// cannot be told).
#[derive(Debug, Clone, Default, Serialize)]
pub struct RouteTable {
    /// Version of this JSON shape.
    pub format_version: u32,
    /// The rows, by monitor id then transition.
    pub rows: Vec<RouteRow>,
    /// `(monitor id, why)` of each monitor left out.
    pub unreadable: Vec<(i64, String)>,
}

/// The routing table of `org`, filtered.
pub fn table(org: &OrgRouting<'_>, filter: &TableFilter) -> RouteTable {
    let mut out = RouteTable {
        format_version: 1,
        ..RouteTable::default()
    };
    let transitions: Vec<SampleTransition> = match filter.transition {
        Some(t) => vec![t],
        None => TRANSITIONS.to_vec(),
    };
    for (m, routing) in org.monitors() {
        if !filter.monitors.is_empty() && !filter.monitors.contains(&m.id) {
            continue;
        }
        if !filter
            .tags
            .iter()
            .all(|t| m.tags.iter().any(|have| have.eq_ignore_ascii_case(t)))
        {
            continue;
        }
        match org.route_all(&routing, &transitions) {
            Ok(routed) => {
                for (t, recipients) in transitions.iter().zip(routed) {
                    let row = RouteRow {
                        monitor_id: m.id,
                        monitor_name: m.name.clone(),
                        transition: t.name(),
                        recipients,
                    };
                    if !filter.unrouted || row.is_unrouted() {
                        out.rows.push(row);
                    }
                }
            }
            Err(e) => out.unreadable.push((m.id, e.to_string())),
        }
    }
    out
}

/// A recipient with its sources: `@h (block g, rule r (transition_type:is_alert))`.
fn recipient_text(r: &Recipient) -> String {
    let sources: Vec<String> = r.sources.iter().map(Source::to_string).collect();
    format!("{} ({})", r.label(), sources.join(", "))
}

/// The table as text: a heading per monitor, a line per transition.
pub fn render_text(table: &RouteTable) -> String {
    let mut out = String::new();
    let mut last = None;
    for row in &table.rows {
        if last != Some(row.monitor_id) {
            if last.is_some() {
                out.push('\n');
            }
            let _ = writeln!(out, "monitor {} \"{}\"", row.monitor_id, row.monitor_name);
            last = Some(row.monitor_id);
        }
        let who = if row.recipients.is_empty() {
            "nobody".to_string()
        } else {
            let list: Vec<String> = row.recipients.iter().map(recipient_text).collect();
            let mut text = list.join(", ");
            if row.is_unrouted() {
                text.push_str("; nobody otherwise");
            }
            text
        };
        let _ = writeln!(out, "  {}: {who}", row.transition);
    }
    if table.rows.is_empty() {
        out.push_str("No monitor and transition to show.\n");
    }
    for (id, why) in &table.unreadable {
        let _ = writeln!(
            out,
            "Error: monitor {id}: its message does not parse ({why}): its routing cannot be told"
        );
    }
    out
}

/// The table as Markdown: one row per monitor and transition.
pub fn render_markdown(table: &RouteTable) -> String {
    let mut out = String::from("| monitor | transition | recipients |\n|---|---|---|\n");
    for row in &table.rows {
        let who = if row.recipients.is_empty() {
            "nobody".to_string()
        } else {
            let list: Vec<String> = row
                .recipients
                .iter()
                .map(|r| format!("`{}`", recipient_text(r).replace('|', "\\|")))
                .collect();
            list.join("<br>")
        };
        let _ = writeln!(
            out,
            "| {} {} | {} | {who} |",
            row.monitor_id,
            row.monitor_name.replace('|', "\\|"),
            row.transition
        );
    }
    out
}
