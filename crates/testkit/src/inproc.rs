//! ddhooks in process against a sandbox: a [`Session`] and an [`Applier`] as the binary
//! builds them, for tests that drive the engine step by step or watch its requests.

use crate::cli::{API_KEY, APP_KEY};
use ddhooks::apply::Applier;
use ddhooks::commands::session::{Planned, Session};
use ddhooks::datadog::fetch::StateBackend;
use ddhooks::datadog::{self, Client, ClientOptions, Credentials};
use ddhooks::manifest::Loaded;
use ddhooks::plan::{Plan, PlanOptions};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// A session on the sandbox at `base` (its registry in Datadog), `concurrency` requests at
/// a time.
pub fn session(base: &str, concurrency: usize) -> Session {
    let url = datadog::base_url("datadoghq.com", Some(base)).expect("base url");
    let client = Client::new(
        url,
        Credentials::new(API_KEY, APP_KEY),
        ClientOptions::default(),
    )
    .expect("client");
    Session {
        client,
        state: StateBackend::Datadog,
        concurrency,
        site: "datadoghq.com".into(),
        progress: None,
        sandbox: None,
        handle_check: true,
    }
}

/// `loaded` planned by `session` with the default options, as `ddhooks plan` plans it
/// (the plan must be made; its problems are the caller's to check).
pub async fn plan(session: &Session, loaded: &Loaded) -> Planned {
    session
        .plan(loaded, &PlanOptions::default(), None)
        .await
        .expect("plan")
}

/// The applier of `planned`, as `ddhooks apply` builds it, and the plan it applies.
pub fn applier(session: &Session, planned: Planned) -> (Applier<'_>, Plan) {
    planned.into_applier(session, Arc::new(AtomicBool::new(false)))
}
