//! Coverage warnings: routing that raises no error anywhere yet leaves a board wrong or a
//! reviewer misled — a monitor routed to its pair's alert webhook but not to its recovery
//! webhook (its group stays CRITICAL after it recovers), monitors in No Data that seeding
//! cannot count because their pair has no `no_data` status, and a recipient a transition
//! reaches from two places one of which is a rule. Computed on the org as the plan leaves it.

use crate::model::MonitorState;
use crate::model::SampleTransition;
use crate::model::{Desired, Remote, WebhookOrigin};
use crate::routing::{OrgRouting, Recipient, RoutingChange, Source};
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

/// How many monitor ids a warning names before `…`.
const IDS_SHOWN: usize = 10;

/// `N monitors are (1, 2, …)`, or `1 monitor is (1)`.
fn monitors(ids: &BTreeSet<i64>) -> String {
    let mut shown: Vec<String> = ids.iter().take(IDS_SHOWN).map(i64::to_string).collect();
    if ids.len() > IDS_SHOWN {
        shown.push("…".into());
    }
    let noun = if ids.len() == 1 {
        "monitor is"
    } else {
        "monitors are"
    };
    format!("{} {noun} ({})", ids.len(), shown.join(", "))
}

/// Found recipients a transition reaches from two places of which at least one is a rule,
/// by (recipient, places): the monitors.
type Twice = BTreeMap<(String, String), BTreeSet<i64>>;

/// Records the recipients of `routed` (a monitor's, on alert and recovery) that a
/// transition reaches from two places, one of them a rule (two rules, or a rule and the
/// message), beyond the webhooks a rule and a message both name (warned about with the
/// rules): Datadog notifies each once, so one of the places is noise.
fn note_twice(routed: &[Vec<Recipient>], id: i64, found: &mut Twice) {
    for r in routed.iter().flatten() {
        let rules: BTreeSet<&str> = r
            .sources
            .iter()
            .filter_map(|s| match s {
                Source::Rule { name, .. } => Some(name.as_str()),
                _ => None,
            })
            .collect();
        let in_message = r.sources.iter().any(|s| !matches!(s, Source::Rule { .. }));
        let webhook = r.handle.starts_with("webhook-");
        if rules.len() > 1 || (!rules.is_empty() && in_message && !webhook) {
            let places: Vec<String> = r.sources.iter().map(Source::to_string).collect();
            found
                .entry((r.label(), places.join(" and ")))
                .or_default()
                .insert(id);
        }
    }
}

/// The warnings of [`note_twice`]'s findings.
fn twice_warnings(found: Twice) -> Vec<String> {
    found
        .into_iter()
        .map(|((label, places), ids)| {
            format!(
                "{label} is reached from {places} on {}: Datadog notifies it once, so one of them is noise; remove one",
                monitors(&ids).replacen(" is (", " (", 1).replacen(" are (", " (", 1)
            )
        })
        .collect()
}

/// The coverage warnings of the desired pairs over `org` (the org after the plan). With
/// the plan's routing changes (`planned`), also the monitors it wires for the first time
/// that are in No Data while their pair has no `no_data` status (seeding skips them).
pub fn coverage_warnings(
    desired: &Desired,
    remote: &Remote,
    org: &OrgRouting<'_>,
    planned: Option<&[RoutingChange]>,
) -> Vec<String> {
    let pairs: BTreeSet<&str> = desired
        .webhooks
        .values()
        .filter_map(|w| match &w.origin {
            WebhookOrigin::Pair(p) => Some(p.as_str()),
            WebhookOrigin::Declared => None,
        })
        .collect();
    let hook = |pair: &str, role: &str| format!("webhook-{pair}-{role}-check");
    // Handle → pair, built once: a monitor's recipients are looked up, not each pair.
    let alert_hooks: std::collections::HashMap<String, &str> =
        pairs.iter().map(|p| (hook(p, "alert"), *p)).collect();
    let mut wired: BTreeMap<&str, BTreeSet<i64>> = BTreeMap::new();
    let mut no_recovery: BTreeMap<&str, BTreeSet<i64>> = BTreeMap::new();
    let mut twice = Twice::new();
    let has_rules = !org.rules().is_empty();
    // Each monitor is routed on its own, on every core (the thousands of managed messages
    // of a large org are parsed and traced here); the findings are gathered in id order.
    let org_monitors: Vec<_> = org.monitors().collect();
    let routed: Vec<_> = org_monitors
        .into_par_iter()
        .filter_map(|(m, routing)| {
            // Most monitors name no pair and no desired rule selects them: cheap tests
            // before any routing, which then serves both checks.
            let for_pairs =
                !pairs.is_empty() && (has_rules || routing.message.contains("@webhook-"));
            let for_twice = desired
                .notification_rules
                .values()
                .any(|r| crate::template::filter_matches(&r.filter, routing.tags));
            if !for_pairs && !for_twice {
                return None;
            }
            let transitions = [SampleTransition::Alert, SampleTransition::Recovery];
            let routed = org.route_all(&routing, &transitions).ok()?;
            Some((m, for_twice, routed))
        })
        .collect();
    for (m, for_twice, routed) in routed {
        if for_twice {
            note_twice(&routed, m.id, &mut twice);
        }
        let [alert, recovery] = routed.as_slice() else {
            continue;
        };
        for r in alert.iter().filter(|r| r.when.is_empty()) {
            let Some(pair) = alert_hooks.get(&r.handle).copied() else {
                continue;
            };
            wired.entry(pair).or_default().insert(m.id);
            let ok = hook(pair, "ok");
            if !recovery.iter().any(|r| r.when.is_empty() && r.handle == ok) {
                no_recovery.entry(pair).or_default().insert(m.id);
            }
        }
    }
    let mut out = twice_warnings(twice);
    for (pair, ids) in &no_recovery {
        out.push(format!(
            "pair {pair}: {} routed to @webhook-{pair}-alert-check on alert but not to @webhook-{pair}-ok-check on recovery, so their group stays CRITICAL on the board after they recover; route is_recovery to @webhook-{pair}-ok-check in their block or rule",
            monitors(ids)
        ));
    }
    let Some(planned) = planned else {
        return out;
    };
    // Handle → the monitors this plan adds it to on alert, gathered once: not a pass over
    // every routing change per pair (500 pairs and 2,000 changes: a million comparisons).
    let mut added_on_alert: std::collections::HashMap<&str, BTreeSet<i64>> =
        std::collections::HashMap::new();
    for c in planned
        .iter()
        .filter(|c| c.transition == SampleTransition::Alert)
    {
        for r in &c.added {
            added_on_alert
                .entry(r.handle.as_str())
                .or_default()
                .insert(c.monitor);
        }
    }
    let none = BTreeSet::new();
    for (pair, ids) in &wired {
        let Some(seeded) = desired.seeded_pairs.get(*pair) else {
            continue;
        };
        if seeded.no_data.is_some() {
            continue;
        }
        // Wired by this plan: its alert webhook is added on alert.
        let alert_hook = hook(pair, "alert");
        let newly = added_on_alert.get(alert_hook.as_str()).unwrap_or(&none);
        let in_no_data: BTreeSet<i64> = ids
            .iter()
            .copied()
            .filter(|id| newly.contains(id))
            .filter(|id| remote.monitor_states.get(id) == Some(&MonitorState::NoData))
            .collect();
        if !in_no_data.is_empty() {
            out.push(format!(
                "pair {pair}: of the monitors this plan wires, {} in No Data, which seeding does not count on the board because the pair has no `no_data` status; add `statuses: {{no_data: 3}}` to the pair (a `{pair}-no-data-check` webhook reports them UNKNOWN)",
                monitors(&in_no_data)
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{
        Condition, NotificationRule, RemoteMonitor, RuleCondition, RuleConditionScope, RuleFilter,
        RuleRecipients,
    };
    use crate::routing::PlannedRouting;

    fn rule(name: &str, recipient: &str) -> NotificationRule {
        NotificationRule {
            name: name.into(),
            filter: RuleFilter::Tags(vec!["team:a".into()]),
            recipients: RuleRecipients::Conditional {
                conditions: vec![RuleCondition {
                    scope: RuleConditionScope::Transition(Condition::IsAlert),
                    recipients: vec![recipient.into()],
                }],
                fallback: vec![],
            },
        }
    }

    /// A handle a rule and the message both name, or two rules, is one notification and
    /// a warning; a webhook both name is left to the rules' own warning.
    #[test]
    fn a_recipient_reached_from_a_rule_and_another_place_is_warned_once_per_kind() {
        let mut desired = Desired::default();
        desired
            .notification_rules
            .insert("r1".into(), rule("r1", "slack-x"));
        desired
            .notification_rules
            .insert("r2".into(), rule("r2", "pagerduty-y"));
        let mut remote = Remote::default();
        for (id, message) in [(1, "Page @slack-x"), (2, "@webhook-w"), (3, "nothing")] {
            remote.monitors.insert(
                id,
                RemoteMonitor {
                    id,
                    name: format!("m{id}"),
                    tags: vec!["team:a".into()],
                    message: message.into(),
                    priority: None,
                    draft: false,
                },
            );
        }
        // The rules as the org holds them after the plan (created by it), and one people
        // made that routes as r2 does.
        let people = rule("r3", "pagerduty-y");
        let planned = PlannedRouting {
            messages: Default::default(),
            rules: desired
                .notification_rules
                .iter()
                .map(|(k, r)| (k.as_str(), None, Some(r)))
                .chain(std::iter::once(("r3", None, Some(&people))))
                .collect(),
        };
        let org = OrgRouting::after(&remote, &planned);
        let warnings = coverage_warnings(&desired, &remote, &org, None);
        assert!(
            warnings.iter().any(|w| w.starts_with("@slack-x is reached from text line 1 and rule r1 (transition_type:is_alert) on 1 monitor (1)")),
            "{warnings:#?}"
        );
        // r2 and r3 route the same recipient to every monitor: two rules.
        assert!(
            warnings
                .iter()
                .any(|w| w.starts_with("@pagerduty-y is reached from rule r2")
                    && w.contains("3 monitors (1, 2, 3)")),
            "{warnings:#?}"
        );
        assert!(
            !warnings.iter().any(|w| w.contains("webhook-w")),
            "{warnings:#?}"
        );
    }
}
