//! The order apply writes a plan in, as data: the engine driven with every write
//! succeeding, each step as one line. The planner's cases snapshot it, so that the order
//! the guarantees promise (variables before webhooks, a group's monitors once its webhooks
//! exist, rules before the blocks they replace, removals last) is reviewed as data.

use super::engine::Engine;
use super::step::{MonitorOutcome, MonitorWork, Step, StepOutcome, WriteError};
use crate::plan::{Action, Change, Plan};
use crate::registry::Registry;
use std::time::Duration;

/// The steps apply takes for `plan` with `concurrency` requests in flight, when every
/// write succeeds and the read is fresh: one line per step ([`Step::describe`]), the last
/// `done`.
pub fn schedule(plan: &Plan, concurrency: usize) -> Vec<String> {
    schedule_from(plan, Registry::new(&plan.salt), false, concurrency)
}

/// [`schedule`] from the registry an apply starts with (`dirty`: it must be saved even if
/// unchanged), so that a driver's run can be compared with the core's steps step by step.
pub fn schedule_from(
    plan: &Plan,
    registry: Registry,
    dirty: bool,
    concurrency: usize,
) -> Vec<String> {
    let mut engine = Engine::new(plan, registry, dirty).overlapping(concurrency.saturating_sub(1));
    let mut steps = Vec::new();
    loop {
        let step = engine.next(Duration::ZERO);
        steps.push(step.describe());
        let outcome = match &step {
            Step::Done => return steps,
            Step::SaveRegistry(_) => StepOutcome::Saved(Ok(())),
            Step::Write(_) => StepOutcome::Written(Ok(())),
            Step::Monitors(work) => StepOutcome::Monitors(succeeded(plan, work)),
            Step::Overlapped { monitors, .. } => StepOutcome::Overlapped {
                written: Ok(()),
                monitors: succeeded(plan, monitors),
            },
            Step::WriteById(changes) => StepOutcome::ByIdWritten(created(changes)),
            Step::SubmitChecks(_) => StepOutcome::ChecksSubmitted(Ok(())),
        };
        engine.settle(outcome);
    }
}

/// Writes by id that all succeed: each create answers an id of its own (`id-ADDRESS`).
pub(crate) fn created(
    changes: &[&Change],
) -> std::collections::BTreeMap<crate::plan::Address, Result<Option<String>, WriteError>> {
    changes
        .iter()
        .map(|c| {
            let id = (c.action() == Action::Create).then(|| format!("id-{}", c.address()));
            (c.address(), Ok(id))
        })
        .collect()
}

/// Monitor work as it goes when nobody edited a message meanwhile: a read finds every
/// monitor as the plan read it, every write is made.
pub(crate) fn succeeded(plan: &Plan, work: &MonitorWork<'_>) -> MonitorOutcome {
    let as_planned = plan.changes.iter().filter_map(|c| match c {
        Change::Monitor(m) => Some((m.id, m.read.clone())),
        _ => None,
    });
    match work {
        MonitorWork::Read => MonitorOutcome::Read(Ok(as_planned.collect())),
        MonitorWork::ReadEach(ids) => {
            MonitorOutcome::Read(Ok(as_planned.filter(|(id, _)| ids.contains(id)).collect()))
        }
        MonitorWork::Write(changes) => {
            MonitorOutcome::Written(changes.iter().map(|m| (m.id, Ok(()))).collect())
        }
    }
}
