//! The Terraform-like text plan.

use super::fields::{self, Field, Side};
use crate::mask::Masker;
use crate::plan::{Action, Change, Edit, Plan};
use anstyle::{AnsiColor, Style};
use rayon::prelude::*;
use serde_json::Value;
use similar::{ChangeTag, TextDiff};
use std::fmt::{self, Write};

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

    fn paint<'a>(&self, style: Style, text: &'a str) -> Painted<'a> {
        Painted { style, text }
    }
}

/// Text in a style, written straight into the output: the style's escape codes around the
/// text (none for a plain style).
struct Painted<'a> {
    style: Style,
    text: &'a str,
}

impl Painted<'_> {
    /// Appends the styled text to `out` (a plain style adds no codes: the text alone,
    /// without going through the formatting machinery).
    fn push_to(&self, out: &mut String) {
        if self.style == Style::new() {
            out.push_str(self.text);
        } else {
            let _ = write!(out, "{self}");
        }
    }
}

impl fmt::Display for Painted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Painted { style, text } = self;
        write!(f, "{style}{text}{style:#}")
    }
}

/// Renders the whole plan as text ending with the summary line.
pub fn render_text(plan: &Plan, color: bool) -> String {
    let p = Palette::new(color);
    let masker = Masker::new(&plan.salt);
    // Each change is rendered on its own, on both cores (a plan of thousands of monitor
    // diffs), and the trailer beside them; then laid end to end in the plan's order.
    let (changes, trailer_text) = rayon::join(
        || {
            plan.changes
                .par_iter()
                .map(|change| {
                    let mut text = String::new();
                    render_change(&mut text, &p, &masker, change);
                    text.push('\n');
                    text
                })
                .collect::<Vec<String>>()
        },
        || {
            let mut text = String::new();
            trailer(&mut text, &p, plan);
            text
        },
    );
    let mut out = String::with_capacity(
        changes.iter().map(String::len).sum::<usize>() + trailer_text.len() + 128,
    );
    if !plan.changes.is_empty() {
        out.push_str("ddhooks will perform the following actions:\n\n");
        changes.iter().for_each(|text| out.push_str(text));
    }
    out.push_str(&trailer_text);
    let _ = writeln!(out, "{}", p.paint(p.bold, &super::summary_line(plan)));
    out
}

/// What the text plan prints between the changes and the summary line: routing changes,
/// seeded check runs, held deletions, forgotten names, warnings and errors.
fn trailer(out: &mut String, p: &Palette, plan: &Plan) {
    out.push_str(&super::routing::routing_section(
        &super::routing::routing_lines(plan),
    ));
    let (seeds, forget) = plan_notes(plan);
    let note = p.paint(p.note, "#");
    marked_lines(
        out,
        format_args!("  {note}"),
        &seeds,
        !plan.seeds.is_empty(),
    );
    let held = plan
        .held
        .iter()
        .map(|h| format!("{} {}", h.address, h.reason));
    marked_lines(
        out,
        format_args!("  {}", p.paint(p.change, "!")),
        held,
        false,
    );
    let blank = !plan.held.is_empty() || !plan.forget.is_empty();
    marked_lines(out, format_args!("  {note}"), &forget, blank);
    let warned = !plan.warnings.is_empty();
    marked_lines(out, p.paint(p.change, "Warning:"), &plan.warnings, warned);
    let problems = (plan.problems.iter()).map(|e| format!("{}: {}", e.address, e.message));
    let failed = !plan.problems.is_empty();
    marked_lines(out, p.paint(p.remove, "Error:"), problems, failed);
}

/// Writes each of `lines` after `mark` and a space, then a blank line if `blank`.
fn marked_lines<I>(out: &mut String, mark: impl std::fmt::Display, lines: I, blank: bool)
where
    I: IntoIterator,
    I::Item: std::fmt::Display,
{
    for line in lines {
        let _ = writeln!(out, "{mark} {line}");
    }
    if blank {
        out.push('\n');
    }
}

/// The lines under a change's header as the plain text plan prints them: its notes and
/// its diff.
pub(super) fn plain_change_body(masker: &Masker, change: &Change) -> String {
    let mut out = String::new();
    render_change(&mut out, &Palette::new(false), masker, change);
    match out.split_once('\n') {
        Some((_, body)) => body.to_string(),
        None => String::new(),
    }
}

/// The notes of a plan that are neither changes nor warnings, in words: one per pair with
/// check runs to seed, and the owned names to forget (if any).
pub(super) fn plan_notes(plan: &Plan) -> (Vec<String>, Option<String>) {
    let seeds = plan
        .seeds_per_pair()
        .into_iter()
        .map(|(pair, n)| {
            let runs = if n == 1 { "check run" } else { "check runs" };
            format!("apply will submit {n} {runs} for pair {pair}: each newly wired monitor's current state, so its board counts it at once")
        })
        .collect();
    let forget = (!plan.forget.is_empty()).then(|| {
        let names: Vec<String> = plan
            .forget
            .iter()
            .map(|f| f.address().to_string())
            .collect();
        format!(
            "no longer exist in Datadog; ddhooks will drop them from its registry: {}",
            names.join(", ")
        )
    });
    (seeds, forget)
}

/// [`trailer`] without colours.
pub(super) fn plain_trailer(plan: &Plan) -> String {
    let mut out = String::new();
    trailer(&mut out, &Palette::new(false), plan);
    out
}

/// The title of a change in the plan: its address and what happens to it.
pub(super) fn title(change: &Change) -> String {
    match change {
        Change::Monitor(m) => format!("{} \"{}\": {}", change.address(), m.name, what(change)),
        _ => format!("{} {}", change.address(), what(change)),
    }
}

/// What happens to a change's object, in words (a monitor's: what happens to its blocks).
pub(super) fn what(change: &Change) -> String {
    match change {
        Change::Monitor(m) => {
            let blocks: Vec<String> = m.blocks.iter().map(|b| b.to_string()).collect();
            blocks.join(", ")
        }
        Change::CustomVariable(c) => edit_words(&c.edit, |f| match *f {}),
        Change::Webhook(c) => edit_words(&c.edit, |from| from.clone()),
        Change::NotificationRule(c) => edit_words(&c.edit, |f| match *f {}),
        Change::StatusBoard(c) => edit_words(&c.edit, |f| match *f {}),
        Change::AuthMethod(c) => edit_words(&c.edit, |f| match *f {}),
    }
}

/// What an edit does to its object, in words.
fn edit_words<T, R>(edit: &Edit<T, R>, from: impl Fn(&R) -> String) -> String {
    match edit {
        Edit::Create { .. } => "will be created".to_string(),
        Edit::Update { .. } => "will be updated in place".to_string(),
        Edit::Delete { .. } => "will be deleted".to_string(),
        Edit::Rename { from: old, .. } => format!("will be renamed from `{}`", from(old)),
        Edit::Adopt { writes: true, .. } => "will be adopted and updated".to_string(),
        Edit::Adopt { writes: false, .. } => {
            "will be adopted (it already matches; ddhooks records that it owns it)".to_string()
        }
    }
}

/// The before and after fields of an edit.
type FieldsOf = Vec<(&'static str, Field)>;

fn edit_fields<T, R>(
    edit: &Edit<T, R>,
    fields: impl Fn(&T, Side) -> FieldsOf,
) -> (FieldsOf, FieldsOf) {
    (
        edit.before()
            .map(|b| fields(b, Side::Before))
            .unwrap_or_default(),
        edit.after()
            .map(|a| fields(a, Side::After))
            .unwrap_or_default(),
    )
}

fn render_change(out: &mut String, p: &Palette, m: &Masker, change: &Change) {
    let action = change.action();
    let style = p.for_action(action);
    let _ = writeln!(
        out,
        "  {} {}",
        p.paint(style, action.symbol()),
        title(change)
    );
    for note in change.notes() {
        let _ = writeln!(out, "      {}", p.paint(p.note, &format!("# {note}")));
    }
    let (before, after) = match change {
        Change::Monitor(mon) => {
            let (mut before_end, mut after_end) = (String::new(), String::new());
            let (before, after) = (m.text(&mon.before), m.text(&mon.after));
            let before = message_lines(&before, &mut before_end);
            let after = message_lines(&after, &mut after_end);
            write_diff_lines(out, p, &before, &after, "      ");
            return;
        }
        Change::CustomVariable(c) => edit_fields(&c.edit, |v, _| fields::variable(&c.name, v, m)),
        Change::Webhook(c) => edit_fields(&c.edit, |w, side| fields::webhook(w, side, m)),
        Change::NotificationRule(c) => edit_fields(&c.edit, |r, _| fields::rule(r)),
        Change::StatusBoard(c) => edit_fields(&c.edit, |b, _| fields::board(b)),
        Change::AuthMethod(c) => edit_fields(&c.edit, |a, _| fields::auth_method(a, m)),
    };
    // The fields after the change, in order, then any field only the object as read has.
    let mut keys: Vec<&str> = after.iter().map(|(k, _)| *k).collect();
    for (k, _) in &before {
        if !keys.contains(k) {
            keys.push(k);
        }
    }
    let width = keys.iter().map(|k| k.len()).max().unwrap_or(0);
    if action == Action::Rename && before == after {
        let _ = writeln!(out, "      {}", p.paint(p.note, "# only the name changes"));
    }
    let get = |fields: &'_ FieldsOf, key: &str| -> Option<Field> {
        fields
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, f)| f.clone())
    };
    for key in keys {
        match (get(&before, key), get(&after, key)) {
            (None, Some(v)) => field(out, p, p.add, "+", key, width, &v),
            (Some(v), None) => field(out, p, p.remove, "-", key, width, &v),
            (Some(o), Some(n)) if o != n => match (&o, &n) {
                (Field::Sensitive { .. }, Field::Sensitive { .. }) => {
                    let _ = writeln!(
                        out,
                        "      {} {key:<width$} = (sensitive) -> (sensitive, a new value)",
                        p.paint(p.change, "~")
                    );
                }
                (Field::Value(ov), Field::Value(nv)) if !(is_scalar(ov) && is_scalar(nv)) => {
                    let _ = writeln!(out, "      {} {key}:", p.paint(p.change, "~"));
                    write_diff(out, p, &pretty(ov), &pretty(nv), "          ");
                }
                _ => {
                    let _ = writeln!(
                        out,
                        "      {} {key:<width$} = {} -> {}",
                        p.paint(p.change, "~"),
                        scalar(&o),
                        scalar(&n)
                    );
                }
            },
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
    f: &Field,
) {
    match f {
        Field::Value(v) if !is_scalar(v) => {
            let text = pretty(v);
            let mut lines = text.lines();
            let first = lines.next().unwrap_or("");
            let _ = writeln!(out, "      {} {key:<width$} = {first}", p.paint(style, sym));
            for line in lines {
                let _ = writeln!(out, "        {:<width$}   {line}", "");
            }
        }
        _ => {
            let _ = writeln!(
                out,
                "      {} {key:<width$} = {}",
                p.paint(style, sym),
                scalar(f)
            );
        }
    }
}

fn is_scalar(v: &Value) -> bool {
    !(v.is_array() || v.is_object())
}

/// A field on one line: a sensitive one as `(sensitive)`, a value as compact JSON.
fn scalar(f: &Field) -> String {
    match f {
        Field::Sensitive { .. } => "(sensitive)".to_string(),
        Field::Value(v) => v.to_string(),
    }
}

/// A value as indented JSON with a final newline (serialising a JSON value into a string
/// cannot fail).
fn pretty(v: &Value) -> String {
    let mut s = format!("{v:#}");
    s.push('\n');
    s
}

/// The lines of a monitor's message for a diff, each with its line ending. A last line
/// without one gets a `\n`, kept in `last` (an empty message has no lines: a diff against
/// it must not show a blank one).
fn message_lines<'a>(text: &'a str, last: &'a mut String) -> Vec<&'a str> {
    let mut lines = lines_with_endings(text);
    if let Some(unended) = lines.pop() {
        if unended.ends_with('\n') {
            lines.push(unended);
        } else {
            last.push_str(unended);
            last.push('\n');
            lines.push(last);
        }
    }
    lines
}

/// `text` cut into lines as `similar` cuts them for a line diff (after `\n`, `\r\n` or a
/// lone `\r`), with byte searches rather than its walk over characters.
fn lines_with_endings(text: &str) -> Vec<&str> {
    // Room for lines of about 40 bytes, so that a message's lines rarely regrow the vector.
    let mut lines = Vec::with_capacity(text.len() / 40 + 1);
    if !text.contains('\r') {
        lines.extend(text.split_inclusive('\n'));
        return lines;
    }
    let bytes = text.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let end = match bytes[i] {
            b'\r' if bytes.get(i + 1) == Some(&b'\n') => i + 2,
            b'\r' | b'\n' => i + 1,
            _ => {
                i += 1;
                continue;
            }
        };
        lines.push(text.get(start..end).unwrap_or(""));
        start = end;
        i = end;
    }
    if start < text.len() {
        lines.push(text.get(start..).unwrap_or(""));
    }
    lines
}

/// A unified diff with three lines of context, each line indented and coloured.
fn write_diff(out: &mut String, p: &Palette, before: &str, after: &str, indent: &str) {
    write_diff_lines(
        out,
        p,
        &lines_with_endings(before),
        &lines_with_endings(after),
        indent,
    );
}

/// [`write_diff`] of texts already cut by [`lines_with_endings`].
fn write_diff_lines(out: &mut String, p: &Palette, before: &[&str], after: &[&str], indent: &str) {
    let diff = TextDiff::configure()
        .newline_terminated(true)
        .diff_slices(before, after);
    // The unified diff as `similar` prints it (without the missing-newline hint), written
    // here with `push_str` rather than through its `Display` implementations.
    let mut unified = String::new();
    for hunk in diff.unified_diff().context_radius(3).iter_hunks() {
        for (i, change) in hunk.iter_changes().enumerate() {
            if i == 0 {
                let _ = writeln!(unified, "{}", hunk.header());
            }
            unified.push(match change.tag() {
                ChangeTag::Equal => ' ',
                ChangeTag::Delete => '-',
                ChangeTag::Insert => '+',
            });
            unified.push_str(change.value());
            if change.missing_newline() {
                unified.push('\n');
            }
        }
    }
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
        out.push_str(indent);
        p.paint(style, line).push_to(out);
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use similar::DiffableStr;

    const TEXTS: [&str; 15] = [
        "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12",
        "0\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\r",
        "1\n2\n3\n4\r\n5\n6\n7\n8\n9\n10\n11\n12\n13",
        "",
        "a",
        "a\n",
        "a\r\nb",
        "a\rb\r",
        "a\r",
        "\r\n\r\n",
        "\n\n",
        "é\r\n✓\rx\n\r",
        "one\ntwo\nthree",
        "one\ntwo\r\nthree\n",
        "  trailing  \n\n{{!-- ddhooks:begin g --}}\nx\n{{!-- ddhooks:end g --}}",
    ];

    #[test]
    fn painted_text_is_the_same_pushed_or_formatted() {
        for color in [false, true] {
            let p = Palette::new(color);
            for style in [
                p.add,
                p.change,
                p.remove,
                p.hunk,
                p.note,
                p.bold,
                Style::new(),
            ] {
                let painted = p.paint(style, "+ x ✓");
                let mut pushed = String::new();
                painted.push_to(&mut pushed);
                assert_eq!(pushed, painted.to_string());
            }
        }
    }

    #[test]
    fn lines_are_cut_as_similar_cuts_them() {
        for text in TEXTS {
            assert_eq!(lines_with_endings(text), text.tokenize_lines(), "{text:?}");
        }
    }

    #[test]
    fn message_diffs_are_those_of_the_messages_with_a_final_newline() {
        // What the text plan showed before it cut lines itself: a line diff of each
        // message with a `\n` appended when it has none (and no lines when empty).
        fn ended(text: &str) -> String {
            if text.is_empty() || text.ends_with('\n') {
                text.to_string()
            } else {
                format!("{text}\n")
            }
        }
        for before in TEXTS {
            for after in TEXTS {
                let mut expected = String::new();
                let (old, new) = (ended(before), ended(after));
                let unified = TextDiff::from_lines(&old, &new)
                    .unified_diff()
                    .context_radius(3)
                    .missing_newline_hint(false)
                    .to_string();
                for line in unified.lines() {
                    let _ = writeln!(expected, "  {line}");
                }
                let (b, a) = (before, after);
                let (mut b_end, mut a_end) = (String::new(), String::new());
                let mut got = String::new();
                write_diff_lines(
                    &mut got,
                    &Palette::new(false),
                    &message_lines(b, &mut b_end),
                    &message_lines(a, &mut a_end),
                    "  ",
                );
                assert_eq!(got, expected, "{before:?} -> {after:?}");
            }
        }
    }
}
