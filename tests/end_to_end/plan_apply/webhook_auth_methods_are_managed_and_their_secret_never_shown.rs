//! `webhook_auth_methods:` through the real binary and sandbox: plan, apply, a new secret,
//! adoption of one a person made, import, and delete; the client secret is in no output
//! (at any verbosity), no saved plan, no imported manifest and no registry variable.

use crate::kit::e2e::E2e;
use crate::kit::fixtures::SCENARIO;
use crate::kit::sandbox::{AUTH_METHODS, OAUTH2_AUTH_METHODS};
use serde_json::{json, Value};

const SECRET: &str = "made-up-client-secret-0001";
const NEW_SECRET: &str = "made-up-client-secret-0002";

const OKTA: &str = r#"
webhook_auth_methods:
  okta:
    access_token_url: https://login.example.com/oauth2/token
    client_id: ddhooks-client
    client_secret: ${env:OKTA_CLIENT_SECRET}
    scope: "alerts:write"
"#;

/// Every auth method the sandbox holds, with its attributes.
async fn auth_methods(e: &E2e) -> Vec<Value> {
    let (status, list) = e
        .get(&format!("{AUTH_METHODS}?include=oauth2-client-credentials"))
        .await;
    assert_eq!(status, 200, "{list}");
    list["included"].as_array().cloned().unwrap_or_default()
}

/// Asserts that no secret of this test is in `text`.
fn assert_hidden(what: &str, text: &str) {
    for secret in [SECRET, NEW_SECRET] {
        assert!(
            !text.contains(secret),
            "{what} shows the client secret:\n{text}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_auth_method_is_planned_applied_rotated_and_deleted_with_its_secret_hidden() {
    let mut e = E2e::start().await;
    e.env.push(("OKTA_CLIENT_SECRET".into(), SECRET.into()));
    e.write("auth.yaml", OKTA);

    let plan = e.plan(&["-vvv"]).await;
    plan.assert_exit_shows(
        0,
        &[
            "+ webhook_auth_method.okta will be created",
            "client_secret",
            "(sensitive)",
            "Plan: 1 to create, 0 to update, 0 to delete.",
        ],
    );
    assert_hidden("plan -vvv", &plan.all());
    let (saved, _) = e.save_plan().await;
    assert_hidden("the saved plan", &std::fs::read_to_string(&saved).unwrap());

    let apply = e.apply(&["--auto-approve", "-vvv"]).await;
    assert_eq!(apply.code, 0, "{}", apply.all());
    assert_hidden("apply -vvv", &apply.all());
    e.assert_converged().await;
    let held = auth_methods(&e).await;
    assert_eq!(held.len(), 1, "{held:?}");
    let attributes = &held[0]["attributes"];
    assert_eq!(attributes["name"], "okta");
    assert_eq!(attributes["scope"], "alerts:write");
    assert_eq!(attributes["audience"], Value::Null);
    let id = held[0]["id"].as_str().expect("id").to_string();
    for (name, value) in e.registry_values().await {
        assert_hidden(&format!("registry variable {name}"), &value);
    }

    // A new secret in the environment: an update, said why, and converged after.
    e.env.retain(|(k, _)| k != "OKTA_CLIENT_SECRET");
    e.env.push(("OKTA_CLIENT_SECRET".into(), NEW_SECRET.into()));
    let plan = e.plan(&[]).await;
    plan.assert_shows(&[
        "~ webhook_auth_method.okta will be updated in place",
        "the client secret differs from the one ddhooks last wrote",
    ]);
    assert_hidden("plan", &plan.all());
    let apply = e.apply_ok().await;
    assert_hidden("apply", &apply.all());
    e.assert_converged().await;
    assert_eq!(
        auth_methods(&e).await[0]["id"],
        id.as_str(),
        "updated in place"
    );

    // Gone from the manifests: deleted.
    e.write("checkout.yaml", SCENARIO);
    e.remove_and_apply("auth.yaml", "- webhook_auth_method.okta will be deleted")
        .await;
    assert!(auth_methods(&e).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_a_person_made_is_adopted_by_name_and_imported_with_its_secret_from_the_environment() {
    let mut e = E2e::start().await;
    let (status, made) = e
        .post(OAUTH2_AUTH_METHODS, json!({"data": {"type": "webhooks-auth-method-oauth2-client-credentials",
                "attributes": {"name": "okta", "access_token_url": "https://login.example.com/oauth2/token",
                    "client_id": "ddhooks-client", "client_secret": SECRET, "scope": "alerts:write"}}}))
        .await;
    assert_eq!(status, 201, "{made}");
    let id = made["data"]["id"].as_str().expect("id").to_string();

    // Import writes it with the secret read from the environment.
    let dir = e.manifests();
    let run = e.import(&dir, &[]).await;
    assert_eq!(run.code, 0, "{}", run.all());
    run.assert_stderr_shows(&["1 webhook auth methods", "OKTA_CLIENT_SECRET"]);
    let text = std::fs::read_to_string(dir.join("imported.yaml")).expect("imported.yaml");
    assert!(
        text.contains("webhook_auth_methods:\n")
            && text.contains("client_secret: \"${env:OKTA_CLIENT_SECRET}\""),
        "{text}"
    );
    assert_hidden("the imported manifest", &text);

    // Planned: adopted by name; the secret cannot be read, so it is written once.
    e.env.push(("OKTA_CLIENT_SECRET".into(), SECRET.into()));
    let plan = e.plan(&["--format", "json"]).await;
    assert_eq!(plan.code, 0, "{}", plan.all());
    let view: Value = serde_json::from_str(&plan.stdout).expect("JSON plan");
    let change = &view["changes"][0];
    assert_eq!(change["address"], "webhook_auth_method.okta", "{view}");
    assert_eq!(change["action"], "adopt");
    assert_eq!(change["writes"], true);
    assert_eq!(change["auth_method_id"], id.as_str());
    assert_eq!(change["after"]["client_secret"]["sensitive"], true);
    assert_hidden("the JSON plan", &plan.all());
    e.apply_and_assert_converged().await;
    assert_eq!(auth_methods(&e).await.len(), 1, "adopted, not made again");
}
