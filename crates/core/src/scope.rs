//! A notification rule's `filter.scope`: Datadog's event-search syntax over a monitor's tags,
//! parsed by hand and matched against tag lists.
//!
//! The grammar, loosest binding first (so `NOT` binds tighter than `AND`, which binds tighter
//! than `OR`):
//!
//! ```text
//! scope   = or
//! or      = and { "OR" and }
//! and     = unary { ["AND"] unary }          adjacent terms are ANDed
//! unary   = "NOT" unary | "-" unary | primary
//! primary = "(" or ")" | term
//! term    = key ":" value | key ":" "(" or ")" | key ":*" | word | quoted
//! ```
//!
//! Inside `key:( … )` every term is a value of `key` (`team:(a OR b)` is
//! `team:a OR team:b`). Values and words may be quoted (`team:"a b"`, with `\"` and `\\` as
//! escapes); the only wildcard is a whole value, `key:*`. `AND`, `OR` and `NOT` are operators
//! only in capitals and not followed by `:`. A leading `-` negates the term or group right
//! after it (Datadog's search syntax documents it as "exclusion"); a `-` inside a word is
//! part of the word (`env:us-east-1`).
//!
//! Pure: text in, a [`Scope`] or a [`ScopeError`] out. Nesting is bounded by [`MAX_DEPTH`] and
//! the text by [`MAX_SCOPE_CHARS`], so no input can exhaust the stack.

use std::fmt;

/// Datadog's limit on `filter.scope`, in characters.
pub const MAX_SCOPE_CHARS: usize = 3000;

/// How deeply groups and negations may nest: deeper is a [`ScopeError::TooDeep`], never a
/// stack overflow.
pub const MAX_DEPTH: usize = 100;

/// A parsed scope: a boolean expression over tag terms, evaluated by [`Scope::matches`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Scope {
    /// One term.
    Term(Term),
    /// `NOT x` or `-x`.
    Not(Box<Scope>),
    /// `x AND y …` (or adjacent terms): at least two items.
    And(Vec<Scope>),
    /// `x OR y …`: at least two items.
    Or(Vec<Scope>),
}

/// What one term of a scope asks of a monitor's tags.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Term {
    /// `key:value`: a tag equal to it (ASCII case-insensitive).
    Tag {
        /// Before the first `:`.
        key: String,
        /// After it (may contain `:`).
        value: String,
    },
    /// `key:*`: any tag with this key.
    AnyValue {
        /// The key.
        key: String,
    },
    /// A bare word or quoted phrase: a tag equal to it.
    Word(String),
}

/// Why a scope does not parse; every variant but [`ScopeError::Empty`] carries the byte
/// offset of the problem and its 1-based column (in characters), so a message can point at it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    /// Nothing but whitespace.
    #[error("empty scope")]
    Empty,
    /// Over [`MAX_SCOPE_CHARS`]; `offset` is where the first character past the limit starts.
    #[error("longer than {MAX_SCOPE_CHARS} characters ({chars})")]
    TooLong {
        /// Byte offset of the first character past the limit.
        offset: usize,
        /// How many characters the scope has.
        chars: usize,
    },
    /// A `(` that is never closed.
    #[error("unbalanced parenthesis at column {column}: this '(' is never closed")]
    Unclosed {
        /// Byte offset of the `(`.
        offset: usize,
        /// Its column.
        column: usize,
    },
    /// A `)` that closes nothing.
    #[error("unbalanced parenthesis at column {column}: this ')' closes nothing")]
    Unopened {
        /// Byte offset of the `)`.
        offset: usize,
        /// Its column.
        column: usize,
    },
    /// A `"` that is never closed.
    #[error("unterminated quote at column {column}")]
    Unterminated {
        /// Byte offset of the opening `"`.
        offset: usize,
        /// Its column.
        column: usize,
    },
    /// Groups and negations nested deeper than [`MAX_DEPTH`].
    #[error("nested deeper than {MAX_DEPTH} levels at column {column}")]
    TooDeep {
        /// Byte offset of the group or negation one level too deep.
        offset: usize,
        /// Its column.
        column: usize,
    },
    /// A `*` anywhere but as a whole value.
    #[error("wildcard at column {column}: the only wildcard is a whole value, as in key:*")]
    Wildcard {
        /// Byte offset of the `*`.
        offset: usize,
        /// Its column.
        column: usize,
    },
    /// Something else than what the grammar allows here.
    #[error("expected {expected} at column {column}, found {found}")]
    Expected {
        /// Byte offset of what was found.
        offset: usize,
        /// Its column.
        column: usize,
        /// What would have been valid, e.g. `a term after AND`.
        expected: &'static str,
        /// What is there, e.g. `the end of the scope` or `')'`.
        found: String,
    },
}

impl ScopeError {
    /// The byte offset the error points at (0 for an empty scope).
    pub fn offset(&self) -> usize {
        match self {
            ScopeError::Empty => 0,
            ScopeError::TooLong { offset, .. }
            | ScopeError::Unclosed { offset, .. }
            | ScopeError::Unopened { offset, .. }
            | ScopeError::Unterminated { offset, .. }
            | ScopeError::TooDeep { offset, .. }
            | ScopeError::Wildcard { offset, .. }
            | ScopeError::Expected { offset, .. } => *offset,
        }
    }
}

/// The operators, recognised only in capitals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Keyword {
    And,
    Or,
    Not,
}

/// Characters that end an unquoted word.
fn ends_word(c: char) -> bool {
    c.is_whitespace() || matches!(c, '(' | ')' | '"')
}

struct Parser<'a> {
    text: &'a str,
    pos: usize,
    depth: usize,
    /// Inside `key:( … )`: terms are values of this key.
    group_key: Option<String>,
}

impl<'a> Parser<'a> {
    fn rest(&self) -> &'a str {
        &self.text[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn bump(&mut self) {
        if let Some(c) = self.peek() {
            self.pos += c.len_utf8();
        }
    }

    fn skip_ws(&mut self) {
        let rest = self.rest();
        self.pos += rest.len() - rest.trim_start().len();
    }

    fn column(&self, offset: usize) -> usize {
        self.text[..offset].chars().count() + 1
    }

    fn found(&self) -> String {
        match self.keyword() {
            Some((Keyword::And, _)) => "AND".to_string(),
            Some((Keyword::Or, _)) => "OR".to_string(),
            Some((Keyword::Not, _)) => "NOT".to_string(),
            None => match self.peek() {
                None => "the end of the scope".to_string(),
                Some(c) => format!("'{c}'"),
            },
        }
    }

    fn expected(&self, expected: &'static str) -> ScopeError {
        ScopeError::Expected {
            offset: self.pos,
            column: self.column(self.pos),
            expected,
            found: self.found(),
        }
    }

    /// The operator at the current position (not consumed) and its length.
    fn keyword(&self) -> Option<(Keyword, usize)> {
        let rest = self.rest();
        let end = rest
            .find(|c| ends_word(c) || c == ':')
            .unwrap_or(rest.len());
        if rest[end..].starts_with(':') {
            return None;
        }
        let keyword = match &rest[..end] {
            "AND" => Keyword::And,
            "OR" => Keyword::Or,
            "NOT" => Keyword::Not,
            _ => return None,
        };
        Some((keyword, end))
    }

    /// Enters one level of nesting at `offset`.
    fn enter(&mut self, offset: usize) -> Result<(), ScopeError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(ScopeError::TooDeep {
                offset,
                column: self.column(offset),
            });
        }
        Ok(())
    }

    fn or(&mut self, first: &'static str) -> Result<Scope, ScopeError> {
        let mut items = vec![self.and(first)?];
        loop {
            self.skip_ws();
            match self.keyword() {
                Some((Keyword::Or, len)) => {
                    self.pos += len;
                    items.push(self.and("a term after OR")?);
                }
                _ => break,
            }
        }
        Ok(collapse(items, Scope::Or))
    }

    fn and(&mut self, first: &'static str) -> Result<Scope, ScopeError> {
        let mut items = vec![self.unary(first)?];
        loop {
            self.skip_ws();
            if matches!(self.peek(), None | Some(')')) {
                break;
            }
            match self.keyword() {
                Some((Keyword::Or, _)) => break,
                Some((Keyword::And, len)) => {
                    self.pos += len;
                    items.push(self.unary("a term after AND")?);
                }
                _ => items.push(self.unary("a term")?),
            }
        }
        Ok(collapse(items, Scope::And))
    }

    fn unary(&mut self, expected: &'static str) -> Result<Scope, ScopeError> {
        self.skip_ws();
        let start = self.pos;
        match self.keyword() {
            Some((Keyword::Not, len)) => {
                self.pos += len;
                return self.negated(start, "a term after NOT");
            }
            Some(_) => return Err(self.expected(expected)),
            None => {}
        }
        match self.peek() {
            None | Some(')') => Err(self.expected(expected)),
            Some('-') => {
                self.bump();
                let term_follows = self.peek().is_some_and(|c| !c.is_whitespace() && c != ')');
                if !term_follows {
                    return Err(self.expected("a term right after '-'"));
                }
                self.negated(start, "a term right after '-'")
            }
            Some('(') => self.group(),
            Some(_) => self.term(),
        }
    }

    fn negated(&mut self, start: usize, expected: &'static str) -> Result<Scope, ScopeError> {
        self.enter(start)?;
        let inner = self.unary(expected)?;
        self.depth -= 1;
        Ok(Scope::Not(Box::new(inner)))
    }

    /// `( … )`, the current character being `(`.
    fn group(&mut self) -> Result<Scope, ScopeError> {
        let open = self.pos;
        self.enter(open)?;
        self.bump();
        let inner = self.or("a term after '('")?;
        self.skip_ws();
        if self.peek() != Some(')') {
            return Err(ScopeError::Unclosed {
                offset: open,
                column: self.column(open),
            });
        }
        self.bump();
        self.depth -= 1;
        self.end_of_term()?;
        Ok(inner)
    }

    /// After a term or group: whitespace, `)` or the end.
    fn end_of_term(&self) -> Result<(), ScopeError> {
        match self.peek() {
            None | Some(')') => Ok(()),
            Some(c) if c.is_whitespace() => Ok(()),
            Some(_) => Err(self.expected("whitespace or ')' after a term")),
        }
    }

    /// An unquoted run of characters until whitespace, a parenthesis, a quote, or (when
    /// `stop_at_colon`) a `:`.
    fn raw(&mut self, stop_at_colon: bool) -> (usize, &'a str) {
        let start = self.pos;
        let rest = self.rest();
        let end = rest
            .find(|c| ends_word(c) || (stop_at_colon && c == ':'))
            .unwrap_or(rest.len());
        self.pos += end;
        (start, &rest[..end])
    }

    /// `"…"`, the current character being `"`.
    fn quoted(&mut self) -> Result<String, ScopeError> {
        let open = self.pos;
        self.bump();
        let mut out = String::new();
        loop {
            match self.peek() {
                None => {
                    return Err(ScopeError::Unterminated {
                        offset: open,
                        column: self.column(open),
                    })
                }
                Some('"') => {
                    self.bump();
                    return Ok(out);
                }
                Some('\\') => {
                    self.bump();
                    match self.peek() {
                        Some(c) => {
                            out.push(c);
                            self.bump();
                        }
                        None => continue,
                    }
                }
                Some(c) => {
                    out.push(c);
                    self.bump();
                }
            }
        }
    }

    /// Refuses a `*` in `word`, which starts at `start`.
    fn no_wildcard(&self, start: usize, word: &str) -> Result<(), ScopeError> {
        match word.find('*') {
            Some(at) => Err(ScopeError::Wildcard {
                offset: start + at,
                column: self.column(start + at),
            }),
            None => Ok(()),
        }
    }

    /// A value of `key`: quoted, `*`, a group, or a word (which may contain `:`).
    fn value(&mut self, key: String) -> Result<Scope, ScopeError> {
        match self.peek() {
            Some('"') => {
                let value = self.quoted()?;
                self.end_of_term()?;
                Ok(Scope::Term(Term::Tag { key, value }))
            }
            Some('(') => {
                let outer = self.group_key.replace(key);
                let group = self.group();
                self.group_key = outer;
                group
            }
            None | Some(')') => Err(self.expected("a value after ':'")),
            Some(c) if c.is_whitespace() => Err(self.expected("a value after ':'")),
            Some(_) => {
                let (start, value) = self.raw(false);
                self.end_of_term()?;
                if value == "*" {
                    return Ok(Scope::Term(Term::AnyValue { key }));
                }
                self.no_wildcard(start, value)?;
                Ok(Scope::Term(Term::Tag {
                    key,
                    value: value.to_string(),
                }))
            }
        }
    }

    /// A term, the current character starting one (not `(`, `)`, `-` or whitespace).
    fn term(&mut self) -> Result<Scope, ScopeError> {
        if let Some(key) = self.group_key.clone() {
            return self.value(key);
        }
        if self.peek() == Some('"') {
            let word = self.quoted()?;
            self.end_of_term()?;
            return Ok(Scope::Term(Term::Word(word)));
        }
        let (start, key) = self.raw(true);
        if self.peek() == Some(':') {
            if key.is_empty() {
                return Err(self.expected("a tag key before ':'"));
            }
            self.no_wildcard(start, key)?;
            self.bump();
            return self.value(key.to_string());
        }
        self.end_of_term()?;
        self.no_wildcard(start, key)?;
        Ok(Scope::Term(Term::Word(key.to_string())))
    }
}

/// One item as itself, several as `make(items)`.
fn collapse(mut items: Vec<Scope>, make: fn(Vec<Scope>) -> Scope) -> Scope {
    if items.len() == 1 {
        items.remove(0)
    } else {
        make(items)
    }
}

impl Scope {
    /// Parses a scope, refusing empty text, text over [`MAX_SCOPE_CHARS`], nesting past
    /// [`MAX_DEPTH`] and anything the grammar (see the module docs) does not allow.
    pub fn parse(text: &str) -> Result<Scope, ScopeError> {
        if let Some((offset, _)) = text.char_indices().nth(MAX_SCOPE_CHARS) {
            return Err(ScopeError::TooLong {
                offset,
                chars: text.chars().count(),
            });
        }
        if text.trim().is_empty() {
            return Err(ScopeError::Empty);
        }
        let mut parser = Parser {
            text,
            pos: 0,
            depth: 0,
            group_key: None,
        };
        let scope = parser.or("a term")?;
        parser.skip_ws();
        if parser.peek() == Some(')') {
            return Err(ScopeError::Unopened {
                offset: parser.pos,
                column: parser.column(parser.pos),
            });
        }
        Ok(scope)
    }

    /// Whether a monitor with `tags` is in the scope.
    pub fn matches<T: AsRef<str>>(&self, tags: &[T]) -> bool {
        match self {
            Scope::Term(term) => tags.iter().any(|tag| term.matches(tag.as_ref())),
            Scope::Not(inner) => !inner.matches(tags),
            Scope::And(items) => items.iter().all(|item| item.matches(tags)),
            Scope::Or(items) => items.iter().any(|item| item.matches(tags)),
        }
    }

    /// Every term the scope names, in order (negated ones included), so a listing can ask
    /// which tags a rule mentions.
    pub fn terms(&self) -> Vec<&Term> {
        let mut out = Vec::new();
        let mut stack = vec![self];
        while let Some(scope) = stack.pop() {
            match scope {
                Scope::Term(term) => out.push(term),
                Scope::Not(inner) => stack.push(inner),
                Scope::And(items) | Scope::Or(items) => stack.extend(items.iter().rev()),
            }
        }
        out
    }

    fn precedence(&self) -> u8 {
        match self {
            Scope::Or(_) => 1,
            Scope::And(_) => 2,
            Scope::Not(_) => 3,
            Scope::Term(_) => 4,
        }
    }

    fn write(&self, f: &mut fmt::Formatter<'_>, parent: u8) -> fmt::Result {
        let parens = self.precedence() < parent;
        if parens {
            f.write_str("(")?;
        }
        match self {
            Scope::Term(term) => write!(f, "{term}")?,
            Scope::Not(inner) => {
                f.write_str("NOT ")?;
                inner.write(f, 3)?;
            }
            Scope::And(items) | Scope::Or(items) => {
                let (separator, precedence) = match self {
                    Scope::Or(_) => (" OR ", 1),
                    _ => (" AND ", 2),
                };
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(separator)?;
                    }
                    // An item of the same operator is parenthesised, so that the text parses
                    // back into the same tree.
                    item.write(f, precedence + 1)?;
                }
            }
        }
        if parens {
            f.write_str(")")?;
        }
        Ok(())
    }
}

impl fmt::Display for Scope {
    /// Writes a normalised form (explicit `AND`, `NOT` for `-`, value groups spelled out as
    /// terms, parentheses only where needed) that parses back into the same scope.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(f, 0)
    }
}

impl Term {
    /// Whether one tag satisfies the term (ASCII case-insensitive).
    pub fn matches(&self, tag: &str) -> bool {
        match self {
            Term::Tag { key, value } => tag
                .split_once(':')
                .is_some_and(|(k, v)| k.eq_ignore_ascii_case(key) && v.eq_ignore_ascii_case(value)),
            Term::AnyValue { key } => tag
                .split_once(':')
                .is_some_and(|(k, _)| k.eq_ignore_ascii_case(key)),
            Term::Word(word) => tag.eq_ignore_ascii_case(word),
        }
    }
}

/// Writes `text` quoted, with `"` and `\` escaped.
fn write_quoted(f: &mut fmt::Formatter<'_>, text: &str) -> fmt::Result {
    f.write_str("\"")?;
    for c in text.chars() {
        if matches!(c, '"' | '\\') {
            f.write_str("\\")?;
        }
        write!(f, "{c}")?;
    }
    f.write_str("\"")
}

/// Whether a value must be quoted to read back as itself.
fn value_needs_quotes(value: &str) -> bool {
    value.is_empty() || value.contains(|c| ends_word(c) || c == '*' || c == '\\')
}

impl fmt::Display for Term {
    /// Writes the term as a scope would, quoting where needed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Term::Tag { key, value } => {
                write!(f, "{key}:")?;
                if value_needs_quotes(value) {
                    write_quoted(f, value)
                } else {
                    f.write_str(value)
                }
            }
            Term::AnyValue { key } => write!(f, "{key}:*"),
            Term::Word(word) => {
                let needs_quotes = value_needs_quotes(word)
                    || word.contains(':')
                    || word.starts_with('-')
                    || matches!(word.as_str(), "AND" | "OR" | "NOT");
                if needs_quotes {
                    write_quoted(f, word)
                } else {
                    f.write_str(word)
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
