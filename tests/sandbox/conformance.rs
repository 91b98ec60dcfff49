//! Conformance: replays every recorded Datadog exchange for the endpoints the sandbox serves
//! (the v1 groups below, dashboards included, and every v2 monitor notification-rule
//! cassette) against a fresh
//! in-process sandbox per cassette, and compares status codes and bodies as JSON values.
//!
//! The cassettes are read from `DDHOOKS_SHARED_DIR` or `$CARGO_MANIFEST_DIR/../shared/datadog-api`
//! (never copied into the project). When the default directory is absent the test says so
//! and passes; when the directory exists (or `DDHOOKS_SHARED_DIR` names one) but cannot be
//! read or holds no cassette of the groups below, the test fails.
//!
//! What is not compared, and why:
//! - `id`, `deleted_monitor_id`, `monitor_id`: the sandbox assigns its own ids (numbers for
//!   monitors, UUIDs for notification rules). A recorded id seen in a create answer (`id`, or
//!   `data.id` in v2) is mapped to the sandbox's id; later URIs and the string values of later
//!   request bodies (a PATCH's `data.id`) are rewritten with the mapping, and later ids must
//!   equal the mapped value. Unmapped ids are ignored.
//! - A dashboard's `url` and a 404's `errors` name the id: recorded ids in them are mapped
//!   before they are compared (the slug after the id is compared as it is).
//! - Dashboards a recorded listing shows but the cassette never created (presets of the
//!   recording org) are created before the first request, oldest first, from their
//!   summaries, so the pages are compared in full rather than by shape.
//! - `org_id`, `creator`, `author_handle`, `author_name`: which org and user recorded the
//!   cassette; the v2 `included` users
//!   are compared by shape only (their type, and their attributes' names and JSON types;
//!   `uuid` and `last_login_time`, which only later recordings have, are tolerated).
//! - `created`, `created_at`, `modified`, `modified_at`, `overall_state_modified`: wall-clock
//!   times.
//! - Tolerated when present on one side only, compared when on both: fields Datadog added in
//!   later API versions or shows only in some orgs — `restriction_policy`, `draft_status`,
//!   `assets`, `restricted`, `run_as`, `options.avalanche_window`, `options.locked`, a
//!   webhook's `auth_method_id` (every answer since 2025; the 2022 recordings lack it), and a
//!   user's `mfa_enabled` (reads since 2024; the 2021 recording lacks it).
//! - Numbers compare by value (`2` equals `2.0`: old recordings have integer thresholds).
//! - Changes over time and effects of skipped writes (`replay::tolerated_change`): a
//!   dashboard's `is_read_only` and `restricted_roles` may be missing (the official client's
//!   2024 recordings answer `false` and `[]`, Terraform's of 2026 and the sandbox omit them
//!   unless sent); a monitor's `restricted_roles` are not compared once a skipped
//!   `/api/v2/restriction_policy/monitor:{id}` write has changed them; a user listing's
//!   `meta.page.total_count` counts every user of the recording org.
//! - Users and Microsoft Teams handles a recorded listing shows but the cassette never
//!   created (the recording org's) are created first, like the dashboards above, and the
//!   Microsoft channels a tenant-based listing names are given to the sandbox.
//!
//! The comparison and the replay live in `conformance::replay`; `conformance::terraform`
//! replays Terraform's provider's go-vcr cassettes, kept in the project under
//! `tests/data/cassettes/terraform/` (see `ORIGIN.md` there), with the same code;
//! `conformance::clients` replays the official Go client's go-vcr cassettes kept under
//! `tests/data/cassettes/clients/` with Terraform's loader.
//!
//! Interactions on endpoints the sandbox does not serve (v2 roles, downtimes, synthetics,
//! monitor search and group search, can_delete) are skipped and counted with the reason. A
//! cassette in which a skipped *write* mentions an id that a later replayed interaction uses
//! (a downtime on the created monitor, a synthetics test that creates a monitor) is skipped
//! whole, since the sandbox cannot reproduce its effect.

mod clients;
mod replay;
mod terraform;

use replay::{compare, learn_ids, replay, rewrite_body, rewrite_uri, Ids, Interaction, Summary};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// The cassette groups replayed: API version, group directory, and what a cassette's file
/// name must contain (`cassettes/v2/monitors` also holds endpoints the sandbox does not serve).
const GROUPS: &[(&str, &str, &str)] = &[
    ("v1", "webhooks_integration", ""),
    ("v1", "monitors", ""),
    ("v1", "service_checks", ""),
    ("v1", "authentication", ""),
    ("v1", "dashboards", ""),
    ("v2", "monitors", "notification-rule"),
];

/// The cassette directory, `None` when it is absent (then the test is skipped). A directory
/// named by `DDHOOKS_SHARED_DIR` must exist.
fn shared_dir() -> Option<PathBuf> {
    match std::env::var_os("DDHOOKS_SHARED_DIR") {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            assert!(
                dir.is_dir(),
                "DDHOOKS_SHARED_DIR={} is not a directory",
                dir.display()
            );
            Some(dir)
        }
        None => {
            let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/datadog-api");
            dir.exists().then_some(dir)
        }
    }
}

/// Every cassette (`*.json`) of [`GROUPS`] under `dir`, by group (`v1/monitors`, …), sorted;
/// an error when a group's directory cannot be read, when there is no cassette at all, or
/// when a filtered group (the v2 notification rules) holds none of its cassettes.
fn cassettes(dir: &Path) -> Result<Vec<(String, PathBuf)>, String> {
    let mut out = Vec::new();
    for (version, group, needle) in GROUPS {
        let at = dir.join("cassettes").join(version).join(group);
        let entries = std::fs::read_dir(&at)
            .map_err(|e| format!("cannot read cassettes in {}: {e}", at.display()))?;
        let mut files = Vec::new();
        for entry in entries {
            let path = entry
                .map_err(|e| format!("cannot read cassettes in {}: {e}", at.display()))?
                .path();
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            if path.extension().is_some_and(|x| x == "json") && name.contains(needle) {
                files.push(path);
            }
        }
        if !needle.is_empty() && files.is_empty() {
            return Err(format!(
                "{} holds no {needle} cassette (*{needle}*.json)",
                at.display()
            ));
        }
        files.sort();
        out.extend(files.into_iter().map(|f| (format!("{version}/{group}"), f)));
    }
    if out.is_empty() {
        let groups: Vec<String> = GROUPS
            .iter()
            .map(|(version, group, _)| format!("{version}/{group}"))
            .collect();
        return Err(format!(
            "{} exists but holds no cassette under cassettes/{{{}}}",
            dir.display(),
            groups.join(",")
        ));
    }
    Ok(out)
}

fn body_text(v: &Value) -> String {
    match v {
        Value::Object(m) => m
            .get("string")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        Value::String(s) => s.clone(),
        _ => String::new(),
    }
}

fn load(path: &Path) -> Vec<Interaction> {
    let text = std::fs::read_to_string(path).expect("cassette is readable");
    let doc: Value = serde_json::from_str(&text).expect("cassette is JSON");
    doc["http_interactions"]
        .as_array()
        .expect("interactions")
        .iter()
        .map(|i| Interaction {
            method: i["request"]["method"]
                .as_str()
                .unwrap_or_default()
                .to_uppercase(),
            uri: i["request"]["uri"]
                .as_str()
                .unwrap_or_default()
                .trim_start_matches(replay::RECORDED_HOST)
                .to_string(),
            body: body_text(&i["request"]["body"]),
            status: i["response"]["status"]["code"].as_u64().unwrap_or(0) as u16,
            response: body_text(&i["response"]["body"]),
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replays_recorded_exchanges() {
    let Some(dir) = shared_dir() else {
        println!(
            "conformance SKIPPED: no cassettes found (set DDHOOKS_SHARED_DIR or place shared/datadog-api beside the project)"
        );
        return;
    };
    let files = cassettes(&dir).unwrap_or_else(|e| panic!("conformance: {e}"));
    let mut summary = Summary::default();
    for (group, file) in files {
        let name = format!(
            "{group}/{}",
            file.file_stem().unwrap_or_default().to_string_lossy()
        );
        // Every notification-rule and dashboard exchange must be replayed: a skip there is a
        // failure.
        let must_replay = group.starts_with("v2/") || group == "v1/dashboards";
        replay(&name, &load(&file), must_replay, &mut summary).await;
    }
    summary.report("conformance summary");
}
#[test]
fn a_present_directory_without_cassettes_is_an_error_not_a_skip() {
    let empty = tempfile::tempdir().expect("tempdir");
    let err = cassettes(empty.path()).expect_err("no group directory");
    assert!(err.contains("cannot read cassettes"), "{err}");
    for (version, group, _) in GROUPS {
        std::fs::create_dir_all(empty.path().join("cassettes").join(version).join(group)).unwrap();
    }
    let err = cassettes(empty.path()).expect_err("no notification-rule cassette");
    assert!(err.contains("holds no notification-rule cassette"), "{err}");
    // A v2 monitors cassette of another endpoint does not count.
    std::fs::write(
        empty.path().join("cassettes/v2/monitors/Get-a-policy.json"),
        "{}",
    )
    .unwrap();
    let err = cassettes(empty.path()).expect_err("still no notification-rule cassette");
    assert!(err.contains("holds no notification-rule cassette"), "{err}");
    std::fs::write(
        empty
            .path()
            .join("cassettes/v2/monitors/Get-a-notification-rule.json"),
        "{}",
    )
    .unwrap();
    std::fs::write(
        empty.path().join("cassettes/v1/monitors/notes.frozen"),
        "not a cassette",
    )
    .unwrap();
    std::fs::write(empty.path().join("cassettes/v1/monitors/a.json"), "{}").unwrap();
    let found = cassettes(empty.path()).unwrap();
    let names: Vec<String> = found
        .iter()
        .map(|(group, file)| format!("{group}/{}", file.file_name().unwrap().to_string_lossy()))
        .collect();
    assert_eq!(
        names,
        [
            "v1/monitors/a.json",
            "v2/monitors/Get-a-notification-rule.json"
        ]
    );
}

/// The differences [`compare`] finds between a `recorded` and an `actual` body, from
/// their root.
fn differences(recorded: &Value, actual: &Value, ids: &Ids) -> Vec<String> {
    let mut out = Vec::new();
    compare("$", recorded, actual, ids, &mut out);
    out
}

#[test]
fn comparison_catches_differences() {
    let ids = Ids::from([("10".to_string(), "1".to_string())]);
    let out = differences(
        &json!({"id": 10, "a": 2, "created": "x", "draft_status": "published"}),
        &json!({"id": 1, "a": 2.0, "created": "y"}),
        &ids,
    );
    assert!(out.is_empty(), "{out:?}");
    let out = differences(
        &json!({"id": 10, "a": 2, "b": [1]}),
        &json!({"id": 2, "a": 3, "c": true}),
        &ids,
    );
    assert_eq!(out.len(), 4, "{out:?}");
}

#[test]
fn dashboard_ids_are_mapped_inside_urls_and_error_messages() {
    let ids = Ids::from([("8a5-8x9-spj".to_string(), "abc-def-ghi".to_string())]);
    let out = differences(
        &json!({"url": "/dashboard/8a5-8x9-spj/a-title",
            "errors": ["Dashboard with ID 8a5-8x9-spj not found"]}),
        &json!({"url": "/dashboard/abc-def-ghi/a-title",
            "errors": ["Dashboard with ID abc-def-ghi not found"]}),
        &ids,
    );
    assert!(out.is_empty(), "{out:?}");
    let out = differences(
        &json!({"url": "/dashboard/8a5-8x9-spj/a-title", "title": "8a5-8x9-spj"}),
        &json!({"url": "/dashboard/abc-def-ghi/another-title", "title": "abc-def-ghi"}),
        &ids,
    );
    assert_eq!(
        out.len(),
        2,
        "the slug and a title are compared as they are: {out:?}"
    );
}

#[test]
fn rule_ids_are_mapped_in_uris_and_bodies_and_users_compare_by_shape() {
    let ids = Ids::from([("5dca07c7".to_string(), "0a1b2c3d".to_string())]);
    assert_eq!(
        rewrite_uri("/api/v2/monitor/notification_rule/5dca07c7", &ids),
        "/api/v2/monitor/notification_rule/0a1b2c3d"
    );
    let body = r#"{"data":{"attributes":{"name":"5dca07c7x"},"id":"5dca07c7"}}"#;
    assert_eq!(
        rewrite_body(body, &ids),
        r#"{"data":{"attributes":{"name":"5dca07c7x"},"id":"0a1b2c3d"}}"#
    );
    assert_eq!(rewrite_body(r#"{"id": 12}"#, &ids), r#"{"id": 12}"#);
    let mut learned = Ids::new();
    learn_ids(
        &json!({"data": {"id": "r-1"}}),
        &json!({"data": {"id": "s-1"}}),
        &mut learned,
    );
    assert_eq!(learned.get("r-1").map(String::as_str), Some("s-1"));

    let user = |attributes: Value| json!({"included": [{"type": "users", "id": "u", "attributes": attributes}]});
    let out = differences(
        &user(json!({"name": "frog", "title": null, "verified": true})),
        &user(json!({"name": "sandbox", "title": "x", "verified": false, "uuid": "u"})),
        &ids,
    );
    assert!(out.is_empty(), "{out:?}");
    let out = differences(
        &user(json!({"name": "frog", "verified": true, "status": "Active"})),
        &user(json!({"name": 1, "verified": true, "extra": 2})),
        &ids,
    );
    assert_eq!(out.len(), 3, "{out:?}");
}
