//! Datadog's routing semantics, one test each (the facts and their sources are in
//! ARCHITECTURE.md, "Routing").

use super::*;
use crate::model::SampleTransition::{self, *};
use crate::model::{Condition, RuleCondition, RuleFilter};

fn monitor<'a>(message: &'a str, tags: &'a [String]) -> MonitorRouting<'a> {
    MonitorRouting {
        message,
        tags,
        priority: None,
        draft: false,
    }
}

fn tags(list: &[&str]) -> Vec<String> {
    list.iter().map(|t| t.to_string()).collect()
}

fn handles(m: &MonitorRouting<'_>, rules: &[NotificationRule], t: SampleTransition) -> Vec<String> {
    route(m, rules, t)
        .unwrap()
        .iter()
        .map(Recipient::label)
        .collect()
}

fn rule(name: &str, filter: &[&str], recipients: RuleRecipients) -> NotificationRule {
    NotificationRule {
        name: name.into(),
        filter: RuleFilter::Tags(tags(filter)),
        recipients,
    }
}

fn on(scope: RuleConditionScope, recipients: &[&str]) -> RuleCondition {
    RuleCondition {
        scope,
        recipients: recipients.iter().map(|r| r.to_string()).collect(),
    }
}

fn on_tag(tag: &str, recipients: &[&str]) -> RuleCondition {
    on(RuleConditionScope::Tag(tag.into()), recipients)
}

/// A rule on the monitors tagged `team:a` whose recipients depend on `conditions`.
fn conditional(name: &str, conditions: Vec<RuleCondition>, fallback: &[&str]) -> NotificationRule {
    let fallback = fallback.iter().map(|r| r.to_string()).collect();
    rule(
        name,
        &["team:a"],
        RuleRecipients::Conditional {
            conditions,
            fallback,
        },
    )
}

#[test]
fn handles_outside_sections_fire_on_every_transition_with_their_line() {
    let m = monitor("CPU is high.\nPage @pagerduty-x now", &[]);
    for transition in TRANSITIONS {
        let r = route(&m, &[], transition).unwrap();
        assert_eq!(r.len(), 1, "{transition:?}");
        assert_eq!(r[0].handle, "pagerduty-x");
        assert_eq!(r[0].sources, [Source::Text { line: 2 }]);
    }
}

#[test]
fn a_section_fires_when_its_condition_holds_and_an_inverted_one_when_it_does_not() {
    let m = monitor(
        "{{#is_alert}} @slack-a {{/is_alert}}{{^is_recovery}} @slack-b {{/is_recovery}}",
        &[],
    );
    assert_eq!(handles(&m, &[], Alert), ["@slack-a", "@slack-b"]);
    assert_eq!(handles(&m, &[], Recovery), Vec::<String>::new());
    assert_eq!(handles(&m, &[], Warning), ["@slack-b"]);
}

#[test]
fn a_draft_notifies_nobody() {
    let t = tags(&["team:a"]);
    let mut m = monitor("@slack-a", &t);
    m.draft = true;
    let always = rule(
        "r",
        &["team:a"],
        RuleRecipients::Always(vec!["slack-b".into()]),
    );
    for transition in TRANSITIONS {
        assert!(route(&m, [&always], transition).unwrap().is_empty());
    }
}

#[test]
fn a_recipient_named_by_the_message_and_a_rule_is_notified_once() {
    let t = tags(&["team:a"]);
    let m = monitor(
        "{{!-- ddhooks:begin g --}}\n{{#is_alert}} @webhook-g-alert-check {{/is_alert}}\n{{!-- ddhooks:end g --}}",
        &t,
    );
    let on_alert = on(
        RuleConditionScope::Transition(Condition::IsAlert),
        &["webhook-g-alert-check"],
    );
    let r = conditional("g-rule", vec![on_alert], &[]);
    let got = route(&m, [&r], Alert).unwrap();
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(
        got[0].sources,
        [
            Source::Block { name: "g".into() },
            Source::Rule {
                name: "g-rule".into(),
                via: RuleVia::Condition("transition_type:is_alert".into())
            }
        ]
    );
}

#[test]
fn a_rule_applies_to_the_monitors_its_filter_matches_only() {
    let always = rule(
        "r",
        &["team:a", "env:prod"],
        RuleRecipients::Always(vec!["slack-b".into()]),
    );
    let matching = tags(&["team:a", "env:prod", "x:y"]);
    let other = tags(&["team:a"]);
    assert_eq!(
        handles(
            &monitor("", &matching),
            std::slice::from_ref(&always),
            Warning
        ),
        ["@slack-b"]
    );
    assert!(handles(&monitor("", &other), &[always], Warning).is_empty());
}

#[test]
fn conditions_on_the_firing_group_are_shown_as_conditions_and_the_fallback_depends_on_them() {
    let t = tags(&["team:a"]);
    let prod = on_tag("env:prod", &["pagerduty-prod"]);
    let team = on_tag("team:a", &["slack-team-a"]);
    let r = conditional("r", vec![prod.clone(), team], &["slack-catchall"]);
    // `team:a` is the monitor's own: decided; `env:prod` depends on the group.
    assert_eq!(
        handles(&monitor("", &t), std::slice::from_ref(&r), Alert),
        [
            "@pagerduty-prod (when the group has env:prod)",
            "@slack-team-a"
        ]
    );
    // Without a decided condition, the fallback goes when the group has none of them.
    let only_prod = conditional("r", vec![prod], &["slack-catchall"]);
    assert_eq!(
        handles(&monitor("", &t), &[only_prod], Alert),
        [
            "@pagerduty-prod (when the group has env:prod)",
            "@slack-catchall (when the group has none of env:prod)"
        ]
    );
}

#[test]
fn is_match_sections_are_shown_as_conditions_never_guessed() {
    let m = monitor(
        "{{#is_match \"env\" \"prod\"}} @pagerduty-prod {{/is_match}}{{^is_match \"env\" \"prod\"}} @slack-dev {{/is_match}} @slack-all",
        &[],
    );
    assert_eq!(
        handles(&m, &[], Alert),
        [
            "@slack-dev (when not is_match \"env\" \"prod\")",
            "@slack-all",
            "@pagerduty-prod (when is_match \"env\" \"prod\")"
        ]
    );
}

#[test]
fn the_priority_decides_is_priority_sections_and_priority_conditions() {
    let t = tags(&["team:a"]);
    let mut m = monitor("{{#is_priority 'P1'}} @pagerduty-p1 {{/is_priority}}", &t);
    let r = conditional("r", vec![on_tag("priority:p1", &["slack-p1"])], &[]);
    m.priority = Some(1);
    assert_eq!(
        handles(&m, std::slice::from_ref(&r), Alert),
        ["@pagerduty-p1", "@slack-p1"]
    );
    m.priority = Some(2);
    assert_eq!(
        handles(&m, &[r], Alert),
        ["@slack-p1 (when the group has priority:p1)"]
    );
}

/// The handle check looks up what a message sends on some transition: a handle right
/// after a tag counts (it is sent so), one behind `is_priority` counts, each once; a word
/// with `@` inside it is no handle.
#[test]
fn handles_sent_are_those_of_some_transition_each_once() {
    let message = "{{#is_alert}}@pagerduty-x {{/is_alert}}\n{{#is_priority 'P1'}} @slack-p1 {{/is_priority}}\n@slack-all @slack-all user@example.com";
    let names: std::collections::BTreeSet<String> = super::handles_sent(message)
        .into_iter()
        .map(|h| h.name)
        .collect();
    assert_eq!(
        names,
        ["pagerduty-x", "slack-all", "slack-p1"]
            .map(String::from)
            .into()
    );
    // Each set of holding sections traced once gives what tracing every transition gives.
    for message in [
        message,
        "{{^is_alert}}@calm{{/is_alert}} {{#is_match \"host\" \"a\"}}@maybe{{/is_match}}",
        "{{#is_warning}}@w{{/is_warning}}{{#is_no_data}}@nd{{/is_no_data}}{{#is_recovery}}@r \
         {{#is_alert_to_warning}}@atw{{/is_alert_to_warning}}{{/is_recovery}}",
    ] {
        let traced = TracedMessage::new(message).expect("parses");
        let mut every = Vec::new();
        for priority in [None, Some(1), Some(2), Some(3), Some(4), Some(5)] {
            for t in TRANSITIONS {
                let (decided, undecided) = traced.sent(&t.transition(priority));
                for h in decided.into_iter().chain(undecided) {
                    if !every
                        .iter()
                        .any(|e: &crate::template::SentHandle| e.name == h.name)
                    {
                        every.push(h);
                    }
                }
            }
        }
        let once: Vec<String> = super::handles_sent(message)
            .into_iter()
            .map(|h| h.name)
            .collect();
        let every: Vec<String> = every.into_iter().map(|h| h.name).collect();
        assert_eq!(once, every, "{message}");
    }
    let plain: Vec<String> = super::handles_sent("Page @a and @b.")
        .into_iter()
        .map(|h| h.name)
        .collect();
    assert_eq!(plain, ["a", "b."]);
}
