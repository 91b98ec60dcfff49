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

/// Records every completed request, in order: `POST webhook g3-alert-check`, `PUT monitor 7`.
#[derive(Default)]
struct Log(std::sync::Mutex<Vec<String>>);

impl ddhooks::datadog::RequestObserver for Log {
    fn completed(&self, method: &str, object: &str) {
        self.0
            .lock()
            .expect("log lock")
            .push(format!("{method} {object}"));
    }
}

/// A group's monitor writes go once its webhooks (and the variable before them) exist,
/// while the chain goes on with the other groups: every block is written after the POSTs of
/// the webhooks it mentions, and some before the chain's last POST. In process, through the
/// real sandbox with latency, so that the chain takes time. Two webhooks no block mentions
/// come last in the chain: the monitor lane settles on its own, so without them the second
/// to last group's writes would race the last group's two POSTs on a loaded machine.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_groups_monitor_writes_go_once_its_webhooks_exist_while_the_chain_goes_on() {
    use crate::kit::inproc;
    use ddhooks::manifest::{self, LoadOptions};
    use ddhooks::sandbox::SandboxConfig;
    use std::collections::BTreeMap;
    use std::sync::Arc;

    let sandbox = Sandbox::start(SandboxConfig {
        latency: std::time::Duration::from_millis(5),
        ..SandboxConfig::default()
    })
    .await;
    let pairs: Vec<String> = (0..6).map(|i| format!("pay{i}")).collect();
    // Each pair's block selects its own monitor (`team:payments` selects them all, so each
    // monitor is tagged for one pair only through an extra tag in the manifest).
    let tmp = tempfile::tempdir().unwrap();
    let mut yaml = String::from(
        "custom_variables:\n  DD_API_KEY: {value: \"${env:DD_API_KEY}\", secret: true}\nwebhook_pairs:\n",
    );
    for p in &pairs {
        yaml.push_str(&format!("  {p}:\n    check: {p}.status\n"));
    }
    yaml.push_str("webhooks:\n");
    for trailing in ["zz-after-0", "zz-after-1"] {
        yaml.push_str(&format!(
            "  {trailing}: {{url: \"https://example.com/{trailing}\"}}\n"
        ));
    }
    yaml.push_str("monitor_notifications:\n");
    let mut group_of = BTreeMap::new();
    for p in &pairs {
        yaml.push_str(&format!(
            "  {p}:\n    monitors: {{tags: [\"group:{p}\"]}}\n    pair: {p}\n"
        ));
        for k in 0..3 {
            let id = sandbox
                .create_monitor(
                    &format!("{p} #{k}"),
                    &[&format!("group:{p}")],
                    "Disk full @ops",
                )
                .await;
            group_of.insert(id, p.clone());
        }
    }
    std::fs::write(tmp.path().join("main.yaml"), yaml).unwrap();
    let options = LoadOptions::default().with_env_map(BTreeMap::from([(
        "DD_API_KEY".to_string(),
        cli::API_KEY.to_string(),
    )]));
    let loaded = manifest::load_dir(tmp.path(), &options).expect("manifests load");

    let session = inproc::session(&sandbox.base, 4);
    let log = Arc::new(Log::default());
    session.client.observe(log.clone());
    let planned = inproc::plan(&session, &loaded).await;
    log.0.lock().unwrap().clear();
    let (applier, plan) = inproc::applier(&session, planned);
    let report = applier.apply(&plan).await;
    assert!(report.complete(), "{report:?}");

    let log = log.0.lock().unwrap().clone();
    let at = |entry: &str| {
        log.iter()
            .position(|l| l == entry)
            .unwrap_or_else(|| panic!("{entry} not in the log: {log:#?}"))
    };
    let last_webhook_post = log
        .iter()
        .rposition(|l| l.starts_with("POST webhook "))
        .expect("webhooks created");
    let variable = at("POST custom variable DD_API_KEY");
    let mut before_the_end = 0;
    for (id, p) in &group_of {
        let write = at(&format!("PUT monitor {id}"));
        for hook in [format!("{p}-alert-check"), format!("{p}-ok-check")] {
            assert!(
                at(&format!("POST webhook {hook}")) < write,
                "monitor {id} written before {hook} existed: {log:#?}"
            );
        }
        assert!(variable < write, "{log:#?}");
        if write < last_webhook_post {
            before_the_end += 1;
        }
    }
    assert!(
        before_the_end >= 3 * (pairs.len() - 1),
        "every group but the last is written during the chain ({before_the_end} were): {log:#?}"
    );
    cli::assert_converged(&sandbox.base, tmp.path(), &[]).await;
}
