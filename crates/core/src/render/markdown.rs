//! The Markdown plan, for a pull-request comment or a job summary: the summary line and
//! the target first, then the problems, then one collapsible `<details>` per change with
//! its diff. Long diffs are cut, and the whole stays under a size limit (GitHub refuses a
//! comment over 65,536 characters); whatever is left out is counted and named, with where
//! the full plan is.

use super::outline::{Outline, OutlinedChange};
use std::collections::BTreeMap;
use std::fmt::{self, Write};

/// The most characters GitHub accepts in a pull-request or issue comment.
pub const GITHUB_COMMENT_LIMIT: usize = 65_536;

/// Room kept, within the limit, for the note that says what was left out.
const NOTE_ROOM: usize = 600;

/// How much a Markdown plan may hold, and what it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarkdownOptions {
    /// What the plan was made against (a site, an API URL), named on the first line.
    pub target: Option<String>,
    /// The largest output, in bytes. UTF-8 never has fewer bytes than the characters (or
    /// UTF-16 units) GitHub counts, so a byte limit under GitHub's is safe.
    pub max_bytes: usize,
    /// The diff lines shown per change; the rest of a longer diff is cut, with a note.
    pub max_diff_lines: usize,
}

impl Default for MarkdownOptions {
    /// 60,000 bytes, leaving 5,536 characters under GitHub's limit for what a CI job wraps
    /// around the plan (a marker, a title, a footer); 60 diff lines per change.
    fn default() -> Self {
        MarkdownOptions {
            target: None,
            max_bytes: 60_000,
            max_diff_lines: 60,
        }
    }
}

/// Most rows of the routing table; the rest are counted in a last row.
const ROUTING_ROWS: usize = 40;

/// The routing changes as a compact table near the top: who is notified differently, on
/// which transition, for how many monitors. At most [`ROUTING_ROWS`] rows, each pushed
/// only while the budget has room, so the comment keeps its limit.
fn routing_table(out: &mut Budgeted, outline: &Outline) {
    if outline.routing.is_empty() {
        return;
    }
    let mut table = String::from(
        "**Routing changes**\n\n| transition | | recipient | monitors |\n|---|---|---|---|\n",
    );
    let mut shown = 0;
    for line in outline.routing.iter().take(ROUTING_ROWS) {
        let row = format!(
            "| {} | {} | {} | {} |\n",
            line.transition,
            if line.symbol == "+" { "➕" } else { "➖" },
            Code(&line.recipient),
            EscapeMd(&line.monitors_text())
                .to_string()
                .replace('|', "\\|"),
        );
        if table.len() + row.len() > out.room() / 4 {
            break;
        }
        table.push_str(&row);
        shown += 1;
    }
    let rest = outline.routing.len() - shown;
    if rest > 0 {
        let _ = writeln!(table, "| … | | {rest} more in the full plan | |");
    }
    table.push('\n');
    out.push_anyway(&table);
}

/// Renders `outline` as Markdown within `options`' limits.
pub fn render_markdown(outline: &Outline, options: &MarkdownOptions) -> String {
    let mut out = Budgeted::new(options.max_bytes.saturating_sub(NOTE_ROOM));
    let mut head = format!("### ddhooks plan\n\n**{}**", EscapeMd(&outline.summary));
    if let Some(target) = &options.target {
        let _ = write!(head, " Planned against {}.", Code(target));
    }
    head.push_str("\n\n");
    out.push_anyway(&head);
    routing_table(&mut out, outline);

    let mut left_out = LeftOut::default();
    if !outline.problems.is_empty() {
        out.push_anyway("**Errors**\n\n");
        for p in &outline.problems {
            let item = format!("- :x: {}: {}\n", Code(&p.address), EscapeMd(&p.message));
            left_out.problems += usize::from(!out.push(&item));
        }
        out.push_anyway("\n");
    }
    let mut listed = false;
    for w in &outline.warnings {
        let item = format!("- :warning: {}\n", EscapeMd(w));
        listed |= out.push(&item) || left_out.note();
    }
    for h in &outline.held {
        let item = format!("- :warning: {} {}\n", Code(&h.address), EscapeMd(&h.reason));
        listed |= out.push(&item) || left_out.note();
    }
    for n in &outline.notes {
        let item = format!("- :information_source: {}\n", EscapeMd(n));
        listed |= out.push(&item) || left_out.note();
    }
    if listed {
        out.push_anyway("\n");
    }

    // The diffs get what the budget has left after room for a one-line mention of every
    // change (and at least half of it), so that changes without room for their diffs are
    // still named below them.
    let listing_room = listing_estimate(&outline.changes).min(out.room() / 2);
    let detailed_budget = out.text.len() + out.room().saturating_sub(listing_room);
    let mut detailed = 0;
    for change in &outline.changes {
        let details = details(change, options.max_diff_lines);
        if out.text.len() + details.len() > detailed_budget || !out.push(&details) {
            break;
        }
        detailed += 1;
    }
    let rest = &outline.changes[detailed..];
    for change in rest {
        *left_out.changes.entry(change.action.as_str()).or_default() += 1;
    }
    if !rest.is_empty() {
        out.push_anyway(&format!(
            "**{} more changes, without their diffs** (`ddhooks show PLAN_FILE` prints them):\n\n",
            rest.len()
        ));
        for group in groups(rest) {
            list_group(&mut out, &group, &mut left_out);
        }
        out.push_anyway("\n");
    }
    let mut text = out.text;
    if let Some(note) = left_out.sentence(outline.changes.len()) {
        text.push_str(&note);
    }
    text
}

/// Changes alike in kind, action and what happens to them, in the order of the first.
struct Group<'a> {
    symbol: &'a str,
    kind: &'a str,
    what: &'a str,
    changes: Vec<&'a OutlinedChange>,
}

/// The kind part of an address (`monitor` in `monitor.12`).
fn kind_of(address: &str) -> &str {
    address.split_once('.').map_or(address, |(kind, _)| kind)
}

/// `changes` grouped by kind, action and what happens to them.
fn groups(changes: &[OutlinedChange]) -> Vec<Group<'_>> {
    let mut groups: Vec<Group<'_>> = Vec::new();
    let mut index: BTreeMap<(&str, &str, &str), usize> = BTreeMap::new();
    for change in changes {
        let kind = kind_of(&change.address);
        let key = (change.symbol.as_str(), kind, change.what.as_str());
        let at = *index.entry(key).or_insert_with(|| {
            groups.push(Group {
                symbol: key.0,
                kind,
                what: key.2,
                changes: Vec::new(),
            });
            groups.len() - 1
        });
        groups[at].changes.push(change);
    }
    groups
}

/// Bytes that a one-line mention of each change would take (names and separators, and a
/// line per kind of change).
fn listing_estimate(changes: &[OutlinedChange]) -> usize {
    let names: usize = changes
        .iter()
        .map(|c| c.address.len() - kind_of(&c.address).len() + 2)
        .sum();
    names + 200 * groups(changes).len()
}

/// One list item for a group: how many, what happens, then their names while they fit;
/// the names without room are counted in `left_out`.
fn list_group(out: &mut Budgeted, group: &Group<'_>, left_out: &mut LeftOut<'_>) {
    let what = if group.what.is_empty() {
        String::new()
    } else {
        format!(": {}", EscapeMd(group.what))
    };
    let head = format!(
        "- {} {} {}{what}: ",
        Code(group.symbol),
        group.changes.len(),
        EscapeMd(group.kind)
    );
    // Room for ", and N more" and the end of the line.
    const TAIL: usize = 40;
    if out.room() < head.len() + TAIL || !out.push(&head) {
        left_out.unlisted += group.changes.len();
        return;
    }
    let mut listed = 0;
    for change in &group.changes {
        let name = change
            .address
            .strip_prefix(group.kind)
            .and_then(|rest| rest.strip_prefix('.'))
            .unwrap_or(&change.address);
        let item = format!("{}{}", if listed == 0 { "" } else { ", " }, EscapeMd(name));
        if out.room() < item.len() + TAIL || !out.push(&item) {
            break;
        }
        listed += 1;
    }
    let unlisted = group.changes.len() - listed;
    if unlisted > 0 {
        out.push_anyway(&format!(", and {unlisted} more"));
        left_out.unlisted += unlisted;
    }
    out.push_anyway("\n");
}

/// Output that stops growing at a byte budget.
struct Budgeted {
    text: String,
    budget: usize,
}

impl Budgeted {
    fn new(budget: usize) -> Budgeted {
        Budgeted {
            text: String::new(),
            budget,
        }
    }

    /// Appends `item` if it fits; whether it did.
    fn push(&mut self, item: &str) -> bool {
        let fits = self.text.len() + item.len() <= self.budget;
        if fits {
            self.text.push_str(item);
        }
        fits
    }

    /// Bytes left in the budget.
    fn room(&self) -> usize {
        self.budget.saturating_sub(self.text.len())
    }

    /// Appends a short structural piece (a heading, a blank line) whatever the budget:
    /// [`NOTE_ROOM`] has room for them.
    fn push_anyway(&mut self, piece: &str) {
        self.text.push_str(piece);
    }
}

/// What did not fit.
#[derive(Default)]
struct LeftOut<'a> {
    /// Changes listed without their diffs, by action.
    changes: BTreeMap<&'a str, usize>,
    /// Changes neither detailed nor named.
    unlisted: usize,
    /// Errors left out.
    problems: usize,
    /// Warnings and notes left out.
    notes: usize,
}

impl LeftOut<'_> {
    /// Counts a warning or note that did not fit; false, so that it reads in an `||`.
    fn note(&mut self) -> bool {
        self.notes += 1;
        false
    }

    /// The closing note, when something was left out.
    fn sentence(&self, total_changes: usize) -> Option<String> {
        let mut parts = Vec::new();
        let changes: usize = self.changes.values().sum();
        if changes > 0 {
            let by_action: Vec<String> = self
                .changes
                .iter()
                .map(|(action, n)| format!("{n} {action}"))
                .collect();
            parts.push(format!(
                "the diffs of {changes} of {total_changes} changes ({})",
                by_action.join(", ")
            ));
        }
        if self.unlisted > 0 {
            parts.push(format!("the names of {} of them", self.unlisted));
        }
        if self.problems > 0 {
            parts.push(format!("{} errors", self.problems));
        }
        if self.notes > 0 {
            parts.push(format!("{} warnings and notes", self.notes));
        }
        if parts.is_empty() {
            return None;
        }
        Some(format!(
            "> :scissors: **Not shown here: {}**, so that this stays under GitHub's limit of {} characters. \
             The full plan is in the saved plan file (`ddhooks show PLAN_FILE`) and in the job's output.\n",
            parts.join(", "),
            super::GITHUB_COMMENT_LIMIT
        ))
    }
}

/// One change as a collapsible section: the header as its summary, the diff inside, cut
/// after `max_lines` lines.
fn details(change: &OutlinedChange, max_lines: usize) -> String {
    let title = change
        .title
        .strip_prefix(change.address.as_str())
        .unwrap_or(&change.title);
    let mut out = format!(
        "<details><summary><code>{}</code> <code>{}</code>{}</summary>\n\n",
        Html(&change.symbol),
        Html(&change.address),
        Html(title)
    );
    let body = if change.message_diff {
        dedent(&change.body, MESSAGE_DIFF_INDENT)
    } else {
        diff_friendly(&change.body)
    };
    let total = body.lines().count();
    if total > 0 {
        let shown: String = body
            .split_inclusive('\n')
            .take(max_lines)
            .collect::<String>();
        let fence = "`".repeat(longest_backtick_run(&shown).max(2) + 1);
        let _ = write!(out, "{fence}diff\n{shown}{fence}\n");
        if total > max_lines {
            let _ = writeln!(
                out,
                "\n_{} more lines of this change are not shown: `ddhooks show PLAN_FILE` prints them all._",
                total - max_lines
            );
        }
        out.push('\n');
    }
    out.push_str("</details>\n\n");
    out
}

/// How far the text plan indents a monitor's message diff.
const MESSAGE_DIFF_INDENT: usize = 6;

/// `text` with up to `n` leading spaces taken off each line (a message diff's lines are
/// already unified-diff lines: `@@`, ` `, `-`, `+` in their first column once dedented).
fn dedent(text: &str, n: usize) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let spaces = line.bytes().take(n).take_while(|b| *b == b' ').count();
        out.push_str(&line[spaces..]);
    }
    out
}

/// Text in HTML element content (a `<summary>`): `&`, `<` and `>` escaped.
struct Html<'a>(&'a str);

impl fmt::Display for Html<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in self.0.chars() {
            match c {
                '&' => f.write_str("&amp;")?,
                '<' => f.write_str("&lt;")?,
                '>' => f.write_str("&gt;")?,
                c => f.write_char(c)?,
            }
        }
        Ok(())
    }
}

/// Text as inline code, fenced by more backticks than it holds (newlines as spaces).
struct Code<'a>(&'a str);

impl fmt::Display for Code<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self.0.replace('\n', " ");
        let fence = "`".repeat(longest_backtick_run(&text) + 1);
        let pad = if text.starts_with('`') || text.ends_with('`') {
            " "
        } else {
            ""
        };
        write!(f, "{fence}{pad}{text}{pad}{fence}")
    }
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

    use crate::render::json::{HeldView, ProblemView};
    use crate::render::outline::{Outline, OutlinedChange};

    /// A pseudo-random outline: `n` changes of a few kinds, long and short diffs, some
    /// problems and warnings (a seeded xorshift, so that a failure names its case).
    fn outline(seed: u64, n: usize) -> Outline {
        let mut x = seed | 1;
        let mut next = move |m: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % m
        };
        let changes = (0..n)
            .map(|i| {
                let lines = next(200) as usize;
                let body: String = (0..lines)
                    .map(|l| {
                        format!(
                            "      + field_{l} = \"{}\"\n",
                            "x".repeat(next(80) as usize)
                        )
                    })
                    .collect();
                let (symbol, action, what) = match next(3) {
                    0 => ("+", "create", "will be created".to_string()),
                    1 => ("~", "update", format!("add block g{}", next(4))),
                    _ => ("-", "delete", "will be deleted".to_string()),
                };
                OutlinedChange {
                    action: action.into(),
                    symbol: symbol.into(),
                    address: format!("webhook.w{i}-{}", "n".repeat(next(40) as usize)),
                    title: format!("webhook.w{i} {what}"),
                    what,
                    body,
                    message_diff: next(2) == 0,
                }
            })
            .collect();
        Outline {
            summary: format!("Plan: {n} to create, 0 to update, 0 to delete."),
            changes,
            trailer: String::new(),
            problems: (0..next(30))
                .map(|i| ProblemView {
                    address: format!("monitor.{i}"),
                    message: "a | damaged\nblock ".repeat(next(20) as usize),
                })
                .collect(),
            warnings: (0..next(30)).map(|i| format!("warning {i}")).collect(),
            held: vec![HeldView {
                address: "webhook.kept".into(),
                reason: "still mentioned".into(),
            }],
            notes: vec!["apply will submit 3 check runs".into()],
            routing: (0..next(200))
                .map(|i| crate::render::routing::RoutingLine {
                    transition: "alert".into(),
                    symbol: if i % 2 == 0 { "+" } else { "-" }.into(),
                    recipient: format!("@webhook-g{i}-alert-check"),
                    monitors: (0..next(50) as i64).collect(),
                })
                .collect(),
        }
    }

    #[test]
    fn markdown_stays_within_its_limit_and_accounts_for_every_change() {
        for seed in 1..=60u64 {
            let n = (seed as usize * 37) % 700;
            let outline = outline(seed, n);
            for max_bytes in [3_000, 20_000, 60_000] {
                let options = MarkdownOptions {
                    target: Some("datadoghq.eu".into()),
                    max_bytes,
                    max_diff_lines: 60,
                };
                let md = render_markdown(&outline, &options);
                assert!(
                    md.len() <= max_bytes,
                    "seed {seed}, n {n}, limit {max_bytes}: {} bytes",
                    md.len()
                );
                let detailed = md.matches("<details><summary>").count();
                assert_eq!(detailed, md.matches("</details>").count(), "seed {seed}");
                if detailed < n {
                    let note = format!("the diffs of {} of {n} changes", n - detailed);
                    assert!(
                        md.contains(&note),
                        "seed {seed}, limit {max_bytes}: {note:?} in\n{md}"
                    );
                } else {
                    assert!(
                        !md.contains(":scissors:")
                            || md.contains("errors")
                            || md.contains("warnings"),
                        "seed {seed}"
                    );
                }
            }
        }
    }

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
