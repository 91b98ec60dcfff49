//! Requests: the request economy of plan and apply (issue #6), counted exactly: the real `ddhooks`
//! binary against a real sandbox over loopback, with every request counted twice — by route
//! in the sandbox's own request log, and by name, page and body in a small loopback proxy
//! between the two (which also tracks how many requests are in flight at once).
//!
//! What a run may cost, for N monitors, W desired webhooks and V desired custom variables:
//! - plan: one `GET` per desired webhook and variable, floor(N / 1000) + 1 monitor pages,
//!   the registry (its header, plus one `GET` per further part), nothing else;
//! - apply: the same reads; the apply lock (one `POST`, one read-back, and at the end one
//!   `GET` and one `DELETE`); the registry writes; one write per object that changes. No
//!   second read of an object before writing it, and no `GET /api/v1/monitor/{id}` at all.

use crate::kit::cli::{Run, API_KEY};
use crate::kit::e2e::E2e;
use crate::kit::fixtures::{pair_webhooks, NO_RELISTING};
use crate::kit::sandbox::{VARIABLES, WEBHOOKS};
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use ddhooks::registry::{self, LOCK_VARIABLE, STATE_VARIABLE};
use ddhooks::sandbox::SandboxConfig;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Monitors in the org of the main test: exactly two full pages of 1,000.
const MONITORS: usize = 2_000;
/// Webhook pairs (two webhooks each), one group and one block each.
const PAIRS: usize = 20;
/// Every `EVERY`-th monitor carries a block: 100 monitors, 5 per group, spread over all ids.
const EVERY: usize = 20;

// ---------------------------------------------------------------------------------------
// The proxy.

/// One API request as the proxy saw it.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    query: String,
    /// The `name` of a JSON body (what a `POST` creates).
    name: Option<String>,
}

#[derive(Default)]
struct TapState {
    upstream: String,
    http: reqwest::Client,
    seen: Mutex<Vec<Seen>>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

/// Counts one request in flight for as long as it lives.
struct InFlight<'a>(&'a TapState);

impl<'a> InFlight<'a> {
    fn enter(state: &'a TapState) -> InFlight<'a> {
        let now = state.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        state.max_in_flight.fetch_max(now, Ordering::SeqCst);
        InFlight(state)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A loopback HTTP proxy in front of the sandbox. A request counts as in flight from the
/// moment its head reaches the proxy until the sandbox's whole answer is back in the proxy:
/// inside the time the client holds its own permit for it, so the proxy never sees more in
/// flight than the client allows.
struct Tap {
    url: String,
    state: Arc<TapState>,
}

impl Tap {
    async fn start(upstream: &str) -> Tap {
        let state = Arc::new(TapState {
            upstream: upstream.to_string(),
            ..TapState::default()
        });
        let app = axum::Router::new()
            .fallback(forward)
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("proxy binds");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        Tap { url, state }
    }

    /// Forgets what was seen (the in-flight maximum included).
    fn clear(&self) {
        self.state.seen.lock().expect("log").clear();
        self.state.max_in_flight.store(0, Ordering::SeqCst);
    }

    fn seen(&self) -> Vec<Seen> {
        self.state.seen.lock().expect("log").clone()
    }

    fn max_in_flight(&self) -> usize {
        self.state.max_in_flight.load(Ordering::SeqCst)
    }
}

async fn forward(State(state): State<Arc<TapState>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let path = parts.uri.path().to_string();
    let _in_flight = path.starts_with("/api/").then(|| {
        let name = serde_json::from_slice::<Value>(&body)
            .ok()
            .and_then(|v| v.get("name").and_then(Value::as_str).map(str::to_string));
        state.seen.lock().expect("log").push(Seen {
            method: parts.method.to_string(),
            path: path.clone(),
            query: parts.uri.query().unwrap_or("").to_string(),
            name,
        });
        InFlight::enter(&state)
    });
    let target = format!(
        "{}{}",
        state.upstream,
        parts.uri.path_and_query().map_or("/", |p| p.as_str())
    );
    let mut headers = parts.headers;
    for hop in [header::HOST, header::CONTENT_LENGTH, header::CONNECTION] {
        headers.remove(hop);
    }
    let answer = state
        .http
        .request(parts.method, target)
        .headers(headers)
        .body(body)
        .send()
        .await;
    let answer = match answer {
        Ok(answer) => answer,
        Err(e) => return (StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    };
    let status = answer.status();
    let content_type = answer.headers().get(header::CONTENT_TYPE).cloned();
    let bytes: Bytes = answer.bytes().await.unwrap_or_default();
    let mut response = (status, bytes).into_response();
    if let Some(ct) = content_type {
        response.headers_mut().insert(header::CONTENT_TYPE, ct);
    }
    response
}

// ---------------------------------------------------------------------------------------
// The org and its manifests.

/// A sandbox behind the proxy; the binary talks to the proxy.
async fn org(config: SandboxConfig) -> (E2e, Tap) {
    let mut e = E2e::with_config(config, API_KEY).await;
    let tap = Tap::start(&e.base).await;
    e.api_url = tap.url.clone();
    (e, tap)
}

fn group_name(g: usize) -> String {
    format!("grp-{g:02}")
}

/// Creates `count` monitors through the API, before any run is measured; every
/// `every`-th carries the tag of group `(i / every) % groups`. Returns the ids by group.
async fn seed(e: &E2e, count: usize, every: usize, groups: usize) -> BTreeMap<usize, Vec<i64>> {
    let group = |i: usize| (i % every == 0).then(|| (i / every) % groups);
    let monitors: Vec<(String, Vec<String>, String)> = (0..count)
        .map(|i| {
            let mut tags = vec![format!("service:svc-{}", i % 50), "env:prod".to_string()];
            tags.extend(group(i).map(|g| format!("ddhooks-group:{}", group_name(g))));
            let message = format!(
                "CPU on {{{{host.name}}}} is {{{{value}}}}%.\nRunbook: https://wiki/cpu/{i} @ops"
            );
            (format!("CPU high #{i}"), tags, message)
        })
        .collect();
    let mut by_group: BTreeMap<usize, Vec<i64>> = BTreeMap::new();
    for (i, id) in e.create_monitors(&monitors).await.into_iter().enumerate() {
        if let Some(g) = group(i) {
            by_group.entry(g).or_default().push(id);
        }
    }
    by_group
}

/// The secret `DD_API_KEY` variable and `pairs` pairs, each with a block on its group's
/// monitors. Pairs in `new_check` report to another check (both webhooks' payloads
/// change); the block of `extra_rule` gains a rule (its monitors' messages change).
fn pair_manifests(pairs: usize, new_check: &[usize], extra_rule: Option<usize>) -> String {
    let mut yaml = String::from(
        "custom_variables:\n  DD_API_KEY:\n    value: ${env:DD_API_KEY}\n    secret: true\nwebhook_pairs:\n",
    );
    for g in 0..pairs {
        let version = if new_check.contains(&g) { ".v2" } else { "" };
        let name = group_name(g);
        let _ = writeln!(yaml, "  {name}:\n    check: {name}.status{version}");
    }
    yaml.push_str("monitor_notifications:\n");
    for g in 0..pairs {
        let name = group_name(g);
        let _ = writeln!(
            yaml,
            "  {name}:\n    monitors: {{tags: [\"ddhooks-group:{name}\"]}}\n    pair: {name}"
        );
        if extra_rule == Some(g) {
            let _ = writeln!(
                yaml,
                "    notify: {{\"is_priority 'P1'\": [\"@slack-{name}\"]}}"
            );
        }
    }
    yaml
}

/// The webhooks of the first `pairs` groups' pairs.
fn group_webhooks(pairs: usize) -> BTreeSet<String> {
    pair_webhooks(&(0..pairs).map(group_name).collect::<Vec<_>>())
}

// ---------------------------------------------------------------------------------------
// Measuring one run.

/// What one run of the binary cost.
struct Cost {
    run: Run,
    /// The sandbox's request log: `METHOD /route/{template}` → count.
    routes: BTreeMap<String, u64>,
    /// Every API request as the proxy saw it.
    seen: Vec<Seen>,
}

impl Cost {
    /// Requests of `method` on `collection/NAME`, by name.
    fn by_name(&self, method: &str, collection: &str) -> BTreeMap<String, u64> {
        let mut out = BTreeMap::new();
        for s in &self.seen {
            if s.method != method {
                continue;
            }
            if let Some(name) = s.path.strip_prefix(&format!("{collection}/")) {
                *out.entry(name.to_string()).or_insert(0) += 1;
            }
        }
        out
    }

    /// Names sent in `POST collection` bodies, in order.
    fn created(&self, collection: &str) -> Vec<String> {
        self.seen
            .iter()
            .filter(|s| s.method == "POST" && s.path == collection)
            .map(|s| s.name.clone().unwrap_or_default())
            .collect()
    }

    /// The queries of the monitor listings, sorted.
    fn monitor_pages(&self) -> Vec<String> {
        let mut pages: Vec<String> = self
            .seen
            .iter()
            .filter(|s| s.method == "GET" && s.path == "/api/v1/monitor")
            .map(|s| s.query.clone())
            .collect();
        pages.sort();
        pages
    }

    /// The page queries of an apply of an org of `listing`: one listing (applies here run
    /// with [`NO_RELISTING`], so a slow machine cannot add a second).
    fn listings(&self, listing: &[String]) -> Vec<String> {
        listing.to_vec()
    }

    /// Ids of the monitors written.
    fn monitors_written(&self) -> BTreeSet<i64> {
        self.seen
            .iter()
            .filter(|s| s.method == "PUT")
            .filter_map(|s| s.path.strip_prefix("/api/v1/monitor/"))
            .map(|id| id.parse().expect("monitor id"))
            .collect()
    }
}

/// Runs the binary with counting from zero.
async fn cost(e: &E2e, tap: &Tap, run: impl std::future::Future<Output = Run>) -> Cost {
    e.clear_requests().await;
    tap.clear();
    let run = run.await;
    let routes = e.request_counts().await;
    let seen = tap.seen();
    assert_eq!(
        seen.len() as u64,
        routes.values().sum::<u64>(),
        "the proxy and the sandbox saw the same requests"
    );
    Cost { run, routes, seen }
}

/// Exact route counts, by the sandbox's route templates.
fn routes(entries: &[(&str, &str, u64)]) -> BTreeMap<String, u64> {
    entries
        .iter()
        .filter(|(_, _, n)| *n > 0)
        .map(|(method, route, n)| (format!("{method} {route}"), *n))
        .collect()
}

fn webhook_named() -> String {
    format!("{WEBHOOKS}/{{webhook_name}}")
}

fn variable_named() -> String {
    format!("{VARIABLES}/{{name}}")
}

const MONITOR_PAGES: &str = "/api/v1/monitor";
const MONITOR_BY_ID: &str = "/api/v1/monitor/{id}";
/// The handle check's read of a Slack account's channels.
const SLACK_CHANNELS: &str =
    "/api/v1/integration/slack/configuration/accounts/{account_name}/channels";

/// The page queries of a listing of `n` monitors.
fn pages(n: usize) -> Vec<String> {
    let mut out: Vec<String> = (0..=n / 1000)
        .map(|p| format!("page={p}&page_size=1000"))
        .collect();
    out.sort();
    out
}

fn counts(names: &[(&str, u64)]) -> BTreeMap<String, u64> {
    names.iter().map(|(n, c)| (n.to_string(), *c)).collect()
}

// ---------------------------------------------------------------------------------------
// The tests.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_and_apply_cost_exactly_the_requests_the_api_requires() {
    let (e, tap) = org(SandboxConfig::default()).await;
    let groups = seed(&e, MONITORS, EVERY, PAIRS).await;
    let targeted: BTreeSet<i64> = groups.values().flatten().copied().collect();
    assert_eq!(targeted.len(), MONITORS / EVERY);
    e.write("groups.yaml", &pair_manifests(PAIRS, &[], None));
    let webhooks = group_webhooks(PAIRS);
    let w = webhooks.len() as u64;
    // 2,000 monitors fill two pages exactly: the empty third page is what proves the end.
    let listing = pages(MONITORS);
    assert_eq!(listing.len(), 3);
    let (v, wn) = (variable_named(), webhook_named());
    // A plan: each webhook and variable once, the registry's one part, the three pages.
    let plan_routes = routes(&[("GET", &wn, w), ("GET", &v, 2), ("GET", MONITOR_PAGES, 3)]);
    let each_webhook_once: BTreeMap<String, u64> =
        webhooks.iter().map(|n| (n.clone(), 1)).collect();

    // 1. Plan from scratch: every webhook and variable looked up once (all absent), the
    //    registry header (absent), three pages.
    let c = cost(&e, &tap, e.plan(&["--detailed-exitcode"])).await;
    assert_eq!(c.run.code, 2, "changes to make:\n{}", c.run.all());
    assert_eq!(c.routes, plan_routes, "plan from scratch");
    assert_eq!(c.by_name("GET", WEBHOOKS), each_webhook_once);
    assert_eq!(
        c.by_name("GET", VARIABLES),
        counts(&[("DD_API_KEY", 1), (STATE_VARIABLE, 1)])
    );
    assert_eq!(c.monitor_pages(), listing);

    // 2. Apply from scratch: the same reads; the lock (POST, read-back, GET + DELETE at the
    //    end); the registry (created with the pending names, then PUT once owned); one
    //    POST per webhook and variable; one PUT per targeted monitor. Without latency the
    //    webhook chain ends well within `MONITOR_READ_MAX_AGE` of the read, so the monitors
    //    are not listed again (`stale_plans_are_refused` covers the other side).
    let c = cost(&e, &tap, apply_ok(&e)).await;
    let listed = c.listings(&listing);
    assert_eq!(
        c.routes,
        routes(&[
            ("GET", &wn, w),
            ("POST", WEBHOOKS, w),
            ("GET", &v, 4),
            ("POST", VARIABLES, 3),
            ("PUT", &v, 1),
            ("DELETE", &v, 1),
            ("GET", MONITOR_PAGES, listed.len() as u64),
            ("PUT", MONITOR_BY_ID, targeted.len() as u64),
        ]),
        "apply from scratch\n{}",
        c.run.all()
    );
    assert!(
        c.run.stdout.contains(&format!(
            "Apply complete: {} created, 0 updated, 0 deleted.",
            w + 1 + targeted.len() as u64
        )),
        "{}",
        c.run.all()
    );
    assert_eq!(c.by_name("GET", WEBHOOKS), each_webhook_once);
    assert_eq!(
        c.by_name("GET", VARIABLES),
        counts(&[("DD_API_KEY", 1), (STATE_VARIABLE, 1), (LOCK_VARIABLE, 2)])
    );
    assert_eq!(
        c.created(VARIABLES),
        [LOCK_VARIABLE, STATE_VARIABLE, "DD_API_KEY"],
        "lock first, then the registry with the pending names, then the variable"
    );
    assert_eq!(
        c.created(WEBHOOKS).into_iter().collect::<BTreeSet<_>>(),
        webhooks
    );
    assert_eq!(c.by_name("PUT", VARIABLES), counts(&[(STATE_VARIABLE, 1)]));
    assert_eq!(
        c.by_name("DELETE", VARIABLES),
        counts(&[(LOCK_VARIABLE, 1)])
    );
    assert_eq!(c.monitor_pages(), listed, "one listing: no re-listing");
    assert_eq!(c.monitors_written(), targeted);
    assert!(e.variable(LOCK_VARIABLE).await.is_none(), "lock released");

    // 3. Plan in steady state: the same reads as from scratch, and nothing to do.
    let steady = cost(&e, &tap, e.plan(&["--detailed-exitcode"])).await;
    assert_eq!(steady.run.code, 0, "nothing to do:\n{}", steady.run.all());
    assert!(steady.run.stdout.contains("No changes."));
    assert_eq!(steady.routes, plan_routes, "plan in steady state");
    assert_eq!(steady.by_name("GET", WEBHOOKS), each_webhook_once);
    assert_eq!(
        steady.by_name("GET", VARIABLES),
        counts(&[("DD_API_KEY", 1), (STATE_VARIABLE, 1)]),
        "a registry of one part is one read"
    );
    assert_eq!(steady.monitor_pages(), listing);

    // 4. A small change: two pairs report to another check (4 webhook PUTs), one block
    //    gains a rule (its 5 monitors are written). No ownership changes: no registry write.
    let changed_group = 7;
    e.write(
        "groups.yaml",
        &pair_manifests(PAIRS, &[3, 11], Some(changed_group)),
    );
    let c = cost(&e, &tap, apply_ok(&e)).await;
    let listed = c.listings(&listing);
    let group_monitors: BTreeSet<i64> = groups[&changed_group].iter().copied().collect();
    assert_eq!(
        c.routes,
        routes(&[
            ("GET", &wn, w),
            ("PUT", &wn, 4),
            ("GET", &v, 4),
            ("POST", VARIABLES, 1),
            ("DELETE", &v, 1),
            ("GET", MONITOR_PAGES, listed.len() as u64),
            ("PUT", MONITOR_BY_ID, group_monitors.len() as u64),
            // The handle check: `@slack-grp-07`'s account `grp`, asked once.
            ("GET", SLACK_CHANNELS, 1),
        ]),
        "apply of a small change\n{}",
        c.run.all()
    );
    assert!(
        c.run.stdout.contains(&format!(
            "Apply complete: 0 created, {} updated, 0 deleted.",
            4 + group_monitors.len()
        )),
        "{}",
        c.run.all()
    );
    assert_eq!(
        c.by_name("PUT", WEBHOOKS),
        counts(&[
            ("grp-03-alert-check", 1),
            ("grp-03-ok-check", 1),
            ("grp-11-alert-check", 1),
            ("grp-11-ok-check", 1),
        ])
    );
    assert_eq!(
        c.by_name("GET", VARIABLES),
        counts(&[("DD_API_KEY", 1), (STATE_VARIABLE, 1), (LOCK_VARIABLE, 2)])
    );
    assert_eq!(c.created(VARIABLES), [LOCK_VARIABLE]);
    assert_eq!(c.monitors_written(), group_monitors);
    assert_eq!(c.monitor_pages(), listed);

    // 5. The follow-up plan is empty, at the steady-state price.
    let after = cost(&e, &tap, e.plan(&["--detailed-exitcode"])).await;
    assert_eq!(after.run.code, 0, "converged:\n{}", after.run.all());
    assert!(after.run.stdout.contains("No changes."));
    // Plus the handle check of the Slack handle group 7's block now writes: its account,
    // asked once.
    let mut expected = steady.routes.clone();
    *expected.entry(format!("GET {SLACK_CHANNELS}")).or_default() += 1;
    assert_eq!(after.routes, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registry_of_several_parts_costs_one_read_per_part() {
    let (e, tap) = org(SandboxConfig::default()).await;
    seed(&e, 10, 1_000, 1).await;
    // 200 names of 32 random hex digits, which compress poorly: the registry outgrows one
    // 4 KiB part.
    let names: BTreeSet<String> = (0..200)
        .map(|i| format!("hook-{}", registry::fingerprint("names", &i.to_string())))
        .collect();
    let yaml: String = names
        .iter()
        .map(|n| format!("  {n}:\n    url: https://hooks.example.com/{n}\n"))
        .collect();
    e.write("hooks.yaml", &format!("webhooks:\n{yaml}"));
    let (v, wn) = (variable_named(), webhook_named());

    // Apply from scratch. The registry is written twice, each time as a new version in the
    // slot nobody reads, then the header: first with the pending names (slot A: part 2,
    // then the header, both created), then once they are owned (slot B: part 2 created,
    // the header updated, then slot A's part 2 deleted, and part 3 probed with a DELETE
    // that finds nothing, in case an older, larger version left more parts).
    let c = cost(&e, &tap, apply_ok(&e)).await;
    let n = names.len() as u64;
    assert_eq!(
        c.routes,
        routes(&[
            ("GET", &wn, n),
            ("POST", WEBHOOKS, n),
            ("GET", &v, 3),
            ("POST", VARIABLES, 4),
            ("PUT", &v, 1),
            ("DELETE", &v, 3),
            ("GET", MONITOR_PAGES, c.listings(&pages(10)).len() as u64),
        ]),
        "apply from scratch with a registry of two parts\n{}",
        c.run.all()
    );
    assert_eq!(
        c.by_name("GET", VARIABLES),
        counts(&[(STATE_VARIABLE, 1), (LOCK_VARIABLE, 2)])
    );
    assert_eq!(
        c.created(VARIABLES),
        [
            LOCK_VARIABLE,
            "DDHOOKS_STATE_2",
            STATE_VARIABLE,
            "DDHOOKS_STATE_B_2"
        ]
    );
    assert_eq!(c.by_name("PUT", VARIABLES), counts(&[(STATE_VARIABLE, 1)]));
    assert_eq!(
        c.by_name("DELETE", VARIABLES),
        counts(&[
            ("DDHOOKS_STATE_2", 1),
            ("DDHOOKS_STATE_3", 1),
            (LOCK_VARIABLE, 1)
        ])
    );

    let header = e.variable(STATE_VARIABLE).await.expect("registry stored");
    let layout = registry::Registry::layout(header["value"].as_str().expect("value"))
        .expect("registry header");
    assert_eq!(
        layout.parts, 2,
        "the case needs a registry of several parts"
    );
    let part_names: Vec<String> = (1..=layout.parts)
        .map(|n| registry::part_name(layout.slot, n))
        .collect();

    // Plan in steady state: the header, then each further part once.
    let c = cost(&e, &tap, e.plan(&["--detailed-exitcode"])).await;
    assert_eq!(c.run.code, 0, "nothing to do:\n{}", c.run.all());
    assert_eq!(
        c.routes,
        routes(&[
            ("GET", &wn, names.len() as u64),
            ("GET", &v, layout.parts as u64),
            ("GET", MONITOR_PAGES, 1),
        ]),
        "plan with a registry of {} parts",
        layout.parts
    );
    let each_part_once: BTreeMap<String, u64> = part_names.iter().map(|n| (n.clone(), 1)).collect();
    assert_eq!(c.by_name("GET", VARIABLES), each_part_once);
    assert_eq!(c.monitor_pages(), pages(10));
}

/// The most requests the client had in flight at once, over a plan and an apply from
/// scratch, with `--concurrency c`, against a sandbox that takes 100 ms per answer (so that
/// requests let through together overlap).
async fn most_in_flight(c: usize) -> usize {
    let config = SandboxConfig {
        latency: Duration::from_millis(100),
        ..SandboxConfig::default()
    };
    let (e, tap) = org(config).await;
    seed(&e, 40, 2, 3).await;
    e.write("groups.yaml", &pair_manifests(3, &[], None));
    let concurrency = c.to_string();
    let flags = ["--concurrency", concurrency.as_str()];
    tap.clear();
    let plan = e
        .plan(&[&["--detailed-exitcode"], &flags[..]].concat())
        .await;
    assert_eq!(plan.code, 2, "{}", plan.all());
    let in_plan = tap.max_in_flight();
    tap.clear();
    let apply = e.apply(&[&["--auto-approve"], &flags[..]].concat()).await;
    assert_eq!(apply.code, 0, "{}", apply.all());
    let in_apply = tap.max_in_flight();
    assert!(
        in_plan <= c && in_apply <= c,
        "--concurrency {c}: {in_plan} requests in flight at once during plan, {in_apply} during apply"
    );
    in_plan.max(in_apply)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_never_has_more_requests_in_flight_than_concurrency_allows() {
    // One at a time: the registry, the named reads and the monitor pages all want to go at
    // once at the start of a plan; only the client-wide bound keeps them to one.
    assert_eq!(most_in_flight(1).await, 1);
    // Three: the bound holds, and the proxy does see requests overlap (it is not the
    // proxy that serialises them).
    let most = most_in_flight(3).await;
    assert!(
        most >= 2,
        "the proxy saw no overlap at all ({most}): the measurement would prove nothing"
    );
}

/// An org of more than 4,000 monitors whose size is not known yet (a first plan: no
/// registry keeps a count) is listed whole: four pages one at a time, then windows that
/// double, so at most one window's pages past the end are asked for.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_org_of_unknown_size_is_listed_whole_in_growing_windows() {
    let (e, tap) = org(SandboxConfig::default()).await;
    let groups = seed(&e, 6_500, 100, 5).await;
    e.write("groups.yaml", &pair_manifests(5, &[], None));
    let c = cost(&e, &tap, e.plan(&["--detailed-exitcode"])).await;
    assert_eq!(c.run.code, 2, "{}", c.run.all());
    let targeted: Vec<i64> = groups.values().flatten().copied().collect();
    assert_eq!(targeted.len(), 65);
    for id in &targeted {
        assert!(
            c.run.stdout.contains(&format!("monitor.{id} ")),
            "monitor {id} (every page read):\n{}",
            c.run.stdout
        );
    }
    // Pages 0–3 one at a time, then 4–7 at once: 6 is short (500 monitors), 7 is empty.
    assert_eq!(c.monitor_pages(), pages(7_999));
}

/// `apply --auto-approve` that never lists the monitors again (see [`NO_RELISTING`]),
/// asserted to complete.
async fn apply_ok(e: &E2e) -> Run {
    crate::kit::cli::assert_applied(
        e.apply(&[&["--auto-approve"][..], &NO_RELISTING].concat())
            .await,
    )
}
