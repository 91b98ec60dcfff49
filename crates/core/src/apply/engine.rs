//! Apply as a pure engine (sans-IO): it holds the plan, the registry, the pending names and
//! the ownership rules, hands out the next [`Step`] and takes its [`StepOutcome`]. It does no
//! I/O and reads no clock: the driver says how old the read is. So "killed after any step"
//! is a test that needs no process, socket or sleep.
//!
//! Order: record every name a create, delete or rename may touch as pending (one registry
//! save) before writing anything; custom variables, then webhooks, one at a time (the
//! chain); then the notification rules (concurrently: each is its own object, addressed by
//! id); then the monitor messages (concurrently, by the driver), re-read first when the
//! last read of them is older than [`MONITOR_READ_MAX_AGE`] (a new listing, or each one by
//! id, whichever is cheaper for the org: [`Freshness`]); then the rule deletions
//! (concurrently); then the removals (webhooks, then variables); then the forgotten names;
//! then the registry, saved if it changed. So a block switched to a rule gets its rule
//! before its blocks go, and a rule switched back to blocks goes only after the blocks are
//! written.
//!
//! Two lanes ([`Lane`], [`Engine::overlapping`]): the monitor writes need not wait for the
//! whole chain. A monitor's write is *ready* once every variable write and the writes of
//! the webhooks its new message mentions are done. While a chain write is in flight, the
//! monitor lane takes the ready writes, at most `overlap` of them a step, as its own step
//! ([`Step::Monitors`]), which settles on its own: a slow monitor write holds up the next
//! monitor step, never the chain. A monitor whose blocks a rule of this plan replaces
//! still waits for the rules, and the chain waits for the monitor lane before the rules
//! and before anything that depends on the monitor writes. Each lane has at most one step
//! in flight; the chain's steps are the same on every run, and a run killed after step k
//! of either lane converges when resumed (the kill tests count both).

use super::bookkeeping::*;
use super::freshness::Freshness;
pub use super::step::*;
use crate::plan::{Change, Fingerprint, MonitorChange, Plan};
use crate::registry::Registry;
use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

/// How old the read behind a monitor write may be before the monitors are read again: past
/// this, people may have edited a message since the plan read it.
pub const MONITOR_READ_MAX_AGE: Duration = Duration::from_secs(5);

/// How many chain writes ahead the monitor lane reads the monitors they make ready. One
/// would do if the lane always read in the step before a group's last webhook write and
/// wrote in the step after; but a lane that once reads late (a group's read and its
/// writes a step later each) would stay late for the rest of the chain. Two lets a late
/// read take the next group too, and the lane is back in step.
const READ_AHEAD: usize = 2;

/// Where the engine is.
#[derive(Debug)]
enum Stage {
    /// Save the pending names first (when there are any, or the registry is dirty).
    Pending,
    /// The variable and webhook writes, in order.
    Serial,
    /// The rule and board creates and updates.
    ById,
    /// The seeded check runs.
    Seeds,
    /// The rule and board deletions.
    ByIdRemovals,
    /// The monitor writes left after the chain and the rules: check the read's age.
    Monitors,
    /// The removals, in order.
    Removals,
    /// Forget vanished names and save the registry if it changed.
    Finish,
    /// Done.
    Done,
}

/// The chain's step handed out and not yet settled.
#[derive(Debug)]
enum InFlight<'p> {
    None,
    PendingSave,
    Change(usize),
    ByIdWrites(Vec<&'p Change>),
    Checks,
    FinalSave,
}

/// Monitor work in flight: a read started at this read age (of every waiting monitor, or
/// of these by id), or writes.
#[derive(Debug)]
enum MonitorTask<'p> {
    Read {
        started: Duration,
        ids: Option<Vec<i64>>,
    },
    Writes(Vec<&'p MonitorChange>),
}

/// A monitor write not handed out yet.
#[derive(Debug)]
struct Waiting<'p> {
    /// How many chain changes must be done before it is ready (`usize::MAX`: only after
    /// the rules).
    after: usize,
    change: &'p MonitorChange,
    /// The read age at which the last read of it started (the plan's read: 0).
    read_at: Duration,
    /// Its last read settled in this write round ([`Engine::write_round`]): it is written
    /// next without checking that read's age (a read slower than the limit must not be
    /// repeated forever).
    read_in_round: Option<u64>,
}

/// The apply engine. See the module documentation.
#[derive(Debug)]
pub struct Engine<'p> {
    plan: &'p Plan,
    registry: Registry,
    /// The registry as last saved (or as read).
    saved: Registry,
    dirty: bool,
    stage: Stage,
    serial: VecDeque<usize>,
    removals: VecDeque<usize>,
    /// The monitor writes not handed out yet, in the order they become ready.
    monitors: VecDeque<Waiting<'p>>,
    /// How many chain changes are done (failures stop the chain, so they are a prefix).
    chain_done: usize,
    /// At most this many monitor writes ride along with one chain write (0: none).
    overlap: usize,
    /// How old the last read of the monitors may be when one is written
    /// ([`MONITOR_READ_MAX_AGE`] unless [`Engine::read_max_age`] says otherwise).
    read_max_age: Duration,
    /// How a monitor whose read is too old is read again.
    freshness: Freshness,
    /// How many monitor writes were handed out: a read that settled since the last hand-out
    /// is "just read" (counting rounds instead of clearing a flag on every waiting monitor).
    write_round: u64,
    /// A monitor write failed or was refused: the chain goes on, the removals will not.
    monitors_failed: bool,
    /// The chain's step in flight.
    in_flight: InFlight<'p>,
    /// The monitor lane's step in flight.
    lane: Option<MonitorTask<'p>>,
    failed: bool,
    report: ApplyReport,
}

impl<'p> Engine<'p> {
    /// An engine for `plan`, made from a read whose registry is `registry`; `dirty` says the
    /// stored registry differs from it (pending entries resolved on reading).
    pub fn new(plan: &'p Plan, registry: Registry, dirty: bool) -> Engine<'p> {
        let mut serial = Vec::new();
        let mut removals = Vec::new();
        for (i, change) in plan.changes.iter().enumerate() {
            match change {
                Change::CustomVariable(_) | Change::Webhook(_) if change.is_removal() => {
                    removals.push(i)
                }
                Change::CustomVariable(_) | Change::Webhook(_) => serial.push(i),
                Change::NotificationRule(_)
                | Change::StatusBoard(_)
                | Change::AuthMethod(_)
                | Change::Monitor(_) => {}
            }
        }
        // Dependencies first when creating, last when removing: variables before webhooks,
        // webhooks before variables.
        serial.sort_by_key(|&i| plan.changes[i].sort_key());
        removals.sort_by_key(|&i| std::cmp::Reverse(plan.changes[i].kind()));
        let monitors = monitor_readiness(plan, &serial)
            .into_iter()
            .map(|(after, change)| Waiting {
                after,
                change,
                read_at: Duration::ZERO,
                read_in_round: None,
            })
            .collect();
        Engine {
            plan,
            saved: registry.clone(),
            registry,
            dirty,
            stage: Stage::Pending,
            serial: serial.into(),
            removals: removals.into(),
            monitors,
            chain_done: 0,
            overlap: 0,
            read_max_age: MONITOR_READ_MAX_AGE,
            freshness: Freshness::Relist,
            write_round: 0,
            monitors_failed: false,
            in_flight: InFlight::None,
            lane: None,
            failed: false,
            report: ApplyReport::default(),
        }
    }

    /// Lets the monitor lane write at most `overlap` ready monitors a step while the chain
    /// writes (the driver passes its concurrency less the one request the chain needs); 0,
    /// the default, writes every monitor after the chain.
    pub fn overlapping(mut self, overlap: usize) -> Self {
        self.overlap = overlap;
        self
    }

    /// Re-reads the monitors before writing one when their last read is older than `age`
    /// (default [`MONITOR_READ_MAX_AGE`]): a hidden flag of `apply` sets it, so that tests
    /// decide whether an apply lists the monitors again instead of timing it.
    pub fn read_max_age(mut self, age: Duration) -> Self {
        self.read_max_age = age;
        self
    }

    /// Keeps the monitor writes fresh this way (default [`Freshness::Relist`]; the driver
    /// chooses with [`Freshness::cheaper`] from what the plan's listing cost).
    pub fn freshness(mut self, freshness: Freshness) -> Self {
        self.freshness = freshness;
        self
    }

    /// The steps handed out so far, per lane: a driver that stops after step k reads it.
    pub fn steps_taken(&self) -> LaneSteps {
        self.report.steps
    }

    /// The registry as the engine holds it now.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// A signal arrived: the step in flight finishes, nothing new starts.
    pub fn interrupt(&mut self) {
        self.report.interrupted = true;
    }

    /// The report, once [`Step::Done`] was handed out (or at any time, for what is known).
    pub fn into_report(self) -> ApplyReport {
        self.report
    }

    fn stopped(&self) -> bool {
        self.failed || self.report.interrupted
    }

    /// The next step to start; `read_age` is how long ago the read the plan was made from
    /// started. While steps are in flight it may hand out the other lane's step, or
    /// [`Step::Wait`]: the driver then settles a step in flight before asking again.
    pub fn next(&mut self, read_age: Duration) -> Step<'p> {
        let step = self.next_step(read_age);
        if !matches!(step, Step::Done | Step::Wait) {
            self.report.steps.count(step.lane());
        }
        step
    }

    fn next_step(&mut self, read_age: Duration) -> Step<'p> {
        loop {
            if !matches!(self.in_flight, InFlight::None) {
                return self.alongside(read_age).unwrap_or(Step::Wait);
            }
            match std::mem::replace(&mut self.stage, Stage::Done) {
                Stage::Pending => {
                    self.stage = Stage::Serial;
                    for change in &self.plan.changes {
                        mark_pending(&mut self.registry, change);
                    }
                    if self.registry.has_pending() || self.dirty {
                        self.in_flight = InFlight::PendingSave;
                        return Step::SaveRegistry(Box::new(self.registry.clone()));
                    }
                }
                Stage::Serial => match self.serial.pop_front() {
                    Some(i) => {
                        self.stage = Stage::Serial;
                        if let Some(step) = self.start_change(i) {
                            return step;
                        }
                    }
                    // The rules and boards use the whole concurrency: the monitor lane's
                    // step settles first.
                    None if self.lane.is_some() => {
                        self.stage = Stage::Serial;
                        return Step::Wait;
                    }
                    None => self.stage = Stage::ById,
                },
                Stage::ById => {
                    self.stage = Stage::Monitors;
                    if let Some(step) = self.start_by_id(false) {
                        return step;
                    }
                }
                Stage::Seeds => {
                    self.stage = Stage::ByIdRemovals;
                    // A monitor write that failed or was refused stops what follows: its
                    // block may point at the webhooks the removals delete.
                    if self.monitors_failed {
                        self.failed = true;
                    }
                    // Seeds only once every write that wires their monitors is done; a run
                    // stopped before that leaves `ddhooks seed-status` to submit them.
                    if !self.stopped() && !self.plan.seeds.is_empty() {
                        self.in_flight = InFlight::Checks;
                        return Step::SubmitChecks(self.plan.seeds.iter().collect());
                    }
                }
                Stage::ByIdRemovals => {
                    self.stage = Stage::Removals;
                    if let Some(step) = self.start_by_id(true) {
                        return step;
                    }
                }
                Stage::Monitors => {
                    if self.lane.is_some() {
                        self.stage = Stage::Monitors;
                        return Step::Wait;
                    } else if self.monitors.is_empty() {
                        self.stage = Stage::Seeds;
                    } else if self.stopped() {
                        for w in std::mem::take(&mut self.monitors) {
                            self.push_monitor_outcome(w.change, Outcome::NotAttempted);
                        }
                        self.stage = Stage::Seeds;
                    } else {
                        self.stage = Stage::Monitors;
                        let all = self.monitors.len();
                        let (task, work) = match self.read_or_write(read_age, all) {
                            Some(read) => read,
                            None => self.write_leading(read_age, all),
                        };
                        self.lane = Some(task);
                        return Step::Monitors(work);
                    }
                }
                Stage::Removals => match self.removals.pop_front() {
                    Some(i) => {
                        self.stage = Stage::Removals;
                        if let Some(step) = self.start_change(i) {
                            return step;
                        }
                    }
                    None => self.stage = Stage::Finish,
                },
                Stage::Finish => {
                    self.stage = Stage::Done;
                    if !self.stopped() {
                        for owned in &self.plan.forget {
                            self.registry.forget(owned.kind, &owned.name);
                        }
                    }
                    if self.registry != self.saved {
                        self.in_flight = InFlight::FinalSave;
                        return Step::SaveRegistry(Box::new(self.registry.clone()));
                    }
                }
                Stage::Done => return Step::Done,
            }
        }
    }

    /// Whether the last read of `w` is too old to write it on.
    fn stale(&self, w: &Waiting<'_>, read_age: Duration) -> bool {
        w.read_in_round != Some(self.write_round)
            && read_age.saturating_sub(w.read_at) > self.read_max_age
    }

    /// The read to make before writing the first `n` waiting monitors, when the first is
    /// stale: a new listing ([`Freshness::Relist`]), or the leading stale ones among the
    /// `n`, by id ([`Freshness::ReadEach`]). Counted in the report.
    fn read_or_write(
        &mut self,
        read_age: Duration,
        n: usize,
    ) -> Option<(MonitorTask<'p>, MonitorWork<'p>)> {
        if !self
            .monitors
            .front()
            .is_some_and(|w| self.stale(w, read_age))
        {
            return None;
        }
        Some(match self.freshness {
            Freshness::Relist => {
                self.report.relistings += 1;
                let task = MonitorTask::Read {
                    started: read_age,
                    ids: None,
                };
                (task, MonitorWork::Read)
            }
            Freshness::ReadEach => {
                let ids: Vec<i64> = self
                    .monitors
                    .iter()
                    .take(n)
                    .take_while(|w| self.stale(w, read_age))
                    .map(|w| w.change.id)
                    .collect();
                self.report.monitors_reread += ids.len();
                let task = MonitorTask::Read {
                    started: read_age,
                    ids: Some(ids.clone()),
                };
                (task, MonitorWork::ReadEach(ids))
            }
        })
    }

    /// Hands out the writes of the leading fresh ones among the first `n` waiting monitors
    /// (the first is fresh: [`Engine::read_or_write`] said so).
    fn write_leading(
        &mut self,
        read_age: Duration,
        n: usize,
    ) -> (MonitorTask<'p>, MonitorWork<'p>) {
        let fresh = self
            .monitors
            .iter()
            .take(n)
            .take_while(|w| !self.stale(w, read_age))
            .count();
        self.write_round += 1;
        let batch: Vec<&'p MonitorChange> =
            self.monitors.drain(..fresh).map(|w| w.change).collect();
        (
            MonitorTask::Writes(batch.clone()),
            MonitorWork::Write(batch),
        )
    }

    /// The monitor lane's step alongside the chain write in flight: the ready writes (at
    /// most `overlap`), or first a new read when the last is too old; `None` when the lane
    /// is busy or nothing is ready. A read also takes the monitors that the next
    /// [`READ_AHEAD`] chain writes make ready: read while those writes go, they are written
    /// as soon as they are ready, not a read later (the last group's writes follow the
    /// chain by one round trip, not two).
    fn alongside(&mut self, read_age: Duration) -> Option<Step<'p>> {
        let chain_writing =
            matches!(self.stage, Stage::Serial) && matches!(self.in_flight, InFlight::Change(_));
        if !chain_writing || self.lane.is_some() || self.overlap == 0 || self.stopped() {
            return None;
        }
        let leading = |after: usize| {
            self.monitors
                .iter()
                .take(self.overlap)
                .take_while(|w| w.after <= after)
                .count()
        };
        let (ready, soon) = (
            leading(self.chain_done),
            leading(self.chain_done + READ_AHEAD),
        );
        if soon == 0 {
            return None;
        }
        let (task, work) = match self.read_or_write(read_age, soon) {
            Some(read) => read,
            None if ready > 0 => self.write_leading(read_age, ready),
            None => return None,
        };
        self.lane = Some(task);
        Some(Step::Monitors(work))
    }

    /// The outcome of monitor work handed out as `task`.
    fn settle_monitors(&mut self, task: MonitorTask<'p>, outcome: MonitorOutcome) {
        match (task, outcome) {
            (MonitorTask::Read { started, ids }, MonitorOutcome::Read(result)) => {
                self.settle_monitor_read(started, ids, result)
            }
            (MonitorTask::Writes(batch), MonitorOutcome::Written(results)) => {
                self.settle_monitor_writes(batch, results)
            }
            (MonitorTask::Read { .. }, other) => self.internal_error(&other),
            (MonitorTask::Writes(batch), other) => {
                self.settle_monitor_writes(batch, BTreeMap::new());
                self.internal_error(&other)
            }
        }
    }

    /// A new read of the monitors arrived (started at read age `started`; of every waiting
    /// monitor, or of `ids`): each monitor read whose message moved since the plan is
    /// refused, the others are fresh again.
    fn settle_monitor_read(
        &mut self,
        started: Duration,
        ids: Option<Vec<i64>>,
        result: Result<BTreeMap<i64, Fingerprint>, String>,
    ) {
        // The monitors read by id lead the queue (they were read a step before their
        // write): only those are looked at, not every monitor still waiting.
        let mut unseen = ids.as_ref().map_or(usize::MAX, Vec::len);
        let mut at = 0;
        while unseen > 0 && at < self.monitors.len() {
            let m = self.monitors[at].change;
            if ids.as_ref().is_some_and(|ids| !ids.contains(&m.id)) {
                at += 1;
                continue;
            }
            unseen = unseen.saturating_sub(1);
            let why = match &result {
                Ok(now) => match now.get(&m.id) {
                    None => Some("it was deleted since the plan; run plan again".to_string()),
                    Some(fp) if *fp != m.read => Some(
                        "it was changed by someone else since the plan; run plan again".to_string(),
                    ),
                    Some(_) => None,
                },
                Err(e) => Some(format!(
                    "reading the monitors again before writing them failed: {e}"
                )),
            };
            match why {
                Some(why) => {
                    self.monitors.remove(at);
                    self.monitors_failed = true;
                    self.push_monitor_outcome(m, Outcome::Refused(why));
                }
                None => {
                    let w = &mut self.monitors[at];
                    w.read_at = started;
                    w.read_in_round = Some(self.write_round);
                    at += 1;
                }
            }
        }
    }

    /// The outcomes of monitor writes handed out as `written`.
    fn settle_monitor_writes(
        &mut self,
        written: Vec<&'p MonitorChange>,
        mut results: BTreeMap<i64, Result<(), String>>,
    ) {
        for m in written {
            match results.remove(&m.id) {
                Some(Ok(())) => {
                    for action in m.counted_actions() {
                        self.report.done.count(action);
                    }
                    self.push_monitor_outcome(m, Outcome::Done);
                }
                Some(Err(why)) => {
                    // A failed monitor write must stop the removals that depend on it (its
                    // block would point at deleted webhooks).
                    self.monitors_failed = true;
                    self.push_monitor_outcome(m, Outcome::Failed(why));
                }
                None => {
                    self.monitors_failed = true;
                    self.push_monitor_outcome(m, Outcome::NotAttempted);
                }
            }
        }
    }

    /// The rule and board changes of one phase: creates and updates (`removals: false`) or
    /// deletions. Matching adoptions are settled here without a write; after a failure or a
    /// signal nothing is attempted.
    fn start_by_id(&mut self, removals: bool) -> Option<Step<'p>> {
        let plan: &'p Plan = self.plan;
        let mut to_write = Vec::new();
        for change in &plan.changes {
            let writes = match change {
                Change::NotificationRule(c) => c.edit.writes(),
                Change::StatusBoard(c) => c.edit.writes(),
                Change::AuthMethod(c) => c.edit.writes(),
                _ => continue,
            };
            if change.is_removal() != removals {
                continue;
            }
            if self.stopped() {
                self.settle_pending(change, false);
                self.push_outcome(change, Outcome::NotAttempted);
            } else if writes {
                to_write.push(change);
            } else {
                record_ownership(&mut self.registry, change, None);
                self.count(change);
                self.push_outcome(change, Outcome::Done);
            }
        }
        if to_write.is_empty() {
            return None;
        }
        self.in_flight = InFlight::ByIdWrites(to_write.clone());
        Some(Step::WriteById(to_write))
    }

    /// Starts the webhook or variable change `i`: its write, or `None` when it is settled
    /// without one (after a failure or a signal, or a matching adoption).
    fn start_change(&mut self, i: usize) -> Option<Step<'p>> {
        let plan: &'p Plan = self.plan;
        let change = &plan.changes[i];
        if self.stopped() {
            self.settle_pending(change, false);
            self.push_outcome(change, Outcome::NotAttempted);
            return None;
        }
        let write = match change {
            Change::CustomVariable(c) => variable_write(c),
            Change::Webhook(c) => webhook_write(c),
            Change::NotificationRule(_)
            | Change::StatusBoard(_)
            | Change::AuthMethod(_)
            | Change::Monitor(_) => None,
        };
        match write {
            Some(Ok(write)) => {
                self.in_flight = InFlight::Change(i);
                Some(Step::Write(write))
            }
            Some(Err(why)) => {
                self.failed = true;
                self.push_outcome(change, Outcome::Failed(why));
                None
            }
            None => {
                record_ownership(&mut self.registry, change, None);
                self.settle_pending(change, false);
                self.count(change);
                self.push_outcome(change, Outcome::Done);
                self.chain_advanced(i);
                None
            }
        }
    }

    /// The chain change `i` is done: the monitor writes waiting for it may be ready.
    fn chain_advanced(&mut self, i: usize) {
        if !self.plan.changes[i].is_removal() {
            self.chain_done += 1;
        }
    }

    /// Takes the outcome of a step handed out: a [`StepOutcome::Monitors`] settles the
    /// monitor lane's step, any other the chain's.
    pub fn settle(&mut self, outcome: StepOutcome) {
        let outcome = match outcome {
            StepOutcome::Monitors(outcome) => {
                match self.lane.take() {
                    Some(task) => self.settle_monitors(task, outcome),
                    None => self.internal_error(&outcome),
                }
                return;
            }
            other => other,
        };
        let in_flight = std::mem::replace(&mut self.in_flight, InFlight::None);
        match (in_flight, outcome) {
            (InFlight::PendingSave, StepOutcome::Saved(result)) => {
                if let Err(e) = result {
                    self.failed = true;
                    self.report.registry_error = Some(format!("{e}; nothing was written"));
                    for c in &self.plan.changes {
                        self.report.outcomes.push((
                            c.address().to_string(),
                            c.action(),
                            Outcome::NotAttempted,
                        ));
                    }
                    self.serial.clear();
                    self.removals.clear();
                    self.stage = Stage::Done;
                } else {
                    self.saved = self.registry.clone();
                    self.dirty = false;
                }
            }
            (InFlight::FinalSave, StepOutcome::Saved(result)) => match result {
                Ok(()) => self.saved = self.registry.clone(),
                Err(e) => self.report.registry_error = Some(e),
            },
            (InFlight::Change(i), StepOutcome::Written(result)) => self.settle_write(i, result),
            (InFlight::ByIdWrites(written), StepOutcome::ByIdWritten(mut results)) => {
                for change in written {
                    match results.remove(&change.address()) {
                        Some(Ok(created)) => {
                            record_ownership(&mut self.registry, change, created);
                            self.settle_pending(change, false);
                            self.count(change);
                            self.push_outcome(change, Outcome::Done);
                        }
                        Some(Err(why)) => {
                            // A create whose answer was lost may have made the object: its
                            // name stays pending for the next listing to resolve. A refused
                            // one made nothing: its name is released.
                            self.failed = true;
                            self.settle_pending(change, why.outcome_unknown);
                            self.push_outcome(change, Outcome::Failed(why.message));
                        }
                        None => {
                            self.failed = true;
                            self.settle_pending(change, false);
                            self.push_outcome(change, Outcome::NotAttempted);
                        }
                    }
                }
            }
            (InFlight::Checks, StepOutcome::ChecksSubmitted(result)) => {
                // Check runs are not configuration: a failure is reported, and nothing else
                // depends on it.
                self.report.seeded = match result {
                    Ok(()) => Ok(self.plan.seeds.len()),
                    Err(e) => Err(e),
                };
            }
            (InFlight::None, _) => {}
            (_, other) => self.internal_error(&other),
        }
    }

    /// An outcome for another step than the one in flight: a driver bug. Stop safely:
    /// nothing more is written, and the report says why.
    fn internal_error(&mut self, other: &dyn std::fmt::Debug) {
        self.failed = true;
        self.report.registry_error.get_or_insert_with(|| {
            format!("internal error: unexpected step outcome {other:?}; nothing more was written")
        });
    }

    /// The outcome of the chain write of change `i`.
    fn settle_write(&mut self, i: usize, result: Result<(), WriteError>) {
        let change = &self.plan.changes[i];
        match result {
            Ok(()) => {
                record_ownership(&mut self.registry, change, None);
                self.settle_pending(change, false);
                self.count(change);
                self.push_outcome(change, Outcome::Done);
                self.chain_advanced(i);
            }
            Err(why) => {
                // When the outcome is unknown the object may or may not exist now: its names
                // stay pending for the next read to resolve. A refused write changed
                // nothing: its names are released.
                self.failed = true;
                self.settle_pending(change, why.outcome_unknown);
                self.push_outcome(change, Outcome::Failed(why.message));
            }
        }
    }

    /// Reports `change`'s outcome (by address and action: the change itself, thousands of
    /// messages in a large apply, is not copied).
    fn push_outcome(&mut self, change: &Change, outcome: Outcome) {
        self.report
            .outcomes
            .push((change.address().to_string(), change.action(), outcome));
    }

    /// [`Engine::push_outcome`] for a monitor change, which is not held as a [`Change`].
    fn push_monitor_outcome(&mut self, m: &MonitorChange, outcome: Outcome) {
        self.report
            .outcomes
            .push((m.address().to_string(), MonitorChange::ACTION, outcome));
    }

    fn count(&mut self, change: &Change) {
        for a in change.counted_actions() {
            self.report.done.count(a);
        }
    }

    /// After a change's outcome is known (done, refused, not attempted), its names are no
    /// longer pending; after a failure (`failed`) they stay pending for the next read.
    fn settle_pending(&mut self, change: &Change, failed: bool) {
        if !failed {
            release_pending(&mut self.registry, change);
        }
    }
}

#[cfg(test)]
mod tests;
