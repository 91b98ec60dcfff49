//! Order: webhook and custom-variable writes go one at a time, so they survive a store
//! that loses overlapping writes, however much `--concurrency` allows.

use crate::kit::cli;
use crate::kit::fixtures::{pair_webhooks, write_manifests};
use crate::kit::org::assert_registry_invariant;
use crate::kit::sandbox::Sandbox;
use std::collections::BTreeSet;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_at_a_time_webhook_writes_survive_a_lossy_store() {
    let tmp = tempfile::tempdir().unwrap();
    let manifests = tmp.path().join("m");
    let sandbox = Sandbox::spawn(&["--lossy-webhook-writes"]).await;
    let pairs: Vec<String> = (0..10).map(|i| format!("group{i}")).collect();
    write_manifests(&manifests, &pairs, "");
    let applied = cli::apply(
        &sandbox.base,
        &manifests,
        &["--auto-approve", "--concurrency", "16"],
    )
    .await;
    assert_eq!(applied.code, 0, "{}", applied.all());
    let org = sandbox
        .snapshot(
            &pair_webhooks(&pairs),
            &BTreeSet::from(["DD_API_KEY".to_string()]),
        )
        .await;
    assert_eq!(org.webhooks, pair_webhooks(&pairs), "every write kept");
    assert!(org.user_variables().contains("DD_API_KEY"));
    assert_registry_invariant(&org, "lossy store");
    cli::assert_converged(&sandbox.base, &manifests, &[]).await;
    sandbox.stop().await;
}
