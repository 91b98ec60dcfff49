//! Executes a [`Plan`]: the pure [`Engine`] decides every step (order, ownership, pending
//! names, what to refuse), and the async driver here only does the I/O it asks for.
//!
//! Writes are based on the read the plan was made from, taken under the apply lock (so no
//! other apply writes meanwhile), with no second read per object: the webhook chain is one
//! request per write. Monitor writes go alongside the chain, in their own lane, as their
//! webhooks come to exist: the driver keeps one step of each lane in flight and settles
//! whichever finishes first. People may still edit monitors meanwhile, so a monitor write handed out more than
//! [`MONITOR_READ_MAX_AGE`] after the last read of the monitors waits for a new one (one
//! listing, its pages at once, itself alongside a chain write), and a monitor whose message
//! moved is refused rather than overwritten: at 10,000 monitors, 11 page GETs every 5 s of
//! chain instead of one GET per monitor written.

pub use ddhooks_core::apply::{
    engine, schedule, schedule_from, Freshness, ListingSize, ScheduledStep,
};

pub use crate::datadog::lock::{self, Claim, Lock, LockError, LockOptions};
pub use crate::datadog::registry_store::{StateError, StateStore};
pub use engine::{
    ApplyReport, Engine, Lane, LaneSteps, MonitorOutcome, MonitorWork, Outcome, Step, StepOutcome,
    Write, WriteError, MONITOR_READ_MAX_AGE,
};

use crate::datadog::{ApiError, Client};
use crate::plan::{self, Address, Change, Edit, MonitorChange, MonitorInterest, Plan};
use crate::registry::Registry;
use futures::stream::{self, StreamExt, TryStreamExt};
use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::Poll;
use std::time::Instant;

/// Everything the driver needs besides the plan.
pub struct Applier<'a> {
    /// The API.
    pub client: &'a Client,
    /// Where the registry is kept.
    pub state: StateStore,
    /// The registry as read at plan time.
    pub registry: Registry,
    /// Concurrent monitor writes.
    pub concurrency: usize,
    /// When the remote state the plan was made from was read (the fetch's start).
    pub read_at: Instant,
    /// What that read's listing of the monitors cost: sizes a second listing, and chooses
    /// between one and reading the written monitors by id ([`Freshness::cheaper`]).
    pub monitor_listing: ListingSize,
    /// Set by SIGINT/SIGTERM: the write in flight finishes, nothing new starts.
    pub stop: Arc<AtomicBool>,
    /// How old the last read of the monitors may be when one is written
    /// ([`MONITOR_READ_MAX_AGE`]; tests set it through `apply`'s hidden flag).
    pub read_max_age: std::time::Duration,
}

impl Applier<'_> {
    /// Applies `plan`, made from the remote state read at `read_at` (a saved plan is checked
    /// against a fresh read by the caller first).
    pub async fn apply(self, plan: &Plan) -> ApplyReport {
        self.apply_steps(plan, StepLimit::NONE).await
    }

    /// The registry the engine starts from: the one read, carrying the org's monitor count
    /// (every save carries it: the next fetch sizes its concurrent read of the monitor pages
    /// with it).
    fn starting_registry(&self) -> Registry {
        let mut registry = self.registry.clone();
        if self.monitor_listing.monitors > 0 {
            registry.set_monitor_count(Some(self.monitor_listing.monitors));
        }
        registry
    }

    /// The core's schedule of `plan` from where this applier starts ([`schedule_from`]):
    /// the steps [`Applier::apply_steps`] takes when every write succeeds (the chain's are
    /// the same on every run; the monitor lane's, when its requests are fast).
    pub fn schedule(&self, plan: &Plan) -> Vec<ScheduledStep> {
        schedule_from(
            plan,
            self.starting_registry(),
            self.state.dirty,
            self.concurrency,
        )
    }

    /// Applies the engine's steps until either lane has taken as many as `limit` allows,
    /// lets the steps in flight finish, then stops as a killed process would (nothing more
    /// is written or saved); tests resume from there.
    pub async fn apply_steps(mut self, plan: &Plan, limit: StepLimit) -> ApplyReport {
        let registry = self.starting_registry();
        // A new listing of the monitors keeps only those the plan writes.
        let written: BTreeSet<i64> = plan
            .changes
            .iter()
            .filter_map(|c| match c {
                Change::Monitor(m) => Some(m.id),
                _ => None,
            })
            .collect();
        let writes = written.len();
        let rewritten = Arc::new(MonitorInterest::only(written));
        // The chain needs one request at a time: the rest of the concurrency is the
        // monitor lane's while the chain writes.
        let mut engine = Engine::new(plan, registry, self.state.dirty)
            .overlapping(self.concurrency.saturating_sub(1))
            .read_max_age(self.read_max_age)
            .freshness(Freshness::cheaper(self.monitor_listing, writes));
        // The registry store is the chain's alone (at most one save in flight); the
        // requests are both lanes'.
        let requests = &Requests {
            client: self.client,
            concurrency: self.concurrency,
            monitor_listing: self.monitor_listing,
            stop: &self.stop,
            rewritten: &rewritten,
            state: tokio::sync::Mutex::new(&mut self.state),
        };
        let mut in_flight: [Option<StepFuture<'_>>; 2] = [None, None];
        loop {
            if requests.stop.load(Ordering::SeqCst) {
                engine.interrupt();
            }
            // Start every step that can start.
            while !limit.reached(&engine.steps_taken()) {
                let step = engine.next(self.read_at.elapsed());
                let lane = match &step {
                    Step::Done | Step::Wait => break,
                    step => step.lane(),
                };
                in_flight[lane_slot(lane)] = Some(Box::pin(requests.perform(step)));
            }
            if in_flight.iter().all(Option::is_none) {
                break;
            }
            // Settle whichever lane's step finishes first.
            let (slot, outcome) = std::future::poll_fn(|cx| {
                for (slot, step) in in_flight.iter_mut().enumerate() {
                    if let Some(Poll::Ready(outcome)) = step.as_mut().map(|s| s.as_mut().poll(cx)) {
                        return Poll::Ready((slot, outcome));
                    }
                }
                Poll::Pending
            })
            .await;
            in_flight[slot] = None;
            engine.settle(outcome);
        }
        if requests.stop.load(Ordering::SeqCst) {
            engine.interrupt();
        }
        engine.into_report()
    }
}

/// What the steps of an apply are performed with: the API, the registry's store (only the
/// chain saves, one save at a time, hence the lock is never contended) and how the monitor
/// lane reads and writes.
struct Requests<'a> {
    client: &'a Client,
    concurrency: usize,
    monitor_listing: ListingSize,
    stop: &'a AtomicBool,
    /// The monitors the plan writes: a new listing keeps only these.
    rewritten: &'a Arc<MonitorInterest>,
    state: tokio::sync::Mutex<&'a mut StateStore>,
}

impl Requests<'_> {
    /// Performs one step and gives its outcome.
    async fn perform(&self, step: Step<'_>) -> StepOutcome {
        match step {
            Step::SaveRegistry(registry) => StepOutcome::Saved(
                self.state
                    .lock()
                    .await
                    .save(self.client, &registry)
                    .await
                    .map_err(|e| e.to_string()),
            ),
            Step::Write(write) => {
                StepOutcome::Written(self.write(write).await.map_err(|e| write_error(&e)))
            }
            Step::Monitors(work) => StepOutcome::Monitors(self.monitor_work(work).await),
            Step::WriteById(changes) => StepOutcome::ByIdWritten(self.write_by_id(changes).await),
            Step::SubmitChecks(seeds) => StepOutcome::ChecksSubmitted(
                self.client
                    .submit_seeds(&seeds)
                    .await
                    .map_err(|e| e.to_string()),
            ),
            // Never performed: the loop above does not start them.
            Step::Wait | Step::Done => StepOutcome::Written(Ok(())),
        }
    }

    /// One webhook or custom-variable write.
    async fn write(&self, write: Write<'_>) -> Result<(), ApiError> {
        let client = self.client;
        match write {
            Write::CreateVariable {
                name,
                value,
                secret,
            } => client.create_variable_as(name, value, secret).await,
            Write::UpdateVariable {
                name,
                value,
                secret,
            } => client.update_variable_as(name, value, secret).await,
            Write::DeleteVariable { name } => client.delete_variable(name).await.map(|_| ()),
            Write::CreateWebhook { name, state } => client.create_webhook_as(name, state).await,
            Write::UpdateWebhook { name, from, state } => {
                let current = from.unwrap_or(name);
                let new_name = from.map(|_| name);
                match client.update_webhook_as(current, new_name, state).await {
                    // A rename whose answer was lost and whose retry found the old name
                    // gone: it happened if the new name now exists.
                    Err(e) if e.status() == Some(404) && from.is_some() => {
                        match client.read_webhook(name).await? {
                            Some(_) => Ok(()),
                            None => Err(e),
                        }
                    }
                    other => other,
                }
            }
            Write::DeleteWebhook { name } => client.delete_webhook(name).await.map(|_| ()),
        }
    }

    /// Monitor work: a new listing of the monitors the plan rewrites (`rewritten`; their
    /// message fingerprints; one listing, its pages at once, each filtered as it arrives),
    /// or monitor writes.
    async fn monitor_work(&self, work: MonitorWork<'_>) -> MonitorOutcome {
        match work {
            MonitorWork::Read => MonitorOutcome::Read(
                self.client
                    .monitors_expecting(self.monitor_listing.monitors, self.rewritten.clone())
                    .await
                    .map(|monitors| {
                        monitors
                            .iter()
                            .map(|m| (m.id, plan::monitor_fingerprint(m)))
                            .collect()
                    })
                    .map_err(|e| e.to_string()),
            ),
            MonitorWork::ReadEach(ids) => MonitorOutcome::Read(self.read_each(ids).await),
            MonitorWork::Write(changes) => {
                MonitorOutcome::Written(self.write_monitors(changes).await)
            }
        }
    }

    /// The rule, board and auth-method writes, `concurrency` at a time (each is its own object addressed
    /// by id, so unlike webhooks nothing orders them); after a signal, the rest are not
    /// attempted (absent from the result). A create answers with the new object's id.
    async fn write_by_id(
        &self,
        changes: Vec<&Change>,
    ) -> BTreeMap<Address, Result<Option<String>, WriteError>> {
        let stop = &self.stop;
        stream::iter(changes)
            .map(|change| async move {
                if stop.load(Ordering::SeqCst) {
                    return None;
                }
                let result = self.write_one_by_id(change).await;
                Some((change.address(), result.map_err(|e| write_error(&e))))
            })
            .buffered(self.concurrency.max(1))
            .filter_map(|r| async move { r })
            .collect()
            .await
    }

    /// One rule, board or auth-method write; returns the id a create made.
    async fn write_one_by_id(&self, change: &Change) -> Result<Option<String>, ApiError> {
        let client = self.client;
        let missing_id = |what: &str| ApiError::Decode {
            object: what.to_string(),
            detail: "the plan holds no id to write; plan again".to_string(),
        };
        match change {
            Change::NotificationRule(r) => match (&r.edit, r.id.as_deref()) {
                (Edit::Create { after }, _) => client.create_rule_as(after).await.map(Some),
                (Edit::Delete { .. }, Some(id)) => client.delete_rule(id).await.map(|_| None),
                (Edit::Update { after, .. } | Edit::Adopt { after, .. }, Some(id)) => client
                    .update_rule_as(id, after, &r.carried)
                    .await
                    .map(|()| None),
                (Edit::Rename { from, .. }, _) => match *from {},
                (_, None) => Err(missing_id(&format!("notification rule {}", r.name))),
            },
            Change::StatusBoard(b) => match (&b.edit, b.id.as_deref()) {
                (Edit::Create { after }, _) => client.create_board_as(after).await.map(Some),
                (Edit::Delete { .. }, Some(id)) => client.delete_dashboard(id).await.map(|_| None),
                (Edit::Update { after, .. } | Edit::Adopt { after, .. }, Some(id)) => client
                    .update_board_as(id, after, &b.carried)
                    .await
                    .map(|()| None),
                (Edit::Rename { from, .. }, _) => match *from {},
                (_, None) => Err(missing_id(&format!("status board {}", b.name))),
            },
            Change::AuthMethod(a) => match (&a.edit, a.id.as_deref()) {
                (Edit::Create { after }, _) => client.create_auth_method_as(after).await.map(Some),
                (Edit::Delete { .. }, Some(id)) => {
                    client.delete_auth_method(id).await.map(|_| None)
                }
                (Edit::Update { after, .. } | Edit::Adopt { after, .. }, Some(id)) => {
                    client.update_auth_method_as(id, after).await.map(|()| None)
                }
                (Edit::Rename { from, .. }, _) => match *from {},
                (_, None) => Err(missing_id(&format!("webhook auth method {}", a.name))),
            },
            other => Err(ApiError::Decode {
                object: other.address().to_string(),
                detail: "not a change of an object addressed by id".to_string(),
            }),
        }
    }

    /// The message fingerprint of each of the monitors `ids`, read by id, `concurrency` at a
    /// time; a monitor deleted meanwhile is missing from the answer.
    async fn read_each(&self, ids: Vec<i64>) -> Result<BTreeMap<i64, plan::Fingerprint>, String> {
        let client = self.client;
        let read: Vec<(i64, Option<String>)> = stream::iter(ids)
            .map(|id| async move { Ok((id, client.read_monitor_message(id).await?)) })
            .buffer_unordered(self.concurrency.max(1))
            .try_collect()
            .await
            .map_err(|e: ApiError| e.to_string())?;
        Ok(read
            .into_iter()
            .filter_map(|(id, message)| Some((id, plan::message_fingerprint(&message?))))
            .collect())
    }

    /// The monitor writes, `concurrency` at a time; after a signal, the rest are not
    /// attempted (absent from the result).
    async fn write_monitors(
        &self,
        changes: Vec<&MonitorChange>,
    ) -> BTreeMap<i64, Result<(), String>> {
        let stop = &self.stop;
        let client = self.client;
        stream::iter(changes)
            .map(|m| async move {
                if stop.load(Ordering::SeqCst) {
                    return None;
                }
                let result = client
                    .write_monitor_message(m.id, &m.after)
                    .await
                    .map_err(|e| e.to_string());
                Some((m.id, result))
            })
            .buffered(self.concurrency.max(1))
            .filter_map(|r| async move { r })
            .collect()
            .await
    }
}

/// A step being performed: its outcome, once it finishes.
type StepFuture<'a> = Pin<Box<dyn Future<Output = StepOutcome> + 'a>>;

/// Where a lane's step in flight is kept.
fn lane_slot(lane: Lane) -> usize {
    match lane {
        Lane::Chain => 0,
        Lane::Monitors => 1,
    }
}

/// How many steps of each lane a run may start before it stops as a killed process would
/// (tests kill a run after step k of either lane; a real apply has no limit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepLimit {
    /// At most this many chain steps.
    pub chain: usize,
    /// At most this many monitor steps.
    pub monitors: usize,
}

impl StepLimit {
    /// No limit: the whole apply.
    pub const NONE: StepLimit = StepLimit {
        chain: usize::MAX,
        monitors: usize::MAX,
    };

    /// Whether a run that took `taken` steps must start no more.
    fn reached(&self, taken: &LaneSteps) -> bool {
        taken.chain >= self.chain || taken.monitors >= self.monitors
    }
}

/// A failed call as the engine weighs it: whether the write may have happened anyway (the
/// connection dropped after the request went out, the server failed while handling it, or
/// its answer could not be read) or certainly did not (refused with a 4xx, never sent).
fn write_error(e: &ApiError) -> WriteError {
    let outcome_unknown = match e {
        ApiError::Network { ambiguous, .. } => *ambiguous,
        ApiError::Status { status, .. } => *status >= 500,
        ApiError::MissingKey(_) | ApiError::Setup(_) | ApiError::Encode { .. } => false,
        _ => true,
    };
    WriteError {
        message: e.to_string(),
        outcome_unknown,
    }
}
