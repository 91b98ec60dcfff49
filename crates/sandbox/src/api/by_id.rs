//! The objects the API addresses by an id the server picks — notification rules,
//! dashboards, webhook auth methods, teams and users — served by one set of handlers.
//!
//! Each kind's recorded behaviour stays a set of pure functions over [`Data`] in its own
//! module; a [`Kind`] only names them, with what differs between the kinds as the
//! recordings show it (the create's status, whether a delete answers a body). The handlers
//! run the same sequence for every kind: a body checked before the store is locked, a
//! fresh id, the key journalled, the answer once the write is on disk.

use super::{json_body, reply, store_write, ApiResult, BothKeys};
use crate::auth_methods;
use crate::dashboards;
use crate::data::Data;
use crate::error::ApiError;
use crate::handles;
use crate::monitors::Now;
use crate::rules;
use crate::rules::ValidRule;
use crate::store::Touched;
use crate::Shared;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::MethodFilter;
use axum::routing::{self, MethodRouter};
use axum::Router;
use ddhooks_datadog::wire::{
    Dashboard, DashboardDeleted, OAuth2AuthMethodDocument, OAuth2AuthMethodWrite, RuleDocument,
};
use serde::Serialize;
use serde_json::Value;
use std::sync::Arc;

/// One kind of object addressed by id, as its recordings show it: `W` is a create or
/// update body once checked, `A` what a create, a read and an update answer, `D` what a
/// delete answers (`()` when it answers none: a 204).
pub(super) struct Kind<W, A, D> {
    /// The status of a successful create (200 or 201, as recorded).
    created: StatusCode,
    /// Checks a create or update body before anything is locked or stored.
    parse: fn(Value) -> Result<W, ApiError>,
    /// An id no object of the kind has.
    unused_id: fn(&Data) -> String,
    /// Records the key a write of an object changes, for the journal.
    touch: fn(&mut Touched, &str),
    /// Creates the object of this id; the answer.
    create: fn(&mut Data, W, &str, &Now) -> Result<A, ApiError>,
    /// The object as a read answers it.
    get: fn(&Data, &str) -> Result<A, ApiError>,
    /// Updates the object (PUT or PATCH, as the kind's route says); the answer.
    update: fn(&mut Data, &str, W, &Now) -> Result<A, ApiError>,
    /// Deletes (for users: disables) the object; the answer's body, `None` for a 204.
    delete: fn(&mut Data, &str, &Now) -> Result<Option<D>, ApiError>,
}

/// Notification rules (`/api/v2/monitor/notification_rule`): created 200, deleted 204.
pub(super) const RULES: Kind<ValidRule, RuleDocument, ()> = Kind {
    created: StatusCode::OK,
    parse: |body| rules::validate(&body),
    unused_id: rules::unused_id,
    touch: Touched::rule,
    create: rules::create,
    get: rules::get,
    update: rules::update,
    delete: |data, id, _| rules::delete(data, id).map(|()| None),
};

/// Dashboards (`/api/v1/dashboard`): created 200, a delete answers the deleted id.
pub(super) const DASHBOARDS: Kind<Dashboard, Dashboard, DashboardDeleted> = Kind {
    created: StatusCode::OK,
    parse: |body| dashboards::validate(&body),
    unused_id: dashboards::unused_id,
    touch: Touched::dashboard,
    create: |data, dashboard, id, now| Ok(dashboards::create(data, dashboard, id, now)),
    get: dashboards::get,
    update: dashboards::update,
    delete: |data, id, _| dashboards::delete(data, id).map(Some),
};

/// Webhook OAuth2 auth methods
/// (`/api/v2/integration/webhooks/configuration/auth-method/oauth2-client-credentials`):
/// created 201, deleted 204.
pub(super) const AUTH_METHODS: Kind<OAuth2AuthMethodWrite, OAuth2AuthMethodDocument, ()> = Kind {
    created: StatusCode::CREATED,
    parse: |body| auth_methods::parse(&body),
    unused_id: auth_methods::unused_id,
    touch: Touched::auth_method,
    create: |data, write, id, _| auth_methods::create(data, write, id),
    get: auth_methods::get,
    update: |data, id, write, _| auth_methods::update(data, id, write),
    delete: |data, id, _| auth_methods::delete(data, id).map(|()| None),
};

/// Teams (`/api/v2/team`): created 201, deleted 204; the handles' directory is journalled
/// whole.
pub(super) const TEAMS: Kind<Value, Value, ()> = Kind {
    created: StatusCode::CREATED,
    parse: Ok,
    unused_id: |data| rules::unused_uuid(|id| data.directory.teams.contains_key(id)),
    touch: |touched, _| touched.directory(),
    create: |data, body, id, now| handles::create_team(&mut data.directory, id, &body, now),
    get: |data, id| handles::get_team(&data.directory, id),
    update: |data, id, body, now| handles::update_team(&mut data.directory, id, &body, now),
    delete: |data, id, _| handles::delete_team(&mut data.directory, id).map(|()| None),
};

/// Users (`/api/v2/users`): created 201 (`Pending`); a delete disables the user, 204.
pub(super) const USERS: Kind<Value, Value, ()> = Kind {
    created: StatusCode::CREATED,
    parse: Ok,
    unused_id: |data| rules::unused_uuid(|id| data.directory.users.contains_key(id)),
    touch: |touched, _| touched.directory(),
    create: |data, body, id, now| handles::create_user(&mut data.directory, id, &body, now),
    get: |data, id| handles::get_user(&data.directory, id),
    update: |data, id, body, now| handles::update_user(&mut data.directory, id, &body, now),
    delete: |data, id, now| handles::disable_user(&mut data.directory, id, now).map(|()| None),
};

impl<W, A, D> Kind<W, A, D>
where
    W: Send + 'static,
    A: Serialize + Send + 'static,
    D: Serialize + Send + 'static,
{
    /// `POST` on the kind's collection.
    async fn create(&'static self, s: Arc<Shared>, body: Bytes) -> ApiResult {
        let write = (self.parse)(json_body(&body)?)?;
        let now = Now::current();
        let created = store_write(&s, |data, touched| {
            let id = (self.unused_id)(data);
            (self.touch)(touched, &id);
            (self.create)(data, write, &id, &now)
        })
        .await?;
        reply(self.created, created)
    }

    /// `GET` of one object.
    fn get(&'static self, s: &Shared, id: &str) -> ApiResult {
        let answer = (self.get)(&s.store.read(), id)?;
        reply(StatusCode::OK, answer)
    }

    /// `PUT` or `PATCH` of one object.
    async fn update(&'static self, s: Arc<Shared>, id: String, body: Bytes) -> ApiResult {
        let write = (self.parse)(json_body(&body)?)?;
        let now = Now::current();
        let updated = store_write(&s, |data, touched| {
            (self.touch)(touched, &id);
            (self.update)(data, &id, write, &now)
        })
        .await?;
        reply(StatusCode::OK, updated)
    }

    /// `DELETE` of one object.
    async fn delete(&'static self, s: Arc<Shared>, id: String) -> ApiResult {
        let now = Now::current();
        let deleted = store_write(&s, |data, touched| {
            (self.touch)(touched, &id);
            (self.delete)(data, &id, &now)
        })
        .await?;
        match deleted {
            Some(answer) => reply(StatusCode::OK, answer),
            None => Ok(StatusCode::NO_CONTENT.into_response()),
        }
    }

    /// The create handler, for the collection's route (beside its own listing).
    fn create_route(&'static self) -> MethodRouter<Arc<Shared>> {
        routing::post(
            move |State(s): State<Arc<Shared>>, _: BothKeys, body: Bytes| self.create(s, body),
        )
    }

    /// The kind's routes: `listing` and the create on `collection`, the object routes on
    /// `{collection}/{id_param}` (the template the request log counts under).
    pub(super) fn routes(
        &'static self,
        collection: &str,
        id_param: &str,
        listing: MethodRouter<Arc<Shared>>,
        update_method: MethodFilter,
    ) -> Router<Arc<Shared>> {
        Router::new()
            .route(collection, self.create_route().merge(listing))
            .route(
                &format!("{collection}/{{{id_param}}}"),
                self.object_routes(update_method),
            )
    }

    /// The routes of one object, `{collection}/{id}`: read, update with `update_method`
    /// (PUT or PATCH, as the kind's API has it) and delete.
    fn object_routes(&'static self, update_method: MethodFilter) -> MethodRouter<Arc<Shared>> {
        let update = move |State(s): State<Arc<Shared>>,
                           _: BothKeys,
                           Path(id): Path<String>,
                           body: Bytes| { self.update(s, id, body) };
        routing::get(
            move |State(s): State<Arc<Shared>>, _: BothKeys, Path(id): Path<String>| async move {
                self.get(&s, &id)
            },
        )
        .on(update_method, update)
        .delete(
            move |State(s): State<Arc<Shared>>, _: BothKeys, Path(id): Path<String>| {
                self.delete(s, id)
            },
        )
    }
}
