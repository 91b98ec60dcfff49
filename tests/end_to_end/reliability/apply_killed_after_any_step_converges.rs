//! Apply killed after any step converges, and the registry never lies (issue #10).
//!
//! The apply engine hands out steps in two lanes (the chain, and the monitor work alongside
//! it), at most one in flight each, so a run "killed" after step k of a lane is a run whose
//! driver starts nothing once that lane has taken k steps: the steps in flight finish,
//! nothing more is written or saved, what SIGKILL leaves once their requests went out. For
//! every k of each lane in two scenarios (creating from nothing, a notification rule
//! included, and a rename with deletes, a rule deletion and block removals from a converged
//! org), this stops an apply after step k of that lane, checks the registry invariant on
//! what the store holds, then resumes with a fresh plan and a fresh engine, and checks that
//! the org converged: the next plan is `No changes.` and people's text is intact. The
//! chain's steps are the same on every run; the monitor lane's count depends on timing, so
//! its kill points go on until a run ends before its limit. In process, against a real
//! sandbox over loopback, with no sleeps.

use crate::kit::inproc;
use crate::kit::org::assert_registry_invariant;
use crate::kit::sandbox::Sandbox;
use ddhooks::apply::{Lane, LaneSteps, StepLimit};
use ddhooks::commands::session::Session;
use ddhooks::manifest::{self, LoadOptions, Loaded};
use ddhooks::sandbox::SandboxConfig;
use std::collections::{BTreeMap, BTreeSet};

/// Phase A, applied to an empty org: two variables, a pair, another webhook, a block, and a
/// notification rule routing the same pair for other monitors, and the pair's status board.
const PHASE_A: &str = r#"
custom_variables:
  DD_API_KEY: {value: "${env:DD_API_KEY}", secret: true}
  REGION: {value: eu}
webhook_pairs:
  grp: {check: grp.status}
webhooks:
  sms: {url: "https://example.com/hooks/$REGION"}
monitor_notifications:
  grp:
    monitors: {tags: ["team:checkout"]}
    pair: grp
  search:
    monitors: {tags: ["team:search"]}
    pair: grp
    delivery: rule
status_boards:
  grp:
    title: grp monitors status
    pairs: [grp]
"#;

/// Phase B, applied to phase A converged: `sms` renamed to `pager`, the pair, its block and
/// its rule removed (blocks and rule before webhooks), `REGION` deleted (after the webhook
/// that used it).
const PHASE_B: &str = r#"
custom_variables:
  DD_API_KEY: {value: "${env:DD_API_KEY}", secret: true}
webhooks:
  pager:
    url: "https://example.com/pager"
    renamed_from: sms
"#;

/// Every name either phase writes.
const WEBHOOKS: [&str; 4] = ["grp-alert-check", "grp-ok-check", "sms", "pager"];
const VARIABLES: [&str; 2] = ["DD_API_KEY", "REGION"];

/// What people wrote in the monitors, by tags.
const MONITORS: [(&str, &str); 3] = [
    (
        "team:checkout",
        "Checkout latency is high. Runbook: https://wiki/latency @ops",
    ),
    (
        "team:checkout",
        "{{#is_warning}}Warm{{/is_warning}} errors on {{host.name}}",
    ),
    ("team:search", "Not ours: @search-oncall"),
];

struct Org {
    sandbox: Sandbox,
    session: Session,
    people: BTreeMap<i64, &'static str>,
    _dirs: Vec<tempfile::TempDir>,
}

fn load(yaml: &str, dirs: &mut Vec<tempfile::TempDir>) -> Loaded {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("main.yaml"), yaml).expect("manifest written");
    let options = LoadOptions::default().with_env_map(BTreeMap::from([(
        "DD_API_KEY".to_string(),
        "kill-test-api-key".to_string(),
    )]));
    let loaded = manifest::load_dir(dir.path(), &options).expect("manifests load");
    dirs.push(dir);
    loaded
}

impl Org {
    async fn start() -> Org {
        let sandbox = Sandbox::start(SandboxConfig::default()).await;
        let session = inproc::session(&sandbox.base, 4);
        let mut people = BTreeMap::new();
        for (i, (tag, message)) in MONITORS.iter().enumerate() {
            let id = sandbox
                .create_monitor(&format!("monitor {i}"), &[tag], message)
                .await;
            people.insert(id, *message);
        }
        Org {
            sandbox,
            session,
            people,
            _dirs: Vec::new(),
        }
    }

    /// Plans `loaded` and applies it until `limit`; returns the steps taken per lane.
    async fn apply(&self, loaded: &Loaded, limit: StepLimit) -> LaneSteps {
        let planned = inproc::plan(&self.session, loaded).await;
        assert!(
            planned.plan.problems.is_empty(),
            "{:?}",
            planned.plan.problems
        );
        let (applier, plan) = inproc::applier(&self.session, planned);
        // Read before the run, which consumes the applier; only a whole run is compared.
        let schedule = (limit == StepLimit::NONE).then(|| applier.schedule(&plan));
        let report = applier.apply_steps(&plan, limit).await;
        if let Some(schedule) = schedule {
            assert!(report.complete(), "a full apply completes: {report:?}");
            // The chain's steps are the core's: the driver took exactly those of the pure
            // schedule from the same registry.
            let chain = schedule.iter().filter(|s| s.lane == Lane::Chain).count();
            assert_eq!(
                report.steps.chain, chain,
                "the driver took the core's chain steps: {schedule:#?}"
            );
        }
        report.steps
    }

    /// The registry invariant on what the store holds (the kit's one check).
    async fn assert_registry_true(&self, context: &str) {
        let names =
            |list: &[&str]| -> BTreeSet<String> { list.iter().map(|n| n.to_string()).collect() };
        let snapshot = self
            .sandbox
            .snapshot(&names(&WEBHOOKS), &names(&VARIABLES))
            .await;
        assert_registry_invariant(&snapshot, context);
    }

    /// The org is what `loaded` says: the next plan has no changes, and every monitor keeps
    /// its people's text, with `blocks` managed blocks.
    async fn assert_converged(&self, loaded: &Loaded, blocks: usize, context: &str) {
        let planned = inproc::plan(&self.session, loaded).await;
        assert!(
            !planned.plan.has_changes(),
            "{context}: not converged; the next plan is:\n{}",
            ddhooks::render::render_text(&planned.plan, false)
        );
        let messages = self.sandbox.messages().await;
        for (id, people) in &self.people {
            let message = &messages[id];
            assert!(
                message.starts_with(people),
                "{context}: monitor {id} lost people's text: {message:?}"
            );
            let found = ddhooks::template::find_blocks(message).expect("blocks readable");
            let want = if people.starts_with("Not ours") {
                0
            } else {
                blocks
            };
            assert_eq!(found.len(), want, "{context}: monitor {id}: {message:?}");
        }
    }
}

/// Runs `phase` killed after every step k of each lane, from `setup`'s state, and checks
/// each run.
async fn every_kill_point(phase: &str, blocks_after: usize, from_converged_a: bool) {
    let mut dirs = Vec::new();
    let a = load(PHASE_A, &mut dirs);
    let target = load(phase, &mut dirs);
    // How many steps a whole run takes.
    let total = {
        let org = Org::start().await;
        if from_converged_a {
            org.apply(&a, StepLimit::NONE).await;
        }
        org.apply(&target, StepLimit::NONE).await
    };
    assert!(
        total.chain >= 4,
        "the scenario has several steps, got {total:?}"
    );
    for lane in [Lane::Chain, Lane::Monitors] {
        for k in 0.. {
            let limit = match lane {
                Lane::Chain => StepLimit {
                    chain: k,
                    ..StepLimit::NONE
                },
                Lane::Monitors => StepLimit {
                    monitors: k,
                    ..StepLimit::NONE
                },
            };
            let org = Org::start().await;
            if from_converged_a {
                org.apply(&a, StepLimit::NONE).await;
                org.assert_converged(&a, 1, "phase A").await;
            }
            let taken = org.apply(&target, limit).await;
            let context = format!("killed after step {k} of the {lane:?} lane, {taken:?} taken");
            match lane {
                Lane::Chain => assert_eq!(taken.chain, k.min(total.chain), "{context}"),
                Lane::Monitors => assert!(taken.monitors <= k, "{context}"),
            }
            org.assert_registry_true(&context).await;
            org.apply(&target, StepLimit::NONE).await;
            org.assert_registry_true(&format!("{context}, then resumed"))
                .await;
            org.assert_converged(&target, blocks_after, &context).await;
            // The last kill point: the run ended before its limit.
            if taken.of(lane) < k {
                break;
            }
            assert!(k <= 50, "{context}: the run never ends");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_from_nothing_killed_after_any_step_converges() {
    every_kill_point(PHASE_A, 1, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rename_and_removals_killed_after_any_step_converge() {
    every_kill_point(PHASE_B, 0, true).await;
}
