//! Interruption: SIGINT/SIGTERM let the write in flight finish and report what was and was
//! not done; SIGKILL at random points never leaves a registry that lies, and the next plan
//! and apply always converge.

mod reliability_common;

use rand::Rng;
use reliability_common::*;
use std::time::Duration;

async fn wait_for_writes(sandbox: &SandboxProc, at_least: u64) {
    for _ in 0..400 {
        let counts = sandbox.sim("/sandbox/v1/requests").await;
        let writes: u64 = counts["counts"]
            .as_object()
            .map(|m| {
                m.iter()
                    .filter(|(k, _)| k.starts_with("POST") || k.starts_with("PUT"))
                    .filter(|(k, _)| !k.contains("DDHOOKS"))
                    .filter_map(|(_, v)| v.as_u64())
                    .sum()
            })
            .unwrap_or(0);
        if writes >= at_least {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("apply never started writing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigint_and_sigterm_finish_the_write_in_flight_then_report() {
    for sig in ["INT", "TERM"] {
        let tmp = tempfile::tempdir().unwrap();
        let data = tmp.path().join("sandbox.json");
        let manifests = tmp.path().join("m");
        let healthy = SandboxProc::start(&data, &[]).await;
        create_monitors(&healthy, 10).await;
        healthy.stop().await;
        let sandbox = SandboxProc::start(&data, &["--latency", "120"]).await;
        let pairs: Vec<String> = (0..6).map(|i| format!("pay{i}")).collect();
        let refs: Vec<&str> = pairs.iter().map(String::as_str).collect();
        write_manifests(&manifests, &refs, "");
        let mut cmd = ddhooks(&sandbox.url, &["apply", "--auto-approve"]);
        cmd.arg(&manifests);
        let child = cmd.spawn().unwrap();
        let pid = child.id().unwrap();
        // Webhook creates are under way (lock, registry, variable and a webhook or two).
        wait_for_writes(&sandbox, 4).await;
        signal(pid, sig);
        let out = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
            .await
            .expect("stops promptly")
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "SIG{sig}: {stdout}\n{stderr}");
        assert!(stderr.contains(&format!("SIG{sig} received")), "{stderr}");
        assert!(stdout.contains("Apply interrupted"), "{stdout}");
        assert!(
            stdout.contains(": create done"),
            "reports what was done: {stdout}"
        );
        assert!(
            stdout.contains("not attempted"),
            "reports what was not: {stdout}"
        );
        // The report is the truth: every webhook reported done exists, every one not
        // attempted does not, and the registry was saved with nothing pending.
        let state = sandbox.state();
        for line in stdout.lines() {
            if let Some(name) = line.strip_prefix("webhook.") {
                let (name, rest) = name.split_once(':').unwrap();
                let exists = state.webhooks().contains(name);
                if rest.contains("done") {
                    assert!(exists, "{name} reported done but absent");
                }
                if rest.contains("not attempted") {
                    assert!(!exists, "{name} reported not attempted but present");
                }
            }
        }
        let registry = assert_registry_invariant(&state, "after the interruption");
        assert!(!registry.has_pending(), "{registry:?}");
        assert!(
            !state.variables().contains_key("DDHOOKS_LOCK"),
            "lock released"
        );
        // Re-running converges.
        let again = apply(&sandbox.url, &manifests, &[]).await;
        assert_eq!(again.code, Some(0), "{}\n{}", again.stdout, again.stderr);
        let planned = plan(&sandbox.url, &manifests, &[]).await;
        assert_eq!(planned.code, Some(0), "{}", planned.stdout);
        sandbox.stop().await;
    }
}

/// How many applies are killed by the loop (override with DDHOOKS_KILL_RUNS).
fn kill_runs() -> usize {
    std::env::var("DDHOOKS_KILL_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_at_random_points_the_registry_never_lies_and_applies_converge() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("sandbox.json");
    let healthy = SandboxProc::start(&data, &[]).await;
    create_monitors(&healthy, 12).await;
    healthy.stop().await;
    // Enough latency that a run lasts about a second; some faults, so that kills also land
    // in retries and in creates of unknown outcome.
    let sandbox = SandboxProc::start(&data, &["--latency", "15", "--fail-rate", "0.1"]).await;
    // Manifests alternate, so every run creates some webhooks and deletes others.
    let sets: [&[&str]; 3] = [
        &["pay-a", "pay-b", "check-c"],
        &["pay-b", "check-d", "check-e", "pay-f"],
        &["pay-a", "check-e"],
    ];
    let mut rng = rand::rng();
    let (mut kills, mut sigkills, mut converged) = (0, 0, 0);
    for run in 0..kill_runs() {
        let dir = tmp.path().join(format!("m{run}"));
        write_manifests(&dir, sets[run % sets.len()], "");
        let mut cmd = ddhooks(
            &sandbox.url,
            &["apply", "--auto-approve", "--max-retries", "10"],
        );
        cmd.arg(&dir);
        let mut child = cmd.spawn().unwrap();
        let pid = child.id().unwrap();
        let delay = Duration::from_millis(rng.random_range(0..1500));
        let sig = match rng.random_range(0..6) {
            0 => "INT",
            1 => "TERM",
            _ => "KILL",
        };
        match tokio::time::timeout(delay, child.wait()).await {
            Ok(_) => {} // finished before the kill
            Err(_) => {
                signal(pid, sig);
                kills += 1;
                if sig == "KILL" {
                    sigkills += 1;
                }
                // Reap it (a zombie would still count as a running lock holder).
                let _ = tokio::time::timeout(Duration::from_secs(60), child.wait())
                    .await
                    .expect("a signalled apply exits");
            }
        }
        assert_registry_invariant(
            &sandbox.state(),
            &format!("run {run} (SIG{sig} after {delay:?})"),
        );
        // Every fifth run: plan and apply must converge from wherever the kill left things.
        if run % 5 == 4 {
            let applied = apply(&sandbox.url, &dir, &["--max-retries", "10"]).await;
            assert_eq!(
                applied.code,
                Some(0),
                "run {run}: {}\n{}",
                applied.stdout,
                applied.stderr
            );
            let planned = plan(&sandbox.url, &dir, &["--max-retries", "10"]).await;
            assert_eq!(
                planned.code,
                Some(0),
                "run {run}: {}\n{}",
                planned.stdout,
                planned.stderr
            );
            let state = sandbox.state();
            let registry = assert_registry_invariant(&state, &format!("run {run} converged"));
            assert!(!registry.has_pending(), "run {run}: {registry:?}");
            let wanted: std::collections::BTreeSet<String> = sets[run % sets.len()]
                .iter()
                .flat_map(|p| [format!("{p}-alert-check"), format!("{p}-ok-check")])
                .collect();
            assert_eq!(
                state.webhooks(),
                wanted,
                "run {run}: exactly the wanted webhooks"
            );
            assert_eq!(
                registry.webhooks, wanted,
                "run {run}: the registry owns exactly them"
            );
            for (id, m) in state.messages() {
                for p in ["pay-a", "pay-b", "check-c", "check-d", "check-e", "pay-f"] {
                    let n = m.matches(&format!("ddhooks:begin {p} --")).count();
                    assert!(n <= 1, "monitor {id}: block {p} written {n} times");
                }
            }
            converged += 1;
        }
    }
    let outcomes = sandbox.sim("/sandbox/v1/outcomes").await;
    eprintln!(
        "kill loop: {} runs, {kills} signalled ({sigkills} SIGKILL), {converged} convergence checks, faults {}",
        kill_runs(),
        outcomes["faults"]
    );
    assert!(kills >= kill_runs() / 2, "most runs were killed: {kills}");
    sandbox.stop().await;
}
