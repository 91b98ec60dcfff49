//! Blocks declared with `delivery: rule`: lowered into a monitor notification rule (API v2)
//! instead of a managed block in messages.
//!
//! A rule can say less than a message can: it selects monitors by tags or by an
//! event-search scope only, routes on four transition types and on tags, and has limits on
//! its sizes (`../shared/datadog-api/notification-rules.md`). Everything a rule cannot say
//! is an error at the key or value that says it, suggesting `delivery: message`, so that a
//! block never silently means less than what was written.

use super::lowering_shared::{no_monitors, Located};
use super::raw::{Loc, RawBlock, RawSelector};
use super::reporter::Reporter;
use crate::model::{
    Condition, NotificationRule, RuleCondition, RuleConditionScope, RuleFilter, RuleRecipients,
    SectionCondition,
};

pub(crate) use super::format::{MAX_CONDITIONS, MAX_FILTER_TAGS, MAX_RECIPIENTS, MAX_SCOPE_CHARS};

/// The transition types a rule routes on (`transition_type:<name>`): the statuses Datadog's
/// documentation names (alert and recovery are also the recorded ones). Every other
/// condition but `is_priority` is beyond a rule.
pub(crate) const RULE_TRANSITIONS: [Condition; 4] = [
    Condition::IsAlert,
    Condition::IsRecovery,
    Condition::IsWarning,
    Condition::IsNoData,
];

/// The hint of every "a rule cannot …" error about conditions.
const CONDITIONS_HINT: &str =
    "a rule routes on is_alert, is_recovery, is_warning, is_no_data and is_priority 'P1'…'P5' only";

/// What a condition becomes in a rule: a transition type, or the priority tag
/// (`is_priority 'P1'` → `priority:p1`). `None` for what a rule cannot express: negations and
/// the other conditions.
pub(crate) fn condition_scope(when: SectionCondition) -> Option<RuleConditionScope> {
    if when.negated {
        return None;
    }
    match when.condition {
        Condition::IsPriority(n) => Some(RuleConditionScope::Tag(format!("priority:p{n}"))),
        c if RULE_TRANSITIONS.contains(&c) => Some(RuleConditionScope::Transition(c)),
        _ => None,
    }
}

/// The rule's filter from a block's `monitors:`: exactly one of `tags` (1–20) and `scope`
/// (1–3000 characters). `ids` and `name` are errors; `ok` turns false on any problem.
pub(crate) fn filter(r: &mut Reporter<'_>, block: &RawBlock, ok: &mut bool) -> Option<RuleFilter> {
    let Some(sel) = &block.monitors else {
        no_monitors(
            r,
            block,
            "`monitors: {tags: [...]}` or `monitors: {scope: ...}`",
        );
        *ok = false;
        return None;
    };
    let mut unusable = false;
    for (key, what) in [(sel.ids_key, "ids"), (sel.name_key, "name")] {
        if let Some(loc) = key {
            r.error(
                loc,
                format!("a notification rule cannot select monitors by `{what}`; use `delivery: message`"),
                Some(SELECT_HINT.into()),
            );
            unusable = true;
        }
    }
    let filter = match (sel.tags_key, sel.scope_key) {
        (Some(_), Some(scope_key)) => {
            r.error(
                scope_key,
                "a notification rule selects by `tags` or by `scope`, not both".into(),
                Some("write the tags into the scope: `team:x AND env:prod AND (…)`".into()),
            );
            None
        }
        (Some(_), None) if !sel.tags.is_empty() => tags_filter(r, sel),
        (None, Some(_)) => scope_filter(r, sel),
        _ => {
            if !unusable && !block.broken {
                r.error(
                    sel.loc,
                    format!("notification block `{}` selects no monitor", block.name.raw),
                    Some(SELECT_HINT.into()),
                );
            }
            None
        }
    };
    *ok &= filter.is_some() && !unusable;
    filter
}

/// The hint of the errors about how a rule selects its monitors.
const SELECT_HINT: &str = "a rule selects by `monitors.tags` (all must match) or `monitors.scope`";

fn tags_filter(r: &mut Reporter<'_>, sel: &RawSelector) -> Option<RuleFilter> {
    if let Some(extra) = sel.tags.get(MAX_FILTER_TAGS) {
        r.error(
            extra.loc,
            format!(
                "a notification rule's `tags` filter holds at most {MAX_FILTER_TAGS} tags; this is tag {}",
                MAX_FILTER_TAGS + 1
            ),
            Some("select with a shorter `monitors.scope`, or use `delivery: message`".into()),
        );
        return None;
    }
    Some(RuleFilter::Tags(
        sel.tags.iter().map(|t| t.value.clone()).collect(),
    ))
}

/// `monitors.scope`, an event-search expression: only its length is checked here.
fn scope_filter(r: &mut Reporter<'_>, sel: &RawSelector) -> Option<RuleFilter> {
    // `None`: not a string, already reported.
    let scope = sel.scope.as_ref()?;
    if !scope.unresolved {
        let chars = scope.value.chars().count();
        if scope.value.trim().is_empty() {
            r.error(
                scope.loc,
                "`scope` is empty; a notification rule's scope is an expression such as `team:checkout AND NOT env:dev`".into(),
                Some(SELECT_HINT.into()),
            );
            return None;
        }
        if chars > MAX_SCOPE_CHARS {
            r.error(
                scope.loc,
                format!(
                    "`scope` is {chars} characters long; a notification rule's scope holds at most {MAX_SCOPE_CHARS}"
                ),
                Some("split the block into several rules, or select by `monitors.tags`".into()),
            );
            return None;
        }
        if let Err(e) = crate::scope::Scope::parse(&scope.value) {
            let before = scope.value.get(..e.offset()).unwrap_or("");
            let line = before.matches('\n').count() + 1;
            let col = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
            r.error(
                super::reporter::pos_in(scope, line, col),
                format!("`scope` is not a valid notification-rule scope: {e}"),
                Some(SELECT_HINT.into()),
            );
            return None;
        }
    }
    Some(RuleFilter::Scope(scope.value.clone()))
}

/// A block's `always:` or `otherwise:` handles, already checked as handles.
pub(crate) struct Listed {
    /// Where the key was written.
    pub at: Loc,
    /// The handles, with their `@`.
    pub handles: Vec<String>,
    /// Where each handle was written.
    pub locs: Vec<Loc>,
}

/// The rule a `delivery: rule` block makes, from its filter (see [`filter`]), its
/// condition rules as lowered for a message block, and its `always` (plain recipients) and
/// `otherwise` (fallback recipients) lists. `None` when something cannot be said by a rule
/// (each reported where it was written) or `ok` is already false.
pub(crate) fn lower(
    r: &mut Reporter<'_>,
    block: &RawBlock,
    filter: Option<RuleFilter>,
    rules: Vec<Located>,
    (always, otherwise): (Option<Listed>, Option<Listed>),
    mut ok: bool,
) -> Option<NotificationRule> {
    if let Some(loc) = block.text_key {
        r.error(
            loc,
            "a notification rule cannot carry free `text`; use `delivery: message`".into(),
            Some("a rule routes recipients per condition: write them under `notify`".into()),
        );
        ok = false;
    }
    if block.pair.is_none() && block.notify.is_empty() && always.is_none() && !block.broken {
        r.error(
            block.name.loc,
            format!(
                "notification block `{}` is a notification rule without a condition",
                block.name.raw
            ),
            Some(
                "give it a `pair`, `notify` entries or `always` recipients; free text needs `delivery: message`".into(),
            ),
        );
        ok = false;
    }
    if let Some(extra) = rules.get(MAX_CONDITIONS) {
        r.error(
            extra.at,
            format!(
                "a notification rule holds at most {MAX_CONDITIONS} conditions; this is condition {}; use `delivery: message`",
                MAX_CONDITIONS + 1
            ),
            Some("or split the block into several rules".into()),
        );
        ok = false;
    }
    let mut conditions = Vec::with_capacity(rules.len());
    for located in rules {
        let when = located.rule.when;
        let Some(scope) = condition_scope(when) else {
            let what = if when.negated {
                format!("the negation `{when}`")
            } else {
                format!("`{when}`")
            };
            r.error(
                located.at,
                format!("a notification rule cannot express {what}; use `delivery: message`"),
                Some(CONDITIONS_HINT.into()),
            );
            ok = false;
            continue;
        };
        if let Some(extra) = located.handles.get(MAX_RECIPIENTS) {
            r.error(
                *extra,
                format!(
                    "a notification rule notifies at most {MAX_RECIPIENTS} recipients per condition; `{when}` lists {}; use `delivery: message`",
                    located.rule.handles.len()
                ),
                Some("or split the block into several rules".into()),
            );
            ok = false;
        }
        conditions.push(RuleCondition {
            scope,
            recipients: located
                .rule
                .handles
                .iter()
                .map(|h| h.strip_prefix('@').unwrap_or(h).to_string())
                .collect(),
        });
    }
    ok &= check_lists(
        r,
        always.as_ref(),
        otherwise.as_ref(),
        !conditions.is_empty(),
    );
    let bare = |l: Option<Listed>| -> Vec<String> {
        l.map(|l| l.handles)
            .unwrap_or_default()
            .iter()
            .map(|h| h.strip_prefix('@').unwrap_or(h).to_string())
            .collect()
    };
    let recipients = match always {
        Some(list) => RuleRecipients::Always(bare(Some(list))),
        None => RuleRecipients::Conditional {
            conditions,
            fallback: bare(otherwise),
        },
    };
    let filter = filter?;
    ok.then(|| NotificationRule {
        name: block.name.value.clone(),
        filter,
        recipients,
    })
}

/// Datadog's rules for `always` (`recipients`) and `otherwise` (`fallback_recipients`):
/// plain recipients exclude conditional ones, a fallback needs conditions, and each list
/// holds 1–20 recipients. Returns whether all hold (each problem reported at its line).
fn check_lists(
    r: &mut Reporter<'_>,
    always: Option<&Listed>,
    otherwise: Option<&Listed>,
    has_conditions: bool,
) -> bool {
    let mut ok = true;
    if let Some(list) = always {
        if has_conditions {
            r.error(
                list.at,
                "a notification rule notifies `always` or per condition (`pair`, `notify`), not both: Datadog's `recipients` and `conditional_recipients` exclude each other".into(),
                Some("split the block into two rules, or move the handles under the conditions they are for".into()),
            );
            ok = false;
        }
        if otherwise.is_some() {
            r.error(
                list.at,
                "`otherwise` is notified when no condition applied, and a rule with `always` has no condition".into(),
                Some("remove `otherwise`, or give the rule conditions instead of `always`".into()),
            );
            ok = false;
        }
    } else if let (Some(list), false) = (otherwise, has_conditions) {
        r.error(
            list.at,
            "`otherwise` is notified when no condition applied: this rule has no condition".into(),
            Some("give it a `pair` or `notify` entries, or use `always`".into()),
        );
        ok = false;
    }
    for (key, list) in [("always", always), ("otherwise", otherwise)] {
        let Some(list) = list else { continue };
        if list.handles.is_empty() {
            r.error(
                list.at,
                format!("`{key}` lists no handle"),
                Some("list handles such as [\"@slack-oncall\"], or remove the key".into()),
            );
            ok = false;
        } else if let Some(extra) = list.locs.get(MAX_RECIPIENTS) {
            r.error(
                *extra,
                format!(
                    "a notification rule's `{key}` holds at most {MAX_RECIPIENTS} recipients; it lists {}",
                    list.handles.len()
                ),
                Some("or split the block into several rules".into()),
            );
            ok = false;
        }
    }
    ok
}

#[cfg(test)]
mod tests {
    use super::super::{load_sources, LoadOptions, Source};
    use super::*;
    use std::path::PathBuf;

    /// Every condition a manifest can write, negated or not.
    fn every_condition() -> Vec<SectionCondition> {
        let conditions = Condition::SIMPLE
            .into_iter()
            .chain((1..=5).map(Condition::IsPriority));
        conditions
            .flat_map(|condition| {
                [false, true].map(|negated| SectionCondition { condition, negated })
            })
            .collect()
    }

    #[test]
    fn a_rule_routes_on_four_transitions_and_the_priority_tag_only() {
        let mut expressible = Vec::new();
        for when in every_condition() {
            if let Some(scope) = condition_scope(when) {
                expressible.push(scope.to_string());
                // What Datadog stores reads back as the same scope.
                assert_eq!(RuleConditionScope::parse(&scope.to_string()), scope);
            }
        }
        assert_eq!(
            expressible,
            [
                "transition_type:is_alert",
                "transition_type:is_warning",
                "transition_type:is_no_data",
                "transition_type:is_recovery",
                "priority:p1",
                "priority:p2",
                "priority:p3",
                "priority:p4",
                "priority:p5",
            ]
        );
    }

    fn problems(yaml: &str) -> Vec<String> {
        let sources = [Source {
            path: PathBuf::from("r.yaml"),
            text: yaml.into(),
        }];
        match load_sources(&sources, &LoadOptions::default()) {
            Ok(loaded) => loaded.warnings.iter().map(|d| d.to_string()).collect(),
            Err(diags) => diags.iter().map(|d| d.to_string()).collect(),
        }
    }

    /// Everything a rule cannot say is reported in one load, each at its own key.
    #[test]
    fn every_problem_of_a_rule_block_is_reported_at_once() {
        let yaml = "\
monitor_notifications:
  b:
    delivery: rule
    monitors: {ids: [1], name: x, tags: [\"a:b\"]}
    notify:
      ^is_alert: [\"@slack-x\"]
      is_renotify: [\"@slack-x\"]
    text: hello
";
        let got: Vec<String> = problems(yaml)
            .iter()
            .map(|p| p.lines().next().unwrap_or_default().to_string())
            .collect();
        assert_eq!(
            got,
            [
                "r.yaml:4:16: error: a notification rule cannot select monitors by `ids`; use `delivery: message`",
                "r.yaml:4:26: error: a notification rule cannot select monitors by `name`; use `delivery: message`",
                "r.yaml:6:7: error: a notification rule cannot express the negation `^is_alert`; use `delivery: message`",
                "r.yaml:7:7: error: a notification rule cannot express `is_renotify`; use `delivery: message`",
                "r.yaml:8:5: error: a notification rule cannot carry free `text`; use `delivery: message`",
            ]
        );
    }

    #[test]
    fn limits_are_reported_at_the_first_item_past_them() {
        let tags: Vec<String> = (0..21).map(|i| format!("t:{i}")).collect();
        let handles: Vec<String> = (0..21).map(|i| format!("\"@slack-{i}\"")).collect();
        let notify: String = ["is_alert", "is_recovery", "is_warning", "is_no_data"]
            .iter()
            .map(|c| c.to_string())
            .chain((1..=3).map(|n| format!("is_priority 'P{n}'")))
            .map(|c| format!("      {c}: [\"@slack-x\"]\n"))
            .collect();
        let yaml = format!(
            "custom_variables:\n  DD_API_KEY: {{value: k, secret: true}}\n\
             webhook_pairs:\n  g: {{check: g.status, statuses: {{alert: 2, recovery: 0, warning: 1, no_data: 3}}}}\n\
             monitor_notifications:\n  b:\n    delivery: rule\n    monitors:\n      tags: [{}]\n    pair: g\n    notify:\n{notify}      \"is_priority 'P4'\": [{}]\n",
            tags.join(", "),
            handles.join(", ")
        );
        let line_of = |needle: &str| {
            let at = yaml.find(needle).unwrap_or_default();
            super::super::reporter::line_col(&yaml, at)
        };
        let got: Vec<String> = problems(&yaml)
            .iter()
            .map(|p| p.lines().next().unwrap_or_default().to_string())
            .collect();
        // The 21st tag, the 11th condition (the pair gave four), the 21st handle of a list.
        let (tag_line, tag_col) = line_of("t:20");
        let (cond_line, cond_col) = line_of("is_priority 'P3'");
        let (handle_line, handle_col) = line_of("\"@slack-20\"");
        assert_eq!(
            got,
            [
                format!("r.yaml:{tag_line}:{tag_col}: error: a notification rule's `tags` filter holds at most 20 tags; this is tag 21"),
                format!("r.yaml:{cond_line}:{cond_col}: error: a notification rule holds at most 10 conditions; this is condition 11; use `delivery: message`"),
                format!("r.yaml:{handle_line}:{handle_col}: error: a notification rule notifies at most 20 recipients per condition; `is_priority 'P4'` lists 21; use `delivery: message`"),
            ]
        );
    }
}
