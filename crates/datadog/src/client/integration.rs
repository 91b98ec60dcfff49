//! The webhooks integration (API v1): webhooks and custom variables by name, each write one
//! at a time (`Client::gate`: Datadog's integration store loses overlapping writes), and
//! creates that read back by name before retrying an unknown outcome.

use super::Client;
use crate::{wire, ApiError};
use reqwest::{Method, Url};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// A kind of the integration's objects, addressed by name: where it sits under
/// `…/integration/webhooks/configuration/` and what messages call one.
#[derive(Debug, Clone, Copy)]
struct Kind {
    /// The URL segment of the collection.
    segment: &'static str,
    /// The noun messages put before an object's name.
    noun: &'static str,
}

const WEBHOOK: Kind = Kind {
    segment: "webhooks",
    noun: "webhook",
};

const VARIABLE: Kind = Kind {
    segment: "custom-variables",
    noun: "custom variable",
};

impl Client {
    /// `…/integration/webhooks/configuration/{kind}[/{name}]`.
    fn named_url(&self, kind: Kind, name: Option<&str>) -> Url {
        let mut segments = vec!["integration", "webhooks", "configuration", kind.segment];
        segments.extend(name);
        self.url(&segments)
    }

    /// `…/integration/webhooks/configuration/webhooks[/{name}]`.
    pub(super) fn webhooks_url(&self, name: Option<&str>) -> Url {
        self.named_url(WEBHOOK, name)
    }

    /// `GET` of one object; `None` when it does not exist.
    async fn get_named<T: DeserializeOwned>(
        &self,
        kind: Kind,
        name: &str,
    ) -> Result<Option<T>, ApiError> {
        let url = self.named_url(kind, Some(name));
        self.get_optional(url, &format!("{} {name}", kind.noun))
            .await
    }

    /// `PUT` of one object (partial; a `name` in the body renames). The caller holds the gate.
    async fn put_named<T: DeserializeOwned>(
        &self,
        kind: Kind,
        name: &str,
        body: &impl Serialize,
    ) -> Result<T, ApiError> {
        let url = self.named_url(kind, Some(name));
        self.write(Method::PUT, url, body, &format!("{} {name}", kind.noun))
            .await
    }

    /// `DELETE` of one object, through the gate; `Ok(false)` when it was already gone.
    async fn delete_named(&self, kind: Kind, name: &str) -> Result<bool, ApiError> {
        let _one_at_a_time = self.gate.lock().await;
        let url = self.named_url(kind, Some(name));
        self.delete(url, &format!("{} {name}", kind.noun)).await
    }

    /// `GET …/webhooks/{name}`; `None` when it does not exist.
    pub(crate) async fn get_webhook(&self, name: &str) -> Result<Option<wire::Webhook>, ApiError> {
        self.get_named(WEBHOOK, name).await
    }

    /// `POST …/webhooks`. If the outcome is unknown (the connection dropped), reads the
    /// webhook by name before retrying: never a duplicate, never a loop on "already exists".
    pub(crate) async fn create_webhook(
        &self,
        body: &wire::WebhookCreateRequest,
    ) -> Result<wire::Webhook, ApiError> {
        let _one_at_a_time = self.gate.lock().await;
        let object = format!("webhook {}", body.name);
        let url = self.webhooks_url(None);
        self.create_reading_back(url, body, &object, || async {
            let existing = self.get_webhook(&body.name).await?;
            if existing.is_some() {
                tracing::warn!("POST {object}: the answer was lost; read back, it exists");
            }
            Ok(existing)
        })
        .await
    }

    /// `POST`s `body`; when the outcome is unknown (the connection dropped), waits, asks
    /// `read_back` for what the lost answer made (`None`: nothing) and retries only if it
    /// made nothing: never a duplicate, never a loop on "already exists".
    async fn create_reading_back<T, F, Fut>(
        &self,
        url: Url,
        body: &impl Serialize,
        object: &str,
        read_back: F,
    ) -> Result<T, ApiError>
    where
        T: DeserializeOwned,
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<Option<T>, ApiError>>,
    {
        let mut attempt = 0;
        loop {
            match self.write(Method::POST, url.clone(), body, object).await {
                Ok(created) => return Ok(created),
                Err(err) if err.outcome_unknown() && attempt < self.options.max_retries => {
                    tracing::debug!(object, error = %err, "create outcome unknown; reading before retrying");
                    tokio::time::sleep(self.backoff(attempt, err.status(), None)).await;
                    if let Some(made) = read_back().await? {
                        return Ok(made);
                    }
                    attempt += 1;
                }
                Err(err) => return Err(err),
            }
        }
    }

    /// `PUT …/webhooks/{name}` (partial; a `name` in the body renames).
    pub(crate) async fn update_webhook(
        &self,
        name: &str,
        body: &wire::WebhookUpdateRequest,
    ) -> Result<wire::Webhook, ApiError> {
        let _one_at_a_time = self.gate.lock().await;
        self.put_named(WEBHOOK, name, body).await
    }

    /// `DELETE …/webhooks/{name}`; `Ok(false)` when it was already gone.
    pub async fn delete_webhook(&self, name: &str) -> Result<bool, ApiError> {
        self.delete_named(WEBHOOK, name).await
    }

    /// `GET …/custom-variables/{name}`; `None` when it does not exist.
    pub(crate) async fn get_variable(
        &self,
        name: &str,
    ) -> Result<Option<wire::CustomVariable>, ApiError> {
        self.get_named(VARIABLE, name).await
    }

    /// `POST …/custom-variables`, reading by name before retrying an unknown outcome.
    pub(crate) async fn create_variable(
        &self,
        body: &wire::CustomVariableCreateRequest,
    ) -> Result<wire::CustomVariable, ApiError> {
        let _one_at_a_time = self.gate.lock().await;
        let object = format!("custom variable {}", body.name);
        let url = self.named_url(VARIABLE, None);
        self.create_reading_back(url, body, &object, || async {
            if self.get_variable(&body.name).await?.is_none() {
                return Ok(None);
            }
            tracing::warn!("POST {object}: the answer was lost; read back, it exists (its value is written again)");
            // It exists; make sure it holds what was asked (a secret's value cannot be
            // read back, so write it again).
            let update =
                wire::CustomVariableUpdateRequest::overwrite(body.value.as_str(), body.is_secret);
            self.put_named(VARIABLE, &body.name, &update)
                .await
                .map(Some)
        })
        .await
    }

    /// One `POST …/custom-variables` whose unknown outcome is returned as an error rather
    /// than resolved: for the apply lock, whose creation must not overwrite another's.
    pub(crate) async fn post_variable(
        &self,
        body: &wire::CustomVariableCreateRequest,
    ) -> Result<wire::CustomVariable, ApiError> {
        let _one_at_a_time = self.gate.lock().await;
        let url = self.named_url(VARIABLE, None);
        let object = format!("custom variable {}", body.name);
        self.write(Method::POST, url, body, &object).await
    }

    /// `PUT …/custom-variables/{name}` (partial).
    pub(crate) async fn update_variable(
        &self,
        name: &str,
        body: &wire::CustomVariableUpdateRequest,
    ) -> Result<wire::CustomVariable, ApiError> {
        let _one_at_a_time = self.gate.lock().await;
        self.put_named(VARIABLE, name, body).await
    }

    /// `DELETE …/custom-variables/{name}`; `Ok(false)` when it was already gone.
    pub async fn delete_variable(&self, name: &str) -> Result<bool, ApiError> {
        self.delete_named(VARIABLE, name).await
    }
}
