//! The Terraform-like text plan.

use crate::plan::{Action, Change, ObjectKind, Plan};
use anstyle::{AnsiColor, Style};
use serde_json::Value;
use similar::TextDiff;
use std::fmt::Write;

/// Styles for the text plan; all plain when colour is off.
struct Palette {
    add: Style,
    change: Style,
    remove: Style,
    hunk: Style,
    note: Style,
    bold: Style,
}

impl Palette {
    fn new(color: bool) -> Palette {
        if !color {
            let plain = Style::new();
            return Palette {
                add: plain,
                change: plain,
                remove: plain,
                hunk: plain,
                note: plain,
                bold: plain,
            };
        }
        Palette {
            add: AnsiColor::Green.on_default(),
            change: AnsiColor::Yellow.on_default(),
            remove: AnsiColor::Red.on_default(),
            hunk: AnsiColor::Cyan.on_default(),
            note: Style::new().dimmed(),
            bold: Style::new().bold(),
        }
    }

    fn for_action(&self, action: Action) -> Style {
        match action {
            Action::Create => self.add,
            Action::Delete => self.remove,
            _ => self.change,
        }
    }

    fn paint(&self, style: Style, text: &str) -> String {
        format!("{style}{text}{style:#}")
    }
}

/// Renders the whole plan as text ending with the summary line.
pub fn render_text(plan: &Plan, color: bool) -> String {
    let p = Palette::new(color);
    let mut out = String::new();
    if !plan.changes.is_empty() {
        out.push_str("ddhooks will perform the following actions:\n\n");
        for change in &plan.changes {
            render_change(&mut out, &p, change);
            out.push('\n');
        }
    }
    for held in &plan.held {
        let _ = writeln!(
            out,
            "  {} {} {}",
            p.paint(p.change, "!"),
            held.address,
            held.reason
        );
    }
    if !plan.forget.is_empty() {
        let _ = writeln!(
            out,
            "  {} no longer exist in Datadog; ddhooks will drop them from its registry: {}",
            p.paint(p.note, "#"),
            plan.forget.join(", ")
        );
    }
    if !plan.held.is_empty() || !plan.forget.is_empty() {
        out.push('\n');
    }
    for warning in &plan.warnings {
        let _ = writeln!(out, "{} {warning}", p.paint(p.change, "Warning:"));
    }
    if !plan.warnings.is_empty() {
        out.push('\n');
    }
    for problem in &plan.problems {
        let _ = writeln!(
            out,
            "{} {}: {}",
            p.paint(p.remove, "Error:"),
            problem.address,
            problem.message
        );
    }
    if !plan.problems.is_empty() {
        out.push('\n');
    }
    let _ = writeln!(out, "{}", p.paint(p.bold, &super::summary_line(plan)));
    out
}

/// How a block change reads: blocks are added to, updated in and removed from a message.
pub(super) fn block_verb(action: Action) -> &'static str {
    match action {
        Action::Create => "add",
        Action::Delete => "remove",
        _ => "update",
    }
}

fn title(change: &Change) -> String {
    if change.kind == ObjectKind::Monitor {
        let blocks: Vec<String> = change
            .blocks
            .iter()
            .map(|b| format!("{} block {}", block_verb(b.action), b.block))
            .collect();
        let name = change.monitor_name.as_deref().unwrap_or("");
        return format!("{} \"{}\": {}", change.address, name, blocks.join(", "));
    }
    let what = match change.action {
        Action::Create => "will be created".to_string(),
        Action::Update => "will be updated in place".to_string(),
        Action::Delete => "will be deleted".to_string(),
        Action::Rename => format!(
            "will be renamed from `{}`",
            change.renamed_from.as_deref().unwrap_or("?")
        ),
        Action::Adopt if change.writes => "will be adopted and updated".to_string(),
        Action::Adopt => {
            "will be adopted (it already matches; ddhooks records that it owns it)".to_string()
        }
    };
    format!("{} {what}", change.address)
}

fn render_change(out: &mut String, p: &Palette, change: &Change) {
    let style = p.for_action(change.action);
    let _ = writeln!(
        out,
        "  {} {}",
        p.paint(style, change.action.symbol()),
        title(change)
    );
    for note in &change.notes {
        let _ = writeln!(out, "      {}", p.paint(p.note, &format!("# {note}")));
    }
    if change.kind == ObjectKind::Monitor {
        let before = message_of(change.before.as_ref());
        let after = message_of(change.after.as_ref());
        write_diff(out, p, &before, &after, "      ");
        return;
    }
    let empty = serde_json::Map::new();
    let before = change
        .before
        .as_ref()
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let after = change
        .after
        .as_ref()
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let keys: Vec<&String> = if after.is_empty() {
        before.keys().collect()
    } else {
        after.keys().collect()
    };
    let width = keys.iter().map(|k| k.len()).max().unwrap_or(0);
    if change.action == Action::Rename && before == after {
        let _ = writeln!(out, "      {}", p.paint(p.note, "# only the name changes"));
    }
    for key in keys {
        let old = before.get(key);
        let new = after.get(key);
        match (old, new) {
            (None, Some(v)) => field(out, p, p.add, "+", key, width, v),
            (Some(v), None) => field(out, p, p.remove, "-", key, width, v),
            (Some(o), Some(n)) if o != n => {
                if is_sensitive(o) && is_sensitive(n) {
                    let _ = writeln!(
                        out,
                        "      {} {key:<width$} = (sensitive) -> (sensitive, a new value)",
                        p.paint(p.change, "~")
                    );
                } else if is_scalar(o) && is_scalar(n) {
                    let _ = writeln!(
                        out,
                        "      {} {key:<width$} = {} -> {}",
                        p.paint(p.change, "~"),
                        scalar(o),
                        scalar(n)
                    );
                } else {
                    let _ = writeln!(out, "      {} {key}:", p.paint(p.change, "~"));
                    write_diff(out, p, &pretty(o), &pretty(n), "          ");
                }
            }
            _ => {}
        }
    }
}

fn field(
    out: &mut String,
    p: &Palette,
    style: Style,
    sym: &str,
    key: &str,
    width: usize,
    v: &Value,
) {
    if is_scalar(v) {
        let _ = writeln!(
            out,
            "      {} {key:<width$} = {}",
            p.paint(style, sym),
            scalar(v)
        );
    } else {
        let text = pretty(v);
        let mut lines = text.lines();
        let first = lines.next().unwrap_or("");
        let _ = writeln!(out, "      {} {key:<width$} = {first}", p.paint(style, sym));
        for line in lines {
            let _ = writeln!(out, "        {:<width$}   {line}", "");
        }
    }
}

fn is_sensitive(v: &Value) -> bool {
    v.get("sensitive").and_then(Value::as_bool) == Some(true)
}

fn is_scalar(v: &Value) -> bool {
    !(v.is_array() || v.is_object()) || is_sensitive(v)
}

fn scalar(v: &Value) -> String {
    if is_sensitive(v) {
        return "(sensitive)".to_string();
    }
    serde_json::to_string(v).unwrap_or_default()
}

fn pretty(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s
}

fn message_of(v: Option<&Value>) -> String {
    let mut s = v
        .and_then(|v| v.get("message"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    // An empty message has no lines: a diff against it must not show a blank one.
    if !s.is_empty() && !s.ends_with('\n') {
        s.push('\n');
    }
    s
}

/// A unified diff with three lines of context, each line indented and coloured.
fn write_diff(out: &mut String, p: &Palette, before: &str, after: &str, indent: &str) {
    let diff = TextDiff::from_lines(before, after);
    let unified = diff
        .unified_diff()
        .context_radius(3)
        .missing_newline_hint(false)
        .to_string();
    for line in unified.lines() {
        let style = if line.starts_with("@@") {
            p.hunk
        } else if line.starts_with('+') {
            p.add
        } else if line.starts_with('-') {
            p.remove
        } else {
            Style::new()
        };
        let _ = writeln!(out, "{indent}{}", p.paint(style, line));
    }
}
