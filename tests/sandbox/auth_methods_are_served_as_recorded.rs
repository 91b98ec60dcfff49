//! The v2 webhook auth-method endpoints, over loopback HTTP: create answers 201 with the
//! method (no secret, `null` for an unset scope or audience), get and PATCH answer 200,
//! delete 204 with an empty body, then the recorded 404; the listing names every method and
//! includes their attributes on `include=oauth2-client-credentials`; bad bodies are 400s, a
//! name used twice a 409, with nothing stored; the secret is in no answer; both keys are
//! needed; the data file keeps the methods across a restart, without their secrets.

use crate::kit::sandbox::{Sandbox, AUTH_METHODS, OAUTH2_AUTH_METHODS};

use ddhooks::sandbox::SandboxConfig;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const KIND: &str = "webhooks-auth-method-oauth2-client-credentials";
const SECRET: &str = "s3cr3t-client-secret";
const NOT_FOUND: &str = "The requested auth method does not exist.";

fn path(id: &str) -> String {
    format!("{OAUTH2_AUTH_METHODS}/{id}")
}

fn body(attributes: Value) -> Value {
    json!({"data": {"type": KIND, "attributes": attributes}})
}

fn method(name: &str) -> Value {
    body(
        json!({"name": name, "access_token_url": "https://idp.example/token",
        "client_id": "client-1", "client_secret": SECRET, "audience": "https://api.example"}),
    )
}

/// Creates `name` and answers its id.
async fn create(h: &Sandbox, name: &str) -> String {
    let (status, created) = h.post(OAUTH2_AUTH_METHODS, method(name)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created["data"]["id"].as_str().expect("id").to_string()
}

fn error(body: &Value) -> &str {
    body["errors"][0].as_str().unwrap_or_default()
}

fn assert_no_secret(answer: &Value) {
    let text = answer.to_string();
    assert!(
        !text.contains(SECRET) && !text.contains("client_secret"),
        "{text}"
    );
}

#[tokio::test]
async fn create_get_patch_delete_answer_as_recorded() {
    let h = Sandbox::start(Default::default()).await;
    let (status, created) = h.post(OAUTH2_AUTH_METHODS, method("idp")).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["data"]["id"].as_str().expect("id").to_string();
    assert_eq!(
        created,
        json!({"data": {"type": KIND, "id": id, "attributes": {
            "name": "idp", "protocol": "oauth2-client-credentials",
            "access_token_url": "https://idp.example/token", "client_id": "client-1",
            "scope": null, "audience": "https://api.example"}}})
    );
    assert_eq!(id.len(), 36, "a UUID: {id}");
    let (status, read) = h.get(&path(&id)).await;
    assert_eq!((status, &read), (StatusCode::OK, &created));

    // A PATCH is partial: `null` clears, what is left out is kept.
    let (status, patched) = h
        .patch(
            &path(&id),
            body(json!({"audience": null, "scope": "read write",
                "client_secret": "rotated"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    let attributes = &patched["data"]["attributes"];
    assert_eq!(attributes["audience"], Value::Null);
    assert_eq!(attributes["scope"], "read write");
    assert_eq!(attributes["name"], "idp");
    assert_eq!(attributes["client_id"], "client-1");
    assert!(!patched.to_string().contains("rotated"), "{patched}");
    let (_, read) = h.get(&path(&id)).await;
    assert_eq!(read, patched);

    let response = h.req(Method::DELETE, &path(&id)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(response.text().await.unwrap(), "");
    for (method, body) in [
        (Method::GET, None),
        (Method::PATCH, Some(body(json!({"scope": "x"})))),
        (Method::DELETE, None),
    ] {
        let (status, answer) = h.call(method.clone(), &path(&id), body).await;
        assert_eq!(
            (status, answer),
            (StatusCode::NOT_FOUND, json!({"errors": [NOT_FOUND]})),
            "{method} after delete"
        );
    }
    h.stop().await;
}

#[tokio::test]
async fn the_listing_names_every_method_and_includes_them_on_request() {
    let h = Sandbox::start(Default::default()).await;
    let (status, empty) = h.get(AUTH_METHODS).await;
    assert_eq!((status, empty), (StatusCode::OK, json!({"data": []})));
    let b = create(&h, "b").await;
    let a = create(&h, "a").await;
    let (status, listed) = h.get(AUTH_METHODS).await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    let entry = |id: &str| {
        json!({"type": "webhooks-auth-method", "id": id,
            "attributes": {"protocol": "oauth2-client-credentials"},
            "relationships": {"oauth2-client-credentials": {"data": {"id": id, "type": KIND}}}})
    };
    assert_eq!(listed, json!({"data": [entry(&a), entry(&b)]}));

    let (status, included) = h
        .get(&format!("{AUTH_METHODS}?include=oauth2-client-credentials"))
        .await;
    assert_eq!(status, StatusCode::OK, "{included}");
    assert_eq!(included["data"], listed["data"]);
    let (_, read_a) = h.get(&path(&a)).await;
    let (_, read_b) = h.get(&path(&b)).await;
    assert_eq!(
        included["included"],
        json!([read_a["data"], read_b["data"]])
    );
    assert_no_secret(&included);

    for bad in ["users", "oauth2-client-credentials,users", ""] {
        let (status, answer) = h.get(&format!("{AUTH_METHODS}?include={bad}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "include={bad}: {answer}");
        assert!(error(&answer).contains("include"), "{answer}");
    }
    h.stop().await;
}

#[tokio::test]
async fn bad_bodies_are_400s_and_store_nothing() {
    let h = Sandbox::start(Default::default()).await;
    for missing in ["name", "access_token_url", "client_id", "client_secret"] {
        let mut request = method("m");
        request["data"]["attributes"]
            .as_object_mut()
            .unwrap()
            .remove(missing);
        let (status, answer) = h.post(OAUTH2_AUTH_METHODS, request).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{missing}: {answer}");
        assert!(error(&answer).contains(missing), "{missing}: {answer}");
    }
    let mut wrong_type = method("m");
    wrong_type["data"]["type"] = json!("webhooks-auth-method");
    let mut unknown = method("m");
    unknown["data"]["attributes"]["token_lifetime"] = json!(60);
    let mut not_a_url = method("m");
    not_a_url["data"]["attributes"]["access_token_url"] = json!("idp.example/token");
    for (what, request) in [
        ("wrong type", wrong_type),
        ("unknown attribute", unknown),
        ("not a URL", not_a_url),
        ("no data", json!({})),
    ] {
        let (status, answer) = h.post(OAUTH2_AUTH_METHODS, request).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{what}: {answer}");
    }
    let (status, answer) = h
        .call_raw(Method::POST, OAUTH2_AUTH_METHODS, "{not json")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    let (_, listed) = h.get(AUTH_METHODS).await;
    assert_eq!(listed, json!({"data": []}), "nothing stored");

    let id = create(&h, "m").await;
    let (status, answer) = h
        .patch(
            &path(&id),
            json!({"data": {"type": "users", "attributes": {}}}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    h.stop().await;
}

#[tokio::test]
async fn a_name_used_twice_is_a_409_on_create_and_patch() {
    let h = Sandbox::start(Default::default()).await;
    create(&h, "first").await;
    let second = create(&h, "second").await;
    let (status, answer) = h.post(OAUTH2_AUTH_METHODS, method("first")).await;
    assert_eq!(status, StatusCode::CONFLICT, "{answer}");
    assert!(error(&answer).contains("first"), "{answer}");
    let (status, answer) = h
        .patch(&path(&second), body(json!({"name": "first"})))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{answer}");
    let (_, read) = h.get(&path(&second)).await;
    assert_eq!(read["data"]["attributes"]["name"], "second");
    // Renaming a method to its own name is no conflict.
    let (status, answer) = h
        .patch(&path(&second), body(json!({"name": "second"})))
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let (_, listed) = h.get(AUTH_METHODS).await;
    assert_eq!(listed["data"].as_array().map(Vec::len), Some(2));
    h.stop().await;
}

#[tokio::test]
async fn both_keys_are_needed() {
    let h = Sandbox::start(Default::default()).await;
    let id = create(&h, "m").await;
    for (method, path) in [
        (Method::GET, AUTH_METHODS.to_string()),
        (Method::POST, OAUTH2_AUTH_METHODS.to_string()),
        (Method::GET, path(&id)),
        (Method::DELETE, path(&id)),
    ] {
        let (status, _) = h
            .call_without_app_key(Some(&h.api_key), method.clone(), &path, None)
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path}");
    }
    let (status, _) = h.get(&path(&id)).await;
    assert_eq!(status, StatusCode::OK, "still there");
    h.stop().await;
}

#[tokio::test]
async fn the_data_file_keeps_auth_methods_but_not_their_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sandbox.json");
    let config = || SandboxConfig {
        data: Some(file.clone()),
        ..Default::default()
    };
    let h = Sandbox::start(config()).await;
    let kept = create(&h, "kept").await;
    let gone = create(&h, "gone").await;
    let (_, patched) = h.patch(&path(&kept), body(json!({"scope": "read"}))).await;
    let (status, _) = h.delete(&path(&gone)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    h.stop().await;

    let on_disk: String = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| std::fs::read_to_string(entry.unwrap().path()).unwrap())
        .collect();
    assert!(on_disk.contains("kept"), "the method is in the data file");
    assert!(!on_disk.contains(SECRET), "the secret is not: {on_disk}");

    let h = Sandbox::start(config()).await;
    let (status, read) = h.get(&path(&kept)).await;
    assert_eq!((status, read), (StatusCode::OK, patched));
    let (status, _) = h.get(&path(&gone)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, listed) = h.get(AUTH_METHODS).await;
    assert_eq!(listed["data"].as_array().map(Vec::len), Some(1));
    // The name stays taken after the restart.
    let (status, _) = h.post(OAUTH2_AUTH_METHODS, method("kept")).await;
    assert_eq!(status, StatusCode::CONFLICT);
    h.stop().await;
}
