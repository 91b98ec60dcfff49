//! Webhook auth methods (API v2, since 2026):
//! `/api/v2/integration/webhooks/configuration/auth-method` lists them (no paging);
//! `…/auth-method/oauth2-client-credentials[/{id}]` creates (201), reads, patches (a
//! partial update, 200) and deletes (204) one. Taken from the official clients' generated
//! API (`DataDog/datadog-api-client-rust`, `src/datadogV2/api/api_webhooks_integration.rs`)
//! and the recording in Terraform's provider
//! (`TestAccDatadogWebhookOauth2ClientCredentials_Basic`).

use super::Client;
use crate::{wire, ApiError};
use reqwest::{Method, Url};

impl Client {
    /// `/api/v2/integration/webhooks/configuration/auth-method[/oauth2-client-credentials[/{id}]]`.
    fn auth_method_url(&self, oauth2: bool, id: Option<&str>) -> Url {
        let mut segments = vec!["integration", "webhooks", "configuration", "auth-method"];
        if oauth2 {
            segments.push(wire::OAUTH2_PROTOCOL);
        }
        segments.extend(id);
        self.versioned_url("v2", &segments)
    }

    /// Every auth method of the org with its OAuth2 attributes (`include=…`): the listing
    /// is one request, unpaged.
    pub(crate) async fn list_auth_methods(&self) -> Result<wire::AuthMethodList, ApiError> {
        let mut url = self.auth_method_url(false, None);
        url.query_pairs_mut()
            .append_pair("include", wire::OAUTH2_PROTOCOL);
        let object = "webhook auth method list";
        self.get_found(url, object).await
    }

    /// `GET …/oauth2-client-credentials/{id}`; `None` when it does not exist.
    pub(crate) async fn get_auth_method(
        &self,
        id: &str,
    ) -> Result<Option<wire::OAuth2AuthMethodDocument>, ApiError> {
        let url = self.auth_method_url(true, Some(id));
        self.get_optional(url, &format!("webhook auth method {id}"))
            .await
    }

    /// `POST …/oauth2-client-credentials` (201 with the auth method and its id). Not
    /// retried after it was sent: a second create would make a second auth method.
    pub(crate) async fn create_auth_method(
        &self,
        name: &str,
        body: &wire::OAuth2AuthMethodWriteRequest,
    ) -> Result<wire::OAuth2AuthMethodDocument, ApiError> {
        let url = self.auth_method_url(true, None);
        self.write(
            Method::POST,
            url,
            body,
            &format!("webhook auth method {name}"),
        )
        .await
    }

    /// `PATCH …/oauth2-client-credentials/{id}`: sets the attributes the body holds.
    pub(crate) async fn patch_auth_method(
        &self,
        name: &str,
        id: &str,
        body: &wire::OAuth2AuthMethodWriteRequest,
    ) -> Result<wire::OAuth2AuthMethodDocument, ApiError> {
        let url = self.auth_method_url(true, Some(id));
        let object = format!("webhook auth method {name} ({id})");
        self.write(Method::PATCH, url, body, &object).await
    }

    /// `DELETE …/oauth2-client-credentials/{id}` (204); `Ok(false)` when it was already
    /// gone.
    pub async fn delete_auth_method(&self, id: &str) -> Result<bool, ApiError> {
        let url = self.auth_method_url(true, Some(id));
        self.delete(url, &format!("webhook auth method {id}")).await
    }
}
