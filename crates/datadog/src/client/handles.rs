//! The reads of the handle check (issue 23): the destinations a notification handle can
//! name. Taken from the v1 spec of Datadog's official clients
//! (`.generator/schemas/v1/openapi.yaml`: Slack channels, PagerDuty services), the v2 API
//! reference (Opsgenie, Microsoft Teams, teams, users) and Terraform's recordings of each
//! (`tests/data/cassettes/terraform/`). Each read answers [`Answer`]: the object, none (404),
//! or forbidden (403) with the permission [`crate::permissions::permission_for`] says the read
//! needs, since Datadog's 403 body does not name it.

use super::Client;
use crate::{permissions::permission_for, wire, ApiError};
use reqwest::{Method, StatusCode, Url};
use serde::de::DeserializeOwned;

/// What one read of the handle check got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Answer<T> {
    /// The object or page.
    Found(T),
    /// 404: there is no such object (or 400: no such Slack account).
    Missing,
    /// 403: the application key lacks this permission.
    Forbidden(String),
}

impl Client {
    /// One GET of the handle check: 404 is [`Answer::Missing`], 403
    /// [`Answer::Forbidden`]; any other failure is an error naming `object`.
    async fn read_handle<T: DeserializeOwned>(
        &self,
        url: Url,
        object: &str,
    ) -> Result<Answer<T>, ApiError> {
        let path = url.path().to_string();
        match self.call(Method::GET, url, None, object, true).await {
            Ok((status, _)) if status == StatusCode::NOT_FOUND => Ok(Answer::Missing),
            Ok((_, bytes)) => Self::decode(object, &bytes).map(Answer::Found),
            Err(err) if err.status() == Some(403) => {
                let permission = permission_for("GET", &path).unwrap_or("unknown");
                Ok(Answer::Forbidden(permission.to_string()))
            }
            Err(err) => Err(err),
        }
    }

    /// `GET /api/v1/integration/slack/configuration/accounts/{account}/channels`.
    pub(crate) async fn list_slack_channels(
        &self,
        account: &str,
    ) -> Result<Answer<Vec<wire::SlackChannel>>, ApiError> {
        let url = self.url(&[
            "integration",
            "slack",
            "configuration",
            "accounts",
            account,
            "channels",
        ]);
        // An account the org lacks answers 400 `Account is not configured: …` (the official
        // Go client's recording), not the 404 the spec lists: either way, no such account.
        match self
            .read_handle(url, &format!("Slack channels of account {account}"))
            .await
        {
            Err(err) if err.status() == Some(400) => Ok(Answer::Missing),
            answer => answer,
        }
    }

    /// `GET /api/v1/integration/pagerduty/configuration/services/{name}`.
    pub(crate) async fn get_pagerduty_service(
        &self,
        name: &str,
    ) -> Result<Answer<wire::PagerDutyService>, ApiError> {
        let url = self.url(&[
            "integration",
            "pagerduty",
            "configuration",
            "services",
            name,
        ]);
        self.read_handle(url, &format!("PagerDuty service {name}"))
            .await
    }

    /// `GET /api/v1/integration/webhooks/configuration/webhooks/{name}`.
    pub(crate) async fn probe_webhook(
        &self,
        name: &str,
    ) -> Result<Answer<wire::Webhook>, ApiError> {
        let url = self.url(&["integration", "webhooks", "configuration", "webhooks", name]);
        self.read_handle(url, &format!("webhook {name}")).await
    }

    /// `GET /api/v2/integration/opsgenie/services` (unpaged).
    pub(crate) async fn list_opsgenie_services(&self) -> Result<Answer<wire::NamedList>, ApiError> {
        let url = self.versioned_url("v2", &["integration", "opsgenie", "services"]);
        self.read_handle(url, "Opsgenie service list").await
    }

    /// `GET /api/v2/integration/ms-teams/configuration/{kind}` (unpaged), `kind` being
    /// `tenant-based-handles` or `workflows-webhook-handles`.
    pub(crate) async fn list_ms_teams_handles(
        &self,
        kind: &str,
    ) -> Result<Answer<wire::NamedList>, ApiError> {
        let url = self.versioned_url("v2", &["integration", "ms-teams", "configuration", kind]);
        self.read_handle(url, &format!("Microsoft Teams {kind} list"))
            .await
    }

    /// One page of `GET /api/v2/team` (`page[number]` from 0).
    pub(crate) async fn list_teams_page(
        &self,
        page: usize,
        size: usize,
    ) -> Result<Answer<wire::TeamList>, ApiError> {
        let mut url = self.versioned_url("v2", &["team"]);
        url.query_pairs_mut()
            .append_pair("page[size]", &size.to_string())
            .append_pair("page[number]", &page.to_string());
        self.read_handle(url, &format!("team list page {page}"))
            .await
    }

    /// One page of the active users `filter` matches: `GET /api/v2/users?filter=…&
    /// filter[status]=Active`.
    pub(crate) async fn list_active_users_page(
        &self,
        filter: &str,
        page: usize,
        size: usize,
    ) -> Result<Answer<wire::UserList>, ApiError> {
        let mut url = self.versioned_url("v2", &["users"]);
        url.query_pairs_mut()
            .append_pair("filter", filter)
            .append_pair("filter[status]", "Active")
            .append_pair("page[size]", &size.to_string())
            .append_pair("page[number]", &page.to_string());
        self.read_handle(url, &format!("users matching {filter} page {page}"))
            .await
    }
}
