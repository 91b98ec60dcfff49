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
    /// How many steps the engine handed out (a test that stops after step k needs it).
    pub steps: usize,
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
            steps: 0,
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
    /// What came of a [`Step::Overlapped`]: the chain write, and the monitor work.
    Overlapped {
        /// The chain write was made, or why not.
        written: Result<(), WriteError>,
        /// What came of the monitor work.
        monitors: MonitorOutcome,
    },
}

/// Monitor ids, space-separated.
fn spaced(ids: impl Iterator<Item = impl std::fmt::Display>) -> String {
    ids.map(|id| id.to_string()).collect::<Vec<_>>().join(" ")
}

impl Step<'_> {
    /// The step as one line, for a reader of the order apply writes in (and the tests):
    /// `create hook NAME`, `write 3 monitors`, `update hook x + write monitors 1 2`, ….
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
            Step::Overlapped { write, monitors } => {
                let write = Step::Write(write.clone()).describe();
                match monitors {
                    MonitorWork::Read => format!("{write} + read monitors"),
                    MonitorWork::ReadEach(ids) => {
                        format!("{write} + read monitors {}", spaced(ids.iter()))
                    }
                    MonitorWork::Write(ms) => {
                        format!(
                            "{write} + write monitors {}",
                            spaced(ms.iter().map(|m| m.id))
                        )
                    }
                }
            }
            Step::Done => "done".into(),
        }
    }
}
