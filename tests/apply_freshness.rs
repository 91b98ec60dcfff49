//! Monitor writes and the age of the read behind them (issue #6), in-process through the
//! library against a real sandbox over loopback.
//!
//! Apply writes from the plan's read, with no second read per object. When the monitor
//! writes start more than `MONITOR_READ_MAX_AGE` after that read (a long webhook chain, here
//! simulated by backdating `read_at`), every monitor is listed again, once, and a monitor
//! whose message moved (or that is gone) is refused while the others are written. When the
//! read is recent, nothing is read again.

#[path = "e2e_support/mod.rs"]
mod e2e_support;

use ddhooks::apply::{Applier, ApplyReport, Outcome, MONITOR_READ_MAX_AGE};
use ddhooks::commands::session::{Planned, Session};
use ddhooks::manifest::{self, LoadOptions, Loaded};
use ddhooks::plan::PlanOptions;
use ddhooks::sandbox::monitors::{self, Now};
use ddhooks::sandbox::{SandboxConfig, Shared};
use e2e_support::{block, pair_body, SCENARIO};
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Instant;

/// Monitors in the org: exactly one full page, so a listing is two pages (the second empty).
const MONITORS: usize = 1_000;
/// Every `EVERY`-th monitor is tagged `team:checkout` and gets the scenario's block.
const EVERY: usize = 250;

const MONITOR_PAGES: &str = "GET /api/v1/monitor";
const MONITOR_WRITE: &str = "PUT /api/v1/monitor/{id}";

/// An embedded sandbox with an org of monitors, the scenario's manifests, and a plan.
struct Org {
    session: Session,
    loaded: Loaded,
    /// The monitors that get a block, with the text people wrote in them.
    targeted: BTreeMap<i64, String>,
    _dir: tempfile::TempDir,
}

impl Org {
    async fn start() -> Org {
        let session = Session::in_memory_sandbox(SandboxConfig::default())
            .await
            .expect("sandbox starts");
        let mut targeted = BTreeMap::new();
        {
            let shared = shared(&session);
            let now = Now::current();
            let mut data = shared.store.lock();
            for i in 0..MONITORS {
                let team = if i % EVERY == 0 { "checkout" } else { "search" };
                let message = format!("Disk {i} almost full on {{{{host.name}}}} @ops");
                let body = json!({
                    "type": "metric alert",
                    "query": "avg(last_5m):avg:system.disk.in_use{*} > 0.9",
                    "name": format!("disk #{i}"),
                    "message": message,
                    "tags": [format!("team:{team}")],
                });
                let created = monitors::create(&mut data, &body, &shared.identity, &now)
                    .expect("monitor created");
                if team == "checkout" {
                    targeted.insert(created["id"].as_i64().expect("id"), message);
                }
            }
        }
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("main.yaml"), SCENARIO).expect("manifest written");
        let options = LoadOptions::default().with_env_map(BTreeMap::from([(
            "DD_API_KEY".to_string(),
            "freshness-api-key".to_string(),
        )]));
        let loaded = manifest::load_dir(dir.path(), &options).expect("manifests load");
        Org {
            session,
            loaded,
            targeted,
            _dir: dir,
        }
    }

    async fn plan(&self) -> Planned {
        let planned = self
            .session
            .plan(&self.loaded, &PlanOptions::default(), None)
            .await
            .expect("plan");
        assert_eq!(planned.monitors_read, MONITORS);
        let monitor_changes = planned
            .plan
            .changes
            .iter()
            .filter(|c| matches!(c, ddhooks::plan::Change::Monitor(_)))
            .count();
        assert_eq!(monitor_changes, self.targeted.len(), "a block per target");
        planned
    }

    /// Applies `planned` as if its remote state had been read at `read_at`; returns the
    /// outcome of every change by address, and the requests the apply made by route.
    async fn apply(
        &self,
        planned: Planned,
        read_at: Instant,
    ) -> (BTreeMap<String, Outcome>, BTreeMap<String, u64>) {
        let requests = &shared(&self.session).requests;
        requests.clear();
        let applier = Applier {
            client: &self.session.client,
            state: planned.store,
            registry: planned.registry,
            concurrency: self.session.concurrency,
            read_at,
            monitors_read: planned.monitors_read,
            stop: Arc::new(AtomicBool::new(false)),
        };
        let report: ApplyReport = applier.apply(&planned.plan).await;
        let outcomes = report
            .outcomes
            .into_iter()
            .map(|(address, _, outcome)| (address, outcome))
            .collect();
        (outcomes, requests.snapshot().1)
    }

    /// A monitor's message as stored, `None` when it does not exist.
    async fn message(&self, id: i64) -> Option<String> {
        self.session
            .client
            .get_monitor(id)
            .await
            .expect("monitor read")
            .map(|m| m.message.unwrap_or_default())
    }

    /// Asserts that every targeted monitor but `except` carries the block after its
    /// people-written text.
    async fn assert_written(&self, except: Option<i64>) {
        let want = block("grp", &pair_body("grp"));
        for (id, people) in &self.targeted {
            if Some(*id) == except {
                continue;
            }
            let message = self.message(*id).await.expect("monitor exists");
            assert!(
                message.starts_with(people.as_str()) && message.ends_with(&want),
                "monitor {id} was not written: {message:?}"
            );
        }
    }
}

fn shared(session: &Session) -> &Arc<Shared> {
    session.sandbox.as_ref().expect("embedded sandbox").shared()
}

/// A read old enough that the monitors must be listed again before they are written.
fn stale() -> Instant {
    Instant::now()
        .checked_sub(MONITOR_READ_MAX_AGE * 2)
        .expect("the clock goes back 10 s")
}

/// The requests of an apply from scratch of the scenario (the in-process applier takes no
/// lock): the registry created with the pending names and updated once they are owned, the
/// variable and the two webhooks created, `pages` monitor pages, `writes` monitor writes.
fn apply_routes(pages: u64, writes: u64) -> BTreeMap<String, u64> {
    let vars = e2e_support::VARIABLES;
    let hooks = e2e_support::WEBHOOKS;
    [
        (format!("POST {vars}"), 2),
        (format!("PUT {vars}/{{name}}"), 1),
        (format!("POST {hooks}"), 2),
        (MONITOR_PAGES.to_string(), pages),
        (MONITOR_WRITE.to_string(), writes),
    ]
    .into_iter()
    .filter(|(_, n)| *n > 0)
    .collect()
}

/// Monitor `id` was refused, saying `because`; every other change was done.
fn assert_refused_only(outcomes: &BTreeMap<String, Outcome>, id: i64, because: &str) {
    match &outcomes[&format!("monitor.{id}")] {
        Outcome::Refused(why) => assert!(why.contains(because), "refused, but: {why}"),
        other => panic!("monitor {id} ({because}) was {other:?}"),
    }
    assert_done_but(outcomes, Some(id));
}

/// Every change of the plan but the monitor `refused` was done.
fn assert_done_but(outcomes: &BTreeMap<String, Outcome>, refused: Option<i64>) {
    let refused = refused.map(|id| format!("monitor.{id}"));
    assert_eq!(
        outcomes.len(),
        3 + 4,
        "variable, two webhooks, four monitors"
    );
    for (address, outcome) in outcomes {
        if Some(address) != refused.as_ref() {
            assert_eq!(*outcome, Outcome::Done, "{address}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_monitor_edited_since_a_stale_read_is_refused_and_the_others_are_written() {
    let org = Org::start().await;
    let planned = org.plan().await;
    let edited = *org.targeted.keys().nth(1).expect("a second target");
    let persons_text = "Disk almost full — edited by hand after the plan @ops-oncall";
    org.session
        .client
        .update_monitor_message(edited, persons_text)
        .await
        .expect("a person edits the monitor");

    let (outcomes, requests) = org.apply(planned, stale()).await;

    assert_refused_only(&outcomes, edited, "changed by someone else since the plan");
    assert_eq!(
        org.message(edited).await.as_deref(),
        Some(persons_text),
        "the person's edit is kept"
    );
    org.assert_written(Some(edited)).await;
    // One listing again (1,000 monitors known: both pages asked for at once), no read per
    // monitor (no `GET /api/v1/monitor/{id}`), one write per monitor that did not move.
    assert_eq!(requests, apply_routes(2, 3), "requests of the apply");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_monitor_deleted_since_a_stale_read_is_refused_as_deleted() {
    let org = Org::start().await;
    let planned = org.plan().await;
    let deleted = *org.targeted.keys().nth(2).expect("a third target");
    monitors::delete(&mut shared(&org.session).store.lock(), deleted).expect("deleted");

    let (outcomes, requests) = org.apply(planned, stale()).await;

    assert_refused_only(&outcomes, deleted, "deleted since the plan");
    assert_eq!(org.message(deleted).await, None, "not brought back");
    org.assert_written(Some(deleted)).await;
    assert_eq!(requests, apply_routes(2, 3), "requests of the apply");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recent_read_is_not_read_again_and_every_monitor_is_written() {
    let org = Org::start().await;
    let planned = org.plan().await;
    let read_at = planned.read_at;

    let (outcomes, requests) = org.apply(planned, read_at).await;

    assert_done_but(&outcomes, None);
    org.assert_written(None).await;
    assert_eq!(
        requests.get(MONITOR_PAGES),
        None,
        "no listing during an apply whose read is recent"
    );
    assert_eq!(requests, apply_routes(0, 4), "requests of the apply");
}
