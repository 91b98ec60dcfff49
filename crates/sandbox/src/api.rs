//! The Datadog API routes: key checks, body parsing and the handlers, which delegate the
//! rules to [`super::integration`], [`super::monitors`], [`super::rules`],
//! [`super::dashboards`], [`super::auth_methods`] and [`super::handles`].

use super::auth_methods;
use super::dashboards;
use super::integration::{self, Limits};
use super::monitors::{self, ListQuery, Now};
use super::rules::{self, RawListQuery};
use super::store::{ApiError, Data, Integration, Touched};
use super::Shared;
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, MethodFilter};
use axum::{Json, Router};
use ddhooks_datadog::wire::{IntakeAccepted, KeyValidation, ServiceCheck};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

mod by_id;
mod destinations;
use by_id::{
    AUTH_METHODS as AUTH_METHODS_KIND, DASHBOARDS as DASHBOARDS_KIND, RULES as RULES_KIND,
};
use destinations::handle_routes;
pub use destinations::{add_ms_teams_channel, log_in_user};

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
    const RULES: &str = "/api/v2/monitor/notification_rule";
    const DASHBOARDS: &str = "/api/v1/dashboard";
    const AUTH_METHODS: &str = "/api/v2/integration/webhooks/configuration/auth-method";
    const OAUTH2: &str =
        "/api/v2/integration/webhooks/configuration/auth-method/oauth2-client-credentials";
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
        .route(RULES, RULES_KIND.create_route().get(list_rules))
        .route(
            &format!("{RULES}/{{rule_id}}"),
            RULES_KIND.object_routes(MethodFilter::PATCH),
        )
        .route(
            DASHBOARDS,
            DASHBOARDS_KIND.create_route().get(list_dashboards),
        )
        .route(
            &format!("{DASHBOARDS}/{{dashboard_id}}"),
            DASHBOARDS_KIND.object_routes(MethodFilter::PUT),
        )
        .merge(handle_routes())
        .route(AUTH_METHODS, get(list_auth_methods))
        .route(OAUTH2, AUTH_METHODS_KIND.create_route())
        .route(
            &format!("{OAUTH2}/{{auth_method_id}}"),
            AUTH_METHODS_KIND.object_routes(MethodFilter::PATCH),
        )
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

/// Both keys, checked before a handler runs (a 403 otherwise): the extractor of every
/// endpoint that needs `DD-API-KEY` and `DD-APPLICATION-KEY`.
#[derive(Debug)]
struct BothKeys;

impl FromRequestParts<Arc<Shared>> for BothKeys {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        shared: &Arc<Shared>,
    ) -> Result<Self, Self::Rejection> {
        check_keys(shared, &parts.headers, parts.uri.query(), Need::Both).map(|()| BothKeys)
    }
}

/// `DD-API-KEY` alone, checked before a handler runs: the extractor of check_run and
/// validate.
#[derive(Debug)]
struct ApiKey;

impl FromRequestParts<Arc<Shared>> for ApiKey {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        shared: &Arc<Shared>,
    ) -> Result<Self, Self::Rejection> {
        check_keys(shared, &parts.headers, parts.uri.query(), Need::ApiKey).map(|()| ApiKey)
    }
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

/// Runs a write on the store (`op` records the keys it wrote); answers once it is on disk.
async fn store_write<R>(
    shared: &Shared,
    op: impl FnOnce(&mut Data, &mut Touched) -> Result<R, ApiError>,
) -> Result<R, ApiError> {
    shared.store.apply(op)?.wait().await
}

async fn create_webhook(State(s): State<Arc<Shared>>, _keys: BothKeys, body: Bytes) -> ApiResult {
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
    _keys: BothKeys,
    Path(name): Path<String>,
) -> ApiResult {
    let webhook = integration::get_webhook(&s.store.read().integration, &name)?;
    reply(StatusCode::OK, webhook)
}

async fn update_webhook(
    State(s): State<Arc<Shared>>,
    _keys: BothKeys,
    Path(name): Path<String>,
    body: Bytes,
) -> ApiResult {
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
    _keys: BothKeys,
    Path(name): Path<String>,
) -> ApiResult {
    integration_write(&s, |i, touched| {
        touched.webhook(&name);
        integration::delete_webhook(i, &name)
    })
    .await?;
    reply(StatusCode::OK, json!({}))
}

async fn create_variable(State(s): State<Arc<Shared>>, _keys: BothKeys, body: Bytes) -> ApiResult {
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
    _keys: BothKeys,
    Path(name): Path<String>,
) -> ApiResult {
    let variable = integration::get_variable(&s.store.read().integration, &name)?;
    reply(StatusCode::OK, variable)
}

async fn update_variable(
    State(s): State<Arc<Shared>>,
    _keys: BothKeys,
    Path(name): Path<String>,
    body: Bytes,
) -> ApiResult {
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
    _keys: BothKeys,
    Path(name): Path<String>,
) -> ApiResult {
    integration_write(&s, |i, touched| {
        touched.variable(&name);
        integration::delete_variable(i, &name)
    })
    .await?;
    reply(StatusCode::OK, json!({}))
}

async fn list_monitors(
    State(s): State<Arc<Shared>>,
    _keys: BothKeys,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> ApiResult {
    let Query(query) =
        query.map_err(|err| ApiError::bad_request(format!("Invalid query parameters: {err}")))?;
    // A page of 1,000 monitors is megabytes of JSON (copied from each monitor's stored
    // answer): put together on a blocking thread, so the requests served alongside it are
    // not held up.
    let shared = s.clone();
    let body = tokio::task::spawn_blocking(move || monitors::list(&shared.store.read(), &query))
        .await
        .map_err(|e| ApiError::internal(format!("monitor listing failed: {e}")))??;
    Ok((
        StatusCode::OK,
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response())
}

async fn create_monitor(State(s): State<Arc<Shared>>, _keys: BothKeys, body: Bytes) -> ApiResult {
    let body = json_body(&body)?;
    let now = Now::current();
    let monitor = store_write(&s, |data, touched| {
        touched.monitor(data.next_monitor_id);
        monitors::create(data, &body, &s.identity, &now)
    })
    .await?;
    reply(StatusCode::OK, monitors::write_answer(monitor))
}

/// Query parameters of `GET /api/v1/monitor/{id}`.
#[derive(Debug, Default, serde::Deserialize)]
struct GetQuery {
    with_downtimes: Option<String>,
    with_restricted_roles: Option<String>,
}

async fn get_monitor(
    State(s): State<Arc<Shared>>,
    _keys: BothKeys,
    Path(id): Path<String>,
    query: Result<Query<GetQuery>, QueryRejection>,
) -> ApiResult {
    let id = monitors::parse_id(&id)?;
    let mut monitor = monitors::get(&s.store.read(), id)?;
    let Query(query) = query.unwrap_or_default();
    if query.with_downtimes.as_deref() == Some("true") {
        monitor.insert("matching_downtimes".into(), json!([]));
    }
    if query.with_restricted_roles.as_deref() == Some("false") {
        monitor = monitors::without_restricted_roles(monitor);
    }
    reply(StatusCode::OK, monitor)
}

async fn update_monitor(
    State(s): State<Arc<Shared>>,
    _keys: BothKeys,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let id = monitors::parse_id(&id)?;
    let body = json_body(&body)?;
    let now = Now::current();
    let monitor = store_write(&s, |data, touched| {
        touched.monitor(id);
        monitors::update(data, id, &body, &now)
    })
    .await?;
    reply(StatusCode::OK, monitors::write_answer(monitor))
}

async fn delete_monitor(
    State(s): State<Arc<Shared>>,
    _keys: BothKeys,
    Path(id): Path<String>,
) -> ApiResult {
    let id = monitors::parse_id(&id)?;
    let deleted = store_write(&s, |data, touched| {
        touched.monitor(id);
        monitors::delete(data, id)
    })
    .await?;
    reply(StatusCode::OK, deleted)
}

async fn validate_monitor(_keys: BothKeys, body: Bytes) -> ApiResult {
    monitors::validate(&json_body(&body)?)?;
    reply(StatusCode::OK, json!({}))
}

async fn validate_existing(
    State(s): State<Arc<Shared>>,
    _keys: BothKeys,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let id = monitors::parse_id(&id)?;
    monitors::get(&s.store.read(), id)?;
    monitors::validate(&json_body(&body)?)?;
    reply(StatusCode::OK, json!({}))
}

async fn check_run(State(s): State<Arc<Shared>>, _keys: ApiKey, body: Bytes) -> ApiResult {
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

async fn validate_key(_keys: ApiKey) -> ApiResult {
    reply(StatusCode::OK, KeyValidation { valid: true })
}

async fn list_rules(
    State(s): State<Arc<Shared>>,
    _keys: BothKeys,
    query: Result<Query<RawListQuery>, QueryRejection>,
) -> ApiResult {
    let Query(query) =
        query.map_err(|err| ApiError::bad_request(format!("Invalid query parameters: {err}")))?;
    let query = rules::ListQuery::parse(query)?;
    let page = rules::list(&s.store.read(), &query);
    reply(StatusCode::OK, page)
}

async fn list_dashboards(
    State(s): State<Arc<Shared>>,
    _keys: BothKeys,
    query: Result<Query<dashboards::RawListQuery>, QueryRejection>,
) -> ApiResult {
    let Query(query) =
        query.map_err(|err| ApiError::bad_request(format!("Invalid query parameters: {err}")))?;
    let query = dashboards::ListQuery::parse(query)?;
    let page = dashboards::list(&s.store.read(), &query);
    reply(StatusCode::OK, page)
}

async fn list_auth_methods(
    State(s): State<Arc<Shared>>,
    _keys: BothKeys,
    query: Result<Query<auth_methods::ListQuery>, QueryRejection>,
) -> ApiResult {
    let Query(query) =
        query.map_err(|err| ApiError::bad_request(format!("Invalid query parameters: {err}")))?;
    let include = query.includes()?;
    reply(StatusCode::OK, auth_methods::list(&s.store.read(), include))
}

/// A sandbox whose application key lacks a permission (`SandboxConfig::denied_permissions`)
/// answers Datadog's 403 to every request of an endpoint that needs it, before the handler
/// runs; `ddhooks_datadog::permissions::PERMISSIONS` says which endpoint needs which.
pub async fn check_permission(
    State(s): State<Arc<Shared>>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    if !s.config.denied_permissions.is_empty() {
        let needed =
            ddhooks_datadog::permissions::permission_for(req.method().as_str(), req.uri().path());
        if needed.is_some_and(|p| s.config.denied_permissions.contains(p)) {
            return ApiError::forbidden("Forbidden").into_response();
        }
    }
    next.run(req).await
}

/// Answer for `/api/` paths the sandbox does not serve.
pub async fn not_served() -> Response {
    ApiError::not_found("Not found: the sandbox does not serve this endpoint").into_response()
}
