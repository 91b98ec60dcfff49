//! Executes a [`Plan`]: in dependency order (variables, webhooks, monitor blocks; removals
//! in reverse), webhook and variable writes one at a time, monitor writes concurrently, and
//! the registry kept true after every step.
//!
//! Writes are based on the read the plan was made from, taken under the apply lock (so no
//! other apply writes meanwhile), with no second read per object: the webhook chain is
//! one request per write. People may still edit monitors while the chain runs, so when
//! the monitor writes start more than [`MONITOR_READ_MAX_AGE`] after that read, every
//! monitor is read again (one listing, its pages at once) and a monitor whose message
//! moved is refused rather than overwritten.

pub mod lock;
mod state;

pub use lock::{Claim, Lock, LockError, LockOptions};
pub use state::{StateError, StateStore};

use crate::datadog::fetch::remote_monitor;
use crate::datadog::{wire, ApiError, Client};
use crate::model::Desired;
use crate::plan::{self, Action, Change, ObjectKind, Plan, Summary};
use crate::registry::Registry;
use futures::stream::{self, StreamExt};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

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
#[derive(Debug, Default)]
pub struct ApplyReport {
    /// Every change of the plan with its outcome, in plan order.
    pub outcomes: Vec<(String, Action, Outcome)>,
    /// Counts of what was done.
    pub done: Summary,
    /// Whether a signal stopped the run.
    pub interrupted: bool,
    /// A registry write that failed, if any (the objects were written; a re-run adopts them).
    pub registry_error: Option<String>,
}

impl ApplyReport {
    /// Whether everything in the plan was applied.
    pub fn complete(&self) -> bool {
        !self.interrupted
            && self.registry_error.is_none()
            && self.outcomes.iter().all(|(_, _, o)| *o == Outcome::Done)
    }

    fn count(&mut self, change: &Change) {
        let mut add = |a: Action| match a {
            Action::Create => self.done.create += 1,
            Action::Delete => self.done.delete += 1,
            _ => self.done.update += 1,
        };
        if change.blocks.is_empty() {
            add(change.action);
        } else {
            change.blocks.iter().for_each(|b| add(b.action));
        }
    }
}

/// Everything apply needs besides the plan.
pub struct Applier<'a> {
    /// The API.
    pub client: &'a Client,
    /// The manifests' desired state (the plan holds no secret values; they come from here).
    pub desired: &'a Desired,
    /// Where the registry is kept.
    pub state: StateStore,
    /// The registry as read at plan time.
    pub registry: Registry,
    /// Concurrent monitor writes.
    pub concurrency: usize,
    /// When the remote state the plan was made from was read (the fetch's start).
    pub read_at: Instant,
    /// How many monitors that read found (sizes a second listing).
    pub monitors_read: usize,
    /// Set by SIGINT/SIGTERM: the write in flight finishes, nothing new starts.
    pub stop: Arc<AtomicBool>,
}

fn name_of(address: &str) -> &str {
    address.split_once('.').map_or(address, |(_, n)| n)
}

/// Why a change could not be made.
struct StepError(String);

/// Registry entries as they were before a change: restored when it is not made, so that
/// ownership stays as it was (a snapshot of the names involved, not of the whole registry,
/// which would make a chain of N writes cost N² copies).
#[derive(Default)]
struct OwnershipBefore {
    /// Webhook name, and whether it was owned.
    webhooks: Vec<(String, bool)>,
    /// Variable name, and its entry (`None`: not owned).
    variables: Vec<(String, Option<Option<String>>)>,
}

impl From<ApiError> for StepError {
    fn from(e: ApiError) -> Self {
        StepError(e.to_string())
    }
}

impl<'a> Applier<'a> {
    /// Applies `plan`, made from the remote state read at `read_at` (a saved plan is checked
    /// against a fresh read by the caller first).
    pub async fn apply(mut self, plan: &Plan) -> ApplyReport {
        let mut report = ApplyReport::default();
        let index = |kind: ObjectKind, delete: bool| {
            plan.changes
                .iter()
                .filter(move |c| c.kind == kind && (c.action == Action::Delete) == delete)
        };
        // Record every name a create, delete or rename may touch as pending before writing
        // anything: a run killed mid-way leaves them pending, and the next fetch resolves
        // them by existence. Nothing is written if this record cannot be saved.
        for change in &plan.changes {
            self.mark_pending(change);
        }
        if self.registry.has_pending() || self.state.dirty {
            self.save_registry(&mut report).await;
            if let Some(e) = report.registry_error.clone() {
                for c in &plan.changes {
                    report
                        .outcomes
                        .push((c.address.clone(), c.action, Outcome::NotAttempted));
                }
                report.registry_error = Some(format!("{e}; nothing was written"));
                return report;
            }
        }
        let saved_registry = self.registry.clone();
        let mut failed = false;
        let serial: Vec<&Change> = index(ObjectKind::CustomVariable, false)
            .chain(index(ObjectKind::Webhook, false))
            .collect();
        self.apply_serially(serial, &mut report, &mut failed).await;
        let monitors: Vec<&Change> = index(ObjectKind::Monitor, false).collect();
        if failed || self.stopped(&mut report) {
            for c in monitors {
                report
                    .outcomes
                    .push((c.address.clone(), c.action, Outcome::NotAttempted));
            }
        } else {
            let moved = self
                .monitors_moved(&monitors)
                .await
                .map_err(|e| format!("reading the monitors again before writing them failed: {e}"));
            let this = &self;
            let moved = &moved;
            let results = stream::iter(monitors)
                .map(|c| async move {
                    if this.stop.load(Ordering::SeqCst) {
                        return (c, Outcome::NotAttempted);
                    }
                    match moved {
                        Err(why) => return (c, Outcome::Failed(why.clone())),
                        Ok(moved) => {
                            if let Some(why) = c.monitor_id.and_then(|id| moved.get(&id)) {
                                return (c, Outcome::Refused(why.clone()));
                            }
                        }
                    }
                    let outcome = match this.apply_monitor(c).await {
                        Ok(()) => Outcome::Done,
                        Err(StepError(f)) => Outcome::Failed(f),
                    };
                    (c, outcome)
                })
                .buffered(self.concurrency.max(1))
                .collect::<Vec<_>>()
                .await;
            for (c, outcome) in results {
                // A refused monitor write must stop the removals that depend on it (its
                // block would point at deleted webhooks).
                failed |= matches!(outcome, Outcome::Failed(_) | Outcome::Refused(_));
                if outcome == Outcome::Done {
                    report.count(c);
                }
                report.outcomes.push((c.address.clone(), c.action, outcome));
            }
            if self.stop.load(Ordering::SeqCst) {
                report.interrupted = true;
            }
        }
        let removals: Vec<&Change> = index(ObjectKind::Webhook, true)
            .chain(index(ObjectKind::CustomVariable, true))
            .collect();
        self.apply_serially(removals, &mut report, &mut failed)
            .await;
        if !failed && !report.interrupted {
            for address in &plan.forget {
                self.forget(address);
            }
        }
        if self.registry != saved_registry {
            self.save_registry(&mut report).await;
        }
        report
    }

    /// Applies webhook and variable changes one at a time, in order; after a failure or an
    /// interruption the rest are reported as not attempted.
    async fn apply_serially(
        &mut self,
        changes: Vec<&Change>,
        report: &mut ApplyReport,
        failed: &mut bool,
    ) {
        for change in changes {
            if *failed || self.stopped(report) {
                self.settle_pending(change, &Outcome::NotAttempted);
                report.outcomes.push((
                    change.address.clone(),
                    change.action,
                    Outcome::NotAttempted,
                ));
                continue;
            }
            let before = self.ownership_before(change);
            let outcome = self.apply_one(change).await;
            *failed |= self.record(report, change, before, outcome);
        }
    }

    /// The registry entries `change` may touch (its name and the name it renames), as they
    /// are now.
    fn ownership_before(&self, change: &Change) -> OwnershipBefore {
        let names = std::iter::once(name_of(&change.address).to_string())
            .chain(change.renamed_from.clone());
        let mut before = OwnershipBefore::default();
        match change.kind {
            ObjectKind::Webhook => {
                before.webhooks = names
                    .map(|n| {
                        let owned = self.registry.webhooks.contains(&n);
                        (n, owned)
                    })
                    .collect();
            }
            ObjectKind::CustomVariable => {
                before.variables = names
                    .map(|n| {
                        let entry = self.registry.custom_variables.get(&n).cloned();
                        (n, entry)
                    })
                    .collect();
            }
            ObjectKind::Monitor => {}
        }
        before
    }

    /// Puts back registry entries saved by [`Self::ownership_before`].
    fn restore(&mut self, before: OwnershipBefore) {
        for (name, owned) in before.webhooks {
            if owned {
                self.registry.webhooks.insert(name);
            } else {
                self.registry.webhooks.remove(&name);
            }
        }
        for (name, entry) in before.variables {
            match entry {
                Some(fp) => {
                    self.registry.custom_variables.insert(name, fp);
                }
                None => {
                    self.registry.custom_variables.remove(&name);
                }
            }
        }
    }

    /// The names a change may create, delete or rename away, as pending entries.
    fn pending_names(change: &Change) -> Vec<String> {
        let ownership_changes = change.action == Action::Create
            || change.action == Action::Delete
            || change.renamed_from.is_some();
        if !ownership_changes {
            return Vec::new();
        }
        let mut names = vec![name_of(&change.address).to_string()];
        names.extend(change.renamed_from.clone());
        names
    }

    fn mark_pending(&mut self, change: &Change) {
        for name in Self::pending_names(change) {
            match change.kind {
                ObjectKind::Webhook => {
                    self.registry.pending_webhooks.insert(name);
                }
                ObjectKind::CustomVariable => {
                    let fp = self
                        .desired
                        .custom_variables
                        .get(&name)
                        .filter(|want| want.secret && change.action != Action::Delete)
                        .map(|want| self.registry.fingerprint(want.value.expose()))
                        .or_else(|| self.registry.custom_variables.get(&name).cloned().flatten());
                    self.registry.pending_variables.insert(name, fp);
                }
                ObjectKind::Monitor => {}
            }
        }
    }

    /// After a change's outcome is known (done, refused, not attempted), its names are no
    /// longer pending; after a failure they stay pending for the next fetch to resolve.
    fn settle_pending(&mut self, change: &Change, outcome: &Outcome) {
        if matches!(outcome, Outcome::Failed(_)) {
            return;
        }
        for name in Self::pending_names(change) {
            match change.kind {
                ObjectKind::Webhook => {
                    self.registry.pending_webhooks.remove(&name);
                }
                ObjectKind::CustomVariable => {
                    self.registry.pending_variables.remove(&name);
                }
                ObjectKind::Monitor => {}
            }
        }
    }

    fn stopped(&self, report: &mut ApplyReport) -> bool {
        if self.stop.load(Ordering::SeqCst) {
            report.interrupted = true;
        }
        report.interrupted
    }

    fn forget(&mut self, address: &str) {
        let name = name_of(address);
        if address.starts_with("webhook.") {
            self.registry.webhooks.remove(name);
        } else {
            self.registry.custom_variables.remove(name);
        }
    }

    /// Records an outcome (a change not made leaves ownership as it was). Returns whether
    /// the run must stop.
    fn record(
        &mut self,
        report: &mut ApplyReport,
        change: &Change,
        before: OwnershipBefore,
        outcome: Result<(), StepError>,
    ) -> bool {
        let outcome = match outcome {
            Ok(()) => Outcome::Done,
            Err(StepError(f)) => Outcome::Failed(f),
        };
        let failed = matches!(outcome, Outcome::Failed(_) | Outcome::Refused(_));
        if outcome == Outcome::Done {
            report.count(change);
        } else {
            // Nothing (known) was written: ownership stays as it was.
            self.restore(before);
        }
        self.settle_pending(change, &outcome);
        report
            .outcomes
            .push((change.address.clone(), change.action, outcome));
        failed
    }

    async fn save_registry(&mut self, report: &mut ApplyReport) {
        if let Err(e) = self.state.save(self.client, &self.registry).await {
            report.registry_error = Some(e.to_string());
        }
    }

    /// The monitors about to be written whose message moved since the plan read it, with
    /// why. Nothing is read when that read is recent (see [`MONITOR_READ_MAX_AGE`]).
    async fn monitors_moved(&self, changes: &[&Change]) -> Result<BTreeMap<i64, String>, ApiError> {
        if changes.is_empty() || self.read_at.elapsed() <= MONITOR_READ_MAX_AGE {
            return Ok(BTreeMap::new());
        }
        let now: BTreeMap<i64, String> = self
            .client
            .list_monitors_expecting(self.monitors_read)
            .await?
            .into_iter()
            .filter_map(remote_monitor)
            .map(|m| (m.id, plan::monitor_fingerprint(&m)))
            .collect();
        Ok(changes
            .iter()
            .filter_map(|c| {
                let id = c.monitor_id?;
                let why = match now.get(&id) {
                    None => "it was deleted since the plan; run plan again",
                    Some(fp) if Some(fp) != c.fingerprint.as_ref() => {
                        "it was changed by someone else since the plan; run plan again"
                    }
                    Some(_) => return None,
                };
                Some((id, why.to_string()))
            })
            .collect())
    }

    async fn apply_one(&mut self, change: &Change) -> Result<(), StepError> {
        let name = name_of(&change.address).to_string();
        match (change.kind, change.action) {
            (ObjectKind::CustomVariable, Action::Delete) => {
                self.client.delete_variable(&name).await?;
                self.registry.custom_variables.remove(&name);
            }
            (ObjectKind::CustomVariable, _) => {
                let want = self
                    .desired
                    .custom_variables
                    .get(&name)
                    .ok_or_else(|| StepError(format!("{name} is in the plan but not in the manifests; the plan and the manifests disagree")))?;
                if change.writes {
                    let value = want.value.expose().to_string();
                    if change.action == Action::Create {
                        let body = wire::CustomVariableCreateRequest {
                            is_secret: want.secret,
                            name: name.clone(),
                            value,
                        };
                        self.client.create_variable(&body).await?;
                    } else {
                        let body = wire::CustomVariableUpdateRequest {
                            is_secret: Some(want.secret),
                            name: None,
                            value: Some(value),
                        };
                        self.client.update_variable(&name, &body).await?;
                    }
                }
                let fp = want
                    .secret
                    .then(|| self.registry.fingerprint(want.value.expose()));
                self.registry.custom_variables.insert(name, fp);
            }
            (ObjectKind::Webhook, Action::Delete) => {
                self.client.delete_webhook(&name).await?;
                self.registry.webhooks.remove(&name);
            }
            (ObjectKind::Webhook, action) => {
                let want = self
                    .desired
                    .webhooks
                    .get(&name)
                    .ok_or_else(|| StepError(format!("{name} is in the plan but not in the manifests; the plan and the manifests disagree")))?;
                let payload = want.payload.as_ref().map(|p| p.to_string());
                let headers = want
                    .custom_headers
                    .as_ref()
                    .map(|h| serde_json::to_string(h).unwrap_or_default());
                match action {
                    Action::Create => {
                        let body = wire::WebhookCreateRequest {
                            name: name.clone(),
                            url: want.url.clone(),
                            payload,
                            custom_headers: headers,
                            encode_as: Some(want.encode_as.as_str().to_string()),
                        };
                        self.client.create_webhook(&body).await?;
                    }
                    _ if change.writes => {
                        let target = change.renamed_from.clone().unwrap_or_else(|| name.clone());
                        let body = wire::WebhookUpdateRequest {
                            name: change.renamed_from.as_ref().map(|_| name.clone()),
                            url: Some(want.url.clone()),
                            payload: Some(payload),
                            custom_headers: Some(headers),
                            encode_as: Some(want.encode_as.as_str().to_string()),
                        };
                        match self.client.update_webhook(&target, &body).await {
                            Ok(_) => {}
                            // A rename whose answer was lost and whose retry found the old
                            // name gone: it happened if the new name now exists.
                            Err(e) if e.status() == Some(404) && change.renamed_from.is_some() => {
                                if self.client.get_webhook(&name).await?.is_none() {
                                    return Err(e.into());
                                }
                            }
                            Err(e) => return Err(e.into()),
                        }
                    }
                    _ => {}
                }
                if let Some(old) = &change.renamed_from {
                    self.registry.webhooks.remove(old);
                }
                self.registry.webhooks.insert(name);
            }
            (ObjectKind::Monitor, _) => {
                return Err(StepError("monitor changes are applied concurrently".into()))
            }
        }
        Ok(())
    }

    async fn apply_monitor(&self, change: &Change) -> Result<(), StepError> {
        let id = change
            .monitor_id
            .ok_or_else(|| StepError("monitor change without an id".into()))?;
        let message = change
            .after
            .as_ref()
            .and_then(|a| a.get("message"))
            .and_then(|m| m.as_str())
            .ok_or_else(|| StepError("monitor change without a message".into()))?;
        self.client.update_monitor_message(id, message).await?;
        Ok(())
    }
}
