//! A [`Plan`] into text (for terminals and CI logs), JSON (for machines) or Markdown (for
//! pull-request comments). All three are rendered from the same plan data; none can show a
//! secret, because the plan holds none.

pub mod fields;
pub mod json;
mod markdown;
mod outline;
pub mod routing;
mod text;

use crate::plan::Plan;

pub use json::{render_json, PlanView};
pub use markdown::{render_markdown, MarkdownOptions, GITHUB_COMMENT_LIMIT};
pub use outline::{Outline, OutlinedChange};
pub use text::render_text;

/// The output formats of `ddhooks plan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Terraform-like text with unified diffs.
    Text,
    /// The versioned JSON plan (see docs/json-plan.md).
    Json,
    /// Markdown for a pull-request comment.
    Markdown,
}

/// Renders `plan` in `format` (Markdown with [`MarkdownOptions::default`]); `color` applies
/// to text only. Only the JSON form can fail
/// (a serialisation bug), and then it is an error, never a plan printed with exit 0.
pub fn render(plan: &Plan, format: Format, color: bool) -> Result<String, serde_json::Error> {
    match format {
        Format::Text => Ok(render_text(plan, color)),
        Format::Json => render_json(plan),
        Format::Markdown => Ok(render_markdown(
            &Outline::of(plan),
            &MarkdownOptions::default(),
        )),
    }
}

/// The summary line: `Plan: X to create, Y to update, Z to delete.` or `No changes.`
pub fn summary_line(plan: &Plan) -> String {
    if !plan.has_changes() {
        return "No changes.".to_string();
    }
    let s = plan.summary;
    format!(
        "Plan: {} to create, {} to update, {} to delete.",
        s.create, s.update, s.delete
    )
}
