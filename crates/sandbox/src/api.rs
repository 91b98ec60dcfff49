//! The Datadog API routes: key checks, body parsing and the handlers, which delegate the
//! rules to [`super::integration`] and [`super::monitors`].

use super::integration::{self, Limits};
use super::monitors::{self, ListQuery, Now};
use super::store::{ApiError, Integration, Touched};
use super::Shared;
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use ddhooks_datadog::wire::{IntakeAccepted, KeyValidation, ServiceCheck};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

/// How long a lossy read-modify-write waits between its read and its write.
const LOSSY_WINDOW: Duration = Duration::from_millis(50);

/// Which keys an endpoint requires (from the spec's `security`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Need {
    /// `DD-API-KEY` only (check_run, validate).
    ApiKey,
    /// `DD-API-KEY` and `DD-APPLICATION-KEY`.
    Both,
}

type ApiResult = Result<Response, ApiError>;

/// Every `/api/` route of the sandbox.
pub fn routes() -> Router<Arc<Shared>> {
    const WEBHOOKS: &str = "/api/v1/integration/webhooks/configuration/webhooks";
    const VARIABLES: &str = "/api/v1/integration/webhooks/configuration/custom-variables";
    Router::new()
        .route(WEBHOOKS, post(create_webhook))
        .route(
            &format!("{WEBHOOKS}/{{webhook_name}}"),
            get(get_webhook).put(update_webhook).delete(delete_webhook),
        )
        .route(VARIABLES, post(create_variable))
        .route(
            &format!("{VARIABLES}/{{name}}"),
            get(get_variable)
                .put(update_variable)
                .delete(delete_variable),
        )
        .route("/api/v1/monitor", get(list_monitors).post(create_monitor))
        .route("/api/v1/monitor/validate", post(validate_monitor))
        .route(
            "/api/v1/monitor/{id}",
            get(get_monitor).put(update_monitor).delete(delete_monitor),
        )
        .route("/api/v1/monitor/{id}/validate", post(validate_existing))
        .route("/api/v1/check_run", post(check_run))
        .route("/api/v1/validate", get(validate_key))
}

/// Reads a key from its header, or from the deprecated query parameter Datadog also accepts.
fn key<'a>(
    headers: &'a HeaderMap,
    raw_query: Option<&'a str>,
    header: &str,
    param: &str,
) -> Option<String> {
    let from_header = headers
        .get(header)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string);
    from_header.or_else(|| {
        raw_query.and_then(|q| {
            let url = reqwest::Url::parse(&format!("http://x/?{q}")).ok()?;
            let found = url
                .query_pairs()
                .find(|(k, v)| k == param && !v.is_empty())
                .map(|(_, v)| v.into_owned());
            found
        })
    })
}

fn check_keys(
    shared: &Shared,
    headers: &HeaderMap,
    raw_query: Option<&str>,
    need: Need,
) -> Result<(), ApiError> {
    let Some(api_key) = key(headers, raw_query, "dd-api-key", "api_key") else {
        return Err(ApiError::forbidden(match need {
            Need::ApiKey => "API key required",
            Need::Both => "Forbidden",
        }));
    };
    let accepted =
        |allowed: &[String], given: &str| allowed.is_empty() || allowed.iter().any(|k| k == given);
    if !accepted(&shared.config.api_keys, &api_key) {
        return Err(ApiError::forbidden("Forbidden"));
    }
    if need == Need::Both {
        let Some(app_key) = key(headers, raw_query, "dd-application-key", "application_key") else {
            return Err(ApiError::forbidden("Forbidden"));
        };
        if !accepted(&shared.config.app_keys, &app_key) {
            return Err(ApiError::forbidden("Forbidden"));
        }
    }
    Ok(())
}

/// Parses a request body as JSON; malformed or empty bodies are a 400.
fn json_body(body: &Bytes) -> Result<Value, ApiError> {
    serde_json::from_slice(body)
        .map_err(|err| ApiError::bad_request(format!("Invalid JSON: {err}")))
}

fn limits(shared: &Shared) -> Limits {
    Limits {
        max_variable_bytes: shared.config.max_variable_bytes,
    }
}

fn reply(status: StatusCode, value: impl serde::Serialize) -> ApiResult {
    Ok((status, Json(value)).into_response())
}

/// Runs a write on webhooks/variables (`op` records the names it wrote); in lossy mode as a
/// read-modify-write of a snapshot with a window in which a concurrent write gets
/// overwritten. Answers once the write is on disk.
async fn integration_write<R>(
    shared: &Shared,
    op: impl FnOnce(&mut Integration, &mut Touched) -> Result<R, ApiError>,
) -> Result<R, ApiError> {
    if shared.config.lossy_webhook_writes {
        let mut snapshot = shared.store.integration_snapshot();
        tokio::time::sleep(LOSSY_WINDOW).await;
        let result = op(&mut snapshot, &mut Touched::default())?;
        shared
            .store
            .replace_integration_pending(snapshot)?
            .wait()
            .await?;
        Ok(result)
    } else {
        shared
            .store
            .apply(|data, touched| op(&mut data.integration, touched))?
            .wait()
            .await
    }
}

async fn create_webhook(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> ApiResult {
    check_keys(&s, &headers, q.as_deref(), Need::Both)?;
    let body = json_body(&body)?;
    let webhook = integration_write(&s, |i, touched| {
        let webhook = integration::create_webhook(i, &body)?;
        touched.webhook(&webhook.name);
        Ok(webhook)
    })
    .await?;
    reply(StatusCode::CREATED, webhook)
}

async fn get_webhook(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    Path(name): Path<String>,
) -> ApiResult {
    check_keys(&s, &headers, q.as_deref(), Need::Both)?;
    let webhook = integration::get_webhook(&s.store.lock().integration, &name)?;
    reply(StatusCode::OK, webhook)
}

async fn update_webhook(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    Path(name): Path<String>,
    body: Bytes,
) -> ApiResult {
    check_keys(&s, &headers, q.as_deref(), Need::Both)?;
    let body = json_body(&body)?;
    let webhook = integration_write(&s, |i, touched| {
        let webhook = integration::update_webhook(i, &name, &body)?;
        touched.webhook(&name);
        touched.webhook(&webhook.name);
        Ok(webhook)
    })
    .await?;
    reply(StatusCode::OK, webhook)
}

async fn delete_webhook(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    Path(name): Path<String>,
) -> ApiResult {
    check_keys(&s, &headers, q.as_deref(), Need::Both)?;
    integration_write(&s, |i, touched| {
        touched.webhook(&name);
        integration::delete_webhook(i, &name)
    })
    .await?;
    reply(StatusCode::OK, json!({}))
}

async fn create_variable(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> ApiResult {
    check_keys(&s, &headers, q.as_deref(), Need::Both)?;
    let body = json_body(&body)?;
    let limits = limits(&s);
    let variable = integration_write(&s, |i, touched| {
        let variable = integration::create_variable(i, &body, limits)?;
        touched.variable(&variable.name);
        Ok(variable)
    })
    .await?;
    reply(StatusCode::CREATED, variable)
}

async fn get_variable(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    Path(name): Path<String>,
) -> ApiResult {
    check_keys(&s, &headers, q.as_deref(), Need::Both)?;
    let variable = integration::get_variable(&s.store.lock().integration, &name)?;
    reply(StatusCode::OK, variable)
}

async fn update_variable(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    Path(name): Path<String>,
    body: Bytes,
) -> ApiResult {
    check_keys(&s, &headers, q.as_deref(), Need::Both)?;
    let body = json_body(&body)?;
    let limits = limits(&s);
    let variable = integration_write(&s, |i, touched| {
        let variable = integration::update_variable(i, &name, &body, limits)?;
        touched.variable(&name);
        touched.variable(&variable.name);
        Ok(variable)
    })
    .await?;
    reply(StatusCode::OK, variable)
}

async fn delete_variable(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    Path(name): Path<String>,
) -> ApiResult {
    check_keys(&s, &headers, q.as_deref(), Need::Both)?;
    integration_write(&s, |i, touched| {
        touched.variable(&name);
        integration::delete_variable(i, &name)
    })
    .await?;
    reply(StatusCode::OK, json!({}))
}

async fn list_monitors(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> ApiResult {
    check_keys(&s, &headers, q.as_deref(), Need::Both)?;
    let Query(query) =
        query.map_err(|err| ApiError::bad_request(format!("Invalid query parameters: {err}")))?;
    // A page of 1,000 monitors is megabytes of JSON: built on a blocking thread, so the
    // requests being served alongside it are not held up.
    let shared = s.clone();
    let body = tokio::task::spawn_blocking(move || {
        let monitors = monitors::list(&shared.store.lock(), &query)?;
        serde_json::to_vec(&monitors).map_err(|e| ApiError::internal(e.to_string()))
    })
    .await
    .map_err(|e| ApiError::internal(format!("monitor listing failed: {e}")))??;
    Ok((
        StatusCode::OK,
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response())
}

async fn create_monitor(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> ApiResult {
    check_keys(&s, &headers, q.as_deref(), Need::Both)?;
    let body = json_body(&body)?;
    let now = Now::current();
    let monitor = s
        .store
        .apply(|data, touched| {
            touched.monitor(data.next_monitor_id);
            monitors::create(data, &body, &s.identity, &now)
        })?
        .wait()
        .await?;
    reply(StatusCode::OK, monitor)
}

/// Query parameters of `GET /api/v1/monitor/{id}`.
#[derive(Debug, Default, serde::Deserialize)]
struct GetQuery {
    with_downtimes: Option<String>,
}

async fn get_monitor(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    Path(id): Path<String>,
    query: Result<Query<GetQuery>, QueryRejection>,
) -> ApiResult {
    check_keys(&s, &headers, q.as_deref(), Need::Both)?;
    let id = monitors::parse_id(&id)?;
    let mut monitor = monitors::get(&s.store.lock(), id)?;
    let with_downtimes = query
        .ok()
        .and_then(|Query(q)| q.with_downtimes)
        .is_some_and(|v| v == "true");
    if with_downtimes {
        monitor.insert("matching_downtimes".into(), json!([]));
    }
    reply(StatusCode::OK, monitor)
}

async fn update_monitor(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    check_keys(&s, &headers, q.as_deref(), Need::Both)?;
    let id = monitors::parse_id(&id)?;
    let body = json_body(&body)?;
    let now = Now::current();
    let monitor = s
        .store
        .apply(|data, touched| {
            touched.monitor(id);
            monitors::update(data, id, &body, &now)
        })?
        .wait()
        .await?;
    reply(StatusCode::OK, monitor)
}

async fn delete_monitor(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    Path(id): Path<String>,
) -> ApiResult {
    check_keys(&s, &headers, q.as_deref(), Need::Both)?;
    let id = monitors::parse_id(&id)?;
    let deleted = s
        .store
        .apply(|data, touched| {
            touched.monitor(id);
            monitors::delete(data, id)
        })?
        .wait()
        .await?;
    reply(StatusCode::OK, deleted)
}

async fn validate_monitor(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> ApiResult {
    check_keys(&s, &headers, q.as_deref(), Need::Both)?;
    monitors::validate(&json_body(&body)?)?;
    reply(StatusCode::OK, json!({}))
}

async fn validate_existing(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    check_keys(&s, &headers, q.as_deref(), Need::Both)?;
    let id = monitors::parse_id(&id)?;
    monitors::get(&s.store.lock(), id)?;
    monitors::validate(&json_body(&body)?)?;
    reply(StatusCode::OK, json!({}))
}

async fn check_run(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> ApiResult {
    check_keys(&s, &headers, q.as_deref(), Need::ApiKey)?;
    let body = json_body(&body)?;
    if !body.is_array() {
        return Err(ApiError::bad_request(
            "Invalid payload: expected a JSON array of service checks",
        ));
    }
    let checks: Vec<ServiceCheck> = serde_json::from_value(body)
        .map_err(|err| ApiError::bad_request(format!("Invalid service check: {err}")))?;
    if let Some(bad) = checks.iter().find(|c| c.status > 3) {
        return Err(ApiError::bad_request(format!(
            "Invalid service check status {}: expected 0, 1, 2 or 3",
            bad.status
        )));
    }
    s.store
        .apply(|data, _| {
            data.check_runs.extend(checks);
            Ok(())
        })?
        .wait()
        .await?;
    let mut response = (
        StatusCode::ACCEPTED,
        Json(IntakeAccepted {
            status: "ok".to_string(),
        }),
    )
        .into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/json"));
    Ok(response)
}

async fn validate_key(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> ApiResult {
    check_keys(&s, &headers, q.as_deref(), Need::ApiKey)?;
    reply(StatusCode::OK, KeyValidation { valid: true })
}

/// Answer for `/api/` paths the sandbox does not serve.
pub async fn not_served() -> Response {
    ApiError::not_found("Not found: the sandbox does not serve this endpoint").into_response()
}
