//! The comparison and replay shared by every conformance test: which interactions the
//! sandbox serves, the id mapping, the keys ignored or tolerated (see the module docs of
//! `conformance`), and one cassette replayed against a fresh sandbox into a [`Summary`].

use crate::kit::cli::{API_KEY, APP_KEY};
use crate::kit::sandbox::{decode, Sandbox};

use reqwest::Method;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};

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
    "banner",
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
const ID_TEXT_KEYS: &[&str] = &["url", "errors", "related"];

/// The host of the recordings, which answers' links name.
pub const RECORDED_HOST: &str = "https://api.datadoghq.com";

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
    "mfa_enabled",
];

/// Attributes of an `included` user that only some recordings have.
const USER_TOLERATED: &[&str] = &["uuid", "last_login_time"];

/// One recorded exchange, whatever the cassette's format.
#[derive(Debug)]
pub struct Interaction {
    /// `GET`, `POST`, … (upper case).
    pub method: String,
    /// The path and query, without the host.
    pub uri: String,
    /// The request body (empty for none).
    pub body: String,
    /// The recorded status code.
    pub status: u16,
    /// The recorded response body (empty for none).
    pub response: String,
}

/// Why the sandbox does not serve an interaction, or `None` when it does.
pub fn unserved(method: &str, uri: &str) -> Option<&'static str> {
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
        ["api", "v1", "integration", "slack"] => method == "POST",
        ["api", "v1", "integration", "slack", "configuration", "accounts", _, "channels"] => {
            method == "GET" || method == "POST"
        }
        ["api", "v1", "integration", "slack", "configuration", "accounts", _, "channels", _] => {
            ["GET", "PATCH", "DELETE"].contains(&method)
        }
        ["api", "v1", "integration", "pagerduty", "configuration", "services"] => method == "POST",
        ["api", "v1", "integration", "pagerduty", "configuration", "services", _] => {
            ["GET", "PUT", "DELETE"].contains(&method)
        }
        ["api", "v2", "integration", "opsgenie", "services"]
        | ["api", "v2", "integration", "ms-teams", "configuration", "tenant-based-handles" | "workflows-webhook-handles"]
        | ["api", "v2", "team"]
        | ["api", "v2", "users"] => method == "GET" || method == "POST",
        ["api", "v2", "integration", "opsgenie", "services", _]
        | ["api", "v2", "integration", "ms-teams", "configuration", "tenant-based-handles" | "workflows-webhook-handles", _]
        | ["api", "v2", "team", _]
        | ["api", "v2", "users", _] => ["GET", "PATCH", "DELETE"].contains(&method),
        ["api", "v2", "integration", "ms-teams", "configuration", "channel", _, _, _] => {
            method == "GET"
        }
        ["api", "v2", "integration", "webhooks", "configuration", "auth-method"] => method == "GET",
        ["api", "v2", "integration", "webhooks", "configuration", "auth-method", "oauth2-client-credentials"] => {
            method == "POST"
        }
        ["api", "v2", "integration", "webhooks", "configuration", "auth-method", "oauth2-client-credentials", _] => {
            ["GET", "PATCH", "DELETE"].contains(&method)
        }
        _ => false,
    };
    if served {
        return None;
    }
    Some(match segs.as_slice() {
        _ if !uri.starts_with('/') => "another host",
        ["api", "v1", "integration", "pagerduty"] => "the PagerDuty integration as a whole",
        ["api", "v2", "roles", ..] => "v2 roles",
        ["api", "v2", "permissions", ..] => "v2 permissions",
        ["api", "v2", "restriction_policy", ..] => "v2 restriction policies",
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
pub fn dependency(interactions: &[Interaction]) -> Option<String> {
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
pub type Ids = HashMap<String, String>;

/// An id value as text: a number or a string.
fn id_text(v: &Value) -> Option<String> {
    match v {
        Value::Number(n) => n.as_i64().map(|n| n.to_string()),
        Value::String(s) => Some(s.clone()),
        _ => None,
    }
}

pub fn rewrite_uri(uri: &str, ids: &Ids) -> String {
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
pub fn rewrite_body(body: &str, ids: &Ids) -> String {
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
pub fn learn_ids(recorded: &Value, actual: &Value, ids: &mut Ids) {
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

pub fn compare(at: &str, recorded: &Value, actual: &Value, ids: &Ids, out: &mut Vec<String>) {
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

pub fn parse(text: &str) -> Value {
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
    let body = |item: &Value| copy_keys(json!({}), item, &keys);
    create_seeds(h, "/api/v1/monitor", body, seeds, ids).await;
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
    let body = |item: &Value| copy_keys(json!({"widgets": []}), item, &keys);
    create_seeds(h, "/api/v1/dashboard", body, seeds, ids).await;
}

/// The v2 objects (`data` items) a recorded listing of `path` shows that no `POST path` of
/// the cassette created: they pre-existed in the recording org. In the order the listings
/// first show them, each once.
fn listed_before(interactions: &[Interaction], path: &str) -> Vec<(String, Value)> {
    let created: BTreeSet<String> = interactions
        .iter()
        .filter(|it| it.method == "POST" && it.uri == path)
        .filter_map(|it| parse(&it.response)["data"].get("id").and_then(id_text))
        .collect();
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for it in interactions {
        if it.method != "GET" || it.uri.split('?').next() != Some(path) {
            continue;
        }
        for item in parse(&it.response)["data"].as_array().into_iter().flatten() {
            let Some(id) = item.get("id").and_then(id_text) else {
                continue;
            };
            if !created.contains(&id) && seen.insert(id.clone()) {
                out.push((id, item.clone()));
            }
        }
    }
    out
}

/// Creates the v2 handle destinations a recorded listing shows but the cassette never
/// created (users, Microsoft Teams handles of the recording org), in the order listed, so
/// the listings are compared in full. Every Microsoft Teams channel a recorded tenant-based
/// listing names is first given to the sandbox (`POST /sandbox/v1/ms-teams/channels`), as
/// Datadog reads it from Microsoft. A Workflows handle's URL is never answered, so a seed
/// gets a placeholder.
async fn seed_handles(h: &Sandbox, interactions: &[Interaction], ids: &mut Ids) {
    const TENANT: &str = "/api/v2/integration/ms-teams/configuration/tenant-based-handles";
    const WORKFLOWS: &str = "/api/v2/integration/ms-teams/configuration/workflows-webhook-handles";
    let mut channels = BTreeMap::new();
    for it in interactions {
        if it.method != "GET" || it.uri.split('?').next() != Some(TENANT) {
            continue;
        }
        for item in parse(&it.response)["data"].as_array().into_iter().flatten() {
            let a = &item["attributes"];
            if let Some(channel) = a["channel_id"].as_str() {
                channels.insert(channel.to_string(), a.clone());
            }
        }
    }
    for channel in channels.into_values() {
        // The listed attributes hold the channel's ids and names (the rest is ignored).
        let (status, answer) = h.post("/sandbox/v1/ms-teams/channels", channel).await;
        assert!(status.is_success(), "seeding a channel: {status} {answer}");
    }
    let v2 =
        |kind: &str, attributes: Value| json!({"data": {"type": kind, "attributes": attributes}});
    let users = listed_before(interactions, "/api/v2/users").into_iter();
    let body = |item: &Value| {
        let keys = ["email", "name", "title"];
        v2("users", copy_keys(json!({}), &item["attributes"], &keys))
    };
    create_seeds(h, "/api/v2/users", body, users, ids).await;
    let tenant = listed_before(interactions, TENANT).into_iter();
    let body = |item: &Value| {
        let keys = ["name", "tenant_id", "team_id", "channel_id"];
        v2(
            "tenant-based-handle",
            copy_keys(json!({}), &item["attributes"], &keys),
        )
    };
    create_seeds(h, TENANT, body, tenant, ids).await;
    let workflows = listed_before(interactions, WORKFLOWS).into_iter();
    let body = |item: &Value| {
        let base = json!({"url": "https://example.com/seeded-by-conformance"});
        v2(
            "workflows-webhook-handle",
            copy_keys(base, &item["attributes"], &["name"]),
        )
    };
    create_seeds(h, WORKFLOWS, body, workflows, ids).await;
}

/// `base` plus the fields `keys` that `item` has.
fn copy_keys(mut base: Value, item: &Value, keys: &[&str]) -> Value {
    for key in keys {
        if let Some(v) = item.get(*key) {
            base[*key] = v.clone();
        }
    }
    base
}

/// Creates, in the order given, one object through `POST path` per recorded `(id, item)`,
/// with the body `body` makes of the item; maps the recorded id to the new one (`id`, or
/// v2's `data.id`).
async fn create_seeds(
    h: &Sandbox,
    path: &str,
    body: impl Fn(&Value) -> Value,
    seeds: impl Iterator<Item = (String, Value)>,
    ids: &mut Ids,
) {
    for (id, item) in seeds {
        let (status, created) = h.post(path, body(&item)).await;
        assert!(
            status.is_success(),
            "seeding {path} {id}: {status} {created}"
        );
        let new_id = created
            .get("id")
            .or_else(|| created.get("data").and_then(|d| d.get("id")))
            .and_then(id_text);
        if let Some(new_id) = new_id {
            ids.insert(id, new_id);
        }
    }
}

/// Whether `diff` (of an answer to `uri`) is a change Datadog made over time or the effect
/// of a skipped write, which the comparison tolerates (see the module docs of `conformance`):
/// - a dashboard's `is_read_only` and `restricted_roles`, answered (`false`, `[]`) in the
///   official client's 2024 recordings and absent from Terraform's of 2026, which the
///   sandbox follows;
/// - a monitor's `restricted_roles` once a skipped restriction-policy write
///   (`/api/v2/restriction_policy/monitor:{id}`) has changed them
///   (`roles_changed_unseen`);
/// - a user listing's `meta.page.total_count`: every user of the recording org (215, or
///   251,410), of which a listing shows, and the replay seeds, only those the filter keeps.
fn tolerated_change(uri: &str, diff: &str, roles_changed_unseen: bool) -> bool {
    let dashboard = uri.starts_with("/api/v1/dashboard");
    let missing = |key: &str| diff.starts_with(&format!("$.{key}: missing"));
    let users = uri.split('?').next() == Some("/api/v2/users");
    (dashboard && (missing("is_read_only") || missing("restricted_roles")))
        || (users && diff.starts_with("$.meta.page.total_count:"))
        || (roles_changed_unseen
            && uri.starts_with("/api/v1/monitor/")
            && diff.starts_with("$.restricted_roles:"))
}

/// What the replays found, over every cassette of a test.
#[derive(Default)]
pub struct Summary {
    cassettes: usize,
    cassettes_replayed: usize,
    interactions: usize,
    replayed: usize,
    skipped: BTreeMap<String, usize>,
    skipped_cassettes: Vec<(String, String)>,
    mismatches: Vec<String>,
    per_cassette: Vec<String>,
}

impl Summary {
    /// Prints the figures (per cassette, then in total) under `title` and fails on any
    /// mismatch, or when nothing was replayed.
    pub fn report(&self, title: &str) {
        println!("{title}");
        for line in &self.per_cassette {
            println!("  {line}");
        }
        println!(
            "  cassettes: {} ({} replayed, {} skipped whole)",
            self.cassettes,
            self.cassettes_replayed,
            self.skipped_cassettes.len()
        );
        println!(
            "  interactions: {} recorded, {} replayed",
            self.interactions, self.replayed
        );
        for (reason, count) in &self.skipped {
            println!("  skipped {count}: {reason}");
        }
        for (name, reason) in &self.skipped_cassettes {
            println!("  skipped cassette {name}: {reason}");
        }
        println!("  mismatches: {}", self.mismatches.len());
        for m in &self.mismatches {
            println!("    {m}");
        }
        assert!(self.replayed > 0, "{title}: nothing was replayed");
        assert!(
            self.mismatches.is_empty(),
            "{title}: {} mismatches",
            self.mismatches.len()
        );
    }
}

/// Replays one cassette, `name`, against a fresh in-process sandbox into `summary`. With
/// `must_replay`, an interaction the sandbox does not serve (or a cassette skipped whole) is
/// a mismatch, not a skip.
pub async fn replay(
    name: &str,
    interactions: &[Interaction],
    must_replay: bool,
    summary: &mut Summary,
) {
    let mismatches_before = summary.mismatches.len();
    let mut replayed = 0;
    let mut skipped = 0;
    summary.cassettes += 1;
    summary.interactions += interactions.len();
    if let Some(reason) = dependency(interactions) {
        if must_replay {
            summary
                .mismatches
                .push(format!("{name}: skipped whole ({reason})"));
        }
        summary.per_cassette.push(format!(
            "{name}: skipped whole, {} interactions ({reason})",
            interactions.len()
        ));
        summary.skipped_cassettes.push((name.to_string(), reason));
        *summary
            .skipped
            .entry("whole cassette skipped (dependency)".to_string())
            .or_default() += interactions.len();
        return;
    }
    summary.cassettes_replayed += 1;
    let without_keys = name.contains("Forbidden");
    let h = Sandbox::start(Default::default()).await;
    let mut ids = Ids::new();
    let mut roles_changed_unseen = false;
    seed_monitors(&h, interactions, &mut ids).await;
    seed_dashboards(&h, interactions, &mut ids).await;
    seed_handles(&h, interactions, &mut ids).await;
    for (n, it) in interactions.iter().enumerate() {
        if let Some(reason) = unserved(&it.method, &it.uri) {
            roles_changed_unseen |=
                it.method != "GET" && it.uri.starts_with("/api/v2/restriction_policy/monitor:");
            if must_replay && it.uri.starts_with('/') {
                summary.mismatches.push(format!(
                    "{name}#{n} {} {}: not replayed ({reason})",
                    it.method, it.uri
                ));
            }
            *summary.skipped.entry(reason.to_string()).or_default() += 1;
            skipped += 1;
            continue;
        }
        summary.replayed += 1;
        replayed += 1;
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
        // Links name the API's host: the recording's is the sandbox's here.
        let recorded = parse(&it.response.replace(RECORDED_HOST, &h.base));
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
        diffs.retain(|d| !tolerated_change(&it.uri, d, roles_changed_unseen));
        summary
            .mismatches
            .extend(diffs.into_iter().map(|d| format!("{at}: {d}")));
    }
    h.stop().await;
    summary.per_cassette.push(format!(
        "{name}: {replayed} replayed, {skipped} skipped, {} mismatches",
        summary.mismatches.len() - mismatches_before
    ));
}
