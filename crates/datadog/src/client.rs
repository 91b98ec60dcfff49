//! The HTTP client for Datadog's v1 API: keys, retries with backoff and jitter, rate-limit
//! pacing, bounded response sizes, and errors that name the object, the status and a fix.
//!
//! Secret values are sent but never logged: only method, path, status and attempt are.

use super::network::{self, Attempts, CaBundle, NetworkFailure};
use super::pacing::{self, Pace, RetrySettings};
use super::wire;
use ddhooks_core::model::Secret;
use rand::Rng;
use reqwest::{Method, StatusCode, Url};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod auth_methods;
mod bodies;
mod dashboards;
mod demand;
mod error;
pub(crate) mod handles;
mod integration;
mod monitor_list;
mod rules;
pub use error::{ApiError, FetchError};
pub(crate) use monitor_list::{remote_monitor, Keep};
pub use monitor_list::{MonitorListing, PageSink};

/// Largest response body accepted; anything larger is an error, never an out-of-memory.
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024 * 1024;

/// The two keys, read only from the environment (never from flags, which leak into shell
/// history and process lists).
#[derive(Clone)]
pub struct Credentials {
    api_key: Secret,
    app_key: Secret,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Credentials(sensitive)")
    }
}

impl Credentials {
    /// Keys given directly (the embedded sandbox and tests).
    pub fn new(api_key: impl Into<String>, app_key: impl Into<String>) -> Credentials {
        Credentials {
            api_key: Secret::new(api_key),
            app_key: Secret::new(app_key),
        }
    }

    /// `DD_API_KEY` and `DD_APP_KEY` from `env`; a missing one is an error naming it.
    pub fn from_env(env: impl Fn(&str) -> Option<String>) -> Result<Credentials, ApiError> {
        let get = |name: &str| {
            env(name)
                .filter(|v| !v.trim().is_empty())
                .ok_or_else(|| ApiError::MissingKey(name.to_string()))
        };
        Ok(Credentials::new(get("DD_API_KEY")?, get("DD_APP_KEY")?))
    }

    /// The API key, for fingerprinting checks in tests of secrecy.
    pub fn api_key(&self) -> &Secret {
        &self.api_key
    }
}

/// Retry, timeout, concurrency and trust settings (the CLI's `--max-retries`, `--timeout`,
/// `--concurrency`, `--ca-file`).
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Per-request timeout.
    pub timeout: Duration,
    /// Retries after the first attempt, for retryable failures.
    pub max_retries: u32,
    /// First backoff delay; doubles on every retry (with full jitter), capped at 20 s.
    pub base_backoff: Duration,
    /// Requests in flight at once, over every caller of this client (`--concurrency`).
    pub concurrency: usize,
    /// CA certificates trusted besides the system's store and Mozilla's roots (`--ca-file`,
    /// `SSL_CERT_FILE`).
    pub ca_bundle: Option<CaBundle>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            timeout: Duration::from_secs(30),
            max_retries: 8,
            base_backoff: Duration::from_millis(200),
            concurrency: 16,
            ca_bundle: None,
        }
    }
}

/// Told of every request that completes, with its method and what it was about (`GET`,
/// `monitor list page 3`): the CLI shows progress with it. Called on the request's task, so
/// it must be quick.
pub trait RequestObserver: Send + Sync {
    /// One request completed (successfully, or with a 404 that callers expect).
    fn completed(&self, method: &str, object: &str);
}

/// The observer, opaque to `Debug`.
struct Observer(Arc<dyn RequestObserver>);

impl std::fmt::Debug for Observer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Observer")
    }
}

/// How many 429 answers one request waits out before giving up.
const MAX_RATE_LIMITED_WAITS: u32 = 30;

/// A Datadog API client bound to one base URL and one pair of keys.
#[derive(Debug)]
pub struct Client {
    /// Told of every request that completes (progress on a terminal); set once.
    observer: std::sync::OnceLock<Observer>,
    http: reqwest::Client,
    base: Url,
    credentials: Credentials,
    options: ClientOptions,
    pace: Mutex<Pace>,
    /// The origin of the pacing's times.
    started: Instant,
    /// The proxy requests go through, for messages (see [`network::proxy_for`]).
    proxy: Option<String>,
    /// Held by every webhook and custom-variable write: Datadog's integration store loses
    /// overlapping writes, so they go one at a time even when tasks run concurrently.
    gate: tokio::sync::Mutex<()>,
    /// One permit per request in flight: the `--concurrency` bound holds however many tasks
    /// call at once (waiters are served in order).
    permits: tokio::sync::Semaphore,
    /// Buffers of large answers (monitor pages), reused once decoded.
    bodies: Arc<bodies::BodyPool>,
    /// The requests under way, pages apart: a listing's window follows what else waits.
    demand: demand::Demand,
}

impl Client {
    /// A client for `base` (see [`super::base_url`]).
    pub fn new(
        base: Url,
        credentials: Credentials,
        options: ClientOptions,
    ) -> Result<Client, ApiError> {
        // The proxy comes from the environment as reqwest reads it (HTTPS_PROXY,
        // HTTP_PROXY, ALL_PROXY, NO_PROXY, upper or lower case): nothing here turns it off.
        // Trusted: the system's CA store, Mozilla's roots, and the CA bundle if given.
        let mut builder = reqwest::Client::builder()
            .timeout(options.timeout)
            .connect_timeout(options.timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("ddhooks/", env!("CARGO_PKG_VERSION")));
        if let Some(bundle) = &options.ca_bundle {
            for certificate in bundle.certificates() {
                builder = builder.add_root_certificate(certificate.clone());
            }
        }
        // Plain HTTP (only ever to loopback: the sandbox) needs no roots: reading and parsing
        // the platform's CA store is most of a short command's start-up.
        if base.scheme() == "http" {
            builder = builder.tls_built_in_root_certs(false);
        }
        let http = builder
            .build()
            .map_err(|e| ApiError::Setup(network::chain(&e)))?;
        Ok(Client {
            observer: std::sync::OnceLock::new(),
            http,
            proxy: network::proxy_for(&base),
            base,
            credentials,
            pace: Mutex::new(Pace::default()),
            started: Instant::now(),
            gate: tokio::sync::Mutex::new(()),
            permits: tokio::sync::Semaphore::new(options.concurrency.max(1)),
            bodies: Arc::default(),
            demand: demand::Demand::default(),
            options,
        })
    }

    /// Sets who is told of every completed request (once; later calls are ignored).
    pub fn observe(&self, observer: Arc<dyn RequestObserver>) {
        let _ = self.observer.set(Observer(observer));
    }

    /// The base URL requests go to.
    pub fn base(&self) -> &Url {
        &self.base
    }

    fn url(&self, segments: &[&str]) -> Url {
        self.versioned_url("v1", segments)
    }

    fn versioned_url(&self, version: &str, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty();
            path.extend(["api", version]);
            path.extend(segments);
        }
        url
    }

    /// Waits for this request's slot (see [`Pace::delay_before_next`]).
    async fn wait_for_pace(&self) {
        let now = self.started.elapsed();
        let wait = match self.pace.lock() {
            Ok(mut pace) => pace.delay_before_next(now),
            Err(_) => None,
        };
        if let Some(wait) = wait {
            tracing::info!(
                wait_ms = wait.as_millis() as u64,
                "rate limit budget low, pacing"
            );
            tokio::time::sleep(wait).await;
        }
    }

    /// Reads the rate-limit headers: adjusts the pacing, and returns how long the server
    /// asks to wait (see [`Pace::note`]).
    fn note_rate_limit(
        &self,
        status: StatusCode,
        headers: &reqwest::header::HeaderMap,
    ) -> Option<Duration> {
        let rate_limit = pacing::parse_rate_limit(headers);
        let now = self.started.elapsed();
        let limited = status == StatusCode::TOO_MANY_REQUESTS;
        match self.pace.lock() {
            Ok(mut pace) => pace.note(now, limited, &rate_limit),
            Err(_) => rate_limit.reset,
        }
    }

    /// The delay before retry number `attempt` (see [`pacing::retry_delay`]), with jitter
    /// drawn here.
    fn backoff(
        &self,
        attempt: u32,
        status: Option<u16>,
        server_wait: Option<Duration>,
    ) -> Duration {
        let jitter = rand::rng().random::<u64>();
        pacing::retry_delay(
            attempt,
            status,
            server_wait,
            self.options.base_backoff,
            jitter,
        )
    }

    /// One call with retries. `retry_ambiguous` is false for creates: a create whose
    /// outcome is unknown returns the error so the caller can read before retrying.
    ///
    /// Each attempt is logged at debug level only; a request that needed retries is summed
    /// up once: one warning when it succeeds in the end, or the end of its error.
    async fn call(
        &self,
        method: Method,
        url: Url,
        body: Option<Vec<u8>>,
        object: &str,
        retry_ambiguous: bool,
    ) -> Result<(StatusCode, Vec<u8>), ApiError> {
        let _counted = self.demand.call();
        let mut attempt = 0;
        let mut limited = 0;
        let mut failures = Attempts::new();
        loop {
            self.wait_for_pace().await;
            let result = self
                .call_once(method.clone(), url.clone(), body.clone(), object)
                .await;
            let err = match result {
                Ok((status, bytes, reset)) => {
                    if status.is_success() || status == StatusCode::NOT_FOUND {
                        if !failures.is_empty() {
                            tracing::warn!("{method} {object}: {}", failures.succeeded());
                        }
                        if let Some(observer) = self.observer.get() {
                            observer.0.completed(method.as_str(), object);
                        }
                        return Ok((status, bytes));
                    }
                    let err = self.status_error(&method, object, status, &bytes);
                    // A 429 did nothing, so waiting as told and sending again is always
                    // safe; it has its own, larger budget (waiting is what the API asks).
                    if status == StatusCode::TOO_MANY_REQUESTS
                        && limited < MAX_RATE_LIMITED_WAITS.max(self.options.max_retries)
                    {
                        failures.push(err.attempt_label());
                        let wait = self.backoff(limited.min(8), Some(429), reset);
                        tracing::debug!(%method, object, wait_ms = wait.as_millis() as u64, "429 rate limited, waiting as told");
                        // With a reset header the shared pace already holds every request
                        // of this client until then.
                        if reset.is_none() {
                            tokio::time::sleep(wait).await;
                        }
                        limited += 1;
                        continue;
                    }
                    err
                }
                Err(err) => err,
            };
            failures.push(err.attempt_label());
            let class = err
                .retry_class()
                .filter(|_| retry_ambiguous || !err.outcome_unknown());
            let settings = RetrySettings {
                max_retries: self.options.max_retries,
                base: self.options.base_backoff,
            };
            let jitter = rand::rng().random::<u64>();
            let Some(wait) = class.and_then(|class| {
                pacing::next_retry(class, attempt, settings, err.status(), jitter)
            }) else {
                return Err(err.after(failures));
            };
            tracing::debug!(%method, object, attempt = attempt + 1, wait_ms = wait.as_millis() as u64, error = %err, "retrying");
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    async fn call_once(
        &self,
        method: Method,
        url: Url,
        body: Option<Vec<u8>>,
        object: &str,
    ) -> Result<(StatusCode, Vec<u8>, Option<Duration>), ApiError> {
        let host = network::host_and_port(&url);
        let mut request = self
            .http
            .request(method.clone(), url.clone())
            .header("DD-API-KEY", self.credentials.api_key.expose())
            .header("DD-APPLICATION-KEY", self.credentials.app_key.expose())
            .header("Accept", "application/json");
        let sent_body = body.is_some();
        if let Some(body) = body {
            request = request
                .header("Content-Type", "application/json")
                .body(body);
        }
        let network = |e: reqwest::Error, sent: bool| {
            let cause = network::classify(&e, e.is_timeout());
            ApiError::Network {
                object: object.to_string(),
                method: method.to_string(),
                failure: Box::new(NetworkFailure {
                    cause,
                    host: host.clone(),
                    proxy: self.proxy.clone(),
                    reason: network::innermost(&e),
                    detail: describe_reqwest(&e),
                }),
                ambiguous: sent && cause.may_have_been_sent(),
                tried: Box::default(),
            }
        };
        // Never closed, so acquiring cannot fail; if it did, go on unbounded.
        let _permit = self.permits.acquire().await.ok();
        let started = Instant::now();
        let mut response = request.send().await.map_err(|e| {
            let sent = sent_body && !e.is_connect();
            network(e, sent)
        })?;
        let status = response.status();
        let reset = self.note_rate_limit(status, response.headers());
        // Sized from the announced length, so a page of megabytes is not copied again each
        // time the buffer grows; a length past 16 MiB (no answer ddhooks asks for is near
        // it) is not trusted with memory up front.
        let announced = response.content_length().unwrap_or(0).min(16 << 20);
        let mut bytes = self.bodies.buffer(usize::try_from(announced).unwrap_or(0));
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if bytes.len() + chunk.len() > MAX_RESPONSE_BYTES {
                        return Err(ApiError::Decode {
                            object: object.to_string(),
                            detail: format!(
                                "response larger than {} MiB",
                                MAX_RESPONSE_BYTES / 1024 / 1024
                            ),
                        });
                    }
                    bytes.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => return Err(network(e, true)),
            }
        }
        tracing::debug!(%method, path = url.path(), status = status.as_u16(), ms = started.elapsed().as_millis() as u64, "datadog");
        Ok((status, bytes, reset))
    }

    fn status_error(
        &self,
        method: &Method,
        object: &str,
        status: StatusCode,
        body: &[u8],
    ) -> ApiError {
        let message = serde_json::from_slice::<wire::ErrorBody>(body)
            .map(|b| b.errors.join("; "))
            .unwrap_or_else(|_| {
                let text = String::from_utf8_lossy(body);
                let text: String = text.chars().take(200).collect();
                if text.trim().is_empty() {
                    status
                        .canonical_reason()
                        .unwrap_or("no message")
                        .to_string()
                } else {
                    text
                }
            });
        let hint = match status.as_u16() {
            401 | 403 => {
                let permission = if object.starts_with("notification rule") {
                    if method == Method::GET {
                        "monitors_read"
                    } else {
                        "monitor_config_policy_write"
                    }
                } else if object.starts_with("monitor") {
                    if method == Method::GET {
                        "monitors_read"
                    } else {
                        "monitors_write"
                    }
                } else if object.starts_with("dashboard") {
                    if method == Method::GET {
                        "dashboards_read"
                    } else {
                        "dashboards_write"
                    }
                } else if object.starts_with("check_run") {
                    "a valid API key (check runs need only DD_API_KEY)"
                } else {
                    "manage_integrations (integrations read/write)"
                };
                format!("; check that DD_API_KEY is a valid API key and DD_APP_KEY a valid application key of the same org (and DD_SITE the org's site), and that the application key's user or scope has the `{permission}` permission")
            }
            429 => "; rate limited: ddhooks waited and retried; lower --concurrency or try later"
                .to_string(),
            s if s >= 500 => {
                "; Datadog had a server error: ddhooks retried; re-run later (a re-run converges)"
                    .to_string()
            }
            _ => String::new(),
        };
        ApiError::Status {
            object: object.to_string(),
            method: method.to_string(),
            status: status.as_u16(),
            message,
            hint,
            tried: Box::default(),
        }
    }

    /// A monitor page decoded: its UTF-8 checked once, whole, with SIMD, rather than
    /// string by string (a page is megabytes of text: the standard library's check was 4 %
    /// of a 100,000-monitor plan's CPU). A page that fails is checked again by the standard
    /// library, which says where.
    fn decode_page<'a, T: Deserialize<'a>>(object: &str, bytes: &'a [u8]) -> Result<T, ApiError> {
        let text = simdutf8::basic::from_utf8(bytes)
            .or_else(|_| std::str::from_utf8(bytes))
            .map_err(|e| ApiError::Decode {
                object: object.to_string(),
                detail: format!("the answer is not UTF-8: {e}"),
            })?;
        serde_json::from_str(text).map_err(|e| ApiError::Decode {
            object: object.to_string(),
            detail: e.to_string(),
        })
    }

    fn decode<'a, T: Deserialize<'a>>(object: &str, bytes: &'a [u8]) -> Result<T, ApiError> {
        serde_json::from_slice(bytes).map_err(|e| ApiError::Decode {
            object: object.to_string(),
            detail: e.to_string(),
        })
    }

    fn encode(object: &str, body: &impl Serialize) -> Result<Vec<u8>, ApiError> {
        serde_json::to_vec(body).map_err(|e| ApiError::Encode {
            object: object.to_string(),
            detail: e.to_string(),
        })
    }

    fn not_found(&self, method: &Method, object: &str, bytes: &[u8]) -> ApiError {
        self.status_error(method, object, StatusCode::NOT_FOUND, bytes)
    }

    /// An answer's bytes, where a 404 is an error.
    fn found(
        &self,
        method: &Method,
        object: &str,
        (status, bytes): (StatusCode, Vec<u8>),
    ) -> Result<Vec<u8>, ApiError> {
        if status == StatusCode::NOT_FOUND {
            return Err(self.not_found(method, object, &bytes));
        }
        Ok(bytes)
    }

    /// `GET`, decoded; a 404 is an error.
    async fn get_found<T: DeserializeOwned>(&self, url: Url, object: &str) -> Result<T, ApiError> {
        let answer = self.call(Method::GET, url, None, object, true).await?;
        Self::decode(object, &self.found(&Method::GET, object, answer)?)
    }

    async fn get_optional<T: DeserializeOwned>(
        &self,
        url: Url,
        object: &str,
    ) -> Result<Option<T>, ApiError> {
        let (status, bytes) = self.call(Method::GET, url, None, object, true).await?;
        if status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        Self::decode(object, &bytes).map(Some)
    }

    async fn write<T: DeserializeOwned>(
        &self,
        method: Method,
        url: Url,
        body: &impl Serialize,
        object: &str,
    ) -> Result<T, ApiError> {
        let body = Self::encode(object, body)?;
        let retry = method != Method::POST;
        let answer = self
            .call(method.clone(), url, Some(body), object, retry)
            .await?;
        Self::decode(object, &self.found(&method, object, answer)?)
    }

    /// Deletes; `Ok(false)` when it was already gone.
    async fn delete(&self, url: Url, object: &str) -> Result<bool, ApiError> {
        let (status, _) = self.call(Method::DELETE, url, None, object, true).await?;
        Ok(status != StatusCode::NOT_FOUND)
    }

    /// `POST /api/v1/monitor` (the demo and tests create people's monitors with it; ddhooks
    /// itself never creates monitors).
    pub(crate) async fn create_monitor(
        &self,
        body: &wire::Monitor,
    ) -> Result<wire::Monitor, ApiError> {
        let url = self.url(&["monitor"]);
        let object = format!("monitor {}", body.name.as_deref().unwrap_or(""));
        self.write(Method::POST, url, body, &object).await
    }

    /// `GET /api/v1/monitor/{id}`; `None` when it does not exist.
    pub(crate) async fn get_monitor(&self, id: i64) -> Result<Option<wire::Monitor>, ApiError> {
        let url = self.url(&["monitor", &id.to_string()]);
        self.get_optional(url, &format!("monitor {id}")).await
    }

    /// `GET /api/v1/monitor/{id}`, its message alone decoded (apply keeping a write fresh
    /// reads thousands of monitors by id); `None`: the monitor does not exist.
    pub(crate) async fn get_monitor_message(
        &self,
        id: i64,
    ) -> Result<Option<wire::MonitorMessage>, ApiError> {
        let url = self.url(&["monitor", &id.to_string()]);
        self.get_optional(url, &format!("monitor {id}")).await
    }

    /// `PUT /api/v1/monitor/{id}` with a body holding only `message`: every other field,
    /// `options` above all, stays as people set it. The answer (the whole monitor) is
    /// checked to be JSON and not kept.
    pub(crate) async fn update_monitor_message(
        &self,
        id: i64,
        message: &str,
    ) -> Result<serde::de::IgnoredAny, ApiError> {
        let url = self.url(&["monitor", &id.to_string()]);
        let body = wire::MonitorUpdateRequest {
            message: Some(message.to_string()),
            ..Default::default()
        };
        self.write(Method::PUT, url, &body, &format!("monitor {id}"))
            .await
    }
}

fn describe_reqwest(e: &reqwest::Error) -> String {
    use std::error::Error;
    let mut text = if e.is_timeout() {
        "timed out".to_string()
    } else if e.is_connect() {
        "connection failed".to_string()
    } else {
        "request failed".to_string()
    };
    if let Some(source) = e.source() {
        text.push_str(": ");
        text.push_str(&network::chain(source));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A page is decoded when it is UTF-8, and refused, saying where, when it is not.
    #[test]
    fn a_page_that_is_not_utf8_is_refused_with_where() {
        let page: Vec<String> =
            Client::decode_page("monitor list page 0", "[\"caf\u{e9}\"]".as_bytes())
                .expect("UTF-8 decodes");
        assert_eq!(page, ["caf\u{e9}"]);
        let bytes = b"[\"caf\xe9\"]";
        match Client::decode_page::<Vec<String>>("monitor list page 3", bytes) {
            Err(e @ ApiError::Decode { .. }) => {
                let text = e.to_string();
                assert!(text.contains("monitor list page 3"), "{text}");
                assert!(text.contains("not UTF-8"), "{text}");
                assert!(text.contains("index 5"), "{text}");
            }
            other => panic!("expected a decoding error, got {other:?}"),
        }
    }

    /// A body whose encoding fails.
    struct Unencodable;

    impl Serialize for Unencodable {
        fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
            Err(serde::ser::Error::custom("cannot be encoded"))
        }
    }

    /// A write whose body cannot be encoded used to go out without a body; it is an error
    /// now, and nothing reaches the server.
    #[tokio::test]
    async fn a_body_that_cannot_be_encoded_is_an_error_and_nothing_is_sent() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let requests = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let seen = requests.clone();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let mut buf = [0u8; 4096];
                let _ = stream.read(&mut buf).await;
                let body = "{}";
                let answer = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(answer.as_bytes()).await;
            }
        });
        let base: Url = format!("http://{addr}/").parse().expect("url");
        let client = Client::new(
            base,
            Credentials::new("k", "a"),
            ClientOptions {
                max_retries: 0,
                ..ClientOptions::default()
            },
        )
        .expect("client");
        let url = client.webhooks_url(Some("x"));
        let result: Result<serde_json::Value, ApiError> = client
            .write(Method::PUT, url, &Unencodable, "webhook x")
            .await;
        match result {
            Err(err @ ApiError::Encode { .. }) => {
                let text = err.to_string();
                assert!(text.starts_with("webhook x: "), "{text}");
                assert!(text.contains("nothing was sent"), "{text}");
            }
            other => panic!("expected an encoding error, got {other:?}"),
        }
        assert_eq!(requests.load(std::sync::atomic::Ordering::SeqCst), 0);
    }
}
