//! The v1 dashboard endpoints, over loopback HTTP: create answers the stored dashboard with
//! the server's fields (id, url, author, times, widget ids, defaults), get reads it, PUT
//! replaces it keeping id, author and creation, delete answers the id then 404s; the listing
//! pages oldest first without widgets; invalid bodies are 400s with nothing stored; keys,
//! the request log and faults apply as to every other route.

use crate::kit::sandbox::Sandbox;
use crate::kit::seed::seeded;

use ddhooks::sandbox::faults::RateLimit;
use ddhooks::sandbox::SandboxConfig;
use rand::seq::SliceRandom;
use rand::Rng;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const DASHBOARDS: &str = "/api/v1/dashboard";

fn path(id: &str) -> String {
    format!("{DASHBOARDS}/{id}")
}

fn error(body: &Value) -> &str {
    body["errors"][0].as_str().unwrap_or_default()
}

/// Datadog's shape of a dashboard id: three groups of three lower-case letters or digits.
fn is_dashboard_id(id: &str) -> bool {
    let groups: Vec<&str> = id.split('-').collect();
    groups.len() == 3
        && groups.iter().all(|g| {
            g.len() == 3
                && g.chars()
                    .all(|c| c.is_ascii_digit() || c.is_ascii_lowercase())
        })
}

fn ordered(title: &str) -> Value {
    json!({"title": title, "layout_type": "ordered", "widgets": [
        {"definition": {"type": "note", "content": "hello"}}]})
}

fn board(check: &str) -> Value {
    json!({
        "title": "Checkout status", "description": "", "layout_type": "free",
        "notify_list": [], "template_variables": [],
        "widgets": [{"definition": {"type": "check_status", "check": check,
            "grouping": "cluster", "tags": ["team:checkout"]},
            "layout": {"x": 0, "y": 0, "width": 15, "height": 8}}],
    })
}

async fn create(h: &Sandbox, body: Value) -> Value {
    let (status, created) = h.post(DASHBOARDS, body).await;
    assert_eq!(status, StatusCode::OK, "{created}");
    created
}

/// A sandbox holding one dashboard created from `body`: the create's answer and the id.
async fn with_a_dashboard(body: Value) -> (Sandbox, Value, String) {
    let h = Sandbox::start(Default::default()).await;
    let created = create(&h, body).await;
    let id = created["id"].as_str().expect("id").to_string();
    (h, created, id)
}

async fn listing(h: &Sandbox, query: &str) -> Vec<Value> {
    let (status, body) = h.get(&format!("{DASHBOARDS}{query}")).await;
    assert_eq!(status, StatusCode::OK, "{query}: {body}");
    body["dashboards"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn create_answers_the_stored_dashboard_with_the_servers_fields_and_get_reads_it() {
    let (h, created, id) = with_a_dashboard(ordered("Team Checkout: Overview (prod)")).await;
    assert!(is_dashboard_id(&id), "{id}");
    assert_eq!(
        created["url"],
        json!(format!("/dashboard/{id}/team-checkout-overview-prod"))
    );
    assert!(created["author_handle"].is_string(), "{created}");
    assert!(created.get("author_name").is_some(), "{created}");
    // Not sent, not answered (Terraform's 2026 recordings).
    assert!(created.get("is_read_only").is_none(), "{created}");
    assert!(created.get("restricted_roles").is_none(), "{created}");
    for defaulted in ["description", "notify_list", "template_variables"] {
        assert_eq!(created[defaulted], Value::Null, "{defaulted}: {created}");
    }
    assert_eq!(created["created_at"], created["modified_at"]);
    let widget = &created["widgets"][0];
    assert!(widget["id"].as_i64().is_some_and(|id| id > 0), "{widget}");
    assert_eq!(
        widget["definition"],
        json!({"type": "note", "content": "hello"})
    );

    let (status, got) = h.get(&path(&id)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(got, created, "a read shows what the create answered");

    let created = create(&h, board("app.up")).await;
    assert_eq!(created["notify_list"], json!([]), "echoed");
    assert_eq!(created["template_variables"], json!([]), "echoed");
    assert_eq!(created["description"], "");
    assert_eq!(
        created["widgets"][0]["layout"],
        json!({"x": 0, "y": 0, "width": 15, "height": 8})
    );
    assert_eq!(created["widgets"][0]["definition"]["grouping"], "cluster");
    h.stop().await;
}

#[tokio::test]
async fn put_replaces_the_dashboard_and_keeps_id_author_and_creation() {
    let (h, created, id) = with_a_dashboard(board("app.up")).await;
    let old_widget = created["widgets"][0]["id"].clone();
    let (status, updated) = h.put(&path(&id), ordered("Renamed board")).await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["id"], created["id"]);
    assert_eq!(updated["created_at"], created["created_at"]);
    assert_eq!(updated["author_handle"], created["author_handle"]);
    assert!(
        updated["modified_at"].as_str() >= created["modified_at"].as_str(),
        "{updated}"
    );
    assert_eq!(
        updated["url"],
        json!(format!("/dashboard/{id}/renamed-board"))
    );
    assert_eq!(updated["layout_type"], "ordered");
    assert_eq!(
        updated["notify_list"],
        Value::Null,
        "what the PUT leaves out is gone"
    );
    let widgets = updated["widgets"].as_array().expect("widgets");
    assert_eq!(widgets.len(), 1);
    assert_eq!(widgets[0]["definition"]["type"], "note");
    assert_ne!(widgets[0]["id"], old_widget);
    let (_, got) = h.get(&path(&id)).await;
    assert_eq!(got, updated);

    let (status, body) = h.put(&path("nop-nop-nop"), ordered("x")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error(&body), "Dashboard with ID nop-nop-nop not found");
    h.stop().await;
}

#[tokio::test]
async fn delete_answers_the_id_and_then_404s_as_recorded() {
    let (h, _, id) = with_a_dashboard(ordered("Short-lived")).await;
    let (status, body) = h.delete(&path(&id)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"deleted_dashboard_id": id}));
    for method in [Method::DELETE, Method::GET] {
        let (status, body) = h.call(method.clone(), &path(&id), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method}");
        assert_eq!(
            body,
            json!({"errors": [format!("Dashboard with ID {id} not found")]})
        );
    }
    assert!(listing(&h, "").await.is_empty());
    h.stop().await;
}

#[tokio::test]
async fn the_listing_pages_summaries_oldest_first() {
    let mut seeded = seeded("the_listing_pages_summaries_oldest_first");
    let h = Sandbox::start(Default::default()).await;
    let mut titles: Vec<String> = (0..7).map(|i| format!("Board {i}")).collect();
    titles.shuffle(&mut seeded.rng);
    let mut ids = Vec::new();
    for title in &titles {
        ids.push(create(&h, ordered(title)).await["id"].clone());
    }
    let count = seeded.rng.random_range(1..=3);
    let mut pages = Vec::new();
    let mut start = 0;
    loop {
        let page = listing(&h, &format!("?count={count}&start={start}")).await;
        assert!(page.len() <= count, "{}", seeded.replay());
        if page.is_empty() {
            break;
        }
        start += page.len();
        pages.extend(page);
    }
    let listed: Vec<Value> = pages.iter().map(|d| d["id"].clone()).collect();
    assert_eq!(listed, ids, "creation order, {}", seeded.replay());
    let first = &pages[0];
    let mut keys: Vec<&str> = first
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "author_handle",
            "created_at",
            "deleted_at",
            "description",
            "id",
            "is_read_only",
            "layout_type",
            "modified_at",
            "title",
            "url"
        ],
        "the recorded summary fields, no widgets"
    );
    assert_eq!(first["title"], json!(titles[0]));
    assert_eq!(first["deleted_at"], Value::Null);

    assert_eq!(listing(&h, "").await.len(), 7, "100 by default");
    assert_eq!(listing(&h, "?filter%5Bshared%5D=false").await.len(), 7);
    assert!(listing(&h, "?filter%5Bshared%5D=true").await.is_empty());
    assert!(listing(&h, "?filter%5Bdeleted%5D=true").await.is_empty());
    for bad in ["?count=-1", "?start=x", "?filter%5Bshared%5D=maybe"] {
        let (status, body) = h.get(&format!("{DASHBOARDS}{bad}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
        assert!(!error(&body).is_empty(), "{bad}: {body}");
    }
    h.stop().await;
}

#[tokio::test]
async fn invalid_dashboards_are_400s_and_nothing_is_stored() {
    let h = Sandbox::start(Default::default()).await;
    let note = json!({"definition": {"type": "note", "content": "x"}});
    let check = |definition: Value| json!({"title": "t", "layout_type": "ordered", "widgets": [{"definition": definition}]});
    let cases = [
        (
            json!({"layout_type": "ordered", "widgets": []}),
            "'title' is required",
        ),
        (
            json!({"title": "t", "layout_type": "grid", "widgets": []}),
            "'layout_type' must be one of ordered, free",
        ),
        (
            json!({"title": "t", "layout_type": "free", "widgets": [note]}),
            "widgets[0].layout is required",
        ),
        (
            check(json!({"type": "check_status", "grouping": "cluster"})),
            "definition.check is required",
        ),
        (
            check(json!({"type": "check_status", "check": "app.up"})),
            "definition.grouping is required",
        ),
        (
            check(json!({"type": "check_status", "check": "app.up", "grouping": "host"})),
            "must be one of check, cluster",
        ),
    ];
    for (body, message) in cases {
        let (status, answer) = h.post(DASHBOARDS, body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
        assert!(error(&answer).contains(message), "{message}: {answer}");
    }
    let (status, _) = h.call_raw(Method::POST, DASHBOARDS, "{not json").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(listing(&h, "").await.is_empty(), "nothing stored");

    // A PUT that fails leaves the dashboard as it was.
    let created = create(&h, ordered("Kept")).await;
    let id = created["id"].as_str().expect("id");
    let (status, _) = h
        .put(&path(id), check(json!({"type": "check_status"})))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (_, got) = h.get(&path(id)).await;
    assert_eq!(got, created);

    // A widget type the sandbox does not know is stored as given.
    let future = json!({"type": "from_a_later_api", "anything": {"nested": [1, 2]}});
    let created = create(&h, check(future.clone())).await;
    assert_eq!(created["widgets"][0]["definition"], future);
    h.stop().await;
}

#[tokio::test]
async fn keys_the_request_log_and_faults_apply_to_dashboards() {
    let h = Sandbox::start(Default::default()).await;
    let (status, _) = h
        .call_without_app_key(
            Some(&h.api_key),
            Method::POST,
            DASHBOARDS,
            Some(ordered("x")),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(listing(&h, "").await.is_empty(), "nothing stored");
    h.clear_requests().await;
    let id = create(&h, ordered("Counted")).await["id"]
        .as_str()
        .expect("id")
        .to_string();
    h.get(&path(&id)).await;
    h.get(&path(&id)).await;
    let counts = h.request_counts().await;
    assert_eq!(counts.get("POST /api/v1/dashboard"), Some(&1), "{counts:?}");
    assert_eq!(
        counts.get("GET /api/v1/dashboard/{dashboard_id}"),
        Some(&2),
        "{counts:?}"
    );
    h.stop().await;

    let limited = Sandbox::start(SandboxConfig {
        rate_limit: Some(RateLimit {
            limit: 1,
            period_secs: 3600,
        }),
        ..Default::default()
    })
    .await;
    let (first, _) = limited.post(DASHBOARDS, ordered("a")).await;
    let (second, _) = limited.post(DASHBOARDS, ordered("b")).await;
    assert_eq!(
        (first, second),
        (StatusCode::OK, StatusCode::TOO_MANY_REQUESTS)
    );
    let outcomes = limited.outcomes().await;
    assert_eq!(
        outcomes["statuses"]["POST /api/v1/dashboard"],
        json!({"200": 1, "429": 1}),
        "{outcomes}"
    );
    limited.stop().await;
}
