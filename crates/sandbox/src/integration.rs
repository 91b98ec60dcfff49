//! Webhooks and custom variables of the Webhooks integration: Datadog's rules as pure
//! functions over [`Integration`], so the lossy mode can run them on a stale snapshot.

use crate::data::{replace_given, Integration, StoredVariable};
use crate::error::ApiError;
use ddhooks_datadog::wire::{
    CustomVariable, CustomVariableCreateRequest, CustomVariableUpdateRequest, Webhook,
    WebhookCreateRequest, WebhookUpdateRequest, DEFAULT_WEBHOOK_PAYLOAD,
};
use serde_json::Value;

/// The recorded 404 message for webhooks.
pub const WEBHOOK_NOT_FOUND: &str = "Webhook does not exist";
/// The recorded 404 message for custom variables.
pub const VARIABLE_NOT_FOUND: &str = "Custom variable does not exist";

/// Limits that a sandbox option can tighten.
#[derive(Debug, Clone, Copy, Default)]
pub struct Limits {
    /// Reject custom-variable values longer than this many bytes.
    pub max_variable_bytes: Option<usize>,
}

/// Parses a JSON body into `T`, answering 400 with the reason when it does not fit.
pub fn parse_body<T: serde::de::DeserializeOwned>(body: &Value) -> Result<T, ApiError> {
    if !body.is_object() {
        return Err(ApiError::bad_request("Invalid JSON: expected an object"));
    }
    T::deserialize(body).map_err(|err| ApiError::bad_request(format!("Invalid request: {err}")))
}

/// A v2 request body (JSON:API: `data.type` and `data.attributes`) of `kind`: what the unit
/// tests of the v2 kinds (rules, auth methods) hand to [`parse_body`]'s callers.
#[cfg(test)]
pub(crate) fn v2_body(kind: &str, attributes: Value) -> Value {
    serde_json::json!({"data": {"type": kind, "attributes": attributes}})
}

fn check_webhook_name(name: &str) -> Result<(), ApiError> {
    let ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ok {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "Invalid webhook name '{name}': use only letters, digits, '_' and '-'"
        )))
    }
}

/// A rename of `name` to `new_name` is refused when another `kind` has that name.
fn check_free<T>(
    objects: &std::collections::BTreeMap<String, T>,
    name: &str,
    new_name: &str,
    kind: &str,
) -> Result<(), ApiError> {
    if new_name != name && objects.contains_key(new_name) {
        return Err(ApiError::bad_request(format!(
            "{kind} '{new_name}' already exists"
        )));
    }
    Ok(())
}

/// Removes `name`; a 404 with `not_found` when there is none.
fn remove<T>(
    objects: &mut std::collections::BTreeMap<String, T>,
    name: &str,
    not_found: &str,
) -> Result<(), ApiError> {
    objects
        .remove(name)
        .map(|_| ())
        .ok_or_else(|| ApiError::not_found(not_found))
}

fn check_encoding(encode_as: &str) -> Result<(), ApiError> {
    match encode_as {
        "json" | "form" => Ok(()),
        other => Err(ApiError::bad_request(format!(
            "Invalid encode_as '{other}': expected 'json' or 'form'"
        ))),
    }
}

fn check_variable_name(name: &str) -> Result<(), ApiError> {
    let ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "Invalid custom variable name '{name}': it must only contain upper-case characters, integers or underscores"
        )))
    }
}

fn check_value(value: &str, limits: Limits) -> Result<(), ApiError> {
    match limits.max_variable_bytes {
        Some(max) if value.len() > max => Err(ApiError::bad_request(format!(
            "Custom variable value is too long: {} bytes, the maximum is {max}",
            value.len()
        ))),
        _ => Ok(()),
    }
}

/// `POST …/webhooks`.
pub fn create_webhook(state: &mut Integration, body: &Value) -> Result<Webhook, ApiError> {
    let req: WebhookCreateRequest = parse_body(body)?;
    check_webhook_name(&req.name)?;
    let encode_as = req.encode_as.unwrap_or_else(|| "json".to_string());
    check_encoding(&encode_as)?;
    if state.webhooks.contains_key(&req.name) {
        return Err(ApiError::bad_request(format!(
            "Webhook '{}' already exists",
            req.name
        )));
    }
    let webhook = Webhook {
        encode_as,
        url: req.url,
        custom_headers: req.custom_headers,
        name: req.name,
        payload: Some(
            req.payload
                .unwrap_or_else(|| DEFAULT_WEBHOOK_PAYLOAD.to_string()),
        ),
        auth_method_id: req.auth_method_id,
    };
    state.webhooks.insert(webhook.name.clone(), webhook.clone());
    Ok(webhook)
}

/// `GET …/webhooks/{name}`.
pub fn get_webhook(state: &Integration, name: &str) -> Result<Webhook, ApiError> {
    state
        .webhooks
        .get(name)
        .cloned()
        .ok_or_else(|| ApiError::not_found(WEBHOOK_NOT_FOUND))
}

/// `PUT …/webhooks/{name}`: partial; a `name` renames; `payload: null` restores the default.
pub fn update_webhook(
    state: &mut Integration,
    name: &str,
    body: &Value,
) -> Result<Webhook, ApiError> {
    let req: WebhookUpdateRequest = parse_body(body)?;
    let mut webhook = get_webhook(state, name)?;
    if let Some(new_name) = &req.name {
        check_webhook_name(new_name)?;
        check_free(&state.webhooks, name, new_name, "Webhook")?;
        webhook.name = new_name.clone();
    }
    if let Some(encode_as) = req.encode_as {
        check_encoding(&encode_as)?;
        webhook.encode_as = encode_as;
    }
    replace_given(&mut webhook.url, req.url);
    if let Some(payload) = req.payload {
        webhook.payload = Some(payload.unwrap_or_else(|| DEFAULT_WEBHOOK_PAYLOAD.to_string()));
    }
    replace_given(&mut webhook.custom_headers, req.custom_headers);
    replace_given(&mut webhook.auth_method_id, req.auth_method_id);
    state.webhooks.remove(name);
    state.webhooks.insert(webhook.name.clone(), webhook.clone());
    Ok(webhook)
}

/// `DELETE …/webhooks/{name}`.
pub fn delete_webhook(state: &mut Integration, name: &str) -> Result<(), ApiError> {
    remove(&mut state.webhooks, name, WEBHOOK_NOT_FOUND)
}

/// The API's view of a stored variable: no value when secret.
pub fn variable_response(variable: &StoredVariable) -> CustomVariable {
    CustomVariable {
        is_secret: variable.is_secret,
        name: variable.name.clone(),
        value: (!variable.is_secret).then(|| variable.value.clone()),
    }
}

/// `POST …/custom-variables`.
pub fn create_variable(
    state: &mut Integration,
    body: &Value,
    limits: Limits,
) -> Result<CustomVariable, ApiError> {
    let req: CustomVariableCreateRequest = parse_body(body)?;
    check_variable_name(&req.name)?;
    check_value(&req.value, limits)?;
    if state.custom_variables.contains_key(&req.name) {
        return Err(ApiError::bad_request(format!(
            "Custom variable '{}' already exists",
            req.name
        )));
    }
    let variable = StoredVariable {
        name: req.name,
        value: req.value,
        is_secret: req.is_secret,
    };
    let response = variable_response(&variable);
    state
        .custom_variables
        .insert(variable.name.clone(), variable);
    Ok(response)
}

/// `GET …/custom-variables/{name}`.
pub fn get_variable(state: &Integration, name: &str) -> Result<CustomVariable, ApiError> {
    state
        .custom_variables
        .get(name)
        .map(variable_response)
        .ok_or_else(|| ApiError::not_found(VARIABLE_NOT_FOUND))
}

/// `PUT …/custom-variables/{name}`: partial; a `name` renames.
pub fn update_variable(
    state: &mut Integration,
    name: &str,
    body: &Value,
    limits: Limits,
) -> Result<CustomVariable, ApiError> {
    let req: CustomVariableUpdateRequest = parse_body(body)?;
    let mut variable = state
        .custom_variables
        .get(name)
        .cloned()
        .ok_or_else(|| ApiError::not_found(VARIABLE_NOT_FOUND))?;
    if let Some(new_name) = &req.name {
        check_variable_name(new_name)?;
        check_free(&state.custom_variables, name, new_name, "Custom variable")?;
        variable.name = new_name.clone();
    }
    if let Some(value) = req.value {
        check_value(&value, limits)?;
        variable.value = value;
    }
    replace_given(&mut variable.is_secret, req.is_secret);
    let response = variable_response(&variable);
    state.custom_variables.remove(name);
    state
        .custom_variables
        .insert(variable.name.clone(), variable);
    Ok(response)
}

/// `DELETE …/custom-variables/{name}`.
pub fn delete_variable(state: &mut Integration, name: &str) -> Result<(), ApiError> {
    remove(&mut state.custom_variables, name, VARIABLE_NOT_FOUND)
}
