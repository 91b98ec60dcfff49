//! First pass: one file's YAML tree into raw manifest types that keep every position.
//!
//! The decoder checks only what one file can tell: keys, types, value ranges and the
//! `${env:NAME}` references. Everything that needs all files at once (names defined twice,
//! references between objects) is the lowering's job.

use super::env;
use super::raw::{Loc, Raw, Str};
use super::schema::{Keys, TOP_KEYS};
use super::yaml::{Node, Pos, Value};
use super::EnvSource;
use super::{Diagnostic, Diagnostics, Severity};
use std::path::PathBuf;

mod entries;

/// The closest candidate to a misspelt word, if one is close enough to suggest.
pub(crate) fn did_you_mean<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (strsim::jaro_winkler(word, c), *c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// The hint for a word that is none of `candidates`: the closest one, or all of them
/// (`known {what}: a, b`).
pub(crate) fn suggestion(word: &str, candidates: &[&str], what: &str) -> String {
    match did_you_mean(word, candidates) {
        Some(s) => format!("did you mean `{s}`?"),
        None => format!("known {what}: {}", candidates.join(", ")),
    }
}

/// Decoding state for one file: where diagnostics go and how `${env:…}` resolves.
pub(crate) struct Decoder<'a> {
    pub file: usize,
    pub path: &'a PathBuf,
    pub diags: &'a mut Diagnostics,
    pub env: &'a EnvSource<'a>,
    /// Errors reported so far (to tell which objects are broken).
    pub errors: usize,
}

impl Decoder<'_> {
    pub(super) fn loc(&self, pos: Pos) -> Loc {
        Loc {
            file: self.file,
            pos,
        }
    }

    pub(crate) fn report(
        &mut self,
        severity: Severity,
        pos: Pos,
        message: String,
        hint: Option<String>,
    ) {
        self.diags.push(Diagnostic {
            file: self.path.clone(),
            line: pos.line,
            column: pos.col,
            severity,
            message,
            hint,
        });
    }

    pub(super) fn error(&mut self, pos: Pos, message: impl Into<String>, hint: Option<String>) {
        self.errors += 1;
        self.report(Severity::Error, pos, message.into(), hint);
    }

    pub(super) fn wrong_type(&mut self, node: &Node, what: &str, expected: &str) {
        let hint = match (&node.value, expected) {
            (Value::Int(_) | Value::Float(_) | Value::Bool(_), "a string") => node
                .scalar_text()
                .map(|t| format!("quote it to make it a string: \"{t}\"")),
            _ => None,
        };
        self.error(
            node.pos,
            format!("{what} must be {expected}, found {}", node.kind()),
            hint,
        );
    }

    /// The entries of a map that holds fixed keys (those of its format type); unknown and
    /// repeated keys are reported.
    pub(super) fn fields<'n>(
        &mut self,
        node: &'n Node,
        what: &str,
        allowed: &Keys,
    ) -> Vec<(String, &'n Node, &'n Node)> {
        let entries = self.entries(node, what, "a map");
        let mut out: Vec<(String, &Node, &Node)> = Vec::new();
        for (k, v) in entries {
            let Some(key) = self.key(k, what) else {
                continue;
            };
            if !allowed.contains(&key) {
                let hint = suggestion(&key, &allowed.names(), "keys");
                self.error(k.pos, format!("unknown key `{key}` in {what}"), Some(hint));
                continue;
            }
            if let Some((_, first, _)) = out.iter().find(|(name, _, _)| *name == key) {
                let first = first.pos;
                self.error(
                    k.pos,
                    format!("key `{key}` appears twice in {what}"),
                    Some(format!("the first one is at line {}", first.line)),
                );
                continue;
            }
            out.push((key, k, v));
        }
        out
    }

    /// The entries of the map `node` (none for null); anything else is reported as not
    /// `expected` and has none.
    fn entries<'n>(&mut self, node: &'n Node, what: &str, expected: &str) -> &'n [(Node, Node)] {
        match &node.value {
            Value::Map(entries) => entries,
            Value::Null => &[],
            _ => {
                self.wrong_type(node, what, expected);
                &[]
            }
        }
    }

    /// The entries of a map of user-chosen names (`webhooks:` …). Repeated names are left in:
    /// the lowering reports every name defined twice, within a file or across files.
    pub(super) fn named<'n>(&mut self, node: &'n Node, what: &str) -> Vec<(Str, &'n Node)> {
        let entries = self.entries(node, what, "a map of names");
        let mut out = Vec::new();
        for (k, v) in entries {
            if let Some(key) = self.key(k, what) {
                out.push((
                    Str {
                        raw: key.clone(),
                        value: key,
                        unresolved: false,
                        loc: self.loc(k.pos),
                        style: k.style,
                    },
                    v,
                ));
            }
        }
        out
    }

    pub(super) fn key(&mut self, k: &Node, what: &str) -> Option<String> {
        match &k.value {
            Value::Str(s) => Some(s.clone()),
            Value::Int(_) | Value::Bool(_) | Value::Float(_) => k.scalar_text(),
            _ => {
                self.error(
                    k.pos,
                    format!("keys in {what} must be strings, found {}", k.kind()),
                    None,
                );
                None
            }
        }
    }

    /// A string value with `${env:…}` resolved.
    pub(super) fn string(&mut self, node: &Node, what: &str) -> Option<Str> {
        let Value::Str(raw) = &node.value else {
            self.wrong_type(node, what, "a string");
            return None;
        };
        Some(self.resolve(raw, node))
    }

    fn resolve(&mut self, raw: &str, node: &Node) -> Str {
        if raw.contains("${env:") {
            self.warn_plain_env(node.pos);
        }
        self.resolve_quietly(raw, node)
    }

    /// `${env:…}` anywhere but in a secret custom variable's value ends up in Datadog in
    /// plain text and in every plan: say so.
    fn warn_plain_env(&mut self, pos: Pos) {
        self.diags.push(Diagnostic {
            file: self.path.clone(),
            line: pos.line,
            column: pos.col,
            severity: Severity::Warning,
            message: "a value read from the environment is written here in plain text: Datadog stores it readable and every plan shows it".into(),
            hint: Some("if it is a secret, put it in a custom variable with `secret: true` and refer to it as $NAME".into()),
        });
    }

    fn resolve_quietly(&mut self, raw: &str, node: &Node) -> Str {
        let errors = &mut self.errors;
        let (value, unresolved) = env::resolve(raw, self.env, |severity, message, hint| {
            if severity == Severity::Error {
                *errors += 1;
            }
            self.diags.push(Diagnostic {
                file: self.path.clone(),
                line: node.pos.line,
                column: node.pos.col,
                severity,
                message,
                hint,
            })
        });
        Str {
            raw: raw.to_string(),
            value,
            unresolved,
            loc: self.loc(node.pos),
            style: node.style,
        }
    }

    pub(super) fn strings(&mut self, node: &Node, what: &str) -> Option<Vec<Str>> {
        match &node.value {
            Value::Seq(items) => Some(
                items
                    .iter()
                    .filter_map(|i| self.string(i, &format!("each of {what}")))
                    .collect(),
            ),
            Value::Null => Some(Vec::new()),
            _ => {
                self.wrong_type(node, what, "a list of strings");
                None
            }
        }
    }

    pub(super) fn boolean(&mut self, node: &Node, what: &str) -> Option<bool> {
        match &node.value {
            Value::Bool(b) => Some(*b),
            _ => {
                let hint = match node.scalar_text().as_deref() {
                    Some("yes" | "Yes" | "YES" | "on" | "On" | "ON" | "y" | "Y") => {
                        Some("YAML 1.2 spells it `true`".to_string())
                    }
                    Some("no" | "No" | "NO" | "off" | "Off" | "OFF" | "n" | "N") => {
                        Some("YAML 1.2 spells it `false`".to_string())
                    }
                    _ => None,
                };
                self.error(
                    node.pos,
                    format!("{what} must be true or false, found {}", node.kind()),
                    hint,
                );
                None
            }
        }
    }

    /// Decodes each entry of the map `node` (`what`, in messages) with `entry`, into `into`.
    fn each_named<T>(
        &mut self,
        node: &Node,
        what: &str,
        entry: fn(&mut Self, Str, &Node) -> T,
        into: &mut Vec<T>,
    ) {
        for (name, body) in self.named(node, what) {
            into.push(entry(self, name, body));
        }
    }

    /// Decodes one file's root into `raw`.
    pub(crate) fn file(&mut self, root: &Node, raw: &mut Raw) {
        if let Value::Null = root.value {
            return;
        }
        for (key, _, v) in self.fields(root, "a manifest file", &TOP_KEYS) {
            match key.as_str() {
                "version" if v.value != Value::Int(1) => {
                    self.error(
                        v.pos,
                        "`version` must be 1, the only manifest format there is",
                        None,
                    );
                }
                "custom_variables" => {
                    self.each_named(v, "`custom_variables`", Self::variable, &mut raw.variables);
                }
                "webhook_pairs" => {
                    self.each_named(v, "`webhook_pairs`", Self::pair, &mut raw.pairs);
                }
                "webhooks" => {
                    self.each_named(v, "`webhooks`", Self::webhook, &mut raw.webhooks);
                }
                "monitor_notifications" => {
                    self.each_named(v, "`monitor_notifications`", Self::block, &mut raw.blocks);
                }
                "status_boards" => {
                    self.each_named(v, "`status_boards`", Self::board, &mut raw.boards);
                }
                "external_webhooks" => {
                    if let Some(names) = self.strings(v, "`external_webhooks`") {
                        raw.external.extend(names);
                    }
                }
                "webhook_auth_methods" => {
                    self.each_named(
                        v,
                        "`webhook_auth_methods`",
                        Self::auth_method,
                        &mut raw.auth_methods,
                    );
                }
                "routing_tests" => {
                    self.each_named(
                        v,
                        "`routing_tests`",
                        Self::routing_test,
                        &mut raw.routing_tests,
                    );
                }
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::raw::Delivery;
    use super::*;

    /// The names `delivery:` accepts are the ones the schema lists, each naming its own
    /// delivery; a misspelling gets the closest one as its hint.
    #[test]
    fn deliveries_parse_by_their_names_and_misspellings_get_a_suggestion() {
        let parsed: Vec<Option<Delivery>> =
            Delivery::NAMES.iter().map(|n| Delivery::parse(n)).collect();
        assert_eq!(parsed, [Some(Delivery::Message), Some(Delivery::Rule)]);
        assert_eq!(Delivery::default(), Delivery::Message);
        assert_eq!(Delivery::parse("rules"), None);
        assert_eq!(
            suggestion("rules", &Delivery::NAMES, "deliveries"),
            "did you mean `rule`?"
        );
        assert_eq!(
            suggestion("webhook", &Delivery::NAMES, "deliveries"),
            "known deliveries: message, rule"
        );
    }
}
