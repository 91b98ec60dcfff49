//! The client in the model's terms: writes of webhooks, custom variables and monitors from
//! the domain's types, reads into them. Callers outside this crate never build a wire type.

use crate::fetch::{remote_monitor, remote_variable, remote_webhook};
use crate::{wire, ApiError, Client};
use ddhooks_core::model::{RemoteMonitor, RemoteVariable, RemoteWebhook};
use ddhooks_core::plan::WebhookState;
use ddhooks_core::preview::MonitorFacts;

/// A monitor to create (the demo and tests make monitors people wrote).
#[derive(Debug, Clone, PartialEq)]
pub struct NewMonitor {
    /// Its name.
    pub name: String,
    /// Datadog's monitor type, e.g. `metric alert`.
    pub monitor_type: String,
    /// Its query.
    pub query: String,
    /// Its message.
    pub message: String,
    /// Its tags.
    pub tags: Vec<String>,
}

/// Payload and headers travel as JSON text inside JSON strings (built as JSON values, whose
/// text form cannot fail).
fn encoded(state: &WebhookState) -> (Option<String>, Option<String>) {
    let payload = state.payload.as_ref().map(|p| p.to_string());
    let headers = state.custom_headers.as_ref().map(|h| {
        let map: serde_json::Map<String, serde_json::Value> = h
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
            .collect();
        serde_json::Value::Object(map).to_string()
    });
    (payload, headers)
}

impl Client {
    /// Reads a webhook by name, decoded (`None`: it does not exist).
    pub async fn read_webhook(&self, name: &str) -> Result<Option<RemoteWebhook>, ApiError> {
        Ok(self.get_webhook(name).await?.as_ref().map(remote_webhook))
    }

    /// Reads a custom variable by name, decoded (`None`: it does not exist).
    pub async fn read_variable(&self, name: &str) -> Result<Option<RemoteVariable>, ApiError> {
        Ok(self.get_variable(name).await?.as_ref().map(remote_variable))
    }

    /// Every monitor of the org (pages of 1,000), decoded; monitors without an id are skipped.
    pub async fn read_monitors(&self) -> Result<Vec<RemoteMonitor>, ApiError> {
        Ok(self
            .list_monitors()
            .await?
            .into_iter()
            .filter_map(remote_monitor)
            .collect())
    }

    /// Creates a webhook named `name` as `state` (a missing payload lets Datadog store its
    /// default).
    pub async fn create_webhook_as(
        &self,
        name: &str,
        state: &WebhookState,
    ) -> Result<(), ApiError> {
        let (payload, custom_headers) = encoded(state);
        let body = wire::WebhookCreateRequest {
            name: name.to_string(),
            url: state.url.clone(),
            payload,
            custom_headers,
            encode_as: Some(state.encode_as.as_str().to_string()),
        };
        self.create_webhook(&body).await.map(|_| ())
    }

    /// Overwrites webhook `current` with `state`, renaming it to `new_name` when given.
    pub async fn update_webhook_as(
        &self,
        current: &str,
        new_name: Option<&str>,
        state: &WebhookState,
    ) -> Result<(), ApiError> {
        let (payload, custom_headers) = encoded(state);
        let body = wire::WebhookUpdateRequest {
            name: new_name.map(str::to_string),
            url: Some(state.url.clone()),
            payload: Some(payload),
            custom_headers: Some(custom_headers),
            encode_as: Some(state.encode_as.as_str().to_string()),
        };
        self.update_webhook(current, &body).await.map(|_| ())
    }

    /// Creates a custom variable.
    pub async fn create_variable_as(
        &self,
        name: &str,
        value: &str,
        secret: bool,
    ) -> Result<(), ApiError> {
        let body = wire::CustomVariableCreateRequest {
            is_secret: secret,
            name: name.to_string(),
            value: value.to_string(),
        };
        self.create_variable(&body).await.map(|_| ())
    }

    /// Overwrites a custom variable's value and secrecy.
    pub async fn update_variable_as(
        &self,
        name: &str,
        value: &str,
        secret: bool,
    ) -> Result<(), ApiError> {
        let body = wire::CustomVariableUpdateRequest {
            is_secret: Some(secret),
            name: None,
            value: Some(value.to_string()),
        };
        self.update_variable(name, &body).await.map(|_| ())
    }

    /// One `POST` of a non-secret custom variable whose unknown outcome is an error rather
    /// than resolved by reading (for the apply lock, whose creation must not overwrite
    /// another's); returns the stored value.
    pub async fn post_variable_as(
        &self,
        name: &str,
        value: &str,
    ) -> Result<Option<String>, ApiError> {
        let body = wire::CustomVariableCreateRequest {
            is_secret: false,
            name: name.to_string(),
            value: value.to_string(),
        };
        Ok(self.post_variable(&body).await?.value)
    }

    /// Reads a monitor as a preview needs it: what its notifications can say of it, and
    /// its message (`None`: it does not exist).
    pub async fn read_monitor_facts(
        &self,
        id: i64,
    ) -> Result<Option<(MonitorFacts, String)>, ApiError> {
        Ok(self.get_monitor(id).await?.map(|m| {
            let priority = m
                .extra
                .get("priority")
                .and_then(serde_json::Value::as_u64)
                .and_then(|n| u8::try_from(n).ok())
                .filter(|p| (1..=5).contains(p));
            let facts = MonitorFacts {
                id: m.id.unwrap_or(id),
                name: m.name.unwrap_or_default(),
                query: m.query,
                monitor_type: m.monitor_type,
                tags: m.tags,
                priority,
            };
            (facts, m.message.unwrap_or_default())
        }))
    }

    /// Reads a monitor's message (`None`: the monitor does not exist).
    pub async fn read_monitor_message(&self, id: i64) -> Result<Option<String>, ApiError> {
        Ok(self
            .get_monitor(id)
            .await?
            .map(|m| m.message.unwrap_or_default()))
    }

    /// Every monitor, decoded, when about `expected` are known to exist (sizes a parallel
    /// read of the pages).
    pub async fn monitors_expecting(
        &self,
        expected: usize,
    ) -> Result<Vec<RemoteMonitor>, ApiError> {
        Ok(self
            .list_monitors_expecting(expected)
            .await?
            .into_iter()
            .filter_map(remote_monitor)
            .collect())
    }

    /// Writes a monitor's message alone (a body holding only `message`, so `options` and
    /// every other field people set are kept).
    pub async fn write_monitor_message(&self, id: i64, message: &str) -> Result<(), ApiError> {
        self.update_monitor_message(id, message).await.map(|_| ())
    }

    /// Creates a monitor; returns its id.
    pub async fn create_monitor_as(&self, monitor: &NewMonitor) -> Result<i64, ApiError> {
        let body = wire::Monitor {
            id: None,
            monitor_type: monitor.monitor_type.clone(),
            query: monitor.query.clone(),
            name: Some(monitor.name.clone()),
            message: Some(monitor.message.clone()),
            tags: monitor.tags.clone(),
            options: None,
            extra: Default::default(),
        };
        let created = self.create_monitor(&body).await?;
        created.id.ok_or_else(|| ApiError::Decode {
            object: format!("monitor {}", monitor.name),
            detail: "the answer to the create has no id".to_string(),
        })
    }
}
