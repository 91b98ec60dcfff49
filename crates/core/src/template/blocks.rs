//! ddhooks' managed blocks inside monitor messages.
//!
//! A block is the text between `{{!-- ddhooks:begin NAME --}}` and
//! `{{!-- ddhooks:end NAME --}}`, each marker on its own line. ddhooks owns exactly that text;
//! every byte outside the markers belongs to people and is preserved by [`set_block`].

use super::message::line_column;
use std::borrow::Cow;
use std::ops::Range;

/// A managed block found in a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagedBlock {
    /// The name in the markers.
    pub name: String,
    /// Byte range from the start of the begin marker to the end of the end marker.
    pub range: Range<usize>,
    /// The text between the marker lines.
    pub body: String,
}

/// A damaged block: nothing may be written to that monitor.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlockError {
    /// `begin` with no matching `end`.
    #[error("line {line}: block `{name}` begins but never ends; restore its `{{{{!-- ddhooks:end {name} --}}}}` line or delete the block by hand")]
    BeginWithoutEnd {
        /// Block name.
        name: String,
        /// 1-based line of the begin marker.
        line: usize,
    },
    /// `end` with no `begin` before it.
    #[error("line {line}: block `{name}` ends but never began; restore its `{{{{!-- ddhooks:begin {name} --}}}}` line or delete the end marker by hand")]
    EndWithoutBegin {
        /// Block name.
        name: String,
        /// 1-based line of the end marker.
        line: usize,
    },
    /// A `begin` inside another block.
    #[error("line {line}: block `{inner}` begins inside block `{outer}`; blocks cannot nest, fix the message by hand")]
    Nested {
        /// The block already open.
        outer: String,
        /// The block that begins inside it.
        inner: String,
        /// 1-based line of the inner begin marker.
        line: usize,
    },
    /// The same block twice.
    #[error("line {line}: block `{name}` appears twice; delete one copy by hand")]
    Duplicated {
        /// Block name.
        name: String,
        /// 1-based line of the second begin marker.
        line: usize,
    },
    /// A comment that starts like a marker but is not one.
    #[error("line {line}: `{text}` looks like a ddhooks marker but is not one; markers read `{{{{!-- ddhooks:begin NAME --}}}}` and `{{{{!-- ddhooks:end NAME --}}}}`")]
    Malformed {
        /// The comment as written.
        text: String,
        /// 1-based line.
        line: usize,
    },
}

/// The begin marker line of block `name`.
pub fn begin_marker(name: &str) -> String {
    format!("{{{{!-- ddhooks:begin {name} --}}}}")
}

/// The end marker line of block `name`.
pub fn end_marker(name: &str) -> String {
    format!("{{{{!-- ddhooks:end {name} --}}}}")
}

/// The whole block text as ddhooks writes it: markers around the body.
pub fn render_block(name: &str, body: &str) -> String {
    if body.is_empty() {
        format!("{}\n{}", begin_marker(name), end_marker(name))
    } else {
        format!("{}\n{body}\n{}", begin_marker(name), end_marker(name))
    }
}

/// Where each marker-like comment `{{!--[ \t]*ddhooks:` of `message` starts and where its
/// `ddhooks:` ends, left to right. Looks for the `!` (a memchr search for a byte most
/// messages lack) rather than for the whole opener, so that messages without comments
/// cost one fast scan.
fn marker_starts(message: &str) -> impl Iterator<Item = Range<usize>> + '_ {
    let mut from = 0;
    std::iter::from_fn(move || {
        while let Some(bang) = message.get(from..).and_then(|rest| rest.find('!')) {
            let bang = from + bang;
            from = bang + 1;
            let opener = bang >= 2
                && message.as_bytes().get(bang - 2..bang) == Some(b"{{")
                && message.as_bytes().get(bang + 1..bang + 3) == Some(b"--");
            if !opener {
                continue;
            }
            let after_dashes = message.get(bang + 3..).unwrap_or("");
            if let Some(tail) = after_dashes
                .trim_start_matches([' ', '\t'])
                .strip_prefix("ddhooks:")
            {
                let end = message.len() - tail.len();
                from = end;
                return Some(bang - 2..end);
            }
        }
        None
    })
}

/// The rest of a marker after its `ddhooks:`, as the pattern
/// `^(begin|end)[ \t]+([A-Za-z0-9_.-]+)[ \t]*--\}\}` matches it: the kind, the name and the
/// length of the match. A name's trailing `--` belongs to the closing `--}}` when nothing
/// else can close it, as the pattern's backtracking decides.
fn marker_rest(rest: &str) -> Option<(&str, &str, usize)> {
    let (kind, after_kind) = match rest.strip_prefix("begin") {
        Some(after) => ("begin", after),
        None => ("end", rest.strip_prefix("end")?),
    };
    let name_on = after_kind.trim_start_matches([' ', '\t']);
    if name_on.len() == after_kind.len() {
        return None;
    }
    let is_name = |b: &u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-');
    let longest = name_on.bytes().take_while(is_name).count();
    let closed = |name_len: usize| {
        let after_name = name_on.get(name_len..)?;
        after_name
            .trim_start_matches([' ', '\t'])
            .strip_prefix("--}}")
    };
    let (name_len, tail) = match closed(longest) {
        Some(tail) => (longest, tail),
        None if longest > 2 && name_on.get(..longest).is_some_and(|n| n.ends_with("--")) => {
            (longest - 2, closed(longest - 2)?)
        }
        None => return None,
    };
    if name_len == 0 {
        return None;
    }
    Some((kind, name_on.get(..name_len)?, rest.len() - tail.len()))
}

/// Every managed block of `message`, in order; a damaged one is an error.
pub fn find_blocks(message: &str) -> Result<Vec<ManagedBlock>, BlockError> {
    let mut blocks: Vec<ManagedBlock> = Vec::new();
    // Every marker holds `ddhooks:`; most messages have none, and a substring test is the
    // fastest way to know.
    if !message.contains("ddhooks:") {
        return Ok(blocks);
    }
    let mut open: Option<(String, Range<usize>)> = None;
    let line_of = |offset: usize| line_column(message, offset).0;
    for start in marker_starts(message) {
        let rest = &message[start.end..];
        let Some((kind, name, len)) = marker_rest(rest) else {
            let shown: String = message[start.start..]
                .lines()
                .next()
                .unwrap_or("")
                .chars()
                .take(80)
                .collect();
            return Err(BlockError::Malformed {
                text: shown,
                line: line_of(start.start),
            });
        };
        let whole = start.start..start.end + len;
        let name = name.to_string();
        // Counting lines costs a pass over the text before the marker: only for errors.
        let line = || line_of(whole.start);
        match (kind, open.take()) {
            ("begin", Some((outer, _))) => {
                return Err(BlockError::Nested {
                    outer,
                    inner: name,
                    line: line(),
                })
            }
            ("begin", None) => {
                if blocks.iter().any(|b| b.name == name) {
                    return Err(BlockError::Duplicated { name, line: line() });
                }
                open = Some((name, whole));
            }
            (_, None) => return Err(BlockError::EndWithoutBegin { name, line: line() }),
            (_, Some((open_name, begin))) => {
                if open_name != name {
                    return Err(BlockError::BeginWithoutEnd {
                        name: open_name,
                        line: line_of(begin.start),
                    });
                }
                let between = &message[begin.end..whole.start];
                let between = between
                    .strip_prefix("\r\n")
                    .or_else(|| between.strip_prefix('\n'))
                    .unwrap_or(between);
                let body = between
                    .strip_suffix("\r\n")
                    .or_else(|| between.strip_suffix('\n'))
                    .unwrap_or(between);
                blocks.push(ManagedBlock {
                    name,
                    range: begin.start..whole.end,
                    body: body.to_string(),
                });
            }
        }
    }
    if let Some((name, begin)) = open {
        return Err(BlockError::BeginWithoutEnd {
            name,
            line: line_of(begin.start),
        });
    }
    Ok(blocks)
}

/// The separator ddhooks puts between people's text and an appended block.
const SEPARATOR: &str = "\n\n";

/// `message` with block `name` set to `body`: appended after one blank line when missing,
/// rewritten in place when present, removed (with the blank line it added) when `body` is
/// `None`. Every byte outside the block is kept.
pub fn set_block(message: &str, name: &str, body: Option<&str>) -> Result<String, BlockError> {
    let blocks = find_blocks(message)?;
    let existing = blocks.into_iter().find(|b| b.name == name);
    Ok(match (existing, body) {
        (Some(block), Some(body)) => {
            let mut out = String::with_capacity(message.len() + body.len());
            out.push_str(&message[..block.range.start]);
            out.push_str(&render_block(name, body));
            out.push_str(&message[block.range.end..]);
            out
        }
        (Some(block), None) => {
            let before = &message[..block.range.start];
            let after = &message[block.range.end..];
            if let Some(kept) = before.strip_suffix(SEPARATOR) {
                format!("{kept}{after}")
            } else if before.is_empty() {
                after.trim_start_matches(['\n', '\r']).to_string()
            } else {
                format!("{before}{after}")
            }
        }
        (None, Some(body)) if message.is_empty() => render_block(name, body),
        (None, Some(body)) => {
            let block = render_block(name, body);
            let mut out = String::with_capacity(message.len() + SEPARATOR.len() + block.len());
            out.push_str(message);
            out.push_str(SEPARATOR);
            out.push_str(&block);
            out
        }
        (None, None) => message.to_string(),
    })
}

/// Whether `a` and `b` say the same once every whitespace character is taken out.
fn same_but_whitespace(a: &str, b: &str) -> bool {
    a.chars()
        .filter(|c| !c.is_whitespace())
        .eq(b.chars().filter(|c| !c.is_whitespace()))
}

/// The content ranges (without line endings) of `message`'s lines outside `blocks`.
fn people_lines(message: &str, blocks: &[ManagedBlock]) -> Vec<Range<usize>> {
    let mut lines = Vec::new();
    let mut start = 0;
    for piece in message.split_inclusive('\n') {
        let end = start + piece.len();
        let content = piece.trim_end_matches(['\n', '\r']);
        let range = start..start + content.len();
        if !blocks
            .iter()
            .any(|b| range.start < b.range.end && b.range.start < range.end.max(range.start + 1))
        {
            lines.push(range);
        }
        start = end;
    }
    lines
}

/// Lines people wrote by hand, outside any managed block, that say what a block with `body`
/// says: each non-empty line of the body, compared without whitespace and in any order.
/// `None` unless every body line is found; the ranges (line contents, without endings) are
/// in message order.
pub fn find_hand_lines(
    message: &str,
    blocks: &[ManagedBlock],
    body: &str,
) -> Option<Vec<Range<usize>>> {
    let wanted: Vec<&str> = body
        .lines()
        .filter(|l| l.chars().any(|c| !c.is_whitespace()))
        .collect();
    if wanted.is_empty() {
        return None;
    }
    let candidates = people_lines(message, blocks);
    let mut used = vec![false; candidates.len()];
    let mut found = Vec::with_capacity(wanted.len());
    for line in wanted {
        // Compared as they go, without a copy of every line of every message.
        let at = candidates.iter().enumerate().position(|(i, c)| {
            !used[i] && same_but_whitespace(message.get(c.clone()).unwrap_or(""), line)
        })?;
        used[at] = true;
        found.push(candidates[at].clone());
    }
    found.sort_by_key(|r| r.start);
    Some(found)
}

/// `message` with the hand-written `lines` (from [`find_hand_lines`]) replaced by block
/// `name`: the block takes the first line's place, the other lines go with their line
/// endings, and every other byte is kept.
pub fn adopt_hand_lines(message: &str, name: &str, body: &str, lines: &[Range<usize>]) -> String {
    let mut out = String::with_capacity(message.len() + body.len() + 64);
    let mut pos = 0;
    for (i, line) in lines.iter().enumerate() {
        if line.start < pos || line.end > message.len() {
            continue;
        }
        out.push_str(&message[pos..line.start]);
        if i == 0 {
            out.push_str(&render_block(name, body));
            pos = line.end;
        } else {
            // The line and its ending; a last line without one takes the ending before it.
            let rest = &message[line.end..];
            let ending = if rest.starts_with("\r\n") {
                2
            } else if rest.starts_with('\n') {
                1
            } else {
                0
            };
            if ending == 0 && out.ends_with('\n') {
                out.pop();
                if out.ends_with('\r') {
                    out.pop();
                }
            }
            pos = line.end + ending;
        }
    }
    out.push_str(&message[pos..]);
    out
}

/// `message` without any managed block: the text people own, for checks such as "is this
/// webhook still mentioned outside ddhooks' blocks?".
pub fn without_blocks(message: &str) -> Result<String, BlockError> {
    Ok(without_found_blocks(message, &find_blocks(message)?).into_owned())
}

/// `message` without `blocks`, which [`find_blocks`] found in it: [`without_blocks`] for a
/// caller that already has them. Borrows the message when it has no blocks.
pub fn without_found_blocks<'a>(message: &'a str, blocks: &[ManagedBlock]) -> Cow<'a, str> {
    if blocks.is_empty() {
        return Cow::Borrowed(message);
    }
    let mut out = String::with_capacity(message.len());
    let mut pos = 0;
    for block in blocks {
        out.push_str(message.get(pos..block.range.start).unwrap_or(""));
        pos = block.range.end;
    }
    out.push_str(message.get(pos..).unwrap_or(""));
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HAND: &str = "{{#is_alert}} @webhook-g-alert-check {{/is_alert}}\n{{#is_recovery}} @webhook-g-ok-check {{/is_recovery}}";

    #[test]
    fn hand_lines_are_found_in_any_order_and_spacing_and_replaced_in_place() {
        let message = "CPU high.\n{{#is_recovery}}   @webhook-g-ok-check{{/is_recovery}}\nRunbook: x\n  {{#is_alert}} @webhook-g-alert-check {{/is_alert}}\nbye";
        let lines = find_hand_lines(message, &[], HAND).expect("found");
        assert_eq!(lines.len(), 2);
        let adopted = adopt_hand_lines(message, "g", HAND, &lines);
        assert_eq!(
            adopted,
            format!("CPU high.\n{}\nRunbook: x\nbye", render_block("g", HAND))
        );
        assert_eq!(find_blocks(&adopted).expect("readable").len(), 1);
        // One line missing: nothing is adopted.
        assert_eq!(
            find_hand_lines(
                "{{#is_alert}} @webhook-g-alert-check {{/is_alert}}",
                &[],
                HAND
            ),
            None
        );
        // Lines inside a managed block are not people's.
        let inside = render_block("other", HAND);
        let blocks = find_blocks(&inside).expect("readable");
        assert_eq!(find_hand_lines(&inside, &blocks, HAND), None);
    }

    #[test]
    fn adopting_a_last_line_without_ending_removes_the_ending_before_it() {
        let message = "{{#is_alert}} @webhook-g-alert-check {{/is_alert}}\r\ntext\n{{#is_recovery}} @webhook-g-ok-check {{/is_recovery}}";
        let lines = find_hand_lines(message, &[], HAND).expect("found");
        assert_eq!(
            adopt_hand_lines(message, "g", HAND, &lines),
            format!("{}\r\ntext", render_block("g", HAND))
        );
    }

    const BODY: &str = "{{#is_alert}} @webhook-g-alert-check {{/is_alert}}\n{{#is_recovery}} @webhook-g-ok-check {{/is_recovery}}";

    #[test]
    fn append_rewrite_remove_round_trip() {
        let people = "CPU is high on {{host.name}}. Runbook: https://wiki/cpu  ";
        let with = set_block(people, "g", Some(BODY)).unwrap();
        assert_eq!(
            with,
            format!(
                "{people}\n\n{{{{!-- ddhooks:begin g --}}}}\n{BODY}\n{{{{!-- ddhooks:end g --}}}}"
            )
        );
        let found = find_blocks(&with).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].body, BODY);
        assert_eq!(
            set_block(&with, "g", Some(BODY)).unwrap(),
            with,
            "idempotent"
        );
        let changed = set_block(&with, "g", Some("x")).unwrap();
        assert!(changed.starts_with(people) && changed.contains("--}}\nx\n{{!--"));
        assert_eq!(set_block(&changed, "g", None).unwrap(), people);
    }

    #[test]
    fn text_after_a_block_is_kept_when_rewriting() {
        let msg = format!("head\n\n{}\ntail ✓ \n", render_block("a", "old"));
        let out = set_block(&msg, "a", Some("new")).unwrap();
        assert_eq!(
            out,
            format!("head\n\n{}\ntail ✓ \n", render_block("a", "new"))
        );
        assert_eq!(set_block(&msg, "a", None).unwrap(), "head\ntail ✓ \n");
    }

    #[test]
    fn empty_message_and_empty_body() {
        let out = set_block("", "a", Some("")).unwrap();
        assert_eq!(out, render_block("a", ""));
        assert_eq!(find_blocks(&out).unwrap()[0].body, "");
        assert_eq!(set_block(&out, "a", None).unwrap(), "");
    }

    #[test]
    fn damaged_blocks_are_errors() {
        let begin = begin_marker("a");
        let end = end_marker("a");
        assert!(matches!(
            find_blocks(&format!("x\n{begin}\nbody")),
            Err(BlockError::BeginWithoutEnd { line: 2, .. })
        ));
        assert!(matches!(
            find_blocks(&end),
            Err(BlockError::EndWithoutBegin { .. })
        ));
        let nested = format!("{begin}\n{}\n{}\n{end}", begin_marker("b"), end_marker("b"));
        assert!(matches!(
            find_blocks(&nested),
            Err(BlockError::Nested { .. })
        ));
        let twice = format!("{}\n{}", render_block("a", "1"), render_block("a", "2"));
        assert!(matches!(
            find_blocks(&twice),
            Err(BlockError::Duplicated { .. })
        ));
        assert!(matches!(
            find_blocks("{{!-- ddhooks:begin --}}"),
            Err(BlockError::Malformed { .. })
        ));
        assert!(set_block(&twice, "a", None).is_err());
    }

    #[test]
    fn an_unclosed_comment_in_people_text_does_not_hide_markers() {
        let msg = set_block("note {{!-- unfinished", "a", Some("b")).unwrap();
        assert_eq!(find_blocks(&msg).unwrap()[0].body, "b");
        assert_eq!(set_block(&msg, "a", None).unwrap(), "note {{!-- unfinished");
    }

    #[test]
    fn only_well_formed_openers_start_markers() {
        let block = render_block("a", "b");
        for near_miss in [
            "{{! ddhooks:begin x --}}",
            "{{!- ddhooks:begin x --}}",
            "{ {!-- ddhooks:begin x --}}",
            "!-- ddhooks:begin x --}}",
            "{{!--\nddhooks:begin x --}}",
            "{{!-- ddhooks begin x --}}",
            "{{!!-- ddhooks:begin x --}}",
        ] {
            let msg = format!("{near_miss}\n{block}");
            let found = find_blocks(&msg).unwrap();
            assert_eq!(found.len(), 1, "{near_miss}");
            assert_eq!(&msg[found[0].range.clone()], block);
        }
        for marker in [
            "{{{!-- ddhooks:begin a --}}",
            "{{!--\t ddhooks:begin a --}}",
            "{{!--ddhooks:begin a --}}",
        ] {
            let msg = format!("{marker}\nb\n{}", end_marker("a"));
            assert_eq!(find_blocks(&msg).unwrap()[0].body, "b", "{marker}");
        }
        assert!(matches!(
            find_blocks("x\n{{!-- ddhooks:"),
            Err(BlockError::Malformed { line: 2, .. })
        ));
    }

    #[test]
    fn a_name_gives_up_trailing_dashes_to_the_closing_dashes() {
        let msg = "{{!-- ddhooks:begin a---}}\nx\n{{!-- ddhooks:end a-\t--}}";
        let found = find_blocks(msg).unwrap();
        assert_eq!(
            (found[0].name.as_str(), found[0].body.as_str()),
            ("a-", "x")
        );
        let msg = "{{!-- ddhooks:begin a-- --}}\n{{!-- ddhooks:end a----}}";
        assert_eq!(find_blocks(msg).unwrap()[0].name, "a--");
        assert!(matches!(
            find_blocks("{{!-- ddhooks:begin --}}"),
            Err(BlockError::Malformed { .. })
        ));
        assert!(matches!(
            find_blocks("{{!-- ddhooks:begin a--\t}}"),
            Err(BlockError::Malformed { .. })
        ));
        assert!(matches!(
            find_blocks("{{!-- ddhooks:ending a --}}"),
            Err(BlockError::Malformed { .. })
        ));
    }

    #[test]
    fn without_found_blocks_borrows_a_message_without_blocks() {
        let people = "keep {{!-- mine --}} @webhook-x";
        let with = set_block(people, "a", Some("@webhook-y")).unwrap();
        let found = find_blocks(&with).unwrap();
        assert_eq!(without_found_blocks(&with, &found), format!("{people}\n\n"));
        assert!(matches!(
            without_found_blocks(people, &[]),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn other_comments_are_people_text() {
        let msg = "{{!-- note to self --}} hi";
        assert!(find_blocks(msg).unwrap().is_empty());
        assert_eq!(
            without_blocks(&set_block(msg, "a", Some("b")).unwrap()).unwrap(),
            "{{!-- note to self --}} hi\n\n"
        );
    }
}
