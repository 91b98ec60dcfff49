//! One apply at a time: two applies at once against one org, on a sandbox whose webhook
//! store loses overlapping writes — the apply lock lets one through and the other refuses,
//! naming the holder; no update is lost, no block is written twice, no webhook is created
//! twice. A held lock refuses; an abandoned one is taken over.

use crate::kit::cli;
use crate::kit::fixtures::{pair_webhooks, people_monitors, write_manifests};
use crate::kit::org::assert_registry_invariant;
use crate::kit::sandbox::{route, Sandbox, VARIABLES};
use ddhooks::registry::{OwnedKind, LOCK_VARIABLE};
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// The user variable the manifests of [`write_manifests`] declare.
fn the_variable() -> BTreeSet<String> {
    BTreeSet::from(["DD_API_KEY".to_string()])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_concurrent_applies_one_wins_the_other_refuses_and_nothing_is_lost() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("sandbox.json");
    let data_arg = data.to_str().unwrap();
    let healthy = Sandbox::spawn(&["--data", data_arg]).await;
    let monitors = people_monitors(&healthy, 20).await;
    healthy.stop().await;
    let sandbox = Sandbox::spawn(&[
        "--data",
        data_arg,
        "--lossy-webhook-writes",
        "--latency",
        "20",
    ])
    .await;
    let rounds: [&[&str]; 3] = [
        &["payments", "checkout"],
        &["payments", "checkout2", "pay-extra"],
        &["checkout", "pay-more"],
    ];
    let every_webhook = pair_webhooks(&rounds.concat());
    let mut refusals = 0;
    for (round, pairs) in rounds.iter().enumerate() {
        // Both applies see the same manifests, in two directories.
        let (a, b) = (
            tmp.path().join(format!("a{round}")),
            tmp.path().join(format!("b{round}")),
        );
        write_manifests(&a, pairs, "");
        write_manifests(&b, pairs, "");
        // The store loses overlapping writes, the lock's included: the lock must settle as
        // it does against Datadog (the kit turns the settling off for every other test).
        let auto = ["--auto-approve", "--lock-settle-ms", "500"];
        let (ra, rb) = tokio::join!(
            cli::apply(&sandbox.base, &a, &auto),
            cli::apply(&sandbox.base, &b, &auto)
        );
        let runs = [&ra, &rb];
        let winners = runs.iter().filter(|r| r.code == 0).count();
        let losers: Vec<_> = runs
            .iter()
            .filter(|r| r.stdout.contains("Apply refused"))
            .collect();
        assert!(
            winners >= 1,
            "round {round}: at least one apply succeeds:\n{ra:#?}\n{rb:#?}"
        );
        for loser in &losers {
            assert_eq!(loser.code, 1);
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

        let org = sandbox.snapshot(&every_webhook, &the_variable()).await;
        assert_eq!(
            org.webhooks,
            pair_webhooks(pairs),
            "round {round}: no webhook lost or left"
        );
        assert!(!org.locked, "the lock is released");
        let registry = assert_registry_invariant(&org, &format!("round {round}"));
        let owned: BTreeSet<String> = registry
            .owned(OwnedKind::Webhook)
            .map(str::to_string)
            .collect();
        assert_eq!(owned, pair_webhooks(pairs));
        assert!(!registry.has_pending());
        for (id, text) in &monitors {
            let m = &org.messages[id];
            assert!(m.starts_with(text.trim_end()), "monitor {id}: {m:?}");
            for p in pairs.iter() {
                assert!(
                    m.matches(&format!("ddhooks:begin {p} --")).count() <= 1,
                    "block {p} written twice in {id}: {m:?}"
                );
            }
        }
        let planned = cli::plan(&sandbox.base, &a, &["--detailed-exitcode"]).await;
        assert_eq!(
            planned.code,
            0,
            "round {round}: converged:\n{}",
            planned.all()
        );
    }
    // Each webhook was created exactly once, across all rounds, although two applies raced.
    let outcomes = sandbox.outcomes().await;
    let creates = &outcomes["statuses"][route::WEBHOOK_CREATE];
    assert!(
        creates.get("400").is_none(),
        "no duplicate create: {creates}"
    );
    eprintln!("concurrency: {refusals} of 3 rounds had a refused apply; webhook creates {creates}");
    // The applies really overlapped, and the lock is what kept them apart.
    assert!(refusals >= 1, "no round had a refused apply");
    sandbox.stop().await;
}

/// This machine's host name, as the kernel gives it (what a lock names as its host).
fn host_name() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for its length; gethostname writes at most that much.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    assert_eq!(rc, 0, "gethostname");
    let end = buf.iter().position(|b| *b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..end]).into_owned()
}

/// A `DDHOOKS_LOCK` variable held by process `pid` of `host` until `expires`.
fn lock(host: &str, pid: u32, expires: u64) -> Value {
    json!({"name": LOCK_VARIABLE, "is_secret": false, "value": json!({
        "format": "ddhooks-lock/1", "owner": format!("{host}:{pid}:test"), "host": host,
        "pid": pid, "since": "2024-01-01T00:00:00Z", "expires": expires}).to_string()})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_lock_refuses_and_an_abandoned_one_is_taken_over() {
    let tmp = tempfile::tempdir().unwrap();
    let manifests = tmp.path().join("m");
    let sandbox = Sandbox::spawn(&[]).await;
    write_manifests(&manifests, &["payments"], "");
    let host = host_name();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let auto = ["--auto-approve"];
    // Held by this (live) test process, not expired: refused, nothing written.
    sandbox
        .create_variable(lock(&host, std::process::id(), now + 600))
        .await;
    let refused = cli::apply(&sandbox.base, &manifests, &auto).await;
    refused.assert_exit_shows(
        1,
        &["Apply refused", &format!("pid {}", std::process::id())],
    );
    let org = sandbox
        .snapshot(&pair_webhooks(&["payments"]), &the_variable())
        .await;
    assert!(org.webhooks.is_empty(), "nothing was written");
    assert!(org.variables.is_empty(), "nothing was written");
    // Held by a process of this host that is gone: taken over.
    let (status, _) = sandbox
        .delete(&format!("{VARIABLES}/{LOCK_VARIABLE}"))
        .await;
    assert!(status.is_success());
    let mut gone = std::process::Command::new("true").spawn().unwrap();
    let dead = gone.id();
    gone.wait().unwrap();
    sandbox.create_variable(lock(&host, dead, now + 600)).await;
    let applied = cli::apply(&sandbox.base, &manifests, &auto).await;
    assert_eq!(applied.code, 0, "{}", applied.all());
    // Expired (another host): taken over too.
    sandbox.create_variable(lock("elsewhere", 1, now - 1)).await;
    write_manifests(&manifests, &["payments", "checkout"], "");
    let applied = cli::apply(&sandbox.base, &manifests, &auto).await;
    assert_eq!(applied.code, 0, "{}", applied.all());
    assert!(sandbox.variable(LOCK_VARIABLE).await.is_none());
    sandbox.stop().await;
}
