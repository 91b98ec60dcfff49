//! The simulation interface under `/sandbox/v1/` (no keys, no faults):
//!
//! - `POST /sandbox/v1/monitor/{id}/transition` `{"to": "Alert"}` moves a monitor to a state,
//!   evaluates its message for that transition with [`ddhooks_core::template::notify`] (the
//!   evaluator `ddhooks preview` uses too), adds the recipients of every notification rule
//!   whose filter matches the monitor's tags ([`ddhooks_core::template::rule_recipients`]; a
//!   rule condition on a tag applies when the monitor or the firing group has it — the body's
//!   optional `"group_tags": ["env:prod", …]`), merged with the message's handles so that a
//!   handle named twice is notified once, fills the webhooks' url, headers and payload with
//!   the built-in and custom variables, and delivers them: calls to a Datadog API host (any
//!   site) or to the sandbox itself go through the sandbox's own handlers; any other URL is
//!   recorded, never sent. The answer says which rules matched and, per delivery, whether the
//!   message or which rules named the webhook. A monitor in draft (`draft_status: draft`)
//!   changes state but notifies nobody. The message's `{{#is_match}}` sections are not
//!   evaluated against the group's tags (they count as false, as in `ddhooks preview`).
//! - `GET|DELETE /sandbox/v1/notifications`: whom each transition notified — every recipient
//!   and its sources ([`crate::notifications`]), in order; in memory only.
//! - `GET /sandbox/v1/check_runs`: the service checks received, in order.
//! - `GET /sandbox/v1/check_status?check=NAME[&tags=t1,t2]`: what a `check_status` widget
//!   with `grouping: cluster` would show for those runs ([`crate::dashboards::check_status`]).
//! - `GET|DELETE /sandbox/v1/requests`: API request counts by route template.
//! - `GET /sandbox/v1/requests/wait?prefix=P&at_least=N`: answers once the requests counted
//!   under routes starting with `P` reach `N` (a test waits on it instead of polling).
//! - `POST /sandbox/v1/rate_limit/window`: starts a new rate-limit window, its whole budget
//!   unused (a test asks for one instead of waiting for the window to end).
//! - `GET /sandbox/v1/outcomes`: statuses answered by route, and injected faults by kind
//!   (cleared with the request counts).
//! - `GET /sandbox/v1/deliveries`: every webhook delivery so far (secrets masked).
//!
//! Secret custom variable values are used for the real call but never appear in answers:
//! there the reference stays as written (`$NAME`).

use super::api::{query_params, store_write, MonitorId};
use super::notifications::{self, Notification, Source};
use super::store::{ApiError, Data, StoredVariable, Touched};
use super::Shared;
use axum::body::{Body, Bytes};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{header, Method, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use ddhooks_core::model::NotificationRule;
use ddhooks_core::template::{
    self, CallTemplate, Event, FilledCall, Filler, MonitorState, Transition,
};
use ddhooks_datadog::fetch::notification_rule;
use ddhooks_datadog::wire::Webhook;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Hosts of Datadog's API on every site; calls to these are routed into the sandbox.
pub const DATADOG_API_HOSTS: &[&str] = &[
    "api.datadoghq.com",
    "api.us3.datadoghq.com",
    "api.us5.datadoghq.com",
    "api.datadoghq.eu",
    "api.ap1.datadoghq.com",
    "api.ap2.datadoghq.com",
    "api.ddog-gov.com",
];

/// The `/sandbox/v1/` routes.
pub fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/sandbox/v1/monitor/{id}/transition", post(transition))
        .route("/sandbox/v1/check_runs", get(check_runs))
        .route("/sandbox/v1/check_status", get(check_status))
        .route("/sandbox/v1/requests", get(requests).delete(clear_requests))
        .route("/sandbox/v1/requests/wait", get(wait_for_requests))
        .route("/sandbox/v1/rate_limit/window", post(start_new_window))
        .route("/sandbox/v1/outcomes", get(outcomes))
        .route("/sandbox/v1/deliveries", get(deliveries))
        .route(
            "/sandbox/v1/notifications",
            get(notifications).delete(clear_notifications),
        )
        .route(
            "/sandbox/v1/users/{id}/login",
            post(crate::api::log_in_user),
        )
        .route(
            "/sandbox/v1/ms-teams/channels",
            post(crate::api::add_ms_teams_channel),
        )
}

async fn check_runs(State(s): State<Arc<Shared>>) -> Response {
    Json(s.store.read().check_runs.clone()).into_response()
}

/// The query of `GET /sandbox/v1/check_status`.
#[derive(Debug, Default, serde::Deserialize)]
struct CheckStatusQuery {
    check: Option<String>,
    /// Comma-separated tags every counted run must have.
    tags: Option<String>,
}

async fn check_status(
    State(s): State<Arc<Shared>>,
    query: Result<Query<CheckStatusQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let query = query_params(query)?;
    let Some(check) = query.check.filter(|c| !c.trim().is_empty()) else {
        return Err(ApiError::bad_request("Invalid query: 'check' is required"));
    };
    let tags: Vec<String> = query
        .tags
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect();
    let status = crate::dashboards::check_status(&s.store.read().check_runs, &check, &tags);
    Ok(Json(status).into_response())
}

async fn requests(State(s): State<Arc<Shared>>) -> Response {
    let (total, counts) = s.requests.snapshot();
    Json(json!({ "total": total, "counts": counts })).into_response()
}

/// The query of `GET /sandbox/v1/requests/wait`.
#[derive(Debug, serde::Deserialize)]
struct WaitQuery {
    /// Counts the routes (`METHOD /path/{template}`) starting with this; all when absent.
    #[serde(default)]
    prefix: String,
    /// Answers once the count reaches this.
    at_least: u64,
}

/// How long `GET /sandbox/v1/requests/wait` holds a request before answering the count as
/// it is (`reached: false`): a bound on a forgotten waiter, not a test's timing.
const LONGEST_WAIT: std::time::Duration = std::time::Duration::from_secs(600);

/// Answers `{"count", "reached"}` once the requests counted under `prefix` reach
/// `at_least`: a test waits for a child process to get somewhere without polling.
async fn wait_for_requests(
    State(s): State<Arc<Shared>>,
    query: Result<Query<WaitQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let query = query_params(query)?;
    let waited = tokio::time::timeout(
        LONGEST_WAIT,
        s.requests.wait_for(&query.prefix, query.at_least),
    )
    .await;
    let count = match waited {
        Ok(count) => count,
        Err(_) => s.requests.count(&query.prefix),
    };
    Ok(Json(json!({ "count": count, "reached": count >= query.at_least })).into_response())
}

/// Starts a new rate-limit window with its whole budget: a test that needs a fresh budget
/// asks for one instead of waiting for the window to end.
async fn start_new_window(State(s): State<Arc<Shared>>) -> Response {
    s.faults.start_new_window();
    StatusCode::NO_CONTENT.into_response()
}

async fn outcomes(State(s): State<Arc<Shared>>) -> Response {
    Json(json!({
        "statuses": s.requests.statuses(),
        "faults": s.requests.faults(),
    }))
    .into_response()
}

async fn clear_requests(State(s): State<Arc<Shared>>) -> Response {
    s.requests.clear();
    Json(json!({ "total": 0, "counts": {} })).into_response()
}

async fn deliveries(State(s): State<Arc<Shared>>) -> Response {
    Json(s.store.read().deliveries.clone()).into_response()
}

async fn notifications(State(s): State<Arc<Shared>>) -> Response {
    Json(s.notifications.snapshot()).into_response()
}

async fn clear_notifications(State(s): State<Arc<Shared>>) -> Response {
    s.notifications.clear();
    Json(json!([])).into_response()
}

/// Body of a transition request.
#[derive(Debug, serde::Deserialize)]
struct TransitionRequest {
    /// The new state.
    to: String,
    /// Overrides the monitor's priority (`P1`…`P5` or 1…5).
    #[serde(default)]
    priority: Option<Value>,
    /// A re-notification of the current state.
    #[serde(default)]
    renotify: bool,
    /// `$HOSTNAME`; defaults to `sandbox-host`.
    #[serde(default)]
    hostname: Option<String>,
    /// The firing group's tags (`env:prod`, `host:a`): rule conditions on a tag apply when
    /// the monitor or the group has it.
    #[serde(default)]
    group_tags: Vec<String>,
}

/// Whether a stored monitor is a draft, which Datadog never notifies for.
fn is_draft(monitor: &Map<String, Value>) -> bool {
    monitor.get("draft_status").and_then(Value::as_str) == Some("draft")
}

fn parse_priority(value: &Value) -> Option<u8> {
    let n = match value {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim_start_matches(['P', 'p']).parse::<u64>().ok(),
        _ => None,
    }?;
    u8::try_from(n).ok().filter(|p| (1..=5).contains(p))
}

/// The custom variables a call is filled with: every value for the real call, only the
/// non-secret ones for what answers show (secret references stay as written).
fn custom_values(
    variables: &BTreeMap<String, StoredVariable>,
    reveal_secrets: bool,
) -> impl Fn(&str) -> Option<String> + '_ {
    move |name| {
        let variable = variables.get(name)?;
        if variable.is_secret && !reveal_secrets {
            return None;
        }
        Some(variable.value.clone())
    }
}

/// A monitor's tags as stored.
fn monitor_tags(monitor: &Map<String, Value>) -> Vec<String> {
    monitor
        .get("tags")
        .and_then(Value::as_array)
        .map(|t| {
            t.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// The stored rules whose filter matches `tags`, by id, decoded into the model.
fn matching_rules(data: &Data, tags: &[String]) -> Vec<(String, NotificationRule)> {
    data.notification_rules
        .iter()
        .filter_map(|(id, attributes)| Some((id.clone(), notification_rule(attributes)?)))
        .filter(|(_, rule)| template::filter_matches(&rule.filter, tags))
        .collect()
}

/// A stored webhook as the evaluator's call template.
fn call_template(webhook: &Webhook) -> CallTemplate<'_> {
    CallTemplate {
        url: &webhook.url,
        custom_headers: webhook.custom_headers.as_deref(),
        payload: webhook.payload.as_deref().unwrap_or_default(),
    }
}

async fn transition(
    State(s): State<Arc<Shared>>,
    MonitorId(id): MonitorId,
    body: Bytes,
) -> Result<Response, ApiError> {
    let req: TransitionRequest = serde_json::from_slice(&body)
        .map_err(|err| ApiError::bad_request(format!("Invalid JSON: {err}")))?;
    let to = MonitorState::parse(&req.to).ok_or_else(|| {
        ApiError::bad_request(format!(
            "Unknown state '{}': expected Alert, Warn, No Data, Unknown or OK",
            req.to
        ))
    })?;
    let now = super::monitors::Now::current();
    // Move the monitor and capture everything the rendering needs, under one lock.
    let pending = s.store.apply(|data: &mut Data, touched: &mut Touched| {
        let monitor = data
            .monitors
            .get(&id)
            .cloned()
            .ok_or_else(|| ApiError::not_found(super::monitors::MONITOR_NOT_FOUND))?;
        // A message nested past the limit cannot be evaluated: refused before anything moves.
        let message = monitor.get("message").and_then(Value::as_str);
        template::check_nesting(message.unwrap_or_default()).map_err(|err| {
            ApiError::bad_request(format!("The monitor message is invalid: {err}"))
        })?;
        let from = data
            .monitor_states
            .get(&id)
            .and_then(|name| MonitorState::parse(name))
            .unwrap_or(MonitorState::Ok);
        let priority = req
            .priority
            .as_ref()
            .or_else(|| monitor.get("priority"))
            .and_then(parse_priority);
        touched.monitor(id);
        touched.monitor_state(id);
        data.monitor_states.insert(id, to.as_str().to_string());
        data.monitors.update(&id, |m| {
            m.insert("overall_state".into(), json!(to.as_str()));
            m.insert("overall_state_modified".into(), json!(now.rfc3339));
        });
        data.next_event_id += 1;
        let tags = monitor_tags(&monitor);
        let rules = matching_rules(data, &tags);
        Ok((
            Transition {
                from,
                to,
                priority,
                renotify: req.renotify,
            },
            monitor,
            tags,
            rules,
            data.integration.clone(),
            data.next_event_id,
        ))
    })?;
    let (transition, monitor, tags, rules, integration, event_id) = pending.wait().await?;
    let draft = is_draft(&monitor);
    let text = |field: &str| {
        monitor
            .get(field)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let notification = template::notify(&text("message"), &transition)
        .map_err(|err| ApiError::bad_request(format!("The monitor message is invalid: {err}")))?;
    // Every matching rule's recipients for this transition, merged with the message's
    // handles: a webhook named by the message and a rule (or by two rules) fires once. A
    // draft notifies nobody: no handle, no rule.
    let handles: &[String] = if draft { &[] } else { &notification.handles };
    let routed: Vec<(&String, &NotificationRule, Vec<String>)> = rules
        .iter()
        .filter(|_| !draft)
        .map(|(id, rule)| {
            (
                id,
                rule,
                template::rule_recipients(rule, &transition, &tags, &req.group_tags),
            )
        })
        .collect();
    let recipients = template::merge_recipients(
        std::iter::once(handles).chain(routed.iter().map(|(_, _, r)| r.as_slice())),
    );
    let sources = notifications::sourced(
        &std::iter::once((Source::Message, handles))
            .chain(routed.iter().map(|(id, rule, r)| {
                let source = Source::Rule {
                    rule_id: id.to_string(),
                    rule_name: rule.name.clone(),
                };
                (source, r.as_slice())
            }))
            .collect::<Vec<_>>(),
    );
    s.notifications.record(Notification {
        event_id,
        monitor_id: id,
        from: transition.from.as_str().to_string(),
        to: to.as_str().to_string(),
        priority: transition.priority.map(|p| format!("P{p}")),
        renotify: transition.renotify,
        group_tags: req.group_tags.clone(),
        draft,
        recipients: recipients.clone(),
        sources,
    });
    let fired: Vec<String> = recipients
        .iter()
        .filter_map(|r| template::recipient_webhook(r))
        .map(str::to_string)
        .collect();
    let routed_by = |name: &str| {
        let recipient = format!("webhook-{name}");
        let rules: Vec<&String> = routed
            .iter()
            .filter(|(_, _, r)| r.contains(&recipient))
            .map(|(id, _, _)| *id)
            .collect();
        json!({"message": !draft && notification.webhooks.iter().any(|w| w == name), "rules": rules})
    };
    let message = notification.message.clone();
    let event = Event {
        monitor_id: id,
        monitor_name: text("name"),
        query: text("query"),
        monitor_type: text("type"),
        transition,
        hostname: req
            .hostname
            .clone()
            .unwrap_or_else(|| "sandbox-host".to_string()),
        event_id,
        date_millis: now.millis,
        link: format!("{}/monitors/{id}", s.base_url),
        org_id: s.config.org_id.to_string(),
        org_name: s.config.org_name.clone(),
        message: message.clone(),
    };
    let filler = Filler {
        builtins: template::builtin_values(&event),
        tags,
    };
    let variables = &integration.custom_variables;
    let mut delivered = Vec::new();
    for name in &fired {
        let Some(webhook) = integration.webhooks.get(name) else {
            delivered.push(json!({
                "webhook": name,
                "result": { "sent": false, "error": "Webhook does not exist" },
                "routed_by": routed_by(name),
            }));
            continue;
        };
        let real = filler.fill(&call_template(webhook), &custom_values(variables, true));
        let shown = filler.fill(&call_template(webhook), &custom_values(variables, false));
        let result = deliver(&s, webhook, &real).await;
        let payload = serde_json::from_str::<Value>(&shown.payload)
            .unwrap_or_else(|_| Value::String(shown.payload.clone()));
        delivered.push(json!({
            "webhook": name,
            "url": shown.url,
            "headers": shown.headers.map(Value::Object).unwrap_or(Value::Null),
            "encode_as": webhook.encode_as,
            "payload": payload,
            "result": result,
            "routed_by": routed_by(name),
        }));
    }
    let log = delivered.clone();
    store_write(&s, |data, _| {
        data.deliveries.extend(log);
        Ok(())
    })
    .await?;
    Ok(Json(json!({
        "monitor_id": id,
        "from": transition.from.as_str(),
        "to": to.as_str(),
        "priority": transition.priority.map(|p| format!("P{p}")),
        "group_tags": req.group_tags,
        "draft": draft,
        "message": message,
        "fired": fired,
        "deliveries": delivered,
        "recipients": recipients,
        "rules": routed
            .iter()
            .map(|(id, rule, recipients)| {
                json!({"id": id, "name": rule.name, "recipients": recipients})
            })
            .collect::<Vec<_>>(),
    }))
    .into_response())
}

/// Whether `url` points at Datadog's API (any site) or at this sandbox.
fn is_internal(shared: &Shared, url: &reqwest::Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    if DATADOG_API_HOSTS.contains(&host) {
        return true;
    }
    let Ok(own) = reqwest::Url::parse(&shared.base_url) else {
        return false;
    };
    let same_port = url.port_or_known_default() == own.port_or_known_default();
    let loopback = host == "localhost" || own.host_str() == Some(host);
    same_port && loopback
}

/// Form-encodes a JSON object's top-level fields (strings as is, other values as JSON).
fn form_encode(payload: &str) -> String {
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(payload) else {
        return payload.to_string();
    };
    let Ok(mut url) = reqwest::Url::parse("http://form.invalid/") else {
        return payload.to_string();
    };
    {
        let mut pairs = url.query_pairs_mut();
        for (key, value) in &map {
            let text = match value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            pairs.append_pair(key, &text);
        }
    }
    url.query().unwrap_or_default().to_string()
}

/// Sends one webhook call into the sandbox, or records it when it leaves Datadog.
async fn deliver(shared: &Shared, webhook: &Webhook, call: &FilledCall) -> Value {
    let url = match reqwest::Url::parse(&call.url) {
        Ok(url) => url,
        Err(err) => return json!({ "sent": false, "error": format!("invalid url: {err}") }),
    };
    let headers = match &call.headers {
        Ok(headers) => headers,
        Err(err) => return json!({ "sent": false, "error": err }),
    };
    if !is_internal(shared, &url) {
        return json!({ "sent": false, "recorded": true });
    }
    let path_and_query = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    };
    let (content_type, body) = if webhook.encode_as == "form" {
        (
            "application/x-www-form-urlencoded",
            form_encode(&call.payload),
        )
    } else {
        ("application/json", call.payload.clone())
    };
    let mut builder = Request::builder()
        .method(Method::POST)
        .uri(&path_and_query)
        .header(header::CONTENT_TYPE, content_type);
    for (name, value) in headers {
        let text = match value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        if name.eq_ignore_ascii_case("content-type") {
            continue;
        }
        builder = builder.header(name.as_str(), text);
    }
    let request = match builder.body(Body::from(body)) {
        Ok(request) => request,
        Err(err) => return json!({ "sent": false, "error": format!("invalid request: {err}") }),
    };
    shared.requests.record("POST", url.path());
    let response = super::route(shared, request).await;
    let status = response.status();
    let body = match axum::body::to_bytes(response.into_body(), 1 << 20).await {
        Ok(bytes) => serde_json::from_slice::<Value>(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned())),
        Err(err) => json!({ "unreadable": format!("the answer could not be read: {err}") }),
    };
    json!({
        "sent": true,
        "routed_to": "sandbox",
        "status": status.as_u16(),
        "ok": status.is_success() || status == StatusCode::ACCEPTED,
        "body": body,
    })
}

#[cfg(test)]
mod tests {
    use crate::{Sandbox, SandboxConfig};
    use reqwest::Method;
    use serde_json::{json, Value};

    /// An API call with keys: status and JSON body.
    async fn call(base: &str, method: Method, path: &str, body: Value) -> (u16, Value) {
        let resp = reqwest::Client::new()
            .request(method, format!("{base}{path}"))
            .header("DD-API-KEY", "k")
            .header("DD-APPLICATION-KEY", "a")
            .json(&body)
            .send()
            .await
            .expect("the sandbox answers");
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    fn errors(body: &Value) -> String {
        body["errors"][0].as_str().unwrap_or_default().to_string()
    }

    /// A default sandbox and its base URL.
    async fn start() -> (crate::RunningSandbox, String) {
        let sandbox = Sandbox::start(SandboxConfig::default())
            .await
            .expect("sandbox starts");
        let base = sandbox.base_url();
        (sandbox, base)
    }

    /// The start of a body, for assertion messages (the deep message is 500 KB).
    fn short(body: &Value) -> String {
        body.to_string().chars().take(300).collect()
    }

    /// A message nesting sections 20,000 deep used to overflow the stack and abort the
    /// sandbox on a transition.
    #[tokio::test]
    async fn a_message_nested_too_deep_is_refused_and_never_crashes_a_transition() {
        let (sandbox, base) = start().await;
        let deep = format!(
            "{}@webhook-x{}",
            "{{#is_alert}}".repeat(20_000),
            "{{/is_alert}}".repeat(20_000)
        );
        let monitor = |message: &str| {
            json!({
                "type": "metric alert",
                "query": "avg(last_5m):avg:system.load.1{*} > 2",
                "name": "deep",
                "message": message,
            })
        };
        let (status, body) = call(&base, Method::POST, "/api/v1/monitor", monitor(&deep)).await;
        assert_eq!(status, 400, "{}", short(&body));
        assert!(errors(&body).contains("nest at most"), "{}", short(&body));

        let (status, body) = call(&base, Method::POST, "/api/v1/monitor", monitor("ok")).await;
        assert_eq!(status, 200, "{}", short(&body));
        let id = body["id"].as_i64().expect("id");
        let path = format!("/api/v1/monitor/{id}");
        let (status, body) = call(&base, Method::PUT, &path, json!({ "message": deep })).await;
        assert_eq!(status, 400, "{}", short(&body));
        assert!(errors(&body).contains("nest at most"), "{}", short(&body));

        // A message stored some other way (an old data file) is refused on transition, and
        // the monitor does not move.
        sandbox
            .shared()
            .store
            .write(|data| {
                data.monitors.update(&id, |m| {
                    m.insert("message".into(), json!(deep));
                });
                Ok(())
            })
            .expect("seeded");
        let transition = format!("/sandbox/v1/monitor/{id}/transition");
        let (status, body) = call(&base, Method::POST, &transition, json!({"to": "Alert"})).await;
        assert_eq!(status, 400, "{}", short(&body));
        assert!(errors(&body).contains("nest at most"), "{}", short(&body));
        let (status, body) = call(&base, Method::GET, &path, Value::Null).await;
        assert_eq!(status, 200, "the sandbox still answers: {}", short(&body));
        assert_eq!(body["overall_state"], json!("No Data"), "{}", short(&body));
        sandbox.shutdown().await;
    }

    /// Custom headers that are not a JSON object used to be dropped without a word: the call
    /// went out without them (and check_run answered 403 for the missing key).
    #[tokio::test]
    async fn custom_headers_that_are_not_json_are_a_delivery_error() {
        let (sandbox, base) = start().await;
        let hooks = "/api/v1/integration/webhooks/configuration/webhooks";
        let webhook = json!({
            "name": "broken-headers",
            "url": "https://api.datadoghq.com/api/v1/check_run",
            "custom_headers": "DD-API-KEY: k",
        });
        let (status, body) = call(&base, Method::POST, hooks, webhook).await;
        assert_eq!(status, 201, "{}", short(&body));
        let monitor = json!({
            "type": "metric alert",
            "query": "avg(last_5m):avg:system.load.1{*} > 2",
            "name": "m",
            "message": "{{#is_alert}} @webhook-broken-headers {{/is_alert}}",
        });
        let (status, body) = call(&base, Method::POST, "/api/v1/monitor", monitor).await;
        assert_eq!(status, 200, "{}", short(&body));
        let id = body["id"].as_i64().expect("id");
        let transition = format!("/sandbox/v1/monitor/{id}/transition");
        let (status, body) = call(&base, Method::POST, &transition, json!({"to": "Alert"})).await;
        assert_eq!(status, 200, "{}", short(&body));
        let result = &body["deliveries"][0]["result"];
        assert_eq!(result["sent"], json!(false), "{body}");
        assert!(
            result["error"]
                .as_str()
                .is_some_and(|e| e.contains("custom_headers")),
            "{body}"
        );
        sandbox.shutdown().await;
    }
}
