//! What monitor notification rules add to a notification: which rules select a monitor
//! ([`filter_matches`]), whom a rule notifies on a transition ([`rule_recipients`]), and how
//! their recipients merge with the message's handles ([`merge_recipients`]), Datadog calling
//! a handle named twice once.
//!
//! Pure, like the rest of `template`: the sandbox's simulation applies rules with these, and
//! whatever shows what a monitor will send can too.

use super::message::Transition;
use crate::model::{NotificationRule, RuleConditionScope, RuleFilter, RuleRecipients};
use crate::scope::Scope;

/// Whether `tags` contains `wanted`, ASCII case-insensitively (as [`Scope`] matches).
fn has_tag<T: AsRef<str>>(tags: &[T], wanted: &str) -> bool {
    tags.iter()
        .any(|tag| tag.as_ref().eq_ignore_ascii_case(wanted))
}

/// Whether a rule with `filter` applies to a monitor with `tags`: every tag of
/// [`RuleFilter::Tags`] is present, or the [`RuleFilter::Scope`] matches. A scope that does not
/// parse selects nothing (Datadog refuses to store one).
pub fn filter_matches<T: AsRef<str>>(filter: &RuleFilter, tags: &[T]) -> bool {
    match filter {
        RuleFilter::Tags(wanted) => wanted.iter().all(|tag| has_tag(tags, tag)),
        RuleFilter::Scope(text) => Scope::parse(text).is_ok_and(|scope| scope.matches(tags)),
    }
}

/// `priority:pN` as a priority 1–5.
fn priority_tag(tag: &str) -> Option<u8> {
    let (key, value) = tag.split_once(':')?;
    if !key.eq_ignore_ascii_case("priority") {
        return None;
    }
    let digit = value.strip_prefix(['p', 'P'])?;
    match digit.parse::<u8>() {
        Ok(n @ 1..=5) if digit.len() == 1 => Some(n),
        _ => None,
    }
}

/// Whether one condition of a rule's conditional recipients applies: a transition type when
/// the transition satisfies it, a tag when the monitor (`tags`) or the firing group
/// (`group_tags`, e.g. `env:prod` of a multi-alert's group; empty for a simple alert) has it
/// (`priority:pN` also when the transition's priority is N); a scope ddhooks does not
/// understand never applies.
pub fn condition_applies(
    scope: &RuleConditionScope,
    transition: &Transition,
    tags: &[String],
    group_tags: &[String],
) -> bool {
    match scope {
        RuleConditionScope::Transition(condition) => transition.satisfies(*condition),
        RuleConditionScope::Tag(tag) => {
            has_tag(tags, tag)
                || has_tag(group_tags, tag)
                || priority_tag(tag).is_some_and(|p| transition.priority == Some(p))
        }
        RuleConditionScope::Other(_) => false,
    }
}

/// Whom `rule` notifies when a monitor with `tags` makes `transition` for a group with
/// `group_tags` (the caller has checked [`filter_matches`]): every recipient of
/// [`RuleRecipients::Always`]; for [`RuleRecipients::Conditional`], the recipients of every
/// condition that applies ([`condition_applies`]), in order, or the fallback when none
/// applied. Each recipient once.
pub fn rule_recipients(
    rule: &NotificationRule,
    transition: &Transition,
    tags: &[String],
    group_tags: &[String],
) -> Vec<String> {
    match &rule.recipients {
        RuleRecipients::Always(recipients) => merge_recipients([recipients.as_slice()]),
        RuleRecipients::Conditional {
            conditions,
            fallback,
        } => {
            let applied: Vec<&[String]> = conditions
                .iter()
                .filter(|c| condition_applies(&c.scope, transition, tags, group_tags))
                .map(|c| c.recipients.as_slice())
                .collect();
            if applied.is_empty() {
                merge_recipients([fallback.as_slice()])
            } else {
                merge_recipients(applied)
            }
        }
    }
}

/// Several lists of recipients (handles without `@`: the message's, then each rule's) as one,
/// in order of first appearance, each once: Datadog notifies a handle named by a message and a
/// rule, or by two rules, once.
pub fn merge_recipients<'a>(lists: impl IntoIterator<Item = &'a [String]>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for recipient in lists.into_iter().flatten() {
        if !out.contains(recipient) {
            out.push(recipient.clone());
        }
    }
    out
}

/// The webhook a recipient names (`webhook-NAME` → `NAME`), as a message's `@webhook-NAME`.
pub fn recipient_webhook(recipient: &str) -> Option<&str> {
    recipient.strip_prefix("webhook-").filter(|n| !n.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Condition, RuleCondition};
    use crate::template::MonitorState;

    fn tags(list: &[&str]) -> Vec<String> {
        list.iter().map(|t| t.to_string()).collect()
    }

    fn strings(list: &[&str]) -> Vec<String> {
        tags(list)
    }

    fn to(from: MonitorState, to: MonitorState, priority: Option<u8>) -> Transition {
        Transition {
            from,
            to,
            priority,
            renotify: false,
        }
    }

    fn pair_rule() -> NotificationRule {
        NotificationRule {
            name: "checkout".to_string(),
            filter: RuleFilter::Tags(strings(&["team:checkout"])),
            recipients: RuleRecipients::Conditional {
                conditions: vec![
                    RuleCondition {
                        scope: RuleConditionScope::Transition(Condition::IsAlert),
                        recipients: strings(&["webhook-g-alert-check", "slack-x"]),
                    },
                    RuleCondition {
                        scope: RuleConditionScope::parse("priority:p1"),
                        recipients: strings(&["pagerduty-x", "slack-x"]),
                    },
                    RuleCondition {
                        scope: RuleConditionScope::Transition(Condition::IsRecovery),
                        recipients: strings(&["webhook-g-ok-check"]),
                    },
                    RuleCondition {
                        scope: RuleConditionScope::parse("weird scope"),
                        recipients: strings(&["never"]),
                    },
                ],
                fallback: strings(&["email-fallback"]),
            },
        }
    }

    #[test]
    fn filters_by_tags_need_every_tag_and_scopes_must_parse() {
        let monitor = tags(&["team:Checkout", "env:prod"]);
        let by_tags = |t: &[&str]| RuleFilter::Tags(strings(t));
        assert!(filter_matches(&by_tags(&["team:checkout"]), &monitor));
        assert!(filter_matches(
            &by_tags(&["team:checkout", "env:prod"]),
            &monitor
        ));
        assert!(!filter_matches(
            &by_tags(&["team:checkout", "env:dev"]),
            &monitor
        ));
        let scope = |s: &str| RuleFilter::Scope(s.to_string());
        assert!(filter_matches(
            &scope("team:checkout AND NOT env:dev"),
            &monitor
        ));
        assert!(!filter_matches(&scope("team:checkout -env:prod"), &monitor));
        assert!(!filter_matches(&scope("team:checkout AND ("), &monitor));
    }

    #[test]
    fn conditions_that_apply_give_their_recipients_in_order_once() {
        use MonitorState::*;
        let rule = pair_rule();
        let monitor = tags(&["team:checkout"]);
        assert_eq!(
            rule_recipients(&rule, &to(Ok, Alert, None), &monitor, &[]),
            ["webhook-g-alert-check", "slack-x"]
        );
        assert_eq!(
            rule_recipients(&rule, &to(Ok, Alert, Some(1)), &monitor, &[]),
            ["webhook-g-alert-check", "slack-x", "pagerduty-x"],
            "priority:p1 applies through the transition's priority"
        );
        assert_eq!(
            rule_recipients(&rule, &to(Warn, Alert, None), &tags(&["PRIORITY:P1"]), &[]),
            ["webhook-g-alert-check", "slack-x", "pagerduty-x"],
            "or through the monitor's tags"
        );
        assert_eq!(
            rule_recipients(&rule, &to(Alert, Ok, None), &monitor, &[]),
            ["webhook-g-ok-check"]
        );
        assert_eq!(
            rule_recipients(&rule, &to(Ok, Warn, Some(2)), &monitor, &[]),
            ["email-fallback"],
            "no condition applied"
        );
    }

    #[test]
    fn plain_recipients_always_and_merging_keeps_the_first_mention() {
        let rule = NotificationRule {
            name: "all".to_string(),
            filter: RuleFilter::Tags(strings(&["team:a"])),
            recipients: RuleRecipients::Always(strings(&["slack-a", "webhook-w", "slack-a"])),
        };
        let t = to(MonitorState::Ok, MonitorState::Warn, None);
        assert_eq!(
            rule_recipients(&rule, &t, &[], &[]),
            ["slack-a", "webhook-w"]
        );
        let message = strings(&["webhook-w", "pagerduty-p"]);
        let from_rule = rule_recipients(&rule, &t, &[], &[]);
        let merged = merge_recipients([message.as_slice(), from_rule.as_slice()]);
        assert_eq!(merged, ["webhook-w", "pagerduty-p", "slack-a"]);
        let webhooks: Vec<&str> = merged.iter().filter_map(|r| recipient_webhook(r)).collect();
        assert_eq!(webhooks, ["w"]);
        assert_eq!(recipient_webhook("webhook-"), None);
    }

    #[test]
    fn tag_conditions_apply_through_the_monitor_or_the_firing_group() {
        let rule = NotificationRule {
            name: "prod".to_string(),
            filter: RuleFilter::Tags(strings(&["team:checkout"])),
            recipients: RuleRecipients::Conditional {
                conditions: vec![RuleCondition {
                    scope: RuleConditionScope::parse("env:prod"),
                    recipients: strings(&["pagerduty-prod"]),
                }],
                fallback: strings(&["slack-fallback"]),
            },
        };
        let t = to(MonitorState::Ok, MonitorState::Alert, None);
        let monitor = tags(&["team:checkout"]);
        let scope = RuleConditionScope::parse("env:prod");
        assert!(condition_applies(
            &scope,
            &t,
            &monitor,
            &tags(&["ENV:prod"])
        ));
        assert!(!condition_applies(
            &scope,
            &t,
            &monitor,
            &tags(&["env:dev"])
        ));
        assert_eq!(
            rule_recipients(&rule, &t, &monitor, &tags(&["env:prod", "host:a"])),
            ["pagerduty-prod"],
            "the firing group has the tag"
        );
        assert_eq!(
            rule_recipients(&rule, &t, &tags(&["team:checkout", "env:prod"]), &[]),
            ["pagerduty-prod"],
            "the monitor has the tag"
        );
        assert_eq!(
            rule_recipients(&rule, &t, &monitor, &tags(&["env:dev"])),
            ["slack-fallback"],
            "neither has it"
        );
        assert_eq!(
            rule_recipients(&rule, &t, &monitor, &[]),
            ["slack-fallback"]
        );
    }
}
