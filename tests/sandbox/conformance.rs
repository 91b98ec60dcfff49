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
//!   `assets`, `restricted`, `run_as`, `options.avalanche_window`, `options.locked`, and a
//!   webhook's `auth_method_id` (every answer since 2025; the 2022 recordings lack it).
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

/// Keys whose values are never compared (see the module docs).
const IGNORED: &[&str] = &[
    "org_id",
    "creator",
    "created",
    "created_at",
    "modified",
    "modified_at",
    "overall_state_modified",
    "author_handle",
    "author_name",
];

/// Keys holding ids: compared through the id map.
const ID_KEYS: &[&str] = &[
    "id",
    "deleted_monitor_id",
    "monitor_id",
    "deleted_dashboard_id",
];

/// Keys whose text names ids (a dashboard's `url`, a 404's message): compared after the
/// recorded ids in them are mapped.
const ID_TEXT_KEYS: &[&str] = &["url", "errors"];

/// Keys tolerated when present on one side only.
const TOLERATED: &[&str] = &[
    "restriction_policy",
    "draft_status",
    "assets",
    "restricted",
    "run_as",
    "avalanche_window",
    "locked",
    "auth_method_id",
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

/// Attributes of an `included` user that only some recordings have.
const USER_TOLERATED: &[&str] = &["uuid", "last_login_time"];

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
        ["api", "v1", "dashboard"] => method == "GET" || method == "POST",
        ["api", "v1", "dashboard", _] => ["GET", "PUT", "DELETE"].contains(&method),
        ["api", "v2", "monitor", "notification_rule"] => method == "GET" || method == "POST",
        ["api", "v2", "monitor", "notification_rule", _] => {
            ["GET", "PATCH", "DELETE"].contains(&method)
        }
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

/// Recorded ids (as text: numbers for monitors, UUIDs for rules) to the sandbox's.
type Ids = HashMap<String, String>;

/// An id value as text: a number or a string.
fn id_text(v: &Value) -> Option<String> {
    match v {
        Value::Number(n) => n.as_i64().map(|n| n.to_string()),
        Value::String(s) => Some(s.clone()),
        _ => None,
    }
}

fn rewrite_uri(uri: &str, ids: &Ids) -> String {
    let (path, query) = match uri.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (uri, None),
    };
    let path: Vec<String> = path
        .split('/')
        .map(|seg| ids.get(seg).cloned().unwrap_or_else(|| seg.to_string()))
        .collect();
    let path = path.join("/");
    match query {
        Some(q) => format!("{path}?{q}"),
        None => path,
    }
}

/// A request body with every string value that is a recorded id replaced by the sandbox's
/// (a PATCH names the rule in `data.id`); the text unchanged when there is none.
fn rewrite_body(body: &str, ids: &Ids) -> String {
    fn walk(v: &mut Value, ids: &Ids) -> bool {
        match v {
            Value::String(s) => match ids.get(s.as_str()) {
                Some(mapped) => {
                    *s = mapped.clone();
                    true
                }
                None => false,
            },
            Value::Array(items) => items.iter_mut().fold(false, |hit, x| walk(x, ids) | hit),
            Value::Object(m) => m.values_mut().fold(false, |hit, x| walk(x, ids) | hit),
            _ => false,
        }
    }
    let Ok(mut value) = serde_json::from_str::<Value>(body) else {
        return body.to_string();
    };
    if walk(&mut value, ids) {
        value.to_string()
    } else {
        body.to_string()
    }
}

/// `value` with every word of its strings that is a recorded id replaced by the sandbox's
/// (`/dashboard/8a5-8x9-spj/title` → `/dashboard/abc-def-ghi/title`); a word is a run of
/// letters, digits and hyphens.
fn map_ids_in_texts(value: &Value, ids: &Ids) -> Value {
    match value {
        Value::String(text) => {
            let mut out = String::with_capacity(text.len());
            let mut word = String::new();
            let flush = |word: &mut String, out: &mut String| {
                out.push_str(ids.get(word.as_str()).unwrap_or(word));
                word.clear();
            };
            for c in text.chars() {
                if c.is_ascii_alphanumeric() || c == '-' {
                    word.push(c);
                } else {
                    flush(&mut word, &mut out);
                    out.push(c);
                }
            }
            flush(&mut word, &mut out);
            Value::String(out)
        }
        Value::Array(items) => {
            Value::Array(items.iter().map(|v| map_ids_in_texts(v, ids)).collect())
        }
        other => other.clone(),
    }
}

/// Learns recorded → sandbox ids from a pair of answers (`id`, or v2's `data.id`).
fn learn_ids(recorded: &Value, actual: &Value, ids: &mut Ids) {
    let id = |v: &Value| {
        v.get("id")
            .or_else(|| v.get("data").and_then(|d| d.get("id")))
            .and_then(id_text)
    };
    if let (Some(r), Some(a)) = (id(recorded), id(actual)) {
        ids.entry(r).or_insert(a);
    }
}

/// The v2 `included` users: who recorded the cassette, so only their shape is compared.
fn compare_users(at: &str, recorded: &Value, actual: &Value, out: &mut Vec<String>) {
    let (Some(r), Some(a)) = (recorded.as_array(), actual.as_array()) else {
        return out.push(format!("{at}: recorded {recorded}, got {actual}"));
    };
    if r.len() != a.len() {
        return out.push(format!(
            "{at}: {} users recorded, {} answered",
            r.len(),
            a.len()
        ));
    }
    let kind = |v: &Value| match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    for (i, (ru, au)) in r.iter().zip(a).enumerate() {
        if ru["type"] != au["type"] {
            out.push(format!(
                "{at}[{i}].type: recorded {}, got {}",
                ru["type"], au["type"]
            ));
        }
        let empty = serde_json::Map::new();
        let ra = ru["attributes"].as_object().unwrap_or(&empty);
        let aa = au["attributes"].as_object().unwrap_or(&empty);
        let keys: BTreeSet<&String> = ra.keys().chain(aa.keys()).collect();
        for key in keys {
            let path = format!("{at}[{i}].attributes.{key}");
            match (ra.get(key), aa.get(key)) {
                (Some(Value::Null), Some(_)) | (Some(_), Some(Value::Null)) => {}
                (Some(rv), Some(av)) if kind(rv) != kind(av) => out.push(format!(
                    "{path}: recorded a {}, got a {}",
                    kind(rv),
                    kind(av)
                )),
                (Some(_), Some(_)) => {}
                _ if USER_TOLERATED.contains(&key.as_str()) => {}
                (Some(rv), None) => out.push(format!("{path}: missing (recorded {rv})")),
                (None, Some(av)) => out.push(format!("{path}: unexpected (got {av})")),
                (None, None) => {}
            }
        }
    }
}

fn compare(at: &str, recorded: &Value, actual: &Value, ids: &Ids, out: &mut Vec<String>) {
    match (recorded, actual) {
        (Value::Object(r), Value::Object(a)) => {
            let keys: BTreeSet<&String> = r.keys().chain(a.keys()).collect();
            for key in keys {
                if IGNORED.contains(&key.as_str()) {
                    continue;
                }
                let path = format!("{at}.{key}");
                match (r.get(key), a.get(key)) {
                    (Some(rv), Some(av)) if key == "included" => compare_users(&path, rv, av, out),
                    (Some(rv), Some(av)) if ID_KEYS.contains(&key.as_str()) => {
                        if let Some(mapped) = id_text(rv).and_then(|id| ids.get(&id)) {
                            if id_text(av).as_ref() != Some(mapped) {
                                out.push(format!("{path}: expected id {mapped}, got {av}"));
                            }
                        }
                    }
                    (Some(rv), Some(av)) if ID_TEXT_KEYS.contains(&key.as_str()) => {
                        compare(&path, &map_ids_in_texts(rv, ids), av, ids, out)
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
async fn seed_monitors(h: &Sandbox, interactions: &[Interaction], ids: &mut Ids) {
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
    let seeds = seen.into_iter().map(|(id, item)| (id.to_string(), item));
    let keys = [
        "type", "query", "name", "message", "tags", "options", "priority",
    ];
    create_seeds(h, "/api/v1/monitor", json!({}), &keys, seeds, ids).await;
}

/// Creates the dashboards a recorded listing shows that no create of the cassette made (they
/// pre-existed in the recording org: presets and older dashboards), oldest first, as the
/// listing orders them, so the paged answers can be compared in full. Each gets what its
/// summary shows (title, description, layout) and no widget, since a summary has none.
async fn seed_dashboards(h: &Sandbox, interactions: &[Interaction], ids: &mut Ids) {
    let created: BTreeSet<String> = interactions
        .iter()
        .filter(|it| it.method == "POST" && it.uri == "/api/v1/dashboard")
        .filter_map(|it| parse(&it.response).get("id").and_then(id_text))
        .collect();
    let mut seen = BTreeMap::new();
    for it in interactions {
        let is_list = it.method == "GET" && it.uri.split('?').next() == Some("/api/v1/dashboard");
        if !is_list {
            continue;
        }
        for item in parse(&it.response)["dashboards"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let Some(id) = item.get("id").and_then(id_text) else {
                continue;
            };
            if !created.contains(&id) {
                let created_at = item["created_at"].as_str().unwrap_or_default().to_string();
                seen.insert((created_at, id), item.clone());
            }
        }
    }
    let seeds = seen.into_iter().map(|((_, id), item)| (id, item));
    let keys = ["title", "description", "layout_type", "is_read_only"];
    let base = json!({"widgets": []});
    create_seeds(h, "/api/v1/dashboard", base, &keys, seeds, ids).await;
}

/// Creates, in the order given, one object through `POST path` per recorded `(id, item)`:
/// `base` plus the fields `keys` copies from the item; maps the recorded id to the new one.
async fn create_seeds(
    h: &Sandbox,
    path: &str,
    base: Value,
    keys: &[&str],
    seeds: impl Iterator<Item = (String, Value)>,
    ids: &mut Ids,
) {
    for (id, item) in seeds {
        let mut body = base.clone();
        for key in keys {
            if let Some(v) = item.get(*key) {
                body[*key] = v.clone();
            }
        }
        let (status, created) = h.call(Method::POST, path, Some(body)).await;
        assert!(
            status.is_success(),
            "seeding {path} {id}: {status} {created}"
        );
        if let Some(new_id) = created.get("id").and_then(id_text) {
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
        // Every notification-rule and dashboard exchange must be replayed: a skip there is a
        // failure.
        let must_replay = group.starts_with("v2/") || group == "v1/dashboards";
        let interactions = load(&file);
        summary.cassettes += 1;
        summary.interactions += interactions.len();
        if let Some(reason) = dependency(&interactions) {
            if must_replay {
                summary
                    .mismatches
                    .push(format!("{name}: skipped whole ({reason})"));
            }
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
        let mut ids = Ids::new();
        seed_monitors(&h, &interactions, &mut ids).await;
        seed_dashboards(&h, &interactions, &mut ids).await;
        for (n, it) in interactions.iter().enumerate() {
            if let Some(reason) = unserved(&it.method, &it.uri) {
                if must_replay {
                    summary.mismatches.push(format!(
                        "{name}#{n} {} {}: not replayed ({reason})",
                        it.method, it.uri
                    ));
                }
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
                    .body(rewrite_body(&it.body, &ids));
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

#[test]
fn comparison_catches_differences() {
    let ids = Ids::from([("10".to_string(), "1".to_string())]);
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

#[test]
fn dashboard_ids_are_mapped_inside_urls_and_error_messages() {
    let ids = Ids::from([("8a5-8x9-spj".to_string(), "abc-def-ghi".to_string())]);
    let mut out = Vec::new();
    compare(
        "$",
        &json!({"url": "/dashboard/8a5-8x9-spj/a-title",
            "errors": ["Dashboard with ID 8a5-8x9-spj not found"]}),
        &json!({"url": "/dashboard/abc-def-ghi/a-title",
            "errors": ["Dashboard with ID abc-def-ghi not found"]}),
        &ids,
        &mut out,
    );
    assert!(out.is_empty(), "{out:?}");
    compare(
        "$",
        &json!({"url": "/dashboard/8a5-8x9-spj/a-title", "title": "8a5-8x9-spj"}),
        &json!({"url": "/dashboard/abc-def-ghi/another-title", "title": "abc-def-ghi"}),
        &ids,
        &mut out,
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
    let mut out = Vec::new();
    compare(
        "$",
        &user(json!({"name": "frog", "title": null, "verified": true})),
        &user(json!({"name": "sandbox", "title": "x", "verified": false, "uuid": "u"})),
        &ids,
        &mut out,
    );
    assert!(out.is_empty(), "{out:?}");
    compare(
        "$",
        &user(json!({"name": "frog", "verified": true, "status": "Active"})),
        &user(json!({"name": 1, "verified": true, "extra": 2})),
        &ids,
        &mut out,
    );
    assert_eq!(out.len(), 3, "{out:?}");
}
