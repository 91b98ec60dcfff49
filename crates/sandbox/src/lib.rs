//! The Datadog API emulator: a real in-memory implementation served with axum.
//!
//! It answers the endpoints ddhooks uses (v1 webhooks, custom variables, monitors, check
//! runs, key validation, dashboards, Slack channels and PagerDuty services; v2 monitor
//! notification rules, webhook auth methods, Opsgenie services, Microsoft Teams handles,
//! teams and users) with Datadog's paths, status codes,
//! bodies and defaults (checked against the recorded exchanges by `tests/conformance.rs`), can add
//! latency, failures and rate limits to `/api/` routes, and has a simulation interface under
//! `/sandbox/v1/` that moves monitors between states, fires their webhooks and records whom each
//! transition notified.
//!
//! Use [`Sandbox::start`] to run one in-process (tests, `--sandbox`, the demo) or [`serve`]
//! on a listener of your own (the `ddhooks sandbox` command).
//!
//! Not emulated: downtimes, monitor search and group search, `can_delete`, synthetics, roles,
//! real monitor evaluation (states only change through the simulation interface), webhook
//! calls to non-Datadog URLs (recorded, never sent), and the exact wording of most 400 messages
//! other than the recorded ones.

pub mod api;
pub mod auth_methods;
pub mod dashboards;
pub mod data;
mod deadline;
pub mod error;
pub mod faults;
pub mod handles;
pub mod integration;
mod md5;
pub mod monitors;
pub mod notifications;
pub mod persist;
pub mod rules;
pub mod simulate;
pub mod store;

use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, Request, Response, StatusCode};
use axum::response::IntoResponse;
use axum::Router;
use faults::{Faults, RateLimit, RequestLog, Verdict};
use hyper_util::rt::TokioIo;
use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use store::{ApiError, Store};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tower::ServiceExt;

/// Everything that configures a sandbox; `Default` is an in-memory sandbox without faults
/// that accepts any non-empty key.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Persist the state in this file (a snapshot plus a journal beside it, see [`persist`]);
    /// `None` keeps it in memory.
    pub data: Option<PathBuf>,
    /// Response time of every `/api/` request: the answer leaves this long after the request
    /// arrived (or when ready, if handling took longer).
    pub latency: Duration,
    /// Up to this much more per request, drawn uniformly (from `seed` when set): answers of
    /// requests in flight together come back in any order, as a real API's do.
    pub jitter: Duration,
    /// Fraction of `/api/` requests answered 500/503 or with a dropped connection (0.0..=1.0).
    pub fail_rate: f64,
    /// Answer 429 past this budget; when set, every `/api/` response carries `X-RateLimit-*`.
    pub rate_limit: Option<RateLimit>,
    /// Reject custom-variable values longer than this many bytes (400).
    pub max_variable_bytes: Option<usize>,
    /// Webhook and custom-variable writes read the state, wait, and write a whole snapshot
    /// back, so one of two overlapping writes can be lost (like a naive read-modify-write store).
    pub lossy_webhook_writes: bool,
    /// Seed for the failure and jitter draws, for reproducible runs.
    pub seed: Option<u64>,
    /// Accepted API keys; empty accepts any non-empty key.
    pub api_keys: Vec<String>,
    /// Accepted application keys; empty accepts any non-empty key.
    pub app_keys: Vec<String>,
    /// `org_id` of monitors and `$ORG_ID`.
    pub org_id: i64,
    /// `$ORG_NAME`.
    pub org_name: String,
    /// Permissions the application key lacks (a scoped key): a request to an endpoint
    /// needing one (`ddhooks_datadog::permissions::PERMISSIONS`) is answered Datadog's 403.
    pub denied_permissions: BTreeSet<String>,
    /// What the rate-limit windows run on: the machine's clock, or a test's
    /// [`faults::ManualClock`].
    pub clock: Arc<dyn faults::Clock>,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            data: None,
            latency: Duration::ZERO,
            jitter: Duration::ZERO,
            fail_rate: 0.0,
            rate_limit: None,
            max_variable_bytes: None,
            lossy_webhook_writes: false,
            seed: None,
            api_keys: Vec::new(),
            app_keys: Vec::new(),
            org_id: 1,
            org_name: "ddhooks sandbox".to_string(),
            denied_permissions: BTreeSet::new(),
            clock: Arc::new(faults::SystemClock),
        }
    }
}

/// State shared by every request of one sandbox.
#[derive(Debug)]
pub struct Shared {
    /// The configuration it was started with.
    pub config: SandboxConfig,
    /// Webhooks, variables, monitors, check runs.
    pub store: Store,
    /// Latency, failures, rate limits.
    pub faults: Faults,
    /// Counts of API requests by route.
    pub requests: RequestLog,
    /// Whom each simulated transition notified (in memory only, never persisted).
    pub notifications: notifications::NotificationLog,
    /// Org of the monitors.
    pub identity: monitors::Identity,
    /// The sandbox's own base URL (`http://127.0.0.1:PORT`), for routing webhooks to itself.
    pub base_url: String,
    /// The router, so the simulation can send a webhook's call through the same handlers.
    pub router: OnceLock<Router>,
}

/// A sandbox running in-process on a loopback port.
#[derive(Debug)]
pub struct RunningSandbox {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl RunningSandbox {
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its state, request log and configuration, for harnesses that seed an org directly or
    /// read the request counts without going through HTTP.
    pub fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// Stops accepting, closes open connections and waits for the server task to end.
    /// Every answered write is already on disk, so nothing else needs flushing.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// Entry point for running a sandbox in-process.
#[derive(Debug)]
pub struct Sandbox;

impl Sandbox {
    /// Starts a sandbox on `127.0.0.1:0` (a free port).
    pub async fn start(config: SandboxConfig) -> anyhow::Result<RunningSandbox> {
        Self::start_on(config, SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// Starts a sandbox on `addr`.
    pub async fn start_on(
        config: SandboxConfig,
        addr: SocketAddr,
    ) -> anyhow::Result<RunningSandbox> {
        let store = open_store(&config)?;
        Self::start_with_store(config, store, addr).await
    }

    /// Starts a sandbox on `addr` serving `store` (tests give it a store of their own).
    pub(crate) async fn start_with_store(
        config: SandboxConfig,
        store: Store,
        addr: SocketAddr,
    ) -> anyhow::Result<RunningSandbox> {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|err| anyhow::anyhow!("cannot listen on {addr}: {err}"))?;
        let addr = listener.local_addr()?;
        let (stop, mut stopped) = watch::channel(false);
        let shared = build(config, store, addr);
        let kept = shared.clone();
        let task = tokio::spawn(async move {
            let shutdown = async move {
                while !*stopped.borrow() {
                    if stopped.changed().await.is_err() {
                        break;
                    }
                }
            };
            accept_loop(shared, listener, shutdown).await;
        });
        Ok(RunningSandbox {
            addr,
            shared: kept,
            stop,
            task,
        })
    }
}

/// Serves a sandbox on `listener` until `shutdown` completes.
pub async fn serve(
    config: SandboxConfig,
    listener: TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send,
) -> anyhow::Result<()> {
    let addr = listener.local_addr()?;
    let store = open_store(&config)?;
    let shared = build(config, store, addr);
    accept_loop(shared, listener, shutdown).await;
    Ok(())
}

fn open_store(config: &SandboxConfig) -> anyhow::Result<Store> {
    match &config.data {
        Some(path) => Store::open(path),
        None => Ok(Store::in_memory()),
    }
}

fn build(config: SandboxConfig, store: Store, addr: SocketAddr) -> Arc<Shared> {
    let shared = Arc::new(Shared {
        faults: Faults::new(
            config.latency,
            config.jitter,
            config.fail_rate,
            config.rate_limit,
            config.seed,
            config.clock.clone(),
        ),
        identity: monitors::Identity {
            org_id: config.org_id,
        },
        config,
        store,
        requests: RequestLog::default(),
        notifications: notifications::NotificationLog::default(),
        base_url: format!("http://{addr}"),
        router: OnceLock::new(),
    });
    let router = Router::new()
        .merge(api::routes())
        .merge(simulate::routes())
        .fallback(api::not_served)
        .layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            api::check_permission,
        ))
        .with_state(shared.clone());
    let _ = shared.router.set(router);
    shared
}

/// The error a request fails with when the sandbox drops its connection on purpose.
#[derive(Debug)]
struct DroppedConnection;

impl std::fmt::Display for DroppedConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("sandbox dropped the connection (fail-rate)")
    }
}

impl std::error::Error for DroppedConnection {}

/// Accepts connections and serves each with hyper's HTTP/1, so that a request can end in a
/// closed socket (a service error), which axum's own `serve` cannot do.
async fn accept_loop(
    shared: Arc<Shared>,
    listener: TcpListener,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    // Answers go out whole, at once: no waiting on Nagle's algorithm.
                    let _ = stream.set_nodelay(true);
                    stream
                }
                Err(err) => {
                    tracing::warn!("sandbox accept failed: {err}");
                    continue;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
        };
        let shared = shared.clone();
        let service = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
            // The latency counts from here: as soon as the request's head is parsed.
            let arrived = std::time::Instant::now();
            let shared = shared.clone();
            async move { handle(shared, req.map(Body::new), arrived).await }
        });
        connections.spawn(async move {
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
    connections.shutdown().await;
}

/// Sends a request through the router, without faults (the simulation's own calls use this).
pub(crate) async fn route(shared: &Shared, req: Request<Body>) -> Response<Body> {
    let Some(router) = shared.router.get() else {
        return ApiError::internal("sandbox router missing").into_response();
    };
    match router.clone().oneshot(req).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

/// One request: `/api/` paths are counted and go through the fault knobs first.
async fn handle(
    shared: Arc<Shared>,
    req: Request<Body>,
    arrived: std::time::Instant,
) -> Result<Response<Body>, DroppedConnection> {
    let path = req.uri().path().to_string();
    if !path.starts_with("/api/") {
        return Ok(route(&shared, req).await);
    }
    let method = req.method().as_str().to_string();
    shared.requests.record(&method, &path);
    // Every answer leaves `latency` (plus its jitter) after the request arrived (or as soon
    // as it is ready, if handling took longer), like a remote API whose response time
    // includes its work.
    let answer_at = arrived + shared.faults.response_time();
    let failure = |code: u16| {
        let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let message = match code {
            503 => "Service Unavailable",
            504 => "Gateway Timeout",
            _ => "Internal Server Error",
        };
        ApiError {
            status,
            message: message.to_string(),
        }
        .into_response()
    };
    let (mut response, headers) = match shared.faults.judge() {
        Verdict::Drop => {
            shared.requests.record_fault("drop");
            shared.requests.record_status(&method, &path, "dropped");
            deadline::wait_until(answer_at).await;
            return Err(DroppedConnection);
        }
        Verdict::DropAfter => {
            shared.requests.record_fault("drop-after-write");
            let done = route(&shared, req).await;
            shared.requests.record_status(
                &method,
                &path,
                &format!("{} dropped", done.status().as_u16()),
            );
            deadline::wait_until(answer_at).await;
            return Err(DroppedConnection);
        }
        Verdict::Limited(headers) => {
            shared.requests.record_fault("429");
            shared.requests.record_status(&method, &path, "429");
            (
                ApiError {
                    status: StatusCode::TOO_MANY_REQUESTS,
                    message: "Too many requests".to_string(),
                }
                .into_response(),
                headers,
            )
        }
        Verdict::Fail(code, headers) => {
            shared.requests.record_fault(&code.to_string());
            let response = failure(code);
            shared
                .requests
                .record_status(&method, &path, &code.to_string());
            (response, headers)
        }
        Verdict::FailAfter(code, headers) => {
            shared.requests.record_fault(&format!("{code}-after-write"));
            let done = route(&shared, req).await;
            shared.requests.record_status(
                &method,
                &path,
                &format!("{} then {code}", done.status().as_u16()),
            );
            (failure(code), headers)
        }
        Verdict::Serve(headers) => {
            let response = route(&shared, req).await;
            shared
                .requests
                .record_status(&method, &path, &response.status().as_u16().to_string());
            (response, headers)
        }
    };
    for (name, value) in headers {
        if let Ok(value) = HeaderValue::from_str(&value) {
            response
                .headers_mut()
                .insert(HeaderName::from_static(name), value);
        }
    }
    deadline::wait_until(answer_at).await;
    Ok(response)
}
