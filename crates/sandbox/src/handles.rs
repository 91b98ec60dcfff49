//! The destinations notification handles name (issue 23), as Terraform's recordings show
//! them (`tests/data/cassettes/terraform/`): Slack channels per account and PagerDuty
//! services (v1), Opsgenie services, Microsoft Teams tenant-based and Workflows webhook
//! handles, teams and users (v2). Pure functions over the store's [`Directory`], so that
//! every check runs before anything is stored.
//!
//! Credentials a create carries (a PagerDuty service key, an Opsgenie API key, a Slack hook
//! or Workflows URL) are never answered by Datadog, so the sandbox never stores them: they
//! cannot reach its data file.
//!
//! Assumptions where nothing is recorded (each marked where it is made): the 404 messages
//! other than Opsgenie's, users' and teams', the listing orders of Slack channels and teams
//! (by name), of Opsgenie services (by creation, as the recorded Microsoft Teams listings),
//! and the tenant-based listing leaving out the tenant, team and channel names of a channel
//! the sandbox was not told of (Datadog reads them from Microsoft).

use crate::monitors::Now;
use crate::store::ApiError;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// Everything the handles can name; this is what the data file holds of them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Directory {
    /// Slack accounts (set up through `POST /api/v1/integration/slack`), each with its
    /// channels by `#name` and their `display` settings.
    #[serde(default)]
    pub slack_accounts: BTreeMap<String, BTreeMap<String, Value>>,
    /// PagerDuty service names (the key is never stored).
    #[serde(default)]
    pub pagerduty_services: BTreeSet<String>,
    /// Opsgenie services by id: `name`, `region`, `custom_url` (the API key never stored).
    #[serde(default)]
    pub opsgenie_services: BTreeMap<String, Map<String, Value>>,
    /// Microsoft Teams tenant-based handles by id: `name`, `tenant_id`, `team_id`,
    /// `channel_id`.
    #[serde(default)]
    pub tenant_handles: BTreeMap<String, Map<String, Value>>,
    /// Microsoft Teams Workflows webhook handles by id: their names (the URL never stored).
    #[serde(default)]
    pub workflow_handles: BTreeMap<String, String>,
    /// Teams by id, each as `GET /api/v2/team/{id}` answers its attributes.
    #[serde(default)]
    pub teams: BTreeMap<String, Map<String, Value>>,
    /// Users by id, each as `GET /api/v2/users/{id}` answers its attributes.
    #[serde(default)]
    pub users: BTreeMap<String, Map<String, Value>>,
    /// The creation order of the [`Named`] objects (ids to a rising number): their listings
    /// answer in that order, as the recorded Microsoft Teams listings do.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub created: BTreeMap<String, u64>,
    /// The Microsoft Teams channels the org's tenants hold, by channel id, each with
    /// `tenant_id`, `tenant_name`, `team_id`, `team_name`, `channel_name` and `is_primary`:
    /// what Datadog reads from Microsoft, given to the sandbox through
    /// `POST /sandbox/v1/ms-teams/channels`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub ms_teams_channels: BTreeMap<String, Map<String, Value>>,
}

/// The sandbox org's id in users' `relationships.org`.
pub const ORG_UUID: &str = "00000000-0000-4000-8000-000000000001";

fn invalid(reason: impl std::fmt::Display) -> ApiError {
    ApiError::bad_request(format!("Invalid request: {reason}"))
}

/// A required non-empty string of `object`.
fn text<'a>(object: &'a Map<String, Value>, key: &str) -> Result<&'a str, ApiError> {
    match object.get(key) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s),
        Some(_) => Err(invalid(format!("{key} must be a non-empty string"))),
        None => Err(invalid(format!("{key} is required"))),
    }
}

/// `data.attributes` of a v2 body whose `data.type` must be `kind`.
fn attributes<'a>(body: &'a Value, kind: &str) -> Result<&'a Map<String, Value>, ApiError> {
    let data = body
        .get("data")
        .ok_or_else(|| invalid("data is required"))?;
    if data.get("type").and_then(Value::as_str) != Some(kind) {
        return Err(invalid(format!("data.type must be '{kind}'")));
    }
    data.get("attributes")
        .and_then(Value::as_object)
        .ok_or_else(|| invalid("data.attributes must be an object"))
}

/// Copies the string (or `null`, when `nullable`) attributes `keys` the body gives onto
/// `into`.
fn copy(
    from: &Map<String, Value>,
    into: &mut Map<String, Value>,
    keys: &[&str],
    nullable: bool,
) -> Result<(), ApiError> {
    for key in keys {
        match from.get(*key) {
            None => {}
            Some(Value::Null) if nullable => {
                into.insert(key.to_string(), Value::Null);
            }
            Some(Value::String(s)) => {
                into.insert(key.to_string(), Value::String(s.clone()));
            }
            Some(_) => return Err(invalid(format!("{key} must be a string"))),
        }
    }
    Ok(())
}

fn uuid(taken: impl Fn(&str) -> bool) -> String {
    crate::rules::unused_uuid(taken)
}

// ---- Slack (v1) ----

/// The official Go client's recordings (`TestSlackIntegration*Errors/400_Bad_Request`): every
/// channel endpoint answers 400 for an account the org lacks, though the spec lists 404.
fn no_slack_account(account: &str) -> ApiError {
    ApiError::bad_request(format!("Account is not configured: {account}"))
}

fn no_slack_channel(channel: &str) -> ApiError {
    ApiError::not_found(format!("Slack channel {channel} not found"))
}

/// `POST /api/v1/integration/slack` (204): adds the accounts of `service_hooks` (their
/// hook URLs are not kept). Terraform's recording sets its account up this way.
pub fn add_slack_accounts(dir: &mut Directory, body: &Value) -> Result<Vec<String>, ApiError> {
    let hooks = body
        .get("service_hooks")
        .and_then(Value::as_array)
        .ok_or_else(|| invalid("service_hooks must be a list"))?;
    let mut accounts = Vec::new();
    for hook in hooks {
        let hook = hook
            .as_object()
            .ok_or_else(|| invalid("a service hook must be an object"))?;
        text(hook, "url")?;
        accounts.push(text(hook, "account")?.to_string());
    }
    for account in &accounts {
        dir.slack_accounts.entry(account.clone()).or_default();
    }
    Ok(accounts)
}

/// The `display` settings a channel write gives, each defaulting to `true`.
fn display(body: &Value, base: Option<&Value>) -> Result<Value, ApiError> {
    let mut out = Map::new();
    let given = body.get("display");
    for key in ["message", "snapshot", "tags", "notified", "mute_buttons"] {
        let value = match given.and_then(|d| d.get(key)) {
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err(invalid(format!("display.{key} must be a boolean"))),
            None => base
                .and_then(|b| b.get(key))
                .and_then(Value::as_bool)
                .unwrap_or(true),
        };
        out.insert(key.to_string(), Value::Bool(value));
    }
    Ok(Value::Object(out))
}

fn channel_answer(name: &str, display: &Value) -> Value {
    json!({"name": name, "display": display})
}

/// `POST …/accounts/{account}/channels` (201).
pub fn create_slack_channel(
    dir: &mut Directory,
    account: &str,
    body: &Value,
) -> Result<Value, ApiError> {
    let object = body
        .as_object()
        .ok_or_else(|| invalid("body must be an object"))?;
    let name = text(object, "name")?.to_string();
    let display = display(body, None)?;
    let channels = dir
        .slack_accounts
        .get_mut(account)
        .ok_or_else(|| no_slack_account(account))?;
    channels.insert(name.clone(), display.clone());
    Ok(channel_answer(&name, &display))
}

/// `GET …/accounts/{account}/channels`: every channel of the account, by name.
pub fn list_slack_channels(dir: &Directory, account: &str) -> Result<Value, ApiError> {
    let channels = dir
        .slack_accounts
        .get(account)
        .ok_or_else(|| no_slack_account(account))?;
    Ok(Value::Array(
        channels
            .iter()
            .map(|(name, display)| channel_answer(name, display))
            .collect(),
    ))
}

/// `GET …/channels/{channel}`.
pub fn get_slack_channel(dir: &Directory, account: &str, channel: &str) -> Result<Value, ApiError> {
    let channels = dir
        .slack_accounts
        .get(account)
        .ok_or_else(|| no_slack_account(account))?;
    let display = channels
        .get(channel)
        .ok_or_else(|| no_slack_channel(channel))?;
    Ok(channel_answer(channel, display))
}

/// `PATCH …/channels/{channel}`: a new `name` renames; `display` settings given replace.
pub fn update_slack_channel(
    dir: &mut Directory,
    account: &str,
    channel: &str,
    body: &Value,
) -> Result<Value, ApiError> {
    let object = body
        .as_object()
        .ok_or_else(|| invalid("body must be an object"))?;
    let channels = dir
        .slack_accounts
        .get_mut(account)
        .ok_or_else(|| no_slack_account(account))?;
    let old = channels
        .get(channel)
        .ok_or_else(|| no_slack_channel(channel))?;
    let display = display(body, Some(old))?;
    let name = match object.get("name") {
        None => channel.to_string(),
        Some(_) => text(object, "name")?.to_string(),
    };
    channels.remove(channel);
    channels.insert(name.clone(), display.clone());
    Ok(channel_answer(&name, &display))
}

/// `DELETE …/channels/{channel}` (204).
pub fn delete_slack_channel(
    dir: &mut Directory,
    account: &str,
    channel: &str,
) -> Result<(), ApiError> {
    let channels = dir
        .slack_accounts
        .get_mut(account)
        .ok_or_else(|| no_slack_account(account))?;
    channels
        .remove(channel)
        .map(|_| ())
        .ok_or_else(|| no_slack_channel(channel))
}

// ---- PagerDuty (v1) ----

/// Assumed: Opsgenie's recorded message.
fn no_pagerduty_service() -> ApiError {
    ApiError::not_found("Service not found.")
}

/// `POST …/pagerduty/configuration/services` (201): `service_name` and `service_key`.
pub fn create_pagerduty_service(dir: &mut Directory, body: &Value) -> Result<Value, ApiError> {
    let object = body
        .as_object()
        .ok_or_else(|| invalid("body must be an object"))?;
    let name = text(object, "service_name")?.to_string();
    text(object, "service_key")?;
    dir.pagerduty_services.insert(name.clone());
    Ok(json!({"service_name": name}))
}

/// `GET …/services/{name}`.
pub fn get_pagerduty_service(dir: &Directory, name: &str) -> Result<Value, ApiError> {
    if dir.pagerduty_services.contains(name) {
        Ok(json!({"service_name": name}))
    } else {
        Err(no_pagerduty_service())
    }
}

/// `PUT …/services/{name}` (200): a new `service_key` (not kept).
pub fn update_pagerduty_service(
    dir: &Directory,
    name: &str,
    body: &Value,
) -> Result<Value, ApiError> {
    let object = body
        .as_object()
        .ok_or_else(|| invalid("body must be an object"))?;
    text(object, "service_key")?;
    get_pagerduty_service(dir, name)
}

/// `DELETE …/services/{name}` (204).
pub fn delete_pagerduty_service(dir: &mut Directory, name: &str) -> Result<(), ApiError> {
    if dir.pagerduty_services.remove(name) {
        Ok(())
    } else {
        Err(no_pagerduty_service())
    }
}

// ---- Opsgenie and Microsoft Teams (v2): named objects by id ----

/// The v2 kinds stored as named objects by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Named {
    /// `/api/v2/integration/opsgenie/services`.
    Opsgenie,
    /// `/api/v2/integration/ms-teams/configuration/tenant-based-handles`.
    TenantHandle,
    /// `/api/v2/integration/ms-teams/configuration/workflows-webhook-handles`.
    WorkflowHandle,
}

impl Named {
    /// The `data.type` of bodies and answers.
    fn kind(self) -> &'static str {
        match self {
            Named::Opsgenie => "opsgenie-service",
            Named::TenantHandle => "tenant-based-handle",
            Named::WorkflowHandle => "workflows-webhook-handle",
        }
    }

    fn not_found(self) -> ApiError {
        ApiError::not_found(match self {
            Named::Opsgenie => "Service not found.",
            // Assumed: nothing recorded.
            Named::TenantHandle | Named::WorkflowHandle => "Handle not found.",
        })
    }

    /// Attributes a create needs (kept), needs but not kept (credentials), and may give.
    fn fields(
        self,
    ) -> (
        &'static [&'static str],
        &'static [&'static str],
        &'static [&'static str],
    ) {
        match self {
            Named::Opsgenie => (&["name", "region"], &["opsgenie_api_key"], &["custom_url"]),
            Named::TenantHandle => (&["name", "tenant_id", "team_id", "channel_id"], &[], &[]),
            Named::WorkflowHandle => (&["name"], &["url"], &[]),
        }
    }

    fn map(self, dir: &Directory) -> BTreeMap<&String, Map<String, Value>> {
        match self {
            Named::Opsgenie => dir
                .opsgenie_services
                .iter()
                .map(|(k, v)| (k, v.clone()))
                .collect(),
            Named::TenantHandle => dir
                .tenant_handles
                .iter()
                .map(|(k, v)| (k, v.clone()))
                .collect(),
            Named::WorkflowHandle => dir
                .workflow_handles
                .iter()
                .map(|(k, name)| {
                    let mut m = Map::new();
                    m.insert("name".into(), Value::String(name.clone()));
                    (k, m)
                })
                .collect(),
        }
    }

    fn store(self, dir: &mut Directory, id: &str, attributes: Map<String, Value>) {
        if !dir.created.contains_key(id) {
            let next = dir.created.values().max().map_or(0, |n| n + 1);
            dir.created.insert(id.to_string(), next);
        }
        match self {
            Named::Opsgenie => {
                dir.opsgenie_services.insert(id.to_string(), attributes);
            }
            Named::TenantHandle => {
                dir.tenant_handles.insert(id.to_string(), attributes);
            }
            Named::WorkflowHandle => {
                let name = attributes["name"].as_str().unwrap_or_default().to_string();
                dir.workflow_handles.insert(id.to_string(), name);
            }
        }
    }

    fn remove(self, dir: &mut Directory, id: &str) -> bool {
        dir.created.remove(id);
        match self {
            Named::Opsgenie => dir.opsgenie_services.remove(id).is_some(),
            Named::TenantHandle => dir.tenant_handles.remove(id).is_some(),
            Named::WorkflowHandle => dir.workflow_handles.remove(id).is_some(),
        }
    }

    fn answer(self, id: &str, attributes: &Map<String, Value>) -> Value {
        let mut attributes = attributes.clone();
        if self == Named::Opsgenie {
            attributes.entry("custom_url").or_insert(Value::Null);
        }
        json!({"data": {"id": id, "type": self.kind(), "attributes": attributes}})
    }

    /// A new random id no object of the kind has.
    pub fn unused_id(self, dir: &Directory) -> String {
        let taken = self.map(dir);
        uuid(|id| taken.keys().any(|k| k.as_str() == id))
    }

    /// Create (201): every required attribute (a 400 names the first missing).
    pub fn create(self, dir: &mut Directory, id: &str, body: &Value) -> Result<Value, ApiError> {
        let given = attributes(body, self.kind())?;
        let (kept, secret, optional) = self.fields();
        let mut stored = Map::new();
        for key in kept.iter().chain(secret) {
            text(given, key)?;
        }
        copy(given, &mut stored, kept, false)?;
        copy(given, &mut stored, optional, true)?;
        self.store(dir, id, stored.clone());
        Ok(self.answer(id, &stored))
    }

    /// Get one.
    pub fn get(self, dir: &Directory, id: &str) -> Result<Value, ApiError> {
        let map = self.map(dir);
        let (id, attributes) = map
            .iter()
            .find(|(k, _)| k.as_str() == id)
            .ok_or_else(|| self.not_found())?;
        Ok(self.answer(id, attributes))
    }

    /// PATCH (200): the attributes given replace, the rest are kept.
    pub fn update(self, dir: &mut Directory, id: &str, body: &Value) -> Result<Value, ApiError> {
        let given = attributes(body, self.kind())?;
        let map = self.map(dir);
        let mut stored = map
            .iter()
            .find(|(k, _)| k.as_str() == id)
            .map(|(_, v)| v.clone())
            .ok_or_else(|| self.not_found())?;
        let (kept, _, optional) = self.fields();
        copy(given, &mut stored, kept, false)?;
        copy(given, &mut stored, optional, true)?;
        self.store(dir, id, stored.clone());
        Ok(self.answer(id, &stored))
    }

    /// Delete (204).
    pub fn delete(self, dir: &mut Directory, id: &str) -> Result<(), ApiError> {
        if self.remove(dir, id) {
            Ok(())
        } else {
            Err(self.not_found())
        }
    }

    /// The listing (unpaged), oldest first (the recorded Microsoft Teams listings); the
    /// tenant-based one filtered by `name` and `tenant_id` when given, its items typed
    /// `ms-teams-tenant-based-handle-info` and carrying the tenant, team and channel names
    /// of a channel the sandbox knows ([`Directory::ms_teams_channels`]).
    pub fn list(self, dir: &Directory, query: &BTreeMap<String, String>) -> Value {
        let map = self.map(dir);
        let mut items: Vec<(&String, &Map<String, Value>)> = map
            .iter()
            .map(|(id, attributes)| (*id, attributes))
            .filter(|(_, attributes)| {
                self != Named::TenantHandle
                    || ["name", "tenant_id"].iter().all(|key| {
                        query.get(*key).map_or(true, |want| {
                            attributes.get(*key).and_then(Value::as_str) == Some(want)
                        })
                    })
            })
            .collect();
        let order = |id: &String| dir.created.get(id).copied().unwrap_or(u64::MAX);
        items.sort_by(|a, b| (order(a.0), a.0).cmp(&(order(b.0), b.0)));
        let data: Vec<Value> = items
            .into_iter()
            .map(|(id, attributes)| {
                let mut item = self.answer(id, attributes)["data"].clone();
                if self == Named::TenantHandle {
                    item["type"] = json!("ms-teams-tenant-based-handle-info");
                    if let Some(names) = channel_names(dir, attributes) {
                        let attributes = item["attributes"].as_object_mut().expect("an object");
                        attributes.extend(names);
                    }
                }
                item
            })
            .collect();
        json!({"data": data})
    }
}

// ---- Microsoft Teams channels (what Datadog reads from Microsoft) ----

/// The tenant, team and channel names of a tenant-based handle's channel, when the sandbox
/// knows the channel (the same channel, team and tenant ids).
fn channel_names(dir: &Directory, handle: &Map<String, Value>) -> Option<Map<String, Value>> {
    let channel = dir
        .ms_teams_channels
        .get(handle.get("channel_id")?.as_str()?)?;
    let same = |key: &str| channel.get(key) == handle.get(key);
    (same("team_id") && same("tenant_id")).then(|| {
        ["tenant_name", "team_name", "channel_name"]
            .iter()
            .filter_map(|key| Some((key.to_string(), channel.get(*key)?.clone())))
            .collect()
    })
}

/// `POST /sandbox/v1/ms-teams/channels`: the org's Microsoft tenant holds this channel
/// (`tenant_id`, `tenant_name`, `team_id`, `team_name`, `channel_id`, `channel_name`, all
/// required; `is_primary` defaults to whether the channel is `General`, the channel every
/// team starts with). Answers what `GET …/configuration/channel/…` will.
pub fn add_ms_teams_channel(dir: &mut Directory, body: &Value) -> Result<Value, ApiError> {
    let given = body
        .as_object()
        .ok_or_else(|| invalid("body must be an object"))?;
    let keys = [
        "tenant_id",
        "tenant_name",
        "team_id",
        "team_name",
        "channel_id",
        "channel_name",
    ];
    let mut channel = Map::new();
    for key in keys {
        channel.insert(key.to_string(), json!(text(given, key)?));
    }
    let is_primary = match given.get("is_primary") {
        None => channel["channel_name"] == "General",
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(invalid("is_primary must be a boolean")),
    };
    channel.insert("is_primary".into(), json!(is_primary));
    let id = channel.remove("channel_id").expect("required above");
    let id = id.as_str().expect("a string").to_string();
    dir.ms_teams_channels.insert(id.clone(), channel);
    get_ms_teams_channel_by_id(dir, &id)
}

fn get_ms_teams_channel_by_id(dir: &Directory, id: &str) -> Result<Value, ApiError> {
    let channel = dir
        .ms_teams_channels
        .get(id)
        .ok_or_else(no_ms_teams_channel)?;
    Ok(json!({"data": {
        "id": id,
        "type": "ms-teams-channel-info",
        "attributes": {
            "is_primary": channel["is_primary"],
            "team_id": channel["team_id"],
            "tenant_id": channel["tenant_id"],
        },
    }}))
}

/// Assumed: nothing recorded.
fn no_ms_teams_channel() -> ApiError {
    ApiError::not_found("Channel not found.")
}

/// `GET /api/v2/integration/ms-teams/configuration/channel/{tenant_name}/{team_name}/
/// {channel_name}`: the ids of a channel by its names (Terraform's recording).
pub fn get_ms_teams_channel(
    dir: &Directory,
    tenant: &str,
    team: &str,
    channel: &str,
) -> Result<Value, ApiError> {
    let id = dir
        .ms_teams_channels
        .iter()
        .find(|(_, c)| {
            c["tenant_name"] == tenant && c["team_name"] == team && c["channel_name"] == channel
        })
        .map(|(id, _)| id.clone())
        .ok_or_else(no_ms_teams_channel)?;
    get_ms_teams_channel_by_id(dir, &id)
}

// ---- Teams (v2) ----

fn is_uuid(id: &str) -> bool {
    let parts: Vec<&str> = id.split('-').collect();
    parts.iter().map(|p| p.len()).eq([8, 4, 4, 4, 12])
        && parts
            .iter()
            .all(|p| p.chars().all(|c| c.is_ascii_hexdigit()))
}

/// The recorded 404s of teams and users: an id that is not a UUID, or one that is not there.
fn no_such(id: &str) -> ApiError {
    if is_uuid(id) {
        ApiError::not_found(format!("{id} not found"))
    } else {
        ApiError::not_found(format!("{id} is not a valid UUID not found"))
    }
}

fn team_relationships(id: &str) -> Value {
    json!({
        "team_links": {"links": {"related": format!("/api/v2/team/{id}/links")}},
        "user_team_permissions": {"links": {"related": format!("/api/v2/team/{id}/permission-settings")}},
    })
}

fn team_answer(id: &str, attributes: &Map<String, Value>) -> Value {
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
fn paging(
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

fn user_answer(id: &str, attributes: &Map<String, Value>) -> Value {
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
fn read_user(id: &str, user: &Map<String, Value>) -> Value {
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

fn set_disabled(user: &mut Map<String, Value>, disabled: bool) {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Now {
        Now::current()
    }

    #[test]
    fn a_slack_channel_needs_its_account_and_nothing_is_stored_on_error() {
        let mut dir = Directory::default();
        let body = json!({"name": "#ops"});
        assert_eq!(
            create_slack_channel(&mut dir, "main", &body)
                .unwrap_err()
                .status,
            400
        );
        assert_eq!(list_slack_channels(&dir, "main").unwrap_err().status, 400);
        add_slack_accounts(
            &mut dir,
            &json!({"service_hooks": [{"account": "main", "url": "https://hooks"}]}),
        )
        .unwrap();
        let answer = create_slack_channel(&mut dir, "main", &body).unwrap();
        assert_eq!(answer["display"]["message"], true);
        assert_eq!(
            list_slack_channels(&dir, "main")
                .unwrap()
                .as_array()
                .unwrap()
                .len(),
            1
        );
        assert_eq!(
            get_slack_channel(&dir, "main", "#nope").unwrap_err().status,
            404
        );
        assert_eq!(
            create_slack_channel(&mut dir, "main", &json!({"display": {}}))
                .unwrap_err()
                .status,
            400
        );
    }

    #[test]
    fn credentials_are_required_but_never_kept() {
        let mut dir = Directory::default();
        let body = json!({"data": {"type": "opsgenie-service", "attributes": {"name": "n", "region": "us"}}});
        assert_eq!(
            Named::Opsgenie
                .create(&mut dir, "a", &body)
                .unwrap_err()
                .status,
            400
        );
        let body = json!({"data": {"type": "opsgenie-service", "attributes": {"name": "n", "region": "us", "opsgenie_api_key": "k"}}});
        let answer = Named::Opsgenie.create(&mut dir, "a", &body).unwrap();
        assert_eq!(answer["data"]["attributes"]["custom_url"], Value::Null);
        let text = serde_json::to_string(&dir).unwrap();
        assert!(!text.contains("opsgenie_api_key"), "{text}");
        assert_eq!(
            create_pagerduty_service(&mut dir, &json!({"service_name": "p"}))
                .unwrap_err()
                .status,
            400
        );
    }

    #[test]
    fn a_deleted_user_is_disabled_and_a_login_activates() {
        let mut dir = Directory::default();
        let body = json!({"data": {"type": "users", "attributes": {"email": "A@example.com"}}});
        create_user(&mut dir, "u", &body, &now()).unwrap();
        assert_eq!(dir.users["u"]["status"], "Pending");
        log_in(&mut dir, "u").unwrap();
        assert_eq!(dir.users["u"]["status"], "Active");
        disable_user(&mut dir, "u", &now()).unwrap();
        assert_eq!(dir.users["u"]["status"], "Disabled");
        let query = BTreeMap::from([("filter[status]".to_string(), "Active".to_string())]);
        assert_eq!(
            list_users(&dir, &query).unwrap()["data"]
                .as_array()
                .unwrap()
                .len(),
            0
        );
        assert_eq!(
            get_user(&dir, "x").unwrap_err().message,
            "x is not a valid UUID not found"
        );
    }
}
