//! Interruption: SIGINT/SIGTERM let the write in flight finish and report what was and was
//! not done; signals (SIGKILL included) at random points of an apply never leave a registry
//! that lies, and the next plan and apply always converge.

use crate::kit::cli::{self, Run};
use crate::kit::fixtures::{pair_webhooks, people_monitors, write_manifests};
use crate::kit::org::assert_registry_invariant;
use crate::kit::sandbox::{route, Sandbox};
use crate::kit::seed::seeded;
use ddhooks::registry::OwnedKind;
use rand::Rng;
use std::collections::BTreeSet;
use std::path::Path;

/// People's monitors made on a healthy sandbox that keeps them in `data`, then a sandbox
/// on the same data with `faults`.
async fn org(data: &Path, monitors: usize, faults: &[&str]) -> Sandbox {
    let data_arg = data.to_str().expect("utf-8 path");
    let healthy = Sandbox::spawn(&["--data", data_arg]).await;
    people_monitors(&healthy, monitors).await;
    healthy.stop().await;
    Sandbox::spawn(&[&["--data", data_arg], faults].concat()).await
}

/// The user variable the manifests of [`write_manifests`] declare.
fn the_variable() -> BTreeSet<String> {
    BTreeSet::from(["DD_API_KEY".to_string()])
}

/// The webhooks a report says are in state `what` (`create done`, `not attempted`, …).
fn reported(run: &Run, what: &str) -> BTreeSet<String> {
    run.stdout
        .lines()
        .filter_map(|line| line.strip_prefix("webhook."))
        .filter_map(|rest| rest.split_once(": "))
        .filter(|(_, outcome)| outcome.contains(what))
        .map(|(name, _)| name.to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigint_and_sigterm_finish_the_write_in_flight_then_report() {
    for sig in ["INT", "TERM"] {
        let tmp = tempfile::tempdir().unwrap();
        let manifests = tmp.path().join("m");
        // Each answer takes 120 ms, so the webhook creates, one at a time, take seconds.
        let sandbox = org(&tmp.path().join("sandbox.json"), 10, &["--latency", "120"]).await;
        let pairs: Vec<String> = (0..6).map(|i| format!("pay{i}")).collect();
        let webhooks = pair_webhooks(&pairs);
        write_manifests(&manifests, &pairs, "");
        let mut child = cli::verb("apply", &sandbox.base, &manifests, &["--auto-approve"])
            .spawn()
            .unwrap();
        let pid = child.id().unwrap();
        // Two webhook creates have arrived: the first was answered (they go one at a
        // time), the second is in flight.
        let started = sandbox
            .await_count(route::WEBHOOK_CREATE, 2, &mut child)
            .await
            .unwrap_or_else(|status| panic!("SIG{sig}: the apply ended first: {status}"));
        cli::signal(pid, sig);
        let run = cli::finish(child).await;
        assert_eq!(run.code, 1, "SIG{sig}: {}", run.all());
        run.assert_stderr_shows(&[&format!("SIG{sig} received")]);
        run.assert_shows(&["Apply interrupted"]);
        assert!(
            run.stdout.contains(": create done"),
            "reports what was done: {}",
            run.all()
        );
        assert!(
            run.stdout.contains("not attempted"),
            "reports what was not: {}",
            run.all()
        );
        // The write in flight was finished, not abandoned: every webhook create that had
        // reached the sandbox when the signal came is reported done, and so is every
        // other create sent (none is left unreported).
        let done = reported(&run, "create done");
        let sent = sandbox.count(route::WEBHOOK_CREATE).await;
        assert!(
            done.len() as u64 >= started,
            "SIG{sig}: {started} creates had started, {} reported done:\n{}",
            done.len(),
            run.all()
        );
        assert_eq!(done.len() as u64, sent, "SIG{sig}: {}", run.all());
        assert!(
            !reported(&run, "not attempted").is_empty(),
            "SIG{sig}: the apply stopped before the end:\n{}",
            run.all()
        );
        // The report is the truth: every webhook reported done exists, every one not
        // attempted does not, and the registry was saved with nothing pending.
        let org = sandbox.snapshot(&webhooks, &the_variable()).await;
        for name in &done {
            assert!(
                org.webhooks.contains(name),
                "{name} reported done but absent"
            );
        }
        for name in reported(&run, "not attempted") {
            assert!(
                !org.webhooks.contains(&name),
                "{name} reported not attempted but present"
            );
        }
        let registry = assert_registry_invariant(&org, "after the interruption");
        assert!(!registry.has_pending(), "{registry:?}");
        assert!(!org.locked, "lock released");
        // Re-running converges.
        cli::apply_ok(&sandbox.base, &manifests, &[]).await;
        cli::assert_converged(&sandbox.base, &manifests, &[]).await;
        sandbox.stop().await;
    }
}

/// How many applies the loop signals (override with DDHOOKS_KILL_RUNS).
fn kill_runs() -> usize {
    std::env::var("DDHOOKS_KILL_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30)
}

/// Kill points are drawn among an apply's first `KILL_WINDOW` API requests.
const KILL_WINDOW: u64 = 40;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_at_random_points_the_registry_never_lies_and_applies_converge() {
    let mut seed = seeded("killed_at_random_points");
    let replay = seed.replay();
    let tmp = tempfile::tempdir().unwrap();
    // Some latency, so that a run spans many requests' time; some faults, so that kills
    // also land in retries and in creates of unknown outcome.
    let sandbox = org(
        &tmp.path().join("sandbox.json"),
        12,
        &[
            "--latency",
            "5",
            "--fail-rate",
            "0.1",
            "--seed",
            &seed.seed.to_string(),
        ],
    )
    .await;
    // Manifests alternate, so every run creates some webhooks and deletes others.
    let sets: [&[&str]; 3] = [
        &["pay-a", "pay-b", "check-c"],
        &["pay-b", "check-d", "check-e", "pay-f"],
        &["pay-a", "check-e"],
    ];
    let every_webhook = pair_webhooks(&sets.concat());
    // Retries back off from 20 ms rather than 200: the same code, the runs over sooner.
    let retries = ["--max-retries", "10", "--retry-backoff-ms", "20"];
    let (mut kills, mut sigkills, mut converged) = (0, 0, 0);
    for run in 0..kill_runs() {
        let dir = tmp.path().join(format!("m{run}"));
        write_manifests(&dir, sets[run % sets.len()], "");
        // Where to kill: after the apply has made `after` API requests; and how.
        let after = seed.rng.random_range(0..KILL_WINDOW);
        let sig = match seed.rng.random_range(0..6) {
            0 => "INT",
            1 => "TERM",
            _ => "KILL",
        };
        let before = sandbox.requests_total().await;
        let mut child = cli::verb(
            "apply",
            &sandbox.base,
            &dir,
            &[&["--auto-approve"], &retries[..]].concat(),
        )
        .spawn()
        .unwrap();
        let pid = child.id().unwrap();
        if sandbox
            .await_count("", before + after, &mut child)
            .await
            .is_ok()
        {
            cli::signal(pid, sig);
            kills += 1;
            if sig == "KILL" {
                sigkills += 1;
            }
        }
        // Reap it (a zombie would still count as a running lock holder).
        cli::finish(child).await;
        let context = format!("run {run} (SIG{sig} after {after} requests; {replay})");
        assert_registry_invariant(
            &sandbox.snapshot(&every_webhook, &the_variable()).await,
            &context,
        );
        // Every fifth run: plan and apply must converge from wherever the kill left things.
        if run % 5 == 4 {
            for (verb, flag) in [("apply", "--auto-approve"), ("plan", "--detailed-exitcode")] {
                let extra = [&[flag], &retries[..]].concat();
                let done = cli::run(cli::verb(verb, &sandbox.base, &dir, &extra)).await;
                assert_eq!(done.code, 0, "{context}: {verb}: {}", done.all());
            }
            let org = sandbox.snapshot(&every_webhook, &the_variable()).await;
            let registry = assert_registry_invariant(&org, &format!("{context}, converged"));
            assert!(!registry.has_pending(), "{context}: {registry:?}");
            let wanted = pair_webhooks(sets[run % sets.len()]);
            assert_eq!(
                org.webhooks, wanted,
                "{context}: exactly the wanted webhooks"
            );
            let owned: BTreeSet<String> = registry
                .owned(OwnedKind::Webhook)
                .map(str::to_string)
                .collect();
            assert_eq!(owned, wanted, "{context}: the registry owns exactly them");
            for (id, m) in &org.messages {
                for p in sets.concat() {
                    let n = m.matches(&format!("ddhooks:begin {p} --")).count();
                    assert!(
                        n <= 1,
                        "{context}: monitor {id}: block {p} written {n} times"
                    );
                }
            }
            converged += 1;
        }
    }
    let outcomes = sandbox.outcomes().await;
    eprintln!(
        "kill loop: {} runs, {kills} signalled ({sigkills} SIGKILL), {converged} convergence checks, faults {}; {replay}",
        kill_runs(),
        outcomes["faults"]
    );
    assert!(
        kills >= kill_runs() / 2,
        "most runs were killed: {kills}; {replay}"
    );
    sandbox.stop().await;
}
