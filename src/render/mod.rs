//! A [`Plan`] into text (for terminals and CI logs), JSON (for machines) or Markdown (for
//! pull-request comments). All three are rendered from the same plan data; none can show a
//! secret, because the plan holds none.

mod text;

use crate::plan::Plan;

pub use text::render_text;

/// The output formats of `ddhooks plan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Terraform-like text with unified diffs.
    Text,
    /// The versioned JSON plan (see the README).
    Json,
    /// Markdown for a pull-request comment.
    Markdown,
}

/// Renders `plan` in `format`; `color` applies to text only.
pub fn render(plan: &Plan, format: Format, color: bool) -> String {
    match format {
        Format::Text => render_text(plan, color),
        Format::Json => render_json(plan),
        Format::Markdown => render_markdown(plan),
    }
}

/// The JSON plan, pretty-printed, with a trailing newline.
pub fn render_json(plan: &Plan) -> String {
    let mut out =
        serde_json::to_string_pretty(plan).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    out.push('\n');
    out
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

/// A Markdown comment: the summary, a table of changes, and the text plan in a `diff`
/// block inside a collapsible section.
pub fn render_markdown(plan: &Plan) -> String {
    let mut out = String::from("### ddhooks plan\n\n");
    out.push_str(&format!("**{}**\n\n", summary_line(plan)));
    if !plan.problems.is_empty() {
        out.push_str("**Errors**\n\n");
        for p in &plan.problems {
            out.push_str(&format!(
                "- :x: `{}`: {}\n",
                p.address,
                escape_md(&p.message)
            ));
        }
        out.push('\n');
    }
    if !plan.changes.is_empty() {
        out.push_str("| | address | action |\n|---|---|---|\n");
        for c in &plan.changes {
            let action = match &c.renamed_from {
                Some(old) => format!("rename from `{old}`"),
                None if !c.blocks.is_empty() => c
                    .blocks
                    .iter()
                    .map(|b| format!("{} block `{}`", text::block_verb(b.action), b.block))
                    .collect::<Vec<_>>()
                    .join(", "),
                None => c.action.word().to_string(),
            };
            let name = c
                .monitor_name
                .as_deref()
                .map(|n| format!(" ({})", escape_md(n)))
                .unwrap_or_default();
            out.push_str(&format!(
                "| `{}` | `{}`{} | {} |\n",
                c.action.symbol(),
                c.address,
                name,
                action
            ));
        }
        out.push('\n');
    }
    for w in &plan.warnings {
        out.push_str(&format!("- :warning: {}\n", escape_md(w)));
    }
    if !plan.held.is_empty() {
        for h in &plan.held {
            out.push_str(&format!(
                "- :warning: `{}` {}\n",
                h.address,
                escape_md(&h.reason)
            ));
        }
        out.push('\n');
    }
    if !plan.changes.is_empty() {
        let body = diff_friendly(&render_text(plan, false));
        let fence = "`".repeat(longest_backtick_run(&body).max(2) + 1);
        out.push_str(&format!(
            "<details><summary>Details</summary>\n\n{fence}diff\n{body}{fence}\n\n</details>\n"
        ));
    }
    out
}

/// Moves each line's leading `+`, `-` or `~` marker to column 0 (`~` as `!`), so GitHub's
/// `diff` highlighting colours additions, removals and changes.
fn diff_friendly(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    for line in text.lines() {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        let mut chars = trimmed.chars();
        match (chars.next(), indent) {
            (Some(c @ ('+' | '-' | '~')), 1..)
                if !trimmed.starts_with("---") && !trimmed.starts_with("+++") =>
            {
                let marker = if c == '~' { '!' } else { c };
                out.push(marker);
                out.push_str(&" ".repeat(indent));
                out.push_str(chars.as_str());
            }
            _ => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

fn escape_md(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn longest_backtick_run(s: &str) -> usize {
    s.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}
