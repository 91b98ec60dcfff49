//! The routes of what notification handles name — Slack channels per account, PagerDuty
//! and Opsgenie services, Microsoft Teams handles, teams, users — and their handlers, which
//! parse the request and delegate to [`crate::handles`] over the store's `Directory`. Apart
//! from the other kinds' handlers because they are one family with their own router and
//! write path (`directory_write`).

use super::by_id::{TEAMS, USERS};
use super::{json_body, listing, query_params, reply, store_write, ApiResult, BothKeys};
use crate::handles::{self, Directory, Named};
use crate::store::ApiError;
use crate::Shared;
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{delete, get, on, post, MethodFilter, MethodRouter};
use axum::Router;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The endpoints of what notification handles name (see [`crate::handles`]).
pub(super) fn handle_routes() -> Router<Arc<Shared>> {
    const POST: MethodFilter = MethodFilter::POST;
    const PATCH: MethodFilter = MethodFilter::PATCH;
    const OK: StatusCode = StatusCode::OK;
    const CREATED: StatusCode = StatusCode::CREATED;
    const SLACK: &str = "/api/v1/integration/slack/configuration/accounts/{account}/channels";
    const PAGERDUTY: &str = "/api/v1/integration/pagerduty/configuration/services";
    const OPSGENIE: &str = "/api/v2/integration/opsgenie/services";
    const TENANT: &str = "/api/v2/integration/ms-teams/configuration/tenant-based-handles";
    const WORKFLOWS: &str = "/api/v2/integration/ms-teams/configuration/workflows-webhook-handles";
    let named =
        |kind: Named| {
            Router::new()
                .route(
                    "/",
                    listing(Ok, move |data, query| Ok(kind.list(&data.directory, query))).merge(
                        write(POST, CREATED, move |d, (): (), body| {
                            let id = kind.unused_id(d);
                            kind.create(d, &id, body)
                        }),
                    ),
                )
                .route(
                    "/{id}",
                    read(move |d, id: String| kind.get(d, &id))
                        .merge(write(PATCH, OK, move |d, id: String, body| {
                            kind.update(d, &id, body)
                        }))
                        .merge(remove(move |d, id: String| kind.delete(d, &id))),
                )
        };
    Router::new()
        .route("/api/v1/integration/slack", post(add_slack_accounts))
        .route(
            SLACK,
            read(|d, account: String| handles::list_slack_channels(d, &account)).merge(write(
                POST,
                CREATED,
                |d, account: String, body| handles::create_slack_channel(d, &account, body),
            )),
        )
        .route(
            &format!("{SLACK}/{{channel}}"),
            read(|d, (account, channel): (String, String)| {
                handles::get_slack_channel(d, &account, &channel)
            })
            .merge(write(
                PATCH,
                OK,
                |d, (account, channel): (String, String), body| {
                    handles::update_slack_channel(d, &account, &channel, body)
                },
            ))
            .merge(remove(|d, (account, channel): (String, String)| {
                handles::delete_slack_channel(d, &account, &channel)
            })),
        )
        .route(
            PAGERDUTY,
            write(POST, CREATED, |d, (): (), body| {
                handles::create_pagerduty_service(d, body)
            }),
        )
        .route(
            &format!("{PAGERDUTY}/{{name}}"),
            read(|d, name: String| handles::get_pagerduty_service(d, &name))
                .put(update_pagerduty_service)
                .merge(remove(|d, name: String| {
                    handles::delete_pagerduty_service(d, &name)
                })),
        )
        .nest(OPSGENIE, named(Named::Opsgenie))
        .nest(TENANT, named(Named::TenantHandle))
        .nest(WORKFLOWS, named(Named::WorkflowHandle))
        .route(
            "/api/v2/integration/ms-teams/configuration/channel/{tenant}/{team}/{channel}",
            read(|d, (tenant, team, channel): (String, String, String)| {
                handles::get_ms_teams_channel(d, &tenant, &team, &channel)
            }),
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
    op: impl FnOnce(&mut Directory) -> Result<R, ApiError>,
) -> Result<R, ApiError> {
    store_write(shared, |data, touched| {
        touched.directory();
        op(&mut data.directory)
    })
    .await
}

type Params = Result<Query<BTreeMap<String, String>>, QueryRejection>;

/// `GET`: `read` over the handles' destinations and the path's parameters `P`, answered 200.
fn read<P>(
    read: impl Fn(&Directory, P) -> Result<Value, ApiError> + Clone + Send + Sync + 'static,
) -> MethodRouter<Arc<Shared>>
where
    P: DeserializeOwned + Send + 'static,
{
    get(
        move |State(s): State<Arc<Shared>>, _: BothKeys, Path(p): Path<P>| async move {
            let answer = read(&s.store.read().directory, p)?;
            reply(StatusCode::OK, answer)
        },
    )
}

/// A write with a JSON body on `method`: `write` over the handles' destinations, the path's
/// parameters `P` (`()` on a collection) and the body, answered with `status` once it is on
/// disk.
fn write<P, A>(
    method: MethodFilter,
    status: StatusCode,
    write: impl Fn(&mut Directory, P, &Value) -> Result<A, ApiError> + Clone + Send + Sync + 'static,
) -> MethodRouter<Arc<Shared>>
where
    P: DeserializeOwned + Send + 'static,
    A: Serialize + Send + 'static,
{
    on(
        method,
        move |State(s): State<Arc<Shared>>, _: BothKeys, Path(p): Path<P>, body: Bytes| async move {
            let body = json_body(&body)?;
            let answer = directory_write(&s, |d| write(d, p, &body)).await?;
            reply(status, answer)
        },
    )
}

/// `DELETE`: `remove` over the handles' destinations and the path's parameters `P`,
/// answered 204 once it is on disk.
fn remove<P>(
    remove: impl Fn(&mut Directory, P) -> Result<(), ApiError> + Clone + Send + Sync + 'static,
) -> MethodRouter<Arc<Shared>>
where
    P: DeserializeOwned + Send + 'static,
{
    delete(
        move |State(s): State<Arc<Shared>>, _: BothKeys, Path(p): Path<P>| async move {
            directory_write(&s, |d| remove(d, p)).await?;
            Ok::<_, ApiError>(StatusCode::NO_CONTENT.into_response())
        },
    )
}

async fn add_slack_accounts(
    State(s): State<Arc<Shared>>,
    _keys: BothKeys,
    body: Bytes,
) -> ApiResult {
    let body = json_body(&body)?;
    directory_write(&s, |d| handles::add_slack_accounts(d, &body)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
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
