//! The v2 monitor notification-rule endpoints, over loopback HTTP: answers as recorded
//! (create 200 with its creator, get without, PATCH replacing the whole rule, delete 204 with
//! an empty body), Datadog's limits and the recorded 400s with nothing stored, the listing's
//! paging, sort and filters, keys, and the request log.

use crate::kit::sandbox::{decode, rule_body, Sandbox, RULES};
use crate::kit::seed::seeded;

use rand::seq::SliceRandom;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const NOT_FOUND: &str = "Monitor Notification Rule not found";
const AT_RECIPIENT: &str = "Invalid recipients: Recipient handle should not start with '@'";

async fn start() -> Sandbox {
    Sandbox::start(Default::default()).await
}

fn error(body: &Value) -> &str {
    body["errors"][0].as_str().unwrap_or_default()
}

fn plain(name: &str) -> Value {
    json!({"name": name, "filter": {"tags": ["team:checkout"]}, "recipients": ["slack-a"]})
}

fn rule_path(id: &str) -> String {
    format!("{RULES}/{id}")
}

/// A UUID as Datadog writes them: 8-4-4-4-12 lower-case hex digits.
fn is_uuid(id: &str) -> bool {
    let lengths: Vec<usize> = id.split('-').map(str::len).collect();
    lengths == [8, 4, 4, 4, 12] && id.chars().all(|c| c == '-' || c.is_ascii_hexdigit())
}

#[tokio::test]
async fn create_answers_200_with_its_creator_and_get_shows_the_stored_rule() {
    let h = start().await;
    let attributes = json!({
        "name": "test rule",
        "filter": {"tags": ["test:x", "host:abc"]},
        "recipients": ["slack-test-channel", "jira-test"],
        "bundle_config": {"duration": 3600},
    });
    let (status, body) = h.post(RULES, rule_body(attributes, None)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let data = &body["data"];
    assert_eq!(data["type"], "monitor-notification-rule");
    let id = data["id"].as_str().expect("id");
    assert!(is_uuid(id), "{id}");
    let attrs = &data["attributes"];
    assert_eq!(attrs["name"], "test rule");
    assert_eq!(attrs["filter"], json!({"tags": ["test:x", "host:abc"]}));
    assert_eq!(
        attrs["recipients"],
        json!(["slack-test-channel", "jira-test"])
    );
    assert_eq!(attrs["bundle_config"], json!({"duration": 3600}));
    assert_eq!(attrs["modified_at"], "1970-01-01T00:00:00+00:00");
    let created_at = attrs["created_at"].as_str().expect("created_at");
    assert!(
        created_at.ends_with("+00:00") && created_at.len() == 32,
        "{created_at}"
    );
    let creator = &data["relationships"]["created_by"]["data"];
    assert_eq!(creator["type"], "users");
    let included = body["included"].as_array().expect("included");
    assert_eq!(included.len(), 1);
    assert_eq!(included[0]["type"], "users");
    assert_eq!(
        included[0]["id"], creator["id"],
        "the included user is the creator"
    );
    assert_eq!(included[0]["attributes"]["status"], "Active");

    let (status, got) = h.get(&rule_path(id)).await;
    assert_eq!(status, StatusCode::OK, "{got}");
    assert_eq!(
        got.as_object().map(|o| o.len()),
        Some(1),
        "only data: {got}"
    );
    assert!(got["data"].get("relationships").is_none(), "{got}");
    assert_eq!(got["data"]["id"], id);
    assert_eq!(got["data"]["attributes"]["created_at"], created_at);
    assert_ne!(
        got["data"]["attributes"]["modified_at"], "1970-01-01T00:00:00+00:00",
        "only the create's answer says 1970"
    );
    for key in ["name", "filter", "recipients", "bundle_config"] {
        assert_eq!(got["data"]["attributes"][key], attrs[key], "{key}");
    }
}

#[tokio::test]
async fn patch_replaces_the_whole_rule_and_keeps_created_at() {
    let h = start().await;
    let id = h
        .create_rule(json!({
            "name": "conditional",
            "filter": {"scope": "team:checkout AND NOT env:dev"},
            "conditional_recipients": {
                "conditions": [{"scope": "transition_type:is_alert", "recipients": ["webhook-a"]}],
                "fallback_recipients": ["slack-b"],
            },
            "bundle_config": {"duration": 60},
        }))
        .await;
    let (_, before) = h.get(&rule_path(&id)).await;
    let replacement = json!({"name": "updated rule", "filter": {"tags": ["team:x"]},
                             "recipients": ["slack-test-channel"]});
    let (status, body) = h
        .patch(&rule_path(&id), rule_body(replacement, Some(&id)))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let attrs = &body["data"]["attributes"];
    assert_eq!(body["data"]["id"], id);
    assert_eq!(attrs["name"], "updated rule");
    assert_eq!(attrs["filter"], json!({"tags": ["team:x"]}));
    assert_eq!(attrs["recipients"], json!(["slack-test-channel"]));
    for gone in ["conditional_recipients", "bundle_config"] {
        assert!(attrs.get(gone).is_none(), "{gone} is gone: {body}");
    }
    assert_eq!(
        attrs["created_at"],
        before["data"]["attributes"]["created_at"]
    );
    let modified = attrs["modified_at"].as_str().expect("modified_at");
    assert!(
        modified >= before["data"]["attributes"]["created_at"].as_str().unwrap(),
        "{modified}"
    );
    assert!(body["data"]["relationships"]["created_by"]["data"]["id"].is_string());
    assert_eq!(body["included"].as_array().map(Vec::len), Some(1));
    let (_, after) = h.get(&rule_path(&id)).await;
    assert_eq!(after["data"]["attributes"], *attrs);

    // The body must name the rule it replaces.
    let (_, stored) = h.get(&rule_path(&id)).await;
    for (patch_id, why) in [(None, "no data.id"), (Some("another-id"), "another id")] {
        let (status, body) = h
            .patch(&rule_path(&id), rule_body(plain("changed"), patch_id))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{why}: {body}");
        assert!(error(&body).contains("data.id"), "{body}");
    }
    assert_eq!(h.get(&rule_path(&id)).await.1, stored);
}

#[tokio::test]
async fn delete_answers_204_with_an_empty_body_then_404() {
    let h = start().await;
    let id = h.create_rule(plain("test rule")).await;
    let resp = h.req(Method::DELETE, &rule_path(&id)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert_eq!(resp.text().await.unwrap(), "", "an empty body");
    let not_found = (StatusCode::NOT_FOUND, json!({ "errors": [NOT_FOUND] }));
    for rule in [
        id.as_str(),
        "00000000-0000-1234-0000-000000000000",
        "not-a-uuid",
        "42",
    ] {
        let path = rule_path(rule);
        assert_eq!(h.get(&path).await, not_found, "GET {rule}");
        assert_eq!(h.delete(&path).await, not_found, "DELETE {rule}");
        let patch = rule_body(plain("x"), Some(rule));
        assert_eq!(h.patch(&path, patch).await, not_found, "PATCH {rule}");
    }
    assert!(
        h.rules().await.is_empty(),
        "the 404 PATCHes created nothing"
    );
}

/// `attributes` with `field` (a JSON pointer into them) set to `value`, or removed.
fn with(mut attributes: Value, field: &str, value: Option<Value>) -> Value {
    let (parent, key) = field.rsplit_once('/').unwrap_or(("", field));
    let target = attributes
        .pointer_mut(parent)
        .and_then(Value::as_object_mut)
        .expect("parent exists");
    match value {
        Some(value) => target.insert(key.trim_start_matches('/').to_string(), value),
        None => target.remove(key.trim_start_matches('/')),
    };
    attributes
}

fn conditional() -> Value {
    json!({
        "name": "conditional",
        "filter": {"tags": ["team:checkout"]},
        "conditional_recipients": {
            "conditions": [{"scope": "transition_type:is_alert", "recipients": ["webhook-a"]}],
            "fallback_recipients": ["slack-b"],
        },
    })
}

fn many(prefix: &str, n: usize) -> Value {
    json!((0..n).map(|i| format!("{prefix}{i}")).collect::<Vec<_>>())
}

/// Rules Datadog refuses, and what the message must say.
fn refused() -> Vec<(&'static str, Value, &'static str)> {
    let condition = |scope: &str| json!([{"scope": scope, "recipients": ["webhook-a"]}]);
    let conditions = "/conditional_recipients/conditions";
    vec![
        (
            "@ in recipients",
            with(
                plain("r"),
                "/recipients",
                Some(json!(["@slack-a", "@jira-test"])),
            ),
            AT_RECIPIENT,
        ),
        (
            "@ in a condition",
            with(
                conditional(),
                conditions,
                Some(json!([{"scope": "transition_type:is_alert", "recipients": ["@webhook-a"]}])),
            ),
            AT_RECIPIENT,
        ),
        (
            "@ in the fallback",
            with(
                conditional(),
                "/conditional_recipients/fallback_recipients",
                Some(json!(["@slack-b"])),
            ),
            AT_RECIPIENT,
        ),
        (
            "empty recipient",
            with(plain("r"), "/recipients", Some(json!([""]))),
            "empty",
        ),
        (
            "empty name",
            with(plain("r"), "/name", Some(json!(""))),
            "Invalid name",
        ),
        (
            "long name",
            with(plain("r"), "/name", Some(json!("n".repeat(1001)))),
            "Invalid name",
        ),
        ("no name", with(plain("r"), "/name", None), "name"),
        (
            "no filter",
            with(plain("r"), "/filter", None),
            "Invalid filter",
        ),
        (
            "tags and scope",
            with(plain("r"), "/filter/scope", Some(json!("team:a"))),
            "not both",
        ),
        (
            "empty filter",
            with(plain("r"), "/filter", Some(json!({}))),
            "Invalid filter",
        ),
        (
            "no tags",
            with(plain("r"), "/filter/tags", Some(json!([]))),
            "between 1 and 20",
        ),
        (
            "21 tags",
            with(plain("r"), "/filter/tags", Some(many("t:", 21))),
            "between 1 and 20",
        ),
        (
            "empty scope",
            with(plain("r"), "/filter", Some(json!({"scope": ""}))),
            "empty scope",
        ),
        (
            "long scope",
            with(
                plain("r"),
                "/filter",
                Some(json!({"scope": format!("k:{}", "v".repeat(2999))})),
            ),
            "longer than 3000",
        ),
        (
            "bad scope",
            with(
                plain("r"),
                "/filter",
                Some(json!({"scope": "team:a AND (env:b"})),
            ),
            "unbalanced parenthesis at column 12",
        ),
        (
            "no recipients",
            with(plain("r"), "/recipients", Some(json!([]))),
            "between 1 and 20",
        ),
        (
            "21 recipients",
            with(plain("r"), "/recipients", Some(many("slack-", 21))),
            "between 1 and 20",
        ),
        (
            "both kinds",
            with(conditional(), "/recipients", Some(json!(["slack-a"]))),
            "not both",
        ),
        (
            "neither kind",
            with(plain("r"), "/recipients", None),
            "required",
        ),
        (
            "no conditions",
            with(conditional(), conditions, Some(json!([]))),
            "between 1 and 10",
        ),
        (
            "11 conditions",
            with(
                conditional(),
                conditions,
                Some(json!(vec![
                    condition("transition_type:is_alert")[0].clone();
                    11
                ])),
            ),
            "between 1 and 10",
        ),
        (
            "21 condition recipients",
            with(
                conditional(),
                conditions,
                Some(
                    json!([{"scope": "transition_type:is_alert", "recipients": many("slack-", 21)}]),
                ),
            ),
            "between 1 and 20",
        ),
        (
            "empty fallback",
            with(
                conditional(),
                "/conditional_recipients/fallback_recipients",
                Some(json!([])),
            ),
            "between 1 and 20",
        ),
        (
            "an expression as condition",
            with(
                conditional(),
                conditions,
                Some(condition("team:a OR team:b")),
            ),
            "single key:value",
        ),
        (
            "transition and tag",
            with(
                conditional(),
                conditions,
                Some(condition("transition_type:is_alert team:a")),
            ),
            "single key:value",
        ),
        (
            "unknown transition",
            with(
                conditional(),
                conditions,
                Some(condition("transition_type:is_fine")),
            ),
            "transition_type",
        ),
        (
            "unknown attribute",
            with(plain("r"), "/color", Some(json!("red"))),
            "unknown attribute 'color'",
        ),
        (
            "recipients not a list",
            with(plain("r"), "/recipients", Some(json!("slack-a"))),
            "Invalid request",
        ),
    ]
}

#[tokio::test]
async fn rules_datadog_refuses_are_400_and_store_nothing() {
    let h = start().await;
    let kept = h.create_rule(plain("kept")).await;
    let (_, stored) = h.get(&rule_path(&kept)).await;
    for (why, attributes, message) in refused() {
        let (status, body) = h.post(RULES, rule_body(attributes.clone(), None)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "create, {why}: {body}");
        assert!(error(&body).contains(message), "create, {why}: {body}");
        let patch = rule_body(attributes, Some(&kept));
        let (status, body) = h.patch(&rule_path(&kept), patch).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "PATCH, {why}: {body}");
        assert!(error(&body).contains(message), "PATCH, {why}: {body}");
    }
    let recorded_400 = json!({"errors": [AT_RECIPIENT]});
    let (_, body) = h.post(RULES, rule_body(refused()[0].1.clone(), None)).await;
    assert_eq!(body, recorded_400, "the recorded body, byte for byte");
    for (why, text) in [
        ("not JSON", "{\"data\": "),
        ("not an object", "[1]"),
        (
            "another type",
            r#"{"data": {"type": "monitor", "attributes": {"name": "x"}}}"#,
        ),
        ("no data", r#"{"name": "x"}"#),
    ] {
        let (status, body) = h.call_raw(Method::POST, RULES, text).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{why}: {body}");
        let (status, body) = h.call_raw(Method::PATCH, &rule_path(&kept), text).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "PATCH {why}: {body}");
    }
    let all = h.rules().await;
    assert_eq!(all.len(), 1, "nothing else was stored: {all:?}");
    assert_eq!(
        h.get(&rule_path(&kept)).await.1,
        stored,
        "the refused PATCHes changed nothing"
    );
}

#[tokio::test]
async fn the_limits_themselves_are_accepted() {
    let h = start().await;
    let conditions: Vec<Value> = (0..10)
        .map(|i| json!({"scope": format!("priority:p{}", i % 5 + 1), "recipients": many("slack-", 20)}))
        .collect();
    for attributes in [
        json!({"name": "n".repeat(1000), "filter": {"tags": many("t:", 20)}, "recipients": many("slack-", 20)}),
        json!({"name": "é", "filter": {"scope": format!("k:{}", "é".repeat(2998))},
               "conditional_recipients": {"conditions": conditions, "fallback_recipients": many("email-", 20)}}),
    ] {
        h.create_rule(attributes).await;
    }
    assert_eq!(h.rules().await.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_organization_holds_at_most_1000_rules() {
    use futures::stream::{self, StreamExt};
    let h = start().await;
    let ids: Vec<String> = stream::iter(0..1000)
        .map(|i| {
            let h = &h;
            async move { h.create_rule(plain(&format!("rule {i}"))).await }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    let (status, body) = h.post(RULES, rule_body(plain("one too many"), None)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(error(&body).contains("1000"), "{body}");
    let (_, page) = h.get(&format!("{RULES}?per_page=1000")).await;
    assert_eq!(page["data"].as_array().map(Vec::len), Some(1000));
    let names: Vec<&str> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["attributes"]["name"].as_str())
        .collect();
    assert!(!names.contains(&"one too many"));
    h.delete(&rule_path(&ids[0])).await;
    h.create_rule(plain("room again")).await;
}

/// The ids of a listing's answer, in order.
fn ids_of(body: &Value) -> Vec<String> {
    body["data"]
        .as_array()
        .unwrap_or(&Vec::new())
        .iter()
        .filter_map(|r| r["id"].as_str().map(str::to_string))
        .collect()
}

#[tokio::test]
async fn the_listing_pages_sorts_and_filters() {
    let mut seeded = seeded("the_listing_pages_sorts_and_filters");
    let h = start().await;
    let mut names = [
        "alpha", "Bravo", "charlie", "delta", "echo", "foxtrot", "golf",
    ];
    names.shuffle(&mut seeded.rng);
    let mut created = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let attributes = json!({
            "name": format!("{name} rule"),
            "filter": if i % 2 == 0 { json!({"tags": [format!("team:t{i}"), "env:prod"]}) }
                      else { json!({"scope": format!("team:t{i} AND NOT env:dev")}) },
            "recipients": [format!("slack-{name}"), "webhook-shared"],
        });
        created.push((name.to_lowercase(), h.create_rule(attributes).await));
    }
    let replay = seeded.replay();
    let list = |query: String| {
        let h = &h;
        async move {
            let (status, body) = h.get(&format!("{RULES}{query}")).await;
            assert_eq!(status, StatusCode::OK, "{query}: {body}");
            body
        }
    };
    let in_creation: Vec<String> = created.iter().map(|(_, id)| id.clone()).collect();
    assert_eq!(ids_of(&list(String::new()).await), in_creation, "{replay}");
    // Pages of 3 until a short page, which together are the whole listing.
    let mut paged = Vec::new();
    for page in 0..3 {
        let body = list(format!("?page={page}&per_page=3")).await;
        assert_eq!(ids_of(&body).len(), [3, 3, 1][page], "{replay}");
        assert!(body.get("included").is_none());
        paged.extend(ids_of(&body));
    }
    assert_eq!(paged, in_creation, "{replay}");
    assert!(ids_of(&list("?page=3&per_page=3".into()).await).is_empty());
    let mut by_name = created.clone();
    by_name.sort();
    let by_name: Vec<String> = by_name.into_iter().map(|(_, id)| id).collect();
    assert_eq!(
        ids_of(&list("?sort=name".into()).await),
        by_name,
        "{replay}"
    );
    assert_eq!(
        ids_of(&list("?sort=name:asc".into()).await),
        by_name,
        "{replay}"
    );
    let mut reversed = by_name.clone();
    reversed.reverse();
    assert_eq!(
        ids_of(&list("?sort=name:desc".into()).await),
        reversed,
        "{replay}"
    );
    let mut newest_first = in_creation.clone();
    newest_first.reverse();
    assert_eq!(
        ids_of(&list("?sort=created_at:desc".into()).await),
        newest_first,
        "{replay}"
    );

    let filtered = |filters: Value| {
        let list = &list;
        async move {
            let query: String = reqwest::Url::parse_with_params(
                "http://x/",
                [
                    ("filters", filters.to_string()),
                    ("sort", "name".to_string()),
                ],
            )
            .expect("url")
            .query()
            .unwrap_or_default()
            .to_string();
            let mut names: Vec<String> = list(format!("?{query}")).await["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["attributes"]["name"].as_str().unwrap().to_string())
                .collect();
            names.sort();
            names
        }
    };
    let position = |name: &str| names.iter().position(|n| *n == name).unwrap();
    assert_eq!(
        filtered(json!({"text": "BRAVO"})).await,
        ["Bravo rule"],
        "{replay}"
    );
    assert_eq!(
        filtered(json!({"text": "slack-echo"})).await,
        ["echo rule"],
        "text matches recipients too"
    );
    let tag_of = |name: &str| format!("team:t{}", position(name));
    assert_eq!(
        filtered(json!({"tags": [tag_of("alpha"), tag_of("golf"), "team:none"]})).await,
        ["alpha rule", "golf rule"],
        "any of the tags, in tags or in a scope: {replay}"
    );
    assert_eq!(
        filtered(json!({"recipients": ["slack-delta", "slack-foxtrot"]})).await,
        ["delta rule", "foxtrot rule"],
        "{replay}"
    );
    assert_eq!(
        filtered(json!({"recipients": ["webhook-shared"], "text": "charlie"})).await,
        ["charlie rule"],
        "every key narrows"
    );
    assert_eq!(filtered(json!({})).await.len(), 7);

    let with_creator = list("?include=created_by&per_page=2".into()).await;
    let data = with_creator["data"].as_array().unwrap();
    assert_eq!(data.len(), 2);
    assert!(data
        .iter()
        .all(|r| r["relationships"]["created_by"]["data"]["type"] == "users"));
    assert_eq!(with_creator["included"][0]["type"], "users");

    for query in [
        "?per_page=0",
        "?per_page=1001",
        "?per_page=ten",
        "?page=-1",
        "?page=1000001",
        "?sort=modified_at",
        "?sort=name:up",
        "?include=monitors",
        "?filters=%7Bnot%20json",
        "?filters=%5B1%5D",
        "?filters=%7B%22texts%22%3A%22a%22%7D",
        "?filters=%7B%22tags%22%3A%22team%3Aa%22%7D",
    ] {
        let (status, body) = h.get(&format!("{RULES}{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert!(error(&body).starts_with("Invalid"), "{query}: {body}");
    }
    assert_eq!(
        ids_of(&list("?per_page=1000".into()).await).len(),
        7,
        "1000 is allowed"
    );
}

#[tokio::test]
async fn rule_requests_need_both_keys_and_are_counted_by_route() {
    let h = start().await;
    let body = rule_body(plain("x"), None);
    for (api, app) in [(None, None), (Some("k"), None), (None, Some("a"))] {
        for (method, path) in [
            (Method::POST, RULES.to_string()),
            (Method::GET, RULES.to_string()),
            (Method::GET, rule_path("x")),
            (Method::PATCH, rule_path("x")),
            (Method::DELETE, rule_path("x")),
        ] {
            let mut req = h.http.request(method.clone(), h.url(&path)).json(&body);
            if let Some(api) = api {
                req = req.header("DD-API-KEY", api);
            }
            if let Some(app) = app {
                req = req.header("DD-APPLICATION-KEY", app);
            }
            let (status, answer) = decode(req.send().await.unwrap()).await;
            assert_eq!(
                status,
                StatusCode::FORBIDDEN,
                "{method} {path} {api:?} {app:?}"
            );
            assert_eq!(answer, json!({"errors": ["Forbidden"]}));
        }
    }
    assert!(
        h.rules().await.is_empty(),
        "the forbidden POSTs created nothing"
    );
    h.clear_requests().await;
    let id = h.create_rule(plain("x")).await;
    h.get(&rule_path(&id)).await;
    h.get(&rule_path(&id)).await;
    h.patch(&rule_path(&id), rule_body(plain("y"), Some(&id)))
        .await;
    h.get(&format!("{RULES}?page=0")).await;
    h.delete(&rule_path(&id)).await;
    h.delete(&rule_path(&id)).await;
    let log = h.sim_get("/sandbox/v1/requests").await;
    assert_eq!(
        log,
        json!({"total": 7, "counts": {
            "DELETE /api/v2/monitor/notification_rule/{rule_id}": 2,
            "GET /api/v2/monitor/notification_rule": 1,
            "GET /api/v2/monitor/notification_rule/{rule_id}": 2,
            "PATCH /api/v2/monitor/notification_rule/{rule_id}": 1,
            "POST /api/v2/monitor/notification_rule": 1,
        }})
    );
    let outcomes = h.outcomes().await;
    assert_eq!(
        outcomes["statuses"]["DELETE /api/v2/monitor/notification_rule/{rule_id}"],
        json!({"204": 1, "404": 1}),
        "{outcomes}"
    );
}
