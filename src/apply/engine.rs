//! Apply as a pure engine (sans-IO): it holds the plan, the registry, the pending names and
//! the ownership rules, hands out the next [`Step`] and takes its [`StepOutcome`]. It does no
//! I/O and reads no clock: the driver says how old the read is. So "killed after any step"
//! is a test that needs no process, socket or sleep.
//!
//! Order: record every name a create, delete or rename may touch as pending (one registry
//! save) before writing anything; custom variables, then webhooks, one at a time (the
//! chain); then the notification rules (concurrently: each is its own object, addressed by
//! id); then the monitor messages (concurrently, by the driver), re-read first when the
//! last read of them is older than [`MONITOR_READ_MAX_AGE`]; then the rule deletions
//! (concurrently); then the removals (webhooks, then variables); then the forgotten names;
//! then the registry, saved if it changed. So a block switched to a rule gets its rule
//! before its blocks go, and a rule switched back to blocks goes only after the blocks are
//! written.
//!
//! Overlap ([`Engine::overlapping`]): the monitor writes need not wait for the whole chain.
//! A monitor's write is *ready* once every variable write and the writes of the webhooks
//! its new message mentions are done; ready writes ride along with the next chain write
//! ([`Step::Overlapped`]), at most `overlap` of them, so the chain's step stays one round
//! trip. A monitor whose blocks a rule of this plan replaces still waits for the rules.
//! Still one step at a time: a run killed after step k is the same run every time.

use crate::plan::{
    Action, Address, Change, Edit, Fingerprint, MonitorChange, OwnedName, Plan, SeedRun, Summary,
    VariableChange, VariableValue, WebhookChange, WebhookState,
};
use crate::registry::Registry;
use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

/// How old the read behind a monitor write may be before the monitors are read again: past
/// this, people may have edited a message since the plan read it.
pub const MONITOR_READ_MAX_AGE: Duration = Duration::from_secs(5);

/// What happened to one change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Written (or, for a matching adoption, recorded).
    Done,
    /// Not written because the object moved since the plan.
    Refused(String),
    /// The write failed.
    Failed(String),
    /// Not attempted (an earlier failure, or an interruption).
    NotAttempted,
}

/// The result of an apply, for the report and the exit code.
#[derive(Debug)]
pub struct ApplyReport {
    /// Every change of the plan with its outcome, in the order they were settled.
    pub outcomes: Vec<(String, Action, Outcome)>,
    /// Counts of what was done.
    pub done: Summary,
    /// Whether a signal stopped the run.
    pub interrupted: bool,
    /// A registry write that failed, if any (the objects were written; a re-run adopts them).
    pub registry_error: Option<String>,
    /// How many steps the engine handed out (a test that stops after step k needs it).
    pub steps: usize,
    /// How many seeded check runs were submitted, or why they were not.
    pub seeded: Result<usize, String>,
}

impl Default for ApplyReport {
    fn default() -> Self {
        ApplyReport {
            outcomes: Vec::new(),
            done: Summary::default(),
            interrupted: false,
            registry_error: None,
            steps: 0,
            seeded: Ok(0),
        }
    }
}

impl ApplyReport {
    /// Whether everything in the plan was applied.
    pub fn complete(&self) -> bool {
        !self.interrupted
            && self.registry_error.is_none()
            && self.outcomes.iter().all(|(_, _, o)| *o == Outcome::Done)
    }
}

/// One write of a webhook or custom variable, in the model's terms; the driver turns it into
/// a request.
#[derive(Debug, Clone, PartialEq)]
pub enum Write<'p> {
    /// Create a custom variable.
    CreateVariable {
        /// Its name.
        name: &'p str,
        /// Its value.
        value: &'p str,
        /// Whether it is secret.
        secret: bool,
    },
    /// Overwrite a custom variable.
    UpdateVariable {
        /// Its name.
        name: &'p str,
        /// Its value.
        value: &'p str,
        /// Whether it is secret.
        secret: bool,
    },
    /// Delete a custom variable.
    DeleteVariable {
        /// Its name.
        name: &'p str,
    },
    /// Create a webhook.
    CreateWebhook {
        /// Its name.
        name: &'p str,
        /// What it is.
        state: &'p WebhookState,
    },
    /// Overwrite a webhook, renaming it when `from` is set.
    UpdateWebhook {
        /// Its name after the write.
        name: &'p str,
        /// Its current name, when it is renamed.
        from: Option<&'p str>,
        /// What it is.
        state: &'p WebhookState,
    },
    /// Delete a webhook.
    DeleteWebhook {
        /// Its name.
        name: &'p str,
    },
}

/// What the driver must do next.
#[derive(Debug)]
pub enum Step<'p> {
    /// Save this registry where it lives.
    SaveRegistry(Box<Registry>),
    /// Make one write (webhooks and variables: one at a time).
    Write(Write<'p>),
    /// Monitor work on its own: the writes left after the chain and the rules, or the
    /// listing that keeps them fresh.
    Monitors(MonitorWork<'p>),
    /// Create, update or delete these objects addressed by id — notification rules and
    /// status boards — concurrently, stopping early on a signal.
    WriteById(Vec<&'p Change>),
    /// Submit these seeded check runs (batched by the driver).
    SubmitChecks(Vec<&'p SeedRun>),
    /// Make one chain write and, at the same time, this monitor work: the monitor writes
    /// whose webhooks already exist, or the listing that keeps them fresh.
    Overlapped {
        /// The chain's write.
        write: Write<'p>,
        /// The monitor work that goes along with it.
        monitors: MonitorWork<'p>,
    },
    /// Nothing is left: take the report with [`Engine::into_report`].
    Done,
}

/// Monitor work, on its own ([`Step::Monitors`]) or alongside a chain write
/// ([`Step::Overlapped`]).
#[derive(Debug)]
pub enum MonitorWork<'p> {
    /// List the monitors again and report each one's message fingerprint.
    Read,
    /// Write these monitor messages (concurrently, stopping early on a signal).
    Write(Vec<&'p MonitorChange>),
}

/// What came of a [`MonitorWork`].
#[derive(Debug)]
pub enum MonitorOutcome {
    /// Every monitor's message fingerprint by id, or why the listing failed.
    Read(Result<BTreeMap<i64, Fingerprint>, String>),
    /// Each monitor write's outcome, by id (a monitor missing here was not attempted).
    Written(BTreeMap<i64, Result<(), String>>),
}

/// What came of a step.
#[derive(Debug)]
pub enum StepOutcome {
    /// The registry was saved, or why not.
    Saved(Result<(), String>),
    /// The write was made, or why not.
    Written(Result<(), String>),
    /// What came of a [`Step::Monitors`].
    Monitors(MonitorOutcome),
    /// Each write's outcome, by address: the id of an object a create made (an object
    /// missing here was not attempted).
    ByIdWritten(BTreeMap<Address, Result<Option<String>, String>>),
    /// The seeded check runs were submitted, or why not.
    ChecksSubmitted(Result<(), String>),
    /// What came of a [`Step::Overlapped`]: the chain write, and the monitor work.
    Overlapped {
        /// The chain write was made, or why not.
        written: Result<(), String>,
        /// What came of the monitor work.
        monitors: MonitorOutcome,
    },
}

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

/// The step handed out and not yet settled.
#[derive(Debug)]
enum InFlight<'p> {
    None,
    PendingSave,
    Change(usize),
    /// A chain write with monitor work alongside.
    Overlapped(usize, MonitorTask<'p>),
    Monitors(MonitorTask<'p>),
    ByIdWrites(Vec<&'p Change>),
    Checks,
    FinalSave,
}

/// Monitor work in flight: a listing started at this read age, or writes.
#[derive(Debug)]
enum MonitorTask<'p> {
    Read(Duration),
    Writes(Vec<&'p MonitorChange>),
}

impl MonitorTask<'_> {
    /// The outcome of this work when none came: the listing failed, no write was attempted.
    fn unseen(&self) -> MonitorOutcome {
        match self {
            MonitorTask::Read(_) => {
                MonitorOutcome::Read(Err("the step was not completed".to_string()))
            }
            MonitorTask::Writes(_) => MonitorOutcome::Written(BTreeMap::new()),
        }
    }
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
    /// The monitor writes not handed out yet, each with how many chain changes must be done
    /// before it is ready (`usize::MAX`: only after the rules), in that order.
    monitors: VecDeque<(usize, &'p MonitorChange)>,
    /// How many chain changes are done (failures stop the chain, so they are a prefix).
    chain_done: usize,
    /// At most this many monitor writes ride along with one chain write (0: none).
    overlap: usize,
    /// The read age at which the last read of the monitors started (the plan's read: 0).
    monitors_read_at: Duration,
    /// A listing just settled: the next monitor writes go without checking its age (a
    /// listing slower than [`MONITOR_READ_MAX_AGE`] must not be repeated forever).
    monitors_just_read: bool,
    /// A monitor write failed or was refused: the chain goes on, the removals will not.
    monitors_failed: bool,
    in_flight: InFlight<'p>,
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
        let monitors = monitor_readiness(plan, &serial);
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
            monitors_read_at: Duration::ZERO,
            monitors_just_read: false,
            monitors_failed: false,
            in_flight: InFlight::None,
            failed: false,
            report: ApplyReport::default(),
        }
    }

    /// Lets at most `overlap` ready monitor writes ride along with each chain write (the
    /// driver passes its concurrency less the one request the chain needs); 0, the default,
    /// writes every monitor after the chain.
    pub fn overlapping(mut self, overlap: usize) -> Self {
        self.overlap = overlap;
        self
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

    /// The next step; `read_age` is how long ago the read the plan was made from started.
    pub fn next(&mut self, read_age: Duration) -> Step<'p> {
        let step = self.next_step(read_age);
        if !matches!(step, Step::Done) {
            self.report.steps += 1;
        }
        step
    }

    fn next_step(&mut self, read_age: Duration) -> Step<'p> {
        loop {
            // Asked again without an outcome: the step in flight failed unseen.
            let unseen = || "the step was not completed".to_string();
            match &self.in_flight {
                InFlight::None => {}
                InFlight::PendingSave | InFlight::FinalSave => {
                    self.settle(StepOutcome::Saved(Err(unseen())))
                }
                InFlight::Change(_) => self.settle(StepOutcome::Written(Err(unseen()))),
                InFlight::Overlapped(_, task) => {
                    let monitors = task.unseen();
                    self.settle(StepOutcome::Overlapped {
                        written: Err(unseen()),
                        monitors,
                    })
                }
                InFlight::Monitors(task) => {
                    let outcome = task.unseen();
                    self.settle(StepOutcome::Monitors(outcome))
                }
                InFlight::ByIdWrites(_) => self.settle(StepOutcome::ByIdWritten(BTreeMap::new())),
                InFlight::Checks => self.settle(StepOutcome::ChecksSubmitted(Err(unseen()))),
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
                        match self.start_change(i) {
                            Some(Step::Write(write)) => match self.monitor_work(read_age) {
                                Some(monitors) => {
                                    return Step::Overlapped { write, monitors };
                                }
                                None => return Step::Write(write),
                            },
                            Some(step) => return step,
                            None => {}
                        }
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
                    if self.monitors.is_empty() {
                        self.stage = Stage::Seeds;
                    } else if self.stopped() {
                        for (_, m) in std::mem::take(&mut self.monitors) {
                            self.push_outcome(Change::Monitor(m.clone()), Outcome::NotAttempted);
                        }
                        self.stage = Stage::Seeds;
                    } else {
                        self.stage = Stage::Monitors;
                        if self.monitors_stale(read_age) {
                            self.in_flight = InFlight::Monitors(MonitorTask::Read(read_age));
                            return Step::Monitors(MonitorWork::Read);
                        }
                        self.monitors_just_read = false;
                        let to_write: Vec<&'p MonitorChange> =
                            self.monitors.drain(..).map(|(_, m)| m).collect();
                        self.in_flight = InFlight::Monitors(MonitorTask::Writes(to_write.clone()));
                        return Step::Monitors(MonitorWork::Write(to_write));
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
                        for name in &self.plan.forget {
                            match name {
                                OwnedName::Webhook(n) => {
                                    self.registry.webhooks.remove(n);
                                }
                                OwnedName::CustomVariable(n) => {
                                    self.registry.custom_variables.remove(n);
                                }
                                OwnedName::NotificationRule(n) => {
                                    self.registry.notification_rules.remove(n);
                                }
                                OwnedName::StatusBoard(n) => {
                                    self.registry.status_boards.remove(n);
                                }
                                OwnedName::AuthMethod(n) => {
                                    self.registry.auth_methods.remove(n);
                                    self.registry.auth_method_secrets.remove(n);
                                }
                            }
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

    /// Whether the last read of the monitors is too old to write them on.
    fn monitors_stale(&self, read_age: Duration) -> bool {
        !self.monitors_just_read
            && read_age.saturating_sub(self.monitors_read_at) > MONITOR_READ_MAX_AGE
    }

    /// The monitor work to ride along with the chain write about to be handed out: the
    /// ready writes (at most `overlap`), or first a new listing when the last is too old.
    fn monitor_work(&mut self, read_age: Duration) -> Option<MonitorWork<'p>> {
        let i = match &self.in_flight {
            InFlight::Change(i) => *i,
            _ => return None,
        };
        if self.overlap == 0 || self.stopped() {
            return None;
        }
        let ready = self
            .monitors
            .iter()
            .take(self.overlap)
            .take_while(|(after, _)| *after <= self.chain_done)
            .count();
        if ready == 0 {
            return None;
        }
        if self.monitors_stale(read_age) {
            self.in_flight = InFlight::Overlapped(i, MonitorTask::Read(read_age));
            return Some(MonitorWork::Read);
        }
        self.monitors_just_read = false;
        let batch: Vec<&'p MonitorChange> = self.monitors.drain(..ready).map(|(_, m)| m).collect();
        self.in_flight = InFlight::Overlapped(i, MonitorTask::Writes(batch.clone()));
        Some(MonitorWork::Write(batch))
    }

    /// The outcome of monitor work handed out as `task`.
    fn settle_monitors(&mut self, task: MonitorTask<'p>, outcome: MonitorOutcome) {
        match (task, outcome) {
            (MonitorTask::Read(started), MonitorOutcome::Read(result)) => {
                self.settle_monitor_read(started, result)
            }
            (MonitorTask::Writes(batch), MonitorOutcome::Written(results)) => {
                self.settle_monitor_writes(batch, results)
            }
            (MonitorTask::Read(_), other) => self.internal_error(&other),
            (MonitorTask::Writes(batch), other) => {
                self.settle_monitor_writes(batch, BTreeMap::new());
                self.internal_error(&other)
            }
        }
    }

    /// A new listing of the monitors arrived (started at read age `started`): each monitor
    /// not yet written whose message moved since the plan is refused.
    fn settle_monitor_read(
        &mut self,
        started: Duration,
        result: Result<BTreeMap<i64, Fingerprint>, String>,
    ) {
        let waiting = std::mem::take(&mut self.monitors);
        for (after, m) in waiting {
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
                    self.monitors_failed = true;
                    self.push_outcome(Change::Monitor(m.clone()), Outcome::Refused(why));
                }
                None => self.monitors.push_back((after, m)),
            }
        }
        if result.is_ok() {
            self.monitors_read_at = started;
            self.monitors_just_read = true;
        }
    }

    /// The outcomes of monitor writes handed out as `written`.
    fn settle_monitor_writes(
        &mut self,
        written: Vec<&'p MonitorChange>,
        mut results: BTreeMap<i64, Result<(), String>>,
    ) {
        for m in written {
            let change = Change::Monitor(m.clone());
            match results.remove(&m.id) {
                Some(Ok(())) => {
                    self.count(&change);
                    self.push_outcome(change, Outcome::Done);
                }
                Some(Err(why)) => {
                    // A failed monitor write must stop the removals that depend on it (its
                    // block would point at deleted webhooks).
                    self.monitors_failed = true;
                    self.push_outcome(change, Outcome::Failed(why));
                }
                None => {
                    self.monitors_failed = true;
                    self.push_outcome(change, Outcome::NotAttempted);
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
                self.push_outcome(change.clone(), Outcome::NotAttempted);
            } else if writes {
                to_write.push(change);
            } else {
                self.record_ownership(change, None);
                self.count(change);
                self.push_outcome(change.clone(), Outcome::Done);
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
            self.push_outcome(change.clone(), Outcome::NotAttempted);
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
                self.push_outcome(change.clone(), Outcome::Failed(why));
                None
            }
            None => {
                self.record_ownership(change, None);
                self.settle_pending(change, false);
                self.count(change);
                self.push_outcome(change.clone(), Outcome::Done);
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

    /// Takes the outcome of the step last handed out.
    pub fn settle(&mut self, outcome: StepOutcome) {
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
            (
                InFlight::Overlapped(i, task),
                StepOutcome::Overlapped {
                    written,
                    monitors: outcome,
                },
            ) => {
                self.settle_write(i, written);
                self.settle_monitors(task, outcome);
            }
            (InFlight::Monitors(task), StepOutcome::Monitors(outcome)) => {
                self.settle_monitors(task, outcome)
            }
            (InFlight::ByIdWrites(written), StepOutcome::ByIdWritten(mut results)) => {
                for change in written {
                    match results.remove(&change.address()) {
                        Some(Ok(created)) => {
                            self.record_ownership(change, created);
                            self.settle_pending(change, false);
                            self.count(change);
                            self.push_outcome(change.clone(), Outcome::Done);
                        }
                        Some(Err(why)) => {
                            // A create whose answer was lost may have made the object: its
                            // name stays pending for the next listing to resolve.
                            self.failed = true;
                            self.settle_pending(change, true);
                            self.push_outcome(change.clone(), Outcome::Failed(why));
                        }
                        None => {
                            self.failed = true;
                            self.settle_pending(change, false);
                            self.push_outcome(change.clone(), Outcome::NotAttempted);
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
    fn settle_write(&mut self, i: usize, result: Result<(), String>) {
        let change = &self.plan.changes[i];
        match result {
            Ok(()) => {
                self.record_ownership(change, None);
                self.settle_pending(change, false);
                self.count(change);
                self.push_outcome(change.clone(), Outcome::Done);
                self.chain_advanced(i);
            }
            Err(why) => {
                // The object may or may not exist now: its names stay pending for the next
                // read to resolve.
                self.failed = true;
                self.settle_pending(change, true);
                self.push_outcome(change.clone(), Outcome::Failed(why));
            }
        }
    }

    fn push_outcome(&mut self, change: Change, outcome: Outcome) {
        self.report
            .outcomes
            .push((change.address().to_string(), change.action(), outcome));
    }

    fn count(&mut self, change: &Change) {
        for a in change.counted_actions() {
            self.report.done.count(a);
        }
    }

    /// Ownership after a change was made; `created` is the id of a rule a create made.
    fn record_ownership(&mut self, change: &Change, created: Option<String>) {
        match change {
            Change::CustomVariable(c) => match &c.edit {
                Edit::Delete { .. } => {
                    self.registry.custom_variables.remove(&c.name);
                }
                Edit::Create { after }
                | Edit::Update { after, .. }
                | Edit::Adopt { after, .. }
                | Edit::Rename { after, .. } => {
                    let fp = match &after.value {
                        VariableValue::Secret { value: Some(v), .. } => {
                            Some(self.registry.fingerprint(v.expose()))
                        }
                        _ => None,
                    };
                    self.registry.custom_variables.insert(c.name.clone(), fp);
                }
            },
            Change::Webhook(c) => match &c.edit {
                Edit::Delete { .. } => {
                    self.registry.webhooks.remove(&c.name);
                }
                Edit::Rename { from, .. } => {
                    self.registry.webhooks.remove(from);
                    self.registry.webhooks.insert(c.name.clone());
                }
                _ => {
                    self.registry.webhooks.insert(c.name.clone());
                }
            },
            Change::NotificationRule(c) => own_by_id(
                &mut self.registry.notification_rules,
                &c.name,
                matches!(c.edit, Edit::Delete { .. }),
                created.or_else(|| c.id.clone()),
            ),
            Change::StatusBoard(c) => own_by_id(
                &mut self.registry.status_boards,
                &c.name,
                matches!(c.edit, Edit::Delete { .. }),
                created.or_else(|| c.id.clone()),
            ),
            Change::AuthMethod(c) => {
                let deleted = matches!(c.edit, Edit::Delete { .. });
                own_by_id(
                    &mut self.registry.auth_methods,
                    &c.name,
                    deleted,
                    created.or_else(|| c.id.clone()),
                );
                // The secret's fingerprint once a write of it succeeded (an adoption without
                // a write leaves what the registry knew).
                let secrets = &mut self.registry.auth_method_secrets;
                match (&c.edit, c.edit.after()) {
                    (Edit::Delete { .. }, _) => {
                        secrets.remove(&c.name);
                    }
                    (Edit::Adopt { writes: false, .. }, _) | (_, None) => {}
                    (_, Some(after)) => {
                        if let Some(fp) = &after.client_secret.fingerprint {
                            secrets.insert(c.name.clone(), fp.clone());
                        }
                    }
                }
                if !self.registry.auth_methods.contains_key(&c.name) {
                    self.registry.auth_method_secrets.remove(&c.name);
                }
            }
            Change::Monitor(_) => {}
        }
    }

    /// After a change's outcome is known (done, refused, not attempted), its names are no
    /// longer pending; after a failure (`failed`) they stay pending for the next read.
    fn settle_pending(&mut self, change: &Change, failed: bool) {
        if failed {
            return;
        }
        for name in pending_names(change) {
            match change {
                Change::Webhook(_) => {
                    self.registry.pending_webhooks.remove(name);
                }
                Change::CustomVariable(_) => {
                    self.registry.pending_variables.remove(name);
                }
                Change::NotificationRule(_) => {
                    self.registry.pending_rules.remove(name);
                }
                Change::StatusBoard(_) => {
                    self.registry.pending_boards.remove(name);
                }
                Change::AuthMethod(_) => {
                    self.registry.pending_auth_methods.remove(name);
                }
                Change::Monitor(_) => {}
            }
        }
    }
}

/// The plan's monitor writes, each with how many chain changes (`serial`, in order) must
/// be done before it is ready: every variable write, and the writes of the webhooks its new
/// message mentions; `usize::MAX` when a rule of the plan replaces one of its blocks (it
/// waits for the rules). Ordered by readiness, then as planned.
fn monitor_readiness<'p>(plan: &'p Plan, serial: &[usize]) -> VecDeque<(usize, &'p MonitorChange)> {
    let mut variables_done = 0;
    let mut webhook_done: BTreeMap<&str, usize> = BTreeMap::new();
    for (position, &i) in serial.iter().enumerate() {
        match &plan.changes[i] {
            Change::CustomVariable(_) => variables_done = position + 1,
            Change::Webhook(c) => {
                webhook_done.insert(c.name.as_str(), position + 1);
            }
            _ => {}
        }
    }
    let ruled: std::collections::BTreeSet<&str> = plan
        .changes
        .iter()
        .filter_map(|c| match c {
            Change::NotificationRule(r) if !c.is_removal() && r.edit.writes() => {
                Some(r.name.as_str())
            }
            _ => None,
        })
        .collect();
    let mut monitors: Vec<(usize, &MonitorChange)> = plan
        .changes
        .iter()
        .filter_map(|c| match c {
            Change::Monitor(m) => Some(m),
            _ => None,
        })
        .map(|m| {
            let after = if m.blocks.iter().any(|b| ruled.contains(b.block.as_str())) {
                usize::MAX
            } else {
                crate::template::webhook_mentions(&m.after)
                    .filter_map(|name| webhook_done.get(name).copied())
                    .fold(variables_done, usize::max)
            };
            (after, m)
        })
        .collect();
    monitors.sort_by_key(|(after, _)| *after);
    monitors.into()
}

/// Ownership of an object addressed by id after its write: a delete drops the name, any
/// other write records the id (a create whose answer held no id leaves the name pending,
/// so the next listing finds the object).
fn own_by_id(owned: &mut BTreeMap<String, String>, name: &str, deleted: bool, id: Option<String>) {
    match (deleted, id) {
        (true, _) => {
            owned.remove(name);
        }
        (false, Some(id)) => {
            owned.insert(name.to_string(), id);
        }
        (false, None) => {}
    }
}

/// The names a change may create, delete or rename away.
fn pending_names(change: &Change) -> Vec<&str> {
    match change {
        Change::CustomVariable(c) if c.edit.changes_names() => vec![c.name.as_str()],
        Change::Webhook(c) => match &c.edit {
            Edit::Rename { from, .. } => vec![c.name.as_str(), from.as_str()],
            e if e.changes_names() => vec![c.name.as_str()],
            _ => Vec::new(),
        },
        // A create makes an object whose id ddhooks learns only from the answer; a delete
        // may have happened when its answer is lost.
        Change::NotificationRule(c) if c.edit.changes_names() => vec![c.name.as_str()],
        Change::StatusBoard(c) if c.edit.changes_names() => vec![c.name.as_str()],
        Change::AuthMethod(c) if c.edit.changes_names() => vec![c.name.as_str()],
        _ => Vec::new(),
    }
}

/// Records `change`'s names as pending, with the fingerprint a secret will have.
fn mark_pending(registry: &mut Registry, change: &Change) {
    for name in pending_names(change) {
        match change {
            Change::Webhook(_) => {
                registry.pending_webhooks.insert(name.to_string());
            }
            Change::CustomVariable(c) => {
                let fp = match c.edit.after().map(|a| &a.value) {
                    Some(VariableValue::Secret { value: Some(v), .. }) => {
                        Some(registry.fingerprint(v.expose()))
                    }
                    _ => registry.custom_variables.get(name).cloned().flatten(),
                };
                registry.pending_variables.insert(name.to_string(), fp);
            }
            Change::NotificationRule(_) => {
                registry.pending_rules.insert(name.to_string());
            }
            Change::StatusBoard(_) => {
                registry.pending_boards.insert(name.to_string());
            }
            Change::AuthMethod(_) => {
                registry.pending_auth_methods.insert(name.to_string());
            }
            Change::Monitor(_) => {}
        }
    }
}

/// The write a variable change needs (`None`: none, a matching adoption), or why it cannot
/// be made.
fn variable_write(c: &VariableChange) -> Option<Result<Write<'_>, String>> {
    let name = c.name.as_str();
    let value_of = |after: &'_ crate::plan::VariableState| -> Result<(), String> {
        match &after.value {
            VariableValue::Secret { value: None, .. } | VariableValue::Plain(None) => Err(format!(
                "custom variable {name}: the plan holds no value to write (a plan read back from a file?); plan again"
            )),
            _ => Ok(()),
        }
    };
    fn value(after: &crate::plan::VariableState) -> &str {
        match &after.value {
            VariableValue::Secret { value: Some(v), .. } => v.expose(),
            VariableValue::Plain(Some(v)) => v.as_str(),
            _ => "",
        }
    }
    match &c.edit {
        Edit::Delete { .. } => Some(Ok(Write::DeleteVariable { name })),
        Edit::Adopt { writes: false, .. } => None,
        Edit::Create { after } => Some(value_of(after).map(|()| Write::CreateVariable {
            name,
            value: value(after),
            secret: after.secret,
        })),
        Edit::Update { after, .. } | Edit::Adopt { after, .. } => {
            Some(value_of(after).map(|()| Write::UpdateVariable {
                name,
                value: value(after),
                secret: after.secret,
            }))
        }
        Edit::Rename { from, .. } => match *from {},
    }
}

/// The write a webhook change needs (`None`: none, a matching adoption).
fn webhook_write(c: &WebhookChange) -> Option<Result<Write<'_>, String>> {
    let name = c.name.as_str();
    Some(Ok(match &c.edit {
        Edit::Delete { .. } => Write::DeleteWebhook { name },
        Edit::Adopt { writes: false, .. } => return None,
        Edit::Create { after } => Write::CreateWebhook { name, state: after },
        Edit::Update { after, .. } | Edit::Adopt { after, .. } => Write::UpdateWebhook {
            name,
            from: None,
            state: after,
        },
        Edit::Rename { from, after, .. } => Write::UpdateWebhook {
            name,
            from: Some(from),
            state: after,
        },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{EncodeAs, Secret};
    use crate::plan::{BlockAction, BlockChange, RuleChange, VariableState, WebhookChange};

    fn hook(url: &str) -> WebhookState {
        WebhookState {
            url: url.into(),
            encode_as: EncodeAs::Json,
            custom_headers: None,
            payload: None,
        }
    }

    fn fp(s: &str) -> Fingerprint {
        Fingerprint(s.into())
    }

    /// Creates a secret variable and a webhook, rewrites a monitor, deletes a webhook and a
    /// variable.
    fn plan() -> Plan {
        let secret = VariableState {
            secret: true,
            value: VariableValue::Secret {
                fingerprint: Some("f".into()),
                value: Some(Secret::new("s3cret")),
            },
        };
        let plain = VariableState {
            secret: false,
            value: VariableValue::Plain(Some("eu".into())),
        };
        let mut p = Plan::new();
        p.changes = vec![
            Change::CustomVariable(VariableChange {
                name: "KEY".into(),
                edit: Edit::Create { after: secret },
                notes: vec![],
            }),
            Change::CustomVariable(VariableChange {
                name: "OLD".into(),
                edit: Edit::Delete {
                    before: plain,
                    read: fp("v"),
                },
                notes: vec![],
            }),
            Change::Webhook(WebhookChange {
                name: "new".into(),
                edit: Edit::Create {
                    after: hook("https://a"),
                },
                notes: vec![],
            }),
            Change::Webhook(WebhookChange {
                name: "gone".into(),
                edit: Edit::Delete {
                    before: hook("https://b"),
                    read: fp("w"),
                },
                notes: vec![],
            }),
            Change::Monitor(MonitorChange {
                id: 7,
                name: "m".into(),
                before: "x".into(),
                after: "x\n\nblock".into(),
                read: fp("m"),
                blocks: vec![BlockChange {
                    block: "g".into(),
                    action: BlockAction::Add,
                }],
                notes: vec![],
            }),
        ];
        p
    }

    fn owned() -> Registry {
        let mut r = Registry::new("salt");
        r.webhooks.insert("gone".into());
        r.custom_variables.insert("OLD".into(), None);
        r
    }

    /// A short name for each step.
    fn name(step: &Step<'_>) -> String {
        match step {
            Step::SaveRegistry(_) => "save".into(),
            Step::Write(Write::CreateVariable { name, .. }) => format!("create var {name}"),
            Step::Write(Write::UpdateVariable { name, .. }) => format!("update var {name}"),
            Step::Write(Write::DeleteVariable { name }) => format!("delete var {name}"),
            Step::Write(Write::CreateWebhook { name, .. }) => format!("create hook {name}"),
            Step::Write(Write::UpdateWebhook { name, .. }) => format!("update hook {name}"),
            Step::Write(Write::DeleteWebhook { name }) => format!("delete hook {name}"),
            Step::Monitors(MonitorWork::Read) => "read monitors".into(),
            Step::Monitors(MonitorWork::Write(ms)) => format!("write {} monitors", ms.len()),
            Step::WriteById(cs) => {
                let names: Vec<String> = cs
                    .iter()
                    .map(|c| format!("{} {}", c.action().word(), c.address()))
                    .collect();
                names.join(", ")
            }
            Step::SubmitChecks(runs) => format!("submit {} check runs", runs.len()),
            Step::Overlapped { write, monitors } => {
                let write = name(&Step::Write(write.clone()));
                match monitors {
                    MonitorWork::Read => format!("{write} + read monitors"),
                    MonitorWork::Write(ms) => {
                        let ids: Vec<String> = ms.iter().map(|m| m.id.to_string()).collect();
                        format!("{write} + write monitors {}", ids.join(" "))
                    }
                }
            }
            Step::Done => "done".into(),
        }
    }

    /// Drives the engine, answering with `answer`; returns the steps and the registries
    /// saved.
    fn drive(
        engine: &mut Engine<'_>,
        read_age: Duration,
        mut answer: impl FnMut(&Step<'_>) -> StepOutcome,
    ) -> (Vec<String>, Vec<Registry>) {
        let (mut steps, mut saves) = (Vec::new(), Vec::new());
        loop {
            let step = engine.next(read_age);
            steps.push(name(&step));
            if let Step::SaveRegistry(r) = &step {
                saves.push((**r).clone());
            }
            if matches!(step, Step::Done) {
                return (steps, saves);
            }
            let outcome = answer(&step);
            engine.settle(outcome);
        }
    }

    fn ok(step: &Step<'_>) -> StepOutcome {
        match step {
            Step::SaveRegistry(_) => StepOutcome::Saved(Ok(())),
            Step::Monitors(work) => StepOutcome::Monitors(done(work)),
            Step::WriteById(cs) => StepOutcome::ByIdWritten(
                cs.iter()
                    .map(|c| {
                        let created =
                            (c.action() == Action::Create).then(|| format!("id-{}", c.address()));
                        (c.address(), Ok(created))
                    })
                    .collect(),
            ),
            Step::SubmitChecks(_) => StepOutcome::ChecksSubmitted(Ok(())),
            Step::Overlapped { monitors, .. } => StepOutcome::Overlapped {
                written: Ok(()),
                monitors: done(monitors),
            },
            _ => StepOutcome::Written(Ok(())),
        }
    }

    /// Monitor work as it goes when nothing moved: every monitor as planned, every write made.
    fn done(work: &MonitorWork<'_>) -> MonitorOutcome {
        match work {
            MonitorWork::Read => MonitorOutcome::Read(Ok(fingerprints())),
            MonitorWork::Write(ms) => {
                MonitorOutcome::Written(ms.iter().map(|m| (m.id, Ok(()))).collect())
            }
        }
    }

    /// The addresses of the changes not attempted, in order.
    fn not_attempted(report: &ApplyReport) -> Vec<&str> {
        report
            .outcomes
            .iter()
            .filter(|(_, _, o)| *o == Outcome::NotAttempted)
            .map(|(a, _, _)| a.as_str())
            .collect()
    }

    /// Every monitor of [`overlapped_plan`] and [`plan`] as planned.
    fn fingerprints() -> BTreeMap<i64, Fingerprint> {
        (1..=5)
            .map(|id| (id, fp(&format!("m{id}"))))
            .chain([(7, fp("m"))])
            .collect()
    }

    fn monitor(id: i64, after: &str, block: &str) -> Change {
        Change::Monitor(MonitorChange {
            id,
            name: format!("m{id}"),
            before: "x".into(),
            after: format!("x\n\n{after}"),
            read: fp(&format!("m{id}")),
            blocks: vec![BlockChange {
                block: block.into(),
                action: BlockAction::Add,
            }],
            notes: vec![],
        })
    }

    fn create_hook(name: &str) -> Change {
        Change::Webhook(WebhookChange {
            name: name.into(),
            edit: Edit::Create {
                after: hook("https://a"),
            },
            notes: vec![],
        })
    }

    /// A variable, pairs `a` and `b`, a webhook deleted; monitors 1 and 2 get `a`'s block,
    /// 3 gets `b`'s, 4 mentions only an existing webhook.
    fn overlapped_plan() -> Plan {
        let mut p = plan();
        p.changes
            .retain(|c| !matches!(c, Change::Monitor(_) | Change::Webhook(_)));
        p.changes.push(Change::Webhook(WebhookChange {
            name: "gone".into(),
            edit: Edit::Delete {
                before: hook("https://b"),
                read: fp("w"),
            },
            notes: vec![],
        }));
        for name in ["b-alert", "b-ok", "a-alert", "a-ok"] {
            p.changes.push(create_hook(name));
        }
        p.changes
            .push(monitor(3, "@webhook-b-alert @webhook-b-ok", "b"));
        p.changes
            .push(monitor(1, "@webhook-a-alert @webhook-a-ok", "a"));
        p.changes.push(monitor(
            2,
            "{{#is_alert}} @webhook-a-alert {{/is_alert}}",
            "a",
        ));
        p.changes.push(monitor(4, "@webhook-existing", "c"));
        p
    }

    fn rule(name: &str) -> crate::model::NotificationRule {
        use crate::model::{
            Condition, RuleCondition, RuleConditionScope, RuleFilter, RuleRecipients,
        };
        crate::model::NotificationRule {
            name: name.into(),
            filter: RuleFilter::Tags(vec!["team:x".into()]),
            recipients: RuleRecipients::Conditional {
                conditions: vec![RuleCondition {
                    scope: RuleConditionScope::Transition(Condition::IsAlert),
                    recipients: vec![format!("webhook-{name}-alert-check")],
                }],
                fallback: vec![],
            },
        }
    }

    /// A block `new` switched from messages to a rule and a rule `old` switched back to
    /// messages: the create comes before the monitor writes that remove `new`'s blocks, the
    /// delete after the writes that add `old`'s; ownership follows by id.
    #[test]
    fn rules_are_created_before_monitor_writes_and_deleted_after_them() {
        let mut p = plan();
        p.changes.retain(|c| matches!(c, Change::Monitor(_)));
        p.changes.push(Change::NotificationRule(RuleChange {
            name: "new".into(),
            id: None,
            edit: Edit::Create { after: rule("new") },
            notes: vec![],
            carried: Default::default(),
        }));
        p.changes.push(Change::NotificationRule(RuleChange {
            name: "old".into(),
            id: Some("id-old".into()),
            edit: Edit::Delete {
                before: rule("old"),
                read: fp("r"),
            },
            notes: vec![],
            carried: Default::default(),
        }));
        let mut registry = Registry::new("salt");
        registry
            .notification_rules
            .insert("old".into(), "id-old".into());
        let mut engine = Engine::new(&p, registry, false);
        let (steps, saves) = drive(&mut engine, Duration::ZERO, ok);
        assert_eq!(
            steps,
            [
                "save",
                "create notification_rule.new",
                "write 1 monitors",
                "delete notification_rule.old",
                "save",
                "done"
            ]
        );
        // Before the create, its name is pending: a killed create is found by the listing.
        // A delete's name too: a lost answer may hide that it happened.
        assert!(saves[0].pending_rules.contains("new") && saves[0].pending_rules.contains("old"));
        let last = saves.last().unwrap();
        assert!(last.pending_rules.is_empty());
        assert_eq!(
            last.notification_rules,
            BTreeMap::from([("new".to_string(), "id-notification_rule.new".to_string())])
        );
    }

    /// A failed rule create stops the monitor writes (the blocks it replaces stay) and
    /// leaves its name pending.
    #[test]
    fn a_failed_rule_create_keeps_the_blocks_and_its_name_pending() {
        let mut p = plan();
        p.changes.retain(|c| matches!(c, Change::Monitor(_)));
        p.changes.push(Change::NotificationRule(RuleChange {
            name: "new".into(),
            id: None,
            edit: Edit::Create { after: rule("new") },
            notes: vec![],
            carried: Default::default(),
        }));
        let mut engine = Engine::new(&p, Registry::new("salt"), false);
        let (steps, saves) = drive(&mut engine, Duration::ZERO, |step| match step {
            Step::WriteById(cs) => StepOutcome::ByIdWritten(
                cs.iter()
                    .map(|c| (c.address(), Err("HTTP 500".to_string())))
                    .collect(),
            ),
            other => ok(other),
        });
        assert_eq!(steps, ["save", "create notification_rule.new", "done"]);
        assert!(saves[0].pending_rules.contains("new"));
        let report = engine.into_report();
        assert!(report
            .outcomes
            .iter()
            .any(|(a, _, o)| a == "monitor.7" && *o == Outcome::NotAttempted));
    }

    #[test]
    fn steps_come_in_dependency_order_and_ownership_follows_each_write() {
        let p = plan();
        let mut engine = Engine::new(&p, owned(), false);
        let (steps, saves) = drive(&mut engine, Duration::ZERO, ok);
        assert_eq!(
            steps,
            [
                "save",
                "create var KEY",
                "create hook new",
                "write 1 monitors",
                "delete hook gone",
                "delete var OLD",
                "save",
                "done"
            ]
        );
        // First save: every name a create or delete touches is pending, nothing else moved.
        assert_eq!(
            saves[0].pending_webhooks.iter().collect::<Vec<_>>(),
            ["gone", "new"]
        );
        assert!(saves[0].pending_variables.contains_key("KEY"));
        assert!(saves[0].webhooks.contains("gone"));
        // Last save: owned exactly what exists, nothing pending, the secret's fingerprint.
        let last = &saves[1];
        assert!(!last.has_pending());
        assert_eq!(last.webhooks.iter().collect::<Vec<_>>(), ["new"]);
        assert_eq!(
            last.custom_variables.get("KEY"),
            Some(&Some(last.fingerprint("s3cret")))
        );
        assert!(!last.custom_variables.contains_key("OLD"));
        let report = engine.into_report();
        assert!(report.complete());
        assert_eq!((report.done.create, report.done.delete), (3, 2));
        assert_eq!(report.steps, 7);
    }

    #[test]
    fn a_failed_webhook_write_stops_monitors_and_removals_and_leaves_its_name_pending() {
        let p = plan();
        let mut engine = Engine::new(&p, owned(), false);
        let (steps, saves) = drive(&mut engine, Duration::ZERO, |step| match step {
            Step::Write(Write::CreateWebhook { .. }) => StepOutcome::Written(Err("503".into())),
            other => ok(other),
        });
        assert_eq!(
            steps,
            ["save", "create var KEY", "create hook new", "save", "done"]
        );
        let last = saves.last().expect("a final save");
        assert!(
            last.pending_webhooks.contains("new"),
            "may exist: stays pending"
        );
        assert!(last.custom_variables.contains_key("KEY"));
        assert!(last.webhooks.contains("gone"), "not deleted: still owned");
        let report = engine.into_report();
        assert!(!report.complete());
        let not_attempted = not_attempted(&report);
        assert_eq!(
            not_attempted,
            ["monitor.7", "webhook.gone", "custom_variable.OLD"]
        );
    }

    #[test]
    fn a_stale_read_lists_monitors_again_and_a_moved_one_is_refused() {
        let p = plan();
        let mut engine = Engine::new(&p, owned(), false);
        let (steps, _) = drive(&mut engine, MONITOR_READ_MAX_AGE * 2, |step| match step {
            Step::Monitors(MonitorWork::Read) => StepOutcome::Monitors(MonitorOutcome::Read(Ok(
                BTreeMap::from([(7, fp("edited"))]),
            ))),
            other => ok(other),
        });
        assert!(steps.contains(&"read monitors".to_string()));
        assert!(!steps.iter().any(|s| s.starts_with("write")), "{steps:?}");
        assert!(!steps.iter().any(|s| s.starts_with("delete")), "{steps:?}");
        let report = engine.into_report();
        assert!(report
            .outcomes
            .iter()
            .any(|(a, _, o)| a == "monitor.7" && matches!(o, Outcome::Refused(_))));
    }

    #[test]
    fn a_failed_pending_save_writes_nothing() {
        let p = plan();
        let mut engine = Engine::new(&p, owned(), false);
        let (steps, _) = drive(&mut engine, Duration::ZERO, |_| {
            StepOutcome::Saved(Err("403".into()))
        });
        assert_eq!(steps, ["save", "done"]);
        let report = engine.into_report();
        assert!(report.registry_error.is_some());
        assert!(report
            .outcomes
            .iter()
            .all(|(_, _, o)| *o == Outcome::NotAttempted));
    }
    /// With overlap, a group's monitor writes ride along with the chain as soon as its
    /// webhooks exist (and the variables before them); the removals still wait for all.
    #[test]
    fn monitor_writes_ride_along_with_the_chain_once_their_webhooks_exist() {
        let p = overlapped_plan();
        let mut engine = Engine::new(&p, owned(), false).overlapping(3);
        let (steps, saves) = drive(&mut engine, Duration::ZERO, ok);
        assert_eq!(
            steps,
            [
                "save",
                "create var KEY",
                "create hook a-alert + write monitors 4",
                "create hook a-ok + write monitors 2",
                "create hook b-alert + write monitors 1",
                "create hook b-ok",
                "write 1 monitors",
                "delete hook gone",
                "delete var OLD",
                "save",
                "done"
            ]
        );
        assert!(!saves.last().unwrap().has_pending());
        let report = engine.into_report();
        assert!(report.complete(), "{report:?}");
        assert_eq!(
            (report.done.create, report.done.delete),
            (9, 2),
            "{:?}",
            report.done
        );
    }

    /// At most `overlap` monitor writes ride along with one chain write.
    #[test]
    fn no_more_monitor_writes_ride_along_than_the_overlap() {
        let mut p = overlapped_plan();
        p.changes.push(monitor(5, "@webhook-existing", "c"));
        let mut engine = Engine::new(&p, owned(), false).overlapping(1);
        let (steps, _) = drive(&mut engine, Duration::ZERO, ok);
        assert_eq!(
            &steps[2..7],
            [
                "create hook a-alert + write monitors 4",
                "create hook a-ok + write monitors 5",
                "create hook b-alert + write monitors 2",
                "create hook b-ok + write monitors 1",
                "write 1 monitors",
            ]
        );
    }

    /// A monitor write on a read older than the limit waits for a new listing, which rides
    /// along with a chain write too; the writes after it use it, and a monitor that moved
    /// is refused while the chain goes on (the removals do not).
    #[test]
    fn a_stale_read_is_renewed_alongside_the_chain_and_a_moved_monitor_is_refused() {
        let p = overlapped_plan();
        let mut engine = Engine::new(&p, owned(), false).overlapping(3);
        let (steps, _) = drive(&mut engine, MONITOR_READ_MAX_AGE * 2, |step| match step {
            Step::Overlapped {
                monitors: MonitorWork::Read,
                ..
            } => {
                let mut now = fingerprints();
                now.insert(4, fp("edited by someone"));
                StepOutcome::Overlapped {
                    written: Ok(()),
                    monitors: MonitorOutcome::Read(Ok(now)),
                }
            }
            other => ok(other),
        });
        assert_eq!(
            steps,
            [
                "save",
                "create var KEY",
                "create hook a-alert + read monitors",
                "create hook a-ok + write monitors 2",
                "create hook b-alert + write monitors 1",
                "create hook b-ok",
                "write 1 monitors",
                "save",
                "done"
            ]
        );
        let report = engine.into_report();
        let outcome = |address: &str| {
            report
                .outcomes
                .iter()
                .find(|(a, _, _)| a == address)
                .map(|(_, _, o)| o.clone())
        };
        assert!(matches!(outcome("monitor.4"), Some(Outcome::Refused(_))));
        assert_eq!(outcome("monitor.1"), Some(Outcome::Done));
        assert_eq!(outcome("webhook.b-ok"), Some(Outcome::Done));
        assert_eq!(outcome("webhook.gone"), Some(Outcome::NotAttempted));
    }

    /// A failed monitor write alongside the chain does not stop the chain, but stops the
    /// removals; a failed chain write stops the monitor writes not yet handed out.
    #[test]
    fn failures_alongside_the_chain_stop_what_depends_on_them() {
        let p = overlapped_plan();
        let mut engine = Engine::new(&p, owned(), false).overlapping(3);
        let (steps, _) = drive(&mut engine, Duration::ZERO, |step| match step {
            Step::Overlapped {
                monitors: MonitorWork::Write(ms),
                ..
            } if ms.iter().any(|m| m.id == 4) => StepOutcome::Overlapped {
                written: Ok(()),
                monitors: MonitorOutcome::Written(BTreeMap::from([(4, Err("HTTP 500".into()))])),
            },
            other => ok(other),
        });
        assert!(steps.contains(&"create hook b-ok".to_string()), "{steps:?}");
        assert!(!steps.iter().any(|s| s.starts_with("delete")), "{steps:?}");

        let mut engine = Engine::new(&p, owned(), false).overlapping(3);
        let (steps, saves) = drive(&mut engine, Duration::ZERO, |step| match step {
            Step::Overlapped {
                write: Write::CreateWebhook { name: "a-ok", .. },
                ..
            } => match ok(step) {
                StepOutcome::Overlapped { monitors, .. } => StepOutcome::Overlapped {
                    written: Err("HTTP 503".into()),
                    monitors,
                },
                other => other,
            },
            other => ok(other),
        });
        assert_eq!(
            steps,
            [
                "save",
                "create var KEY",
                "create hook a-alert + write monitors 4",
                "create hook a-ok + write monitors 2",
                "save",
                "done"
            ]
        );
        assert!(saves.last().unwrap().pending_webhooks.contains("a-ok"));
        let report = engine.into_report();
        let not_attempted = not_attempted(&report);
        assert_eq!(
            not_attempted,
            [
                "webhook.b-alert",
                "webhook.b-ok",
                "monitor.1",
                "monitor.3",
                "webhook.gone",
                "custom_variable.OLD"
            ]
        );
    }

    /// A monitor whose block a rule of the plan replaces waits for the rule, even with
    /// overlap.
    #[test]
    fn a_monitor_whose_block_becomes_a_rule_waits_for_the_rule() {
        let mut p = overlapped_plan();
        p.changes.push(Change::NotificationRule(RuleChange {
            name: "c".into(),
            id: None,
            edit: Edit::Create { after: rule("c") },
            notes: vec![],
            carried: Default::default(),
        }));
        let mut engine = Engine::new(&p, owned(), false).overlapping(3);
        let (steps, _) = drive(&mut engine, Duration::ZERO, ok);
        let rule = steps
            .iter()
            .position(|s| s == "create notification_rule.c")
            .expect("the rule is created");
        assert!(!steps[..rule].iter().any(|s| s.contains(" 4")), "{steps:?}");
        assert_eq!(steps[rule + 1], "write 2 monitors", "{steps:?}");
    }
}
