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

use crate::error::ApiError;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

pub use crate::data::Directory;

/// The sandbox org's id in users' `relationships.org`.
pub const ORG_UUID: &str = "00000000-0000-4000-8000-000000000001";

pub(super) fn invalid(reason: impl std::fmt::Display) -> ApiError {
    ApiError::bad_request(format!("Invalid request: {reason}"))
}

/// The body as a JSON object; a 400 otherwise.
pub(super) fn object(body: &Value) -> Result<&Map<String, Value>, ApiError> {
    body.as_object()
        .ok_or_else(|| invalid("body must be an object"))
}

/// A required non-empty string of `object`.
pub(super) fn text<'a>(object: &'a Map<String, Value>, key: &str) -> Result<&'a str, ApiError> {
    match object.get(key) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s),
        Some(_) => Err(invalid(format!("{key} must be a non-empty string"))),
        None => Err(invalid(format!("{key} is required"))),
    }
}

/// `data.attributes` of a v2 body whose `data.type` must be `kind`.
pub(super) fn attributes<'a>(
    body: &'a Value,
    kind: &str,
) -> Result<&'a Map<String, Value>, ApiError> {
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
pub(super) fn copy(
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

pub(super) fn uuid(taken: impl Fn(&str) -> bool) -> String {
    crate::rules::unused_uuid(taken)
}

// ---- Slack (v1) ----

/// The official Go client's recordings (`TestSlackIntegration*Errors/400_Bad_Request`): every
/// channel endpoint answers 400 for an account the org lacks, though the spec lists 404.
pub(super) fn no_slack_account(account: &str) -> ApiError {
    ApiError::bad_request(format!("Account is not configured: {account}"))
}

pub(super) fn no_slack_channel(channel: &str) -> ApiError {
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
pub(super) fn display(body: &Value, base: Option<&Value>) -> Result<Value, ApiError> {
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

/// The channels of a Slack account the org has; an unknown account is an error.
fn slack_channels<'d>(
    dir: &'d Directory,
    account: &str,
) -> Result<&'d BTreeMap<String, Value>, ApiError> {
    dir.slack_accounts
        .get(account)
        .ok_or_else(|| no_slack_account(account))
}

/// [`slack_channels`], to change.
fn slack_channels_mut<'d>(
    dir: &'d mut Directory,
    account: &str,
) -> Result<&'d mut BTreeMap<String, Value>, ApiError> {
    dir.slack_accounts
        .get_mut(account)
        .ok_or_else(|| no_slack_account(account))
}

pub(super) fn channel_answer(name: &str, display: &Value) -> Value {
    json!({"name": name, "display": display})
}

/// `POST …/accounts/{account}/channels` (201).
pub fn create_slack_channel(
    dir: &mut Directory,
    account: &str,
    body: &Value,
) -> Result<Value, ApiError> {
    let object = object(body)?;
    let name = text(object, "name")?.to_string();
    let display = display(body, None)?;
    let channels = slack_channels_mut(dir, account)?;
    channels.insert(name.clone(), display.clone());
    Ok(channel_answer(&name, &display))
}

/// `GET …/accounts/{account}/channels`: every channel of the account, by name.
pub fn list_slack_channels(dir: &Directory, account: &str) -> Result<Value, ApiError> {
    let channels = slack_channels(dir, account)?;
    Ok(Value::Array(
        channels
            .iter()
            .map(|(name, display)| channel_answer(name, display))
            .collect(),
    ))
}

/// `GET …/channels/{channel}`.
pub fn get_slack_channel(dir: &Directory, account: &str, channel: &str) -> Result<Value, ApiError> {
    let channels = slack_channels(dir, account)?;
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
    let object = object(body)?;
    let channels = slack_channels_mut(dir, account)?;
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
    let channels = slack_channels_mut(dir, account)?;
    channels
        .remove(channel)
        .map(|_| ())
        .ok_or_else(|| no_slack_channel(channel))
}

// ---- PagerDuty (v1) ----

/// Assumed: Opsgenie's recorded message.
pub(super) fn no_pagerduty_service() -> ApiError {
    ApiError::not_found("Service not found.")
}

/// `POST …/pagerduty/configuration/services` (201): `service_name` and `service_key`.
pub fn create_pagerduty_service(dir: &mut Directory, body: &Value) -> Result<Value, ApiError> {
    let object = object(body)?;
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
    let object = object(body)?;
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

mod named;
mod people;
#[cfg(test)]
mod tests;

pub use named::*;
pub use people::*;
