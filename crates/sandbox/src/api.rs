//! The Datadog API routes: key checks, body parsing and the handlers, which delegate the
//! rules to [`super::integration`], [`super::monitors`], [`super::rules`],
//! [`super::dashboards`], [`super::auth_methods`] and [`super::handles`].

use super::auth_methods;
use super::dashboards;
use super::monitors::{self, ListQuery, Now};
use super::rules;
use super::store::{ApiError, Data, Touched};
use super::Shared;
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, MethodFilter, MethodRouter};
use axum::{Json, Router};
use ddhooks_datadog::wire::{IntakeAccepted, KeyValidation, ServiceCheck};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};
use std::sync::Arc;

mod by_id;
mod by_name;
mod destinations;
use by_id::{
    AUTH_METHODS as AUTH_METHODS_KIND, DASHBOARDS as DASHBOARDS_KIND, RULES as RULES_KIND,
};
use by_name::{VARIABLES as VARIABLES_KIND, WEBHOOKS as WEBHOOKS_KIND};
use destinations::handle_routes;
pub use destinations::{add_ms_teams_channel, log_in_user};

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
    let rule_list = listing(rules::ListQuery::parse, |data, q| Ok(rules::list(data, q)));
    let board_list = listing(dashboards::ListQuery::parse, |data, q| {
        Ok(dashboards::list(data, q))
    });
    Router::new()
        .merge(WEBHOOKS_KIND.routes(WEBHOOKS, "webhook_name"))
        .merge(VARIABLES_KIND.routes(VARIABLES, "name"))
        .route("/api/v1/monitor", get(list_monitors).post(create_monitor))
        .route("/api/v1/monitor/validate", post(validate_monitor))
        .route(
            "/api/v1/monitor/{id}",
            get(get_monitor).put(update_monitor).delete(delete_monitor),
        )
        .route("/api/v1/monitor/{id}/validate", post(validate_existing))
        .route("/api/v1/check_run", post(check_run))
        .route("/api/v1/validate", get(validate_key))
        .merge(RULES_KIND.routes(RULES, "rule_id", rule_list, MethodFilter::PATCH))
        .merge(DASHBOARDS_KIND.routes(DASHBOARDS, "dashboard_id", board_list, MethodFilter::PUT))
        .merge(handle_routes())
        .route(
            AUTH_METHODS,
            listing(
                |query: auth_methods::ListQuery| query.includes(),
                |data, include| Ok(auth_methods::list(data, *include)),
            ),
        )
        .merge(AUTH_METHODS_KIND.routes(
            OAUTH2,
            "auth_method_id",
            MethodRouter::new(),
            MethodFilter::PATCH,
        ))
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

/// The keys an endpoint needs, checked before its handler runs (a 403 otherwise): `DD-API-KEY`,
/// and with `APP_KEY` `DD-APPLICATION-KEY` too.
#[derive(Debug)]
struct Keys<const APP_KEY: bool>;

/// The extractor of every endpoint that needs `DD-API-KEY` and `DD-APPLICATION-KEY`.
type BothKeys = Keys<true>;

/// `DD-API-KEY` alone: the extractor of check_run and validate.
type ApiKey = Keys<false>;

impl<const APP_KEY: bool> FromRequestParts<Arc<Shared>> for Keys<APP_KEY> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        shared: &Arc<Shared>,
    ) -> Result<Self, Self::Rejection> {
        let need = if APP_KEY { Need::Both } else { Need::ApiKey };
        check_keys(shared, &parts.headers, parts.uri.query(), need).map(|()| Keys)
    }
}

/// A monitor's id from the `{id}` of the path, parsed once for every monitor route: one that
/// is not a number is the 404 Datadog answers for a monitor that does not exist.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MonitorId(pub(crate) i64);

impl<S: Send + Sync> FromRequestParts<S> for MonitorId {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        monitors::parse_id(&raw)
            .map(MonitorId)
            .map_err(IntoResponse::into_response)
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

/// A query string that does not fit `T` is a 400, as Datadog answers one.
pub(crate) fn query_params<T>(query: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    query
        .map(|Query(q)| q)
        .map_err(|err| ApiError::bad_request(format!("Invalid query parameters: {err}")))
}

/// A listing's route: the query string read into `R` and checked by `parse` (a 400 when
/// either fails) before the store is read, then `list` over the store.
fn listing<R, Q, L>(
    parse: impl Fn(R) -> Result<Q, ApiError> + Clone + Send + Sync + 'static,
    list: impl Fn(&Data, &Q) -> Result<L, ApiError> + Clone + Send + Sync + 'static,
) -> MethodRouter<Arc<Shared>>
where
    R: DeserializeOwned + Send + 'static,
    L: Serialize,
{
    get(
        move |State(s): State<Arc<Shared>>,
              _: BothKeys,
              query: Result<Query<R>, QueryRejection>| async move {
            let query = parse(query_params(query)?)?;
            let answer = list(&s.store.read(), &query)?;
            reply(StatusCode::OK, answer)
        },
    )
}

fn reply(status: StatusCode, value: impl serde::Serialize) -> ApiResult {
    Ok((status, Json(value)).into_response())
}

/// Runs a write on the store (`op` records the keys it wrote); answers once it is on disk.
pub(crate) async fn store_write<R>(
    shared: &Shared,
    op: impl FnOnce(&mut Data, &mut Touched) -> Result<R, ApiError>,
) -> Result<R, ApiError> {
    shared.store.apply(op)?.wait().await
}

async fn list_monitors(
    State(s): State<Arc<Shared>>,
    _keys: BothKeys,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> ApiResult {
    let query = query_params(query)?;
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
    MonitorId(id): MonitorId,
    query: Result<Query<GetQuery>, QueryRejection>,
) -> ApiResult {
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
    MonitorId(id): MonitorId,
    body: Bytes,
) -> ApiResult {
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
    MonitorId(id): MonitorId,
) -> ApiResult {
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
    MonitorId(id): MonitorId,
    body: Bytes,
) -> ApiResult {
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
    store_write(&s, |data, _| {
        data.check_runs.extend(checks);
        Ok(())
    })
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
