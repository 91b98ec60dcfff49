//! Dashboards (API v1, `/api/v1/dashboard`: listed `count` at a time, read, created,
//! replaced whole by PUT, deleted), which status boards are, and the check runs
//! (`POST /api/v1/check_run`) that seed what they show.

use super::Client;
use crate::{wire, ApiError};
use reqwest::Method;

impl Client {
    /// Every dashboard's summary, `count` at a time with `start` until a short page.
    pub(crate) async fn list_dashboards(&self) -> Result<Vec<wire::DashboardSummary>, ApiError> {
        const PAGE: usize = 1000;
        const MAX_PAGES: usize = 1000;
        let mut all: Vec<wire::DashboardSummary> = Vec::new();
        for page in 0..MAX_PAGES {
            let mut url = self.url(&["dashboard"]);
            url.query_pairs_mut()
                .append_pair("count", &PAGE.to_string())
                .append_pair("start", &(page * PAGE).to_string());
            let object = format!("dashboard list page {page}");
            let batch = self
                .get_found::<wire::DashboardList>(url, &object)
                .await?
                .dashboards;
            if page > 0 && batch.first().map(|d| &d.id) == all.first().map(|d| &d.id) {
                return Err(ApiError::Decode {
                    object: "dashboard list".into(),
                    detail: format!("page {page} repeats page 0: the server ignores paging"),
                });
            }
            let full = batch.len() >= PAGE;
            all.extend(batch);
            if !full {
                return Ok(all);
            }
        }
        Err(ApiError::Decode {
            object: "dashboard list".into(),
            detail: format!("more than {MAX_PAGES} pages of {PAGE} dashboards"),
        })
    }

    /// `GET /api/v1/dashboard/{id}`; `None` when it does not exist.
    pub(crate) async fn get_dashboard(
        &self,
        id: &str,
    ) -> Result<Option<wire::Dashboard>, ApiError> {
        let url = self.url(&["dashboard", id]);
        self.get_optional(url, &format!("dashboard {id}")).await
    }

    /// `POST /api/v1/dashboard` (answers 200 with the dashboard and its id). Not retried
    /// after it was sent: a second create would make a second dashboard.
    pub(crate) async fn create_dashboard(
        &self,
        body: &wire::Dashboard,
    ) -> Result<wire::Dashboard, ApiError> {
        let url = self.url(&["dashboard"]);
        let object = format!("dashboard {}", body.title);
        self.write(Method::POST, url, body, &object).await
    }

    /// `PUT /api/v1/dashboard/{id}`: replaces the dashboard whole.
    pub(crate) async fn put_dashboard(
        &self,
        id: &str,
        body: &wire::Dashboard,
    ) -> Result<wire::Dashboard, ApiError> {
        let url = self.url(&["dashboard", id]);
        let object = format!("dashboard {} ({id})", body.title);
        self.write(Method::PUT, url, body, &object).await
    }

    /// `DELETE /api/v1/dashboard/{id}`; `Ok(false)` when it was already gone.
    pub async fn delete_dashboard(&self, id: &str) -> Result<bool, ApiError> {
        let url = self.url(&["dashboard", id]);
        self.delete(url, &format!("dashboard {id}")).await
    }

    /// `POST /api/v1/check_run` with a batch of check runs (202). A lost answer is retried:
    /// a check run submitted twice is the same status twice, which changes nothing.
    pub(crate) async fn post_check_runs(
        &self,
        runs: &[wire::ServiceCheck],
    ) -> Result<(), ApiError> {
        let url = self.url(&["check_run"]);
        let object = format!("check_run ({} runs)", runs.len());
        let body = Self::encode(&object, &runs)?;
        let answer = self
            .call(Method::POST, url, Some(body), &object, true)
            .await?;
        self.found(&Method::POST, &object, answer).map(drop)
    }
}
