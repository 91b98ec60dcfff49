//! Teams and users (v2): created, read, paged, updated, deleted (a user is disabled).

use super::*;
use crate::error::ApiError;
use crate::monitors::Now;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

// ---- Teams (v2) ----

pub(super) fn is_uuid(id: &str) -> bool {
    let parts: Vec<&str> = id.split('-').collect();
    parts.iter().map(|p| p.len()).eq([8, 4, 4, 4, 12])
        && parts
            .iter()
            .all(|p| p.chars().all(|c| c.is_ascii_hexdigit()))
}

/// The recorded 404s of teams and users: an id that is not a UUID, or one that is not there.
pub(super) fn no_such(id: &str) -> ApiError {
    if is_uuid(id) {
        ApiError::not_found(format!("{id} not found"))
    } else {
        ApiError::not_found(format!("{id} is not a valid UUID not found"))
    }
}

pub(super) fn team_relationships(id: &str) -> Value {
    json!({
        "team_links": {"links": {"related": format!("/api/v2/team/{id}/links")}},
        "user_team_permissions": {"links": {"related": format!("/api/v2/team/{id}/permission-settings")}},
    })
}

pub(super) fn team_answer(id: &str, attributes: &Map<String, Value>) -> Value {
    json!({"type": "team", "id": id, "attributes": attributes, "relationships": team_relationships(id)})
}

/// `POST /api/v2/team` (201): `handle` and `name` required, `description` optional (also
/// answered as `summary`); the create's answer alone carries `avatar`, `banner` (a random
/// colour number), `visible_modules` and `hidden_modules`, as recorded. A handle taken is a
/// 409 (assumed: handles are unique in an org).
pub fn create_team(
    dir: &mut Directory,
    id: &str,
    body: &Value,
    now: &Now,
) -> Result<Value, ApiError> {
    let given = attributes(body, "team")?;
    let handle = text(given, "handle")?.to_string();
    text(given, "name")?;
    if dir.teams.values().any(|t| t["handle"] == handle.as_str()) {
        return Err(ApiError::conflict(format!(
            "A team with handle {handle} already exists"
        )));
    }
    let mut stored = Map::new();
    copy(given, &mut stored, &["name", "handle"], false)?;
    let description = given.get("description").cloned().unwrap_or(Value::Null);
    stored.insert("summary".into(), description.clone());
    stored.insert("description".into(), description);
    stored.insert("created_at".into(), json!(now.rfc3339));
    stored.insert("modified_at".into(), json!(now.rfc3339));
    stored.insert("user_count".into(), json!(0));
    stored.insert("link_count".into(), json!(0));
    stored.insert("is_managed".into(), json!(false));
    dir.teams.insert(id.to_string(), stored.clone());
    let mut answer = stored;
    answer.insert("avatar".into(), Value::Null);
    answer.insert("banner".into(), json!(rand::random_range(0..16)));
    answer.insert("visible_modules".into(), json!([]));
    answer.insert("hidden_modules".into(), json!([]));
    Ok(json!({"data": team_answer(id, &answer)}))
}

/// `GET /api/v2/team/{id}`.
pub fn get_team(dir: &Directory, id: &str) -> Result<Value, ApiError> {
    let team = dir.teams.get(id).ok_or_else(|| no_such(id))?;
    Ok(json!({"data": team_answer(id, team)}))
}

/// `PATCH /api/v2/team/{id}` (200): `name`, `handle`, `description` given replace.
pub fn update_team(
    dir: &mut Directory,
    id: &str,
    body: &Value,
    now: &Now,
) -> Result<Value, ApiError> {
    let given = attributes(body, "team")?;
    let mut team = dir.teams.get(id).cloned().ok_or_else(|| no_such(id))?;
    copy(given, &mut team, &["name", "handle"], false)?;
    if let Some(description) = given.get("description") {
        team.insert("description".into(), description.clone());
        team.insert("summary".into(), description.clone());
    }
    team.insert("modified_at".into(), json!(now.rfc3339));
    dir.teams.insert(id.to_string(), team);
    get_team(dir, id)
}

/// `DELETE /api/v2/team/{id}` (204).
pub fn delete_team(dir: &mut Directory, id: &str) -> Result<(), ApiError> {
    dir.teams.remove(id).map(|_| ()).ok_or_else(|| no_such(id))
}

/// A listing's `page[size]` (from 1 to `max`, else `default`) and `page[number]` (from 0).
pub(super) fn paging(
    query: &BTreeMap<String, String>,
    default: usize,
    max: usize,
) -> Result<(usize, usize), ApiError> {
    let number = |key: &str, fallback: usize| -> Result<usize, ApiError> {
        query.get(key).map_or(Ok(fallback), |v| {
            v.parse()
                .map_err(|_| ApiError::bad_request(format!("{key} must be a number, not '{v}'")))
        })
    };
    let size = number("page[size]", default)?;
    if size == 0 || size > max {
        return Err(ApiError::bad_request(format!(
            "page[size] must be between 1 and {max}"
        )));
    }
    Ok((size, number("page[number]", 0)?))
}

/// `GET /api/v2/team`: `filter[keyword]` (in the name or handle, without case), `sort`
/// (`name` — the assumed default —, `-name`, `user_count`, `-user_count`), paged by
/// `page[size]` (≤ 100, default 10) and `page[number]`, with the recorded `meta.pagination`
/// and `links` (`base` is the sandbox's URL; `raw_query` the request's).
pub fn list_teams(
    dir: &Directory,
    query: &BTreeMap<String, String>,
    base: &str,
    raw_query: &str,
) -> Result<Value, ApiError> {
    let (size, number) = paging(query, 10, 100)?;
    let keyword = query.get("filter[keyword]").map(|k| k.to_lowercase());
    let mut teams: Vec<(&String, &Map<String, Value>)> = dir
        .teams
        .iter()
        .filter(|(_, t)| {
            keyword.as_ref().map_or(true, |k| {
                ["name", "handle"].iter().any(|key| {
                    t.get(*key)
                        .and_then(Value::as_str)
                        .is_some_and(|v| v.to_lowercase().contains(k))
                })
            })
        })
        .collect();
    let sort = query.get("sort").map_or("name", String::as_str);
    let key = sort.trim_start_matches('-');
    if !["name", "user_count"].contains(&key) {
        return Err(ApiError::bad_request(format!("Invalid sort '{sort}'")));
    }
    teams.sort_by(|a, b| {
        let value = |t: &Map<String, Value>| t.get(key).map(|v| v.to_string()).unwrap_or_default();
        (value(a.1), a.0).cmp(&(value(b.1), b.0))
    });
    if sort.starts_with('-') {
        teams.reverse();
    }
    let total = teams.len();
    let data: Vec<Value> = teams
        .into_iter()
        .skip(number.saturating_mul(size))
        .take(size)
        .map(|(id, t)| team_answer(id, t))
        .collect();
    let decoded = raw_query.replace("%5B", "[").replace("%5D", "]");
    let others: Vec<&str> = decoded
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("page["))
        .collect();
    let link = |page: usize| {
        let mut params = others.clone();
        let page = format!("page[number]={page}&page[size]={size}");
        params.push(&page);
        format!("{base}/api/v2/team?{}", params.join("&"))
    };
    let self_link = if decoded.is_empty() {
        format!("{base}/api/v2/team")
    } else {
        format!("{base}/api/v2/team?{decoded}")
    };
    Ok(json!({
        "data": data,
        "meta": {"pagination": {
            "number": number,
            "first_number": 0,
            "prev_number": number.saturating_sub(1),
            "next_number": number + 1,
            "last_number": total.div_ceil(size).saturating_sub(1),
            "size": size,
            "type": "number_size",
            "total": total,
        }},
        "links": {
            "self": self_link,
            "last": null,
            "next": link(number + 1),
            "prev": if number == 0 { Value::Null } else { json!(link(number - 1)) },
            "first": link(0),
        },
    }))
}

// ---- Users (v2) ----

pub(super) fn user_answer(id: &str, attributes: &Map<String, Value>) -> Value {
    json!({
        "type": "users",
        "id": id,
        "attributes": attributes,
        "relationships": {
            "roles": {"data": []},
            "org": {"data": {"type": "orgs", "id": ORG_UUID}},
        },
    })
}

/// `POST /api/v2/users` (201): `email` required, `name` and `title` optional; a new user is
/// `Pending` until they log in (`POST /sandbox/v1/users/{id}/login`), its `handle` is its
/// email and its `icon` the Gravatar of it. An email taken is a 409 (assumed).
pub fn create_user(
    dir: &mut Directory,
    id: &str,
    body: &Value,
    now: &Now,
) -> Result<Value, ApiError> {
    let given = attributes(body, "users")?;
    let email = text(given, "email")?.to_string();
    if dir.users.values().any(|u| {
        u["email"]
            .as_str()
            .is_some_and(|e| e.eq_ignore_ascii_case(&email))
    }) {
        return Err(ApiError::conflict(format!(
            "User with email {email} already exists"
        )));
    }
    let mut user = Map::new();
    user.insert("name".into(), Value::Null);
    user.insert("title".into(), Value::Null);
    copy(given, &mut user, &["name", "title"], true)?;
    let icon = format!(
        "https://secure.gravatar.com/avatar/{}?s=48&d=retro",
        crate::md5::hex(email.trim().to_lowercase().as_bytes())
    );
    for (key, value) in [
        ("handle", json!(email)),
        ("created_at", json!(now.rfc3339)),
        ("modified_at", json!(now.rfc3339)),
        ("email", json!(email)),
        ("icon", json!(icon)),
        ("verified", json!(false)),
        ("service_account", json!(false)),
        ("disabled", json!(false)),
        ("allowed_login_methods", json!([])),
        ("status", json!("Pending")),
    ] {
        user.insert(key.into(), value);
    }
    dir.users.insert(id.to_string(), user.clone());
    Ok(json!({"data": user_answer(id, &user)}))
}

/// A user as a read answers it: with `mfa_enabled` (`false`: nobody logs in to the sandbox
/// with a second factor), which the create's answer lacks (Terraform's recordings of 2024).
pub(super) fn read_user(id: &str, user: &Map<String, Value>) -> Value {
    let mut answer = user_answer(id, user);
    answer["attributes"]["mfa_enabled"] = json!(false);
    answer
}

/// `GET /api/v2/users/{id}`.
pub fn get_user(dir: &Directory, id: &str) -> Result<Value, ApiError> {
    let user = dir.users.get(id).ok_or_else(|| no_such(id))?;
    Ok(json!({"data": read_user(id, user)}))
}

/// `PATCH /api/v2/users/{id}` (200): `name`, `email`, `disabled` given replace; the body's
/// `data.id` must be the path's.
pub fn update_user(
    dir: &mut Directory,
    id: &str,
    body: &Value,
    now: &Now,
) -> Result<Value, ApiError> {
    let mut user = dir.users.get(id).cloned().ok_or_else(|| no_such(id))?;
    let given = attributes(body, "users")?;
    if body["data"]["id"].as_str() != Some(id) {
        return Err(ApiError::unprocessable(
            "User ID in request does not match URL",
        ));
    }
    copy(given, &mut user, &["name", "email", "title"], true)?;
    match given.get("disabled") {
        None => {}
        Some(Value::Bool(disabled)) => set_disabled(&mut user, *disabled),
        Some(_) => return Err(invalid("disabled must be a boolean")),
    }
    user.insert("modified_at".into(), json!(now.rfc3339));
    dir.users.insert(id.to_string(), user);
    get_user(dir, id)
}

pub(super) fn set_disabled(user: &mut Map<String, Value>, disabled: bool) {
    user.insert("disabled".into(), json!(disabled));
    let status = if disabled {
        "Disabled"
    } else if user["verified"] == true {
        "Active"
    } else {
        "Pending"
    };
    user.insert("status".into(), json!(status));
}

/// `DELETE /api/v2/users/{id}` (204): disables the user, who stays readable.
pub fn disable_user(dir: &mut Directory, id: &str, now: &Now) -> Result<(), ApiError> {
    let user = dir.users.get_mut(id).ok_or_else(|| no_such(id))?;
    set_disabled(user, true);
    user.insert("modified_at".into(), json!(now.rfc3339));
    Ok(())
}

/// The user logs in (the simulation's `POST /sandbox/v1/users/{id}/login`): verified and
/// `Active` unless disabled. Datadog activates users only when they log in through the UI.
pub fn log_in(dir: &mut Directory, id: &str) -> Result<Value, ApiError> {
    let user = dir.users.get_mut(id).ok_or_else(|| no_such(id))?;
    user.insert("verified".into(), json!(true));
    let disabled = user["disabled"] == true;
    set_disabled(user, disabled);
    get_user(dir, id)
}

/// `GET /api/v2/users`: `filter` (in the name, handle or email, without case),
/// `filter[status]` (a comma-separated list of `Active`, `Pending`, `Disabled`), paged by
/// `page[size]` (≤ 1000, default 10) and `page[number]`, ordered by name then email (as
/// Terraform's recording of `filter[status]` lists namesakes), with the recorded `meta.page`
/// counts; a user without a title is listed with an empty one (`null` in a single read).
pub fn list_users(dir: &Directory, query: &BTreeMap<String, String>) -> Result<Value, ApiError> {
    let (size, number) = paging(query, 10, 1000)?;
    let filter = query.get("filter").map(|f| f.to_lowercase());
    let statuses: Option<Vec<&str>> = query
        .get("filter[status]")
        .map(|s| s.split(',').map(str::trim).collect());
    let mut users: Vec<(&String, &Map<String, Value>)> = dir
        .users
        .iter()
        .filter(|(_, u)| {
            filter.as_ref().map_or(true, |f| {
                ["name", "handle", "email"].iter().any(|key| {
                    u.get(*key)
                        .and_then(Value::as_str)
                        .is_some_and(|v| v.to_lowercase().contains(f))
                })
            }) && statuses.as_ref().map_or(true, |s| {
                u.get("status")
                    .and_then(Value::as_str)
                    .is_some_and(|status| s.contains(&status))
            })
        })
        .collect();
    fn key(u: &Map<String, Value>) -> (Option<&str>, Option<&str>) {
        (u["name"].as_str(), u["email"].as_str())
    }
    users.sort_by(|a, b| (key(a.1), a.0).cmp(&(key(b.1), b.0)));
    let filtered = users.len();
    let data: Vec<Value> = users
        .into_iter()
        .skip(number.saturating_mul(size))
        .take(size)
        .map(|(id, u)| {
            let mut answer = read_user(id, u);
            if answer["attributes"]["title"].is_null() {
                answer["attributes"]["title"] = json!("");
            }
            answer
        })
        .collect();
    Ok(json!({
        "data": data,
        "meta": {"page": {"total_count": dir.users.len(), "total_filtered_count": filtered, "max_page_size": 1000}},
    }))
}
