//! A small YAML tree that remembers where every node was written.
//!
//! serde_yaml stops at the first problem and forgets positions once it has deserialized;
//! the manifest checks need the line and column of every key and value, and must report
//! every problem at once. So each file is read once with `yaml-rust2`'s event parser into
//! this tree (iteratively: no recursion, so deep input cannot overflow the stack), and the
//! manifest decoder walks it.

use std::collections::HashMap;
use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::TScalarStyle;

/// Deepest nesting accepted; manifests need a handful of levels, payloads a few more.
pub(crate) const MAX_DEPTH: usize = 64;
/// Most nodes one file may expand to (aliases included), against "billion laughs" input.
const MAX_NODES: usize = 1_000_000;

/// The hint of the errors for files that expand to more than [`MAX_NODES`] nodes.
const TOO_MANY_NODES_HINT: &str =
    "a manifest is far smaller: use fewer aliases (`*name`), or split the file";

/// A 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub(crate) struct Pos {
    pub line: usize,
    pub col: usize,
}

/// How a scalar was written, which decides its type and how positions inside it map back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    Plain,
    Quoted,
    Literal,
    Folded,
    /// Not a scalar.
    Collection,
}

/// A YAML value with the YAML 1.2 core schema applied to plain scalars.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

/// A value and where it starts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub value: Value,
    pub pos: Pos,
    pub style: Style,
}

impl Node {
    /// The YAML word for this node's type, for "expected …, found …" messages.
    pub fn kind(&self) -> &'static str {
        match self.value {
            Value::Null => "nothing (null)",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a map",
        }
    }

    /// The scalar's text as written (for keys and for "quote it" hints); `None` for
    /// collections.
    pub fn scalar_text(&self) -> Option<String> {
        match &self.value {
            Value::Null => Some(String::new()),
            Value::Bool(b) => Some(b.to_string()),
            Value::Int(i) => Some(i.to_string()),
            Value::Float(f) => Some(f.to_string()),
            Value::Str(s) => Some(s.clone()),
            Value::Seq(_) | Value::Map(_) => None,
        }
    }

    fn size(&self) -> usize {
        // Iterative, so that measuring a deep tree cannot overflow the stack.
        let mut count = 0;
        let mut todo = vec![self];
        while let Some(n) = todo.pop() {
            count += 1;
            match &n.value {
                Value::Seq(items) => todo.extend(items.iter()),
                Value::Map(entries) => {
                    for (k, v) in entries {
                        todo.push(k);
                        todo.push(v);
                    }
                }
                _ => {}
            }
        }
        count
    }
}

/// A problem that stops a file from being read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    pub pos: Pos,
    pub message: String,
    /// How to fix it, when there is more to say than the message.
    pub hint: Option<&'static str>,
}

enum Frame {
    Seq {
        pos: Option<Pos>,
        start: Pos,
        anchor: usize,
        items: Vec<Node>,
    },
    Map {
        start: Pos,
        anchor: usize,
        entries: Vec<(Node, Node)>,
        key: Option<Node>,
    },
}

fn pos_of(mark: &yaml_rust2::scanner::Marker) -> Pos {
    Pos {
        line: mark.line().max(1),
        col: mark.col() + 1,
    }
}

/// Reads one YAML document. `Ok(None)` for an empty file. A second document is an error
/// (manifests are one document per file; use more files instead).
pub(crate) fn parse(text: &str) -> Result<Option<Node>, SyntaxError> {
    let mut parser = Parser::new_from_str(text);
    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: HashMap<usize, Node> = HashMap::new();
    let mut budget = MAX_NODES;
    let mut root: Option<Node> = None;
    let mut documents = 0usize;
    loop {
        let (event, mark) = parser.next_token().map_err(|e| {
            // The scanner looks ahead for keys (up to a line) and stops at 255 open flow
            // collections (`[`, `{`) on its own: the same problem as a tree too deep.
            if e.info() == "recursion limit exceeded" {
                return too_deep(pos_of(e.marker()));
            }
            SyntaxError {
                pos: pos_of(e.marker()),
                message: e.info().to_string(),
                hint: None,
            }
        })?;
        let pos = pos_of(&mark);
        let finished: Option<(Node, usize)> = match event {
            Event::StreamEnd => break,
            Event::StreamStart | Event::Nothing | Event::DocumentEnd => None,
            Event::DocumentStart => {
                documents += 1;
                if documents > 1 {
                    return Err(SyntaxError {
                        pos,
                        message: "a manifest file holds one YAML document; found a second one"
                            .into(),
                        hint: Some("move the second document (after `---`) into a file of its own"),
                    });
                }
                None
            }
            Event::Alias(id) => match anchors.get(&id) {
                Some(node) => {
                    let size = node.size();
                    if size > budget {
                        return Err(SyntaxError {
                            pos,
                            message: "aliases expand to too many nodes".into(),
                            hint: Some(TOO_MANY_NODES_HINT),
                        });
                    }
                    budget -= size;
                    let mut node = node.clone();
                    node.pos = pos;
                    Some((node, 0))
                }
                None => {
                    return Err(SyntaxError {
                        pos,
                        message: "alias to an unknown anchor".into(),
                        hint: Some("define the anchor (`&name`) before the alias (`*name`) that uses it, and outside of it"),
                    })
                }
            },
            Event::Scalar(text, style, anchor, tag) => {
                let node = scalar(text, style, tag.as_ref(), pos)?;
                Some((node, anchor))
            }
            Event::SequenceStart(anchor, tag) => {
                let frame = Frame::Seq {
                    pos: None,
                    start: pos,
                    anchor,
                    items: Vec::new(),
                };
                open(&mut stack, frame, tag.as_ref(), "seq", pos)?;
                None
            }
            Event::MappingStart(anchor, tag) => {
                let frame = Frame::Map {
                    start: pos,
                    anchor,
                    entries: Vec::new(),
                    key: None,
                };
                open(&mut stack, frame, tag.as_ref(), "map", pos)?;
                None
            }
            Event::SequenceEnd => match stack.pop() {
                Some(Frame::Seq {
                    pos: first,
                    start,
                    anchor,
                    items,
                }) => Some((
                    Node {
                        value: Value::Seq(items),
                        pos: first.unwrap_or(start),
                        style: Style::Collection,
                    },
                    anchor,
                )),
                _ => return Err(internal(pos)),
            },
            Event::MappingEnd => match stack.pop() {
                Some(Frame::Map {
                    start,
                    anchor,
                    entries,
                    ..
                }) => {
                    // The parser marks a block mapping oddly; its first key is where it is.
                    let pos = entries.first().map(|(k, _)| k.pos).unwrap_or(start);
                    Some((
                        Node {
                            value: Value::Map(entries),
                            pos,
                            style: Style::Collection,
                        },
                        anchor,
                    ))
                }
                _ => return Err(internal(pos)),
            },
        };
        if let Some((node, anchor)) = finished {
            if budget == 0 {
                return Err(SyntaxError {
                    pos,
                    message: "the file expands to too many nodes".into(),
                    hint: Some(TOO_MANY_NODES_HINT),
                });
            }
            budget -= 1;
            if anchor != 0 {
                anchors.insert(anchor, node.clone());
            }
            match stack.last_mut() {
                None => root = Some(node),
                Some(Frame::Seq { pos, items, .. }) => {
                    if pos.is_none() {
                        *pos = Some(node.pos);
                    }
                    items.push(node);
                }
                Some(Frame::Map { entries, key, .. }) => match key.take() {
                    None => *key = Some(node),
                    Some(k) => entries.push((k, node)),
                },
            }
        }
    }
    Ok(root)
}

/// Opens a collection at `pos`: `frame` on the stack, once its `tag` is one a `kind` may
/// have and the tree is not too deep.
fn open(
    stack: &mut Vec<Frame>,
    frame: Frame,
    tag: Option<&Tag>,
    kind: &str,
    pos: Pos,
) -> Result<(), SyntaxError> {
    check_collection_tag(tag, kind, pos)?;
    if stack.len() >= MAX_DEPTH {
        return Err(too_deep(pos));
    }
    stack.push(frame);
    Ok(())
}

fn too_deep(pos: Pos) -> SyntaxError {
    SyntaxError {
        pos,
        message: format!("nesting deeper than {MAX_DEPTH} levels"),
        hint: Some("manifests need a few levels of maps and lists (a payload a few more); flatten this value"),
    }
}

fn internal(pos: Pos) -> SyntaxError {
    SyntaxError {
        pos,
        message: "unbalanced YAML structure".into(),
        hint: None,
    }
}

fn core_tag(tag: Option<&Tag>) -> Option<Option<&str>> {
    match tag {
        None => Some(None),
        Some(t) if t.handle == "tag:yaml.org,2002:" || t.handle == "!!" => {
            Some(Some(t.suffix.as_str()))
        }
        Some(t) if t.handle == "!" && t.suffix.is_empty() => Some(None),
        Some(_) => None,
    }
}

fn unsupported_tag(tag: Option<&Tag>, pos: Pos) -> SyntaxError {
    let shown = tag
        .map(|t| {
            if t.handle == "tag:yaml.org,2002:" {
                format!("!!{}", t.suffix)
            } else {
                format!("{}{}", t.handle, t.suffix)
            }
        })
        .unwrap_or_default();
    SyntaxError {
        pos,
        message: format!("unsupported YAML tag `{shown}`"),
        hint: Some(
            "remove the tag: manifests use plain YAML values (quote a value to make it a string)",
        ),
    }
}

fn check_collection_tag(tag: Option<&Tag>, expected: &str, pos: Pos) -> Result<(), SyntaxError> {
    match core_tag(tag) {
        Some(None) => Ok(()),
        Some(Some(s)) if s == expected => Ok(()),
        _ => Err(unsupported_tag(tag, pos)),
    }
}

fn scalar(
    text: String,
    style: TScalarStyle,
    tag: Option<&Tag>,
    pos: Pos,
) -> Result<Node, SyntaxError> {
    let style = match style {
        TScalarStyle::Plain => Style::Plain,
        TScalarStyle::SingleQuoted | TScalarStyle::DoubleQuoted => Style::Quoted,
        TScalarStyle::Literal => Style::Literal,
        TScalarStyle::Folded => Style::Folded,
    };
    let value = match core_tag(tag) {
        Some(None) if style == Style::Plain => resolve_plain(text),
        Some(None) | Some(Some("str")) => Value::Str(text),
        Some(Some(kind @ ("int" | "float" | "bool" | "null"))) => {
            let v = resolve_plain(text.clone());
            let ok = matches!(
                (kind, &v),
                ("int", Value::Int(_))
                    | ("float", Value::Float(_) | Value::Int(_))
                    | ("bool", Value::Bool(_))
                    | ("null", Value::Null)
            );
            if !ok {
                return Err(SyntaxError {
                    pos,
                    message: format!("`{text}` is not a valid !!{kind}"),
                    hint: None,
                });
            }
            match (kind, v) {
                ("float", Value::Int(i)) => Value::Float(i as f64),
                (_, v) => v,
            }
        }
        _ => return Err(unsupported_tag(tag, pos)),
    };
    Ok(Node { value, pos, style })
}

/// The YAML 1.2 core schema for plain scalars (what serde_yaml 0.9 does too).
fn resolve_plain(text: String) -> Value {
    match text.as_str() {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Value::Float(f64::INFINITY)
        }
        "-.inf" | "-.Inf" | "-.INF" => return Value::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Value::Float(f64::NAN),
        _ => {}
    }
    if let Some(i) = parse_int(&text) {
        return Value::Int(i);
    }
    if looks_like_float(&text) {
        if let Ok(f) = text.parse::<f64>() {
            return Value::Float(f);
        }
    }
    Value::Str(text)
}

fn parse_int(text: &str) -> Option<i64> {
    let (neg, digits) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let (radix, digits) = if let Some(h) = digits.strip_prefix("0x") {
        (16, h)
    } else if let Some(o) = digits.strip_prefix("0o") {
        (8, o)
    } else {
        (10, digits)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = i128::from_str_radix(digits, radix).ok()?;
    let value = if neg { -magnitude } else { magnitude };
    i64::try_from(value).ok()
}

fn looks_like_float(text: &str) -> bool {
    let t = text.strip_prefix(['-', '+']).unwrap_or(text);
    let mut chars = t.chars().peekable();
    let mut seen_digit = skip_digits(&mut chars);
    if chars.peek() == Some(&'.') {
        chars.next();
        seen_digit |= skip_digits(&mut chars);
    }
    if !seen_digit {
        return false;
    }
    if matches!(chars.peek(), Some('e' | 'E')) {
        chars.next();
        if matches!(chars.peek(), Some('-' | '+')) {
            chars.next();
        }
        if !skip_digits(&mut chars) {
            return false;
        }
    }
    chars.next().is_none()
}

/// Moves past the ASCII digits at the front of `chars`; whether there were any.
fn skip_digits(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> bool {
    let mut any = false;
    while chars.next_if(char::is_ascii_digit).is_some() {
        any = true;
    }
    any
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_positions_and_core_types() {
        let root = parse("a:\n  b: 12\n  c: [x, 'y', true, ~, 1.5]\n")
            .ok()
            .flatten();
        let Some(Node {
            value: Value::Map(entries),
            ..
        }) = root
        else {
            panic!("not a map")
        };
        let (_, inner) = &entries[0];
        assert_eq!(inner.pos, Pos { line: 2, col: 3 });
        let Value::Map(inner) = &inner.value else {
            panic!("not a map")
        };
        assert_eq!(inner[0].1.value, Value::Int(12));
        assert_eq!(inner[0].1.pos, Pos { line: 2, col: 6 });
        let Value::Seq(items) = &inner[1].1.value else {
            panic!("not a list")
        };
        assert_eq!(items[0].value, Value::Str("x".into()));
        assert_eq!(items[2].value, Value::Bool(true));
        assert_eq!(items[3].value, Value::Null);
        assert_eq!(items[4].value, Value::Float(1.5));
    }

    #[test]
    fn rejects_deep_nesting_and_alias_bombs() {
        let deep = "[".repeat(10_000);
        assert!(parse(&deep).is_err());
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 0..12 {
            let prev = if i == 0 {
                "a".to_string()
            } else {
                format!("a{}", i - 1)
            };
            bomb.push_str(&format!(
                "a{i}: &a{i} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
            ));
        }
        assert!(parse(&bomb).is_err());
    }

    #[test]
    fn second_document_is_an_error() {
        let err = parse("a: 1\n---\nb: 2\n").err();
        assert_eq!(err.map(|e| e.pos.line), Some(2));
    }
}
