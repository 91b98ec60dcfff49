//! Opsgenie services and Microsoft Teams handles (v2): named objects by id, and the
//! Microsoft Teams channels Datadog reads from Microsoft.

use super::*;
use crate::error::ApiError;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

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
pub(super) fn channel_names(
    dir: &Directory,
    handle: &Map<String, Value>,
) -> Option<Map<String, Value>> {
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
    let given = object(body)?;
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

pub(super) fn get_ms_teams_channel_by_id(dir: &Directory, id: &str) -> Result<Value, ApiError> {
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
pub(super) fn no_ms_teams_channel() -> ApiError {
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
