//! The routing changes of a plan as reviewers read them: one line per recipient added or
//! removed on a transition, with the monitors it happens to (monitors whose change is the
//! same collapse into one line), for the text plan's `Routing changes:` section and the
//! Markdown plan's table; and their JSON view.

use crate::plan::Plan;
use crate::routing::{collapsed, Recipient, RoutingChange, Source};
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;

/// How many monitor ids a line names before `…`.
const IDS_SHOWN: usize = 10;

/// One collapsed routing change: a recipient added or removed on a transition, and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoutingLine {
    /// The transition's name (`alert`, `recovery`, …).
    pub transition: String,
    /// `+` (added) or `-` (removed).
    pub symbol: String,
    /// The recipient (`@handle`, with its condition on the firing group).
    pub recipient: String,
    /// The monitors it happens to, by id.
    pub monitors: Vec<i64>,
}

impl RoutingLine {
    /// `(monitor 12)`, or `(42 monitors: 1, 2, 3, …)` with at most [`IDS_SHOWN`] ids.
    pub fn monitors_text(&self) -> String {
        match self.monitors.as_slice() {
            [one] => format!("monitor {one}"),
            many => {
                let mut ids: Vec<String> =
                    many.iter().take(IDS_SHOWN).map(i64::to_string).collect();
                if many.len() > IDS_SHOWN {
                    ids.push("…".into());
                }
                format!("{} monitors: {}", many.len(), ids.join(", "))
            }
        }
    }

    /// The line as the text plan prints it, without indentation.
    pub fn text(&self) -> String {
        format!(
            "{}: {} {} ({})",
            self.transition,
            self.symbol,
            self.recipient,
            self.monitors_text()
        )
    }
}

/// The plan's routing changes, collapsed.
pub fn routing_lines(plan: &Plan) -> Vec<RoutingLine> {
    collapsed(&plan.routing)
        .into_iter()
        .map(|(change, monitors)| RoutingLine {
            transition: change.transition.name().to_string(),
            symbol: if change.added { "+" } else { "-" }.to_string(),
            recipient: change.label,
            monitors,
        })
        .collect()
}

/// The `Routing changes:` section of the text plan (empty when routing does not change).
pub fn routing_section(lines: &[RoutingLine]) -> String {
    let mut out = String::new();
    if lines.is_empty() {
        return out;
    }
    out.push_str("Routing changes:\n");
    for line in lines {
        let _ = writeln!(out, "  {}", line.text());
    }
    out.push('\n');
    out
}

/// One recipient of a routing change in the JSON plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecipientView {
    /// The handle, without `@`.
    pub handle: String,
    /// The conditions on the firing group it depends on (empty: none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub when: Vec<String>,
    /// Where it comes from: `text line N`, `block NAME`, `rule NAME (…)`.
    pub sources: Vec<String>,
}

/// One monitor's routing change on one transition, in the JSON plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoutingChangeView {
    /// The monitor's id.
    pub monitor_id: i64,
    /// Its name.
    pub monitor_name: String,
    /// The transition's name.
    pub transition: String,
    /// Recipients notified after the plan and not before.
    pub added: Vec<RecipientView>,
    /// Recipients notified before the plan and not after.
    pub removed: Vec<RecipientView>,
}

fn recipient_view(r: &Recipient) -> RecipientView {
    RecipientView {
        handle: r.handle.clone(),
        when: r.when.iter().map(|w| w.0.clone()).collect(),
        sources: r.sources.iter().map(Source::to_string).collect(),
    }
}

/// The JSON view of a routing change.
pub fn routing_change_view(c: &RoutingChange) -> RoutingChangeView {
    RoutingChangeView {
        monitor_id: c.monitor,
        monitor_name: c.name.clone(),
        transition: c.transition.name().to_string(),
        added: c.added.iter().map(recipient_view).collect(),
        removed: c.removed.iter().map(recipient_view).collect(),
    }
}
