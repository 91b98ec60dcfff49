//! Warnings: manifests that mean something, but probably not what their author wants.
//! Most come from the well-known walkthrough of this scenario and its pitfalls (DESIGN.md,
//! "The Datadog facts that shape the design", 8).

use super::decode::{did_you_mean, Decoder};
use super::env::strip_refs;
use super::lowering_shared::pair_statuses;
use super::raw::{Loc, Raw, Str};
use super::reporter::Reporter;
use super::yaml::{Node, Value};
use super::{Diagnostics, LoadOptions, Origins, Severity};
use crate::model::{
    Condition, Desired, NotificationBlock, NotificationRule, RuleConditionScope, RuleRecipients,
    SectionCondition,
};
use crate::template::{self, BUILTIN_VARIABLES};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::LazyLock;

static HEX_KEY: LazyLock<Option<regex::Regex>> =
    LazyLock::new(|| regex::Regex::new(r"\b(?:[0-9a-fA-F]{40}|[0-9a-fA-F]{32})\b").ok());
static KEY_IN_QUERY: LazyLock<Option<regex::Regex>> = LazyLock::new(|| {
    regex::Regex::new(r"(?i)[?&](dd[-_])?(api[-_]?key|app(lication)?[-_]?key)=").ok()
});

/// Datadog sites, longest first so that `us3.datadoghq.com` wins over `datadoghq.com`.
const SITES: &[&str] = &[
    "us3.datadoghq.com",
    "us5.datadoghq.com",
    "ap1.datadoghq.com",
    "ap2.datadoghq.com",
    "datadoghq.com",
    "datadoghq.eu",
    "ddog-gov.com",
];

const SECRET_WORDS: &[&str] = &["KEY", "TOKEN", "PASSWORD", "SECRET"];

/// The pitfalls' messages and fixes, shared with `import`, which reports them for webhooks
/// it finds in Datadog.
pub(crate) const MSG_KEY_IN_QUERY: &str = "the url passes a Datadog key in its query string";
/// The fix of [`MSG_KEY_IN_QUERY`].
pub(crate) const FIX_KEY_IN_QUERY: &str = "keys in URLs end up in logs; send `DD-API-KEY: $DD_API_KEY` in `custom_headers` from a secret custom variable";
/// `$ALERT_TITLE` in check_run tags.
pub(crate) const MSG_ALERT_TITLE: &str =
    "check_run tags use `$ALERT_TITLE`, which differs between the alert and the recovery";
/// The fix of [`MSG_ALERT_TITLE`].
pub(crate) const FIX_ALERT_TITLE: &str = "the recovery then lands in another group and the check stays CRITICAL; tag with `monitor_id:$ALERT_ID`";
/// The fix of tags written as one string.
pub(crate) const FIX_TAGS_LIST: &str = "write `tags: [\"monitor_id:$ALERT_ID\"]`";
/// The payload check_run takes.
pub(crate) const CHECK_RUN_SHAPE: &str =
    "[{check: NAME, host_name: $HOSTNAME, status: 0-3, tags: [\"monitor_id:$ALERT_ID\"]}]";
/// The fix of a url that calls another Datadog site.
pub(crate) const FIX_OTHER_SITE: &str =
    "use a webhook pair (its url follows the configured site) or fix the host";

/// Whether `url` passes a Datadog key in its query string.
pub(crate) fn key_in_query(url: &str) -> bool {
    KEY_IN_QUERY.as_ref().is_some_and(|re| re.is_match(url))
}

/// The Datadog site `url` calls, if it calls one.
pub(crate) fn datadog_site_of(url: &str) -> Option<&'static str> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let host = rest
        .split(['/', '?', '#', ':'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    SITES
        .iter()
        .find(|s| host == **s || host.ends_with(&format!(".{s}")))
        .copied()
}

/// Warns about literals that look like Datadog keys (32 or 40 hex digits) anywhere in a
/// file's values, outside `${env:…}`.
pub(crate) fn literal_keys(decoder: &mut Decoder<'_>, root: &Node) {
    let Some(re) = HEX_KEY.as_ref() else {
        return;
    };
    let mut todo = vec![root];
    while let Some(node) = todo.pop() {
        match &node.value {
            Value::Str(s) => {
                let literal = strip_refs(s);
                let found = re.find_iter(&literal).any(|m| {
                    let t = m.as_str();
                    t.bytes().any(|b| b.is_ascii_digit())
                        && t.bytes().any(|b| b.is_ascii_alphabetic())
                });
                if found {
                    decoder.report(
                        Severity::Warning,
                        node.pos,
                        "this looks like a Datadog API or application key written into the manifest".into(),
                        Some("keep keys out of git: put `${env:NAME}` in a secret custom variable and send `$NAME`".into()),
                    );
                }
            }
            Value::Seq(items) => todo.extend(items.iter()),
            Value::Map(entries) => todo.extend(entries.iter().map(|(_, v)| v)),
            _ => {}
        }
    }
}

struct Linter<'a> {
    r: Reporter<'a>,
    known_vars: BTreeSet<String>,
    site: &'a str,
}

/// Every lint that needs the whole load.
pub(crate) fn lint(
    raw: &Raw,
    desired: &Desired,
    paths: &[PathBuf],
    options: &LoadOptions,
    diags: &mut Diagnostics,
) {
    let known_vars: BTreeSet<String> = BUILTIN_VARIABLES
        .iter()
        .map(|s| s.to_string())
        .chain(raw.variables.iter().map(|v| v.name.value.clone()))
        .collect();
    let mut l = Linter {
        r: Reporter {
            paths,
            diags,
            origins: Origins::default(),
            block: None,
        },
        known_vars,
        site: &options.site,
    };

    for var in &raw.variables {
        if !var.secret
            && var
                .name
                .value
                .split('_')
                .any(|part| SECRET_WORDS.iter().any(|w| part.contains(w)))
        {
            l.r.warn(
                var.name.loc,
                format!(
                    "custom variable `{}` looks like a secret but is not marked `secret: true`",
                    var.name.raw
                ),
                Some("non-secret values are shown in plans and returned by the API; add `secret: true`".into()),
            );
        }
    }

    for hook in &raw.webhooks {
        if let Some(url) = &hook.url {
            l.url(url);
            l.variables(url);
        }
        for (_, value) in hook.custom_headers.iter().flatten() {
            l.variables(value);
        }
        if let Some((_, node)) = &hook.payload {
            l.payload_variables(node, hook.name.loc.file);
        }
        if hook
            .url
            .as_ref()
            .is_some_and(|u| u.raw.contains("/api/v1/check_run"))
        {
            l.check_run(hook);
        }
    }

    for pair in &raw.pairs {
        for s in pair.check.iter().chain(pair.host_name.iter()) {
            l.variables(s);
        }
        for tag in pair.tags.iter().flatten() {
            l.variables(tag);
            if tag.raw.contains("$ALERT_TITLE") {
                l.alert_title(tag.loc);
            }
        }
        let statuses = pair_statuses(pair);
        let fires = statuses.iter().any(|(c, _, _)| *c != Condition::IsRecovery);
        let recovers = statuses.iter().any(|(c, _, _)| *c == Condition::IsRecovery);
        if fires && !recovers && !pair.broken {
            let loc = pair.statuses.as_ref().map_or(pair.name.loc, |s| s.loc);
            l.r.warn(
                loc,
                format!("webhook pair `{}` alerts but never reports the recovery", pair.name.raw),
                Some("add `recovery: 0` to `statuses`, or the check stays CRITICAL after the monitor recovers".into()),
            );
        }
    }

    for block in &raw.blocks {
        let (conditions, is_rule) = if let Some(model) = desired.blocks.get(&block.name.value) {
            (message_conditions(model), false)
        } else if let Some(rule) = desired.notification_rules.get(&block.name.value) {
            (rule_conditions(rule), true)
        } else {
            continue;
        };
        let has = |c: Condition| {
            conditions
                .iter()
                .any(|(w, _)| !w.negated && w.condition == c)
        };
        for (bad, specific) in [
            (Condition::IsAlert, Condition::IsAlertRecovery),
            (Condition::IsWarning, Condition::IsWarningRecovery),
            (Condition::IsNoData, Condition::IsNoDataRecovery),
        ] {
            let fires = conditions
                .iter()
                .any(|(w, hooks)| *hooks && !w.negated && w.condition == bad);
            if fires && !has(Condition::IsRecovery) && !has(specific) {
                // A rule cannot route on the specific recoveries: only is_recovery helps.
                let missing = if is_rule {
                    format!("{} condition", Condition::IsRecovery.name())
                } else {
                    format!(
                        "{} or {} rule",
                        Condition::IsRecovery.name(),
                        specific.name()
                    )
                };
                l.r.warn(
                    block.name.loc,
                    format!(
                        "notification block `{}` fires a webhook on {} but has no {missing}",
                        block.name.raw,
                        bad.name(),
                    ),
                    Some("without a recovery the webhook's target never hears that the monitor is OK again".into()),
                );
            }
        }
    }
}

/// A message block's conditions, each with whether it fires a webhook: its rules and the
/// sections of its text.
fn message_conditions(model: &NotificationBlock) -> Vec<(SectionCondition, bool)> {
    let mut conditions: Vec<(SectionCondition, bool)> = model
        .rules
        .iter()
        .map(|rule| {
            (
                rule.when,
                rule.handles.iter().any(|h| h.starts_with("@webhook-")),
            )
        })
        .collect();
    if let Some(text) = &model.text {
        if let Ok(nodes) = template::parse(text) {
            let mut todo: Vec<&template::Node> = nodes.iter().collect();
            while let Some(node) = todo.pop() {
                if let template::Node::Section {
                    when: Ok(when),
                    children,
                    ..
                } = node
                {
                    let webhooks = mentions_webhook(children);
                    conditions.push((*when, webhooks));
                    todo.extend(children.iter());
                }
            }
        }
    }
    conditions
}

/// A notification rule's transition conditions, each with whether it notifies a webhook
/// (recipients are handles without `@`); tag conditions are no transition and left out.
fn rule_conditions(rule: &NotificationRule) -> Vec<(SectionCondition, bool)> {
    let RuleRecipients::Conditional { conditions, .. } = &rule.recipients else {
        return Vec::new();
    };
    conditions
        .iter()
        .filter_map(|c| match c.scope {
            RuleConditionScope::Transition(condition) => Some((
                SectionCondition {
                    condition,
                    negated: false,
                },
                c.recipients.iter().any(|r| r.starts_with("webhook-")),
            )),
            _ => None,
        })
        .collect()
}

/// Whether a section's content mentions an `@webhook-…` handle.
fn mentions_webhook(children: &[template::Node]) -> bool {
    let mut todo: Vec<&template::Node> = children.iter().collect();
    while let Some(node) = todo.pop() {
        match node {
            template::Node::Text(t) => {
                if template::handles(t).iter().any(|h| h.webhook().is_some()) {
                    return true;
                }
            }
            template::Node::Section { children, .. } => todo.extend(children.iter()),
            template::Node::Comment(_) => {}
        }
    }
    false
}

impl Linter<'_> {
    fn url(&mut self, url: &Str) {
        if key_in_query(&url.raw) {
            self.r.warn(
                url.loc,
                MSG_KEY_IN_QUERY.into(),
                Some(FIX_KEY_IN_QUERY.into()),
            );
        }
        if let Some(site) = datadog_site_of(&url.raw) {
            if site != self.site {
                self.r.warn(
                    url.loc,
                    format!(
                        "the url calls Datadog site `{site}`, but the configured site is `{}`",
                        self.site
                    ),
                    Some(FIX_OTHER_SITE.into()),
                );
            }
        }
    }

    fn variables(&mut self, s: &Str) {
        for var in template::scan_variables(&s.raw) {
            if self.known_vars.contains(&var.name) {
                continue;
            }
            let known: Vec<&str> = self.known_vars.iter().map(String::as_str).collect();
            let hint = match did_you_mean(&var.name, &known) {
                Some(k) => format!("did you mean `${k}`?"),
                None => {
                    "declare it under `custom_variables:`, or check Datadog's built-in variables"
                        .into()
                }
            };
            self.r.warn(
                s.loc,
                format!(
                    "`${}` is neither a Datadog variable nor a declared custom variable",
                    var.name
                ),
                Some(hint),
            );
        }
    }

    fn payload_variables(&mut self, node: &Node, file: usize) {
        let mut todo = vec![node];
        while let Some(n) = todo.pop() {
            match &n.value {
                Value::Str(s) => {
                    let s = Str {
                        raw: s.clone(),
                        value: String::new(),
                        unresolved: false,
                        loc: Loc { file, pos: n.pos },
                        style: n.style,
                    };
                    self.variables(&s);
                }
                Value::Seq(items) => todo.extend(items.iter().rev()),
                Value::Map(entries) => todo.extend(entries.iter().rev().map(|(_, v)| v)),
                _ => {}
            }
        }
    }

    fn alert_title(&mut self, loc: Loc) {
        self.r
            .warn(loc, MSG_ALERT_TITLE.into(), Some(FIX_ALERT_TITLE.into()));
    }

    fn check_run(&mut self, hook: &super::raw::RawWebhook) {
        let file = hook.name.loc.file;
        let at = |pos| Loc { file, pos };
        let shape = CHECK_RUN_SHAPE;
        let Some((_, node)) = &hook.payload else {
            self.r.warn(
                hook.payload_loc.unwrap_or(hook.name.loc),
                format!(
                    "webhook `{}` calls check_run without a payload",
                    hook.name.raw
                ),
                Some(format!(
                    "Datadog's default payload is not a check run; send {shape}"
                )),
            );
            return;
        };
        let Value::Seq(items) = &node.value else {
            self.r.warn(
                at(node.pos),
                format!(
                    "check_run takes a list of check runs; this payload is {}",
                    node.kind()
                ),
                Some(format!("wrap it in a list: {shape}")),
            );
            return;
        };
        if items.is_empty() {
            self.r.warn(
                at(node.pos),
                "the check_run payload is an empty list".into(),
                Some(format!("send {shape}")),
            );
        }
        for item in items {
            let Value::Map(entries) = &item.value else {
                self.r.warn(
                    at(item.pos),
                    format!("each check run must be a map, found {}", item.kind()),
                    Some(format!("send {shape}")),
                );
                continue;
            };
            let get = |k: &str| {
                entries
                    .iter()
                    .find(|(key, _)| key.value == Value::Str(k.into()))
                    .map(|(_, v)| v)
            };
            for field in ["check", "host_name"] {
                match get(field) {
                    Some(Node {
                        value: Value::Str(_),
                        ..
                    }) => {}
                    Some(v) => self.r.warn(
                        at(v.pos),
                        format!("check_run `{field}` must be a string, found {}", v.kind()),
                        None,
                    ),
                    None => self.r.warn(
                        at(item.pos),
                        format!("the check run has no `{field}`"),
                        Some(format!("send {shape}")),
                    ),
                }
            }
            match get("status") {
                Some(Node {
                    value: Value::Int(0..=3),
                    ..
                }) => {}
                Some(v) => self.r.warn(
                    at(v.pos),
                    "check_run `status` must be an integer 0-3".into(),
                    Some("0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN".into()),
                ),
                None => self.r.warn(
                    at(item.pos),
                    "the check run has no `status`".into(),
                    Some("0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN".into()),
                ),
            }
            match get("tags") {
                Some(Node {
                    value: Value::Seq(tags),
                    ..
                }) => {
                    for tag in tags {
                        match &tag.value {
                            Value::Str(s) if s.contains("$ALERT_TITLE") => {
                                self.alert_title(at(tag.pos))
                            }
                            Value::Str(_) => {}
                            _ => self.r.warn(
                                at(tag.pos),
                                format!("check_run tags must be strings, found {}", tag.kind()),
                                None,
                            ),
                        }
                    }
                }
                Some(v) => {
                    if let Value::Str(s) = &v.value {
                        if s.contains("$ALERT_TITLE") {
                            self.alert_title(at(v.pos));
                        }
                    }
                    self.r.warn(
                        at(v.pos),
                        format!(
                            "check_run `tags` must be a list of strings, found {}",
                            v.kind()
                        ),
                        Some(FIX_TAGS_LIST.into()),
                    )
                }
                None => self.r.warn(
                    at(item.pos),
                    "the check run has no `tags`".into(),
                    Some("tag it `monitor_id:$ALERT_ID` so each monitor counts once".into()),
                ),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pattern that failed to compile would silently turn its lint off.
    #[test]
    fn every_pattern_compiles() {
        assert!(HEX_KEY.is_some(), "HEX_KEY does not compile");
        assert!(KEY_IN_QUERY.is_some(), "KEY_IN_QUERY does not compile");
    }
}
