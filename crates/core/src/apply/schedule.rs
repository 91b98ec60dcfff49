//! The order apply writes a plan in, as data: the engine driven with every write
//! succeeding, each step as one line. The planner's cases snapshot it, so that the order
//! the guarantees promise (variables before webhooks, a group's monitors once its webhooks
//! exist, rules before the blocks they replace, removals last) is reviewed as data.

use super::engine::Engine;
use super::step::{Lane, MonitorOutcome, MonitorWork, Step, StepOutcome, WriteError};
use crate::plan::{Action, Change, Plan};
use crate::registry::Registry;
use std::time::Duration;

/// The steps apply takes for `plan` with `concurrency` requests in flight, when every
/// write succeeds and the read is fresh: one line per step ([`Step::describe`]; a monitor
/// step alongside a chain write as [`Step::describe_alongside`], `+ write monitors 4 2`),
/// the last `done`.
pub fn schedule(plan: &Plan, concurrency: usize) -> Vec<String> {
    let steps = schedule_from(plan, Registry::new(&plan.salt), false, concurrency);
    let mut lines: Vec<String> = steps.into_iter().map(|s| s.line).collect();
    lines.push("done".into());
    lines
}

/// One step of a [`schedule_from`]: its lane and its line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduledStep {
    /// The lane it is taken in (the chain's steps are the same on every run).
    pub lane: Lane,
    /// The step as [`schedule`] shows it.
    pub line: String,
}

/// [`schedule`] from the registry an apply starts with (`dirty`: it must be saved even if
/// unchanged), without the final `done`, so that a driver's run can be compared with the
/// core's steps lane by lane.
pub fn schedule_from(
    plan: &Plan,
    registry: Registry,
    dirty: bool,
    concurrency: usize,
) -> Vec<ScheduledStep> {
    let mut engine = Engine::new(plan, registry, dirty).overlapping(concurrency.saturating_sub(1));
    drive(
        &mut engine,
        Duration::ZERO,
        &mut |step| as_planned(plan, step),
        &mut |_| {},
    )
}

/// The outcome of `step` when everything goes as planned.
fn as_planned(plan: &Plan, step: &Step<'_>) -> StepOutcome {
    match step {
        Step::SaveRegistry(_) => StepOutcome::Saved(Ok(())),
        Step::Monitors(work) => StepOutcome::Monitors(succeeded(plan, work)),
        Step::WriteById(changes) => StepOutcome::ByIdWritten(created(changes)),
        Step::SubmitChecks(_) => StepOutcome::ChecksSubmitted(Ok(())),
        Step::Write(_) | Step::Wait | Step::Done => StepOutcome::Written(Ok(())),
    }
}

/// Drives `engine` to the end as a driver would whose monitor step finishes no later than
/// the chain write it started alongside: at each [`Step::Wait`], the monitor lane's step
/// settles first, then the chain's. `answer` gives each step's outcome; `seen` sees each
/// step as it is handed out. Returns every step handed out, in order.
pub(crate) fn drive<'p>(
    engine: &mut Engine<'p>,
    read_age: Duration,
    answer: &mut dyn FnMut(&Step<'p>) -> StepOutcome,
    seen: &mut dyn FnMut(&Step<'p>),
) -> Vec<ScheduledStep> {
    let mut steps = Vec::new();
    let (mut chain, mut lane): (Option<Step<'p>>, Option<Step<'p>>) = (None, None);
    loop {
        let step = engine.next(read_age);
        match step {
            Step::Done => return steps,
            Step::Wait => match (lane.take(), chain.take()) {
                (Some(step), chain_step) => {
                    chain = chain_step;
                    engine.settle(answer(&step));
                }
                (None, Some(step)) => engine.settle(answer(&step)),
                // Nothing in flight, yet nothing to start: an engine bug; stop rather
                // than loop.
                (None, None) => return steps,
            },
            step => {
                seen(&step);
                let line = if step.lane() == Lane::Monitors && chain.is_some() {
                    step.describe_alongside()
                } else {
                    step.describe()
                };
                steps.push(ScheduledStep {
                    lane: step.lane(),
                    line,
                });
                match step.lane() {
                    Lane::Chain => chain = Some(step),
                    Lane::Monitors => lane = Some(step),
                }
            }
        }
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
