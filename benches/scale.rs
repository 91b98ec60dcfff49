//! Scale benchmark: how close plan and apply get to the network floor for a large org.
//!
//! Starts a sandbox with latency L on every API request (in a process of its own: this
//! harness re-runs itself with `--serve`, so that the peak memory the kernel reports for
//! each `ddhooks` child is not inflated by the parent it was spawned from), seeds it with N
//! monitors (realistic messages; `targeted` of them tagged into a group), writes manifests
//! for M webhook pairs (each with a block on its group's monitors), then runs the real
//! `ddhooks` binary through four cases:
//!
//! 1. plan from scratch (nothing exists yet),
//! 2. apply from scratch,
//! 3. plan in steady state (nothing to do),
//! 4. apply of a 1% change (1% of the groups edit their pair and their block),
//!
//! and `ddhooks routes` over the whole org in steady state (every monitor and rule read,
//! every monitor routed on every transition),
//!
//! and `ddhooks import` of the org after the apply (one monitor listing, one GET per
//! webhook the monitors mention, then one per custom variable those webhooks reference).
//! Then, on a fresh org, the same groups delivered by notification rules (`delivery: rule`):
//! apply from scratch (one rule per group instead of a PUT per monitor) and plan in steady
//! state (one more paged read, not one per rule).
//!
//! For each case it prints wall time, requests by kind (from the sandbox's request log), two
//! floors and the ratio of wall time to each — the sum floor: for each kind, its requests
//! divided by the concurrency allowed for that kind, rounded up, times L, with webhook and
//! custom-variable writes one at a time; and the critical-path floor: the reads, then the
//! longer of the one-at-a-time chain and the concurrent writes (see [`critical_floor`]) —,
//! the one-at-a-time writes and the variable writes among them, and the CPU time and peak
//! memory of the `ddhooks` process. Messages are 300 B to about 4 KB. Last, it
//! measures the local work alone (load, plan and render, no network) in-process.
//!
//! ```text
//! cargo bench --bench scale                                  # the issue's sizes
//! cargo bench --bench scale -- --monitors 2000 --pairs 100   # smaller
//! cargo bench --bench scale -- --jitter-ms 10                # answers 20-30 ms, any order
//! ```

mod common;

use clap::Parser;
use ddhooks::datadog::fetch::{self, StateBackend};
use ddhooks::datadog::{base_url, Client, ClientOptions, Credentials};
use ddhooks::manifest::{self, LoadOptions};
use ddhooks::plan::PlanOptions;
use ddhooks::registry::Registry;
use ddhooks::render;
use ddhooks::sandbox::monitors::{self, Now};
use ddhooks::sandbox::{RunningSandbox, Sandbox, SandboxConfig};
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Sizes and knobs of one benchmark run.
#[derive(Debug, Clone, Parser)]
#[command(about = "Plan and apply a large org against a sandbox with latency")]
struct Params {
    /// Monitors in the org.
    #[arg(long, default_value_t = 10_000)]
    monitors: usize,
    /// Webhook pairs (two webhooks each), one group and one block per pair.
    #[arg(long, default_value_t = 500)]
    pairs: usize,
    /// Monitors that carry a block (spread evenly over the groups).
    #[arg(long, default_value_t = 2_000)]
    targeted: usize,
    /// Latency the sandbox adds to every API request, in milliseconds.
    #[arg(long, default_value_t = 20)]
    latency_ms: u64,
    /// Up to this many milliseconds more per request, drawn uniformly by the sandbox: the
    /// floors then count each request at its mean, L + jitter / 2.
    #[arg(long, default_value_t = 0)]
    jitter_ms: u64,
    /// Seed of the sandbox's jitter draws.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Message sizes in bytes, `MIN-MAX`: every message padded with runbook lines to a size
    /// drawn uniformly (by monitor id) from the range. Unset: the default mix (most a few
    /// hundred bytes, a tenth up to about 4 KB).
    #[arg(long, value_name = "MIN-MAX", value_parser = parse_sizes)]
    message_sizes: Option<(usize, usize)>,
    /// ddhooks' `--concurrency`.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// Rounds of every case, each on fresh orgs; the table shows each case's median round
    /// (by wall time), and each round's wall time and CPU are listed above it.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=99))]
    runs: u32,
    /// Percentage of the groups changed in the last case.
    #[arg(long, default_value_t = 1.0)]
    change_percent: f64,
    /// Passed by `cargo bench`; ignored.
    #[arg(long, hide = true)]
    bench: bool,
    /// Internal: be the sandbox process (print its URL, serve until stdin closes).
    #[arg(long, hide = true)]
    serve: bool,
    /// Internal: measure the local work against the sandbox at this URL, then exit.
    #[arg(long, hide = true)]
    local_work: Option<String>,
    /// Internal: the manifests for `--local-work`.
    #[arg(long, hide = true)]
    manifests: Option<PathBuf>,
    /// Internal: what `--local-work` measures.
    #[arg(long, hide = true, default_value = "")]
    label: String,
}

/// `MIN-MAX` in bytes, MIN at most MAX.
fn parse_sizes(text: &str) -> Result<(usize, usize), String> {
    let (min, max) = text
        .split_once('-')
        .ok_or_else(|| format!("{text:?} is not MIN-MAX (e.g. 200-4096)"))?;
    let parse = |n: &str| {
        n.trim()
            .parse::<usize>()
            .map_err(|e| format!("{n:?} in {text:?}: {e}"))
    };
    let (min, max) = (parse(min)?, parse(max)?);
    if min > max {
        return Err(format!("{text:?}: MIN is over MAX"));
    }
    Ok((min, max))
}

impl Params {
    /// What one request costs on average: the latency plus half the jitter.
    fn mean_latency(&self) -> Duration {
        Duration::from_millis(self.latency_ms) + Duration::from_millis(self.jitter_ms) / 2
    }
}

const API_KEY: &str = "bench-api-key";
const APP_KEY: &str = "bench-app-key";

fn group_name(g: usize) -> String {
    format!("team-{g:04}")
}

/// Manifests for `pairs` groups, ten groups per file, plus the variables file. Groups in
/// `changed` get another check name (both webhooks' payloads change) and one more rule in
/// their block (their monitors' messages change).
fn write_manifests(
    dir: &Path,
    pairs: usize,
    changed: &BTreeSet<usize>,
    by_rule: bool,
) -> std::io::Result<()> {
    if dir.exists() {
        std::fs::remove_dir_all(dir)?;
    }
    std::fs::create_dir_all(dir)?;
    std::fs::write(
        dir.join("variables.yaml"),
        "custom_variables:\n  DD_API_KEY:\n    value: ${env:DD_API_KEY}\n    secret: true\n  CHECK_HOST:\n    value: ddhooks-bench\n",
    )?;
    for (file, groups) in (0..pairs).collect::<Vec<_>>().chunks(10).enumerate() {
        let mut pairs_yaml = String::from("webhook_pairs:\n");
        let mut blocks_yaml = String::from("monitor_notifications:\n");
        for &g in groups {
            let name = group_name(g);
            let check = if changed.contains(&g) {
                format!("{name}.status.v2")
            } else {
                format!("{name}.status")
            };
            let _ = write!(
                pairs_yaml,
                "  {name}:\n    check: {check}\n    host_name: $CHECK_HOST\n    tags: [\"monitor_id:$ALERT_ID\", \"team:{name}\"]\n"
            );
            let _ = write!(
                blocks_yaml,
                "  {name}:\n    monitors:\n      tags: [\"ddhooks-group:{name}\"]\n    pair: {name}\n"
            );
            if by_rule {
                blocks_yaml.push_str("    delivery: rule\n");
            }
            if changed.contains(&g) {
                let _ = writeln!(
                    blocks_yaml,
                    "    notify:\n      is_priority 'P1': [\"@slack-main-team-0-alerts\"]"
                );
            }
        }
        // One routing test per file of groups: its first group's monitors page its pair
        // on alert (a plan evaluates it against the org it leaves).
        let first = group_name(groups[0]);
        let tests_yaml = format!(
            "routing_tests:\n  {first}-pages-on-alert:\n    monitors: {{tags: [\"ddhooks-group:{first}\"]}}\n    transition: alert\n    includes: [\"@webhook-{first}-alert-check\"]\n"
        );
        std::fs::write(
            dir.join(format!("groups-{file:03}.yaml")),
            format!("{pairs_yaml}\n{blocks_yaml}\n{tests_yaml}"),
        )?;
    }
    Ok(())
}

/// PagerDuty services and Slack channels (of account `main`) the monitors' messages page:
/// 50 distinct handles, all of which the org has.
const PAGERDUTY_SERVICES: usize = 10;
const SLACK_CHANNELS: usize = 40;

/// A monitor as people write them: a query, a multi-line message with template variables,
/// conditional sections and handles, and tags.
fn monitor_body(
    i: usize,
    group: Option<usize>,
    sizes: Option<(usize, usize)>,
) -> serde_json::Value {
    let service = format!("svc-{:04}", i % 1500);
    let mut tags = vec![
        format!("service:{service}"),
        "env:prod".to_string(),
        format!("team:t{}", i % 40),
    ];
    if let Some(g) = group {
        tags.push(format!("ddhooks-group:{}", group_name(g)));
    }
    let message = common::cpu_message(
        &service,
        i,
        &format!("oncall-{}", i % PAGERDUTY_SERVICES),
        &format!("main-team-{}", i % SLACK_CHANNELS),
    );
    // Sizes as in real orgs: most messages a few hundred bytes, some long runbooks (up to
    // about 4 KB), spread deterministically over the ids.
    let extra_lines = match i % 10 {
        0..=5 => 0,
        6..=7 => 4,
        8 => 15,
        _ => 40,
    };
    let mut message = message;
    let step = |message: &mut String, line: usize| {
        let _ = write!(
            message,
            "\nStep {line}: check {service} on {{{{host.name}}}}; escalate to #team-{} after 10 minutes.",
            i % 40
        );
    };
    match sizes {
        None => (0..extra_lines).for_each(|line| step(&mut message, line)),
        Some((min, max)) => {
            // The mix of a new user's org: one Slack handle, no webhook, in a message of a
            // size drawn by id (a multiplicative hash spreads neighbours over the range),
            // padded with runbook lines and cut to the byte (never into the handle).
            let spread = (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 11;
            let size = min + (spread % (max - min + 1) as u64) as usize;
            message = format!(
                "CPU on {{{{host.name}}}} ({service}) is {{{{value}}}}%. @slack-main-team-{}-alerts",
                i % SLACK_CHANNELS
            );
            let head = message.len();
            let mut line = 0;
            while message.len() < size {
                step(&mut message, line);
                line += 1;
            }
            let mut cut = size.max(head).min(message.len());
            while !message.is_char_boundary(cut) {
                cut -= 1;
            }
            message.truncate(cut);
        }
    }
    json!({
        "name": format!("[{service}] CPU high on {{{{host.name}}}} #{i}"),
        "type": "metric alert",
        "query": format!("avg(last_5m):avg:system.cpu.user{{service:{service}}} by {{host}} > 90"),
        "message": message,
        "tags": tags,
        "priority": (i % 5) + 1,
        "options": {"thresholds": {"critical": 90.0, "warning": 80.0}, "notify_no_data": false},
    })
}

/// The `--serve` side: a seeded sandbox that lives until the harness closes our stdin.
async fn serve(params: &Params) -> anyhow::Result<()> {
    let sandbox = Sandbox::start(SandboxConfig {
        latency: Duration::from_millis(params.latency_ms),
        jitter: Duration::from_millis(params.jitter_ms),
        seed: Some(params.seed),
        ..SandboxConfig::default()
    })
    .await?;
    seed_monitors(&sandbox, params)?;
    seed_integrations(&sandbox.base_url()).await?;
    println!("{}", sandbox.base_url());
    tokio::task::spawn_blocking(|| {
        let mut sink = Vec::new();
        let _ = std::io::Read::read_to_end(&mut std::io::stdin(), &mut sink);
    })
    .await?;
    sandbox.shutdown().await;
    Ok(())
}

/// The Slack account and channels and the PagerDuty services the messages page, set up
/// through the API (the handle check finds them all).
async fn seed_integrations(base: &str) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    let post = |path: String, body: serde_json::Value| {
        http.post(format!("{base}{path}"))
            .header("DD-API-KEY", API_KEY)
            .header("DD-APPLICATION-KEY", APP_KEY)
            .json(&body)
            .send()
    };
    post(
        "/api/v1/integration/slack".into(),
        json!({"service_hooks": [{"account": "main", "url": "https://hooks.slack.example/bench"}]}),
    )
    .await?
    .error_for_status()?;
    for c in 0..SLACK_CHANNELS {
        post(
            "/api/v1/integration/slack/configuration/accounts/main/channels".into(),
            json!({"name": format!("#team-{c}-alerts")}),
        )
        .await?
        .error_for_status()?;
    }
    for p in 0..PAGERDUTY_SERVICES {
        post(
            "/api/v1/integration/pagerduty/configuration/services".into(),
            json!({"service_name": format!("oncall-{p}"), "service_key": "bench-service-key"}),
        )
        .await?
        .error_for_status()?;
    }
    Ok(())
}

/// A sandbox process started with `--serve`, and how to read its request log.
struct SandboxProcess {
    child: std::process::Child,
    base_url: String,
    http: reqwest::Client,
}

impl SandboxProcess {
    /// The CPU time (user and system) the sandbox process has used so far, from
    /// `/proc/PID/stat`.
    fn cpu(&self) -> anyhow::Result<Duration> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id()))?;
        // Fields after the command name (which may hold spaces, inside parentheses):
        // utime and stime are the 14th and 15th fields of the line.
        let after_name = stat
            .rsplit_once(')')
            .map(|(_, rest)| rest)
            .ok_or_else(|| anyhow::anyhow!("unreadable /proc stat: {stat:?}"))?;
        let fields: Vec<&str> = after_name.split_whitespace().collect();
        let ticks = |n: usize| -> anyhow::Result<u64> {
            Ok(fields
                .get(n)
                .ok_or_else(|| anyhow::anyhow!("short /proc stat: {stat:?}"))?
                .parse()?)
        };
        // SAFETY: sysconf reads a constant of the system.
        let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
        let total = ticks(11)? + ticks(12)?;
        Ok(Duration::from_millis(total * 1000 / per_second))
    }

    fn start() -> anyhow::Result<SandboxProcess> {
        let mut child = Command::new(std::env::current_exe()?)
            .args(std::env::args().skip(1).filter(|a| a != "--bench"))
            .arg("--serve")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| anyhow::anyhow!("sandbox process without stdout"))?;
        let mut line = String::new();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line)?;
        let base_url = line.trim().to_string();
        if !base_url.starts_with("http://") {
            anyhow::bail!("the sandbox process did not start (it said {line:?})");
        }
        Ok(SandboxProcess {
            child,
            base_url,
            http: reqwest::Client::new(),
        })
    }

    async fn clear_requests(&self) -> anyhow::Result<()> {
        self.http
            .delete(format!("{}/sandbox/v1/requests", self.base_url))
            .send()
            .await?
            .error_for_status()?;
        Ok(())
    }

    async fn requests(&self) -> anyhow::Result<BTreeMap<String, u64>> {
        let body: serde_json::Value = self
            .http
            .get(format!("{}/sandbox/v1/requests", self.base_url))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        Ok(serde_json::from_value(body["counts"].clone())?)
    }
}

impl Drop for SandboxProcess {
    fn drop(&mut self) {
        // Closing stdin ends it; wait so no process outlives the harness.
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

fn seed_monitors(sandbox: &RunningSandbox, params: &Params) -> anyhow::Result<()> {
    let shared = sandbox.shared();
    let now = Now::current();
    let mut data = shared.store.lock();
    // Targeted monitors are spread over the whole id range, evenly over the groups.
    let every = (params.monitors / params.targeted.max(1)).max(1);
    let mut targeted = 0;
    for i in 0..params.monitors {
        let group = (i % every == 0 && targeted < params.targeted).then(|| {
            targeted += 1;
            (targeted - 1) % params.pairs.max(1)
        });
        monitors::create(
            &mut data,
            &monitor_body(i, group, params.message_sizes),
            &shared.identity,
            &now,
        )
        .map_err(|e| anyhow::anyhow!("seeding monitor {i}: {}", e.message))?;
    }
    Ok(())
}

/// CPU time and peak resident memory of a finished child process.
#[derive(Debug, Default, Clone, Copy)]
struct Usage {
    cpu: Duration,
    peak_rss_kib: u64,
}

/// Runs the binary and waits for it with `wait4`, which reports the child's own usage.
fn run_measured(mut command: Command) -> anyhow::Result<(i32, Duration, Usage)> {
    let started = Instant::now();
    let child = command.spawn()?;
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: plain FFI call with valid pointers to locals; `rusage` is plain data.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = started.elapsed();
    if waited != pid {
        anyhow::bail!("wait4 failed: {}", std::io::Error::last_os_error());
    }
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, (t.tv_usec as u32) * 1000);
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    Ok((
        code,
        wall,
        Usage {
            cpu: tv(usage.ru_utime) + tv(usage.ru_stime),
            peak_rss_kib: usage.ru_maxrss as u64,
        },
    ))
}

/// Whether a request kind is a webhook or custom-variable write (one at a time).
fn serial_kind(kind: &str) -> bool {
    !kind.starts_with("GET ") && kind.contains("/integration/webhooks/")
}

/// The network floor of a set of requests: per kind, requests over allowed concurrency
/// (rounded up) times the latency.
fn floor(counts: &BTreeMap<String, u64>, latency: Duration, concurrency: usize) -> Duration {
    counts
        .iter()
        .map(|(kind, n)| {
            let width = if serial_kind(kind) {
                1
            } else {
                concurrency as u64
            };
            latency * (n.div_ceil(width) as u32)
        })
        .sum()
}

/// The critical-path floor: the reads (as in [`floor`]), then the longer of the
/// one-at-a-time chain of webhook and variable writes and the concurrent writes (monitors,
/// rules, dashboards, check runs), which nothing in the API forces to wait for the chain:
/// a group's monitor writes can go as soon as that group's webhooks exist, so only the
/// last group's writes follow the chain (one more round trip). A monitor read by id
/// (`GET /api/v1/monitor/{id}`: apply keeping a write fresh in a large org) is counted with
/// the concurrent writes: it goes along with the chain, a step before its write.
fn critical_floor(
    counts: &BTreeMap<String, u64>,
    latency: Duration,
    concurrency: usize,
) -> Duration {
    let (mut reads, mut chain, mut parallel) = (Duration::ZERO, 0u32, 0u64);
    for (kind, n) in counts {
        if kind == "GET /api/v1/monitor/{id}" {
            parallel += n;
        } else if kind.starts_with("GET ") {
            reads += latency * (n.div_ceil(concurrency as u64) as u32);
        } else if serial_kind(kind) {
            chain += *n as u32;
        } else {
            parallel += n;
        }
    }
    let chain = latency * chain;
    let parallel = latency * (parallel.div_ceil(concurrency as u64) as u32);
    let tail = if parallel.is_zero() || chain.is_zero() {
        Duration::ZERO
    } else {
        latency
    };
    reads + (chain + tail).max(parallel)
}

/// A short name for a request kind: `GET webhook`, `PUT monitor`, …
fn short_kind(kind: &str) -> String {
    let (method, path) = kind.split_once(' ').unwrap_or(("", kind));
    let what = if path.contains("/webhooks/configuration/webhooks") {
        "webhook"
    } else if path.contains("/custom-variables") {
        "variable"
    } else if path == "/api/v1/monitor" {
        "monitor page"
    } else if path.starts_with("/api/v1/monitor/") {
        "monitor"
    } else if path.starts_with("/api/v2/monitor/notification_rule") {
        "rule"
    } else {
        path
    };
    format!("{method} {what}")
}

struct CaseResult {
    name: &'static str,
    wall: Duration,
    /// Today's floor: the sum over request kinds.
    floor: Duration,
    /// The critical path (see [`critical_floor`]).
    critical: Duration,
    usage: Usage,
    /// CPU the sandbox process spent serving the case (user and system): Datadog's servers
    /// are not on the user's machine, so this is not ddhooks' cost.
    sandbox_cpu: Duration,
    counts: BTreeMap<String, u64>,
}

struct Bench {
    params: Params,
    binary: PathBuf,
    manifests: PathBuf,
    out_dir: PathBuf,
    sandbox: SandboxProcess,
}

impl Bench {
    /// A plan or apply of the manifests.
    async fn case(
        &self,
        name: &'static str,
        args: &[&str],
        expect: &[i32],
    ) -> anyhow::Result<CaseResult> {
        self.case_in(name, args, expect, Some(&self.manifests))
            .await
    }

    /// `ddhooks ARGS [DIR] --api-url … --concurrency …`, measured.
    async fn case_in(
        &self,
        name: &'static str,
        args: &[&str],
        expect: &[i32],
        dir: Option<&Path>,
    ) -> anyhow::Result<CaseResult> {
        self.sandbox.clear_requests().await?;
        let stdout = std::fs::File::create(self.out_dir.join(format!("{}.out", slug(name))))?;
        let stderr = std::fs::File::create(self.out_dir.join(format!("{}.err", slug(name))))?;
        let mut command = Command::new(&self.binary);
        command
            .args(args)
            .args(dir)
            .args(["--api-url", &self.sandbox.base_url])
            .args(["--concurrency", &self.params.concurrency.to_string()])
            .arg("--no-color")
            .env("DD_API_KEY", API_KEY)
            .env("DD_APP_KEY", APP_KEY)
            .env_remove("DD_SITE")
            .env_remove("DD_HOST")
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr);
        let sandbox_before = self.sandbox.cpu()?;
        let (code, wall, usage) = tokio::task::block_in_place(|| run_measured(command))?;
        let sandbox_cpu = self.sandbox.cpu()?.saturating_sub(sandbox_before);
        if !expect.contains(&code) {
            anyhow::bail!(
                "{name}: ddhooks exited {code} (expected {expect:?}); see {}",
                self.out_dir.join(format!("{}.*", slug(name))).display()
            );
        }
        let counts = self.sandbox.requests().await?;
        let latency = self.params.mean_latency();
        Ok(CaseResult {
            name,
            wall,
            floor: floor(&counts, latency, self.params.concurrency),
            critical: critical_floor(&counts, latency, self.params.concurrency),
            usage,
            sandbox_cpu,
            counts,
        })
    }
}

fn slug(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

fn print_results(results: &[CaseResult]) {
    println!(
        "\n{:<26} {:>9} {:>9} {:>7} {:>9} {:>7} {:>9} {:>7} {:>7} {:>9} {:>9} {:>11}",
        "case",
        "wall",
        "sum floor",
        "ratio",
        "crit path",
        "ratio",
        "requests",
        "serial",
        "var wr",
        "cpu",
        "peak rss",
        "sandbox cpu"
    );
    for r in results {
        let ratio = |floor: Duration| r.wall.as_secs_f64() / floor.as_secs_f64().max(1e-9);
        let serial: u64 = r
            .counts
            .iter()
            .filter(|(kind, _)| serial_kind(kind))
            .map(|(_, n)| n)
            .sum();
        let variable_writes: u64 = r
            .counts
            .iter()
            .filter(|(kind, _)| serial_kind(kind) && kind.contains("/custom-variables"))
            .map(|(_, n)| n)
            .sum();
        println!(
            "{:<26} {:>7.2} s {:>7.2} s {:>6.2}x {:>7.2} s {:>6.2}x {:>9} {:>7} {:>7} {:>6} ms {:>6} MB {:>8} ms",
            r.name,
            r.wall.as_secs_f64(),
            r.floor.as_secs_f64(),
            ratio(r.floor),
            r.critical.as_secs_f64(),
            ratio(r.critical),
            r.counts.values().sum::<u64>(),
            serial,
            variable_writes,
            r.usage.cpu.as_millis(),
            r.usage.peak_rss_kib / 1024,
            r.sandbox_cpu.as_millis(),
        );
    }
    for r in results {
        println!("\n{}: requests by kind", r.name);
        let mut by_kind: BTreeMap<String, u64> = BTreeMap::new();
        for (kind, n) in &r.counts {
            *by_kind.entry(short_kind(kind)).or_default() += n;
        }
        for (kind, n) in by_kind {
            println!("  {kind:<22} {n:>6}");
        }
    }
}

/// Thread CPU time, for the in-process measurement of local work.
fn thread_cpu() -> Duration {
    // SAFETY: plain FFI call writing into a local.
    let mut ts: libc::timespec = unsafe { std::mem::zeroed() };
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Load, plan and render with the remote state already in memory: the CPU the tool spends
/// besides the network. Runs in a child of its own (`--local-work`), to keep this harness
/// small.
async fn local_work(
    base: &str,
    manifests: &Path,
    label: &str,
    concurrency: usize,
) -> anyhow::Result<()> {
    let client = Client::new(
        base_url(manifest::DEFAULT_SITE, Some(base))?,
        Credentials::new(API_KEY, APP_KEY),
        ClientOptions::default(),
    )?;
    let options = LoadOptions {
        env: std::sync::Arc::new(|name| (name == "DD_API_KEY").then(|| API_KEY.to_string())),
        ..LoadOptions::default()
    };
    let started = thread_cpu();
    let loaded =
        manifest::load_dir(manifests, &options).map_err(|d| anyhow::anyhow!("manifests: {d}"))?;
    let load = thread_cpu() - started;
    // Not timed: the network part.
    let request = fetch::FetchRequest {
        webhook_names: loaded.desired.webhooks.keys().cloned().collect(),
        variable_names: loaded.desired.custom_variables.keys().cloned().collect(),
        read_rules: !loaded.desired.notification_rules.is_empty(),
        read_auth_methods: !loaded.desired.auth_methods.is_empty(),
        board_titles: Default::default(),
        monitors: std::sync::Arc::new(ddhooks::plan::MonitorInterest::new(&loaded.desired)),
        concurrency,
        owned_too: true,
    };
    let fetched = fetch::fetch(&client, &StateBackend::Datadog, &request).await?;
    let registry = fetched.registry.unwrap_or_else(|| Registry::new("bench"));
    let started = thread_cpu();
    let plan = ddhooks::plan::plan(
        &loaded.desired,
        &fetched.remote,
        &registry,
        &PlanOptions::default(),
    );
    let planning = thread_cpu() - started;
    // The routing section alone, as the plan computes it: routing changes, coverage warnings
    // and routing tests over the org the plan leaves.
    let started = thread_cpu();
    let planned = ddhooks::plan::planned_routing(&plan);
    let changes = ddhooks::routing::routing_changes(&fetched.remote, &planned);
    let org = ddhooks::routing::OrgRouting::after(&fetched.remote, &planned);
    let warnings =
        ddhooks::plan::coverage_warnings(&loaded.desired, &fetched.remote, &org, Some(&changes));
    let cases = ddhooks::routing::run(&loaded.desired, Some(&org));
    let routing = thread_cpu() - started;
    let started = thread_cpu();
    let text = render::render_text(&plan, false);
    let text_cpu = thread_cpu() - started;
    let started = thread_cpu();
    let markdown = render::render_markdown(
        &render::Outline::of(&plan),
        &render::MarkdownOptions::default(),
    );
    let json = render::render_json(&plan).expect("the JSON plan");
    let other_cpu = thread_cpu() - started;
    println!(
        "local work, {label}: load {} ms, plan {} ms (of which the routing section {} ms: {} monitor-transition changes, {} warnings, {} routing tests), render text {} ms ({} KB); markdown + json {} ms ({} KB + {} KB); load + plan + text = {} ms CPU",
        load.as_millis(),
        planning.as_millis(),
        routing.as_millis(),
        changes.len(),
        warnings.len(),
        cases.len(),
        text_cpu.as_millis(),
        text.len() / 1024,
        other_cpu.as_millis(),
        markdown.len() / 1024,
        json.len() / 1024,
        (load + planning + text_cpu).as_millis(),
    );
    Ok(())
}

impl Bench {
    fn local_work(&self, label: &str) -> anyhow::Result<()> {
        let status = Command::new(std::env::current_exe()?)
            .args(["--local-work", &self.sandbox.base_url, "--label", label])
            .arg("--manifests")
            .arg(&self.manifests)
            .args(["--concurrency", &self.params.concurrency.to_string()])
            .status()?;
        if !status.success() {
            anyhow::bail!("measuring the local work ({label}) failed");
        }
        Ok(())
    }
}

fn main() -> anyhow::Result<()> {
    let params = Params::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    if params.serve {
        return runtime.block_on(serve(&params));
    }
    if let (Some(url), Some(manifests)) = (&params.local_work, &params.manifests) {
        return runtime.block_on(local_work(
            url,
            manifests,
            &params.label,
            params.concurrency,
        ));
    }
    runtime.block_on(async move {
        let work = std::env::temp_dir().join(format!("ddhooks-scale-{}", std::process::id()));
        println!(
            "ddhooks scale benchmark: {} monitors ({} with a block), {} pairs ({} webhooks), L = {} ms, jitter {} ms (seed {}), concurrency {}, median of {} runs",
            params.monitors,
            params.targeted,
            params.pairs,
            params.pairs * 2,
            params.latency_ms,
            params.jitter_ms,
            params.seed,
            params.concurrency,
            params.runs
        );
        println!("outputs of each run under {}", work.display());
        let mut rounds = Vec::new();
        for round in 0..params.runs {
            let out_dir = work.join(format!("run-{round}"));
            rounds.push(one_round(params.clone(), out_dir).await?);
        }
        print_results(&medians(rounds));
        Ok(())
    })
}

/// Each case's median round by wall time (the round itself, so that its requests, CPU
/// and memory are those of one real run), with every round's wall time and CPU noted.
fn medians(rounds: Vec<Vec<CaseResult>>) -> Vec<CaseResult> {
    let cases = rounds.first().map_or(0, Vec::len);
    let mut by_case: Vec<Vec<CaseResult>> = (0..cases).map(|_| Vec::new()).collect();
    for round in rounds {
        for (i, result) in round.into_iter().enumerate() {
            by_case[i].push(result);
        }
    }
    by_case
        .into_iter()
        .filter_map(|mut runs| {
            let walls: Vec<String> = runs
                .iter()
                .map(|r| {
                    format!(
                        "{:.2} s ({} ms CPU)",
                        r.wall.as_secs_f64(),
                        r.usage.cpu.as_millis()
                    )
                })
                .collect();
            runs.sort_by_key(|r| r.wall);
            let median = runs.swap_remove(runs.len().checked_sub(1)? / 2);
            println!("{}: runs {}", median.name, walls.join(", "));
            Some(median)
        })
        .collect()
}

/// One round of every case, each on a fresh sandbox and fresh manifests under `work`.
async fn one_round(params: Params, work: PathBuf) -> anyhow::Result<Vec<CaseResult>> {
    let sandbox = SandboxProcess::start()?;
    let manifests = work.join("manifests");
    write_manifests(&manifests, params.pairs, &BTreeSet::new(), false)?;
    let bench = Bench {
        binary: PathBuf::from(env!("CARGO_BIN_EXE_ddhooks")),
        manifests,
        out_dir: work.clone(),
        sandbox,
        params,
    };
    let plan = ["plan", "--detailed-exitcode"];
    let apply = ["apply", "--auto-approve"];
    bench.local_work("from scratch")?;
    let mut results = vec![
        bench.case("plan, from scratch", &plan, &[2]).await?,
        bench.case("apply, from scratch", &apply, &[0]).await?,
        bench.case("plan, steady state", &plan, &[0]).await?,
        // The whole org's routing after apply (every monitor and rule read).
        bench
            .case("routes, whole org", &["routes", "--format", "json"], &[0])
            .await?,
    ];
    // Import of the org as it now is: the monitors' blocks mention every webhook.
    let imported = work.join("imported");
    let imported = imported.to_str().unwrap_or("imported");
    results.push(
        bench
            .case_in(
                "import",
                &["import", "--force", "--out", imported],
                &[0],
                None,
            )
            .await?,
    );
    bench.local_work("steady state")?;
    let changed_groups =
        ((bench.params.pairs as f64 * bench.params.change_percent / 100.0).ceil() as usize).max(1);
    let every = bench.params.pairs / changed_groups;
    let changed = (0..changed_groups).map(|i| i * every).collect();
    write_manifests(&bench.manifests, bench.params.pairs, &changed, false)?;
    results.push(bench.case("apply, 1% change", &apply, &[0]).await?);
    // The apply converged: a plan now has nothing to do (not measured).
    bench.case("check", &plan, &[0]).await?;
    // The same groups delivered by rules, on a fresh org.
    let rule_manifests = work.join("manifests-rules");
    write_manifests(&rule_manifests, bench.params.pairs, &BTreeSet::new(), true)?;
    let params = bench.params.clone();
    drop(bench);
    let rules = Bench {
        binary: PathBuf::from(env!("CARGO_BIN_EXE_ddhooks")),
        manifests: rule_manifests,
        out_dir: work.clone(),
        sandbox: SandboxProcess::start()?,
        params,
    };
    results.push(rules.case("apply, scratch, rules", &apply, &[0]).await?);
    results.push(rules.case("plan, steady, rules", &plan, &[0]).await?);
    Ok(results)
}
