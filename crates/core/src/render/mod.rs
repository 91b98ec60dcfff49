//! A [`Plan`] into text (for terminals and CI logs), JSON (for machines) or Markdown (for
//! pull-request comments). All three are rendered from the same plan data; none can show a
//! secret, because the plan holds none.

pub mod fields;
pub mod json;
mod text;

use crate::plan::{Change, Edit, Plan};
use std::fmt::{self, Write};

pub use json::{render_json, PlanView};
pub use text::render_text;

/// The output formats of `ddhooks plan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Terraform-like text with unified diffs.
    Text,
    /// The versioned JSON plan (see the README).
    Json,
    /// Markdown for a pull-request comment.
    Markdown,
}

/// Renders `plan` in `format`; `color` applies to text only. Only the JSON form can fail
/// (a serialisation bug), and then it is an error, never a plan printed with exit 0.
pub fn render(plan: &Plan, format: Format, color: bool) -> Result<String, serde_json::Error> {
    match format {
        Format::Text => Ok(render_text(plan, color)),
        Format::Json => render_json(plan),
        Format::Markdown => Ok(render_markdown(plan)),
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

/// A Markdown comment: the summary, a table of changes, and the text plan in a `diff`
/// block inside a collapsible section.
pub fn render_markdown(plan: &Plan) -> String {
    let mut out = String::from("### ddhooks plan\n\n");
    let _ = write!(out, "**{}**\n\n", summary_line(plan));
    if !plan.problems.is_empty() {
        out.push_str("**Errors**\n\n");
        for p in &plan.problems {
            let _ = writeln!(out, "- :x: `{}`: {}", p.address, EscapeMd(&p.message));
        }
        out.push('\n');
    }
    if !plan.changes.is_empty() {
        out.push_str("| | address | action |\n|---|---|---|\n");
        for c in &plan.changes {
            let _ = write!(out, "| `{}` | `{}`", c.action().symbol(), c.address());
            if let Change::Monitor(m) = c {
                let _ = write!(out, " ({})", EscapeMd(&m.name));
            }
            out.push_str(" | ");
            match c {
                Change::Webhook(w) => match &w.edit {
                    Edit::Rename { from, .. } => {
                        let _ = write!(out, "rename from `{from}`");
                    }
                    other => out.push_str(other.action().word()),
                },
                Change::Monitor(m) if !m.blocks.is_empty() => {
                    for (i, b) in m.blocks.iter().enumerate() {
                        let comma = if i == 0 { "" } else { ", " };
                        let (verb, note) = (b.action.verb(), b.action.note());
                        let _ = write!(out, "{comma}{verb} block `{}`{note}", b.block);
                    }
                }
                other => out.push_str(other.action().word()),
            }
            out.push_str(" |\n");
        }
        out.push('\n');
    }
    for w in &plan.warnings {
        let _ = writeln!(out, "- :warning: {}", EscapeMd(w));
    }
    if !plan.held.is_empty() {
        for h in &plan.held {
            let _ = writeln!(out, "- :warning: `{}` {}", h.address, EscapeMd(&h.reason));
        }
        out.push('\n');
    }
    if !plan.changes.is_empty() {
        let body = diff_friendly(&render_text(plan, false));
        let fence = "`".repeat(longest_backtick_run(&body).max(2) + 1);
        let _ = write!(
            out,
            "<details><summary>Details</summary>\n\n{fence}diff\n{body}{fence}\n\n</details>\n"
        );
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
                out.extend(std::iter::repeat(' ').take(indent));
                out.push_str(chars.as_str());
            }
            _ => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

/// Text for a Markdown table cell or list item: `|` escaped, newlines as spaces.
struct EscapeMd<'a>(&'a str);

impl fmt::Display for EscapeMd<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        while let Some(at) = rest.find(['|', '\n']) {
            f.write_str(&rest[..at])?;
            f.write_str(if rest[at..].starts_with('|') {
                "\\|"
            } else {
                " "
            })?;
            rest = &rest[at + 1..];
        }
        f.write_str(rest)
    }
}

fn longest_backtick_run(s: &str) -> usize {
    let (mut longest, mut run) = (0, 0);
    for b in s.bytes() {
        run = if b == b'`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    longest
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXTS: [&str; 7] = [
        "",
        "plain",
        "a | b",
        "||\n\n|",
        "line\nbreak ✓ | é",
        "``` fenced ````\n`",
        "|end|",
    ];

    #[test]
    fn markdown_escapes_pipes_and_newlines() {
        for text in TEXTS {
            let expected = text.replace('|', "\\|").replace('\n', " ");
            assert_eq!(EscapeMd(text).to_string(), expected, "{text:?}");
        }
    }

    #[test]
    fn longest_backtick_run_counts_consecutive_backticks() {
        for text in TEXTS {
            let expected = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
            assert_eq!(longest_backtick_run(text), expected, "{text:?}");
        }
    }
}
