//! The routes of what notification handles name — Slack channels per account, PagerDuty
//! and Opsgenie services, Microsoft Teams handles, teams, users — and their handlers, which
//! parse the request and delegate to [`crate::handles`] over the store's `Directory`. Apart
//! from the other kinds' handlers because they are one family with their own router and
//! write path (`directory_write`).

use super::by_id::{TEAMS, USERS};
use super::{json_body, listing, query_params, reply, store_write, ApiResult, BothKeys};
use crate::handles::{self, Named};
use crate::store::ApiError;
use crate::Shared;
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post, MethodFilter};
use axum::Router;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The endpoints of what notification handles name (see [`crate::handles`]).
pub(super) fn handle_routes() -> Router<Arc<Shared>> {
    const SLACK: &str = "/api/v1/integration/slack/configuration/accounts/{account}/channels";
    const PAGERDUTY: &str = "/api/v1/integration/pagerduty/configuration/services";
    const OPSGENIE: &str = "/api/v2/integration/opsgenie/services";
    const TENANT: &str = "/api/v2/integration/ms-teams/configuration/tenant-based-handles";
    const WORKFLOWS: &str = "/api/v2/integration/ms-teams/configuration/workflows-webhook-handles";
    let named = |kind: Named| {
        Router::new()
            .route(
                "/",
                listing(Ok, move |data, query| Ok(kind.list(&data.directory, query)))
                    .post(move |s, k, b| create_named(kind, s, k, b)),
            )
            .route(
                "/{id}",
                get(move |s, k, p| get_named(kind, s, k, p))
                    .patch(move |s, k, p, b| update_named(kind, s, k, p, b))
                    .delete(move |s, k, p| delete_named(kind, s, k, p)),
            )
    };
    Router::new()
        .route("/api/v1/integration/slack", post(add_slack_accounts))
        .route(SLACK, get(list_slack_channels).post(create_slack_channel))
        .route(
            &format!("{SLACK}/{{channel}}"),
            get(get_slack_channel)
                .patch(update_slack_channel)
                .delete(delete_slack_channel),
        )
        .route(PAGERDUTY, post(create_pagerduty_service))
        .route(
            &format!("{PAGERDUTY}/{{name}}"),
            get(get_pagerduty_service)
                .put(update_pagerduty_service)
                .delete(delete_pagerduty_service),
        )
        .nest(OPSGENIE, named(Named::Opsgenie))
        .nest(TENANT, named(Named::TenantHandle))
        .nest(WORKFLOWS, named(Named::WorkflowHandle))
        .route(
            "/api/v2/integration/ms-teams/configuration/channel/{tenant}/{team}/{channel}",
            get(get_ms_teams_channel),
        )
        .merge(TEAMS.routes("/api/v2/team", "id", get(list_teams), MethodFilter::PATCH))
        .merge(USERS.routes(
            "/api/v2/users",
            "id",
            listing(Ok, |data, query| {
                handles::list_users(&data.directory, query)
            }),
            MethodFilter::PATCH,
        ))
}

/// Runs a write on the handles' destinations; answers once it is on disk.
async fn directory_write<R>(
    shared: &Shared,
    op: impl FnOnce(&mut handles::Directory) -> Result<R, ApiError>,
) -> Result<R, ApiError> {
    store_write(shared, |data, touched| {
        touched.directory();
        op(&mut data.directory)
    })
    .await
}

type Params = Result<Query<BTreeMap<String, String>>, QueryRejection>;

async fn add_slack_accounts(
    State(s): State<Arc<Shared>>,
    _keys: BothKeys,
    body: Bytes,
) -> ApiResult {
    let body = json_body(&body)?;
    directory_write(&s, |d| handles::add_slack_accounts(d, &body)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn list_slack_channels(
    State(s): State<Arc<Shared>>,
    _keys: BothKeys,
    Path(account): Path<String>,
) -> ApiResult {
    reply(
        StatusCode::OK,
        handles::list_slack_channels(&s.store.read().directory, &account)?,
    )
}

async fn create_slack_channel(
    State(s): State<Arc<Shared>>,
    _keys: BothKeys,
    Path(account): Path<String>,
    body: Bytes,
) -> ApiResult {
    let body = json_body(&body)?;
    let answer = directory_write(&s, |d| handles::create_slack_channel(d, &account, &body)).await?;
    reply(StatusCode::CREATED, answer)
}

async fn get_slack_channel(
    State(s): State<Arc<Shared>>,
    _keys: BothKeys,
    Path((account, channel)): Path<(String, String)>,
) -> ApiResult {
    let answer = handles::get_slack_channel(&s.store.read().directory, &account, &channel)?;
    reply(StatusCode::OK, answer)
}

async fn update_slack_channel(
    State(s): State<Arc<Shared>>,
    _keys: BothKeys,
    Path((account, channel)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    let body = json_body(&body)?;
    let answer = directory_write(&s, |d| {
        handles::update_slack_channel(d, &account, &channel, &body)
    })
    .await?;
    reply(StatusCode::OK, answer)
}

async fn delete_slack_channel(
    State(s): State<Arc<Shared>>,
    _keys: BothKeys,
    Path((account, channel)): Path<(String, String)>,
) -> ApiResult {
    directory_write(&s, |d| handles::delete_slack_channel(d, &account, &channel)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn create_pagerduty_service(
    State(s): State<Arc<Shared>>,
    _keys: BothKeys,
    body: Bytes,
) -> ApiResult {
    let body = json_body(&body)?;
    let answer = directory_write(&s, |d| handles::create_pagerduty_service(d, &body)).await?;
    reply(StatusCode::CREATED, answer)
}

async fn get_pagerduty_service(
    State(s): State<Arc<Shared>>,
    _keys: BothKeys,
    Path(name): Path<String>,
) -> ApiResult {
    reply(
        StatusCode::OK,
        handles::get_pagerduty_service(&s.store.read().directory, &name)?,
    )
}

async fn update_pagerduty_service(
    State(s): State<Arc<Shared>>,
    _keys: BothKeys,
    Path(name): Path<String>,
    body: Bytes,
) -> ApiResult {
    let body = json_body(&body)?;
    let answer = handles::update_pagerduty_service(&s.store.read().directory, &name, &body)?;
    reply(StatusCode::OK, answer)
}

async fn delete_pagerduty_service(
    State(s): State<Arc<Shared>>,
    _keys: BothKeys,
    Path(name): Path<String>,
) -> ApiResult {
    directory_write(&s, |d| handles::delete_pagerduty_service(d, &name)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn create_named(
    kind: Named,
    State(s): State<Arc<Shared>>,
    _keys: BothKeys,
    body: Bytes,
) -> ApiResult {
    let body = json_body(&body)?;
    let answer = directory_write(&s, |d| {
        let id = kind.unused_id(d);
        kind.create(d, &id, &body)
    })
    .await?;
    reply(StatusCode::CREATED, answer)
}

async fn get_named(
    kind: Named,
    State(s): State<Arc<Shared>>,
    _keys: BothKeys,
    Path(id): Path<String>,
) -> ApiResult {
    reply(StatusCode::OK, kind.get(&s.store.read().directory, &id)?)
}

async fn update_named(
    kind: Named,
    State(s): State<Arc<Shared>>,
    _keys: BothKeys,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let body = json_body(&body)?;
    let answer = directory_write(&s, |d| kind.update(d, &id, &body)).await?;
    reply(StatusCode::OK, answer)
}

async fn delete_named(
    kind: Named,
    State(s): State<Arc<Shared>>,
    _keys: BothKeys,
    Path(id): Path<String>,
) -> ApiResult {
    directory_write(&s, |d| kind.delete(d, &id)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn list_teams(
    State(s): State<Arc<Shared>>,
    _keys: BothKeys,
    query: Params,
    RawQuery(raw): RawQuery,
) -> ApiResult {
    let query = query_params(query)?;
    let raw = raw.unwrap_or_default();
    let page = handles::list_teams(&s.store.read().directory, &query, &s.base_url, &raw)?;
    reply(StatusCode::OK, page)
}

async fn get_ms_teams_channel(
    State(s): State<Arc<Shared>>,
    _keys: BothKeys,
    Path((tenant, team, channel)): Path<(String, String, String)>,
) -> ApiResult {
    let answer =
        handles::get_ms_teams_channel(&s.store.read().directory, &tenant, &team, &channel)?;
    reply(StatusCode::OK, answer)
}

/// `POST /sandbox/v1/ms-teams/channels`: a channel of the org's Microsoft tenant (see
/// [`handles::add_ms_teams_channel`]).
pub async fn add_ms_teams_channel(State(s): State<Arc<Shared>>, body: Bytes) -> ApiResult {
    let body = json_body(&body)?;
    let answer = directory_write(&s, |d| handles::add_ms_teams_channel(d, &body)).await?;
    reply(StatusCode::CREATED, answer)
}

/// `POST /sandbox/v1/users/{id}/login`: the user logs in, and is `Active` from then on.
pub async fn log_in_user(State(s): State<Arc<Shared>>, Path(id): Path<String>) -> ApiResult {
    let answer = directory_write(&s, |d| handles::log_in(d, &id)).await?;
    reply(StatusCode::OK, answer)
}
