//! The data file across restarts and crashes: every object kind round trips through the
//! real handlers, a journal cut at any byte loads as the state before or after the cut
//! write, compaction keeps the state, old files migrate, damage is named.

use super::*;
use crate::monitors::{self, Identity, Now};
use crate::store::{Store, StoredVariable, REDACTED_SECRET};
use crate::{Sandbox, SandboxConfig};
use rand::{Rng, SeedableRng};
use serde_json::json;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::MutexGuard;

const WEBHOOKS: &str = "/api/v1/integration/webhooks/configuration/webhooks";
const VARIABLES: &str = "/api/v1/integration/webhooks/configuration/custom-variables";
const RULES: &str = "/api/v2/monitor/notification_rule";
const DASHBOARDS: &str = "/api/v1/dashboard";
/// A secret value that must never reach a file.
const SECRET: &str = "s3cr3t-value-never-on-disk";
/// The seed of every random draw here, printed so that a failure can be replayed.
const SEED: u64 = 0x5eed_d00d;

/// Every write goes to the journal (after the first, which creates the snapshot), and the
/// journal is never compacted.
fn journal_only() -> Policy {
    Policy {
        small_state: 0,
        min_journal: u64::MAX,
    }
}

/// Journal from the second write, compacted every couple of KiB.
fn compacting() -> Policy {
    Policy {
        small_state: 0,
        min_journal: 2048,
    }
}

/// A store on a data file in a new temp dir.
fn fresh(policy: Policy) -> (tempfile::TempDir, PathBuf, Store) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = data_file(&dir);
    let store = Store::open_with(&path, policy).expect("opens");
    (dir, path, store)
}

/// A fresh store that journals every write, holding `n` monitors (`m0`, `m1`, …).
fn journal_with_monitors(n: usize) -> (tempfile::TempDir, PathBuf, Store) {
    let (dir, path, store) = fresh(journal_only());
    for i in 0..n {
        create_monitor(&store, i);
    }
    (dir, path, store)
}

fn data_file(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("sandbox.json")
}

/// What the files should give back: the state with secret values redacted.
fn on_disk(data: &Data) -> Data {
    let mut data = data.clone();
    for variable in data.integration.custom_variables.values_mut() {
        if variable.is_secret {
            variable.value = REDACTED_SECRET.to_string();
        }
    }
    data
}

/// Closes `store`, then opens `path` again: it reads what the store held (as written).
fn closes_and_reopens_as_it_was(store: Store, path: &Path) {
    let expected = on_disk(&store.lock());
    drop(store);
    assert_eq!(load(path, journal_only()), expected);
}

fn load(path: &Path, policy: Policy) -> Data {
    match Store::open_with(path, policy) {
        Ok(store) => store.lock().clone(),
        Err(err) => panic!("{err}"),
    }
}

/// Names and contents of the files in `dir`.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| {
                    let name = e.file_name().to_string_lossy().into_owned();
                    (name, std::fs::read(e.path()).unwrap_or_default())
                })
                .collect()
        })
        .unwrap_or_default()
}

fn assert_no_secret(dir: &Path) {
    for (name, bytes) in files(dir) {
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains(SECRET), "the secret is in {name}");
    }
}

struct Client {
    base: String,
    http: reqwest::Client,
}

impl Client {
    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self
            .http
            .request(method.clone(), format!("{}{path}", self.base))
            .header("DD-API-KEY", "k")
            .header("DD-APPLICATION-KEY", "a");
        if let Some(body) = body {
            req = req.json(&body);
        }
        let response = req.send().await.expect("answered");
        let status = response.status();
        let value: Value = response.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "{method} {path}: {status} {value}");
        value
    }
}

/// Drives every kind of write through the real handlers: webhooks and variables (create,
/// rename, change, delete; a secret one), monitors (create, update, delete), notification
/// rules (create, replace, delete), dashboards (create, replace, delete), check runs, a
/// transition that fires a webhook routed back
/// into the sandbox (a delivery, a check run, a monitor state and an event id).
async fn every_kind_of_write(c: &Client) {
    use reqwest::Method;
    let check_run = "https://api.datadoghq.com/api/v1/check_run";
    // Webhooks and variables: created, renamed, changed, deleted.
    let writes = [
        (
            Method::POST,
            WEBHOOKS.to_string(),
            Some(json!({"name": "fire", "url": check_run,
            "payload": "[{\"check\": \"app.ok\", \"host_name\": \"$HOSTNAME\", \"status\": 2, \"tags\": []}]",
            "custom_headers": "{\"DD-API-KEY\": \"$DD_KEY\"}"})),
        ),
        (
            Method::POST,
            WEBHOOKS.to_string(),
            Some(json!({"name": "old", "url": "https://example.com/a"})),
        ),
        (
            Method::PUT,
            format!("{WEBHOOKS}/old"),
            Some(json!({"name": "renamed", "url": "https://example.com/b"})),
        ),
        (
            Method::POST,
            WEBHOOKS.to_string(),
            Some(json!({"name": "gone", "url": "https://example.com/c"})),
        ),
        (Method::DELETE, format!("{WEBHOOKS}/gone"), None),
        (
            Method::POST,
            VARIABLES.to_string(),
            Some(json!({"name": "DD_KEY", "value": "first-secret", "is_secret": true})),
        ),
        (
            Method::PUT,
            format!("{VARIABLES}/DD_KEY"),
            Some(json!({"value": SECRET})),
        ),
        (
            Method::POST,
            VARIABLES.to_string(),
            Some(json!({"name": "PLAIN", "value": "visible", "is_secret": false})),
        ),
        (
            Method::PUT,
            format!("{VARIABLES}/PLAIN"),
            Some(json!({"name": "PLAIN_TOO", "value": "still visible"})),
        ),
        (
            Method::POST,
            VARIABLES.to_string(),
            Some(json!({"name": "GONE", "value": "x", "is_secret": false})),
        ),
        (Method::DELETE, format!("{VARIABLES}/GONE"), None),
    ];
    for (method, path, body) in writes {
        c.call(method, &path, body).await;
    }
    let mut ids = Vec::new();
    for i in 0..3 {
        let m = c
            .call(
                Method::POST,
                "/api/v1/monitor",
                Some(json!({"type": "metric alert", "name": format!("m{i}"),
                    "query": "avg(last_5m):avg:system.cpu.user{*} > 90",
                    "message": format!("{{{{#is_alert}}}}@webhook-fire{{{{/is_alert}}}} #{i}"),
                    "tags": [format!("team:t{i}")]})),
            )
            .await;
        ids.push(m["id"].as_i64().expect("id"));
    }
    c.call(
        Method::PUT,
        &format!("/api/v1/monitor/{}", ids[1]),
        Some(json!({"message": "changed @webhook-fire", "options": {"notify_audit": true}})),
    )
    .await;
    c.call(Method::DELETE, &format!("/api/v1/monitor/{}", ids[2]), None)
        .await;
    c.call(
        Method::POST,
        "/api/v1/check_run",
        Some(json!([{"check": "direct.check", "host_name": "h", "status": 1, "tags": ["a:b"]}])),
    )
    .await;
    let rule = |name: &str, tag: &str, recipients: Value| {
        json!({"data": {"type": "monitor-notification-rule", "attributes": {
            "name": name, "filter": {"tags": [tag]}, "conditional_recipients": {
                "conditions": [{"scope": "transition_type:is_alert", "recipients": recipients}]}}}})
    };
    let mut rule_ids = Vec::new();
    for (name, tag) in [
        ("routes", "team:t0"),
        ("changed", "team:t1"),
        ("gone", "team:t2"),
    ] {
        let created = c
            .call(
                Method::POST,
                RULES,
                Some(rule(name, tag, json!(["slack-x"]))),
            )
            .await;
        rule_ids.push(created["data"]["id"].as_str().expect("id").to_string());
    }
    let replacements = [
        rule("routes", "team:t0", json!(["webhook-fire", "slack-x"])),
        rule("changed again", "team:t1", json!(["slack-y"])),
    ];
    for (id, mut patch) in rule_ids.iter().zip(replacements) {
        patch["data"]["id"] = json!(id);
        c.call(Method::PATCH, &format!("{RULES}/{id}"), Some(patch))
            .await;
    }
    c.call(Method::DELETE, &format!("{RULES}/{}", rule_ids[2]), None)
        .await;
    let board = |title: &str, check: &str| {
        json!({"title": title, "layout_type": "free", "widgets": [{"definition": {
            "type": "check_status", "check": check, "grouping": "cluster", "tags": ["*"]},
            "layout": {"x": 0, "y": 0, "width": 4, "height": 2}}]})
    };
    let mut board_ids = Vec::new();
    for title in ["kept", "replaced", "gone"] {
        let created = c
            .call(Method::POST, DASHBOARDS, Some(board(title, "app.up")))
            .await;
        board_ids.push(created["id"].as_str().expect("id").to_string());
    }
    c.call(
        Method::PUT,
        &format!("{DASHBOARDS}/{}", board_ids[1]),
        Some(board("replaced again", "db.up")),
    )
    .await;
    c.call(
        Method::DELETE,
        &format!("{DASHBOARDS}/{}", board_ids[2]),
        None,
    )
    .await;
    let fired = c
        .call(
            Method::POST,
            &format!("/sandbox/v1/monitor/{}/transition", ids[0]),
            Some(json!({"to": "Alert"})),
        )
        .await;
    assert_eq!(
        fired["fired"],
        json!(["fire"]),
        "named by the message and the rule, fired once: {fired}"
    );
    assert_eq!(fired["rules"][0]["id"], json!(rule_ids[0]), "{fired}");
}

async fn start(store: Store, config: SandboxConfig) -> (crate::RunningSandbox, Client) {
    let sandbox = Sandbox::start_with_store(config, store, SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("sandbox starts");
    let client = Client {
        base: sandbox.base_url(),
        http: reqwest::Client::new(),
    };
    (sandbox, client)
}

/// Runs every kind of write against a persisted sandbox, stops it, and loads the files.
async fn round_trip(policy: Policy, lossy: bool) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = data_file(&dir);
    let store = Store::open_with(&path, policy).expect("opens");
    let config = SandboxConfig {
        lossy_webhook_writes: lossy,
        ..SandboxConfig::default()
    };
    let (sandbox, client) = start(store, config.clone()).await;
    every_kind_of_write(&client).await;
    let before = sandbox.shared().store.lock().clone();
    assert_eq!(
        before.integration.custom_variables["DD_KEY"].value, SECRET,
        "memory keeps the secret"
    );
    assert_eq!(before.deliveries.len(), 1);
    assert_eq!(before.check_runs.len(), 2, "direct and fired");
    let rules: Vec<&str> = before
        .notification_rules
        .values()
        .map(|r| r.name.as_str())
        .collect();
    let boards: Vec<&str> = before
        .dashboards
        .values()
        .map(|d| d.title.as_str())
        .collect();
    for (left, last) in [(rules, "changed again"), (boards, "replaced again")] {
        assert_eq!(left.len(), 2, "two left: {left:?}");
        assert!(left.contains(&last), "{left:?}");
    }
    sandbox.shutdown().await;
    assert_no_secret(dir.path());
    let after = load(&path, policy);
    assert_eq!(after, on_disk(&before), "policy {policy:?}, lossy {lossy}");
    assert_eq!(
        after.integration.custom_variables["DD_KEY"].value,
        REDACTED_SECRET
    );

    // Still writable after the restart, and ids go on from where they were.
    let store = Store::open_with(&path, policy).expect("opens again");
    let (sandbox, client) = start(store, config).await;
    let m = client
        .call(
            reqwest::Method::POST,
            "/api/v1/monitor",
            Some(json!({"type": "metric alert", "query": "avg(last_5m):avg:x{*} > 1"})),
        )
        .await;
    assert!(m["id"].as_i64() > before.monitors.keys().last().copied());
    let before = sandbox.shared().store.lock().clone();
    sandbox.shutdown().await;
    assert_eq!(load(&path, policy), on_disk(&before));
}

#[tokio::test]
async fn every_kind_survives_a_restart_through_the_journal() {
    round_trip(journal_only(), false).await;
}

#[tokio::test]
async fn every_kind_survives_a_restart_through_snapshots() {
    round_trip(Policy::default(), false).await;
}

#[tokio::test]
async fn every_kind_survives_a_restart_with_compactions() {
    round_trip(compacting(), false).await;
}

#[tokio::test]
async fn lossy_writes_survive_a_restart_through_the_journal() {
    round_trip(journal_only(), true).await;
}

#[tokio::test]
async fn the_journal_is_used_past_the_small_state_and_only_then() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = data_file(&dir);
    let store = Store::open_with(
        &path,
        Policy {
            small_state: 4096,
            min_journal: u64::MAX,
        },
    )
    .expect("opens");
    let mut sizes = Vec::new();
    for i in 0..40 {
        create_monitor(&store, i);
        sizes.push(files(dir.path()));
    }
    let first_journal = sizes
        .iter()
        .position(|f| f.len() > 1)
        .expect("a journal appears");
    let snapshot_then = &sizes[first_journal - 1]["sandbox.json"];
    assert!(snapshot_then.len() > 4096, "{}", snapshot_then.len());
    assert!(sizes[..first_journal].iter().all(|f| f.len() == 1));
    // Up to then the data file alone held the state, as the whole-store file did.
    let (data, generation) = decode_snapshot(&path, snapshot_then).expect("snapshot");
    assert_eq!(data.monitors.len(), first_journal);
    assert!(generation.is_some());
}

/// Creates monitor number `i` straight through the store's write path.
fn create_monitor(store: &Store, i: usize) {
    let body = json!({"type": "metric alert", "name": format!("m{i}"),
        "query": "avg(last_5m):avg:system.cpu.user{*} > 90",
        "message": format!("message {i} @slack-x"), "tags": ["env:prod"]});
    store
        .apply(|data, touched| {
            touched.monitor(data.next_monitor_id);
            monitors::create(data, &body, &Identity { org_id: 1 }, &now())
        })
        .and_then(|pending| pending.wait_blocking())
        .map_err(|e| e.message)
        .expect("monitor created");
}

fn update_monitor(store: &Store, id: i64, message: &str) {
    store
        .apply(|data, touched| {
            touched.monitor(id);
            monitors::update(data, id, &json!({"message": message}), &now())
        })
        .and_then(|pending| pending.wait_blocking())
        .map_err(|e| e.message)
        .expect("monitor updated");
}

fn now() -> Now {
    Now {
        millis: 1_700_000_000_000,
        rfc3339: "2023-11-14T22:13:20.000000+00:00".to_string(),
    }
}

/// A journal of `writes` records over a snapshot; returns the store's files afterwards, the
/// state after each write (index 0: before any record) and the journal offset after each.
struct Journaled {
    dir: tempfile::TempDir,
    states: Vec<Data>,
    ends: Vec<u64>,
    journal: PathBuf,
}

impl Journaled {
    /// Where the last record starts and ends in the journal.
    fn last_record(&self) -> (u64, u64) {
        let [.., start, end] = self.ends[..] else {
            panic!("a journal of at least one record");
        };
        (start, end)
    }
}

fn journaled(writes: usize) -> Journaled {
    let (dir, path, store) = journal_with_monitors(1);
    let generation = match Disk::open(&path, journal_only()) {
        Ok((_, disk)) => disk.generation.expect("a snapshot"),
        Err(err) => panic!("{err}"),
    };
    let journal = journal_path(&path, generation);
    let mut states = vec![on_disk(&store.lock())];
    let mut ends = Vec::new();
    for i in 1..=writes {
        if i % 3 == 0 {
            update_monitor(
                &store,
                1,
                &format!("updated {i} with \u{e9}\u{1F600} and \"quotes\""),
            );
        } else {
            create_monitor(&store, i);
        }
        states.push(on_disk(&store.lock()));
        ends.push(std::fs::metadata(&journal).expect("journal").len());
    }
    Journaled {
        dir,
        states,
        ends,
        journal,
    }
}

/// A copy of the snapshot and of the journal cut to `len` bytes (then `extra` appended), in
/// a new directory.
fn crashed_copy(j: &Journaled, len: u64, extra: &[u8]) -> tempfile::TempDir {
    let copy = tempfile::tempdir().expect("temp dir");
    std::fs::copy(data_file(&j.dir), data_file(&copy)).expect("copy snapshot");
    let mut journal = std::fs::read(&j.journal).expect("journal");
    journal.truncate(len as usize);
    journal.extend_from_slice(extra);
    let name = j.journal.file_name().expect("name");
    std::fs::write(copy.path().join(name), journal).expect("copy journal");
    copy
}

/// The state the files give back after a crash that left the journal `len` bytes long: the
/// state after the last record wholly within it.
fn expected_after_cut(j: &Journaled, len: u64) -> &Data {
    let complete = j.ends.iter().filter(|end| **end <= len).count();
    &j.states[complete]
}

#[test]
fn a_journal_cut_at_any_byte_of_its_last_record_loads_the_state_before_or_after() {
    let j = journaled(6);
    let (last_start, last_end) = j.last_record();
    let n = j.states.len();
    for len in last_start..=last_end {
        let copy = crashed_copy(&j, len, b"");
        let loaded = load(&data_file(&copy), journal_only());
        let expected = if len == last_end {
            &j.states[n - 1]
        } else {
            &j.states[n - 2]
        };
        assert_eq!(&loaded, expected, "journal cut at {len} of {last_end}");
    }
}

#[test]
fn a_journal_cut_at_random_offsets_loads_a_prefix_of_the_writes() {
    println!("seed {SEED:#x}");
    let j = journaled(12);
    let total = *j.ends.last().expect("records");
    let mut rng = rand::rngs::StdRng::seed_from_u64(SEED);
    for _ in 0..150 {
        let len = rng.random_range(0..=total);
        let copy = crashed_copy(&j, len, b"");
        let loaded = load(&data_file(&copy), journal_only());
        assert_eq!(&loaded, expected_after_cut(&j, len), "cut at {len}");
    }
}

#[test]
fn a_hole_or_garbage_where_the_last_record_was_torn_is_dropped() {
    let j = journaled(4);
    let n = j.states.len();
    let (start, end) = j.last_record();
    let journal = std::fs::read(&j.journal).expect("journal");
    // Zeros in the middle of the last record, its LF on disk (pages written out of order).
    let mut holed = journal.clone();
    for b in &mut holed[(start as usize + 20)..(end as usize - 20)] {
        *b = 0;
    }
    let copy = crashed_copy(&j, 0, &holed);
    assert_eq!(load(&data_file(&copy), journal_only()), j.states[n - 2]);
    // A torn last record followed by zeros (a file extended but not written).
    let copy = crashed_copy(&j, start + 30, &[0; 300]);
    assert_eq!(load(&data_file(&copy), journal_only()), j.states[n - 2]);
}

#[test]
fn after_a_torn_tail_is_dropped_new_writes_follow_the_last_good_record() {
    let j = journaled(5);
    let n = j.states.len();
    let (start, end) = j.last_record();
    println!("seed {SEED:#x}");
    let mut rng = rand::rngs::StdRng::seed_from_u64(SEED);
    for _ in 0..8 {
        let len = rng.random_range(start + 1..end);
        let copy = crashed_copy(&j, len, b"");
        let path = data_file(&copy);
        let store = Store::open_with(&path, journal_only()).expect("opens");
        assert_eq!(*store.lock(), j.states[n - 2]);
        create_monitor(&store, 99);
        let expected = on_disk(&store.lock());
        drop(store);
        assert_eq!(load(&path, journal_only()), expected, "cut at {len}");
    }
}

#[test]
fn damage_before_the_last_line_is_an_error_naming_file_line_and_offset() {
    let j = journaled(4);
    let journal = std::fs::read(&j.journal).expect("journal");
    // Line 3 is the second record; flip a byte inside its JSON.
    let line_start = j.ends[0];
    let mut damaged = journal.clone();
    damaged[line_start as usize + 40] ^= 0x20;
    let copy = crashed_copy(&j, 0, &damaged);
    let err = match Store::open_with(&data_file(&copy), journal_only()) {
        Ok(_) => panic!("a damaged journal was loaded"),
        Err(err) => err,
    };
    match &err {
        PersistError::Journal {
            path, line, offset, ..
        } => {
            assert_eq!(path.file_name(), j.journal.file_name());
            assert_eq!((*line, *offset), (3, line_start));
        }
        other => panic!("unexpected error {other:?}"),
    }
    let message = err.to_string();
    assert!(
        message.contains("sandbox.json.journal.") && message.contains("line 3"),
        "{message}"
    );
    assert!(
        message.contains(&format!("byte offset {line_start}")),
        "{message}"
    );
    // The files are left as they were.
    assert_eq!(
        std::fs::read(copy.path().join(j.journal.file_name().expect("name"))).ok(),
        Some(damaged)
    );

    // A line of garbage between two records.
    let mut inserted = journal[..line_start as usize].to_vec();
    inserted.extend_from_slice(b"this is not a record\n");
    inserted.extend_from_slice(&journal[line_start as usize..]);
    let copy = crashed_copy(&j, 0, &inserted);
    let err = Store::open_with(&data_file(&copy), journal_only()).map(|_| ());
    assert!(
        matches!(err, Err(PersistError::Journal { line: 3, .. })),
        "{err:?}"
    );
}

#[test]
fn random_damage_anywhere_never_panics() {
    println!("seed {SEED:#x}");
    let j = journaled(5);
    let journal = std::fs::read(&j.journal).expect("journal");
    let snapshot = std::fs::read(data_file(&j.dir)).expect("snapshot");
    let mut rng = rand::rngs::StdRng::seed_from_u64(SEED);
    for round in 0..200 {
        let copy = crashed_copy(&j, 0, &journal);
        let (target, mut bytes) = if round % 2 == 0 {
            (
                copy.path().join(j.journal.file_name().expect("name")),
                journal.clone(),
            )
        } else {
            (data_file(&copy), snapshot.clone())
        };
        for _ in 0..rng.random_range(1..4) {
            let at = rng.random_range(0..bytes.len());
            bytes[at] = rng.random();
        }
        std::fs::write(&target, &bytes).expect("damaged");
        // Either a state or an error; the assertion is that this returns at all.
        let _ = Store::open_with(&data_file(&copy), journal_only()).map(|s| s.lock().clone());
    }
}

#[test]
fn a_damaged_snapshot_is_an_error_naming_file_line_and_column() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = data_file(&dir);
    let data = Data {
        next_monitor_id: 7,
        ..Data::default()
    };
    let mut text = encode_snapshot(&data, Some(3)).expect("encoded");
    let at = text.len() / 2;
    text[at] = b'#';
    std::fs::write(&path, &text).expect("written");
    let err = match Store::open_with(&path, journal_only()) {
        Ok(_) => panic!("a damaged snapshot was loaded"),
        Err(err) => err.to_string(),
    };
    assert!(
        err.contains("sandbox.json is not valid") && err.contains("line"),
        "{err}"
    );
    assert_eq!(std::fs::read(&path).ok(), Some(text), "left as it was");
}

#[test]
fn a_snapshot_from_a_newer_ddhooks_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = data_file(&dir);
    let text = String::from_utf8(encode_snapshot(&Data::default(), Some(1)).expect("encoded"))
        .expect("utf-8")
        .replace("\"version\": 2", "\"version\": 9");
    std::fs::write(&path, text).expect("written");
    let err = Store::open_with(&path, journal_only()).map(|_| ());
    assert!(
        matches!(&err, Err(PersistError::Version { reason, .. }) if reason.contains("version 9")),
        "{err:?}"
    );
}

#[test]
fn compaction_keeps_the_state_and_leaves_one_journal() {
    let (_dir, path, store) = fresh(compacting());
    let mut generations = BTreeSet::new();
    for i in 0..60 {
        create_monitor(&store, i);
        if i % 4 == 0 {
            update_monitor(&store, 1, &format!("round {i}"));
        }
        let journals = journals(&path);
        assert!(journals.len() <= 1, "{journals:?}");
        generations.extend(journals.iter().map(|(g, _)| *g));
        assert_eq!(
            load(&path, compacting()),
            on_disk(&store.lock()),
            "after write {i}"
        );
    }
    assert!(
        generations.len() > 3,
        "compacted several times: {generations:?}"
    );
}

#[test]
fn a_crash_in_the_middle_of_a_compaction_loses_nothing() {
    let (dir, _path, store) = journal_with_monitors(5);
    let expected = on_disk(&store.lock());
    let old = files(dir.path());
    // Compact by hand: what a compaction writes, step by step.
    {
        let data = store.lock();
        let mut disk = lock(&store);
        disk.snapshot(&data).expect("compacted");
    }
    let new = files(dir.path());
    let old_journal = old
        .keys()
        .find(|n| n.contains(".journal."))
        .expect("a journal before")
        .clone();
    assert!(
        !new.contains_key(&old_journal),
        "the old journal is deleted"
    );
    // 1. Crash before the rename: the old snapshot and journal, plus a stray temp file.
    // 2. Crash after the rename, before the old journal was deleted.
    let states: [Vec<(&str, &[u8])>; 2] = [
        vec![
            ("sandbox.json", &old["sandbox.json"]),
            (&old_journal, &old[&old_journal]),
            (".tmpAbC123", &new["sandbox.json"][..100]),
        ],
        vec![
            ("sandbox.json", &new["sandbox.json"]),
            (&old_journal, &old[&old_journal]),
        ],
    ];
    for (case, files_left) in states.iter().enumerate() {
        let copy = tempfile::tempdir().expect("temp dir");
        for (name, bytes) in files_left {
            std::fs::write(copy.path().join(name), bytes).expect("written");
        }
        let store = Store::open_with(&data_file(&copy), journal_only()).expect("opens");
        assert_eq!(*store.lock(), expected, "case {}", case + 1);
        create_monitor(&store, 50);
        let expected = on_disk(&store.lock());
        drop(store);
        assert_eq!(load(&data_file(&copy), journal_only()), expected);
        if case == 1 {
            assert!(
                !files(copy.path()).contains_key(&old_journal),
                "stale journal removed"
            );
        }
    }
}

fn lock(store: &Store) -> MutexGuard<'_, Disk> {
    match &store.disk_for_tests() {
        Some(disk) => disk.lock().unwrap_or_else(|p| p.into_inner()),
        None => panic!("an in-memory store"),
    }
}

#[test]
fn an_old_whole_store_file_loads_and_is_migrated_by_the_first_write() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = data_file(&dir);
    // What the sandbox wrote before the journal (a file from before monitor_states,
    // deliveries and next_event_id existed, even).
    let old = r#"{
  "version": 1,
  "webhooks": {
    "w": {"encode_as": "json", "url": "https://a", "custom_headers": null, "name": "w", "payload": "{}"}
  },
  "custom_variables": {
    "K": {"name": "K", "value": "sandbox-secret-not-persisted", "is_secret": true},
    "P": {"name": "P", "value": "plain", "is_secret": false}
  },
  "monitors": {
    "4": {"id": 4, "type": "query alert", "name": "n", "message": "m", "query": "avg(last_5m):avg:cpu{*} > 1", "tags": [], "options": {}}
  },
  "next_monitor_id": 5,
  "check_runs": [{"check": "c", "host_name": "h", "status": 0, "tags": []}]
}
"#;
    std::fs::write(&path, old).expect("written");
    // A journal left beside it by something else is not replayed.
    std::fs::write(journal_path(&path, 1), b"00000000 {}\n").expect("written");
    let store = Store::open_with(&path, journal_only()).expect("opens");
    let loaded = store.lock().clone();
    assert_eq!(loaded.integration.webhooks["w"].url, "https://a");
    assert_eq!(loaded.integration.custom_variables["P"].value, "plain");
    assert_eq!(loaded.monitors[&4]["message"], "m");
    assert_eq!(loaded.next_monitor_id, 5);
    assert_eq!(loaded.check_runs.len(), 1);
    assert_eq!(std::fs::read_to_string(&path).ok().as_deref(), Some(old));
    create_monitor(&store, 1);
    let after = on_disk(&store.lock());
    let migrated = std::fs::read(&path).expect("snapshot");
    let (_, generation) = decode_snapshot(&path, &migrated).expect("snapshot");
    assert!(generation.is_some_and(|g| g > 1), "{generation:?}");
    assert_eq!(journals(&path).len(), 0, "the stray journal went");
    drop(store);
    assert_eq!(load(&path, journal_only()), after);
    assert_eq!(after.monitors[&5]["name"], "m1");

    // The same through the public entry point and `write_atomically`.
    let dir = tempfile::tempdir().expect("temp dir");
    let path = data_file(&dir);
    store_seeded_with_write_atomically(&path);
}

fn store_seeded_with_write_atomically(path: &Path) {
    let mut data = Data::default();
    for i in 0..3 {
        let body = json!({"type": "metric alert", "query": "avg(last_5m):avg:x{*} > 1", "name": format!("s{i}")});
        monitors::create(&mut data, &body, &Identity { org_id: 1 }, &now()).expect("seeded");
    }
    data.integration.custom_variables.insert(
        "S".to_string(),
        StoredVariable {
            name: "S".to_string(),
            value: SECRET.to_string(),
            is_secret: true,
        },
    );
    crate::store::write_atomically(path, &data).expect("written");
    let text = std::fs::read_to_string(path).expect("file");
    assert!(!text.contains(SECRET));
    let store = Store::open(path).expect("opens");
    assert_eq!(*store.lock(), on_disk(&data));
}

#[test]
fn secrets_reach_no_file_through_journal_or_compaction() {
    let (dir, _path, store) = fresh(compacting());
    for i in 0..30 {
        let name = format!("KEY_{}", i % 4);
        store
            .apply(|data, touched| {
                touched.variable(&name);
                data.integration.custom_variables.insert(
                    name.clone(),
                    StoredVariable {
                        name: name.clone(),
                        value: format!("{SECRET}-{i}"),
                        is_secret: true,
                    },
                );
                Ok(())
            })
            .and_then(|p| p.wait_blocking())
            .expect("written");
        assert_no_secret(dir.path());
    }
    assert!(store.lock().integration.custom_variables["KEY_1"]
        .value
        .starts_with(SECRET));
}

#[test]
fn writes_from_many_threads_share_syncs_and_all_survive() {
    let (_dir, path, store) = journal_with_monitors(1);
    std::thread::scope(|scope| {
        for t in 0..6 {
            let store = &store;
            scope.spawn(move || {
                for i in 0..15 {
                    create_monitor(store, 1000 + t * 100 + i);
                }
            });
        }
    });
    assert_eq!(store.lock().monitors.len(), 91);
    closes_and_reopens_as_it_was(store, &path);
}

#[test]
fn a_failed_sync_makes_the_next_write_a_snapshot() {
    let (_dir, path, store) = journal_with_monitors(2);
    let generation = lock(&store).generation;
    if let Some(journal) = &lock(&store).journal {
        journal.broken.store(true, Ordering::Release);
    }
    create_monitor(&store, 2);
    let disk = lock(&store);
    assert!(
        disk.generation > generation,
        "a new snapshot and generation"
    );
    assert!(disk.journal.is_none());
    drop(disk);
    closes_and_reopens_as_it_was(store, &path);
}

#[test]
fn a_deleted_data_file_starts_empty_whatever_journals_are_left() {
    let (_dir, path, store) = journal_with_monitors(3);
    drop(store);
    std::fs::remove_file(&path).expect("removed");
    assert_eq!(journals(&path).len(), 1);
    let store = Store::open_with(&path, journal_only()).expect("opens");
    assert_eq!(*store.lock(), Data::default());
    create_monitor(&store, 0);
    assert_eq!(
        journals(&path).len(),
        0,
        "the orphan journal went with the new snapshot"
    );
    closes_and_reopens_as_it_was(store, &path);
}

#[test]
fn the_unknown_write_path_still_persists_everything() {
    let (_dir, path, store) = journal_with_monitors(2);
    store
        .write(|data| {
            data.monitor_states.insert(1, "Alert".to_string());
            data.next_event_id = 9;
            Ok(())
        })
        .expect("written");
    closes_and_reopens_as_it_was(store, &path);
}

#[test]
fn lines_carry_a_checksum_of_their_json() {
    assert_eq!(crc32(b"123456789"), 0xCBF4_3926, "the standard check value");
    let line = encode_line(&json!({"a": 1})).expect("encoded");
    assert_eq!(line, b"561bacaf {\"a\":1}\n".to_vec());
    assert_eq!(decode_line(&line[..line.len() - 1]), Ok(&b"{\"a\":1}"[..]));
    assert!(decode_line(b"561bacaf {\"a\":2}").is_err());
    assert!(decode_line(b"zz").is_err());
    assert!(decode_line(b"").is_err());
}
