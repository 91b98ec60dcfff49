//! The handle check's lookups (`datadog::handles::look_up`) against a sandbox: one request
//! per distinct name or list page, never one per mention; a key without a permission gives
//! `Forbidden` with the permission; a Slack account the org lacks is a missing listing.

use crate::kit::cli::{API_KEY, APP_KEY};
use crate::kit::sandbox::Sandbox;
use ddhooks::datadog::handles::{look_up, TEAM_PAGE};
use ddhooks::datadog::{self, Client, ClientOptions, Credentials};
use ddhooks::handles::{HandleQuery, Listing, Presence};
use ddhooks::sandbox::SandboxConfig;
use reqwest::StatusCode;
use serde_json::json;
use std::collections::BTreeSet;

fn client(h: &Sandbox) -> Client {
    let url = datadog::base_url("datadoghq.com", Some(&h.base)).expect("base url");
    Client::new(
        url,
        Credentials::new(API_KEY, APP_KEY),
        ClientOptions::default(),
    )
    .expect("client")
}

async fn post(h: &Sandbox, path: &str, body: serde_json::Value) -> serde_json::Value {
    let (status, answer) = h.post(path, body).await;
    assert!(status.is_success(), "POST {path}: {status} {answer}");
    answer
}

fn names(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// An org with a Slack account `main` (#ops), a PagerDuty service, an Opsgenie service, one
/// handle of each Microsoft Teams kind, `teams` teams and one active user.
async fn seed(h: &Sandbox, teams: usize) {
    post(
        h,
        "/api/v1/integration/slack",
        json!({"service_hooks": [{"account": "main", "url": "https://example.com/h"}]}),
    )
    .await;
    post(
        h,
        "/api/v1/integration/slack/configuration/accounts/main/channels",
        json!({"name": "#ops"}),
    )
    .await;
    post(
        h,
        "/api/v1/integration/pagerduty/configuration/services",
        json!({"service_name": "payments", "service_key": "k"}),
    )
    .await;
    post(h, "/api/v2/integration/opsgenie/services", json!({"data": {"type": "opsgenie-service", "attributes": {"name": "og", "region": "us", "opsgenie_api_key": "k"}}})).await;
    post(h, "/api/v2/integration/ms-teams/configuration/tenant-based-handles", json!({"data": {"type": "tenant-based-handle", "attributes": {"name": "tb", "tenant_id": "t", "team_id": "m", "channel_id": "c"}}})).await;
    post(h, "/api/v2/integration/ms-teams/configuration/workflows-webhook-handles", json!({"data": {"type": "workflows-webhook-handle", "attributes": {"name": "wf", "url": "https://example.com/w"}}})).await;
    for i in 0..teams {
        post(h, "/api/v2/team", json!({"data": {"type": "team", "attributes": {"name": format!("Team {i}"), "handle": format!("team-{i}")}}})).await;
    }
    let user = post(
        h,
        "/api/v2/users",
        json!({"data": {"type": "users", "attributes": {"email": "ann@example.com"}}}),
    )
    .await;
    let id = user["data"]["id"].as_str().unwrap();
    let (status, _) = h
        .sim_post(&format!("/sandbox/v1/users/{id}/login"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
}

fn query() -> HandleQuery {
    HandleQuery {
        webhooks: names(&["absent-hook"]),
        slack_accounts: names(&["main", "other"]),
        pagerduty_services: names(&["payments", "billing"]),
        opsgenie: true,
        ms_teams: true,
        teams: true,
        users: names(&["Ann@Example.com", "bob@example.com"]),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_request_per_name_or_page_and_each_answer_in_the_directory() {
    let h = Sandbox::start(SandboxConfig::default()).await;
    seed(&h, TEAM_PAGE + 1).await;
    h.clear_requests().await;
    let found = look_up(&client(&h), &query(), 4).await.expect("look up");

    assert_eq!(found.webhooks["absent-hook"], Presence::Missing);
    assert_eq!(
        found.slack_accounts["main"],
        Listing::Names(names(&["ops"]))
    );
    assert_eq!(found.slack_accounts["other"], Listing::Missing);
    assert_eq!(found.pagerduty_services["payments"], Presence::Found);
    assert_eq!(found.pagerduty_services["billing"], Presence::Missing);
    assert_eq!(found.opsgenie, Some(Listing::Names(names(&["og"]))));
    assert_eq!(found.ms_teams, Some(Listing::Names(names(&["tb", "wf"]))));
    let Some(Listing::Names(teams)) = &found.teams else {
        panic!("teams listed: {:?}", found.teams)
    };
    assert_eq!(teams.len(), TEAM_PAGE + 1);
    assert!(teams.contains("team-100"));
    assert_eq!(
        found.users["ann@example.com"],
        Presence::Found,
        "emails match without case"
    );
    assert_eq!(found.users["bob@example.com"], Presence::Missing);

    let counts = h.request_counts().await;
    let total: u64 = counts.values().sum();
    // 1 webhook + 2 accounts + 2 services + 1 Opsgenie + 2 Microsoft Teams + 2 team pages
    // + 2 emails.
    assert_eq!(total, 12, "{counts:?}");
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_without_a_permission_is_forbidden_with_that_permission() {
    let config = SandboxConfig {
        denied_permissions: ["teams_read".to_string(), "integrations_read".to_string()].into(),
        ..SandboxConfig::default()
    };
    let h = Sandbox::start(config).await;
    let found = look_up(&client(&h), &query(), 2).await.expect("look up");
    let integrations = || Listing::Forbidden {
        permission: "integrations_read".into(),
    };
    assert_eq!(found.slack_accounts["main"], integrations());
    assert_eq!(found.opsgenie, Some(integrations()));
    assert_eq!(found.ms_teams, Some(integrations()));
    assert_eq!(
        found.pagerduty_services["payments"],
        Presence::Forbidden {
            permission: "integrations_read".into()
        }
    );
    assert_eq!(
        found.teams,
        Some(Listing::Forbidden {
            permission: "teams_read".into()
        })
    );
    // users need user_access_read, which the key has.
    assert_eq!(found.users["bob@example.com"], Presence::Missing);
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_asked_is_nothing_sent() {
    let h = Sandbox::start(SandboxConfig::default()).await;
    let found = look_up(&client(&h), &HandleQuery::default(), 4)
        .await
        .expect("look up");
    assert_eq!(found, Default::default());
    assert_eq!(h.requests_total().await, 0);
    h.stop().await;
}
