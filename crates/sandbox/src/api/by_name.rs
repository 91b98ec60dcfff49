//! The objects of the Webhooks integration the API addresses by the name the client picks —
//! webhooks and custom variables — served by one set of handlers.
//!
//! Each kind's recorded behaviour stays a set of pure functions over [`Integration`] in
//! [`crate::integration`], so the lossy mode can run them on a stale snapshot; a
//! [`NamedKind`] only names them. The handlers run the same sequence for both kinds: the
//! body parsed, the write (`integration_write`), the names it wrote journalled, the answer
//! once the write is on disk.

use super::{json_body, reply, ApiResult, BothKeys};
use crate::data::Integration;
use crate::error::ApiError;
use crate::integration::{self, Limits};
use crate::store::Touched;
use crate::Shared;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{self, MethodRouter};
use axum::Router;
use ddhooks_datadog::wire::{CustomVariable, Webhook};
use serde::Serialize;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

/// How long a lossy read-modify-write waits between its read and its write.
const LOSSY_WINDOW: Duration = Duration::from_millis(50);

/// One kind of the Webhooks integration's objects, addressed by name: `A` is what a create,
/// a read and an update answer.
pub(super) struct NamedKind<A> {
    /// Records the name a write of an object changes, for the journal.
    touch: fn(&mut Touched, &str),
    /// The name of the object an answer shows (a create's, or an update's new name).
    name: fn(&A) -> &str,
    /// `POST` on the collection: creates the object the body describes.
    create: fn(&mut Integration, &serde_json::Value, Limits) -> Result<A, ApiError>,
    /// The object as a read answers it.
    get: fn(&Integration, &str) -> Result<A, ApiError>,
    /// `PUT` of one object: a partial update, a `name` renames.
    update: fn(&mut Integration, &str, &serde_json::Value, Limits) -> Result<A, ApiError>,
    /// Deletes the object.
    delete: fn(&mut Integration, &str) -> Result<(), ApiError>,
}

/// Webhooks (`/api/v1/integration/webhooks/configuration/webhooks`).
pub(super) const WEBHOOKS: NamedKind<Webhook> = NamedKind {
    touch: Touched::webhook,
    name: |webhook| &webhook.name,
    create: |i, body, _| integration::create_webhook(i, body),
    get: integration::get_webhook,
    update: |i, name, body, _| integration::update_webhook(i, name, body),
    delete: integration::delete_webhook,
};

/// Custom variables (`/api/v1/integration/webhooks/configuration/custom-variables`).
pub(super) const VARIABLES: NamedKind<CustomVariable> = NamedKind {
    touch: Touched::variable,
    name: |variable| &variable.name,
    create: integration::create_variable,
    get: integration::get_variable,
    update: integration::update_variable,
    delete: integration::delete_variable,
};

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

fn limits(shared: &Shared) -> Limits {
    Limits {
        max_variable_bytes: shared.config.max_variable_bytes,
    }
}

impl<A> NamedKind<A>
where
    A: Serialize + Send + 'static,
{
    /// `POST` on the kind's collection (201).
    async fn create(&'static self, s: Arc<Shared>, body: Bytes) -> ApiResult {
        let body = json_body(&body)?;
        let limits = limits(&s);
        let created = integration_write(&s, |i, touched| {
            let created = (self.create)(i, &body, limits)?;
            (self.touch)(touched, (self.name)(&created));
            Ok(created)
        })
        .await?;
        reply(StatusCode::CREATED, created)
    }

    /// `PUT` of one object; a rename journals both names.
    async fn update(&'static self, s: Arc<Shared>, name: String, body: Bytes) -> ApiResult {
        let body = json_body(&body)?;
        let limits = limits(&s);
        let updated = integration_write(&s, |i, touched| {
            let updated = (self.update)(i, &name, &body, limits)?;
            (self.touch)(touched, &name);
            (self.touch)(touched, (self.name)(&updated));
            Ok(updated)
        })
        .await?;
        reply(StatusCode::OK, updated)
    }

    /// `DELETE` of one object: answers `{}`.
    async fn delete(&'static self, s: Arc<Shared>, name: String) -> ApiResult {
        integration_write(&s, |i, touched| {
            (self.touch)(touched, &name);
            (self.delete)(i, &name)
        })
        .await?;
        reply(StatusCode::OK, json!({}))
    }

    /// The kind's routes: the create on `collection`, the object routes on
    /// `{collection}/{name_param}` (the template the request log counts under).
    pub(super) fn routes(&'static self, collection: &str, name_param: &str) -> Router<Arc<Shared>> {
        Router::new().route(collection, self.create_route()).route(
            &format!("{collection}/{{{name_param}}}"),
            self.object_routes(),
        )
    }

    /// The create handler, for the collection's route.
    fn create_route(&'static self) -> MethodRouter<Arc<Shared>> {
        routing::post(
            move |State(s): State<Arc<Shared>>, _: BothKeys, body: Bytes| self.create(s, body),
        )
    }

    /// The routes of one object, `{collection}/{name}`: read, update (PUT) and delete.
    fn object_routes(&'static self) -> MethodRouter<Arc<Shared>> {
        routing::get(
            move |State(s): State<Arc<Shared>>, _: BothKeys, Path(name): Path<String>| async move {
                let answer = (self.get)(&s.store.read().integration, &name)?;
                reply(StatusCode::OK, answer)
            },
        )
        .put(
            move |State(s): State<Arc<Shared>>,
                  _: BothKeys,
                  Path(name): Path<String>,
                  body: Bytes| { self.update(s, name, body) },
        )
        .delete(
            move |State(s): State<Arc<Shared>>, _: BothKeys, Path(name): Path<String>| {
                self.delete(s, name)
            },
        )
    }
}
