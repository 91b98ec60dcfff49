//! What the engine hands out and takes back: the [`Step`]s (each write, in model terms),
//! their [`StepOutcome`]s, and the [`ApplyReport`] of a run.

use crate::plan::{
    Action, Address, Change, Fingerprint, MonitorChange, SeedRun, Summary, WebhookState,
};
use crate::registry::Registry;
use std::collections::BTreeMap;

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
    /// How many steps the engine handed out, per lane (a test that stops after step k of a
    /// lane needs it).
    pub steps: LaneSteps,
    /// How many times the monitors were listed again to keep their writes fresh.
    pub relistings: usize,
    /// How many monitors were read again by id to keep their writes fresh.
    pub monitors_reread: usize,
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
            steps: LaneSteps::default(),
            relistings: 0,
            monitors_reread: 0,
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

/// The two lanes of an apply, each with at most one step in flight: the chain (the
/// webhook and variable writes one at a time, then everything ordered after them) and the
/// monitor work, which runs alongside the chain once a monitor's webhooks exist. Two lanes
/// rather than monitor writes riding inside a chain step, so that a slow monitor write
/// never holds up the next chain write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Lane {
    /// Saves, webhook and variable writes, rule and board writes, check runs, removals.
    Chain,
    /// Monitor writes and the reads that keep them fresh ([`Step::Monitors`]).
    Monitors,
}

/// Steps handed out, counted per [`Lane`]: the chain's count is the same on every run of a
/// plan; the monitor lane's depends on how fast its requests come back.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct LaneSteps {
    /// Steps of [`Lane::Chain`].
    pub chain: usize,
    /// Steps of [`Lane::Monitors`].
    pub monitors: usize,
}

impl LaneSteps {
    /// Counts one more step of `lane`.
    pub fn count(&mut self, lane: Lane) {
        match lane {
            Lane::Chain => self.chain += 1,
            Lane::Monitors => self.monitors += 1,
        }
    }

    /// The steps of `lane`.
    pub fn of(&self, lane: Lane) -> usize {
        match lane {
            Lane::Chain => self.chain,
            Lane::Monitors => self.monitors,
        }
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
    /// Monitor work, the one step of [`Lane::Monitors`]: the writes whose webhooks exist
    /// (alongside the chain's write in flight, or all that are left after the chain and the
    /// rules), or the read that keeps them fresh.
    Monitors(MonitorWork<'p>),
    /// Create, update or delete these objects addressed by id — notification rules and
    /// status boards — concurrently, stopping early on a signal.
    WriteById(Vec<&'p Change>),
    /// Submit these seeded check runs (batched by the driver).
    SubmitChecks(Vec<&'p SeedRun>),
    /// Nothing can start until a step in flight settles: the driver waits for one.
    Wait,
    /// Nothing is left: take the report with [`Engine::into_report`].
    Done,
}

/// Monitor work ([`Step::Monitors`]), alongside a chain write or on its own.
#[derive(Debug)]
pub enum MonitorWork<'p> {
    /// List the monitors again and report the message fingerprint of each one the plan
    /// writes ([`Freshness::Relist`](super::Freshness::Relist)).
    Read,
    /// Read these monitors by id and report each one's message fingerprint (one missing:
    /// it was deleted) ([`Freshness::ReadEach`](super::Freshness::ReadEach)).
    ReadEach(Vec<i64>),
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

/// Why a write failed, and whether it may have happened all the same (the answer was lost
/// after the request went out, or the server failed while handling it): only then do the
/// names it touches stay pending for the next read to resolve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteError {
    /// What failed, as the report shows it.
    pub message: String,
    /// The object may have been written anyway.
    pub outcome_unknown: bool,
}

impl WriteError {
    /// A write that certainly did not happen (refused, never sent).
    pub fn refused(message: impl Into<String>) -> WriteError {
        WriteError {
            message: message.into(),
            outcome_unknown: false,
        }
    }

    /// A write that may have happened.
    pub fn unknown(message: impl Into<String>) -> WriteError {
        WriteError {
            message: message.into(),
            outcome_unknown: true,
        }
    }
}

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// What came of a step.
#[derive(Debug)]
pub enum StepOutcome {
    /// The registry was saved, or why not.
    Saved(Result<(), String>),
    /// The write was made, or why not.
    Written(Result<(), WriteError>),
    /// What came of a [`Step::Monitors`].
    Monitors(MonitorOutcome),
    /// Each write's outcome, by address: the id of an object a create made (an object
    /// missing here was not attempted).
    ByIdWritten(BTreeMap<Address, Result<Option<String>, WriteError>>),
    /// The seeded check runs were submitted, or why not.
    ChecksSubmitted(Result<(), String>),
}

/// Monitor ids, space-separated.
fn spaced(ids: impl Iterator<Item = impl std::fmt::Display>) -> String {
    ids.map(|id| id.to_string()).collect::<Vec<_>>().join(" ")
}

impl Step<'_> {
    /// The lane the step belongs to: its outcome settles that lane.
    pub fn lane(&self) -> Lane {
        match self {
            Step::Monitors(_) => Lane::Monitors,
            _ => Lane::Chain,
        }
    }

    /// The step as one line, for a reader of the order apply writes in (and the tests):
    /// `create hook NAME`, `write 3 monitors`, `delete notification_rule.x`, ….
    pub fn describe(&self) -> String {
        match self {
            Step::SaveRegistry(_) => "save".into(),
            Step::Write(Write::CreateVariable { name, .. }) => format!("create var {name}"),
            Step::Write(Write::UpdateVariable { name, .. }) => format!("update var {name}"),
            Step::Write(Write::DeleteVariable { name }) => format!("delete var {name}"),
            Step::Write(Write::CreateWebhook { name, .. }) => format!("create hook {name}"),
            Step::Write(Write::UpdateWebhook { name, .. }) => format!("update hook {name}"),
            Step::Write(Write::DeleteWebhook { name }) => format!("delete hook {name}"),
            Step::Monitors(MonitorWork::Read) => "read monitors".into(),
            Step::Monitors(MonitorWork::ReadEach(ids)) => format!("read {} monitors", ids.len()),
            Step::Monitors(MonitorWork::Write(ms)) => format!("write {} monitors", ms.len()),
            Step::WriteById(cs) => {
                let names: Vec<String> = cs
                    .iter()
                    .map(|c| format!("{} {}", c.action().word(), c.address()))
                    .collect();
                names.join(", ")
            }
            Step::SubmitChecks(runs) => format!("submit {} check runs", runs.len()),
            Step::Wait => "wait".into(),
            Step::Done => "done".into(),
        }
    }

    /// A monitor step handed out while a chain write is in flight, as one line that says so
    /// and names its monitors: `+ write monitors 4 2`, `+ read monitors`, ….
    pub fn describe_alongside(&self) -> String {
        match self {
            Step::Monitors(MonitorWork::Read) => "+ read monitors".into(),
            Step::Monitors(MonitorWork::ReadEach(ids)) => {
                format!("+ read monitors {}", spaced(ids.iter()))
            }
            Step::Monitors(MonitorWork::Write(ms)) => {
                format!("+ write monitors {}", spaced(ms.iter().map(|m| m.id)))
            }
            other => format!("+ {}", other.describe()),
        }
    }
}
