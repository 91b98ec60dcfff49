//! The org's routing table (`ddhooks routes`): per monitor and transition, who is notified
//! after the plan, and from where; filtered by monitor, tags and transition, or to the
//! transitions that notify nobody. Written as text, JSON or Markdown, a batch of monitors at
//! a time: each batch is routed and rendered on every core, and written in id order, so the
//! table of a whole org is never held in memory.

use super::{OrgRouting, Recipient, Source, TRANSITIONS};
use crate::model::RemoteMonitor;
use crate::model::SampleTransition;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeSet;
use std::fmt::Write as _;

/// Monitors routed and rendered together: enough to keep every core busy, few enough that
/// a batch's text stays small.
const BATCH: usize = 1024;

/// Version of the JSON shape `routes --format json` writes.
pub const TABLE_FORMAT_VERSION: u32 = 1;

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

impl TableFilter {
    /// Whether `m` is one of the monitors to show.
    fn selects(&self, m: &RemoteMonitor) -> bool {
        (self.monitors.is_empty() || self.monitors.contains(&m.id))
            && self
                .tags
                .iter()
                .all(|t| m.tags.iter().any(|have| have.eq_ignore_ascii_case(t)))
    }
}

/// How the table is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableFormat {
    /// A heading per monitor, a line per transition.
    Text,
    /// `{format_version, rows: [...], unreadable: [...]}`, one row per line.
    Json,
    /// One table row per monitor and transition.
    Markdown,
}

/// One monitor's routing on one transition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteRow<'a> {
    /// The monitor's id.
    pub monitor_id: i64,
    /// Its name.
    pub monitor_name: &'a str,
    /// The transition's name.
    pub transition: &'static str,
    /// Whom it notifies, with the sources of each.
    pub recipients: Vec<Recipient>,
}

impl RouteRow<'_> {
    /// Whether it notifies nobody whatever the firing group.
    pub fn is_unrouted(&self) -> bool {
        self.recipients.iter().all(|r| !r.when.is_empty())
    }
}

/// What a written table held: how many rows, and the monitors left out because their
/// message does not parse (their routing cannot be told).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableSummary {
    /// Rows written.
    pub rows: usize,
    /// `(monitor id, why)` of each monitor left out.
    pub unreadable: Vec<(i64, String)>,
}

/// One monitor's part of the table: its rendered rows, or why it was left out.
enum MonitorPart {
    Rows { text: String, count: usize },
    Unreadable(i64, String),
}

/// Recipients that name nothing in the org, by handle (without `@`), with why: the table
/// marks them.
pub type Unresolved = std::collections::BTreeMap<String, String>;

/// Writes the routing table of `org`, filtered, as `format`, by handing `write` one piece
/// after another (the caller decides where it goes); recipients in `unresolved` are marked.
/// Monitors are routed and rendered [`BATCH`] at a time in parallel, and written in id
/// order.
pub fn write_table<E>(
    org: &OrgRouting<'_>,
    filter: &TableFilter,
    format: TableFormat,
    unresolved: &Unresolved,
    mut write: impl FnMut(&str) -> Result<(), E>,
) -> Result<TableSummary, E> {
    let transitions: Vec<SampleTransition> = match filter.transition {
        Some(t) => vec![t],
        None => TRANSITIONS.to_vec(),
    };
    let selected: Vec<_> = org.monitors().filter(|(m, _)| filter.selects(m)).collect();
    let mut summary = TableSummary::default();
    write(&match format {
        TableFormat::Text => String::new(),
        TableFormat::Json => format!("{{\"format_version\":{TABLE_FORMAT_VERSION},\"rows\":["),
        TableFormat::Markdown => "| monitor | transition | recipients |\n|---|---|---|\n".into(),
    })?;
    for batch in selected.chunks(BATCH) {
        let parts: Vec<MonitorPart> = batch
            .par_iter()
            .map(|(m, routing)| match org.route_all(routing, &transitions) {
                Ok(routed) => {
                    let rows: Vec<RouteRow<'_>> = transitions
                        .iter()
                        .zip(routed)
                        .map(|(t, recipients)| RouteRow {
                            monitor_id: m.id,
                            monitor_name: &m.name,
                            transition: t.name(),
                            recipients,
                        })
                        .filter(|row| !filter.unrouted || row.is_unrouted())
                        .collect();
                    MonitorPart::Rows {
                        text: render_rows(&rows, format, unresolved),
                        count: rows.len(),
                    }
                }
                Err(e) => MonitorPart::Unreadable(m.id, e.to_string()),
            })
            .collect();
        for part in parts {
            match part {
                MonitorPart::Rows { text, count } if count > 0 => {
                    if format == TableFormat::Json {
                        write(if summary.rows == 0 { "\n" } else { ",\n" })?;
                    } else if format == TableFormat::Text && summary.rows > 0 {
                        write("\n")?;
                    }
                    write(&text)?;
                    summary.rows += count;
                }
                MonitorPart::Rows { .. } => {}
                MonitorPart::Unreadable(id, why) => summary.unreadable.push((id, why)),
            }
        }
    }
    write(&render_tail(&summary, format))?;
    Ok(summary)
}

/// One monitor's rows (all of one monitor, in transition order) in `format`; JSON rows are
/// separated by `,\n` and carry no trailing separator.
fn render_rows(rows: &[RouteRow<'_>], format: TableFormat, unresolved: &Unresolved) -> String {
    let recipient_text = |r: &Recipient| match unresolved.get(&r.handle) {
        Some(why) => format!("{} [names nothing: {why}]", recipient_text(r)),
        None => recipient_text(r),
    };
    let mut out = String::new();
    match format {
        TableFormat::Text => {
            if let Some(first) = rows.first() {
                let _ = writeln!(
                    out,
                    "monitor {} \"{}\"",
                    first.monitor_id, first.monitor_name
                );
            }
            for row in rows {
                let who = if row.recipients.is_empty() {
                    "nobody".to_string()
                } else {
                    let list: Vec<String> = row.recipients.iter().map(&recipient_text).collect();
                    let mut text = list.join(", ");
                    if row.is_unrouted() {
                        text.push_str("; nobody otherwise");
                    }
                    text
                };
                let _ = writeln!(out, "  {}: {who}", row.transition);
            }
        }
        TableFormat::Json => {
            for (i, row) in rows.iter().enumerate() {
                if i > 0 {
                    out.push_str(",\n");
                }
                let view = RowView {
                    monitor_id: row.monitor_id,
                    monitor_name: row.monitor_name,
                    transition: row.transition,
                    recipients: row
                        .recipients
                        .iter()
                        .map(|r| RecipientView {
                            recipient: r,
                            unresolved: unresolved.get(&r.handle).map(String::as_str),
                        })
                        .collect(),
                };
                // A row holds strings and numbers only: it always serializes.
                out.push_str(&serde_json::to_string(&view).unwrap_or_default());
            }
        }
        TableFormat::Markdown => {
            for row in rows {
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
        }
    }
    out
}

/// A row as JSON: its recipients with the mark of those that name nothing.
#[derive(Serialize)]
struct RowView<'r> {
    monitor_id: i64,
    monitor_name: &'r str,
    transition: &'static str,
    recipients: Vec<RecipientView<'r>>,
}

/// A recipient as JSON, with `unresolved` (why it names nothing) when it does.
#[derive(Serialize)]
struct RecipientView<'r> {
    #[serde(flatten)]
    recipient: &'r Recipient,
    #[serde(skip_serializing_if = "Option::is_none")]
    unresolved: Option<&'r str>,
}

/// What follows the rows: the monitors left out (and, in text, a line when there was no row).
fn render_tail(summary: &TableSummary, format: TableFormat) -> String {
    let mut out = String::new();
    match format {
        TableFormat::Json => {
            let unreadable = serde_json::to_string(&summary.unreadable).unwrap_or_default();
            let _ = writeln!(out, "\n],\"unreadable\":{unreadable}}}");
        }
        TableFormat::Text => {
            if summary.rows == 0 {
                out.push_str("No monitor and transition to show.\n");
            }
            for (id, why) in &summary.unreadable {
                let _ = writeln!(
                    out,
                    "Error: monitor {id}: its message does not parse ({why}): its routing cannot be told"
                );
            }
        }
        TableFormat::Markdown => {
            for (id, why) in &summary.unreadable {
                let _ = writeln!(
                    out,
                    "\n**Error:** monitor {id}: its message does not parse ({}): its routing cannot be told",
                    why.replace('|', "\\|")
                );
            }
        }
    }
    out
}

/// A recipient with its sources: `@h (block g, rule r (transition_type:is_alert))`.
fn recipient_text(r: &Recipient) -> String {
    let sources: Vec<String> = r.sources.iter().map(Source::to_string).collect();
    format!("{} ({})", r.label(), sources.join(", "))
}
