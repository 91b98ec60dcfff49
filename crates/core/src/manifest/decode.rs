//! First pass: one file's YAML tree into raw manifest types that keep every position.
//!
//! The decoder checks only what one file can tell: keys, types, value ranges and the
//! `${env:NAME}` references. Everything that needs all files at once (names defined twice,
//! references between objects) is the lowering's job.

use super::env;
use super::yaml::{Node, Pos, Style, Value};
use super::EnvSource;
use super::{Diagnostic, Diagnostics, Severity};
use std::path::PathBuf;

/// Where something was written: the file's index in the load and the position in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Loc {
    pub file: usize,
    pub pos: Pos,
}

/// A string as written (`raw`, safe to print) and with `${env:…}` resolved (`value`, maybe
/// secret, never printed).
#[derive(Debug, Clone)]
pub(crate) struct Str {
    pub raw: String,
    pub value: String,
    /// Some `${env:…}` could not be resolved (missing and only warned about).
    pub unresolved: bool,
    pub loc: Loc,
    pub style: Style,
}

/// A custom variable as written.
#[derive(Debug, Clone)]
pub(crate) struct RawVariable {
    pub name: Str,
    pub value: Option<Str>,
    pub secret: bool,
    /// A problem was already reported inside it: skip checks that would only repeat it.
    pub broken: bool,
}

/// A pair's `statuses:`; `None` entries are not generated.
#[derive(Debug, Clone)]
pub(crate) struct RawStatuses {
    pub alert: Option<u8>,
    pub recovery: Option<u8>,
    pub warning: Option<u8>,
    pub no_data: Option<u8>,
    pub loc: Loc,
}

/// A webhook pair as written.
#[derive(Debug, Clone)]
pub(crate) struct RawPair {
    pub name: Str,
    pub check: Option<Str>,
    pub host_name: Option<Str>,
    pub tags: Option<Vec<Str>>,
    pub api_key_variable: Option<Str>,
    pub statuses: Option<RawStatuses>,
    /// `seed_status:` (default true): its monitors get a seeded check run when first wired.
    pub seed_status: bool,
    /// A problem was already reported inside it: skip checks that would only repeat it.
    pub broken: bool,
}

/// A webhook as written.
#[derive(Debug, Clone)]
pub(crate) struct RawWebhook {
    pub name: Str,
    pub url: Option<Str>,
    /// The payload as JSON (env resolved) and as written (for lints with positions).
    pub payload: Option<(serde_json::Value, Node)>,
    pub payload_loc: Option<Loc>,
    pub custom_headers: Option<Vec<(Str, Str)>>,
    pub encode_as: Option<crate::model::EncodeAs>,
    pub renamed_from: Option<Str>,
    /// A problem was already reported inside it: skip checks that would only repeat it.
    pub broken: bool,
}

/// A block's `monitors:`. The `*_key` fields say where each selector's key was written
/// (present even when its value is empty or wrong), so that a selector a delivery cannot use
/// is reported on its own line.
#[derive(Debug, Clone)]
pub(crate) struct RawSelector {
    pub ids: Vec<i64>,
    pub ids_key: Option<Loc>,
    pub tags: Vec<Str>,
    pub tags_key: Option<Loc>,
    pub name: Option<Str>,
    pub name_key: Option<Loc>,
    /// An event-search expression over the monitors' tags: a notification-rule filter only.
    pub scope: Option<Str>,
    pub scope_key: Option<Loc>,
    pub loc: Loc,
}

/// How a block reaches the monitors it selects (`delivery:`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Delivery {
    /// The managed block in the monitors' messages (the default).
    #[default]
    Message,
    /// A monitor notification rule (API v2), which edits no message.
    Rule,
}

impl Delivery {
    /// Every delivery's spelling in manifests (the schema's enum too), the default first.
    pub(crate) const NAMES: [&'static str; 2] = ["message", "rule"];

    /// The delivery spelt `name`, if there is one.
    pub(crate) fn parse(name: &str) -> Option<Delivery> {
        match name {
            "message" => Some(Delivery::Message),
            "rule" => Some(Delivery::Rule),
            _ => None,
        }
    }
}

/// A notification block as written.
#[derive(Debug, Clone)]
pub(crate) struct RawBlock {
    pub name: Str,
    pub monitors: Option<RawSelector>,
    pub pair: Option<Str>,
    /// Condition key -> handles, in manifest order.
    pub notify: Vec<(Str, Vec<Str>)>,
    pub text: Option<Str>,
    /// Where the `text` key was written.
    pub text_key: Option<Loc>,
    /// `delivery:` (the default when absent or unreadable).
    pub delivery: Delivery,
    /// `always:` (rules only: the plain recipients, notified on every notification), with
    /// where its key was written.
    pub always: Option<(Loc, Vec<Str>)>,
    /// `otherwise:` (rules only: the fallback recipients, notified when no condition
    /// applied), with where its key was written.
    pub otherwise: Option<(Loc, Vec<Str>)>,
    /// A problem was already reported inside it: skip checks that would only repeat it.
    pub broken: bool,
}

/// A status board as written (`status_boards:`).
#[derive(Debug, Clone)]
pub(crate) struct RawBoard {
    pub name: Str,
    pub title: Option<Str>,
    pub description: Option<Str>,
    /// The pairs, one widget each, in order; `None` when the key is absent or unreadable.
    pub pairs: Option<Vec<Str>>,
    /// Where the `pairs` key was written.
    pub pairs_key: Option<Loc>,
    /// The tag filter of every widget (`None`: `["*"]`).
    pub tags: Option<Vec<Str>>,
    /// A problem was already reported inside it: skip checks that would only repeat it.
    pub broken: bool,
}

/// A webhook auth method as written (`webhook_auth_methods:`).
#[derive(Debug, Clone)]
pub(crate) struct RawAuthMethod {
    pub name: Str,
    pub access_token_url: Option<Str>,
    pub client_id: Option<Str>,
    /// Its `raw` text is what was written (`${env:NAME}`), its `value` the secret.
    pub client_secret: Option<Str>,
    pub audience: Option<Str>,
    pub scope: Option<Str>,
    /// A problem was already reported inside it: skip checks that would only repeat it.
    pub broken: bool,
}

/// Everything the files hold, in file order.
#[derive(Debug, Clone, Default)]
pub(crate) struct Raw {
    pub variables: Vec<RawVariable>,
    pub pairs: Vec<RawPair>,
    pub webhooks: Vec<RawWebhook>,
    pub blocks: Vec<RawBlock>,
    pub boards: Vec<RawBoard>,
    pub external: Vec<Str>,
    pub auth_methods: Vec<RawAuthMethod>,
    pub routing_tests: Vec<super::routing_test::RawRoutingTest>,
}

/// The top-level keys of a manifest file.
pub(crate) const TOP_KEYS: &[&str] = &[
    "version",
    "custom_variables",
    "webhook_pairs",
    "webhooks",
    "monitor_notifications",
    "status_boards",
    "external_webhooks",
    "webhook_auth_methods",
    "routing_tests",
];
pub(crate) const VARIABLE_KEYS: &[&str] = &["value", "secret"];
pub(crate) const PAIR_KEYS: &[&str] = &[
    "check",
    "host_name",
    "tags",
    "api_key_variable",
    "statuses",
    "seed_status",
];
pub(crate) const STATUS_KEYS: &[&str] = &["alert", "recovery", "warning", "no_data"];
pub(crate) const WEBHOOK_KEYS: &[&str] = &[
    "url",
    "payload",
    "custom_headers",
    "encode_as",
    "renamed_from",
];
pub(crate) const BLOCK_KEYS: &[&str] = &[
    "monitors",
    "pair",
    "notify",
    "always",
    "otherwise",
    "text",
    "delivery",
];
pub(crate) const SELECTOR_KEYS: &[&str] = &["ids", "tags", "name", "scope"];
pub(crate) const BOARD_KEYS: &[&str] = &["title", "description", "pairs", "tags"];
pub(crate) const AUTH_METHOD_KEYS: &[&str] = &[
    "access_token_url",
    "client_id",
    "client_secret",
    "audience",
    "scope",
];

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

    /// The entries of a map that holds fixed keys; unknown and repeated keys are reported.
    pub(super) fn fields<'n>(
        &mut self,
        node: &'n Node,
        what: &str,
        allowed: &[&str],
    ) -> Vec<(String, &'n Node, &'n Node)> {
        let entries = match &node.value {
            Value::Map(entries) => entries,
            Value::Null => return Vec::new(),
            _ => {
                self.wrong_type(node, what, "a map");
                return Vec::new();
            }
        };
        let mut out: Vec<(String, &Node, &Node)> = Vec::new();
        for (k, v) in entries {
            let Some(key) = self.key(k, what) else {
                continue;
            };
            if !allowed.contains(&key.as_str()) {
                let hint = suggestion(&key, allowed, "keys");
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

    /// The entries of a map of user-chosen names (`webhooks:` …). Repeated names are left in:
    /// the lowering reports every name defined twice, within a file or across files.
    pub(super) fn named<'n>(&mut self, node: &'n Node, what: &str) -> Vec<(Str, &'n Node)> {
        let entries = match &node.value {
            Value::Map(entries) => entries,
            Value::Null => return Vec::new(),
            _ => {
                self.wrong_type(node, what, "a map of names");
                return Vec::new();
            }
        };
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

    /// Decodes one file's root into `raw`.
    pub(crate) fn file(&mut self, root: &Node, raw: &mut Raw) {
        if let Value::Null = root.value {
            return;
        }
        for (key, _, v) in self.fields(root, "a manifest file", TOP_KEYS) {
            match key.as_str() {
                "version" if v.value != Value::Int(1) => {
                    self.error(
                        v.pos,
                        "`version` must be 1, the only manifest format there is",
                        None,
                    );
                }
                "custom_variables" => {
                    for (name, body) in self.named(v, "`custom_variables`") {
                        let var = self.variable(name, body);
                        raw.variables.push(var);
                    }
                }
                "webhook_pairs" => {
                    for (name, body) in self.named(v, "`webhook_pairs`") {
                        let pair = self.pair(name, body);
                        raw.pairs.push(pair);
                    }
                }
                "webhooks" => {
                    for (name, body) in self.named(v, "`webhooks`") {
                        let hook = self.webhook(name, body);
                        raw.webhooks.push(hook);
                    }
                }
                "monitor_notifications" => {
                    for (name, body) in self.named(v, "`monitor_notifications`") {
                        let block = self.block(name, body);
                        raw.blocks.push(block);
                    }
                }
                "status_boards" => {
                    for (name, body) in self.named(v, "`status_boards`") {
                        let board = self.board(name, body);
                        raw.boards.push(board);
                    }
                }
                "external_webhooks" => {
                    if let Some(names) = self.strings(v, "`external_webhooks`") {
                        raw.external.extend(names);
                    }
                }
                "webhook_auth_methods" => {
                    for (name, body) in self.named(v, "`webhook_auth_methods`") {
                        let method = self.auth_method(name, body);
                        raw.auth_methods.push(method);
                    }
                }
                "routing_tests" => {
                    for (name, body) in self.named(v, "`routing_tests`") {
                        let case = self.routing_test(name, body);
                        raw.routing_tests.push(case);
                    }
                }
                _ => {}
            }
        }
    }

    fn variable(&mut self, name: Str, body: &Node) -> RawVariable {
        let errors_before = self.errors;
        let what = format!("custom variable `{}`", name.raw);
        let mut var = RawVariable {
            name,
            value: None,
            secret: false,
            broken: false,
        };
        for (key, _, v) in self.fields(body, &what, VARIABLE_KEYS) {
            match key.as_str() {
                "value" => {
                    var.value = match &v.value {
                        Value::Str(raw) => Some(self.resolve_quietly(raw, v)),
                        _ => self.string(v, &format!("`value` of {what}")),
                    }
                }
                "secret" => var.secret = self.boolean(v, "`secret`").unwrap_or(false),
                _ => {}
            }
        }
        if let Some(value) = var
            .value
            .as_ref()
            .filter(|v| !var.secret && v.raw.contains("${env:"))
        {
            let pos = value.loc.pos;
            self.warn_plain_env(pos);
        }
        var.broken = self.errors > errors_before;
        var
    }

    fn pair(&mut self, name: Str, body: &Node) -> RawPair {
        let errors_before = self.errors;
        let what = format!("webhook pair `{}`", name.raw);
        let mut pair = RawPair {
            name,
            check: None,
            host_name: None,
            tags: None,
            api_key_variable: None,
            statuses: None,
            seed_status: true,
            broken: false,
        };
        for (key, _, v) in self.fields(body, &what, PAIR_KEYS) {
            match key.as_str() {
                "check" => pair.check = self.string(v, "`check`"),
                "host_name" => pair.host_name = self.string(v, "`host_name`"),
                "tags" => pair.tags = self.strings(v, "`tags`"),
                "api_key_variable" => pair.api_key_variable = self.string(v, "`api_key_variable`"),
                "statuses" => {
                    let mut statuses = RawStatuses {
                        alert: None,
                        recovery: None,
                        warning: None,
                        no_data: None,
                        loc: self.loc(v.pos),
                    };
                    for (skey, _, sv) in self.fields(v, "`statuses`", STATUS_KEYS) {
                        let status = self.status(sv, &skey);
                        match skey.as_str() {
                            "alert" => statuses.alert = status,
                            "recovery" => statuses.recovery = status,
                            "warning" => statuses.warning = status,
                            "no_data" => statuses.no_data = status,
                            _ => {}
                        }
                    }
                    pair.statuses = Some(statuses);
                }
                "seed_status" => {
                    pair.seed_status = self.boolean(v, "`seed_status`").unwrap_or(true);
                }
                _ => {}
            }
        }
        pair.broken = self.errors > errors_before;
        pair
    }

    fn status(&mut self, node: &Node, key: &str) -> Option<u8> {
        match node.value {
            Value::Int(n @ 0..=3) => u8::try_from(n).ok(),
            Value::Int(n) => {
                self.error(
                    node.pos,
                    format!("status `{key}: {n}` is outside 0-3"),
                    Some("check_run statuses are 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN".into()),
                );
                None
            }
            _ => {
                self.wrong_type(node, &format!("status `{key}`"), "an integer 0-3");
                None
            }
        }
    }

    fn webhook(&mut self, name: Str, body: &Node) -> RawWebhook {
        let errors_before = self.errors;
        let what = format!("webhook `{}`", name.raw);
        let mut hook = RawWebhook {
            name,
            url: None,
            payload: None,
            payload_loc: None,
            custom_headers: None,
            encode_as: None,
            renamed_from: None,
            broken: false,
        };
        for (key, _, v) in self.fields(body, &what, WEBHOOK_KEYS) {
            match key.as_str() {
                "url" => hook.url = self.string(v, "`url`"),
                "payload" => {
                    hook.payload_loc = Some(self.loc(v.pos));
                    if v.value != Value::Null {
                        if let Some(json) = self.json(v) {
                            hook.payload = Some((json, v.clone()));
                        }
                    }
                }
                "custom_headers" => hook.custom_headers = self.headers(v),
                "encode_as" => {
                    if let Some(s) = self.string(v, "`encode_as`") {
                        match s.value.as_str() {
                            "json" => hook.encode_as = Some(crate::model::EncodeAs::Json),
                            "form" => hook.encode_as = Some(crate::model::EncodeAs::Form),
                            _ => self.error(
                                v.pos,
                                format!("`encode_as` must be `json` or `form`, not `{}`", s.raw),
                                None,
                            ),
                        }
                    }
                }
                "renamed_from" => hook.renamed_from = self.string(v, "`renamed_from`"),
                _ => {}
            }
        }
        hook.broken = self.errors > errors_before;
        hook
    }

    fn headers(&mut self, node: &Node) -> Option<Vec<(Str, Str)>> {
        let Value::Map(entries) = &node.value else {
            if node.value == Value::Null {
                return None;
            }
            self.error(
                node.pos,
                format!(
                    "`custom_headers` must be a map of header names to strings, found {}",
                    node.kind()
                ),
                Some("write it as `custom_headers: {Content-Type: application/json}`".into()),
            );
            return None;
        };
        let mut out: Vec<(Str, Str)> = Vec::new();
        let mut ok = true;
        for (k, v) in entries {
            let Some(key) = self.key(k, "`custom_headers`") else {
                ok = false;
                continue;
            };
            if let Some((first, _)) = out.iter().find(|(h, _)| h.raw.eq_ignore_ascii_case(&key)) {
                let line = first.loc.pos.line;
                self.error(
                    k.pos,
                    format!("header `{key}` appears twice in `custom_headers`"),
                    Some(format!("the first one is at line {line}")),
                );
                ok = false;
                continue;
            }
            let name = Str {
                raw: key.clone(),
                value: key.clone(),
                unresolved: false,
                loc: self.loc(k.pos),
                style: k.style,
            };
            match &v.value {
                Value::Str(s) => {
                    let value = self.resolve(s, v);
                    out.push((name, value));
                }
                _ => {
                    let hint = v
                        .scalar_text()
                        .map(|t| format!("quote it to make it a string: \"{t}\""));
                    self.error(
                        v.pos,
                        format!(
                            "`custom_headers` must be a map of strings; header `{key}` is {}",
                            v.kind()
                        ),
                        hint,
                    );
                    ok = false;
                }
            }
        }
        ok.then_some(out)
    }

    /// A YAML value as JSON, strings with `${env:…}` resolved. Iterative over an explicit
    /// stack is not needed: the tree is at most [`super::yaml::MAX_DEPTH`] deep.
    fn json(&mut self, node: &Node) -> Option<serde_json::Value> {
        use serde_json::Value as J;
        Some(match &node.value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::Float(f) => match serde_json::Number::from_f64(*f) {
                Some(n) => J::Number(n),
                None => {
                    self.error(
                        node.pos,
                        "the payload holds a number JSON cannot write (infinity or NaN)",
                        None,
                    );
                    return None;
                }
            },
            Value::Str(s) => J::String(self.resolve(s, node).value),
            Value::Seq(items) => {
                let mut out = Vec::with_capacity(items.len());
                for i in items {
                    out.push(self.json(i)?);
                }
                J::Array(out)
            }
            Value::Map(entries) => {
                let mut out = serde_json::Map::new();
                for (k, v) in entries {
                    let key = self.key(k, "the payload")?;
                    if out.contains_key(&key) {
                        self.error(
                            k.pos,
                            format!("key `{key}` appears twice in the payload"),
                            None,
                        );
                        return None;
                    }
                    let value = self.json(v)?;
                    out.insert(key, value);
                }
                J::Object(out)
            }
        })
    }

    fn block(&mut self, name: Str, body: &Node) -> RawBlock {
        let errors_before = self.errors;
        let what = format!("notification block `{}`", name.raw);
        let mut block = RawBlock {
            name,
            monitors: None,
            pair: None,
            notify: Vec::new(),
            text: None,
            text_key: None,
            delivery: Delivery::default(),
            always: None,
            otherwise: None,
            broken: false,
        };
        for (key, k, v) in self.fields(body, &what, BLOCK_KEYS) {
            match key.as_str() {
                "monitors" => block.monitors = Some(self.selector(v)),
                "pair" => block.pair = self.string(v, "`pair`"),
                "notify" => {
                    let entries = match &v.value {
                        Value::Map(entries) => entries.as_slice(),
                        Value::Null => &[],
                        _ => {
                            self.wrong_type(v, "`notify`", "a map of conditions to handles");
                            &[]
                        }
                    };
                    for (k, hv) in entries {
                        let Some(cond) = self.key(k, "`notify`") else {
                            continue;
                        };
                        let cond = Str {
                            raw: cond.clone(),
                            value: cond,
                            unresolved: false,
                            loc: self.loc(k.pos),
                            style: k.style,
                        };
                        let handles = self.handles(hv, &format!("the handles of `{}`", cond.raw));
                        block.notify.push((cond, handles));
                    }
                }
                "always" | "otherwise" => {
                    let handles = self.handles(v, &format!("`{key}`"));
                    let at = self.loc(k.pos);
                    if key == "always" {
                        block.always = Some((at, handles));
                    } else {
                        block.otherwise = Some((at, handles));
                    }
                }
                "text" => {
                    block.text_key = Some(self.loc(k.pos));
                    block.text = self.string(v, "`text`");
                }
                "delivery" => {
                    if let Some(delivery) = self.delivery(v) {
                        block.delivery = delivery;
                    }
                }
                _ => {}
            }
        }
        block.broken = self.errors > errors_before;
        block
    }

    fn board(&mut self, name: Str, body: &Node) -> RawBoard {
        let errors_before = self.errors;
        let what = format!("status board `{}`", name.raw);
        let mut board = RawBoard {
            name,
            title: None,
            description: None,
            pairs: None,
            pairs_key: None,
            tags: None,
            broken: false,
        };
        for (key, k, v) in self.fields(body, &what, BOARD_KEYS) {
            match key.as_str() {
                "title" => board.title = self.string(v, "`title`"),
                "description" => board.description = self.string(v, "`description`"),
                "pairs" => {
                    board.pairs_key = Some(self.loc(k.pos));
                    board.pairs = self.strings(v, "`pairs`");
                }
                "tags" => board.tags = self.strings(v, "`tags`"),
                _ => {}
            }
        }
        board.broken = self.errors > errors_before;
        board
    }

    /// Handles as a list, or as one string of them separated by spaces.
    pub(super) fn handles(&mut self, node: &Node, what: &str) -> Vec<Str> {
        match &node.value {
            Value::Str(_) => self
                .string(node, "handles")
                .map(|s| split_handles(&s))
                .unwrap_or_default(),
            _ => self.strings(node, what).unwrap_or_default(),
        }
    }

    fn auth_method(&mut self, name: Str, body: &Node) -> RawAuthMethod {
        let errors_before = self.errors;
        let what = format!("webhook auth method `{}`", name.raw);
        let mut method = RawAuthMethod {
            name,
            access_token_url: None,
            client_id: None,
            client_secret: None,
            audience: None,
            scope: None,
            broken: false,
        };
        for (key, _, v) in self.fields(body, &what, AUTH_METHOD_KEYS) {
            match key.as_str() {
                "access_token_url" => {
                    method.access_token_url = self.string(v, "`access_token_url`")
                }
                "client_id" => method.client_id = self.string(v, "`client_id`"),
                "client_secret" => {
                    // Resolved without echoing: an unresolved or literal secret is the
                    // lowering's to report, and nothing of the value is ever printed.
                    method.client_secret = match &v.value {
                        Value::Str(raw) => Some(self.resolve_quietly(raw, v)),
                        _ => self.string(v, &format!("`client_secret` of {what}")),
                    }
                }
                "audience" => method.audience = self.string(v, "`audience`"),
                "scope" => method.scope = self.string(v, "`scope`"),
                _ => {}
            }
        }
        method.broken = self.errors > errors_before;
        method
    }

    /// `delivery: message|rule`; anything else is reported with the closest spelling.
    fn delivery(&mut self, node: &Node) -> Option<Delivery> {
        let s = self.string(node, "`delivery`")?;
        let delivery = Delivery::parse(&s.value);
        if delivery.is_none() {
            self.error(
                node.pos,
                format!("`delivery` must be `message` or `rule`, not `{}`", s.raw),
                Some(suggestion(&s.value, &Delivery::NAMES, "deliveries")),
            );
        }
        delivery
    }

    pub(super) fn selector(&mut self, node: &Node) -> RawSelector {
        let mut sel = RawSelector {
            ids: Vec::new(),
            ids_key: None,
            tags: Vec::new(),
            tags_key: None,
            name: None,
            name_key: None,
            scope: None,
            scope_key: None,
            loc: self.loc(node.pos),
        };
        for (key, k, v) in self.fields(node, "`monitors`", SELECTOR_KEYS) {
            let at = Some(self.loc(k.pos));
            match key.as_str() {
                "ids" => {
                    sel.ids_key = at;
                    match &v.value {
                        Value::Seq(items) => {
                            for i in items {
                                match i.value {
                                    Value::Int(id) => sel.ids.push(id),
                                    _ => self.wrong_type(i, "each monitor id", "an integer"),
                                }
                            }
                        }
                        Value::Int(id) => sel.ids.push(*id),
                        Value::Null => {}
                        _ => self.wrong_type(v, "`ids`", "a list of monitor ids"),
                    }
                }
                "tags" => {
                    sel.tags_key = at;
                    sel.tags = self.strings(v, "`tags`").unwrap_or_default();
                }
                "name" => {
                    sel.name_key = at;
                    sel.name = self.string(v, "`name`");
                }
                "scope" => {
                    sel.scope_key = at;
                    sel.scope = self.string(v, "`scope`");
                }
                _ => {}
            }
        }
        sel
    }
}

/// `"@a @b"` written as one string: each whitespace-separated word is a handle, each with
/// the string's position.
fn split_handles(s: &Str) -> Vec<Str> {
    s.value
        .split_whitespace()
        .map(|h| Str {
            raw: h.to_string(),
            value: h.to_string(),
            unresolved: s.unresolved,
            loc: s.loc,
            style: s.style,
        })
        .collect()
}

#[cfg(test)]
mod tests {
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
