//! Second pass: the raw types of all files into the model, with the checks that need every
//! file at once: names defined twice, invalid names, references between objects.

use super::board::{self, BoardRefs, PairFacts};
use super::decode::did_you_mean;
use super::lowering_shared::{no_monitors, pair_statuses, unknown_pair, Located};
use super::raw::{Delivery, Loc, Raw, RawBlock, Str};
use super::reporter::{datadog_spelling, line_col, matches, pos_in, Reporter};
use super::rule;
use super::{DeclaredKind, Diagnostics, LoadOptions, Origins};
use crate::model::{
    Condition, CustomVariable, Desired, EncodeAs, MonitorSelector, NotificationBlock,
    NotificationRule, NotifyRule, Secret, SectionCondition, Webhook, WebhookOrigin,
};
use crate::template;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::LazyLock;

static VARIABLE_NAME: LazyLock<Option<regex::Regex>> =
    LazyLock::new(|| regex::Regex::new(r"^[A-Z0-9_]+$").ok());

/// Builds the model from every file's raw types, reporting what does not fit.
pub(crate) fn lower(
    raw: &Raw,
    paths: &[PathBuf],
    options: &LoadOptions,
    diags: &mut Diagnostics,
) -> (Desired, Origins) {
    let mut r = Reporter {
        paths,
        diags,
        origins: Origins::default(),
        block: None,
    };
    let mut desired = Desired::default();

    // Custom variables.
    let mut seen_vars = HashMap::new();
    for var in &raw.variables {
        if !matches(&VARIABLE_NAME, &var.name.value) {
            r.error(
                var.name.loc,
                format!(
                    "invalid custom variable name `{}`: only A-Z, 0-9 and `_` are allowed",
                    var.name.raw
                ),
                Some(format!(
                    "try `{}`",
                    var.name
                        .value
                        .to_ascii_uppercase()
                        .replace(|c: char| !c.is_ascii_alphanumeric(), "_")
                )),
            );
        } else if crate::registry::is_registry_variable(&var.name.value) {
            r.error(
                var.name.loc,
                format!(
                    "`{}` is reserved: ddhooks keeps its registry and its apply lock in variables named DDHOOKS_STATE… and DDHOOKS_LOCK",
                    var.name.raw
                ),
                Some("choose another name".into()),
            );
        }
        if !r.define(&mut seen_vars, DeclaredKind::CustomVariable, &var.name) {
            continue;
        }
        let Some(value) = &var.value else {
            let hint = "add `value: ${env:NAME}` (with `secret: true` for secrets)";
            r.missing(
                var.broken,
                ("custom variable", &var.name),
                "value",
                Some(hint.into()),
            );
            continue;
        };
        desired.custom_variables.insert(
            var.name.value.clone(),
            CustomVariable {
                name: var.name.value.clone(),
                value: Secret::new(value.value.clone()),
                secret: var.secret,
            },
        );
    }

    // Declared webhooks.
    let mut seen_hooks: HashMap<String, Loc> = HashMap::new();
    for hook in &raw.webhooks {
        r.check_webhook_name("webhook", &hook.name);
        if !r.define(&mut seen_hooks, DeclaredKind::Webhook, &hook.name) {
            continue;
        }
        let Some(url) = &hook.url else {
            r.missing(hook.broken, ("webhook", &hook.name), "url", None);
            continue;
        };
        check_url(&mut r, url);
        if let Some(old) = &hook.renamed_from {
            r.check_webhook_name("webhook", old);
            if old.value == hook.name.value {
                r.error(
                    old.loc,
                    format!("webhook `{}` is renamed from itself", hook.name.raw),
                    Some("remove `renamed_from`".into()),
                );
            }
        }
        desired.webhooks.insert(
            hook.name.value.clone(),
            Webhook {
                name: hook.name.value.clone(),
                url: url.value.clone(),
                payload: hook.payload.as_ref().map(|(json, _)| json.clone()),
                custom_headers: hook.custom_headers.as_ref().map(|headers| {
                    headers
                        .iter()
                        .map(|(k, v)| (k.value.clone(), v.value.clone()))
                        .collect()
                }),
                encode_as: hook.encode_as.unwrap_or_default(),
                renamed_from: hook.renamed_from.as_ref().map(|s| s.value.clone()),
                origin: WebhookOrigin::Declared,
            },
        );
    }
    for hook in &raw.webhooks {
        if let Some(old) = &hook.renamed_from {
            if old.value != hook.name.value && seen_hooks.contains_key(&old.value) {
                r.error(
                    old.loc,
                    format!(
                        "webhook `{}` is renamed from `{}`, which is still declared",
                        hook.name.raw, old.raw
                    ),
                    Some("remove the old webhook, or drop `renamed_from`".into()),
                );
            }
        }
    }

    // Pairs, expanded into webhooks.
    let mut seen_pairs = HashMap::new();
    let mut pairs: HashMap<String, Vec<(Condition, String)>> = HashMap::new();
    let mut pair_facts: BTreeMap<String, PairFacts> = BTreeMap::new();
    for pair in &raw.pairs {
        r.check_webhook_name("webhook pair", &pair.name);
        if !r.define(&mut seen_pairs, DeclaredKind::Pair, &pair.name) {
            continue;
        }
        let Some(check) = &pair.check else {
            let hint = "name the check run the group reports to, e.g. `check: mygroup.status`";
            r.missing(
                pair.broken,
                ("webhook pair", &pair.name),
                "check",
                Some(hint.into()),
            );
            continue;
        };
        let key_var = pair
            .api_key_variable
            .as_ref()
            .map_or("DD_API_KEY", |s| s.value.as_str());
        if !desired.custom_variables.contains_key(key_var) && !seen_vars.contains_key(key_var) {
            let loc = pair
                .api_key_variable
                .as_ref()
                .map_or(pair.name.loc, |s| s.loc);
            let known: Vec<&str> = seen_vars.keys().map(String::as_str).collect();
            let hint = match did_you_mean(key_var, &known) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!(
                    "declare it: custom_variables: {{{key_var}: {{value: ${{env:{key_var}}}, secret: true}}}}"
                ),
            };
            r.error(
                loc,
                format!(
                    "webhook pair `{}` sends custom variable `{key_var}` as its API key, but it is not declared",
                    pair.name.raw
                ),
                Some(hint),
            );
        }
        let statuses = pair_statuses(pair);
        if statuses.is_empty() {
            let loc = pair.statuses.as_ref().map_or(pair.name.loc, |s| s.loc);
            r.error(
                loc,
                format!("webhook pair `{}` lists no status", pair.name.raw),
                Some("list at least `alert: 2` and `recovery: 0`".into()),
            );
        }
        let host_name = pair
            .host_name
            .as_ref()
            .map_or("$HOSTNAME".to_string(), |s| s.value.clone());
        let tags: Vec<String> = match &pair.tags {
            Some(tags) => tags.iter().map(|t| t.value.clone()).collect(),
            None => vec!["monitor_id:$ALERT_ID".into()],
        };
        let url = format!("https://api.{}/api/v1/check_run", options.site);
        let mut generated = Vec::new();
        for (condition, suffix, status) in statuses {
            let name = format!("{}-{suffix}", pair.name.value);
            let declared = r.clash(
                &seen_hooks,
                &name,
                pair.name.loc,
                |first| {
                    format!(
                        "webhook pair `{}` generates webhook `{name}`, which is also declared at {first}",
                        pair.name.raw
                    )
                },
                "rename the pair or the webhook",
            );
            if declared {
                continue;
            }
            seen_hooks.insert(name.clone(), pair.name.loc);
            r.record(DeclaredKind::Webhook, &name, pair.name.loc);
            let payload = serde_json::json!([{
                "check": check.value,
                "status": status,
                "host_name": host_name,
                "tags": tags,
            }]);
            let headers: BTreeMap<String, String> = [
                ("Content-Type".to_string(), "application/json".to_string()),
                ("DD-API-KEY".to_string(), format!("${key_var}")),
            ]
            .into_iter()
            .collect();
            desired.webhooks.insert(
                name.clone(),
                Webhook {
                    name: name.clone(),
                    url: url.clone(),
                    payload: Some(payload),
                    custom_headers: Some(headers),
                    encode_as: EncodeAs::Json,
                    renamed_from: None,
                    origin: WebhookOrigin::Pair(pair.name.value.clone()),
                },
            );
            generated.push((condition, name));
        }
        pairs.insert(pair.name.value.clone(), generated);
        let facts = PairFacts::new(pair, &check.value, &host_name, &tags);
        pair_facts.insert(pair.name.value.clone(), facts);
    }

    // Webhooks managed elsewhere.
    for ext in &raw.external {
        r.check_webhook_name("external webhook", ext);
        r.clash(
            &seen_hooks,
            &ext.value,
            ext.loc,
            |managed| {
                format!(
                    "webhook `{}` is listed under `external_webhooks` but managed here at {managed}",
                    ext.raw
                )
            },
            "remove it from `external_webhooks`",
        );
        desired.external_webhooks.insert(ext.value.clone());
    }

    // Notification blocks.
    let known_hooks: HashSet<&str> = seen_hooks
        .keys()
        .map(String::as_str)
        .chain(desired.external_webhooks.iter().map(String::as_str))
        .collect();
    let mut seen_blocks = HashMap::new();
    let mut blocks_by_pair: HashMap<String, Vec<String>> = HashMap::new();
    for block in &raw.blocks {
        r.check_webhook_name("notification block", &block.name);
        if !r.define(&mut seen_blocks, DeclaredKind::Block, &block.name) {
            continue;
        }
        let name = block.name.value.clone();
        let refs = Refs {
            pairs: &pairs,
            seen_pairs: &seen_pairs,
            hooks: &known_hooks,
        };
        r.block = Some(name.clone());
        let lowered = lower_block(&mut r, block, &refs);
        r.block = None;
        if let (Some(_), Some(pair)) = (&lowered, &block.pair) {
            let names = blocks_by_pair.entry(pair.value.clone()).or_default();
            names.push(name.clone());
        }
        match lowered {
            Some(Lowered::Message(b)) => {
                desired.blocks.insert(name, b);
            }
            Some(Lowered::Rule(rule)) => {
                desired.notification_rules.insert(name, rule);
            }
            None => {}
        }
    }

    // Status boards, and the pairs to seed.
    let refs = BoardRefs {
        pairs: &pair_facts,
        seen_pairs: &seen_pairs,
    };
    desired.status_boards = board::lower(&mut r, &raw.boards, &refs);
    desired.seeded_pairs = board::seeded_pairs(&pair_facts, &blocks_by_pair);
    desired.auth_methods = super::auth_method::lower(&mut r, &raw.auth_methods);
    desired.routing_tests = super::routing_test::lower(&mut r, &raw.routing_tests);
    (desired, r.origins)
}

fn check_url(r: &mut Reporter<'_>, url: &Str) {
    if url.unresolved {
        return;
    }
    let lower = url.value.trim().to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"));
    match rest {
        Some(rest) if !rest.is_empty() && !rest.starts_with('/') => {
            if url.value.chars().any(char::is_whitespace) {
                r.error(
                    url.loc,
                    "the url contains whitespace".into(),
                    Some("encode spaces as %20".into()),
                );
            }
        }
        _ => r.error(
            url.loc,
            format!("url `{}` is not an http(s) URL", url.raw),
            Some("webhook urls start with https:// (or http://) and a host".into()),
        ),
    }
}

fn check_handle(r: &mut Reporter<'_>, loc: Loc, handle: &str, known_hooks: &HashSet<&str>) -> bool {
    if !handle.starts_with('@') || handle.len() < 2 {
        r.error(
            loc,
            format!("`{handle}` is not a handle"),
            Some("handles start with `@`, e.g. `@slack-payments` or `@webhook-NAME`".into()),
        );
        return false;
    }
    if handle.contains(['(', ')']) || handle.chars().any(char::is_whitespace) {
        r.error(
            loc,
            format!("handle `{handle}` contains a space or a parenthesis"),
            Some("Datadog ends a handle at the first space; give one handle per list item".into()),
        );
        return false;
    }
    if let Some(name) = handle.strip_prefix("@webhook-") {
        if !known_hooks.contains(&name) {
            let mut known: Vec<&str> = known_hooks.iter().copied().collect();
            known.sort_unstable();
            let hint = match did_you_mean(name, &known) {
                Some(s) => format!("did you mean `@webhook-{s}`?"),
                None => "declare it under `webhooks:` (or a pair), or list it under `external_webhooks:` if it is managed elsewhere".into(),
            };
            r.error(
                loc,
                format!("`{handle}` names webhook `{name}`, which is not declared"),
                Some(hint),
            );
            return false;
        }
    }
    r.record_handle(loc, handle);
    true
}

/// A block lowered for its delivery: where it goes in [`Desired`].
enum Lowered {
    /// `delivery: message`: a managed block in the monitors' messages.
    Message(NotificationBlock),
    /// `delivery: rule`: a monitor notification rule.
    Rule(NotificationRule),
}

/// What a block may refer to, from the rest of the load.
struct Refs<'a> {
    /// Each valid pair's generated webhooks: (condition, webhook name).
    pairs: &'a HashMap<String, Vec<(Condition, String)>>,
    /// Every pair defined, valid or not (a broken pair is not reported again).
    seen_pairs: &'a HashMap<String, Loc>,
    /// Every webhook a handle may name: declared, generated and external.
    hooks: &'a HashSet<&'a str>,
}

fn lower_block(r: &mut Reporter<'_>, block: &RawBlock, refs: &Refs<'_>) -> Option<Lowered> {
    let mut ok = true;
    match block.delivery {
        Delivery::Message => {
            let monitors = message_selector(r, block, &mut ok);
            let rules = lower_rules(r, block, refs, &mut ok);
            let rules: Vec<NotifyRule> = rules.into_iter().map(|l| l.rule).collect();
            let mut text = None;
            if let Some(t) = &block.text {
                let converted = datadog_spelling(&t.value);
                ok &= check_text(r, t, &converted, refs.hooks);
                text = Some(converted);
            }
            for (key, list) in [("always", &block.always), ("otherwise", &block.otherwise)] {
                if let Some((at, _)) = list {
                    let hint = if key == "always" {
                        "handles notified on every transition go in `text:` in a message block (outside any `{{#…}}` section)"
                    } else {
                        "a message block says what fires when no condition holds with a negated section in `text:` or `notify` (`^is_alert`)"
                    };
                    r.error(
                        *at,
                        format!("`{key}` is a notification rule's; this block is delivered in monitor messages"),
                        Some(format!("add `delivery: rule`, or: {hint}")),
                    );
                    ok = false;
                }
            }
            if !block.broken
                && rules.is_empty()
                && !text.as_deref().is_some_and(|t| !t.trim().is_empty())
                && ok
            {
                r.error(
                    block.name.loc,
                    format!(
                        "notification block `{}` has nothing to write",
                        block.name.raw
                    ),
                    Some("give it a `pair`, `notify` rules or `text`".into()),
                );
                ok = false;
            }
            ok.then(|| {
                Lowered::Message(NotificationBlock {
                    name: block.name.value.clone(),
                    monitors,
                    rules,
                    text,
                })
            })
        }
        Delivery::Rule => {
            let filter = rule::filter(r, block, &mut ok);
            let rules = lower_rules(r, block, refs, &mut ok);
            let mut listed = |list: &Option<(Loc, Vec<Str>)>| {
                list.as_ref().map(|(at, handles)| {
                    for h in handles {
                        ok &= check_handle(r, h.loc, &h.value, refs.hooks);
                    }
                    let locs = handles.iter().map(|h| h.loc).collect();
                    let values = handles.iter().map(|h| h.value.clone()).collect();
                    rule::Listed {
                        at: *at,
                        handles: values,
                        locs,
                    }
                })
            };
            let always = listed(&block.always);
            let otherwise = listed(&block.otherwise);
            rule::lower(r, block, filter, rules, (always, otherwise), ok).map(Lowered::Rule)
        }
    }
}

/// A message block's `monitors:`: the union of `ids`, `tags` and `name`; `scope` is a
/// notification-rule filter and an error here.
fn message_selector(r: &mut Reporter<'_>, block: &RawBlock, ok: &mut bool) -> MonitorSelector {
    let mut monitors = MonitorSelector::default();
    let Some(sel) = &block.monitors else {
        no_monitors(r, block, "`monitors: {ids: [...], tags: [...], name: ...}`");
        *ok = false;
        return monitors;
    };
    monitors.ids = sel.ids.iter().copied().collect();
    monitors.tags = sel.tags.iter().map(|t| t.value.clone()).collect();
    match &sel.name {
        Some(n) if n.value.is_empty() && !n.unresolved => {
            r.error(
                n.loc,
                "an empty `name` would select every monitor".into(),
                Some("give part of the monitors' name, or select by tags".into()),
            );
            *ok = false;
        }
        Some(n) => monitors.name = Some(n.value.clone()),
        None => {}
    }
    if let Some(loc) = sel.scope_key {
        r.error(
            loc,
            "`monitors.scope` is a notification-rule filter; a block delivered in monitor messages cannot select by it".into(),
            Some("add `delivery: rule` to make the block a notification rule, or select with `monitors.tags`".into()),
        );
        *ok = false;
    }
    if monitors.is_empty() && *ok && !block.broken {
        r.error(
            sel.loc,
            format!("notification block `{}` selects no monitor", block.name.raw),
            Some("give at least one of `ids`, `tags` or `name`".into()),
        );
        *ok = false;
    }
    monitors
}

/// A block's condition rules, from `pair` (its webhooks, in the pair's order) then `notify`
/// (in manifest order), with where each was written; `ok` turns false on any problem.
fn lower_rules(
    r: &mut Reporter<'_>,
    block: &RawBlock,
    refs: &Refs<'_>,
    ok: &mut bool,
) -> Vec<Located> {
    let mut rules = Vec::new();
    if let Some(pair) = &block.pair {
        match refs.pairs.get(&pair.value) {
            Some(generated) => {
                for (condition, hook) in generated {
                    rules.push(Located {
                        rule: NotifyRule {
                            when: SectionCondition {
                                condition: *condition,
                                negated: false,
                            },
                            handles: vec![format!("@webhook-{hook}")],
                        },
                        at: pair.loc,
                        handles: vec![pair.loc],
                    });
                }
            }
            None => {
                unknown_pair(r, pair, refs.seen_pairs);
                *ok = false;
            }
        }
    }
    let mut seen_conditions: Vec<(SectionCondition, Loc)> = Vec::new();
    for (cond, handles) in &block.notify {
        let Some(when) = SectionCondition::parse(&cond.value) else {
            let bare = cond.value.trim_start_matches('^');
            let names: Vec<&str> = Condition::SIMPLE.iter().map(|c| c.name()).collect();
            let hint = if bare.starts_with("is_priority") {
                "write `is_priority 'P1'` … `is_priority 'P5'`".to_string()
            } else {
                match did_you_mean(bare, &names) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!(
                        "known conditions: {}, is_priority 'P1'…'P5', each negatable with `^`",
                        names.join(", ")
                    ),
                }
            };
            r.error(
                cond.loc,
                format!("unknown condition `{}`", cond.raw),
                Some(hint),
            );
            *ok = false;
            continue;
        };
        if let Some((_, first)) = seen_conditions.iter().find(|(c, _)| *c == when) {
            let first = *first;
            r.error(
                cond.loc,
                format!(
                    "condition `{when}` appears twice in `notify` (first at line {})",
                    first.pos.line
                ),
                Some("list all its handles under one key".into()),
            );
            *ok = false;
            continue;
        }
        seen_conditions.push((when, cond.loc));
        if handles.is_empty() {
            r.error(
                cond.loc,
                format!("condition `{when}` has no handles"),
                Some("list handles such as [\"@webhook-NAME\"], or remove the line".into()),
            );
            *ok = false;
            continue;
        }
        let mut list = Vec::new();
        for h in handles {
            *ok &= check_handle(r, h.loc, &h.value, refs.hooks);
            list.push(h.value.clone());
        }
        rules.push(Located {
            rule: NotifyRule {
                when,
                handles: list,
            },
            at: cond.loc,
            handles: handles.iter().map(|h| h.loc).collect(),
        });
    }
    rules
}

fn check_text(r: &mut Reporter<'_>, t: &Str, text: &str, known_hooks: &HashSet<&str>) -> bool {
    if t.unresolved {
        return true;
    }
    let mut ok = true;
    if let Some(at) = text
        .find("ddhooks:begin")
        .or_else(|| text.find("ddhooks:end"))
    {
        let (line, col) = line_col(text, at);
        r.error(
            pos_in(t, line, col),
            "`text` contains a ddhooks marker; ddhooks writes the markers around the block itself, and a marker inside would make the monitor's message unreadable".to_string(),
            Some("remove the `ddhooks:begin`/`ddhooks:end` comment from the text".into()),
        );
        return false;
    }
    if let Err(err) = template::check_nesting(text) {
        r.error(
            pos_in(t, err.line, err.column),
            format!("in `text`: {}", err.message),
            Some("write the conditions as sibling sections, or as `notify` rules".into()),
        );
        return false;
    }
    match template::parse(text) {
        Err(err) => {
            r.error(
                pos_in(t, err.line, err.column),
                format!("in `text`: {}", err.message),
                Some("sections open with <<#cond>> (or {{#cond}}) and close with <</cond>>".into()),
            );
            ok = false;
        }
        Ok(nodes) => {
            let mut todo: Vec<&template::Node> = nodes.iter().collect();
            while let Some(node) = todo.pop() {
                if let template::Node::Section {
                    when,
                    children,
                    open,
                    ..
                } = node
                {
                    if let Err(raw) = when {
                        let (line, col) = line_col(text, open.start);
                        let names: Vec<&str> = Condition::SIMPLE.iter().map(|c| c.name()).collect();
                        let bare = raw.trim().trim_start_matches(['#', '^']);
                        let hint = did_you_mean(bare, &names)
                            .map(|s| format!("did you mean `{s}`?"))
                            .unwrap_or_else(|| {
                                "ddhooks accepts Datadog's is_… conditions only".into()
                            });
                        r.error(
                            pos_in(t, line, col),
                            format!("unknown condition `{}` in `text`", raw.trim()),
                            Some(hint),
                        );
                        ok = false;
                    }
                    todo.extend(children.iter());
                }
            }
        }
    }
    for handle in template::handles(text) {
        let (line, col) = line_col(text, handle.range.start);
        let loc = pos_in(t, line, col);
        let full = format!("@{}", handle.name);
        if handle.webhook().is_some() {
            ok &= check_handle(r, loc, &full, known_hooks);
        }
    }
    ok
}

#[cfg(test)]
mod tests {
    use super::super::reporter::{ANGLE_SECTION, WEBHOOK_NAME};
    use super::*;

    /// A pattern that failed to compile would silently reject every name (or leave `<<#…>>`
    /// unconverted in the text written to monitors): they must all compile.
    #[test]
    fn every_pattern_compiles() {
        for (name, re) in [
            ("WEBHOOK_NAME", &WEBHOOK_NAME),
            ("VARIABLE_NAME", &VARIABLE_NAME),
            ("ANGLE_SECTION", &ANGLE_SECTION),
        ] {
            assert!(re.is_some(), "{name} does not compile");
        }
        assert_eq!(
            datadog_spelling("<<#is_alert>>x<</is_alert>>"),
            "{{#is_alert}}x{{/is_alert}}"
        );
    }
}
