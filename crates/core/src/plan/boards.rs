//! Status boards in the plan (dashboards ddhooks owns whole: ownership by id, adoption by
//! title), and the check runs apply seeds for monitors a pair wires for the first time.

use super::by_id::{plan_kind, Kind};
use super::model::{BlockAction, Change, Edit, Fingerprint, Plan, SeedRun};
use crate::model::MonitorState;
use crate::model::{Desired, Remote, SeededPair, StatusBoard};
use crate::registry::{OwnedKind, Registry};
use crate::template::filter_matches;
use std::collections::{BTreeMap, BTreeSet};

/// The fingerprint of a dashboard as read: its id and everything ddhooks compares.
pub fn board_fingerprint(id: &str, board: &StatusBoard) -> Fingerprint {
    super::fields_fingerprint(id, crate::model::canonical::board(board))
}

/// Plans every desired board and every owned board no longer desired (adoption by title).
pub(super) fn plan_boards(desired: &Desired, remote: &Remote, registry: &Registry, out: &mut Plan) {
    let kind = Kind {
        noun: "dashboard",
        keyed: "titled",
        desired: desired
            .status_boards
            .iter()
            .map(|(name, board)| (name.as_str(), board, board.title.as_str()))
            .collect(),
        remote: remote
            .status_boards
            .values()
            .map(|b| {
                (
                    b.id.as_str(),
                    (&b.board, b.board.title.as_str(), &b.unmodelled),
                )
            })
            .collect(),
        registry,
        owned: OwnedKind::StatusBoard,
        change: Change::StatusBoard,
        fingerprint: board_fingerprint,
    };
    plan_kind(kind, out);
    // Several dashboards with the title, only some read in full: the listing knows them all.
    for change in &mut out.changes {
        let Change::StatusBoard(board) = change else {
            continue;
        };
        let Edit::Create { after } = &board.edit else {
            continue;
        };
        let owned: BTreeSet<&str> = registry
            .owned_ids(OwnedKind::StatusBoard)
            .map(|(_, id)| id)
            .collect();
        let same: Vec<&str> = remote
            .dashboards
            .iter()
            .filter(|(id, title)| **title == after.title && !owned.contains(id.as_str()))
            .map(|(id, _)| id.as_str())
            .collect();
        if same.len() > 1 && !board.notes.iter().any(|n| n.contains("titled")) {
            board.notes.push(format!(
                "{} dashboards are titled `{}` ({}) and ddhooks owns none of them, so it cannot tell which to adopt: it creates its own; delete or rename the others",
                same.len(),
                after.title,
                same.join(", ")
            ));
        }
    }
}

/// The status a seeded run reports for a monitor in `state`, if the pair has one.
fn seed_status(pair: &SeededPair, state: MonitorState) -> Option<u8> {
    match state {
        MonitorState::Ok => Some(pair.ok),
        MonitorState::Alert => Some(pair.alert),
        MonitorState::Warn => pair.warning,
        MonitorState::NoData => pair.no_data,
        MonitorState::Unknown => None,
    }
}

/// The check runs apply submits, one per monitor a pair's block or rule wires for the
/// first time (a block added or adopted, a rule created or adopted), with the status of the
/// monitor's current state, named and tagged as the pair's webhook would send it. A monitor
/// already wired gets none, so the next plan and a second apply submit nothing.
pub(super) fn plan_seeds(desired: &Desired, remote: &Remote, registry: &Registry, out: &mut Plan) {
    if desired.seeded_pairs.is_empty() {
        return;
    }
    let mut wired: BTreeMap<&str, BTreeSet<i64>> = BTreeMap::new();
    for change in &out.changes {
        match change {
            Change::Monitor(m) => {
                for b in &m.blocks {
                    if matches!(b.action, BlockAction::Add | BlockAction::Adopt { .. }) {
                        wired.entry(b.block.as_str()).or_default().insert(m.id);
                    }
                }
            }
            Change::NotificationRule(r)
                if matches!(r.edit, Edit::Create { .. } | Edit::Adopt { .. }) =>
            {
                let Some(rule) = r.edit.after() else { continue };
                let ids = remote
                    .monitors
                    .values()
                    .filter(|m| filter_matches(&rule.filter, &m.tags))
                    .map(|m| m.id);
                wired.entry(r.name.as_str()).or_default().extend(ids);
            }
            _ => {}
        }
    }
    // Wired already (a switch of delivery, say): the block or rule that wires the monitor
    // now has reported for it before, so it is no first wiring.
    let before = wired_now(desired, remote, |name| {
        registry
            .id_of(OwnedKind::NotificationRule, name)
            .and_then(|id| remote.notification_rules.get(id))
            .map(|r| &r.rule.filter)
    });
    for (block, ids) in &mut wired {
        let pair_blocks = desired
            .seeded_pairs
            .values()
            .filter(|p| p.blocks.iter().any(|b| b == block))
            .flat_map(|p| p.blocks.iter());
        for other in pair_blocks {
            if let Some(old) = before.get(other.as_str()) {
                ids.retain(|id| !old.contains(id));
            }
        }
    }
    out.seeds = seeds_for(desired, remote, &wired);
}

/// Which monitors each block wires in `remote`: those whose message holds its managed
/// block, and those the rule `rule_of(block)` selects.
fn wired_now<'a>(
    desired: &'a Desired,
    remote: &Remote,
    rule_of: impl Fn(&str) -> Option<&'a crate::model::RuleFilter>,
) -> BTreeMap<&'a str, BTreeSet<i64>> {
    let names: BTreeSet<&str> = desired
        .seeded_pairs
        .values()
        .flat_map(|p| p.blocks.iter().map(String::as_str))
        .collect();
    let mut wired: BTreeMap<&'a str, BTreeSet<i64>> = BTreeMap::new();
    for monitor in remote
        .monitors
        .values()
        .filter(|m| m.message.contains("ddhooks:"))
    {
        for block in crate::template::find_blocks(&monitor.message).unwrap_or_default() {
            if let Some(name) = desired
                .seeded_pairs
                .values()
                .flat_map(|p| p.blocks.iter())
                .find(|b| **b == block.name)
            {
                wired.entry(name.as_str()).or_default().insert(monitor.id);
            }
        }
    }
    for name in names {
        let Some(filter) = rule_of(name) else {
            continue;
        };
        let ids = remote
            .monitors
            .values()
            .filter(|m| filter_matches(filter, &m.tags))
            .map(|m| m.id);
        wired.entry(name).or_default().extend(ids);
    }
    wired
}

/// The seeded check runs for every monitor the pairs' blocks and rules wire now, whether or
/// not they were just wired: `ddhooks seed-status`, for groups wired before seeding existed.
pub fn current_seeds(desired: &Desired, remote: &Remote) -> Vec<SeedRun> {
    let wired = wired_now(desired, remote, |name| {
        desired.notification_rules.get(name).map(|r| &r.filter)
    });
    seeds_for(desired, remote, &wired)
}

/// One run per (seeded pair, monitor its blocks wire) whose state the pair has a status
/// for, tagged as the pair's webhook would tag it for that monitor.
fn seeds_for(
    desired: &Desired,
    remote: &Remote,
    wired: &BTreeMap<&str, BTreeSet<i64>>,
) -> Vec<SeedRun> {
    let mut seeds = Vec::new();
    for (pair_name, pair) in &desired.seeded_pairs {
        let monitors: BTreeSet<i64> = pair
            .blocks
            .iter()
            .filter_map(|b| wired.get(b.as_str()))
            .flatten()
            .copied()
            .collect();
        for id in monitors {
            let Some(status) = remote
                .monitor_states
                .get(&id)
                .and_then(|s| seed_status(pair, *s))
            else {
                continue;
            };
            let alert_id = id.to_string();
            let tags = pair
                .tags
                .iter()
                .map(|t| t.replace("$ALERT_ID", &alert_id))
                .collect();
            // A monitor without a host sends an empty `$HOSTNAME`; a literal host is kept.
            let host_name = if pair.host_name.contains('$') {
                String::new()
            } else {
                pair.host_name.clone()
            };
            seeds.push(SeedRun {
                pair: pair_name.clone(),
                monitor: id,
                check: pair.check.clone(),
                host_name,
                status,
                tags,
            });
        }
    }
    seeds
}
