//! Two applies at once against one org, on a sandbox whose webhook store loses overlapping
//! writes: the apply lock lets one through and the other refuses, naming the holder; no
//! update is lost, no block is written twice, no webhook is created twice.

mod reliability_common;

use reliability_common::*;
use serde_json::json;
use std::collections::BTreeSet;

fn pair_webhooks(pairs: &[&str]) -> BTreeSet<String> {
    pairs
        .iter()
        .flat_map(|p| [format!("{p}-alert-check"), format!("{p}-ok-check")])
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_concurrent_applies_one_wins_the_other_refuses_and_nothing_is_lost() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("sandbox.json");
    let healthy = SandboxProc::start(&data, &[]).await;
    let monitors = create_monitors(&healthy, 20).await;
    healthy.stop().await;
    let sandbox = SandboxProc::start(&data, &["--lossy-webhook-writes", "--latency", "20"]).await;
    let rounds: [&[&str]; 3] = [
        &["payments", "checkout"],
        &["payments", "checkout2", "pay-extra"],
        &["checkout", "pay-more"],
    ];
    let mut refusals = 0;
    for (round, pairs) in rounds.iter().enumerate() {
        // Both applies see the same manifests, in two directories.
        let (a, b) = (
            tmp.path().join(format!("a{round}")),
            tmp.path().join(format!("b{round}")),
        );
        write_manifests(&a, pairs, "");
        write_manifests(&b, pairs, "");
        let (ra, rb) = tokio::join!(apply(&sandbox.url, &a, &[]), apply(&sandbox.url, &b, &[]));
        let runs = [&ra, &rb];
        let winners = runs.iter().filter(|r| r.code == Some(0)).count();
        let losers: Vec<_> = runs
            .iter()
            .filter(|r| r.stdout.contains("Apply refused"))
            .collect();
        assert!(
            winners >= 1,
            "round {round}: at least one apply succeeds:\n{ra:#?}\n{rb:#?}"
        );
        for loser in &losers {
            assert_eq!(loser.code, Some(1));
            assert!(
                loser.stdout.contains("DDHOOKS_LOCK") && loser.stdout.contains("since"),
                "the loser names the lock and its holder: {}",
                loser.stdout
            );
            assert!(
                loser.stdout.contains("nothing was changed"),
                "{}",
                loser.stdout
            );
        }
        assert_eq!(
            winners + losers.len(),
            2,
            "round {round}: each apply either succeeded or refused:\n{ra:#?}\n{rb:#?}"
        );
        refusals += losers.len();

        let state = sandbox.state();
        assert_eq!(
            state.webhooks(),
            pair_webhooks(pairs),
            "round {round}: no webhook lost or left"
        );
        assert!(
            !state.variables().contains_key("DDHOOKS_LOCK"),
            "the lock is released"
        );
        let registry = assert_registry_invariant(&state, &format!("round {round}"));
        assert_eq!(registry.webhooks, pair_webhooks(pairs));
        assert!(!registry.has_pending());
        let messages = state.messages();
        for (id, text) in &monitors {
            let m = &messages[id];
            assert!(m.starts_with(text.trim_end()), "monitor {id}: {m:?}");
            for p in pairs.iter() {
                assert!(
                    m.matches(&format!("ddhooks:begin {p} --")).count() <= 1,
                    "block {p} written twice in {id}: {m:?}"
                );
            }
        }
        let planned = plan(&sandbox.url, &a, &[]).await;
        assert_eq!(
            planned.code,
            Some(0),
            "round {round}: converged:\n{}",
            planned.stdout
        );
    }
    // Each webhook was created exactly once, across all rounds, although two applies raced.
    let outcomes = sandbox.sim("/sandbox/v1/outcomes").await;
    let creates = &outcomes["statuses"]["POST /api/v1/integration/webhooks/configuration/webhooks"];
    assert!(
        creates.get("400").is_none(),
        "no duplicate create: {creates}"
    );
    eprintln!("concurrency: {refusals} of 3 rounds had a refused apply; webhook creates {creates}");
    // The applies really overlapped, and the lock is what kept them apart.
    assert!(refusals >= 1, "no round had a refused apply");
    sandbox.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_at_a_time_webhook_writes_survive_a_lossy_store() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("sandbox.json");
    let manifests = tmp.path().join("m");
    let sandbox = SandboxProc::start(&data, &["--lossy-webhook-writes"]).await;
    let pairs: Vec<String> = (0..10).map(|i| format!("group{i}")).collect();
    let refs: Vec<&str> = pairs.iter().map(String::as_str).collect();
    write_manifests(&manifests, &refs, "");
    let applied = apply(&sandbox.url, &manifests, &["--concurrency", "16"]).await;
    assert_eq!(
        applied.code,
        Some(0),
        "{}\n{}",
        applied.stdout,
        applied.stderr
    );
    let state = sandbox.state();
    assert_eq!(state.webhooks(), pair_webhooks(&refs), "every write kept");
    assert!(state.user_variables().contains("DD_API_KEY"));
    assert_registry_invariant(&state, "lossy store");
    let planned = plan(&sandbox.url, &manifests, &[]).await;
    assert_eq!(planned.code, Some(0), "{}", planned.stdout);
    sandbox.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_lock_refuses_and_an_abandoned_one_is_taken_over() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("sandbox.json");
    let manifests = tmp.path().join("m");
    let sandbox = SandboxProc::start(&data, &[]).await;
    write_manifests(&manifests, &["payments"], "");
    let host = ddhooks::apply::lock::host_name();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let lock = |pid: u32, expires: u64| {
        json!({"name": "DDHOOKS_LOCK", "is_secret": false, "value": json!({
            "format": "ddhooks-lock/1", "owner": format!("{host}:{pid}:test"), "host": host,
            "pid": pid, "since": "2024-01-01T00:00:00Z", "expires": expires}).to_string()})
    };
    const VARS: &str = "/api/v1/integration/webhooks/configuration/custom-variables";
    // Held by this (live) test process, not expired: refused, nothing written.
    sandbox
        .api(
            reqwest::Method::POST,
            VARS,
            Some(lock(std::process::id(), now + 600)),
        )
        .await;
    let refused = apply(&sandbox.url, &manifests, &[]).await;
    assert_eq!(refused.code, Some(1));
    assert!(
        refused.stdout.contains("Apply refused"),
        "{}",
        refused.stdout
    );
    assert!(
        refused
            .stdout
            .contains(&format!("pid {}", std::process::id())),
        "{}",
        refused.stdout
    );
    assert!(sandbox.state().webhooks().is_empty(), "nothing was written");
    // Held by a process of this host that is gone: taken over.
    sandbox
        .api(
            reqwest::Method::DELETE,
            &format!("{VARS}/DDHOOKS_LOCK"),
            None,
        )
        .await;
    let mut gone = std::process::Command::new("true").spawn().unwrap();
    let dead = gone.id();
    gone.wait().unwrap();
    sandbox
        .api(reqwest::Method::POST, VARS, Some(lock(dead, now + 600)))
        .await;
    let applied = apply(&sandbox.url, &manifests, &[]).await;
    assert_eq!(
        applied.code,
        Some(0),
        "{}\n{}",
        applied.stdout,
        applied.stderr
    );
    // Expired (another host): taken over too.
    sandbox
        .api(
            reqwest::Method::POST,
            VARS,
            Some(
                json!({"name": "DDHOOKS_LOCK", "is_secret": false, "value": json!({
            "format": "ddhooks-lock/1", "owner": "elsewhere:1:x", "host": "elsewhere",
            "pid": 1, "since": "2024-01-01T00:00:00Z", "expires": now - 1}).to_string()}),
            ),
        )
        .await;
    write_manifests(&manifests, &["payments", "checkout"], "");
    let applied = apply(&sandbox.url, &manifests, &[]).await;
    assert_eq!(
        applied.code,
        Some(0),
        "{}\n{}",
        applied.stdout,
        applied.stderr
    );
    assert!(!sandbox.state().variables().contains_key("DDHOOKS_LOCK"));
    sandbox.stop().await;
}
