//! Faults: retries, rate limits and faults end to end — the real binary against a sandbox
//! that fails 30% of API requests (5xx before or after doing them, dropped connections
//! before or after) under a tight rate limit; and pacing under a rate budget.

use crate::kit::cli;
use crate::kit::fixtures::{pair_webhooks, people_monitors, team, write_manifests};
use crate::kit::org::assert_registry_invariant;
use crate::kit::sandbox::{counts, route, Sandbox};
use ddhooks::registry::OwnedKind;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

const PAIRS: &[&str] = &["payments", "checkout"];
const MONITORS: usize = 200;

/// Answers 429 counted in `/sandbox/v1/outcomes`.
fn rate_limited(outcomes: &Value) -> u64 {
    outcomes["faults"]["429"].as_u64().unwrap_or(0)
}

/// People's monitors, made on a healthy sandbox that keeps them in `data`; then a sandbox
/// on the same data with `faults`.
async fn org(data: &Path, monitors: usize, faults: &[&str]) -> (Sandbox, Vec<(i64, String)>) {
    let data_arg = data.to_str().expect("utf-8 path");
    let healthy = Sandbox::spawn(&["--data", data_arg]).await;
    let made = people_monitors(&healthy, monitors).await;
    healthy.stop().await;
    let sandbox = Sandbox::spawn(&[&["--data", data_arg], faults].concat()).await;
    (sandbox, made)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faulty_rate_limited_api_apply_converges_in_one_run_without_duplicates() {
    let tmp = tempfile::tempdir().unwrap();
    let manifests = tmp.path().join("manifests");
    let (sandbox, monitors) = org(
        &tmp.path().join("sandbox.json"),
        MONITORS,
        &["--fail-rate", "0.3", "--rate-limit", "150/1", "--seed", "5"],
    )
    .await;
    write_manifests(
        &manifests,
        PAIRS,
        "webhooks:\n  sms-oncall:\n    url: https://example.com/hooks/$ALERT_ID\n    custom_headers: {Authorization: \"Bearer $DD_API_KEY\"}\n",
    );
    // Retries back off from 20 ms rather than 200: the same code, over seconds, not minutes.
    let retries = ["--max-retries", "12", "--retry-backoff-ms", "20"];
    let applied = cli::apply(
        &sandbox.base,
        &manifests,
        &[
            &["--auto-approve", "--concurrency", "8", "--timeout", "10"],
            &retries[..],
        ]
        .concat(),
    )
    .await;
    assert_eq!(
        applied.code,
        0,
        "apply must succeed in one run:\n{}",
        applied.all()
    );
    applied.assert_shows(&["Apply complete"]);
    cli::assert_converged(&sandbox.base, &manifests, &retries).await;

    let outcomes = sandbox.outcomes().await;
    let faults: u64 = outcomes["faults"]
        .as_object()
        .map(|m| m.values().filter_map(Value::as_u64).sum())
        .unwrap_or(0);
    let after_write: u64 = ["drop-after-write", "500-after-write"]
        .iter()
        .filter_map(|k| outcomes["faults"][k].as_u64())
        .sum();
    eprintln!(
        "faults: {} requests, {faults} injected faults ({after_write} after the write was done): {}",
        sandbox.requests_total().await,
        outcomes["faults"]
    );
    assert!(faults > 50, "the run really met faults: {faults}");

    // No create ever answered "already exists" (a duplicate create would).
    for route in [route::WEBHOOK_CREATE, route::VARIABLE_CREATE] {
        for (status, n) in counts(&outcomes["statuses"][route]) {
            assert!(
                !status.starts_with("400"),
                "{route}: {n}× {status}: a duplicate create"
            );
        }
    }
    let mut expected = pair_webhooks(PAIRS);
    expected.insert("sms-oncall".to_string());
    let org = sandbox
        .snapshot(&expected, &BTreeSet::from(["DD_API_KEY".to_string()]))
        .await;
    sandbox.stop().await;
    assert_eq!(org.webhooks, expected);

    // People's text is intact, and each monitor carries exactly its team's block, once.
    for (i, (id, text)) in monitors.iter().enumerate() {
        let message = &org.messages[id];
        assert!(
            message.starts_with(text.trim_end()),
            "monitor {id} lost people's text: {message:?}"
        );
        let begin = format!("{{{{!-- ddhooks:begin {} --}}}}", team(i));
        assert_eq!(
            message.matches(&begin).count(),
            1,
            "monitor {id}: {message:?}"
        );
        assert_eq!(
            message.matches("ddhooks:begin").count(),
            1,
            "monitor {id}: {message:?}"
        );
    }
    let registry = assert_registry_invariant(&org, "after the faulty apply");
    assert!(!registry.has_pending(), "{registry:?}");
    let owned: BTreeSet<String> = registry
        .owned(OwnedKind::Webhook)
        .map(str::to_string)
        .collect();
    assert_eq!(owned, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limit_is_respected_by_pacing() {
    // A budget of 20 requests per second and 60 monitors to write.
    const LIMIT: u64 = 20;
    let tmp = tempfile::tempdir().unwrap();
    let manifests = tmp.path().join("manifests");
    let (sandbox, _) = org(
        &tmp.path().join("sandbox.json"),
        60,
        &["--rate-limit", "20/1"],
    )
    .await;

    // Waits as told: with 16 requests in flight some are answered 429 (they left before
    // the budget's last answers came back); each waits for the reset, whatever its
    // retry budget, so the apply completes with `--max-retries 2`.
    write_manifests(&manifests, PAIRS, "");
    let applied = cli::apply(
        &sandbox.base,
        &manifests,
        &[
            "--auto-approve",
            "--max-retries",
            "2",
            "--concurrency",
            "16",
        ],
    )
    .await;
    assert_eq!(applied.code, 0, "{}", applied.all());
    eprintln!(
        "rate limit, 16 at a time: {} requests, {} answered 429",
        sandbox.requests_total().await,
        rate_limited(&sandbox.outcomes().await)
    );
    cli::assert_converged(&sandbox.base, &manifests, &[]).await;

    // Slows down before the budget runs out: one request at a time, a client that paces
    // by the rate-limit headers is never answered 429, however slow the machine (it only
    // sends later), over a run that needs several budgets. It starts with a whole budget:
    // a new window, rather than waiting for the runs above's to end.
    write_manifests(&manifests, &["payments2", "checkout2"], "");
    sandbox.start_new_rate_limit_window().await;
    sandbox.clear_requests().await;
    let applied = cli::apply(
        &sandbox.base,
        &manifests,
        &["--auto-approve", "--max-retries", "0", "--concurrency", "1"],
    )
    .await;
    assert_eq!(applied.code, 0, "{}", applied.all());
    let requests = sandbox.requests_total().await;
    let limited = rate_limited(&sandbox.outcomes().await);
    eprintln!("rate limit, one at a time: {requests} requests, {limited} answered 429");
    assert!(
        requests > 2 * LIMIT,
        "the run needs more than two windows' budget: {requests} requests"
    );
    assert_eq!(limited, 0, "pacing keeps every request within the budget");
    sandbox.stop().await;
}
