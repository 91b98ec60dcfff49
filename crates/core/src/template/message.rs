//! Parsing and evaluating Datadog monitor messages: `{{#cond}}…{{/cond}}` sections,
//! `{{^cond}}` inverted sections, `{{!-- comments --}}`, and `@handle` mentions.
//!
//! The parser is lenient where Datadog is (template variables such as `{{host.name}}` and
//! sections ddhooks does not know, such as `{{#is_match …}}`, are kept) and strict where a
//! mistake would change who gets notified (unbalanced or mismatched sections are errors).

use crate::model::{Condition, SectionCondition};
use memchr::memmem::Finder;
use std::ops::Range;
use std::sync::LazyLock;

pub use crate::model::{MonitorState, Transition};

/// A parsed piece of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// Literal text, including template variables such as `{{host.name}}`.
    Text(String),
    /// `{{!-- … --}}` or `{{! … }}`: shown only in the editor.
    Comment(String),
    /// A conditional section.
    Section {
        /// The condition, or the raw text of one ddhooks does not know (`is_match …`).
        when: Result<SectionCondition, String>,
        /// Whether the opener was `{{^…}}`.
        negated: bool,
        /// The content.
        children: Vec<Node>,
        /// Byte range of the opener in the message.
        open: Range<usize>,
    },
}

impl Drop for Node {
    /// Drops a section's descendants from a list rather than by recursion, so that no tree,
    /// however deep and however it was built, can overflow the stack when it goes away.
    fn drop(&mut self) {
        let Node::Section { children, .. } = self else {
            return;
        };
        let nested = |n: &Node| matches!(n, Node::Section { children, .. } if !children.is_empty());
        if !children.iter().any(nested) {
            return;
        }
        let mut todo = std::mem::take(children);
        while let Some(mut node) = todo.pop() {
            if let Node::Section { children, .. } = &mut node {
                todo.append(children);
            }
            // `node` goes here with no children left: its own drop does not recurse.
        }
    }
}

/// The deepest sections may nest in a message (sections open at once). Far more than any
/// real message needs; the bound keeps every walk over a parsed message shallow.
pub const MAX_NESTING: usize = 100;

/// Why a message could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub struct TemplateError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in characters).
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

impl TemplateError {
    fn at(text: &str, offset: usize, message: String) -> TemplateError {
        let (line, column) = line_column(text, offset);
        TemplateError {
            line,
            column,
            message,
        }
    }
}

/// The error for the opener at `offset` that would nest sections past [`MAX_NESTING`].
fn too_deep(message: &str, offset: usize) -> TemplateError {
    TemplateError::at(
        message,
        offset,
        format!(
            "this section opens level {} of nested sections; sections may nest at most {MAX_NESTING} levels deep: close sections before opening others, or combine their conditions",
            MAX_NESTING + 1
        ),
    )
}

/// Checks only that `message` nests sections at most [`MAX_NESTING`] levels deep (closers
/// that match nothing are ignored here; [`parse`] reports them). Cheap: no tree is built.
pub fn check_nesting(message: &str) -> Result<(), TemplateError> {
    let mut depth = 0usize;
    let mut pos = 0;
    while let Some((range, tag)) = next_tag(message, pos) {
        match tag {
            Tag::Open { .. } if depth >= MAX_NESTING => {
                return Err(too_deep(message, range.start));
            }
            Tag::Open { .. } => depth += 1,
            Tag::Close(_) => depth = depth.saturating_sub(1),
            Tag::Comment(_) | Tag::Other => {}
        }
        pos = range.end;
    }
    Ok(())
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
    (line, column)
}

/// An `@handle` mention.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handle {
    /// The text after `@`, e.g. `webhook-x-alert-check`.
    pub name: String,
    /// Byte range of `@name` in the text.
    pub range: Range<usize>,
}

impl Handle {
    /// The webhook name when this is `@webhook-NAME`.
    pub fn webhook(&self) -> Option<&str> {
        self.name.strip_prefix("webhook-").filter(|n| !n.is_empty())
    }
}

/// One `{{…}}` tag found by the tokenizer.
enum Tag<'a> {
    Comment(&'a str),
    Open { negated: bool, inner: &'a str },
    Close(&'a str),
    Other,
}

/// A tag's delimiters, each searched for with SIMD: messages are kilobytes, and a large
/// org's plan reads thousands (the standard library's two-way search was most of this
/// module's time). Built once: `memmem::find` builds its searcher on every call.
static OPENER: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new("{{"));
static CLOSER: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new("}}"));
static COMMENT_CLOSER: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new("--}}"));

/// Where `finder`'s needle first occurs in `text`.
fn find(text: &str, finder: &Finder<'_>) -> Option<usize> {
    finder.find(text.as_bytes())
}

/// Finds the next tag at or after `from`: its byte range and kind. A `{{` that is never
/// closed is literal text, as Datadog shows it.
fn next_tag(text: &str, from: usize) -> Option<(Range<usize>, Tag<'_>)> {
    let mut search = from;
    loop {
        let start = search + find(text.get(search..)?, &OPENER)?;
        let after = start + 2;
        let rest = text.get(after..)?;
        if let Some(body) = rest.strip_prefix("!--") {
            if let Some(end) = find(body, &COMMENT_CLOSER) {
                let inner = &body[..end];
                return Some((start..after + 3 + end + 4, Tag::Comment(inner)));
            }
        } else if let Some(body) = rest.strip_prefix('!') {
            if let Some(end) = find(body, &CLOSER) {
                return Some((start..after + 1 + end + 2, Tag::Comment(&body[..end])));
            }
        } else if let Some(end) = find(rest, &CLOSER) {
            let inner = &rest[..end];
            let range = start..after + end + 2;
            let tag = if let Some(c) = inner.strip_prefix('#') {
                Tag::Open {
                    negated: false,
                    inner: c.trim(),
                }
            } else if let Some(c) = inner.strip_prefix('^') {
                Tag::Open {
                    negated: true,
                    inner: c.trim(),
                }
            } else if let Some(c) = inner.strip_prefix('/') {
                Tag::Close(c.trim())
            } else {
                Tag::Other
            };
            return Some((range, tag));
        }
        search = after;
    }
}

/// The keyword of a section opener (`is_priority` of `is_priority 'P1'`).
fn keyword(inner: &str) -> &str {
    inner.split_whitespace().next().unwrap_or("")
}

/// Parses a message into nodes; unbalanced or mismatched sections, and sections nested deeper
/// than [`MAX_NESTING`], are errors.
pub fn parse(message: &str) -> Result<Vec<Node>, TemplateError> {
    struct Open {
        when: Result<SectionCondition, String>,
        negated: bool,
        keyword: String,
        open: Range<usize>,
        children: Vec<Node>,
    }
    let mut stack: Vec<Open> = Vec::new();
    let mut top: Vec<Node> = Vec::new();
    let mut pos = 0;
    fn push(stack: &mut [Open], top: &mut Vec<Node>, node: Node) {
        let list = match stack.last_mut() {
            Some(open) => &mut open.children,
            None => top,
        };
        if let (Node::Text(new), Some(Node::Text(prev))) = (&node, list.last_mut()) {
            prev.push_str(new);
            return;
        }
        list.push(node);
    }
    while let Some((range, tag)) = next_tag(message, pos) {
        if range.start > pos {
            push(
                &mut stack,
                &mut top,
                Node::Text(message[pos..range.start].to_string()),
            );
        }
        match tag {
            Tag::Comment(inner) => push(&mut stack, &mut top, Node::Comment(inner.to_string())),
            Tag::Other => push(
                &mut stack,
                &mut top,
                Node::Text(message[range.clone()].to_string()),
            ),
            Tag::Open { negated, inner } => {
                if inner.is_empty() {
                    return Err(TemplateError::at(
                        message,
                        range.start,
                        "empty section opener".into(),
                    ));
                }
                if stack.len() >= MAX_NESTING {
                    return Err(too_deep(message, range.start));
                }
                let when = Condition::parse(inner)
                    .map(|condition| SectionCondition { condition, negated })
                    .ok_or_else(|| inner.to_string());
                stack.push(Open {
                    when,
                    negated,
                    keyword: keyword(inner).to_string(),
                    open: range.clone(),
                    children: Vec::new(),
                });
            }
            Tag::Close(name) => {
                let Some(open) = stack.pop() else {
                    return Err(TemplateError::at(
                        message,
                        range.start,
                        format!("`{{{{/{name}}}}}` closes a section that was never opened"),
                    ));
                };
                if open.keyword != name {
                    return Err(TemplateError::at(
                        message,
                        range.start,
                        format!(
                            "`{{{{/{name}}}}}` closes `{}` opened at line {}; expected `{{{{/{}}}}}`",
                            open.keyword,
                            line_column(message, open.open.start).0,
                            open.keyword
                        ),
                    ));
                }
                let node = Node::Section {
                    when: open.when,
                    negated: open.negated,
                    children: open.children,
                    open: open.open,
                };
                push(&mut stack, &mut top, node);
            }
        }
        pos = range.end;
    }
    if pos < message.len() {
        push(&mut stack, &mut top, Node::Text(message[pos..].to_string()));
    }
    if let Some(open) = stack.pop() {
        return Err(TemplateError::at(
            message,
            open.open.start,
            format!(
                "section `{}` is never closed; add `{{{{/{}}}}}`",
                open.keyword, open.keyword
            ),
        ));
    }
    Ok(top)
}

/// The message as a notification for `transition` shows it: sections resolved, comments
/// removed. Sections ddhooks does not know (such as `is_match`) count as false.
pub fn render(message: &str, transition: &Transition) -> Result<String, TemplateError> {
    let nodes = parse(message)?;
    let mut out = String::with_capacity(message.len());
    evaluate_into(&nodes, transition, &mut out);
    Ok(out)
}

/// What parsed `nodes` show for `transition` (see [`render`]). Walks the tree with a list of
/// its own, not by recursion, so any depth is safe.
pub fn evaluate(nodes: &[Node], transition: &Transition) -> String {
    let mut out = String::new();
    evaluate_into(nodes, transition, &mut out);
    out
}

fn evaluate_into(nodes: &[Node], transition: &Transition, out: &mut String) {
    let mut todo: Vec<std::slice::Iter<'_, Node>> = vec![nodes.iter()];
    while let Some(level) = todo.last_mut() {
        let Some(node) = level.next() else {
            todo.pop();
            continue;
        };
        match node {
            Node::Text(s) => out.push_str(s),
            Node::Comment(_) => {}
            Node::Section {
                when,
                negated,
                children,
                ..
            } => {
                let holds = match when {
                    Ok(c) => transition.satisfies(c.condition),
                    Err(_) => false,
                };
                if holds != *negated {
                    todo.push(children.iter());
                }
            }
        }
    }
}

/// Every `@handle` in `text`. A handle starts after whitespace (or the start of the text)
/// and runs to the next whitespace or `{{`.
pub fn handles(text: &str) -> Vec<Handle> {
    handle_ranges(text)
        .map(|range| Handle {
            name: text[range.start + 1..range.end].to_string(),
            range,
        })
        .collect()
}

/// The webhook names `text` mentions as `@webhook-NAME` (as [`Handle::webhook`] reads
/// [`handles`]), without allocating.
pub fn webhook_mentions(text: &str) -> impl Iterator<Item = &str> {
    // Most texts mention no webhook: a substring test spares them the walk over handles.
    let text = if text.contains("@webhook-") { text } else { "" };
    // A handle right after a tag (`{{#is_alert}}@webhook-x`) is sent once the tag is gone:
    // it counts, so that what people's text may send is never deleted from under it.
    handle_ranges_from(text, true).filter_map(move |range| {
        text[range.start + 1..range.end]
            .strip_prefix("webhook-")
            .filter(|n| !n.is_empty())
    })
}

/// The byte range of each `@handle` of [`handles`], `@` included.
fn handle_ranges(text: &str) -> impl Iterator<Item = Range<usize>> + '_ {
    handle_ranges_from(text, false)
}

/// [`handle_ranges`]; with `after_tags`, an `@` right after `}}` starts a handle too (what
/// a section's tag hides until the message is rendered).
fn handle_ranges_from(text: &str, after_tags: bool) -> impl Iterator<Item = Range<usize>> + '_ {
    let mut from = 0;
    // Jump from `@` to `@` (a memchr search) rather than walking every character.
    std::iter::from_fn(move || {
        while let Some(at) = text.get(from..).and_then(|rest| rest.find('@')) {
            let at = from + at;
            let start = at + 1;
            from = start;
            let after_boundary = !matches!(text[..at].chars().next_back(), Some(c) if !c.is_whitespace())
                || (after_tags && text[..at].ends_with("}}"));
            if !after_boundary {
                continue;
            }
            let rest = &text[start..];
            let len = rest
                .char_indices()
                .find(|&(j, ch)| ch.is_whitespace() || rest[j..].starts_with("{{"))
                .map_or(rest.len(), |(j, _)| j);
            if len > 0 {
                // A handle's own `@`s (as in `@u@example.com`) start nothing.
                from = start + len;
                return Some(at..start + len);
            }
        }
        None
    })
}

/// One handle a message sends on a transition, traced back to where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentHandle {
    /// The text after `@`.
    pub name: String,
    /// Byte offset of its `@` in the message.
    pub offset: usize,
    /// The sections ddhooks cannot decide that it depends on, as written (`is_match
    /// "env" "prod"`, or `not is_match …` for an inverted one): empty when it is sent
    /// whatever the firing group.
    pub depends_on: Vec<String>,
}

/// The handles `message` sends on `transition`, each traced to its `@` in the message.
///
/// The first list is exactly what [`render`] shows (sections ddhooks cannot decide, such
/// as `is_match`, count as false; inverted ones as true), so it agrees with what the
/// sandbox sends; a handle that only an undecidable section keeps there is listed with what
/// it depends on. The second list holds the handles that those sections would send were
/// they true, each with what it depends on. Every handle as often as it is written.
pub fn sent_handles(
    message: &str,
    transition: &Transition,
) -> Result<(Vec<SentHandle>, Vec<SentHandle>), TemplateError> {
    Ok(TracedMessage::new(message)?.sent(transition))
}

/// One piece of a message for [`TracedMessage`].
#[derive(Debug, Clone)]
enum Piece<'a> {
    /// Text sent as it is (template variables included).
    Text(Range<usize>),
    /// A section opener: whether it is inverted, its condition when ddhooks knows it, the
    /// condition as written otherwise, and its keyword.
    Open {
        negated: bool,
        condition: Option<Condition>,
        inner: &'a str,
    },
    /// A section closer.
    Close,
}

/// What a message sends on one transition: the handles sent, and those only undecidable
/// sections would send (see [`sent_handles`]).
pub type Sent = (Vec<SentHandle>, Vec<SentHandle>);

/// A message read once into its pieces, so that what it sends on each of many
/// transitions costs an evaluation, not a parse ([`TracedMessage::sent`]).
#[derive(Debug, Clone)]
pub struct TracedMessage<'a> {
    message: &'a str,
    pieces: Vec<Piece<'a>>,
    /// Whether a section ddhooks cannot decide (`is_match …`) is in it.
    undecided: bool,
}

impl<'a> TracedMessage<'a> {
    /// Reads `message`; an error when it does not parse (as [`parse`] says: the same
    /// checks, without building the tree).
    pub fn new(message: &'a str) -> Result<Self, TemplateError> {
        let mut pieces = Vec::new();
        let mut undecided = false;
        let mut pos = 0;
        // The open sections' keywords and where they opened.
        let mut open: Vec<(&str, usize)> = Vec::new();
        while let Some((range, tag)) = next_tag(message, pos) {
            match &tag {
                Tag::Open { inner, .. } => {
                    if inner.is_empty() || open.len() >= MAX_NESTING {
                        // `parse` says which, with its own words.
                        parse(message)?;
                    }
                    open.push((keyword(inner), range.start));
                }
                Tag::Close(name) => match open.pop() {
                    Some((keyword, _)) if keyword == *name => {}
                    _ => {
                        parse(message)?;
                    }
                },
                Tag::Comment(_) | Tag::Other => {}
            }
            if range.start > pos {
                pieces.push(Piece::Text(pos..range.start));
            }
            match tag {
                Tag::Comment(_) => {}
                Tag::Other => pieces.push(Piece::Text(range.clone())),
                Tag::Open { negated, inner } => {
                    let condition = Condition::parse(inner);
                    undecided |= condition.is_none();
                    pieces.push(Piece::Open {
                        negated,
                        condition,
                        inner,
                    });
                }
                Tag::Close(_) => pieces.push(Piece::Close),
            }
            pos = range.end;
        }
        if pos < message.len() {
            pieces.push(Piece::Text(pos..message.len()));
        }
        if !open.is_empty() {
            parse(message)?;
        }
        Ok(TracedMessage {
            message,
            pieces,
            undecided,
        })
    }

    /// What it sends on each of `transitions` ([`Self::sent`]), each distinct answer traced
    /// once: two transitions under which the same sections hold send exactly the same (a
    /// message with `is_alert` and `is_recovery` sections: 3 traces for 8 transitions). The
    /// distinct answers in the order first met, and for each transition the index of its
    /// answer among them.
    pub fn sent_on_each(&self, transitions: &[Transition]) -> (Vec<Sent>, Vec<usize>) {
        let mut holding: Vec<Vec<bool>> = Vec::new();
        let mut answers = Vec::new();
        let at = transitions
            .iter()
            .map(|t| {
                let sections = self.sections_holding(t);
                match holding.iter().position(|h| *h == sections) {
                    Some(at) => at,
                    None => {
                        holding.push(sections);
                        answers.push(self.sent(t));
                        answers.len() - 1
                    }
                }
            })
            .collect();
        (answers, at)
    }

    /// Which of its sections with a condition ddhooks knows hold on `transition`, in
    /// order: [`Self::sent`] depends on nothing else.
    fn sections_holding(&self, transition: &Transition) -> Vec<bool> {
        self.pieces
            .iter()
            .filter_map(|piece| match piece {
                Piece::Open {
                    negated,
                    condition: Some(c),
                    ..
                } => Some(transition.satisfies(*c) != *negated),
                _ => None,
            })
            .collect()
    }

    /// What it sends on `transition` (see [`sent_handles`]).
    pub fn sent(&self, transition: &Transition) -> Sent {
        let decided = self.trace(transition, false);
        let undecided = if self.undecided {
            self.trace(transition, true)
                .into_iter()
                .filter(|h| !h.depends_on.is_empty())
                .collect()
        } else {
            Vec::new()
        };
        (decided, undecided)
    }

    /// Renders as [`render`] does, with undecidable sections taken as `undecided_holds`,
    /// keeping for each output byte where it came from; then finds the handles in the
    /// output.
    fn trace(&self, transition: &Transition, undecided_holds: bool) -> Vec<SentHandle> {
        // Each open section: whether it holds, and the undecidable condition it names.
        let mut stack: Vec<(bool, Option<String>)> = Vec::new();
        // An output stretch: where it starts in the output, in the message, and the
        // conditions it depends on (an index into `guards`).
        let mut emitted: Vec<(Range<usize>, usize)> = Vec::new();
        let mut guards: Vec<Vec<String>> = vec![Vec::new()];
        for piece in &self.pieces {
            match piece {
                Piece::Text(range) => {
                    if range.is_empty() || !stack.iter().all(|(holds, _)| *holds) {
                        continue;
                    }
                    let depends: Vec<String> =
                        stack.iter().filter_map(|(_, d)| d.clone()).collect();
                    let guard = match guards.iter().position(|g| *g == depends) {
                        Some(i) => i,
                        None => {
                            guards.push(depends);
                            guards.len() - 1
                        }
                    };
                    emitted.push((range.clone(), guard));
                }
                Piece::Open {
                    negated,
                    condition,
                    inner,
                } => stack.push(match condition {
                    Some(c) => (transition.satisfies(*c) != *negated, None),
                    None => {
                        let said = if *negated {
                            format!("not {inner}")
                        } else {
                            inner.to_string()
                        };
                        (undecided_holds != *negated, Some(said))
                    }
                }),
                Piece::Close => {
                    stack.pop();
                }
            }
        }
        handles_in(self.message, &emitted, &guards)
    }
}

/// The handles of the text made of `emitted` (ranges of `message`, each with its guard's
/// index in `guards`) laid end to end, found as [`handle_ranges`] finds them in that text,
/// without building it: a handle may start in one range and go on in the next.
fn handles_in(
    message: &str,
    emitted: &[(Range<usize>, usize)],
    guards: &[Vec<String>],
) -> Vec<SentHandle> {
    let mut found = Vec::new();
    // Where the last handle ended (range index, offset in the message): nothing starts
    // inside it.
    let mut resume: Option<(usize, usize)> = None;
    for (k, (range, guard)) in emitted.iter().enumerate() {
        let mut from = range.start;
        match resume {
            Some((rk, _)) if rk > k => continue,
            Some((rk, at)) if rk == k => from = at,
            _ => {}
        }
        while let Some(found_at) = message[from..range.end].find('@') {
            let at = from + found_at;
            from = at + 1;
            let before = if at > range.start {
                message[range.start..at].chars().next_back()
            } else {
                k.checked_sub(1)
                    .and_then(|p| message[emitted[p].0.clone()].chars().next_back())
            };
            if matches!(before, Some(c) if !c.is_whitespace()) {
                continue;
            }
            let (end_k, end, name) = handle_from(message, emitted, k, at + 1);
            if name.is_empty() {
                continue;
            }
            found.push(SentHandle {
                name,
                offset: at,
                depends_on: guards[*guard].clone(),
            });
            if end_k == k {
                from = end;
            } else {
                resume = Some((end_k, end));
                break;
            }
        }
    }
    found
}

/// The handle's name starting at `start` in range `k` of `emitted`, up to whitespace or
/// `{{` (which may be split over two ranges), and where it ends (range index, offset).
fn handle_from(
    message: &str,
    emitted: &[(Range<usize>, usize)],
    mut k: usize,
    start: usize,
) -> (usize, usize, String) {
    let mut name = String::new();
    let mut pos = start;
    loop {
        let end = emitted[k].0.end;
        let text = &message[pos..end];
        let stop = text.char_indices().find(|&(i, ch)| {
            ch.is_whitespace()
                || (ch == '{'
                    && match text.as_bytes().get(i + 1) {
                        Some(next) => *next == b'{',
                        None => emitted
                            .get(k + 1)
                            .is_some_and(|(r, _)| message.as_bytes()[r.start] == b'{'),
                    })
        });
        match stop {
            Some((i, _)) => {
                name.push_str(&text[..i]);
                return (k, pos + i, name);
            }
            None if k + 1 < emitted.len() => {
                name.push_str(text);
                k += 1;
                pos = emitted[k].0.start;
            }
            None => {
                name.push_str(text);
                return (k, end, name);
            }
        }
    }
}

#[cfg(test)]
mod tests;

/// Tracing against rendering, over random messages.
#[cfg(test)]
mod traced_against_rendered;
