//! Pair recognition: webhooks named `<g>-alert-check`/`<g>-ok-check` (optionally
//! `-warning-check`, `-no-data-check`) analysed as one `webhook_pairs` entry — the check run
//! they send read leniently, the guide's pitfalls reported with the lint's fix — and written
//! as a pair only when lowering that entry with the manifest loader gives exactly what exists
//! (the planner's own equality).

use super::emit::{yaml_key, yaml_string};
use super::{is_valid_webhook_name, Finding, FindingKind, ImportOptions};
use crate::manifest::lint::{
    datadog_site_of, key_in_query, CHECK_RUN_SHAPE, FIX_ALERT_TITLE, FIX_KEY_IN_QUERY,
    FIX_OTHER_SITE, FIX_TAGS_LIST, MSG_ALERT_TITLE, MSG_KEY_IN_QUERY,
};
use crate::manifest::{self, LoadOptions, Source};
use crate::model::{Condition, NotifyRule, RemoteWebhook, SectionCondition};
use crate::plan::webhook_matches;
use crate::template;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::PathBuf;

/// A pair's webhook suffixes, the condition that fires each, and the default status.
pub(super) const SUFFIXES: [(&str, Condition, &str); 4] = [
    ("alert-check", Condition::IsAlert, "alert"),
    ("ok-check", Condition::IsRecovery, "recovery"),
    ("warning-check", Condition::IsWarning, "warning"),
    ("no-data-check", Condition::IsNoData, "no_data"),
];

/// A pair as it would be written.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct PairEntry {
    pub(super) name: String,
    pub(super) check: String,
    pub(super) host_name: String,
    pub(super) tags: Vec<String>,
    pub(super) api_key_variable: String,
    /// `(statuses key, status)` for each present webhook, in the suffixes' order.
    pub(super) statuses: Vec<(&'static str, u8)>,
}

impl PairEntry {
    pub(super) fn webhooks(&self) -> Vec<String> {
        SUFFIXES
            .iter()
            .filter(|(_, _, key)| self.statuses.iter().any(|(k, _)| k == key))
            .map(|(suffix, _, _)| format!("{}-{suffix}", self.name))
            .collect()
    }

    /// The rules of the pair's block, as the loader makes them.
    pub(super) fn rules(&self) -> Vec<NotifyRule> {
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

    pub(super) fn write(&self, out: &mut String) {
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
pub(super) struct PairCandidate {
    pub(super) entry: Option<PairEntry>,
    pub(super) exact: bool,
    pub(super) pitfalls: Vec<Finding>,
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
pub(super) fn pair_groups(webhooks: &BTreeMap<String, RemoteWebhook>) -> BTreeSet<String> {
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

pub(super) fn analyze_pair(
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
