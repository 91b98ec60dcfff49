//! A running sandbox, in-process or as the `ddhooks sandbox` binary, and everything the
//! tests say to it over loopback HTTP: the Datadog API with both keys, the `/sandbox/v1/`
//! simulation interface, and the request log.

use super::cli::{API_KEY, APP_KEY, BIN, HANG_GUARD};
use ddhooks::sandbox::monitors::{self, Now};
use ddhooks::sandbox::{RunningSandbox, SandboxConfig};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, ChildStdout, Command};

/// The webhooks endpoint.
pub const WEBHOOKS: &str = "/api/v1/integration/webhooks/configuration/webhooks";
/// The custom variables endpoint.
pub const VARIABLES: &str = "/api/v1/integration/webhooks/configuration/custom-variables";
/// The monitors endpoint.
pub const MONITORS: &str = "/api/v1/monitor";
/// The notification rules endpoint (API v2).
pub const RULES: &str = "/api/v2/monitor/notification_rule";
/// The webhook auth methods' listing (API v2).
pub const AUTH_METHODS: &str = "/api/v2/integration/webhooks/configuration/auth-method";
/// The OAuth2 client-credentials auth methods (API v2): their creates, and `/{id}` each one.
pub const OAUTH2_AUTH_METHODS: &str =
    "/api/v2/integration/webhooks/configuration/auth-method/oauth2-client-credentials";

/// The body of a notification-rule create (`id: None`) or PATCH (`Some(id)`) carrying
/// `attributes`.
pub fn rule_body(attributes: Value, id: Option<&str>) -> Value {
    let mut data = json!({"type": "monitor-notification-rule", "attributes": attributes});
    if let Some(id) = id {
        data["id"] = json!(id);
    }
    json!({ "data": data })
}

/// The body of a custom variable create: `name`, `value` and whether it is secret.
pub fn variable_body(name: &str, value: &str, is_secret: bool) -> Value {
    json!({"name": name, "value": value, "is_secret": is_secret})
}

/// Request-log keys (`METHOD /route/{template}`, as the sandbox counts them).
pub mod route {
    /// A webhook create.
    pub const WEBHOOK_CREATE: &str = "POST /api/v1/integration/webhooks/configuration/webhooks";
    /// A webhook read.
    pub const WEBHOOK_READ: &str =
        "GET /api/v1/integration/webhooks/configuration/webhooks/{webhook_name}";
    /// A webhook update or rename.
    pub const WEBHOOK_UPDATE: &str =
        "PUT /api/v1/integration/webhooks/configuration/webhooks/{webhook_name}";
    /// A webhook delete.
    pub const WEBHOOK_DELETE: &str =
        "DELETE /api/v1/integration/webhooks/configuration/webhooks/{webhook_name}";
    /// A custom variable read (the lock and the registry parts included).
    pub const VARIABLE_READ: &str =
        "GET /api/v1/integration/webhooks/configuration/custom-variables/{name}";
    /// A custom variable update (the lock and the registry parts included).
    pub const VARIABLE_UPDATE: &str =
        "PUT /api/v1/integration/webhooks/configuration/custom-variables/{name}";
    /// A custom variable create (the lock and the registry parts included).
    pub const VARIABLE_CREATE: &str =
        "POST /api/v1/integration/webhooks/configuration/custom-variables";
    /// A custom variable delete (the lock and the registry parts included).
    pub const VARIABLE_DELETE: &str =
        "DELETE /api/v1/integration/webhooks/configuration/custom-variables/{name}";
    /// A page of the monitor listing.
    pub const MONITOR_PAGE: &str = "GET /api/v1/monitor";
    /// A read of one monitor.
    pub const MONITOR_READ: &str = "GET /api/v1/monitor/{id}";
    /// A monitor write.
    pub const MONITOR_WRITE: &str = "PUT /api/v1/monitor/{id}";
    /// A monitor delete.
    pub const MONITOR_DELETE: &str = "DELETE /api/v1/monitor/{id}";
}

enum Server {
    InProcess(RunningSandbox),
    Process {
        child: Child,
        /// Kept open so that the sandbox never writes into a closed pipe.
        _stdout: Box<BufReader<ChildStdout>>,
    },
}

/// A running sandbox and a plain HTTP client pointed at it.
pub struct Sandbox {
    server: Server,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// A client without default headers and without pooled connections (a sandbox that
    /// drops connections on purpose would otherwise break the next request on the same one).
    pub http: reqwest::Client,
    /// The API key the tests' own calls send.
    pub api_key: String,
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .expect("http client")
}

impl Sandbox {
    /// Starts a sandbox in this process. The tests' calls use the first configured API key,
    /// or [`API_KEY`] when any key is accepted.
    pub async fn start(config: SandboxConfig) -> Sandbox {
        let api_key = config
            .api_keys
            .first()
            .cloned()
            .unwrap_or_else(|| API_KEY.to_string());
        let running = ddhooks::sandbox::Sandbox::start(config)
            .await
            .expect("sandbox starts");
        Sandbox {
            base: running.base_url(),
            server: Server::InProcess(running),
            http: http(),
            api_key,
        }
    }

    /// Runs `ddhooks sandbox --listen 127.0.0.1:0 ARGS…` and reads the address it prints
    /// first (`listening on URL`).
    pub async fn spawn(args: &[&str]) -> Sandbox {
        let mut child = Command::new(&*BIN)
            .args(["sandbox", "--listen", "127.0.0.1:0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("the sandbox binary starts");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut first = String::new();
        stdout
            .read_line(&mut first)
            .await
            .expect("the sandbox prints a first line");
        let base = first
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line: {first:?}"))
            .to_string();
        Sandbox {
            server: Server::Process {
                child,
                _stdout: Box::new(stdout),
            },
            base,
            http: http(),
            api_key: API_KEY.to_string(),
        }
    }

    /// Stops it: every answered write is already on disk.
    pub async fn stop(self) {
        match self.server {
            Server::InProcess(running) => running.shutdown().await,
            Server::Process { mut child, .. } => {
                let _ = child.kill().await;
            }
        }
    }

    /// `base` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A request builder with both keys set.
    pub fn req(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, self.url(path))
            .header("DD-API-KEY", &self.api_key)
            .header("DD-APPLICATION-KEY", APP_KEY)
    }

    /// An API request with both keys and an optional JSON body: status and JSON body
    /// (`Null` when empty, a string when not JSON).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        send(self.req(method, path), body).await
    }

    // The five verbs as one-line calls: `h.call(Method::PUT, &path, Some(body))` is
    // formatted over seven lines, and hundreds of them made every API test look alike.

    /// `GET path` with both keys: status and JSON body (see [`Sandbox::call`]).
    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, None).await
    }

    /// `DELETE path` with both keys: status and JSON body (see [`Sandbox::call`]).
    pub async fn delete(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::DELETE, path, None).await
    }

    /// `POST path` with both keys and a JSON body: status and JSON body.
    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(body)).await
    }

    /// `PUT path` with both keys and a JSON body: status and JSON body.
    pub async fn put(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PUT, path, Some(body)).await
    }

    /// `PATCH path` with both keys and a JSON body: status and JSON body.
    pub async fn patch(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PATCH, path, Some(body)).await
    }

    /// [`Sandbox::call`] with a raw text body sent as JSON content.
    pub async fn call_raw(&self, method: Method, path: &str, body: &str) -> (StatusCode, Value) {
        let resp = self
            .req(method, path)
            .header("Content-Type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .expect("request is answered");
        decode(resp).await
    }

    /// A GET that outlasts injected faults: dropped connections, 5xx and 429 answers are
    /// retried (reads are safe to repeat; a 429 starts a new rate-limit window rather than
    /// waiting for it), so a faulty sandbox can still be inspected.
    pub async fn get_retrying(&self, path: &str) -> (StatusCode, Value) {
        for _ in 0..200 {
            match self.req(Method::GET, path).send().await {
                Ok(resp) if resp.status() == StatusCode::TOO_MANY_REQUESTS => {
                    self.start_new_rate_limit_window().await;
                }
                Ok(resp) if resp.status().is_server_error() => {}
                Ok(resp) => return decode(resp).await,
                Err(_) => {}
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("GET {path}: no answer through the faults after 200 tries");
    }

    /// GET on a `/sandbox/v1/` path (no keys needed).
    pub async fn sim_get(&self, path: &str) -> Value {
        self.sim(Method::GET, path, None).await.1
    }

    /// POST on a `/sandbox/v1/` path.
    pub async fn sim_post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.sim(Method::POST, path, Some(body)).await
    }

    /// A request on a `/sandbox/v1/` path (no keys: the simulation interface needs none),
    /// with an optional JSON body: status and JSON body.
    pub async fn sim(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        send(self.http.request(method, self.url(path)), body).await
    }

    /// A request that carries `DD-API-KEY: api_key` (`None`: no key at all) and never the
    /// application key, as a client holding only an API key sends it: status and JSON body.
    /// For the 403s of the endpoints that need both keys, and those that need one.
    pub async fn call_without_app_key(
        &self,
        api_key: Option<&str>,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.http.request(method, self.url(path));
        if let Some(api_key) = api_key {
            req = req.header("DD-API-KEY", api_key);
        }
        send(req, body).await
    }

    // -----------------------------------------------------------------------------------
    // The request log.

    /// API request counts by `METHOD /route/{template}` since the log was last cleared.
    pub async fn request_counts(&self) -> BTreeMap<String, u64> {
        counts(&self.sim_get("/sandbox/v1/requests").await["counts"])
    }

    /// API requests since the log was last cleared.
    pub async fn requests_total(&self) -> u64 {
        self.sim_get("/sandbox/v1/requests").await["total"]
            .as_u64()
            .unwrap_or(0)
    }

    /// Forgets the request counts (and the outcomes) so far.
    pub async fn clear_requests(&self) {
        let (status, _) = self.sim(Method::DELETE, "/sandbox/v1/requests", None).await;
        assert!(status.is_success(), "the request log is cleared");
    }

    /// Requests whose `METHOD /template` key starts with `prefix`.
    pub async fn count(&self, prefix: &str) -> u64 {
        self.request_counts()
            .await
            .iter()
            .filter(|(k, _)| k.starts_with(prefix))
            .map(|(_, v)| v)
            .sum()
    }

    /// Waits until the requests counted under `prefix` (`""`: all of them) reach `at_least`,
    /// on the sandbox's long poll (`GET /sandbox/v1/requests/wait`), never polling; answers
    /// the count.
    pub async fn wait_for_count(&self, prefix: &str, at_least: u64) -> u64 {
        let at_least_text = at_least.to_string();
        let resp = self
            .http
            .get(self.url("/sandbox/v1/requests/wait"))
            .query(&[("prefix", prefix), ("at_least", at_least_text.as_str())])
            .send()
            .await
            .expect("sandbox answers");
        let (status, body) = decode(resp).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(
            body["reached"], true,
            "the requests under `{prefix}` never reached {at_least}: {body}"
        );
        body["count"].as_u64().expect("a count")
    }

    /// Waits until the requests counted under `prefix` (`""`: all of them) reach `at_least`
    /// while `child` runs; answers the count, or how the child ended if it ended first.
    pub async fn await_count(
        &self,
        prefix: &str,
        at_least: u64,
        child: &mut Child,
    ) -> Result<u64, std::process::ExitStatus> {
        let waited = tokio::time::timeout(HANG_GUARD, async {
            tokio::select! {
                count = self.wait_for_count(prefix, at_least) => Ok(count),
                status = child.wait() => Err(status.expect("child status")),
            }
        })
        .await;
        waited.unwrap_or_else(|_| panic!("the child made no progress for {HANG_GUARD:?}"))
    }

    /// Starts a new rate-limit window, its whole budget unused
    /// (`POST /sandbox/v1/rate_limit/window`), instead of waiting for the current one to end.
    pub async fn start_new_rate_limit_window(&self) {
        let (status, _) = self
            .sim(Method::POST, "/sandbox/v1/rate_limit/window", None)
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
    }

    /// Statuses answered by route, and injected faults by kind.
    pub async fn outcomes(&self) -> Value {
        self.sim_get("/sandbox/v1/outcomes").await
    }

    /// Write requests (POST, PUT, DELETE) since the log was cleared, not counting the apply
    /// lock's own create and delete (the lock must be gone again).
    pub async fn writes(&self) -> u64 {
        let counts = self.request_counts().await;
        let count = |k: &str| counts.get(k).copied().unwrap_or(0);
        let all: u64 = counts
            .iter()
            .filter(|(k, _)| {
                k.starts_with("POST ") || k.starts_with("PUT ") || k.starts_with("DELETE ")
            })
            .map(|(_, v)| v)
            .sum();
        let lock_taken = count(route::VARIABLE_CREATE) >= 1 && count(route::VARIABLE_DELETE) >= 1;
        if lock_taken {
            assert!(
                self.variable(ddhooks::registry::LOCK_VARIABLE)
                    .await
                    .is_none(),
                "the apply lock was left behind"
            );
            all - 2
        } else {
            all
        }
    }

    // -----------------------------------------------------------------------------------
    // Objects, as people and Datadog see them.

    /// Sets up what handles name, through the API a person (or the integration's tile)
    /// uses: a Slack account with `channels` (`slack:ACCOUNT:CHANNEL` items), PagerDuty
    /// services (`pagerduty:NAME`), Opsgenie services (`opsgenie:NAME`) and teams
    /// (`team:HANDLE`).
    pub async fn add_integrations(&self, items: &[&str]) {
        let mut accounts = std::collections::BTreeSet::new();
        for item in items {
            let parts: Vec<&str> = item.split(':').collect();
            let (path, body) = match parts.as_slice() {
                ["slack", account, channel] => {
                    if accounts.insert(account.to_string()) {
                        let body = json!({"service_hooks": [{"account": account, "url": "https://hooks.slack.example/x"}]});
                        let (status, answer) = self.post("/api/v1/integration/slack", body).await;
                        assert!(
                            status.is_success(),
                            "slack account {account}: {status} {answer}"
                        );
                    }
                    (
                        format!(
                            "/api/v1/integration/slack/configuration/accounts/{account}/channels"
                        ),
                        json!({"name": format!("#{channel}")}),
                    )
                }
                ["pagerduty", name] => (
                    "/api/v1/integration/pagerduty/configuration/services".to_string(),
                    json!({"service_name": name, "service_key": "pd-test-key"}),
                ),
                ["opsgenie", name] => (
                    "/api/v2/integration/opsgenie/services".to_string(),
                    json!({"data": {"type": "opsgenie-service", "attributes": {"name": name, "region": "us", "opsgenie_api_key": "og-test-key"}}}),
                ),
                ["team", handle] => (
                    "/api/v2/team".to_string(),
                    json!({"data": {"type": "team", "attributes": {"name": handle, "handle": handle}}}),
                ),
                _ => panic!("unknown integration item {item:?}"),
            };
            let (status, answer) = self.post(&path, body).await;
            assert!(status.is_success(), "{item}: {status} {answer}");
        }
    }

    /// Creates a monitor as people would; returns its id.
    pub async fn create_monitor(&self, name: &str, tags: &[&str], message: &str) -> i64 {
        self.create_monitor_with(name, tags, message, json!({}))
            .await
    }

    /// A monitor tagged `team:checkout`, the tag the scenario's block selects
    /// ([`crate::fixtures::SCENARIO`]); returns its id. Most end-to-end tests start from
    /// one or two of them.
    pub async fn checkout_monitor(&self, name: &str, message: &str) -> i64 {
        self.create_monitor(name, &["team:checkout"], message).await
    }

    /// [`Sandbox::create_monitor`] with more fields (`{"draft_status": "draft"}`, …) set on
    /// the create body.
    pub async fn create_monitor_with(
        &self,
        name: &str,
        tags: &[&str],
        message: &str,
        fields: Value,
    ) -> i64 {
        let monitor = monitor_body(name, tags, message, fields);
        let (status, body) = self.post(MONITORS, monitor).await;
        assert_eq!(status, StatusCode::OK, "monitor created: {body}");
        body["id"].as_i64().expect("monitor id")
    }

    /// Creates many monitors; returns the id of each, in the order of `monitors`. Seeding is
    /// a test's setup, not what it measures: an in-process sandbox takes them in one store
    /// write (the create operation the API runs, journalled as the API journals it, but
    /// neither paced by the configured latency nor counted as requests); a sandbox process
    /// gets them through the API, 64 requests at a time (ids follow arrival).
    pub async fn create_monitors(&self, monitors: &[(String, Vec<String>, String)]) -> Vec<i64> {
        use futures::stream::{self, StreamExt};
        if let Server::InProcess(running) = &self.server {
            let shared = running.shared();
            let now = Now::current();
            return shared
                .store
                .apply(|data, touched| {
                    let mut ids = Vec::with_capacity(monitors.len());
                    for (name, tags, message) in monitors {
                        let tags: Vec<&str> = tags.iter().map(String::as_str).collect();
                        touched.monitor(data.next_monitor_id);
                        let body = monitor_body(name, &tags, message, json!({}));
                        let created = monitors::create(data, &body, &shared.identity, &now)?;
                        ids.push(created["id"].as_i64().expect("monitor id"));
                    }
                    Ok(ids)
                })
                .expect("monitors created")
                .wait()
                .await
                .expect("monitors stored");
        }
        stream::iter(monitors)
            .map(|(name, tags, message)| async move {
                let tags: Vec<&str> = tags.iter().map(String::as_str).collect();
                self.create_monitor(name, &tags, message).await
            })
            .buffered(64)
            .collect()
            .await
    }

    /// A monitor's message as stored; `None` when the monitor does not exist.
    pub async fn message_of(&self, id: i64) -> Option<String> {
        let (status, body) = self.get_retrying(&format!("{MONITORS}/{id}")).await;
        match status {
            StatusCode::OK => Some(body["message"].as_str().expect("message").to_string()),
            StatusCode::NOT_FOUND => None,
            other => panic!("GET monitor {id}: {other} {body}"),
        }
    }

    /// A monitor's message as stored (the monitor must exist).
    pub async fn message(&self, id: i64) -> String {
        self.message_of(id)
            .await
            .unwrap_or_else(|| panic!("monitor {id} exists"))
    }

    /// Replaces a monitor's message through the API, as a person editing it would.
    pub async fn set_message(&self, id: i64, message: &str) {
        let (status, body) = self
            .put(&format!("{MONITORS}/{id}"), json!({ "message": message }))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }

    /// Deletes a monitor through the API.
    pub async fn delete_monitor(&self, id: i64) {
        let (status, body) = self.delete(&format!("{MONITORS}/{id}")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }

    async fn named(&self, collection: &str, what: &str, name: &str) -> Option<Value> {
        let (status, body) = self.get_retrying(&format!("{collection}/{name}")).await;
        match status {
            StatusCode::OK => Some(body),
            StatusCode::NOT_FOUND => None,
            other => panic!("GET {what} {name}: {other} {body}"),
        }
    }

    /// A webhook as stored, or `None`.
    pub async fn webhook(&self, name: &str) -> Option<Value> {
        self.named(WEBHOOKS, "webhook", name).await
    }

    /// A custom variable as stored, or `None`.
    pub async fn variable(&self, name: &str) -> Option<Value> {
        self.named(VARIABLES, "variable", name).await
    }

    /// Creates a custom variable through the API.
    pub async fn create_variable(&self, body: Value) {
        let (status, answer) = self.post(VARIABLES, body).await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
    }

    /// Creates a notification rule with `attributes`; returns its id.
    pub async fn create_rule(&self, attributes: Value) -> String {
        let (status, body) = self.post(RULES, rule_body(attributes, None)).await;
        assert_eq!(status, StatusCode::OK, "rule created: {body}");
        body["data"]["id"].as_str().expect("rule id").to_string()
    }

    /// Replaces notification rule `id` with `attributes` (a PATCH replaces the whole rule).
    pub async fn replace_rule(&self, id: &str, attributes: Value) {
        let (status, body) = self
            .patch(&format!("{RULES}/{id}"), rule_body(attributes, Some(id)))
            .await;
        assert_eq!(status, StatusCode::OK, "rule {id} replaced: {body}");
    }

    /// Every notification rule, read page by page (100 a page) in the listing's default
    /// order, until a short page.
    pub async fn rules(&self) -> Vec<Value> {
        let mut all = Vec::new();
        for page in 0.. {
            let (status, body) = self
                .get_retrying(&format!("{RULES}?page={page}&per_page=100"))
                .await;
            assert_eq!(status, StatusCode::OK, "rule page {page}: {body}");
            let items = body["data"].as_array().cloned().unwrap_or_default();
            let short = items.len() < 100;
            all.extend(items);
            if short {
                break;
            }
        }
        all
    }

    /// Moves a monitor to a state; returns the simulation's answer.
    pub async fn transition(&self, id: i64, to: &str) -> Value {
        let (status, body) = self
            .sim_post(
                &format!("/sandbox/v1/monitor/{id}/transition"),
                json!({ "to": to }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "transition {id} -> {to}: {body}");
        body
    }

    /// Moves a monitor with a whole transition request body (`to`, `group_tags`,
    /// `renotify`, …); returns the simulation's answer.
    pub async fn transition_with(&self, id: i64, body: Value) -> Value {
        let (status, answer) = self
            .sim_post(&format!("/sandbox/v1/monitor/{id}/transition"), body)
            .await;
        assert_eq!(status, StatusCode::OK, "transition {id}: {answer}");
        answer
    }

    /// Whom each transition so far notified (`GET /sandbox/v1/notifications`), in order.
    pub async fn notifications(&self) -> Vec<Value> {
        let v = self.sim_get("/sandbox/v1/notifications").await;
        v.as_array().cloned().unwrap_or_default()
    }

    /// The check runs received so far.
    pub async fn check_runs(&self) -> Vec<Value> {
        let v = self.sim_get("/sandbox/v1/check_runs").await;
        let v = v.get("check_runs").cloned().unwrap_or(v);
        v.as_array().cloned().unwrap_or_default()
    }
}

/// A JSON object of counts (`{"KEY": N, …}`) as a map; empty when it is not an object.
pub fn counts(object: &Value) -> BTreeMap<String, u64> {
    object
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_u64().unwrap_or(0)))
                .collect()
        })
        .unwrap_or_default()
}

/// Sends `req` with an optional JSON body: status and JSON body (see [`decode`]). The one
/// way every helper above sends what it built.
async fn send(mut req: reqwest::RequestBuilder, body: Option<Value>) -> (StatusCode, Value) {
    if let Some(body) = body {
        req = req.json(&body);
    }
    decode(req.send().await.expect("request is answered")).await
}

/// Status and body of a response as JSON (`Null` when empty, a string when not JSON).
pub async fn decode(resp: reqwest::Response) -> (StatusCode, Value) {
    let status = resp.status();
    let text = resp.text().await.expect("body is readable");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (status, body)
}

/// The body of a monitor create as people send it: a metric alert with `fields` added.
fn monitor_body(name: &str, tags: &[&str], message: &str, fields: Value) -> Value {
    let mut monitor = json!({
        "type": "metric alert",
        "query": "avg(last_5m):avg:system.load.1{*} > 2",
        "name": name,
        "message": message,
        "tags": tags,
        "options": {"thresholds": {"critical": 2}},
    });
    if let (Some(monitor), Value::Object(fields)) = (monitor.as_object_mut(), fields) {
        monitor.extend(fields);
    }
    monitor
}
