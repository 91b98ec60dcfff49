//! `ddhooks import`, its pure part: what exists in Datadog (webhooks, custom variables,
//! monitors) into manifest text, plus a report of what could not be taken over as is.
//!
//! - Webhooks named `<g>-alert-check`/`<g>-ok-check` (optionally `-warning-check`,
//!   `-no-data-check`) become one `webhook_pairs` entry when lowering that entry gives what
//!   exists (checked with the manifest loader and the planner's own equality); otherwise they
//!   are written in full, and the pitfalls that keep them from being a pair are reported with
//!   the lint's fix.
//! - Condition lines people pasted into monitors (outside ddhooks' markers) become
//!   `monitor_notifications` entries, which the planner then adopts in place.
//! - Notification rules (`rules`), the blocks ddhooks already manages (`blocks`) and status
//!   boards (`boards`) become `monitor_notifications` and `status_boards` entries when their
//!   entry lowers to exactly what exists; the others are findings. Each kind is one emitter
//!   over its part of [`Found`] (see `entries`).
//! - No secret enters the text: secret variables, credential-named variables and credentials
//!   found in urls, headers and payloads (by [`crate::mask`]'s rules) are written as
//!   `${env:NAME}`, and the environment variables to set are returned by name.
//!
//! The result is loaded back with the manifest loader before it is returned, so it is
//! always valid and the planner's view of it is checked against what exists.

use crate::manifest::lint::{
    datadog_site_of, key_in_query, CHECK_RUN_SHAPE, FIX_ALERT_TITLE, FIX_KEY_IN_QUERY,
    FIX_OTHER_SITE, FIX_TAGS_LIST, MSG_ALERT_TITLE, MSG_KEY_IN_QUERY,
};
use crate::manifest::{self, Diagnostics, LoadOptions, MissingEnv, Source};
use crate::mask::{
    is_credential_name, is_variable_reference, map_json_leaves, map_url_credentials, UrlCredential,
    AUTH_SCHEMES,
};
use crate::model::{
    default_webhook_payload, Condition, NotifyRule, Remote, RemoteMonitor, RemoteVariable,
    RemoteWebhook, Secret, SectionCondition,
};
use crate::plan::webhook_matches;
use crate::template;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::{self, Write as _};
use std::path::PathBuf;

/// A pair's webhook suffixes, the condition that fires each, and the default status.
const SUFFIXES: [(&str, Condition, &str); 4] = [
    ("alert-check", Condition::IsAlert, "alert"),
    ("ok-check", Condition::IsRecovery, "recovery"),
    ("warning-check", Condition::IsWarning, "warning"),
    ("no-data-check", Condition::IsNoData, "no_data"),
];

/// Words in a custom variable's name that make it a credential (as the linter sees it).
const SECRET_WORDS: &[&str] = &["KEY", "TOKEN", "PASSWORD", "SECRET"];

mod auth_methods;
mod blocks;
mod boards;
mod entries;
mod rules;

/// What import found in Datadog.
#[derive(Debug, Clone, Default)]
pub struct Found {
    /// The webhooks and custom variables that exist (by name), every monitor, every
    /// notification rule, every dashboard's title (`dashboards`) and the dashboards read in
    /// full (`status_boards`: those the registry names and those that may show pairs).
    pub remote: Remote,
    /// The dashboard ids the registry names as status boards, so that a board ddhooks made
    /// is considered even when it no longer counts an imported pair.
    pub owned_boards: BTreeSet<String>,
    /// Webhook names that were looked up but do not exist, with the monitors that mention
    /// them (empty for a name given with `--webhook`).
    pub missing_webhooks: BTreeMap<String, BTreeSet<i64>>,
    /// Custom variable names that were looked up but do not exist, with the webhooks that
    /// reference them (empty for a name given with `--variable`).
    pub missing_variables: BTreeMap<String, BTreeSet<String>>,
}

/// How to import.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// The configured Datadog site (pairs call `https://api.<site>`).
    pub site: String,
    /// Write every pair candidate as a `webhook_pairs` entry, even when that changes what
    /// the webhooks send (the next plan shows the fix as a diff).
    pub as_pairs: bool,
}

impl Default for ImportOptions {
    /// Site `datadoghq.com`, pairs only when exact.
    fn default() -> Self {
        ImportOptions {
            site: manifest::DEFAULT_SITE.to_string(),
            as_pairs: false,
        }
    }
}

/// An environment variable the manifest reads with `${env:NAME}`.
#[derive(Clone, PartialEq, Eq)]
pub struct EnvVar {
    /// The value found in Datadog; `None` for a secret custom variable, whose value Datadog
    /// never returns.
    pub value: Option<Secret>,
    /// What it holds, for the user (names only, never a value).
    pub purpose: String,
}

impl fmt::Debug for EnvVar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnvVar")
            .field("value", &self.value.as_ref().map(|_| "(sensitive)"))
            .field("purpose", &self.purpose)
            .finish()
    }
}

/// What kind of finding a report line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FindingKind {
    /// A name that is mentioned (or was asked for) but does not exist.
    Missing,
    /// A pitfall of the by-hand setup that keeps webhooks from being a pair.
    Pitfall,
    /// Anything else worth knowing.
    Note,
}

/// One line of the report: never a value, only names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Its kind.
    pub kind: FindingKind,
    /// The object it is about (`webhook x`, `webhook pair g`, `monitor 12`, …).
    pub subject: String,
    /// What was found.
    pub message: String,
    /// How to fix it, when there is a fix.
    pub fix: Option<String>,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            FindingKind::Missing => "missing",
            FindingKind::Pitfall => "pitfall",
            FindingKind::Note => "note",
        };
        write!(f, "{kind}: {}: {}", self.subject, self.message)?;
        if let Some(fix) = &self.fix {
            write!(f, "\n  fix: {fix}")?;
        }
        Ok(())
    }
}

/// The manifest text and everything the user should know about it.
#[derive(Debug, Clone)]
pub struct Imported {
    /// The manifest (YAML), valid for the loader.
    pub manifest: String,
    /// The environment variables the manifest reads, by name.
    pub env: BTreeMap<String, EnvVar>,
    /// What could not be taken over as is, what is missing, and why.
    pub findings: Vec<Finding>,
    /// How many objects of each kind were written: variables, webhooks, pairs, blocks.
    pub counts: Counts,
}

/// How many entries of each kind the manifest holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// `custom_variables` entries.
    pub variables: usize,
    /// `webhooks` entries.
    pub webhooks: usize,
    /// `webhook_pairs` entries.
    pub pairs: usize,
    /// `monitor_notifications` entries delivered in messages (hand lines and managed blocks).
    pub blocks: usize,
    /// `monitor_notifications` entries delivered as notification rules.
    pub rules: usize,
    /// `status_boards` entries.
    pub boards: usize,
    /// `webhook_auth_methods` entries.
    pub auth_methods: usize,
}

/// Why import could not produce manifests.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The generated text does not load: a bug in import, reported with every problem.
    #[error("the imported manifest does not load (a bug in ddhooks import: please report it); nothing was written:\n{0}")]
    Invalid(Diagnostics),
    /// A value found in Datadog would have been written into the file.
    #[error("a credential of {0} would have been written into the manifest (a bug in ddhooks import: please report it); nothing was written")]
    SecretInOutput(String),
}

pub use rules::webhooks_named_by_rules;

/// Every webhook name the monitors' messages mention (`@webhook-NAME`), with the monitors
/// mentioning it.
pub fn mentioned_webhooks<'a>(
    monitors: impl IntoIterator<Item = &'a RemoteMonitor>,
) -> BTreeMap<String, BTreeSet<i64>> {
    let mut out: BTreeMap<String, BTreeSet<i64>> = BTreeMap::new();
    for m in monitors {
        for name in template::webhook_mentions(&m.message) {
            match out.get_mut(name) {
                Some(ids) => {
                    ids.insert(m.id);
                }
                None => {
                    out.insert(name.to_string(), BTreeSet::from([m.id]));
                }
            }
        }
    }
    out
}

/// Every handle (without `@`) the monitors' messages and the notification rules name, with
/// the monitors naming it (none for a rule's): what import checks against the org.
pub fn mentioned_handles(remote: &crate::model::Remote) -> BTreeMap<String, BTreeSet<i64>> {
    use rayon::prelude::*;
    // Each message evaluated on every transition: on every core.
    let monitors: Vec<&RemoteMonitor> = remote.monitors.values().collect();
    let sent: Vec<(i64, Vec<template::SentHandle>)> = monitors
        .par_iter()
        .map(|m| (m.id, crate::routing::handles_sent(&m.message)))
        .collect();
    let mut out: BTreeMap<String, BTreeSet<i64>> = BTreeMap::new();
    for (id, handles) in sent {
        for h in handles {
            out.entry(h.name).or_default().insert(id);
        }
    }
    for r in remote.notification_rules.values() {
        for h in r.rule.recipients.handles() {
            out.entry(h.to_string()).or_default();
        }
    }
    out
}

/// The custom variables (`$NAME`, not Datadog's built-ins) the webhooks reference in their
/// url, header values and payload, with the webhooks referencing each.
pub fn referenced_variables<'a>(
    webhooks: impl IntoIterator<Item = &'a RemoteWebhook>,
) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for w in webhooks {
        let mut texts: Vec<&str> = vec![&w.url];
        texts.extend(w.custom_headers.iter().flatten().map(|(_, v)| v.as_str()));
        let mut todo: Vec<&Value> = w.payload.iter().collect();
        while let Some(v) = todo.pop() {
            match v {
                Value::String(s) => texts.push(s),
                Value::Array(items) => todo.extend(items),
                Value::Object(map) => todo.extend(map.values()),
                _ => {}
            }
        }
        for text in texts {
            for var in template::scan_variables(text) {
                if template::is_builtin(&var.name) {
                    continue;
                }
                out.entry(var.name).or_default().insert(w.name.clone());
            }
        }
    }
    out
}

/// Whether `name` can be written as a webhook (or pair, or block) name.
pub fn is_valid_webhook_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Whether `name` can be written as a custom variable name.
pub fn is_valid_variable_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// `s` as a YAML double-quoted scalar: JSON's escapes (a JSON string is a valid YAML
/// double-quoted scalar), plus `\u` escapes for what YAML does not allow unescaped.
pub fn yaml_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if yaml_printable(c) => out.push(c),
            c if (c as u32) <= 0xffff => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => {
                let _ = write!(out, "\\U{:08x}", c as u32);
            }
        }
    }
    out.push('"');
    out
}

/// YAML's printable characters (`c-printable`), minus the byte-order mark.
fn yaml_printable(c: char) -> bool {
    matches!(c as u32, 0x20..=0x7e | 0x85 | 0xa0..=0xd7ff | 0xe000..=0xfefe | 0xff00..=0xfffd | 0x10000..=0x10ffff)
}

/// A mapping key: plain when it is a simple word, quoted otherwise.
fn yaml_key(s: &str) -> String {
    let plain = s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && !matches!(
            s.to_ascii_lowercase().as_str(),
            "true" | "false" | "null" | "yes" | "no" | "on" | "off" | "y" | "n"
        );
    if plain {
        s.to_string()
    } else {
        yaml_string(s)
    }
}

/// A JSON value as YAML flow text (strings quoted by [`yaml_string`]).
fn yaml_flow(value: &Value) -> String {
    enum Work<'v> {
        Value(&'v Value),
        Text(&'static str),
        Key(&'v str),
    }
    let mut out = String::new();
    let mut todo = vec![Work::Value(value)];
    while let Some(w) = todo.pop() {
        match w {
            Work::Text(t) => out.push_str(t),
            Work::Key(k) => {
                out.push_str(&yaml_string(k));
                out.push_str(": ");
            }
            Work::Value(Value::String(s)) => out.push_str(&yaml_string(s)),
            Work::Value(Value::Null) => out.push_str("null"),
            Work::Value(Value::Bool(b)) => out.push_str(if *b { "true" } else { "false" }),
            Work::Value(Value::Number(n)) => out.push_str(&n.to_string()),
            Work::Value(Value::Array(items)) => {
                todo.push(Work::Text("]"));
                for (i, item) in items.iter().enumerate().rev() {
                    todo.push(Work::Value(item));
                    if i > 0 {
                        todo.push(Work::Text(", "));
                    }
                }
                todo.push(Work::Text("["));
            }
            Work::Value(Value::Object(map)) => {
                todo.push(Work::Text("}"));
                let entries: Vec<_> = map.iter().collect();
                for (i, (k, v)) in entries.into_iter().enumerate().rev() {
                    todo.push(Work::Value(v));
                    todo.push(Work::Key(k));
                    if i > 0 {
                        todo.push(Work::Text(", "));
                    }
                }
                todo.push(Work::Text("{"));
            }
        }
    }
    out
}

/// A comment line's text: one line, no control characters.
fn comment(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// `NAME_LIKE_THIS` from any text: upper case, `_` between words, never starting with a
/// digit.
fn env_name(parts: &[&str]) -> String {
    let mut out = String::new();
    for part in parts {
        for c in part.chars() {
            if c.is_ascii_alphanumeric() {
                out.push(c.to_ascii_uppercase());
            } else if !out.ends_with('_') && !out.is_empty() {
                out.push('_');
            }
        }
        if !out.ends_with('_') && !out.is_empty() {
            out.push('_');
        }
    }
    let out = out.trim_end_matches('_').to_string();
    match out.chars().next() {
        None => "IMPORTED_SECRET".into(),
        Some(c) if c.is_ascii_digit() => format!("X_{out}"),
        Some(_) => out,
    }
}

/// The environment variables being allocated: one name per distinct credential.
#[derive(Default)]
struct EnvAlloc {
    vars: BTreeMap<String, EnvVar>,
}

impl EnvAlloc {
    /// `${env:NAME}` for `value`, reusing a name already holding the same value.
    fn credential(&mut self, wanted: &str, value: &str, purpose: String) -> String {
        if let Some((name, var)) = self
            .vars
            .iter_mut()
            .find(|(_, v)| v.value.as_ref().is_some_and(|s| s.expose() == value))
        {
            if !var.purpose.contains(&purpose) {
                var.purpose.push_str("; ");
                var.purpose.push_str(&purpose);
            }
            return format!("${{env:{name}}}");
        }
        let name = self.free_name(wanted);
        self.vars.insert(
            name.clone(),
            EnvVar {
                value: Some(Secret::new(value)),
                purpose,
            },
        );
        format!("${{env:{name}}}")
    }

    /// How the imported text is loaded back: the site of `options`, a missing variable an
    /// error, and each variable's value found (a stand-in for one Datadog never returns).
    fn load_options(&self, options: &ImportOptions) -> LoadOptions {
        let values: BTreeMap<String, String> = self
            .vars
            .iter()
            .map(|(k, v)| {
                let value = v.value.as_ref().map_or("unknown", |s| s.expose());
                (k.clone(), value.to_string())
            })
            .collect();
        LoadOptions {
            site: options.site.clone(),
            missing_env: MissingEnv::Error,
            ..LoadOptions::default()
        }
        .with_env_map(values)
    }

    /// `${env:NAME}` for a value that cannot be read (a secret variable).
    fn unknown(&mut self, wanted: &str, purpose: String) -> String {
        let name = self.free_name(wanted);
        self.vars.insert(
            name.clone(),
            EnvVar {
                value: None,
                purpose,
            },
        );
        format!("${{env:{name}}}")
    }

    fn free_name(&self, wanted: &str) -> String {
        let base = env_name(&[wanted]);
        if !self.vars.contains_key(&base) {
            return base;
        }
        (2..)
            .map(|n| format!("{base}_{n}"))
            .find(|n| !self.vars.contains_key(n))
            .unwrap_or(base)
    }
}

/// Whether a credential value must be replaced (as [`crate::mask`] would mask it).
fn is_literal_credential(value: &str) -> bool {
    let env_ref =
        value.starts_with("${env:") && value.ends_with('}') && value.matches('}').count() == 1;
    !value.is_empty() && !is_variable_reference(value) && !env_ref
}

/// Replaces the credentials of a url (userinfo password, credential query parameters) by
/// `${env:…}`; every other byte is kept.
fn scrub_url(url: &str, owner: &str, env: &mut EnvAlloc) -> String {
    let datadog = datadog_site_of(url).is_some();
    map_url_credentials(url, |place, value| {
        if !is_literal_credential(value) {
            return None;
        }
        Some(match place {
            UrlCredential::Password => env.credential(
                &format!("{owner}_PASSWORD"),
                value,
                format!("the password in the url of {owner}"),
            ),
            UrlCredential::Query(name) => {
                let lower = name.to_ascii_lowercase();
                let compact: String = lower.chars().filter(|c| c.is_alphanumeric()).collect();
                let wanted = match compact.as_str() {
                    "apikey" | "ddapikey" if datadog => "DD_API_KEY".to_string(),
                    "appkey" | "applicationkey" | "ddapplicationkey" if datadog => {
                        "DD_APP_KEY".to_string()
                    }
                    _ => env_name(&[owner, &lower]),
                };
                env.credential(&wanted, value, format!("`{lower}` in the url of {owner}"))
            }
        })
    })
    .into_owned()
}

/// Free text (a header value, a payload string): urls' credentials and the token after
/// `Bearer`/`Basic` replaced by `${env:…}`, every other byte kept.
fn scrub_text(text: &str, owner: &str, what: &str, env: &mut EnvAlloc) -> String {
    let lower = text.to_ascii_lowercase();
    if !text.contains("://")
        && !text.contains('=')
        && !lower.contains("bearer ")
        && !lower.contains("basic ")
    {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut words = text.split_inclusive(char::is_whitespace);
    while let Some(word) = words.next() {
        let trimmed = word.trim_end();
        let space = &word[trimmed.len()..];
        if trimmed.contains("://") || (trimmed.contains('=') && trimmed.contains('?')) {
            out.push_str(&scrub_url(trimmed, owner, env));
        } else {
            out.push_str(trimmed);
        }
        out.push_str(space);
        if AUTH_SCHEMES[..2].contains(&trimmed.to_ascii_lowercase().as_str()) {
            if let Some(next) = words.next() {
                let token = next.trim_end();
                if is_literal_credential(token) {
                    out.push_str(&env.credential(
                        &env_name(&[owner, what]),
                        token,
                        format!("the token in {what} of {owner}"),
                    ));
                } else {
                    out.push_str(token);
                }
                out.push_str(&next[token.len()..]);
            }
        }
    }
    out
}

/// A header value with its credential replaced: the whole value of a credential-named
/// header (after an auth scheme word), urls and bearer tokens of any other.
fn scrub_header(name: &str, value: &str, owner: &str, env: &mut EnvAlloc) -> String {
    if !is_credential_name(name) {
        return scrub_text(value, owner, name, env);
    }
    if !is_literal_credential(value) {
        return value.to_string();
    }
    let wanted = if name.eq_ignore_ascii_case("dd-api-key") {
        "DD_API_KEY".to_string()
    } else if name.eq_ignore_ascii_case("dd-application-key") {
        "DD_APP_KEY".to_string()
    } else {
        env_name(&[owner, name])
    };
    let purpose = format!("header `{name}` of {owner}");
    let trimmed = value.trim_start();
    let lead = &value[..value.len() - trimmed.len()];
    if let Some((scheme, token)) = trimmed.split_once(' ') {
        if AUTH_SCHEMES.contains(&scheme.to_ascii_lowercase().as_str()) {
            let token_trimmed = token.trim();
            if is_literal_credential(token_trimmed) {
                let start = token.len() - token.trim_start().len();
                let end = start + token_trimmed.len();
                return format!(
                    "{lead}{scheme} {}{}{}",
                    &token[..start],
                    env.credential(&wanted, token_trimmed, purpose),
                    &token[end..]
                );
            }
            return value.to_string();
        }
    }
    env.credential(&wanted, value, purpose)
}

/// A payload with credentials replaced: every string under a credential key (at any depth),
/// urls and bearer tokens in other strings. Numbers under credential keys become
/// `${env:…}` strings (reported: the payload's type changes).
fn scrub_payload(
    value: &Value,
    owner: &str,
    env: &mut EnvAlloc,
    findings: &mut Vec<Finding>,
) -> Value {
    map_json_leaves(value, |leaf, credential_key| match (leaf, credential_key) {
        (Value::String(s), Some(key)) if is_literal_credential(s) => Value::String(env.credential(
            &env_name(&[owner, key]),
            s,
            format!("`{key}` in the payload of {owner}"),
        )),
        (Value::String(s), _) => Value::String(scrub_text(s, owner, "payload", env)),
        (Value::Number(n), Some(key)) => {
            findings.push(Finding {
                kind: FindingKind::Note,
                subject: format!("webhook {owner}"),
                message: format!("the number under `{key}` in the payload is a credential; it is written as a string read from the environment, so the plan shows the payload as changed"),
                fix: Some("keep credentials in a secret custom variable and send `$NAME`".into()),
            });
            Value::String(env.credential(
                &env_name(&[owner, key]),
                &n.to_string(),
                format!("`{key}` in the payload of {owner}"),
            ))
        }
        (other, _) => other.clone(),
    })
}

/// A webhook with its credentials replaced by `${env:…}`.
struct Scrubbed {
    url: String,
    headers: Option<BTreeMap<String, String>>,
    payload: Option<Value>,
}

fn scrub_webhook(w: &RemoteWebhook, env: &mut EnvAlloc, findings: &mut Vec<Finding>) -> Scrubbed {
    let url = scrub_url(&w.url, &w.name, env);
    let headers = w.custom_headers.as_ref().map(|h| {
        h.iter()
            .map(|(k, v)| (k.clone(), scrub_header(k, v, &w.name, env)))
            .collect()
    });
    let payload = match &w.payload {
        Some(p) if *p == default_webhook_payload() => None,
        Some(p) => Some(scrub_payload(p, &w.name, env, findings)),
        None => None,
    };
    Scrubbed {
        url,
        headers,
        payload,
    }
}

/// A pair as it would be written.
#[derive(Debug, Clone, PartialEq)]
struct PairEntry {
    name: String,
    check: String,
    host_name: String,
    tags: Vec<String>,
    api_key_variable: String,
    /// `(statuses key, status)` for each present webhook, in the suffixes' order.
    statuses: Vec<(&'static str, u8)>,
}

impl PairEntry {
    fn webhooks(&self) -> Vec<String> {
        SUFFIXES
            .iter()
            .filter(|(_, _, key)| self.statuses.iter().any(|(k, _)| k == key))
            .map(|(suffix, _, _)| format!("{}-{suffix}", self.name))
            .collect()
    }

    /// The rules of the pair's block, as the loader makes them.
    fn rules(&self) -> Vec<NotifyRule> {
        SUFFIXES
            .iter()
            .filter(|(_, _, key)| self.statuses.iter().any(|(k, _)| k == key))
            .map(|(suffix, condition, _)| NotifyRule {
                when: SectionCondition {
                    condition: *condition,
                    negated: false,
                },
                handles: vec![format!("@webhook-{}-{suffix}", self.name)],
            })
            .collect()
    }

    fn write(&self, out: &mut String) {
        let _ = writeln!(out, "  {}:", yaml_key(&self.name));
        let _ = writeln!(out, "    check: {}", yaml_string(&self.check));
        if self.host_name != "$HOSTNAME" {
            let _ = writeln!(out, "    host_name: {}", yaml_string(&self.host_name));
        }
        let tags: Vec<String> = self.tags.iter().map(|t| yaml_string(t)).collect();
        let _ = writeln!(out, "    tags: [{}]", tags.join(", "));
        if self.api_key_variable != "DD_API_KEY" {
            let _ = writeln!(out, "    api_key_variable: {}", self.api_key_variable);
        }
        let default = [("alert", 2u8), ("recovery", 0u8)];
        if self.statuses != default {
            let _ = writeln!(out, "    statuses:");
            for (key, status) in &self.statuses {
                let _ = writeln!(out, "      {key}: {status}");
            }
        }
    }
}

/// The check run a webhook sends, read leniently (one object or a list of them; tags as a
/// list or one string).
struct CheckRun {
    check: Option<String>,
    status: Option<u8>,
    host_name: Option<String>,
    tags: Option<Vec<String>>,
}

fn check_run_of(payload: Option<&Value>) -> Option<CheckRun> {
    let object = match payload? {
        Value::Array(items) => items.first()?.as_object()?,
        Value::Object(map) => map,
        _ => return None,
    };
    let tags = match object.get("tags") {
        Some(Value::Array(items)) => items
            .iter()
            .map(|t| t.as_str().map(str::to_string))
            .collect::<Option<Vec<_>>>(),
        Some(Value::String(s)) => Some(vec![s.clone()]),
        _ => None,
    };
    Some(CheckRun {
        check: object
            .get("check")
            .and_then(Value::as_str)
            .map(str::to_string),
        status: object
            .get("status")
            .and_then(Value::as_u64)
            .and_then(|n| u8::try_from(n).ok()),
        host_name: object
            .get("host_name")
            .and_then(Value::as_str)
            .map(str::to_string),
        tags,
    })
}

/// What import decided about one pair candidate.
struct PairCandidate {
    entry: Option<PairEntry>,
    exact: bool,
    pitfalls: Vec<Finding>,
}

/// The pitfalls of one webhook of a pair candidate (the guide's, as the linter words them).
fn pitfalls_of(w: &RemoteWebhook, site: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if key_in_query(&w.url) {
        out.push((MSG_KEY_IN_QUERY.to_string(), FIX_KEY_IN_QUERY.to_string()));
    }
    if let Some(called) = datadog_site_of(&w.url) {
        if called != site {
            out.push((
                format!("the url hard-codes the host of Datadog site `{called}`, but the configured site is `{site}`"),
                FIX_OTHER_SITE.to_string(),
            ));
        }
    }
    match &w.payload {
        Some(Value::Array(_)) => {}
        Some(other) => out.push((
            format!(
                "check_run takes a list of check runs; this payload is {}",
                match other {
                    Value::Object(_) => "one object",
                    Value::String(_) => "text",
                    _ => "not a list",
                }
            ),
            format!("wrap it in a list: {CHECK_RUN_SHAPE}"),
        )),
        None => out.push((
            "the webhook calls check_run with Datadog's default payload".into(),
            format!("send {CHECK_RUN_SHAPE}"),
        )),
    }
    let first = match &w.payload {
        Some(Value::Array(items)) => items.first(),
        other => other.as_ref(),
    };
    if let Some(tags) = first.and_then(|p| p.get("tags")) {
        if tags.is_string() {
            out.push((
                "check_run `tags` must be a list of strings, found a string".into(),
                FIX_TAGS_LIST.to_string(),
            ));
        }
        if tags.to_string().contains("$ALERT_TITLE") {
            out.push((MSG_ALERT_TITLE.to_string(), FIX_ALERT_TITLE.to_string()));
        }
    }
    out
}

/// Whether `suffix`'s webhook of group `g` exists.
fn pair_groups(webhooks: &BTreeMap<String, RemoteWebhook>) -> BTreeSet<String> {
    webhooks
        .keys()
        .filter_map(|n| n.strip_suffix("-alert-check"))
        .filter(|g| webhooks.contains_key(&format!("{g}-ok-check")))
        .filter(|g| is_valid_webhook_name(g))
        .map(str::to_string)
        .collect()
}

/// Lowers `entry` with the manifest loader and compares each generated webhook with what
/// exists, as the planner does.
fn lowers_to(
    entry: &PairEntry,
    webhooks: &BTreeMap<String, RemoteWebhook>,
    options: &ImportOptions,
) -> bool {
    let mut text = String::from("custom_variables:\n");
    let _ = writeln!(
        text,
        "  {}: {{value: x, secret: true}}\nwebhook_pairs:",
        entry.api_key_variable
    );
    entry.write(&mut text);
    let load = LoadOptions {
        site: options.site.clone(),
        ..LoadOptions::default()
    };
    let Ok(loaded) = manifest::load_sources(
        &[Source {
            path: PathBuf::from("pair.yaml"),
            text,
        }],
        &load,
    ) else {
        return false;
    };
    let names = entry.webhooks();
    loaded.desired.webhooks.len() == names.len()
        && names.iter().all(
            |n| match (loaded.desired.webhooks.get(n), webhooks.get(n)) {
                (Some(want), Some(have)) => webhook_matches(want, have),
                _ => false,
            },
        )
}

fn analyze_pair(
    g: &str,
    webhooks: &BTreeMap<String, RemoteWebhook>,
    options: &ImportOptions,
) -> PairCandidate {
    let present: Vec<(&'static str, &'static str, &RemoteWebhook)> = SUFFIXES
        .iter()
        .filter_map(|(suffix, _, key)| {
            webhooks
                .get(&format!("{g}-{suffix}"))
                .map(|w| (*suffix, *key, w))
        })
        .collect();
    let mut pitfalls: Vec<Finding> = Vec::new();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    for (_, _, w) in &present {
        for (message, fix) in pitfalls_of(w, &options.site) {
            if seen.insert(message.clone()) {
                let names: Vec<&str> = present
                    .iter()
                    .filter(|(_, _, o)| {
                        pitfalls_of(o, &options.site)
                            .iter()
                            .any(|(m, _)| *m == message)
                    })
                    .map(|(_, _, o)| o.name.as_str())
                    .collect();
                pitfalls.push(Finding {
                    kind: FindingKind::Pitfall,
                    subject: format!("webhooks {}", names.join(", ")),
                    message,
                    fix: Some(fix),
                });
            }
        }
    }
    let runs: Vec<Option<CheckRun>> = present
        .iter()
        .map(|(_, _, w)| check_run_of(w.payload.as_ref()))
        .collect();
    let first = runs.iter().flatten().next();
    let check = first.and_then(|r| r.check.clone());
    let same_check = runs
        .iter()
        .all(|r| r.as_ref().and_then(|r| r.check.as_ref()) == check.as_ref());
    let statuses: Option<Vec<(&'static str, u8)>> = present
        .iter()
        .zip(&runs)
        .map(|((_, key, _), run)| run.as_ref().and_then(|r| r.status).map(|s| (*key, s)))
        .collect();
    let api_key_variable = present
        .iter()
        .find_map(|(_, _, w)| {
            let value = w
                .custom_headers
                .as_ref()?
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("dd-api-key"))?
                .1;
            let refs = template::scan_variables(value);
            match refs.as_slice() {
                [only] if only.range == (0..value.len()) && !template::is_builtin(&only.name) => {
                    Some(only.name.clone())
                }
                _ => None,
            }
        })
        .unwrap_or_else(|| "DD_API_KEY".to_string());
    let entry = match (check, statuses, same_check) {
        (Some(check), Some(statuses), true) => Some(PairEntry {
            name: g.to_string(),
            check,
            host_name: first
                .and_then(|r| r.host_name.clone())
                .unwrap_or_else(|| "$HOSTNAME".into()),
            tags: first
                .and_then(|r| r.tags.clone())
                .unwrap_or_else(|| vec!["monitor_id:$ALERT_ID".into()]),
            api_key_variable,
            statuses,
        }),
        (_, _, false) => {
            pitfalls.push(Finding {
                kind: FindingKind::Pitfall,
                subject: format!("webhook pair {g}"),
                message: "its webhooks report different checks".into(),
                fix: Some(
                    "a pair reports one check; give every webhook of the group the same `check`"
                        .into(),
                ),
            });
            None
        }
        _ => {
            pitfalls.push(Finding {
                kind: FindingKind::Pitfall,
                subject: format!("webhook pair {g}"),
                message: "its payloads do not say which check and status they report".into(),
                fix: Some(format!("send {CHECK_RUN_SHAPE}")),
            });
            None
        }
    };
    let exact = entry
        .as_ref()
        .is_some_and(|e| lowers_to(e, webhooks, options));
    if !exact && pitfalls.is_empty() {
        pitfalls.push(Finding {
            kind: FindingKind::Pitfall,
            subject: format!("webhook pair {g}"),
            message: "its url, headers or payload differ from what a webhook pair generates".into(),
            fix: Some(format!(
                "a pair POSTs https://api.{}/api/v1/check_run with headers Content-Type and DD-API-KEY: $DD_API_KEY and payload {CHECK_RUN_SHAPE}",
                options.site
            )),
        });
    }
    PairCandidate {
        entry,
        exact,
        pitfalls,
    }
}

/// A condition line people wrote by hand: `{{#cond}} @h1 @h2 {{/cond}}` alone on its line.
#[derive(Debug, Clone, PartialEq)]
struct HandLine {
    /// The line without whitespace, as adoption compares it.
    squeezed: String,
    rule: NotifyRule,
}

fn squeezed(line: &str) -> String {
    line.chars().filter(|c| !c.is_whitespace()).collect()
}

/// The rule a line says, if it is one condition section holding only handles, one of them a
/// webhook among `known`, and the block would render it as people wrote it.
fn hand_line(line: &str, known: &BTreeSet<String>) -> Option<HandLine> {
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
fn hand_lines_of(m: &RemoteMonitor, known: &BTreeSet<String>) -> Option<Vec<HandLine>> {
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

/// Writes the manifest for what exists.
pub fn import(found: &Found, options: &ImportOptions) -> Result<Imported, ImportError> {
    let remote = &found.remote;
    let mut env = EnvAlloc::default();
    let mut findings: Vec<Finding> = Vec::new();
    let mut counts = Counts::default();

    let named_by_rules = webhooks_named_by_rules(remote.notification_rules.values());
    for (name, ids) in &found.missing_webhooks {
        let rules = named_by_rules.get(name).filter(|_| ids.is_empty());
        let message = if let Some(rules) = rules {
            let rules: Vec<&str> = rules.iter().map(String::as_str).collect();
            format!(
                "is named by notification rules {} but does not exist",
                rules.join(", ")
            )
        } else if ids.is_empty() {
            "was asked for with --webhook but does not exist".to_string()
        } else {
            let ids: Vec<String> = ids.iter().map(i64::to_string).collect();
            format!(
                "is mentioned by monitors {} but does not exist",
                ids.join(", ")
            )
        };
        findings.push(Finding {
            kind: FindingKind::Missing,
            subject: format!("webhook {name}"),
            message,
            fix: Some(
                if rules.is_some() {
                    "create it, or remove it from those rules"
                } else {
                    "create it, or remove the mention from those monitors"
                }
                .into(),
            ),
        });
    }
    for (name, hooks) in &found.missing_variables {
        let message = if hooks.is_empty() {
            "was asked for with --variable but does not exist".to_string()
        } else {
            let hooks: Vec<&str> = hooks.iter().map(String::as_str).collect();
            format!(
                "is referenced by webhooks {} but is neither a custom variable nor a Datadog variable",
                hooks.join(", ")
            )
        };
        findings.push(Finding {
            kind: FindingKind::Missing,
            subject: format!("custom variable {name}"),
            message,
            fix: Some(format!(
                "declare it: custom_variables: {{{name}: {{value: ${{env:{name}}}, secret: true}}}}"
            )),
        });
    }

    // Webhooks that can be managed (valid names).
    let webhooks: BTreeMap<String, RemoteWebhook> = remote
        .webhooks
        .iter()
        .filter(|(name, hook)| {
            let ok = is_valid_webhook_name(name);
            if !ok {
                findings.push(Finding {
                    kind: FindingKind::Note,
                    subject: format!("webhook {name}"),
                    message: "is not imported: its name has characters a manifest cannot hold"
                        .into(),
                    fix: Some("rename it in Datadog to letters, digits, `-` and `_`".into()),
                });
            }
            let lower = hook.url.trim().to_ascii_lowercase();
            let url_ok = lower
                .strip_prefix("https://")
                .or_else(|| lower.strip_prefix("http://"))
                .is_some_and(|rest| !rest.is_empty() && !rest.starts_with('/'))
                && !hook.url.chars().any(char::is_whitespace);
            if ok && !url_ok {
                findings.push(Finding {
                    kind: FindingKind::Note,
                    subject: format!("webhook {name}"),
                    message: "is not imported: its url is not an http(s) URL a manifest accepts"
                        .into(),
                    fix: Some("fix its url in Datadog, then import again".into()),
                });
            }
            ok && url_ok
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();

    // Pairs.
    let mut pairs: Vec<PairEntry> = Vec::new();
    let mut in_pairs: BTreeSet<String> = BTreeSet::new();
    for g in pair_groups(&webhooks) {
        let candidate = analyze_pair(&g, &webhooks, options);
        match candidate.entry {
            Some(entry) if candidate.exact || options.as_pairs => {
                if !candidate.exact {
                    findings.push(Finding {
                        kind: FindingKind::Note,
                        subject: format!("webhook pair {g}"),
                        message: "written as a pair with --as-pairs: the next plan updates its webhooks to what the pair sends".into(),
                        fix: None,
                    });
                    findings.extend(candidate.pitfalls);
                }
                in_pairs.extend(entry.webhooks());
                pairs.push(entry);
            }
            _ => {
                for mut p in candidate.pitfalls {
                    p.message = format!("not written as webhook pair `{g}`: {}", p.message);
                    findings.push(p);
                }
            }
        }
    }

    // Custom variables.
    let mut vars_text = String::new();
    let mut declared_vars: BTreeSet<String> = BTreeSet::new();
    for (name, var) in &remote.custom_variables {
        if !is_valid_variable_name(name) || crate::registry::is_registry_variable(name) {
            continue;
        }
        declared_vars.insert(name.clone());
        write_variable(&mut vars_text, var, &mut env);
        counts.variables += 1;
    }
    for pair in &pairs {
        if !declared_vars.contains(&pair.api_key_variable) {
            let name = pair.api_key_variable.clone();
            let value = env
                .vars
                .get(&name)
                .and_then(|v| v.value.as_ref())
                .map(|_| format!("${{env:{name}}}"))
                .unwrap_or_else(|| {
                    env.unknown(
                        &name,
                        format!("the API key webhook pair {} sends", pair.name),
                    )
                });
            let _ = writeln!(
                vars_text,
                "  # not found in Datadog: the API key webhook pair {} sends; ddhooks creates it",
                pair.name
            );
            let _ = writeln!(
                vars_text,
                "  {name}:\n    value: {}\n    secret: true",
                yaml_string(&value)
            );
            declared_vars.insert(name);
            counts.variables += 1;
        }
    }

    // Plain webhooks.
    let mut hooks_text = String::new();
    for (name, w) in &webhooks {
        if in_pairs.contains(name) {
            continue;
        }
        let s = scrub_webhook(w, &mut env, &mut findings);
        let _ = writeln!(hooks_text, "  # imported from webhook {}", comment(name));
        let _ = writeln!(hooks_text, "  {}:", yaml_key(name));
        let _ = writeln!(hooks_text, "    url: {}", yaml_string(&s.url));
        if let Some(headers) = s.headers.as_ref().filter(|h| !h.is_empty()) {
            let _ = writeln!(hooks_text, "    custom_headers:");
            for (k, v) in headers {
                let _ = writeln!(hooks_text, "      {}: {}", yaml_string(k), yaml_string(v));
            }
        }
        if let Some(p) = &s.payload {
            let _ = writeln!(hooks_text, "    payload: {}", yaml_flow(p));
        }
        let _ = writeln!(hooks_text, "    encode_as: {}", w.encode_as.as_str());
        counts.webhooks += 1;
    }
    let mut pairs_text = String::new();
    for pair in &pairs {
        let names = pair.webhooks();
        let _ = writeln!(
            pairs_text,
            "  # imported from webhooks {}",
            names.join(", ")
        );
        pair.write(&mut pairs_text);
        counts.pairs += 1;
    }

    // The kinds that must keep the names Datadog holds (markers, rule names) claim them
    // first; hand lines' blocks are named around them.
    let mut cx = entries::Context::new(options, webhooks.keys().cloned().collect(), &pairs);
    let managed = blocks::emit(remote.monitors.values(), &mut cx, &mut findings);
    let rules = rules::emit(&remote.notification_rules, &mut cx, &mut findings);
    let boards = boards::emit(
        &remote.status_boards,
        &found.owned_boards,
        &remote.dashboards,
        &cx,
        &mut findings,
    );
    let hand = write_blocks(
        remote,
        &webhooks,
        &pairs,
        &cx.block_names,
        &mut findings,
        &mut counts,
    );
    let auth = auth_methods::emit(&remote.auth_methods, &mut env, options, &mut findings);
    counts.blocks += managed.count;
    counts.rules = rules.count;
    counts.boards = boards.count;
    counts.auth_methods = auth.count;

    let mut text = String::new();
    text.push_str("# Written by `ddhooks import` from what exists in Datadog: review it, then run\n# `ddhooks plan` (it should show only adoptions).\n");
    if !env.vars.is_empty() {
        text.push_str("# Set these environment variables first (their values are in Datadog):\n");
        for (name, var) in &env.vars {
            let _ = writeln!(text, "#   {name}: {}", comment(&var.purpose));
        }
    }
    let sections = [
        ("custom_variables", vars_text),
        ("webhook_pairs", pairs_text),
        ("webhooks", hooks_text),
        ("monitor_notifications", hand),
        (managed.key, managed.text),
        (rules.key, rules.text),
        (boards.key, boards.text),
        (auth.key, auth.text),
    ];
    for key in entries::KEYS {
        let body: String = sections
            .iter()
            .filter(|(k, _)| *k == key)
            .map(|(_, body)| body.as_str())
            .collect();
        if !body.is_empty() {
            let _ = write!(text, "\n{key}:\n{body}");
        }
    }

    // No credential may be in the text: check every value found against it.
    for (name, var) in &env.vars {
        if let Some(v) = &var.value {
            if v.expose().len() >= 6 && text.contains(v.expose()) {
                return Err(ImportError::SecretInOutput(name.clone()));
            }
        }
    }
    verify(&text, &env, found, &webhooks, &mut findings, options)?;
    Ok(Imported {
        manifest: text,
        env: env.vars,
        findings,
        counts,
    })
}

fn write_variable(out: &mut String, var: &RemoteVariable, env: &mut EnvAlloc) {
    let name = &var.name;
    let credential_name = name
        .split('_')
        .any(|part| SECRET_WORDS.iter().any(|w| part.contains(w)))
        || is_credential_name(name);
    if var.secret {
        let value = env.unknown(name, format!("the value of secret custom variable {name}"));
        let _ = writeln!(
            out,
            "  # imported from custom variable {name} (secret: Datadog never returns its value, so the first apply writes it once)"
        );
        let _ = writeln!(
            out,
            "  {name}:\n    value: {}\n    secret: true",
            yaml_string(&value)
        );
        return;
    }
    let value = var.value.clone().unwrap_or_default();
    let mut probe = EnvAlloc::default();
    let scrubbed = scrub_text(&value, name, "value", &mut probe);
    let written = if credential_name || scrubbed != value {
        env.credential(name, &value, format!("the value of custom variable {name}"))
    } else {
        value
    };
    let _ = writeln!(out, "  # imported from custom variable {name}");
    let _ = writeln!(
        out,
        "  {name}:\n    value: {}\n    secret: false",
        yaml_string(&written)
    );
}

/// One `monitor_notifications` entry to write.
struct BlockEntry {
    name: String,
    ids: Vec<i64>,
    tag: Option<String>,
    pair: Option<String>,
    rules: Vec<NotifyRule>,
}

fn write_blocks(
    remote: &Remote,
    webhooks: &BTreeMap<String, RemoteWebhook>,
    pairs: &[PairEntry],
    taken: &BTreeSet<String>,
    findings: &mut Vec<Finding>,
    counts: &mut Counts,
) -> String {
    let known: BTreeSet<String> = webhooks.keys().cloned().collect();
    // Monitors grouped by the set of hand lines they carry.
    let mut groups: BTreeMap<Vec<String>, (Vec<HandLine>, Vec<i64>)> = BTreeMap::new();
    let mut tag_counts: BTreeMap<&str, usize> = BTreeMap::new();
    for m in remote.monitors.values() {
        let mut tags: Vec<&str> = m.tags.iter().map(String::as_str).collect();
        tags.sort_unstable();
        tags.dedup();
        for t in tags {
            *tag_counts.entry(t).or_default() += 1;
        }
        let Some(lines) = hand_lines_of(m, &known) else {
            findings.push(Finding {
                kind: FindingKind::Note,
                subject: format!("monitor {}", m.id),
                message: "its managed blocks are damaged; its lines are not imported".into(),
                fix: Some(
                    "repair the ddhooks markers by hand (`ddhooks plan` names the problem)".into(),
                ),
            });
            continue;
        };
        if lines.is_empty() {
            continue;
        }
        let mut key: Vec<String> = lines.iter().map(|l| l.squeezed.clone()).collect();
        key.sort();
        groups
            .entry(key)
            .or_insert_with(|| (lines, Vec::new()))
            .1
            .push(m.id);
    }
    let mut entries: Vec<BlockEntry> = Vec::new();
    let mut names: BTreeSet<String> = taken.clone();
    for (_, (lines, ids)) in groups {
        let rules: Vec<NotifyRule> = lines.into_iter().map(|l| l.rule).collect();
        let pair = pairs.iter().find(|p| {
            let want = p.rules();
            want.len() == rules.len() && want.iter().all(|r| rules.contains(r))
        });
        let base = match pair {
            Some(p) => p.name.clone(),
            None => block_name(&rules),
        };
        let name = if names.contains(&base) {
            (2..)
                .map(|n| format!("{base}-{n}"))
                .find(|n| !names.contains(n))
                .unwrap_or(base)
        } else {
            base
        };
        names.insert(name.clone());
        let members: Vec<&RemoteMonitor> = ids
            .iter()
            .filter_map(|id| remote.monitors.get(id))
            .collect();
        let tag = members.first().and_then(|first| {
            let mut shared: Vec<&String> = first
                .tags
                .iter()
                .filter(|t| members.iter().all(|m| m.tags.contains(t)))
                .filter(|t| tag_counts.get(t.as_str()) == Some(&ids.len()))
                .collect();
            shared.sort();
            shared.first().map(|t| (*t).clone())
        });
        entries.push(BlockEntry {
            name,
            ids,
            tag,
            pair: pair.map(|p| p.name.clone()),
            rules,
        });
    }
    let mut out = String::new();
    for e in &entries {
        let ids: Vec<String> = e.ids.iter().map(i64::to_string).collect();
        let how = match &e.tag {
            Some(t) => format!(" (tag {})", comment(t)),
            None => String::new(),
        };
        let _ = writeln!(out, "  # found in monitors {}{how}", ids.join(", "));
        let _ = writeln!(out, "  {}:", yaml_key(&e.name));
        match &e.tag {
            Some(t) => {
                let _ = writeln!(out, "    monitors:\n      tags: [{}]", yaml_string(t));
            }
            None => {
                let _ = writeln!(out, "    monitors:\n      ids: [{}]", ids.join(", "));
            }
        }
        let mut conditions: BTreeSet<SectionCondition> = BTreeSet::new();
        let distinct = e.rules.iter().all(|r| conditions.insert(r.when));
        match (&e.pair, distinct) {
            (Some(p), _) => {
                let _ = writeln!(out, "    pair: {}", yaml_key(p));
            }
            (None, true) => {
                let _ = writeln!(out, "    notify:");
                for r in &e.rules {
                    let handles: Vec<String> = r.handles.iter().map(|h| yaml_string(h)).collect();
                    let _ = writeln!(
                        out,
                        "      {}: [{}]",
                        yaml_string(&r.when.to_string()),
                        handles.join(", ")
                    );
                }
            }
            (None, false) => {
                // The same condition twice: `notify` cannot say it, free text can.
                let body = crate::model::NotificationBlock {
                    name: e.name.clone(),
                    monitors: Default::default(),
                    rules: e.rules.clone(),
                    text: None,
                }
                .body();
                let _ = writeln!(out, "    text: {}", yaml_string(&body));
            }
        }
        counts.blocks += 1;
    }
    out
}

/// A block's name from the webhooks its rules mention: the pair group they share, or the
/// first webhook.
fn block_name(rules: &[NotifyRule]) -> String {
    let hooks: Vec<&str> = rules
        .iter()
        .flat_map(|r| r.handles.iter())
        .filter_map(|h| h.strip_prefix("@webhook-"))
        .collect();
    let groups: BTreeSet<&str> = hooks
        .iter()
        .map(|h| {
            SUFFIXES
                .iter()
                .find_map(|(suffix, _, _)| h.strip_suffix(suffix).and_then(|g| g.strip_suffix('-')))
                .unwrap_or(h)
        })
        .collect();
    match groups.iter().next() {
        Some(g) if groups.len() == 1 && !g.is_empty() => g.to_string(),
        _ => hooks.first().map_or("imported", |h| h).to_string(),
    }
}

/// Loads the text back (the env values found, placeholders for secrets) and checks that
/// the planner sees every imported webhook and readable variable as unchanged.
fn verify(
    text: &str,
    env: &EnvAlloc,
    found: &Found,
    webhooks: &BTreeMap<String, RemoteWebhook>,
    findings: &mut Vec<Finding>,
    options: &ImportOptions,
) -> Result<(), ImportError> {
    let load = env.load_options(options);
    let loaded = manifest::load_sources(
        &[Source {
            path: PathBuf::from("imported.yaml"),
            text: text.to_string(),
        }],
        &load,
    )
    .map_err(ImportError::Invalid)?;
    for (name, want) in &loaded.desired.webhooks {
        if let Some(have) = webhooks.get(name) {
            if !webhook_matches(want, have) && !options.as_pairs {
                findings.push(Finding {
                    kind: FindingKind::Note,
                    subject: format!("webhook {name}"),
                    message: "the manifest does not reproduce it exactly; the plan shows it as an adoption that writes".into(),
                    fix: None,
                });
            }
        }
    }
    for (name, want) in &loaded.desired.custom_variables {
        if let Some(have) = found.remote.custom_variables.get(name) {
            if !have.secret && have.value.as_deref() != Some(want.value.expose()) {
                findings.push(Finding {
                    kind: FindingKind::Note,
                    subject: format!("custom variable {name}"),
                    message: "the manifest does not reproduce its value exactly".into(),
                    fix: None,
                });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
