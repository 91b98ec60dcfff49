//! Coverage warnings: routing that raises no error anywhere yet leaves a board wrong — a
//! monitor routed to its pair's alert webhook but not to its recovery webhook (its group
//! stays CRITICAL after it recovers), and monitors in No Data that seeding cannot count
//! because their pair has no `no_data` status. Computed on the org as the plan leaves it.

use crate::model::{Desired, Remote, WebhookOrigin};
use crate::preview::SampleTransition;
use crate::routing::{OrgRouting, RoutingChange};
use crate::template::MonitorState;
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
    if pairs.is_empty() {
        return Vec::new();
    }
    let hook = |pair: &str, role: &str| format!("webhook-{pair}-{role}-check");
    let mut wired: BTreeMap<&str, BTreeSet<i64>> = BTreeMap::new();
    let mut no_recovery: BTreeMap<&str, BTreeSet<i64>> = BTreeMap::new();
    for (m, routing) in org.monitors() {
        // Most monitors name no pair at all: a substring test before any routing.
        let mentions = routing.message.contains("@webhook-") || !org.rules().is_empty();
        if !mentions {
            continue;
        }
        let Ok(alert) = org.route(&routing, SampleTransition::Alert) else {
            continue;
        };
        let routed: Vec<&str> = pairs
            .iter()
            .copied()
            .filter(|p| {
                alert
                    .iter()
                    .any(|r| r.when.is_empty() && r.handle == hook(p, "alert"))
            })
            .collect();
        if routed.is_empty() {
            continue;
        }
        let recovery = org
            .route(&routing, SampleTransition::Recovery)
            .unwrap_or_default();
        for pair in routed {
            wired.entry(pair).or_default().insert(m.id);
            let ok = hook(pair, "ok");
            if !recovery.iter().any(|r| r.when.is_empty() && r.handle == ok) {
                no_recovery.entry(pair).or_default().insert(m.id);
            }
        }
    }
    let mut out = Vec::new();
    for (pair, ids) in &no_recovery {
        out.push(format!(
            "pair {pair}: {} routed to @webhook-{pair}-alert-check on alert but not to @webhook-{pair}-ok-check on recovery, so their group stays CRITICAL on the board after they recover; route is_recovery to @webhook-{pair}-ok-check in their block or rule",
            monitors(ids)
        ));
    }
    let Some(planned) = planned else {
        return out;
    };
    for (pair, ids) in &wired {
        let Some(seeded) = desired.seeded_pairs.get(*pair) else {
            continue;
        };
        if seeded.no_data.is_some() {
            continue;
        }
        // Wired by this plan: its alert webhook is added on alert.
        let alert_hook = hook(pair, "alert");
        let newly: BTreeSet<i64> = planned
            .iter()
            .filter(|c| c.transition == SampleTransition::Alert)
            .filter(|c| c.added.iter().any(|r| r.handle == alert_hook))
            .map(|c| c.monitor)
            .collect();
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
