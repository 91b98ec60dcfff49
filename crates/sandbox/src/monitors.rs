//! Monitors: validation, the server-side defaults Datadog fills in, and the list filters,
//! as pure functions over JSON so every field a client sends is stored and echoed.

use crate::data::{listing_array, Data};
use crate::error::ApiError;
use ddhooks_core::template;
use serde_json::{json, Map, Value};

/// The recorded 404 message for monitors.
pub const MONITOR_NOT_FOUND: &str = "Monitor not found";

/// Every monitor `type` the v1 spec accepts (`MonitorType`).
pub const MONITOR_TYPES: &[&str] = &[
    "composite",
    "event alert",
    "log alert",
    "metric alert",
    "process alert",
    "query alert",
    "rum alert",
    "service check",
    "synthetics alert",
    "trace-analytics alert",
    "slo alert",
    "event-v2 alert",
    "audit alert",
    "ci-pipelines alert",
    "ci-tests alert",
    "error-tracking alert",
    "database-monitoring alert",
    "network-performance alert",
    "cost alert",
    "data-quality alert",
    "network-path alert",
    "data-jobs alert",
    "llm-observability alert",
];

/// Event-based types, for which Datadog adds `options.groupby_simple_monitor: false`.
const EVENT_TYPES: &[&str] = &[
    "log alert",
    "rum alert",
    "ci-pipelines alert",
    "ci-tests alert",
    "error-tracking alert",
    "llm-observability alert",
];

/// Types whose query is not a threshold comparison.
const QUERY_WITHOUT_OPERATOR: &[&str] = &["composite", "service check", "synthetics alert"];

/// Fields the server owns: ignored when a client sends them.
const SERVER_FIELDS: &[&str] = &[
    "id",
    "org_id",
    "created",
    "created_at",
    "modified",
    "creator",
    "deleted",
    "multi",
    "overall_state",
    "overall_state_modified",
    "matching_downtimes",
    "restriction_policy",
];

/// Fields Datadog accepts and does not echo back (Terraform's provider records a
/// `classification` sent and never returned).
const NOT_ECHOED: &[&str] = &["classification"];

/// Who the sandbox says created a monitor, and which org it lives in.
#[derive(Debug, Clone)]
pub struct Identity {
    /// The org id put on every monitor.
    pub org_id: i64,
}

/// "Now" as the two formats monitors use: epoch milliseconds (whole seconds, as recorded)
/// and RFC 3339 with microseconds and `+00:00`.
#[derive(Debug, Clone)]
pub struct Now {
    /// `created_at`.
    pub millis: i64,
    /// `created` / `modified` / `overall_state_modified`.
    pub rfc3339: String,
}

impl Now {
    /// The current time.
    pub fn current() -> Self {
        let now = time::OffsetDateTime::now_utc();
        let format = time::macros::format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]+00:00"
        );
        Self {
            millis: now.unix_timestamp() * 1000,
            rfc3339: now
                .format(format)
                .unwrap_or_else(|_| "1970-01-01T00:00:00.000000+00:00".to_string()),
        }
    }
}

fn as_object(body: &Value) -> Result<&Map<String, Value>, ApiError> {
    body.as_object()
        .ok_or_else(|| ApiError::bad_request("Invalid JSON: expected an object"))
}

/// Type-checks the fields the sandbox interprets; `required` lists the ones that must be there.
fn check_fields(body: &Map<String, Value>, required: &[&str]) -> Result<(), ApiError> {
    for field in required {
        if body.get(*field).map_or(true, Value::is_null) {
            return Err(ApiError::bad_request(format!(
                "Missing required field '{field}'"
            )));
        }
    }
    let wrong = |field: &str, expected: &str| {
        ApiError::bad_request(format!(
            "The value provided for parameter '{field}' is invalid: expected {expected}"
        ))
    };
    for field in ["type", "query", "name", "message"] {
        if let Some(v) = body.get(field) {
            let null_allowed = v.is_null() && !required.contains(&field);
            if !v.is_string() && !null_allowed {
                return Err(wrong(field, "a string"));
            }
        }
    }
    if let Some(message) = body.get("message").and_then(Value::as_str) {
        // Sections nested deeper than `template::MAX_NESTING` are refused, as ddhooks' own
        // template parser refuses them.
        template::check_nesting(message).map_err(|err| {
            ApiError::bad_request(format!(
                "The value provided for parameter 'message' is invalid: {err}"
            ))
        })?;
    }
    for (field, expected) in [
        ("tags", "an array of strings"),
        ("restricted_roles", "an array of strings or null"),
    ] {
        if let Some(v) = body.get(field) {
            let ok = v.is_null()
                || v.as_array()
                    .is_some_and(|items| items.iter().all(Value::is_string));
            if !ok {
                return Err(wrong(field, expected));
            }
        }
    }
    if let Some(v) = body.get("options") {
        if !v.is_object() && !v.is_null() {
            return Err(wrong("options", "an object"));
        }
    }
    if let Some(v) = body.get("priority") {
        if !(v.is_null() || v.is_i64()) {
            return Err(wrong("priority", "an integer or null"));
        }
    }
    if let Some(v) = body.get("type").and_then(Value::as_str) {
        if !MONITOR_TYPES.contains(&v) {
            return Err(ApiError::bad_request(format!(
                "The value provided for parameter 'type' is invalid: unknown monitor type '{v}'"
            )));
        }
    }
    Ok(())
}

/// Datadog's check that a threshold monitor's query compares against something.
fn check_query(monitor_type: &str, query: &str) -> Result<(), ApiError> {
    if QUERY_WITHOUT_OPERATOR.contains(&monitor_type) {
        return Ok(());
    }
    let has_operator = ["<", ">", "==", "!="].iter().any(|op| query.contains(op));
    if has_operator {
        Ok(())
    } else {
        Err(ApiError::bad_request(
            "The value provided for parameter 'query' is invalid: invalid operator specified: ",
        ))
    }
}

/// The type Datadog stores: formula monitors come back as `metric alert`; a `metric alert`
/// over a calendar window (`avg(current_1mo):…`, as in the official client's recordings)
/// comes back as `query alert`; every other `metric alert` keeps its type, as Terraform's
/// provider records it (`avg(last_5m):…` stays `metric alert`).
fn normalize_type(monitor_type: &str, query: &str) -> String {
    match monitor_type {
        "metric alert" | "query alert" if query.trim_start().starts_with("formula(") => {
            "metric alert".to_string()
        }
        "metric alert" if has_calendar_window(query) => "query alert".to_string(),
        other => other.to_string(),
    }
}

/// Whether a metric query evaluates over a calendar window: its time aggregation reads
/// `current_1d`, `current_1w`, `current_1mo`, … (`avg(current_1mo):avg:system.load.5{*} > 1`).
fn has_calendar_window(query: &str) -> bool {
    let head = query.split_once("):").map_or("", |(head, _)| head);
    head.split_once('(')
        .is_some_and(|(_, window)| window.trim().starts_with("current_"))
}

/// The fields Datadog stores with surrounding whitespace trimmed (Terraform's provider
/// records it in its `TrimWhitespace` test): `message`, `query`, and
/// `options.escalation_message`.
fn trim_text_fields(monitor: &mut Map<String, Value>) {
    for key in ["message", "query"] {
        trim_string(monitor.get_mut(key));
    }
    if let Some(Value::Object(options)) = monitor.get_mut("options") {
        trim_string(options.get_mut("escalation_message"));
    }
}

fn trim_string(value: Option<&mut Value>) {
    if let Some(Value::String(text)) = value {
        let trimmed = text.trim();
        if trimmed.len() != text.len() {
            *text = trimmed.to_string();
        }
    }
}

/// A monitor as the answer of a create or an update shows it: as stored, with
/// `restriction_policy`, which Datadog shows there and never in a read.
pub fn write_answer(mut monitor: Map<String, Value>) -> Map<String, Value> {
    let policy = monitor.remove("restriction_policy").unwrap_or(Value::Null);
    // Recorded after `priority`, before `overall_state_modified`.
    let mut out = Map::new();
    for (key, value) in monitor {
        if key == "overall_state_modified" {
            out.insert("restriction_policy".into(), policy.clone());
        }
        out.insert(key, value);
    }
    out.entry("restriction_policy").or_insert(policy);
    out
}

/// A monitor as a read shows it with `with_restricted_roles=false`: without
/// `restricted_roles`.
pub fn without_restricted_roles(mut monitor: Map<String, Value>) -> Map<String, Value> {
    monitor.remove("restricted_roles");
    monitor
}

/// A query grouped `by` something makes a multi-alert monitor.
fn is_multi(query: &str) -> bool {
    query.contains(".by(") || query.contains(" by {") || query.contains(" by{")
}

/// Fills the option defaults Datadog adds and normalises thresholds, keeping given keys
/// first (in their order) like the recordings do.
pub fn normalize_options(options: Option<&Map<String, Value>>, monitor_type: &str) -> Value {
    let mut out = Map::new();
    let given = options.cloned().unwrap_or_default();
    let on_missing_data_given = given.contains_key("on_missing_data");
    for (key, value) in given {
        match key.as_str() {
            "on_missing_data" if value == json!("default") => {}
            "thresholds" => {
                let mut thresholds = Map::new();
                if let Value::Object(map) = value {
                    for (name, v) in map {
                        match v {
                            Value::Null => {}
                            Value::Number(n) => {
                                let f = n.as_f64().map(Value::from).unwrap_or(Value::Number(n));
                                thresholds.insert(name, f);
                            }
                            other => {
                                thresholds.insert(name, other);
                            }
                        }
                    }
                }
                // An empty `thresholds` is not stored (recorded by Terraform's provider).
                if !thresholds.is_empty() {
                    out.insert(key, Value::Object(thresholds));
                }
            }
            _ => {
                out.insert(key, value);
            }
        }
    }
    if !on_missing_data_given && !out.contains_key("notify_no_data") {
        out.insert("notify_no_data".into(), json!(false));
    }
    let defaults = [
        ("notify_audit", json!(false)),
        ("new_host_delay", json!(300)),
        ("include_tags", json!(true)),
    ];
    for (key, value) in defaults {
        if !out.contains_key(key) {
            out.insert(key.into(), value);
        }
    }
    if EVENT_TYPES.contains(&monitor_type) && !out.contains_key("groupby_simple_monitor") {
        out.insert("groupby_simple_monitor".into(), json!(false));
    }
    if !out.contains_key("silenced") {
        out.insert("silenced".into(), json!({}));
    }
    Value::Object(out)
}

fn normalize_assets(assets: &Value, id: i64) -> Value {
    match assets {
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| match item {
                    Value::Object(map) => {
                        let mut out = Map::new();
                        out.insert("monitor_id".into(), json!(id));
                        for (k, v) in map {
                            out.insert(k.clone(), v.clone());
                        }
                        out.entry("template_variables").or_insert(json!({}));
                        out.entry("options").or_insert(json!({}));
                        Value::Object(out)
                    }
                    other => other.clone(),
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Validation shared by create and the two validate endpoints.
pub fn validate(body: &Value) -> Result<(), ApiError> {
    let body = as_object(body)?;
    check_fields(body, &["type", "query"])?;
    let monitor_type = body.get("type").and_then(Value::as_str).unwrap_or_default();
    let query = body
        .get("query")
        .and_then(Value::as_str)
        .unwrap_or_default();
    check_query(monitor_type, query)
}

/// `POST /api/v1/monitor`: validates, assigns an id and stores the full monitor.
pub fn create(
    data: &mut Data,
    body: &Value,
    identity: &Identity,
    now: &Now,
) -> Result<Map<String, Value>, ApiError> {
    validate(body)?;
    let body = as_object(body)?;
    let given_type = body.get("type").and_then(Value::as_str).unwrap_or_default();
    let query = body
        .get("query")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let monitor_type = normalize_type(given_type, query);
    let id = data.next_monitor_id;
    let text = |field: &str| body.get(field).cloned().unwrap_or(json!(""));
    let mut m = Map::new();
    m.insert("id".into(), json!(id));
    m.insert("org_id".into(), json!(identity.org_id));
    m.insert("type".into(), json!(monitor_type));
    m.insert("name".into(), text("name"));
    m.insert("message".into(), text("message"));
    m.insert(
        "tags".into(),
        match body.get("tags") {
            Some(Value::Array(tags)) => Value::Array(tags.clone()),
            _ => json!([]),
        },
    );
    m.insert("query".into(), json!(query));
    m.insert(
        "options".into(),
        normalize_options(
            body.get("options").and_then(Value::as_object),
            &monitor_type,
        ),
    );
    m.insert("multi".into(), json!(is_multi(query)));
    m.insert("created_at".into(), json!(now.millis));
    m.insert("created".into(), json!(now.rfc3339));
    m.insert("modified".into(), json!(now.rfc3339));
    m.insert("deleted".into(), Value::Null);
    m.insert(
        "priority".into(),
        body.get("priority").cloned().unwrap_or(Value::Null),
    );
    m.insert(
        "restricted_roles".into(),
        body.get("restricted_roles").cloned().unwrap_or(Value::Null),
    );
    m.insert(
        "draft_status".into(),
        body.get("draft_status")
            .cloned()
            .unwrap_or(json!("published")),
    );
    m.insert(
        "assets".into(),
        normalize_assets(body.get("assets").unwrap_or(&json!([])), id),
    );
    m.insert("overall_state_modified".into(), Value::Null);
    m.insert("overall_state".into(), json!("No Data"));
    m.insert(
        "creator".into(),
        json!({
            "name": "Sandbox User",
            "handle": "sandbox@example.com",
            "email": "sandbox@example.com",
            "id": 1
        }),
    );
    for (key, value) in body {
        if !m.contains_key(key)
            && !SERVER_FIELDS.contains(&key.as_str())
            && !NOT_ECHOED.contains(&key.as_str())
        {
            m.insert(key.clone(), value.clone());
        }
    }
    trim_text_fields(&mut m);
    data.next_monitor_id += 1;
    data.monitors.insert(id, m.clone());
    Ok(m)
}

/// Parses a monitor id path segment; anything that is not an id is simply not found.
pub fn parse_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>()
        .map_err(|_| ApiError::not_found(MONITOR_NOT_FOUND))
}

/// `GET /api/v1/monitor/{id}`.
pub fn get(data: &Data, id: i64) -> Result<Map<String, Value>, ApiError> {
    data.monitors
        .get(&id)
        .cloned()
        .ok_or_else(|| ApiError::not_found(MONITOR_NOT_FOUND))
}

/// `PUT /api/v1/monitor/{id}`: merges top-level fields, replaces `options` whole (then fills
/// the defaults again). The answer has no `creator`, as recorded.
pub fn update(
    data: &mut Data,
    id: i64,
    body: &Value,
    now: &Now,
) -> Result<Map<String, Value>, ApiError> {
    let mut m = get(data, id)?;
    let body = as_object(body)?;
    check_fields(body, &[])?;
    let current_type = m
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let monitor_type = body
        .get("type")
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or(current_type);
    let query = body
        .get("query")
        .or_else(|| m.get("query"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    if body.contains_key("type") || body.contains_key("query") {
        check_query(&monitor_type, &query)?;
    }
    let monitor_type = normalize_type(&monitor_type, &query);
    for (key, value) in body {
        if SERVER_FIELDS.contains(&key.as_str()) || NOT_ECHOED.contains(&key.as_str()) {
            continue;
        }
        match key.as_str() {
            "options" => {
                m.insert(
                    key.clone(),
                    normalize_options(value.as_object(), &monitor_type),
                );
            }
            "assets" => {
                m.insert(key.clone(), normalize_assets(value, id));
            }
            "tags" if value.is_null() => {
                m.insert(key.clone(), json!([]));
            }
            _ => {
                m.insert(key.clone(), value.clone());
            }
        }
    }
    m.insert("type".into(), json!(monitor_type));
    m.insert("multi".into(), json!(is_multi(&query)));
    m.insert("modified".into(), json!(now.rfc3339));
    trim_text_fields(&mut m);
    data.monitors.insert(id, m.clone());
    m.remove("creator");
    Ok(m)
}

/// `DELETE /api/v1/monitor/{id}`.
pub fn delete(data: &mut Data, id: i64) -> Result<Value, ApiError> {
    data.monitors
        .remove(&id)
        .map(|_| json!({ "deleted_monitor_id": id }))
        .ok_or_else(|| ApiError::not_found(MONITOR_NOT_FOUND))
}

/// Query parameters of `GET /api/v1/monitor` that the sandbox honours.
#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct ListQuery {
    /// Page number, 0-based; absent means everything.
    pub page: Option<String>,
    /// Page size, default 100, at most 1000.
    pub page_size: Option<String>,
    /// Comma-separated monitor tags that must all be present.
    pub monitor_tags: Option<String>,
    /// Comma-separated scope tags that must all appear in the query.
    pub tags: Option<String>,
    /// Substring of the name (case-insensitive).
    pub name: Option<String>,
    /// Comma-separated group states; only validated.
    pub group_states: Option<String>,
    /// Only monitors with a larger id.
    pub id_offset: Option<String>,
}

fn parse_int(field: &str, raw: &str) -> Result<i64, ApiError> {
    raw.trim().parse::<i64>().map_err(|_| {
        ApiError::bad_request(format!(
            "The value provided for parameter '{field}' is invalid: expected an integer"
        ))
    })
}

fn split_list(raw: &str) -> impl Iterator<Item = &str> {
    raw.split(',').map(str::trim).filter(|s| !s.is_empty())
}

/// `GET /api/v1/monitor`: filters, then pages when `page` is given; the answer's bytes, put
/// together from each monitor's stored listing answer ([`MonitorTable`]: every listed
/// monitor carries `matching_downtimes`, as recorded).
///
/// [`MonitorTable`]: crate::data::MonitorTable
pub fn list(data: &Data, query: &ListQuery) -> Result<Vec<u8>, ApiError> {
    if let Some(states) = &query.group_states {
        let valid = ["all", "alert", "warn", "no data", "ok"];
        if split_list(states).any(|s| !valid.contains(&s.to_ascii_lowercase().as_str())) {
            return Err(ApiError::bad_request("Invalid group_state filters."));
        }
    }
    let page = query
        .page
        .as_deref()
        .map(|p| parse_int("page", p))
        .transpose()?;
    let page_size = query
        .page_size
        .as_deref()
        .map(|p| parse_int("page_size", p))
        .transpose()?
        .unwrap_or(100);
    if page.is_some_and(|p| p < 0) {
        return Err(ApiError::bad_request(
            "The value provided for parameter 'page' is invalid: it must be >= 0",
        ));
    }
    if !(1..=1000).contains(&page_size) {
        return Err(ApiError::bad_request(
            "The value provided for parameter 'page_size' is invalid: it must be between 1 and 1000",
        ));
    }
    let id_offset = query
        .id_offset
        .as_deref()
        .map(|p| parse_int("id_offset", p))
        .transpose()?;
    let name = query.name.as_deref().map(str::to_lowercase);
    let monitor_tags: Vec<&str> = query
        .monitor_tags
        .as_deref()
        .map(split_list)
        .into_iter()
        .flatten()
        .collect();
    let scope_tags: Vec<&str> = query
        .tags
        .as_deref()
        .map(split_list)
        .into_iter()
        .flatten()
        .collect();
    let matching = data.monitors.listed().filter(|(id, m, _)| {
        if id_offset.is_some_and(|offset| **id <= offset) {
            return false;
        }
        if let Some(name) = &name {
            let monitor_name = m.get("name").and_then(Value::as_str).unwrap_or_default();
            if !monitor_name.to_lowercase().contains(name.as_str()) {
                return false;
            }
        }
        // Only what a filter asks for is looked at: an unfiltered page of a large org
        // costs no allocation per monitor it skips.
        if !monitor_tags.is_empty() {
            let tags = m.get("tags").and_then(Value::as_array);
            let has =
                |t: &&str| tags.is_some_and(|tags| tags.iter().any(|x| x.as_str() == Some(*t)));
            if !monitor_tags.iter().all(has) {
                return false;
            }
        }
        if scope_tags.is_empty() {
            return true;
        }
        let q = m.get("query").and_then(Value::as_str).unwrap_or_default();
        scope_tags.iter().all(|t| q.contains(t))
    });
    let answers = matching.map(|(_, _, bytes)| bytes);
    let Some(page) = page else {
        return Ok(listing_array(answers));
    };
    let skip = usize::try_from(page.saturating_mul(page_size)).unwrap_or(usize::MAX);
    let take = usize::try_from(page_size).unwrap_or(100);
    let unfiltered =
        id_offset.is_none() && name.is_none() && monitor_tags.is_empty() && scope_tags.is_empty();
    Ok(if unfiltered {
        // What ddhooks asks for: the page is a slice of the table.
        let page = data.monitors.listed_from(skip).take(take);
        listing_array(page.map(|(_, _, bytes)| bytes))
    } else {
        listing_array(answers.skip(skip).take(take))
    })
}
