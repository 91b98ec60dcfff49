//! A plan as a reviewer reads it, already rendered: each change's header and diff as the
//! plain text plan prints them, and the notes around them. Plan files keep it, so that
//! `ddhooks show` prints a saved plan as text or Markdown without Datadog and without the
//! typed plan (which holds the values that secrets are fingerprinted from).

use super::json::{self, HeldView, ProblemView};
use super::text;
use crate::mask::Masker;
use crate::plan::{Change, Plan};
use serde::{Deserialize, Serialize};

/// The rendered plan: plain text, secrets masked as in every other form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outline {
    /// The summary line (`Plan: …` or `No changes.`).
    pub summary: String,
    /// Each change, in plan order.
    pub changes: Vec<OutlinedChange>,
    /// What the text plan prints between the changes and the summary line.
    pub trailer: String,
    /// Errors that stop parts of the plan.
    #[serde(default)]
    pub problems: Vec<ProblemView>,
    /// Things a reviewer should know that are not changes.
    #[serde(default)]
    pub warnings: Vec<String>,
    /// Deletions held back, and why.
    #[serde(default)]
    pub held: Vec<HeldView>,
    /// Notes that are neither changes nor warnings (check runs to seed, names to forget).
    #[serde(default)]
    pub notes: Vec<String>,
    /// The routing changes, collapsed (the text plan's `Routing changes:` section).
    #[serde(default)]
    pub routing: Vec<super::routing::RoutingLine>,
}

/// One change, rendered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutlinedChange {
    /// `create`, `update`, `adopt`, `rename` or `delete`.
    pub action: String,
    /// The marker the text plan shows (`+`, `~`, `-`, …).
    pub symbol: String,
    /// The object's address.
    pub address: String,
    /// The header line: address and what happens to it.
    pub title: String,
    /// What happens to the object, in words (`will be created`, `add block grp`): changes
    /// alike in this are listed together when there is no room for their diffs.
    #[serde(default)]
    pub what: String,
    /// The lines under the header: notes and the diff, indented as in the text plan.
    pub body: String,
    /// Whether the body is a unified diff of a monitor's message, whose lines are the
    /// message's own (a context line may start with `-`), rather than fields.
    #[serde(default)]
    pub message_diff: bool,
}

impl Outline {
    /// The outline of a typed plan.
    pub fn of(plan: &Plan) -> Outline {
        let masker = Masker::new(&plan.salt);
        let changes = plan
            .changes
            .iter()
            .map(|change| outlined(&masker, change))
            .collect();
        let (mut notes, forget) = text::plan_notes(plan);
        notes.extend(forget);
        Outline {
            summary: super::summary_line(plan),
            changes,
            trailer: text::plain_trailer(plan),
            problems: json::problem_views(plan),
            warnings: plan.warnings.clone(),
            held: json::held_views(plan),
            notes,
            routing: super::routing::routing_lines(plan),
        }
    }

    /// The plain text plan: byte for byte what `ddhooks plan --no-color` printed.
    pub fn text(&self) -> String {
        let mut out = String::new();
        if !self.changes.is_empty() {
            out.push_str("ddhooks will perform the following actions:\n\n");
            for change in &self.changes {
                out.push_str("  ");
                out.push_str(&change.title_line());
                out.push('\n');
                out.push_str(&change.body);
                out.push('\n');
            }
        }
        out.push_str(&self.trailer);
        out.push_str(&self.summary);
        out.push('\n');
        out
    }
}

impl OutlinedChange {
    /// The header line as the text plan prints it: the marker, then the title.
    pub fn title_line(&self) -> String {
        format!("{} {}", self.symbol, self.title)
    }
}

fn outlined(masker: &Masker, change: &Change) -> OutlinedChange {
    let action = change.action();
    OutlinedChange {
        action: action.word().to_string(),
        symbol: action.symbol().to_string(),
        address: change.address().to_string(),
        title: text::title(change),
        what: text::what(change),
        body: text::plain_change_body(masker, change),
        message_diff: matches!(change, Change::Monitor(_)),
    }
}
