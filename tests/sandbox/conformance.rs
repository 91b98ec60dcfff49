//! Conformance: replays every recorded Datadog exchange for the endpoints the sandbox serves
//! against a fresh in-process sandbox per cassette, and compares status codes and bodies as
//! JSON values.
//!
//! The cassettes are read from `DDHOOKS_SHARED_DIR` or `$CARGO_MANIFEST_DIR/../shared/datadog-api`
//! (never copied into the project). When the default directory is absent the test says so
//! and passes; when the directory exists (or `DDHOOKS_SHARED_DIR` names one) but cannot be
//! read or holds no cassette of the groups below, the test fails.
//!
//! What is not compared, and why:
//! - `id`, `deleted_monitor_id`, `monitor_id`: the sandbox assigns its own ids. A recorded id
//!   seen in a create answer is mapped to the sandbox's id; later URIs are rewritten with the
//!   mapping, and later ids must equal the mapped value. Unmapped ids are ignored.
//! - `org_id`, `creator`: which org and user recorded the cassette.
//! - `created`, `created_at`, `modified`, `overall_state_modified`: wall-clock times.
//! - Tolerated when present on one side only, compared when on both: fields Datadog added in
//!   later API versions or shows only in some orgs — `restriction_policy`, `draft_status`,
//!   `assets`, `restricted`, `run_as`, `options.avalanche_window`, `options.locked`.
//! - Numbers compare by value (`2` equals `2.0`: old recordings have integer thresholds).
//!
//! Interactions on endpoints the sandbox does not serve (v2 roles, downtimes, synthetics,
//! monitor search and group search, can_delete) are skipped and counted with the reason. A
//! cassette in which a skipped *write* mentions an id that a later replayed interaction uses
//! (a downtime on the created monitor, a synthetics test that creates a monitor) is skipped
//! whole, since the sandbox cannot reproduce its effect.

use crate::kit::cli::{API_KEY, APP_KEY};
use crate::kit::sandbox::{decode, Sandbox};

use reqwest::Method;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

const GROUPS: &[&str] = &[
    "webhooks_integration",
    "monitors",
    "service_checks",
    "authentication",
];

/// Keys whose values are never compared (see the module docs).
const IGNORED: &[&str] = &[
    "org_id",
    "creator",
    "created",
    "created_at",
    "modified",
    "overall_state_modified",
];

/// Keys holding ids: compared through the id map.
const ID_KEYS: &[&str] = &["id", "deleted_monitor_id", "monitor_id"];

/// Keys tolerated when present on one side only.
const TOLERATED: &[&str] = &[
    "restriction_policy",
    "draft_status",
    "assets",
    "restricted",
    "run_as",
    "avalanche_window",
    "locked",
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

/// Every cassette (`*.json`) of [`GROUPS`] under `dir`, by group, sorted; an error when a
/// group's directory cannot be read or when there is no cassette at all.
fn cassettes(dir: &Path) -> Result<Vec<(&'static str, PathBuf)>, String> {
    let mut out = Vec::new();
    for group in GROUPS {
        let at = dir.join("cassettes/v1").join(group);
        let entries = std::fs::read_dir(&at)
            .map_err(|e| format!("cannot read cassettes in {}: {e}", at.display()))?;
        let mut files = Vec::new();
        for entry in entries {
            let path = entry
                .map_err(|e| format!("cannot read cassettes in {}: {e}", at.display()))?
                .path();
            if path.extension().is_some_and(|x| x == "json") {
                files.push(path);
            }
        }
        files.sort();
        out.extend(files.into_iter().map(|f| (*group, f)));
    }
    if out.is_empty() {
        return Err(format!(
            "{} exists but holds no cassette under cassettes/v1/{{{}}}",
            dir.display(),
            GROUPS.join(",")
        ));
    }
    Ok(out)
}

struct Interaction {
    method: String,
    uri: String,
    body: String,
    status: u16,
    response: String,
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
                .trim_start_matches("https://api.datadoghq.com")
                .to_string(),
            body: body_text(&i["request"]["body"]),
            status: i["response"]["status"]["code"].as_u64().unwrap_or(0) as u16,
            response: body_text(&i["response"]["body"]),
        })
        .collect()
}

/// Why the sandbox does not serve an interaction, or `None` when it does.
fn unserved(method: &str, uri: &str) -> Option<&'static str> {
    let path = uri.split('?').next().unwrap_or_default();
    let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let is_id = |s: &str| s.parse::<i64>().is_ok();
    let served = match segs.as_slice() {
        ["api", "v1", "integration", "webhooks", "configuration", kind] => {
            (*kind == "webhooks" || *kind == "custom-variables") && method == "POST"
        }
        ["api", "v1", "integration", "webhooks", "configuration", kind, _] => {
            (*kind == "webhooks" || *kind == "custom-variables")
                && ["GET", "PUT", "DELETE"].contains(&method)
        }
        ["api", "v1", "monitor"] => method == "GET" || method == "POST",
        ["api", "v1", "monitor", "validate"] => method == "POST",
        ["api", "v1", "monitor", id] if is_id(id) => ["GET", "PUT", "DELETE"].contains(&method),
        ["api", "v1", "monitor", id, "validate"] if is_id(id) => method == "POST",
        ["api", "v1", "check_run"] => method == "POST",
        ["api", "v1", "validate"] => method == "GET",
        _ => false,
    };
    if served {
        return None;
    }
    Some(match segs.as_slice() {
        ["api", "v2", "roles", ..] => "v2 roles",
        ["api", "v1", "downtime", ..] => "downtimes",
        ["api", "v1", "synthetics", ..] => "synthetics",
        ["api", "v1", "monitor", "search"] => "monitor search",
        ["api", "v1", "monitor", "groups", "search"] => "monitor group search",
        ["api", "v1", "monitor", "can_delete"] => "monitor can_delete",
        _ => "other endpoint",
    })
}

/// Every integer (≥ 1000, to skip statuses and small counts) anywhere in a JSON text.
fn big_ints(text: &str, out: &mut BTreeSet<i64>) {
    fn walk(v: &Value, out: &mut BTreeSet<i64>) {
        match v {
            Value::Number(n) => {
                if let Some(i) = n.as_i64().filter(|i| *i >= 1000) {
                    out.insert(i);
                }
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            Value::Object(m) => m.values().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    if let Ok(v) = serde_json::from_str::<Value>(text) {
        walk(&v, out);
    }
}

/// The reason a cassette cannot be replayed at all, if any.
fn dependency(interactions: &[Interaction]) -> Option<String> {
    for (i, it) in interactions.iter().enumerate() {
        let Some(reason) = unserved(&it.method, &it.uri) else {
            continue;
        };
        if it.method == "GET" {
            continue;
        }
        let mut ids = BTreeSet::new();
        big_ints(&it.body, &mut ids);
        big_ints(&it.response, &mut ids);
        for later in &interactions[i + 1..] {
            if unserved(&later.method, &later.uri).is_some() {
                continue;
            }
            let mentions = ids.iter().any(|id| {
                let id = id.to_string();
                later.uri.split(['/', '?', '=', '&']).any(|seg| seg == id)
            });
            if mentions {
                return Some(format!(
                    "depends on a skipped {reason} write ({} {})",
                    it.method, it.uri
                ));
            }
        }
    }
    None
}

fn rewrite_uri(uri: &str, ids: &HashMap<i64, i64>) -> String {
    let (path, query) = match uri.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (uri, None),
    };
    let path: Vec<String> = path
        .split('/')
        .map(
            |seg| match seg.parse::<i64>().ok().and_then(|n| ids.get(&n)) {
                Some(mapped) => mapped.to_string(),
                None => seg.to_string(),
            },
        )
        .collect();
    let path = path.join("/");
    match query {
        Some(q) => format!("{path}?{q}"),
        None => path,
    }
}

/// Learns recorded → sandbox ids from a pair of answers.
fn learn_ids(recorded: &Value, actual: &Value, ids: &mut HashMap<i64, i64>) {
    if let (Some(r), Some(a)) = (
        recorded.get("id").and_then(Value::as_i64),
        actual.get("id").and_then(Value::as_i64),
    ) {
        ids.entry(r).or_insert(a);
    }
}

fn compare(
    at: &str,
    recorded: &Value,
    actual: &Value,
    ids: &HashMap<i64, i64>,
    out: &mut Vec<String>,
) {
    match (recorded, actual) {
        (Value::Object(r), Value::Object(a)) => {
            let keys: BTreeSet<&String> = r.keys().chain(a.keys()).collect();
            for key in keys {
                if IGNORED.contains(&key.as_str()) {
                    continue;
                }
                let path = format!("{at}.{key}");
                match (r.get(key), a.get(key)) {
                    (Some(rv), Some(av)) if ID_KEYS.contains(&key.as_str()) => {
                        if let Some(mapped) = rv.as_i64().and_then(|id| ids.get(&id)) {
                            if av.as_i64() != Some(*mapped) {
                                out.push(format!("{path}: expected id {mapped}, got {av}"));
                            }
                        }
                    }
                    (Some(rv), Some(av)) => compare(&path, rv, av, ids, out),
                    (Some(_), None) | (None, Some(_)) if TOLERATED.contains(&key.as_str()) => {}
                    (Some(rv), None) => out.push(format!("{path}: missing (recorded {rv})")),
                    (None, Some(av)) => out.push(format!("{path}: unexpected (got {av})")),
                    (None, None) => {}
                }
            }
        }
        (Value::Array(r), Value::Array(a)) => {
            if r.len() != a.len() {
                out.push(format!(
                    "{at}: {} items recorded, {} answered",
                    r.len(),
                    a.len()
                ));
                return;
            }
            for (i, (rv, av)) in r.iter().zip(a).enumerate() {
                compare(&format!("{at}[{i}]"), rv, av, ids, out);
            }
        }
        (Value::Number(r), Value::Number(a)) => {
            if r.as_f64() != a.as_f64() {
                out.push(format!("{at}: recorded {r}, got {a}"));
            }
        }
        (r, a) => {
            if r != a {
                out.push(format!("{at}: recorded {r}, got {a}"));
            }
        }
    }
}

fn parse(text: &str) -> Value {
    if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_string()))
    }
}

/// Creates the monitors a recorded list answer shows (they pre-existed in the recording org),
/// in id order, so the paged answers can be compared in full.
async fn seed_monitors(h: &Sandbox, interactions: &[Interaction], ids: &mut HashMap<i64, i64>) {
    let mut seen = BTreeMap::new();
    for it in interactions {
        let is_list = it.method == "GET" && it.uri.split('?').next() == Some("/api/v1/monitor");
        if !is_list {
            continue;
        }
        if let Value::Array(items) = parse(&it.response) {
            for item in items {
                if let Some(id) = item.get("id").and_then(Value::as_i64) {
                    seen.insert(id, item);
                }
            }
        }
    }
    for (id, item) in seen {
        let mut body = json!({});
        for key in [
            "type", "query", "name", "message", "tags", "options", "priority",
        ] {
            if let Some(v) = item.get(key) {
                body[key] = v.clone();
            }
        }
        let (status, created) = h.call(Method::POST, "/api/v1/monitor", Some(body)).await;
        assert!(
            status.is_success(),
            "seeding monitor {id}: {status} {created}"
        );
        if let Some(new_id) = created.get("id").and_then(Value::as_i64) {
            ids.insert(id, new_id);
        }
    }
}

#[derive(Default)]
struct Summary {
    cassettes: usize,
    cassettes_replayed: usize,
    interactions: usize,
    replayed: usize,
    skipped: BTreeMap<String, usize>,
    skipped_cassettes: Vec<(String, String)>,
    mismatches: Vec<String>,
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
        let interactions = load(&file);
        summary.cassettes += 1;
        summary.interactions += interactions.len();
        if let Some(reason) = dependency(&interactions) {
            summary.skipped_cassettes.push((name, reason));
            *summary
                .skipped
                .entry("whole cassette skipped (dependency)".to_string())
                .or_default() += interactions.len();
            continue;
        }
        summary.cassettes_replayed += 1;
        let without_keys = name.contains("Forbidden");
        let h = Sandbox::start(Default::default()).await;
        let mut ids = HashMap::new();
        seed_monitors(&h, &interactions, &mut ids).await;
        for (n, it) in interactions.iter().enumerate() {
            if let Some(reason) = unserved(&it.method, &it.uri) {
                *summary.skipped.entry(reason.to_string()).or_default() += 1;
                continue;
            }
            summary.replayed += 1;
            let uri = rewrite_uri(&it.uri, &ids);
            let method = Method::from_bytes(it.method.as_bytes()).expect("method");
            let mut req = h.http.request(method, format!("{}{uri}", h.base));
            if !without_keys {
                req = req
                    .header("DD-API-KEY", API_KEY)
                    .header("DD-APPLICATION-KEY", APP_KEY);
            }
            if !it.body.is_empty() {
                req = req
                    .header("Content-Type", "application/json")
                    .body(it.body.clone());
            }
            let (status, actual) = decode(req.send().await.expect("answered")).await;
            let recorded = parse(&it.response);
            let at = format!("{name}#{n} {} {}", it.method, it.uri);
            if status.as_u16() != it.status {
                summary.mismatches.push(format!(
                    "{at}: status recorded {}, got {status} ({actual})",
                    it.status
                ));
                continue;
            }
            learn_ids(&recorded, &actual, &mut ids);
            let mut diffs = Vec::new();
            compare("$", &recorded, &actual, &ids, &mut diffs);
            summary
                .mismatches
                .extend(diffs.into_iter().map(|d| format!("{at}: {d}")));
        }
        h.stop().await;
    }
    println!("conformance summary");
    println!(
        "  cassettes: {} ({} replayed, {} skipped whole)",
        summary.cassettes,
        summary.cassettes_replayed,
        summary.skipped_cassettes.len()
    );
    println!(
        "  interactions: {} recorded, {} replayed",
        summary.interactions, summary.replayed
    );
    for (reason, count) in &summary.skipped {
        println!("  skipped {count}: {reason}");
    }
    for (name, reason) in &summary.skipped_cassettes {
        println!("  skipped cassette {name}: {reason}");
    }
    println!("  mismatches: {}", summary.mismatches.len());
    for m in &summary.mismatches {
        println!("    {m}");
    }
    assert!(summary.replayed > 0, "nothing was replayed");
    assert!(
        summary.mismatches.is_empty(),
        "{} mismatches",
        summary.mismatches.len()
    );
}

#[test]
fn a_present_directory_without_cassettes_is_an_error_not_a_skip() {
    let empty = tempfile::tempdir().expect("tempdir");
    let err = cassettes(empty.path()).expect_err("no group directory");
    assert!(err.contains("cannot read cassettes"), "{err}");
    for group in GROUPS {
        std::fs::create_dir_all(empty.path().join("cassettes/v1").join(group)).unwrap();
    }
    std::fs::write(
        empty.path().join("cassettes/v1/monitors/notes.frozen"),
        "not a cassette",
    )
    .unwrap();
    let err = cassettes(empty.path()).expect_err("no cassette");
    assert!(err.contains("holds no cassette"), "{err}");
    std::fs::write(empty.path().join("cassettes/v1/monitors/a.json"), "{}").unwrap();
    assert_eq!(cassettes(empty.path()).unwrap().len(), 1);
}

#[test]
fn comparison_catches_differences() {
    let ids = HashMap::from([(10, 1)]);
    let mut out = Vec::new();
    compare(
        "$",
        &json!({"id": 10, "a": 2, "created": "x", "draft_status": "published"}),
        &json!({"id": 1, "a": 2.0, "created": "y"}),
        &ids,
        &mut out,
    );
    assert!(out.is_empty(), "{out:?}");
    compare(
        "$",
        &json!({"id": 10, "a": 2, "b": [1]}),
        &json!({"id": 2, "a": 3, "c": true}),
        &ids,
        &mut out,
    );
    assert_eq!(out.len(), 4, "{out:?}");
}
