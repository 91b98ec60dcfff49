//! The destinations notification handles name, served as Terraform's recordings show them:
//! create, get, list and delete of Slack channels, PagerDuty and Opsgenie services,
//! Microsoft Teams handles, teams and users; their 404s; and the 403 of a scoped application
//! key without the permission an endpoint needs.

use crate::kit::sandbox::Sandbox;
use ddhooks::sandbox::SandboxConfig;
use reqwest::StatusCode;
use serde_json::{json, Value};

const SLACK: &str = "/api/v1/integration/slack/configuration/accounts/main/channels";

async fn created(h: &Sandbox, path: &str, body: Value) -> Value {
    let (status, answer) = h.post(path, body).await;
    assert_eq!(status, StatusCode::CREATED, "POST {path}: {answer}");
    answer
}

/// `GET path`, asserted to answer 200: the listing.
async fn listing(h: &Sandbox, path: &str) -> Value {
    let (code, list) = h.get(path).await;
    assert_eq!(code, StatusCode::OK, "GET {path}: {list}");
    list
}

/// `path` reads 200, deletes 204, then reads 404.
async fn read_delete_gone(h: &Sandbox, path: &str) {
    assert_eq!(h.get(path).await.0, StatusCode::OK);
    assert_eq!(h.delete(path).await.0, StatusCode::NO_CONTENT);
    assert_eq!(h.get(path).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn slack_channels_live_in_an_account_the_org_has() {
    let h = Sandbox::start(SandboxConfig::default()).await;
    // An account the org lacks is a 400 (the official Go client's recording).
    let (code, body) = h.get(SLACK).await;
    assert_eq!(code, StatusCode::BAD_REQUEST, "{body}");
    let (code, _) = h
        .post(
            "/api/v1/integration/slack",
            json!({"service_hooks": [{"account": "main", "url": "https://example.com/hook"}]}),
        )
        .await;
    assert_eq!(code, StatusCode::NO_CONTENT);
    let answer = created(&h, SLACK, json!({"name": "#ops"})).await;
    assert_eq!(answer["name"], "#ops");
    let list = listing(&h, SLACK).await;
    assert_eq!(list[0]["name"], "#ops");
    read_delete_gone(&h, &format!("{SLACK}/%23ops")).await;
    h.stop().await;
}

#[tokio::test]
async fn services_and_handles_are_created_read_listed_and_deleted() {
    let h = Sandbox::start(SandboxConfig::default()).await;
    let pd = "/api/v1/integration/pagerduty/configuration/services";
    created(
        &h,
        pd,
        json!({"service_name": "payments", "service_key": "k"}),
    )
    .await;
    let (code, one) = h.get(&format!("{pd}/payments")).await;
    assert_eq!(
        (code, one),
        (StatusCode::OK, json!({"service_name": "payments"}))
    );
    assert_eq!(
        h.delete(&format!("{pd}/payments")).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        h.get(&format!("{pd}/payments")).await.0,
        StatusCode::NOT_FOUND
    );

    let kinds = [
        (
            "/api/v2/integration/opsgenie/services",
            "opsgenie-service",
            json!({"name": "og", "region": "us", "opsgenie_api_key": "k"}),
        ),
        (
            "/api/v2/integration/ms-teams/configuration/tenant-based-handles",
            "tenant-based-handle",
            json!({"name": "tb", "tenant_id": "t", "team_id": "m", "channel_id": "c"}),
        ),
        (
            "/api/v2/integration/ms-teams/configuration/workflows-webhook-handles",
            "workflows-webhook-handle",
            json!({"name": "wf", "url": "https://example.com/wf"}),
        ),
    ];
    for (path, kind, attributes) in kinds {
        let answer = created(
            &h,
            path,
            json!({"data": {"type": kind, "attributes": attributes}}),
        )
        .await;
        let id = answer["data"]["id"].as_str().unwrap().to_string();
        let text = answer.to_string();
        assert!(
            !text.contains("\"k\"") && !text.contains("example.com"),
            "{text}"
        );
        let list = listing(&h, path).await;
        assert_eq!(list["data"][0]["attributes"]["name"], attributes["name"]);
        read_delete_gone(&h, &format!("{path}/{id}")).await;
    }
    h.stop().await;
}

#[tokio::test]
async fn teams_page_and_users_are_disabled_by_delete() {
    let h = Sandbox::start(SandboxConfig::default()).await;
    for i in 0..3 {
        created(&h, "/api/v2/team", json!({"data": {"type": "team", "attributes": {"name": format!("T{i}"), "handle": format!("t{i}")}}})).await;
    }
    let (_, page) = h
        .get("/api/v2/team?page%5Bsize%5D=2&page%5Bnumber%5D=1")
        .await;
    assert_eq!(page["data"].as_array().unwrap().len(), 1);
    assert_eq!(page["meta"]["pagination"]["total"], 3);
    assert_eq!(
        h.get("/api/v2/team/00000000-0000-4000-8000-00000000dead")
            .await
            .0,
        StatusCode::NOT_FOUND
    );

    let user = created(
        &h,
        "/api/v2/users",
        json!({"data": {"type": "users", "attributes": {"email": "Ann@example.com"}}}),
    )
    .await;
    let id = user["data"]["id"].as_str().unwrap().to_string();
    assert_eq!(user["data"]["attributes"]["status"], "Pending");
    let active = "/api/v2/users?filter=ann%40example.com&filter%5Bstatus%5D=Active";
    assert_eq!(h.get(active).await.1["data"], json!([]));
    let (code, _) = h
        .sim_post(&format!("/sandbox/v1/users/{id}/login"), json!({}))
        .await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(h.get(active).await.1["data"][0]["id"], id.as_str());
    assert_eq!(
        h.delete(&format!("/api/v2/users/{id}")).await.0,
        StatusCode::NO_CONTENT
    );
    let (_, after) = h.get(&format!("/api/v2/users/{id}")).await;
    assert_eq!(after["data"]["attributes"]["status"], "Disabled");
    h.stop().await;
}

#[tokio::test]
async fn a_key_without_a_permission_gets_403_on_the_endpoints_needing_it() {
    let config = SandboxConfig {
        denied_permissions: ["teams_read".to_string(), "manage_integrations".to_string()].into(),
        ..SandboxConfig::default()
    };
    let h = Sandbox::start(config).await;
    let (code, body) = h.get("/api/v2/team").await;
    assert_eq!(
        (code, body),
        (StatusCode::FORBIDDEN, json!({"errors": ["Forbidden"]}))
    );
    let (code, _) = h
        .post(
            "/api/v1/integration/pagerduty/configuration/services",
            json!({"service_name": "p", "service_key": "k"}),
        )
        .await;
    assert_eq!(code, StatusCode::FORBIDDEN);
    // Reads needing another permission, and other endpoints, are served.
    assert_eq!(h.get("/api/v2/users").await.0, StatusCode::OK);
    assert_eq!(
        h.get("/api/v2/integration/opsgenie/services").await.0,
        StatusCode::OK
    );
    assert_eq!(h.get("/api/v1/monitor").await.0, StatusCode::OK);
    h.stop().await;
}

#[tokio::test]
async fn the_directory_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let config = SandboxConfig {
        data: Some(dir.path().join("data.json")),
        ..SandboxConfig::default()
    };
    let h = Sandbox::start(config.clone()).await;
    created(
        &h,
        "/api/v1/integration/pagerduty/configuration/services",
        json!({"service_name": "kept", "service_key": "secret-key"}),
    )
    .await;
    h.stop().await;
    let text: String = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap_or_default())
        .collect();
    assert!(!text.contains("secret-key"), "no credential on disk");
    let h = Sandbox::start(config).await;
    let (code, _) = h
        .get("/api/v1/integration/pagerduty/configuration/services/kept")
        .await;
    assert_eq!(code, StatusCode::OK);
    h.stop().await;
}
