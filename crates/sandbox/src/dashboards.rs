//! Dashboards (API v1): Datadog's checks on a dashboard, the fields the server adds (id,
//! url, author, times, widget ids, defaults), the listing's paging and what a `check_status`
//! widget shows, as pure functions over [`Data`], so that every check runs before anything
//! is stored and the status boards ddhooks provisions can be tested without an account.

use crate::data::Data;
use crate::error::ApiError;
use crate::integration::parse_body;
use crate::monitors::Now;
use crate::rules::sandbox_user;
use ddhooks_datadog::wire::{
    Dashboard, DashboardDeleted, DashboardList, DashboardSummary, DashboardWidget, ServiceCheck,
};
use serde::Serialize;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// The layouts a dashboard may have.
pub const LAYOUT_TYPES: &[&str] = &["ordered", "free"];

/// The groupings a `check_status` widget may have.
pub const GROUPINGS: &[&str] = &["check", "cluster"];

/// The listing's page size when `count` is not given (the spec's default).
pub const DEFAULT_COUNT: usize = 100;

/// Fields the server owns: whatever a client sends for them is replaced.
const SERVER_FIELDS: &[&str] = &[
    "id",
    "author_handle",
    "author_name",
    "url",
    "created_at",
    "modified_at",
    "deleted_at",
];

/// The widest widget id handed out: ids stay exact in every JSON reader (below 2^53),
/// like Datadog's 16-digit ones.
const MAX_WIDGET_ID: i64 = (1 << 53) - 1;

fn invalid(reason: impl std::fmt::Display) -> ApiError {
    ApiError::bad_request(format!("Invalid dashboard: {reason}"))
}

/// The recorded 404 (`Dashboard with ID … not found`).
fn not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("Dashboard with ID {id} not found"))
}

/// A new id shaped like Datadog's (`abc-def-ghi`: three groups of three lower-case letters
/// and digits) that no dashboard of `data` has.
pub fn unused_id(data: &Data) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    loop {
        let mut id = String::with_capacity(11);
        for i in 0..9 {
            if i > 0 && i % 3 == 0 {
                id.push('-');
            }
            let index = rand::random_range(0..ALPHABET.len());
            id.push(char::from(ALPHABET[index]));
        }
        if !data.dashboards.contains_key(&id) {
            return id;
        }
    }
}

/// The slug Datadog puts after the id in a dashboard's url: the title in lower case, runs
/// of spaces and hyphens as one hyphen, every other character that is not a letter or a
/// digit dropped (`Test-Update_a (x) widget` → `test-updatea-x-widget`).
pub fn slug(title: &str) -> String {
    let mut out = String::new();
    let mut hyphen = false;
    for c in title.chars() {
        if c.is_whitespace() || c == '-' {
            hyphen = !out.is_empty();
        } else if c.is_alphanumeric() {
            if hyphen {
                out.push('-');
                hyphen = false;
            }
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// `/dashboard/{id}/{slug}`, as every answer shows it.
pub fn url(id: &str, title: &str) -> String {
    format!("/dashboard/{id}/{}", slug(title))
}

/// A string field that must be there, or a 400 naming it.
fn required_text<'a>(body: &'a Map<String, Value>, field: &str) -> Result<&'a str, ApiError> {
    match body.get(field) {
        None | Some(Value::Null) => Err(invalid(format!("'{field}' is required"))),
        Some(Value::String(text)) => Ok(text),
        Some(other) => Err(invalid(format!("'{field}' must be a string, not {other}"))),
    }
}

/// A widget layout: four whole numbers, none negative.
fn check_layout(at: &str, layout: &Value) -> Result<(), ApiError> {
    let Some(layout) = layout.as_object() else {
        return Err(invalid(format!("{at}.layout must be an object")));
    };
    for field in ["x", "y", "width", "height"] {
        match layout.get(field).and_then(Value::as_i64) {
            Some(n) if n >= 0 => {}
            _ => {
                return Err(invalid(format!(
                    "{at}.layout.{field} is required and must be a non-negative integer"
                )))
            }
        }
    }
    Ok(())
}

/// A `check_status` definition: `check` (a name) and `grouping` (`check` or `cluster`) are
/// required, as the spec says.
fn check_check_status(at: &str, definition: &Map<String, Value>) -> Result<(), ApiError> {
    match definition.get("check").and_then(Value::as_str) {
        Some(check) if !check.trim().is_empty() => {}
        _ => {
            return Err(invalid(format!(
                "{at}.definition.check is required for a check_status widget"
            )))
        }
    }
    match definition.get("grouping").and_then(Value::as_str) {
        Some(grouping) if GROUPINGS.contains(&grouping) => Ok(()),
        _ => Err(invalid(format!(
            "{at}.definition.grouping is required for a check_status widget and must be one of {}",
            GROUPINGS.join(", ")
        ))),
    }
}

/// One list of widgets (a dashboard's, or a `group` widget's): every widget an object with
/// a `definition` holding a `type` (any type is stored as given), a layout where `free`
/// needs one, and `check_status` definitions complete.
fn check_widgets(at: &str, widgets: &Value, free: bool) -> Result<(), ApiError> {
    let Some(widgets) = widgets.as_array() else {
        return Err(invalid(format!("'{at}' must be an array")));
    };
    for (i, widget) in widgets.iter().enumerate() {
        let at = format!("{at}[{i}]");
        let Some(widget) = widget.as_object() else {
            return Err(invalid(format!("{at} must be an object")));
        };
        let Some(definition) = widget.get("definition").and_then(Value::as_object) else {
            return Err(invalid(format!("{at}.definition is required")));
        };
        let Some(kind) = definition.get("type").and_then(Value::as_str) else {
            return Err(invalid(format!("{at}.definition.type is required")));
        };
        match widget.get("layout") {
            None | Some(Value::Null) if free => {
                return Err(invalid(format!(
                    "{at}.layout is required on a dashboard with layout_type free"
                )))
            }
            None | Some(Value::Null) => {}
            Some(layout) => check_layout(&at, layout)?,
        }
        if let Some(id) = widget.get("id") {
            if !id.as_i64().is_some_and(|id| id > 0) {
                return Err(invalid(format!("{at}.id must be a positive integer")));
            }
        }
        match kind {
            "check_status" => check_check_status(&at, definition)?,
            "group" => {
                if let Some(inner) = definition.get("widgets") {
                    check_widgets(&format!("{at}.definition.widgets"), inner, false)?;
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Checks a create or PUT body against Datadog's rules for a dashboard (`title`,
/// `layout_type` `ordered` or `free`, `widgets` with their definitions and, on `free`,
/// layouts; `check_status` widgets with `check` and `grouping`) and returns what will be
/// stored, without the fields the server owns.
pub fn validate(body: &Value) -> Result<Dashboard, ApiError> {
    let Some(object) = body.as_object() else {
        return Err(ApiError::bad_request("Invalid JSON: expected an object"));
    };
    let title = required_text(object, "title")?;
    if title.trim().is_empty() {
        return Err(invalid("'title' must not be empty"));
    }
    let layout_type = required_text(object, "layout_type")?;
    if !LAYOUT_TYPES.contains(&layout_type) {
        return Err(invalid(format!(
            "'layout_type' must be one of {}, not '{layout_type}'",
            LAYOUT_TYPES.join(", ")
        )));
    }
    let Some(widgets) = object.get("widgets") else {
        return Err(invalid("'widgets' is required"));
    };
    check_widgets("widgets", widgets, layout_type == "free")?;
    for (field, is_list) in [
        ("notify_list", true),
        ("template_variables", true),
        ("restricted_roles", true),
        ("is_read_only", false),
    ] {
        let ok = match object.get(field) {
            None | Some(Value::Null) => true,
            Some(Value::Array(_)) => is_list,
            Some(Value::Bool(_)) => !is_list,
            Some(_) => false,
        };
        if !ok {
            let expected = if is_list { "an array" } else { "a boolean" };
            return Err(invalid(format!("'{field}' must be {expected}")));
        }
    }
    let mut dashboard: Dashboard = parse_body(body)?;
    dashboard.id = None;
    for field in SERVER_FIELDS {
        dashboard.extra.remove(*field);
    }
    Ok(dashboard)
}

/// A widget id no widget of `taken` has.
fn unused_widget_id(taken: &mut Vec<i64>) -> i64 {
    loop {
        let id = rand::random_range(1..=MAX_WIDGET_ID);
        if !taken.contains(&id) {
            taken.push(id);
            return id;
        }
    }
}

/// Gives every widget without an id one, the widgets inside `group` widgets too, as
/// Terraform's provider records (a widget sent with its id keeps it; ids are unique over
/// the whole dashboard).
fn number_widgets(widgets: &mut [DashboardWidget]) {
    let mut taken: Vec<i64> = Vec::new();
    for widget in widgets.iter() {
        taken.extend(widget.id);
        if let Some(Value::Array(inner)) = widget.definition.get("widgets") {
            taken.extend(inner.iter().filter_map(|w| w.get("id")?.as_i64()));
        }
    }
    for widget in widgets.iter_mut() {
        if widget.id.is_none() {
            widget.id = Some(unused_widget_id(&mut taken));
        }
        let is_group = widget.definition.get("type").and_then(Value::as_str) == Some("group");
        let Some(Value::Array(inner)) = widget.definition.get_mut("widgets") else {
            continue;
        };
        if !is_group {
            continue;
        }
        for inner in inner.iter_mut().filter_map(Value::as_object_mut) {
            if inner.get("id").map_or(true, Value::is_null) {
                // Recorded after `definition` and `layout`: appended, as a map keeps order.
                inner.insert("id".into(), json!(unused_widget_id(&mut taken)));
            }
        }
    }
}

/// The fields the server adds to a valid dashboard: its id, url, author and times, the
/// widgets' ids and the recorded defaults (`description`, `notify_list` and
/// `template_variables` `null`). `is_read_only` and `restricted_roles` are answered only when
/// sent: Terraform's 2026 recordings lack them, where the official client's of 2024 showed
/// `false` and `[]`.
fn complete(
    mut dashboard: Dashboard,
    id: &str,
    author: (Value, Value),
    created_at: &str,
    modified_at: &str,
) -> Dashboard {
    dashboard.id = Some(id.to_string());
    number_widgets(&mut dashboard.widgets);
    let extra = &mut dashboard.extra;
    extra.insert("url".into(), json!(url(id, &dashboard.title)));
    extra.insert("author_handle".into(), author.0);
    extra.insert("author_name".into(), author.1);
    extra.insert("created_at".into(), json!(created_at));
    extra.insert("modified_at".into(), json!(modified_at));
    for (field, default) in [
        ("notify_list", Value::Null),
        ("template_variables", Value::Null),
    ] {
        let value = extra.entry(field).or_insert(Value::Null);
        if value.is_null() {
            *value = default;
        }
    }
    dashboard
}

/// The author of every dashboard the sandbox creates: the sandbox user of the rules.
fn sandbox_author() -> (Value, Value) {
    let user = sandbox_user();
    (
        user["attributes"]["handle"].clone(),
        user["attributes"]["name"].clone(),
    )
}

/// `POST /api/v1/dashboard`: stores the dashboard under `id` and answers it as stored.
pub fn create(data: &mut Data, dashboard: Dashboard, id: &str, now: &Now) -> Dashboard {
    let stored = complete(dashboard, id, sandbox_author(), &now.rfc3339, &now.rfc3339);
    data.dashboards.insert(id.to_string(), stored.clone());
    stored
}

/// `GET /api/v1/dashboard/{id}`.
pub fn get(data: &Data, id: &str) -> Result<Dashboard, ApiError> {
    data.dashboards
        .get(id)
        .cloned()
        .ok_or_else(|| not_found(id))
}

/// `PUT /api/v1/dashboard/{id}`: replaces the whole dashboard (what the body leaves out is
/// gone), keeps its id, author and `created_at`, sets `modified_at`.
pub fn update(
    data: &mut Data,
    id: &str,
    dashboard: Dashboard,
    now: &Now,
) -> Result<Dashboard, ApiError> {
    let existing = data.dashboards.get(id).ok_or_else(|| not_found(id))?;
    let field = |name: &str| existing.extra.get(name).cloned().unwrap_or(Value::Null);
    let author = (field("author_handle"), field("author_name"));
    let created_at = field("created_at");
    let created_at = created_at.as_str().unwrap_or(&now.rfc3339).to_string();
    let stored = complete(dashboard, id, author, &created_at, &now.rfc3339);
    data.dashboards.insert(id.to_string(), stored.clone());
    Ok(stored)
}

/// `DELETE /api/v1/dashboard/{id}`: the recorded `{"deleted_dashboard_id": id}`.
pub fn delete(data: &mut Data, id: &str) -> Result<DashboardDeleted, ApiError> {
    data.dashboards.remove(id).ok_or_else(|| not_found(id))?;
    Ok(DashboardDeleted {
        deleted_dashboard_id: id.to_string(),
    })
}

/// The listing's query parameters as sent (all text, checked by [`ListQuery::parse`]).
#[derive(Debug, Default, serde::Deserialize)]
pub struct RawListQuery {
    count: Option<String>,
    start: Option<String>,
    #[serde(rename = "filter[shared]")]
    shared: Option<String>,
    #[serde(rename = "filter[deleted]")]
    deleted: Option<String>,
}

/// `GET /api/v1/dashboard`'s parameters, checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListQuery {
    count: usize,
    start: usize,
    /// `filter[shared]=true` or `filter[deleted]=true`: the sandbox shares no dashboard and
    /// keeps no deleted one, so these listings are empty.
    only_absent: bool,
}

fn whole_number(name: &str, text: Option<&str>) -> Result<Option<usize>, ApiError> {
    text.map(|text| {
        text.trim().parse::<usize>().map_err(|_| {
            ApiError::bad_request(format!(
                "Invalid {name}: '{text}' must be a non-negative integer"
            ))
        })
    })
    .transpose()
}

fn boolean(name: &str, text: Option<&str>) -> Result<bool, ApiError> {
    match text {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(other) => Err(ApiError::bad_request(format!(
            "Invalid {name}: '{other}' must be true or false"
        ))),
    }
}

impl ListQuery {
    /// Checks the parameters: `count` (default 100) and `start` (default 0) whole numbers,
    /// `filter[shared]` and `filter[deleted]` booleans, not both true.
    pub fn parse(raw: RawListQuery) -> Result<Self, ApiError> {
        let count = whole_number("count", raw.count.as_deref())?.unwrap_or(DEFAULT_COUNT);
        let start = whole_number("start", raw.start.as_deref())?.unwrap_or(0);
        let shared = boolean("filter[shared]", raw.shared.as_deref())?;
        let deleted = boolean("filter[deleted]", raw.deleted.as_deref())?;
        if shared && deleted {
            return Err(ApiError::bad_request(
                "Invalid filter: filter[deleted] cannot be combined with filter[shared]",
            ));
        }
        Ok(Self {
            count,
            start,
            only_absent: shared || deleted,
        })
    }
}

/// A dashboard as the listing shows it: without its widgets and the fields only a read
/// of one dashboard has, with `deleted_at` (always `null` here).
fn summary(dashboard: &Dashboard) -> DashboardSummary {
    let mut extra = Map::new();
    extra.insert("description".into(), json!(dashboard.description));
    extra.insert("layout_type".into(), json!(dashboard.layout_type));
    for field in [
        "url",
        "is_read_only",
        "created_at",
        "modified_at",
        "author_handle",
    ] {
        // Every recorded listing shows `is_read_only`, `false` unless set.
        let absent = if field == "is_read_only" {
            json!(false)
        } else {
            Value::Null
        };
        let value = dashboard.extra.get(field).cloned().unwrap_or(absent);
        extra.insert(field.into(), value);
    }
    extra.insert("deleted_at".into(), Value::Null);
    DashboardSummary {
        id: dashboard.id.clone().unwrap_or_default(),
        title: dashboard.title.clone(),
        extra,
    }
}

/// `GET /api/v1/dashboard`: `count` summaries from `start`, oldest first (by `created_at`,
/// then id), as the recorded pages are ordered.
pub fn list(data: &Data, query: &ListQuery) -> DashboardList {
    if query.only_absent {
        return DashboardList {
            dashboards: Vec::new(),
        };
    }
    let created = |d: &Dashboard| {
        d.extra
            .get("created_at")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let mut all: Vec<(String, &String, &Dashboard)> = data
        .dashboards
        .iter()
        .map(|(id, d)| (created(d), id, d))
        .collect();
    all.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
    DashboardList {
        dashboards: all
            .into_iter()
            .skip(query.start)
            .take(query.count)
            .map(|(_, _, d)| summary(d))
            .collect(),
    }
}

/// One group of a `check_status` widget with `grouping: cluster`: a distinct tag set and
/// the latest run reported for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckGroup {
    /// The group's tags, sorted, each once.
    pub tags: Vec<String>,
    /// The latest run's status (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN).
    pub status: u8,
    /// The host of the latest run.
    pub host_name: String,
}

/// How many groups are in each status, as the widget's summary shows them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct StatusCounts {
    /// Groups whose latest run is 0.
    #[serde(rename = "OK")]
    pub ok: usize,
    /// Groups whose latest run is 1.
    #[serde(rename = "WARNING")]
    pub warning: usize,
    /// Groups whose latest run is 2.
    #[serde(rename = "CRITICAL")]
    pub critical: usize,
    /// Groups whose latest run is 3 (or anything else).
    #[serde(rename = "UNKNOWN")]
    pub unknown: usize,
}

/// What a `check_status` widget with `grouping: cluster` would show for one check: the
/// answer of `GET /sandbox/v1/check_status`, so tests of status boards can read the board a
/// person would see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckStatus {
    /// The check's name.
    pub check: String,
    /// Every group, sorted by tags.
    pub groups: Vec<CheckGroup>,
    /// Groups by status.
    pub counts: StatusCounts,
}

/// The groups of the runs of `check` (in the order received) that carry every tag of
/// `tags`: a group per distinct sorted tag set, holding the status and host of its last
/// run, and how many groups are in each status.
pub fn check_status(runs: &[ServiceCheck], check: &str, tags: &[String]) -> CheckStatus {
    let mut latest: BTreeMap<Vec<String>, &ServiceCheck> = BTreeMap::new();
    for run in runs
        .iter()
        .filter(|run| run.check == check && tags.iter().all(|t| run.tags.contains(t)))
    {
        let mut group = run.tags.clone();
        group.sort();
        group.dedup();
        latest.insert(group, run);
    }
    let mut counts = StatusCounts::default();
    let groups = latest
        .into_iter()
        .map(|(tags, run)| {
            match run.status {
                0 => counts.ok += 1,
                1 => counts.warning += 1,
                2 => counts.critical += 1,
                _ => counts.unknown += 1,
            }
            CheckGroup {
                tags,
                status: run.status,
                host_name: run.host_name.clone(),
            }
        })
        .collect();
    CheckStatus {
        check: check.to_string(),
        groups,
        counts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(check: &str, host: &str, status: u8, tags: &[&str]) -> ServiceCheck {
        ServiceCheck {
            check: check.to_string(),
            host_name: host.to_string(),
            status,
            tags: tags.iter().map(|t| t.to_string()).collect(),
            message: None,
            timestamp: None,
        }
    }

    #[test]
    fn the_latest_run_of_each_tag_set_counts_once() {
        let runs = [
            run("app.up", "h1", 2, &["env:prod", "team:a"]),
            run("app.up", "h2", 0, &["team:a", "env:prod"]),
            run("app.up", "h3", 1, &["env:prod", "team:b"]),
            run("other", "h4", 2, &["env:prod", "team:c"]),
            run("app.up", "h5", 3, &["env:dev", "team:a"]),
            run("app.up", "h6", 2, &["team:b", "env:prod", "env:prod"]),
        ];
        let status = check_status(&runs, "app.up", &[]);
        let groups: Vec<(Vec<String>, u8, &str)> = status
            .groups
            .iter()
            .map(|g| (g.tags.clone(), g.status, g.host_name.as_str()))
            .collect();
        let tags = |t: &[&str]| t.iter().map(|t| t.to_string()).collect::<Vec<_>>();
        assert_eq!(
            groups,
            [
                (tags(&["env:dev", "team:a"]), 3, "h5"),
                (tags(&["env:prod", "team:a"]), 0, "h2"),
                (tags(&["env:prod", "team:b"]), 2, "h6"),
            ]
        );
        assert_eq!(
            status.counts,
            StatusCounts {
                ok: 1,
                warning: 0,
                critical: 1,
                unknown: 1
            }
        );
        let prod = check_status(&runs, "app.up", &tags(&["env:prod"]));
        assert_eq!(prod.groups.len(), 2);
        assert_eq!((prod.counts.ok, prod.counts.critical), (1, 1));
        let none = check_status(&runs, "app.up", &tags(&["env:prod", "team:z"]));
        assert!(none.groups.is_empty());
        assert_eq!(none.counts, StatusCounts::default());
    }

    #[test]
    fn slugs_are_the_recorded_ones() {
        assert_eq!(
            slug("Test-Update_a_dashboard_returns_OK_response-1731699190 with list_stream widget"),
            "test-updateadashboardreturnsokresponse-1731699190-with-liststream-widget"
        );
        assert_eq!(
            slug("OpenStack Controller Overview [Default Microversion]"),
            "openstack-controller-overview-default-microversion"
        );
        assert_eq!(slug("  a -- b  "), "a-b");
    }

    #[test]
    fn ids_are_three_groups_of_three() {
        let id = unused_id(&Data::default());
        let parts: Vec<&str> = id.split('-').collect();
        assert_eq!(parts.len(), 3, "{id}");
        assert!(parts.iter().all(|p| p.len() == 3
            && p.chars()
                .all(|c| c.is_ascii_digit() || c.is_ascii_lowercase())));
    }

    #[test]
    fn invalid_bodies_name_what_is_wrong() {
        let widget = json!({"definition": {"type": "note", "content": "x"}});
        let cases = [
            (json!({"layout_type": "ordered", "widgets": []}), "'title'"),
            (
                json!({"title": "t", "layout_type": "grid", "widgets": []}),
                "'layout_type'",
            ),
            (json!({"title": "t", "layout_type": "ordered"}), "'widgets'"),
            (
                json!({"title": "t", "layout_type": "free", "widgets": [widget]}),
                "widgets[0].layout",
            ),
            (
                json!({"title": "t", "layout_type": "ordered", "widgets": [
                    {"definition": {"type": "check_status", "grouping": "check"}}]}),
                "definition.check",
            ),
            (
                json!({"title": "t", "layout_type": "ordered", "widgets": [
                    {"definition": {"type": "check_status", "check": "c", "grouping": "host"}}]}),
                "definition.grouping",
            ),
            (
                json!({"title": "t", "layout_type": "ordered", "widgets": [{"definition": {
                    "type": "group", "widgets": [{"definition": {"type": "check_status"}}]}}]}),
                "widgets[0].definition.widgets[0].definition.check",
            ),
        ];
        for (body, needle) in cases {
            let err = validate(&body).expect_err("invalid");
            assert_eq!(err.status, 400);
            assert!(err.message.contains(needle), "{needle}: {}", err.message);
        }
        let unknown = json!({"title": "t", "layout_type": "ordered",
            "widgets": [{"definition": {"type": "from_the_future", "x": 1}}]});
        assert!(validate(&unknown).is_ok());
    }
}
