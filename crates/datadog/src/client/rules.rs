//! Monitor notification rules (API v2): `/api/v2/monitor/notification_rule` lists them a
//! page at a time, and creates (POST), reads, replaces (PATCH with the whole rule) and
//! deletes one by id.

use super::Client;
use crate::{wire, ApiError};
use reqwest::{Method, Url};

impl Client {
    /// `/api/v2/monitor/notification_rule[/{id}]`.
    fn rules_url(&self, id: Option<&str>) -> Url {
        let mut segments = vec!["monitor", "notification_rule"];
        segments.extend(id);
        self.versioned_url("v2", &segments)
    }

    /// One page of `GET /api/v2/monitor/notification_rule` (0-based `page`).
    pub(crate) async fn list_rules_page(
        &self,
        page: usize,
        per_page: usize,
    ) -> Result<Vec<wire::RuleData>, ApiError> {
        let mut url = self.rules_url(None);
        url.query_pairs_mut()
            .append_pair("page", &page.to_string())
            .append_pair("per_page", &per_page.to_string());
        let object = format!("notification rule list page {page}");
        self.get_found::<wire::RuleList>(url, &object)
            .await
            .map(|l| l.data)
    }

    /// Every notification rule, page by page (1,000 per page, the API's maximum) until a
    /// short page: the API gives no count. About 1,000 rules fit an org, so this is one
    /// request, or two when the first page is exactly full.
    pub(crate) async fn list_rules(&self) -> Result<Vec<wire::RuleData>, ApiError> {
        const PAGE: usize = 1000;
        /// A server that ignores `page` would answer forever; no org holds this many rules.
        const MAX_PAGES: usize = 100;
        let mut rules: Vec<wire::RuleData> = Vec::new();
        for page in 0..MAX_PAGES {
            let batch = self.list_rules_page(page, PAGE).await?;
            let full = batch.len() >= PAGE;
            if page > 0 && batch.first().map(|r| &r.id) == rules.first().map(|r| &r.id) {
                return Err(ApiError::Decode {
                    object: "notification rule list".into(),
                    detail: format!("page {page} repeats page 0: the server ignores paging"),
                });
            }
            rules.extend(batch);
            if !full {
                return Ok(rules);
            }
        }
        Err(ApiError::Decode {
            object: "notification rule list".into(),
            detail: format!("more than {MAX_PAGES} pages of {PAGE} rules"),
        })
    }

    /// `GET …/notification_rule/{id}`; `None` when it does not exist.
    pub(crate) async fn get_rule(&self, id: &str) -> Result<Option<wire::RuleDocument>, ApiError> {
        let url = self.rules_url(Some(id));
        self.get_optional(url, &format!("notification rule {id}"))
            .await
    }

    /// `POST …/notification_rule` (answers 200 with the rule and its id). Not retried
    /// after it was sent: a second create would make a second rule.
    pub(crate) async fn create_rule(
        &self,
        body: &wire::RuleDocument,
    ) -> Result<wire::RuleDocument, ApiError> {
        let url = self.rules_url(None);
        let object = format!("notification rule {}", body.data.attributes.name);
        self.write(Method::POST, url, body, &object).await
    }

    /// `PATCH …/notification_rule/{id}`: replaces the whole rule.
    pub(crate) async fn patch_rule(
        &self,
        id: &str,
        body: &wire::RuleDocument,
    ) -> Result<wire::RuleDocument, ApiError> {
        let url = self.rules_url(Some(id));
        let object = format!("notification rule {} ({id})", body.data.attributes.name);
        self.write(Method::PATCH, url, body, &object).await
    }

    /// `DELETE …/notification_rule/{id}` (204); `Ok(false)` when it was already gone.
    pub async fn delete_rule(&self, id: &str) -> Result<bool, ApiError> {
        let url = self.rules_url(Some(id));
        self.delete(url, &format!("notification rule {id}")).await
    }
}
