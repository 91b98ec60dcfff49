//! `--data FILE`: the store survives a restart, and the file is replaced atomically so a
//! reader (or a crash) never sees half of it.

use crate::kit::sandbox::{variable_body, Sandbox, RULES, VARIABLES, WEBHOOKS};

use ddhooks::sandbox::SandboxConfig;
use reqwest::StatusCode;
use serde_json::{json, Value};

fn config(path: &std::path::Path) -> SandboxConfig {
    SandboxConfig {
        data: Some(path.to_path_buf()),
        ..Default::default()
    }
}

#[tokio::test]
async fn state_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sandbox.json");
    let h = Sandbox::start(config(&file)).await;
    h.post(WEBHOOKS, json!({"name": "w", "url": "https://a"}))
        .await;
    h.post(VARIABLES, variable_body("K", "secret", true)).await;
    let (_, m) = h
        .post(
            "/api/v1/monitor",
            json!({"type": "query alert", "query": "avg(last_5m):avg:cpu{*} > 1", "message": "m"}),
        )
        .await;
    let id = m["id"].as_i64().unwrap();
    h.stop().await;

    let h = Sandbox::start(config(&file)).await;
    let (status, w) = h.get(&format!("{WEBHOOKS}/w")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(w["url"], "https://a");
    let (status, v) = h.get(&format!("{VARIABLES}/K")).await;
    assert_eq!(
        (status, v),
        (StatusCode::OK, json!({"is_secret": true, "name": "K"}))
    );
    let (status, got) = h.get(&format!("/api/v1/monitor/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    // A read shows the monitor as its create answered it, but for `restriction_policy`,
    // which only write answers carry.
    let mut answered = m.clone();
    answered
        .as_object_mut()
        .unwrap()
        .remove("restriction_policy");
    assert_eq!(got, answered);
    let (_, m2) = h
        .post(
            "/api/v1/monitor",
            json!({"type": "query alert", "query": "avg(last_5m):avg:cpu{*} > 1"}),
        )
        .await;
    assert!(
        m2["id"].as_i64().unwrap() > id,
        "ids keep increasing after a restart"
    );
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_file_is_never_half_written() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sandbox.json");
    let h = Sandbox::start(config(&file)).await;
    let reader_file = file.clone();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader_stop = stop.clone();
    // Read the file as fast as possible while writes replace it: every read must parse.
    let reader = tokio::task::spawn_blocking(move || {
        let mut reads = 0;
        while !reader_stop.load(std::sync::atomic::Ordering::Relaxed) {
            if let Ok(bytes) = std::fs::read(&reader_file) {
                let parsed: Result<Value, _> = serde_json::from_slice(&bytes);
                assert!(parsed.is_ok(), "a reader saw a partial file");
                reads += 1;
            }
        }
        reads
    });
    big_writes(&h, 0, 40).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let reads = reader.await.unwrap();
    assert!(reads > 0);
    // No temp files are left beside it.
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name() != "sandbox.json")
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    h.stop().await;
}

#[tokio::test]
async fn a_corrupt_data_file_is_refused_not_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sandbox.json");
    std::fs::write(&file, "{\"version\": 1, \"webhooks\": ").unwrap();
    let err = ddhooks::sandbox::Sandbox::start(config(&file))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("not valid"), "{err}");
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "{\"version\": 1, \"webhooks\": "
    );
}

/// The journal beside the data file (`sandbox.json.journal.G`), if there is one.
fn journal(dir: &std::path::Path) -> Option<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .find(|name| name.starts_with("sandbox.json.journal."))
}

/// Writes 20 KB values into variables `V{from}..V{to}`, to grow the state or the journal.
async fn big_writes(h: &Sandbox, from: usize, to: usize) {
    let big = "x".repeat(20_000);
    for i in from..to {
        let (status, _) = h
            .post(VARIABLES, variable_body(&format!("V{i}"), &big, false))
            .await;
        assert_eq!(status, StatusCode::CREATED);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notification_rules_survive_restarts_and_a_compaction() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sandbox.json");
    let h = Sandbox::start(config(&file)).await;
    let rule = |name: &str| {
        json!({"name": name, "filter": {"scope": "team:a -env:dev"},
                                   "recipients": ["webhook-x"]})
    };
    let patched = h.create_rule(rule("patched before the journal")).await;
    let deleted = h.create_rule(rule("deleted in the journal")).await;
    // Past 1 MiB of state, writes go to the journal...
    big_writes(&h, 0, 60).await;
    let first = journal(dir.path()).expect("writes go to a journal past 1 MiB");
    h.replace_rule(&patched, rule("patched in the journal"))
        .await;
    let journaled = h.create_rule(rule("created in the journal")).await;
    let (status, _) = h.delete(&format!("{RULES}/{deleted}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    // ...which is folded into a new snapshot once it outgrows the snapshot.
    big_writes(&h, 60, 130).await;
    let second = journal(dir.path());
    assert_ne!(second.as_ref(), Some(&first), "the journal was compacted");
    let after = h.create_rule(rule("created after the compaction")).await;
    let before_restart = h.rules().await;
    h.stop().await;

    let h = Sandbox::start(config(&file)).await;
    let names: Vec<String> = h
        .rules()
        .await
        .iter()
        .map(|r| r["attributes"]["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        names,
        [
            "patched in the journal",
            "created in the journal",
            "created after the compaction"
        ]
    );
    assert_eq!(h.rules().await, before_restart, "every field as before");
    for id in [&patched, &journaled, &after] {
        let (status, _) = h.get(&format!("{RULES}/{id}")).await;
        assert_eq!(status, StatusCode::OK, "{id}");
    }
    let (status, _) = h.get(&format!("{RULES}/{deleted}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "the delete survived too");
    // Still writable, and a rule written now is there after the next restart.
    h.replace_rule(&after, rule("patched after a restart"))
        .await;
    h.stop().await;
    let h = Sandbox::start(config(&file)).await;
    let (_, got) = h.get(&format!("{RULES}/{after}")).await;
    assert_eq!(got["data"]["attributes"]["name"], "patched after a restart");
    h.stop().await;
}
