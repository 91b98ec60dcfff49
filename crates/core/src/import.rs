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

use crate::manifest::{self, Diagnostics};
use crate::model::{Remote, RemoteMonitor, RemoteWebhook, Secret};
use crate::template;
use rayon::prelude::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::{self, Write as _};

mod auth_methods;
mod blocks;
mod boards;
mod emit;
mod entries;
mod hand_blocks;
mod hand_lines;
mod pairs;
mod rules;
mod scrub;
mod verify;

use emit::{comment, write_variable, write_webhook};
use pairs::{analyze_pair, pair_groups, PairEntry};
use scrub::EnvAlloc;

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

pub use emit::yaml_string;
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
            let mut not_imported = |why: &str, fix: &str| {
                findings.push(Finding {
                    kind: FindingKind::Note,
                    subject: format!("webhook {name}"),
                    message: format!("is not imported: {why}"),
                    fix: Some(fix.into()),
                });
            };
            let ok = is_valid_webhook_name(name);
            if !ok {
                not_imported(
                    "its name has characters a manifest cannot hold",
                    "rename it in Datadog to letters, digits, `-` and `_`",
                );
            }
            let lower = hook.url.trim().to_ascii_lowercase();
            let url_ok = lower
                .strip_prefix("https://")
                .or_else(|| lower.strip_prefix("http://"))
                .is_some_and(|rest| !rest.is_empty() && !rest.starts_with('/'))
                && !hook.url.chars().any(char::is_whitespace);
            if ok && !url_ok {
                not_imported(
                    "its url is not an http(s) URL a manifest accepts",
                    "fix its url in Datadog, then import again",
                );
            }
            ok && url_ok
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();

    // Pairs.
    let mut pairs: Vec<PairEntry> = Vec::new();
    let mut in_pairs: BTreeSet<String> = BTreeSet::new();
    // Each candidate checked on its own (a manifest loaded per pair), on every core.
    let groups: Vec<String> = pair_groups(&webhooks).into_iter().collect();
    let candidates: Vec<_> = groups
        .par_iter()
        .map(|g| analyze_pair(g, &webhooks, options))
        .collect();
    for (g, candidate) in groups.iter().zip(candidates) {
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
        write_webhook(&mut hooks_text, name, w, &mut env, &mut findings);
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
    let hand = hand_blocks::write_blocks(
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

    verify::verify(&text, &env, found, &webhooks, &mut findings, options)?;
    Ok(Imported {
        manifest: text,
        env: env.vars,
        findings,
        counts,
    })
}

#[cfg(test)]
mod tests;
