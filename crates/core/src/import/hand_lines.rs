//! Hand lines: the condition lines people pasted into monitor messages (outside ddhooks'
//! markers), `{{#cond}} @h1 @h2 {{/cond}}` alone on a line, recognised only when a block
//! would render them as written — the same test the planner's adoption applies — so that
//! the planner then adopts them in place.

use crate::model::{Condition, NotifyRule, RemoteMonitor, SectionCondition};
use crate::template;
use std::collections::BTreeSet;

/// A condition line people wrote by hand: `{{#cond}} @h1 @h2 {{/cond}}` alone on its line.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct HandLine {
    /// The line without whitespace, as adoption compares it.
    pub(super) squeezed: String,
    pub(super) rule: NotifyRule,
}

fn squeezed(line: &str) -> String {
    line.chars().filter(|c| !c.is_whitespace()).collect()
}

/// The rule a line says, if it is one condition section holding only handles, one of them a
/// webhook among `known`, and the block would render it as people wrote it.
pub(super) fn hand_line(line: &str, known: &BTreeSet<String>) -> Option<HandLine> {
    let t = line.trim();
    let rest = t.strip_prefix("{{")?;
    let (negated, rest) = match rest.trim_start().chars().next()? {
        '#' => (false, &rest.trim_start()[1..]),
        '^' => (true, &rest.trim_start()[1..]),
        _ => return None,
    };
    let close_open = rest.find("}}")?;
    let condition = Condition::parse(&rest[..close_open])?;
    let rest = &rest[close_open + 2..];
    let close = rest.rfind("{{")?;
    let content = &rest[..close];
    let closer = rest[close + 2..].strip_suffix("}}")?.trim();
    if closer.strip_prefix('/')?.trim() != condition.name() {
        return None;
    }
    let handles: Vec<String> = content.split_whitespace().map(str::to_string).collect();
    if handles.is_empty()
        || handles
            .iter()
            .any(|h| !h.starts_with('@') || h.len() < 2 || h.contains(['(', ')', '{', '}']))
    {
        return None;
    }
    let mut webhooks = 0;
    for h in &handles {
        if let Some(name) = h.strip_prefix("@webhook-") {
            if !known.contains(name) {
                return None;
            }
            webhooks += 1;
        }
    }
    if webhooks == 0 {
        return None;
    }
    let rule = NotifyRule {
        when: SectionCondition { condition, negated },
        handles,
    };
    let rendered = crate::model::NotificationBlock {
        name: String::new(),
        monitors: Default::default(),
        rules: vec![rule.clone()],
        text: None,
    }
    .body();
    let line_squeezed = squeezed(t);
    (squeezed(&rendered) == line_squeezed).then_some(HandLine {
        squeezed: line_squeezed,
        rule,
    })
}

/// The hand lines of a monitor, outside its managed blocks, in message order; `None` when its
/// blocks are damaged.
pub(super) fn hand_lines_of(m: &RemoteMonitor, known: &BTreeSet<String>) -> Option<Vec<HandLine>> {
    let blocks = template::find_blocks(&m.message).ok()?;
    let people = template::without_found_blocks(&m.message, &blocks);
    let mut out: Vec<HandLine> = Vec::new();
    for line in people.lines() {
        if let Some(h) = hand_line(line, known) {
            // A line pasted twice is adopted once; the copy stays people's text.
            if !out.iter().any(|o| o.squeezed == h.squeezed) {
                out.push(h);
            }
        }
    }
    Some(out)
}
