//! Helpers of the reliability, secrets and fuzz tests: the real `ddhooks` binary as a
//! sandbox server and as plan/apply processes, manifests in a temp dir, and reads of the
//! sandbox's data file (the ground truth, read without going through the faulty API).

#![allow(dead_code)]

use ddhooks::registry::{self, Registry};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_ddhooks");
/// The keys the tests use (the sandbox accepts any).
pub const API_KEY: &str = "test-api-key-0123456789";
/// The application key the tests use.
pub const APP_KEY: &str = "test-app-key-0123456789";

/// A `ddhooks sandbox` process persisting to a data file.
pub struct SandboxProc {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// Its data file.
    pub data: PathBuf,
    http: reqwest::Client,
}

impl SandboxProc {
    /// Starts `ddhooks sandbox --listen 127.0.0.1:0 --data DATA ARGS…`.
    pub async fn start(data: &Path, args: &[&str]) -> SandboxProc {
        let mut child = Command::new(BIN)
            .args(["sandbox", "--listen", "127.0.0.1:0", "--data"])
            .arg(data)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("sandbox starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .await
            .expect("first line");
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .expect("listening line")
            .to_string();
        SandboxProc {
            child,
            url,
            data: data.to_path_buf(),
            http: reqwest::Client::new(),
        }
    }

    /// Stops it (every answered write is on disk).
    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }

    /// A `/sandbox/v1/` document.
    pub async fn sim(&self, path: &str) -> Value {
        self.http
            .get(format!("{}{path}", self.url))
            .send()
            .await
            .expect("sandbox answers")
            .json()
            .await
            .expect("json")
    }

    /// An API call with keys (fault knobs apply: use only on a fault-free sandbox).
    pub async fn api(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.url))
            .header("DD-API-KEY", API_KEY)
            .header("DD-APPLICATION-KEY", APP_KEY);
        if let Some(body) = body {
            req = req.json(&body);
        }
        req.send()
            .await
            .expect("answered")
            .json()
            .await
            .expect("json")
    }

    /// The data file's content.
    pub fn state(&self) -> State {
        State::read(&self.data)
    }
}

/// What the sandbox stores, read from its data file.
pub struct State(pub Value);

impl State {
    /// Reads `path`.
    pub fn read(path: &Path) -> State {
        let text = std::fs::read_to_string(path).expect("data file");
        State(serde_json::from_str(&text).expect("data file is JSON"))
    }

    /// Webhook names.
    pub fn webhooks(&self) -> BTreeSet<String> {
        self.0["webhooks"]
            .as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// Custom variable names and values, the registry's and the lock's included.
    pub fn variables(&self) -> BTreeMap<String, String> {
        self.0["custom_variables"]
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v["value"].as_str().unwrap_or("").to_string()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Custom variables that are not the registry's or the lock's.
    pub fn user_variables(&self) -> BTreeSet<String> {
        self.variables()
            .into_keys()
            .filter(|n| !registry::is_registry_variable(n))
            .collect()
    }

    /// The stored registry, decoded exactly as ddhooks decodes it.
    pub fn registry(&self) -> Result<Option<Registry>, registry::RegistryError> {
        let vars = self.variables();
        Registry::decode(|name| vars.get(name).cloned())
    }

    /// Monitor messages by id.
    pub fn messages(&self) -> BTreeMap<i64, String> {
        self.0["monitors"]
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(id, mon)| {
                        (
                            id.parse().unwrap_or_default(),
                            mon["message"].as_str().unwrap_or("").to_string(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// The people-written text of monitor `i`: unicode, trailing spaces, existing conditionals.
pub fn people_text(i: usize) -> String {
    match i % 4 {
        0 => format!("CPU high on {{{{host.name}}}} #{i}. Runbook: https://wiki/cpu?x={i}"),
        1 => format!("Latency {{{{value}}}} ms — see https://grafana/d/{i} 📈\n{{{{!-- owner: @jane --}}}}  "),
        2 => format!("{{{{#is_alert}}}} @pagerduty-db {{{{/is_alert}}}}\nDisk #{i} almost full @ops"),
        _ => format!("Plain text {i}\n\n"),
    }
}

/// Creates `count` monitors (fault-free sandbox), half tagged `team:payments`, half
/// `team:checkout`; returns their ids with their people-written text.
pub async fn create_monitors(sandbox: &SandboxProc, count: usize) -> Vec<(i64, String)> {
    let mut out = Vec::new();
    for i in 0..count {
        let team = if i % 2 == 0 { "payments" } else { "checkout" };
        let text = people_text(i);
        let created = sandbox
            .api(
                reqwest::Method::POST,
                "/api/v1/monitor",
                Some(json!({
                    "type": "metric alert",
                    "query": "avg(last_5m):avg:system.load.1{*} > 2",
                    "name": format!("monitor {i}"),
                    "message": text,
                    "tags": [format!("team:{team}")],
                    "options": {"thresholds": {"critical": 2}},
                })),
            )
            .await;
        out.push((created["id"].as_i64().expect("id"), text));
    }
    out
}

/// Writes manifests into `dir` (replacing earlier ones): the secret `DD_API_KEY` variable
/// from the environment, one pair per name of `pairs` with a block on the team's monitors,
/// and `extra` YAML appended.
pub fn write_manifests(dir: &Path, pairs: &[&str], extra: &str) {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).expect("manifests dir");
    let mut yaml = String::from(
        "custom_variables:\n  DD_API_KEY:\n    value: ${env:DD_API_KEY}\n    secret: true\n",
    );
    if !pairs.is_empty() {
        yaml.push_str("webhook_pairs:\n");
        for p in pairs {
            yaml.push_str(&format!("  {p}:\n    check: {p}.status\n"));
        }
        yaml.push_str("monitor_notifications:\n");
        for p in pairs {
            let team = if p.contains("pay") {
                "payments"
            } else {
                "checkout"
            };
            yaml.push_str(&format!(
                "  {p}:\n    monitors: {{tags: [\"team:{team}\"]}}\n    pair: {p}\n"
            ));
        }
    }
    yaml.push_str(extra);
    std::fs::write(dir.join("main.yaml"), yaml).expect("manifest written");
}

/// Output of one ddhooks run.
#[derive(Debug)]
pub struct Run {
    /// Exit code (`None`: killed by a signal).
    pub code: Option<i32>,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

/// A ddhooks command against `url` with the test keys in the environment.
pub fn ddhooks(url: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .args(["--api-url", url])
        .env("DD_API_KEY", API_KEY)
        .env("DD_APP_KEY", APP_KEY)
        .env_remove("RUST_LOG")
        .env_remove("DD_SITE")
        .env_remove("DD_HOST")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    cmd
}

/// Runs a ddhooks command to its end, with a generous timeout.
pub async fn run(mut cmd: Command) -> Run {
    let child = cmd.spawn().expect("ddhooks starts");
    let out = tokio::time::timeout(Duration::from_secs(300), child.wait_with_output())
        .await
        .expect("ddhooks finishes within 5 minutes")
        .expect("ddhooks output");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `apply DIR --auto-approve` plus `extra` flags.
pub async fn apply(url: &str, dir: &Path, extra: &[&str]) -> Run {
    let mut cmd = ddhooks(url, &["apply", "--auto-approve"]);
    cmd.arg(dir).args(extra);
    run(cmd).await
}

/// `plan DIR --detailed-exitcode --no-color` plus `extra` flags.
pub async fn plan(url: &str, dir: &Path, extra: &[&str]) -> Run {
    let mut cmd = ddhooks(url, &["plan", "--detailed-exitcode", "--no-color"]);
    cmd.arg(dir).args(extra);
    run(cmd).await
}

/// Sends `signal` (`INT`, `TERM`, `KILL`) to `pid`.
pub fn signal(pid: u32, signal: &str) {
    let status = std::process::Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .status()
        .expect("kill runs");
    assert!(status.success(), "kill -{signal} {pid}");
}

/// The registry invariant, on the registry as stored (before any resolution):
/// 1. it decodes (never corrupt, never half-written);
/// 2. every confirmed entry (owned and not pending) exists;
/// 3. every webhook and custom variable that exists (ddhooks created all of them in these
///    tests) is owned or pending.
///
/// Returns the registry.
pub fn assert_registry_invariant(state: &State, context: &str) -> Registry {
    let registry = state
        .registry()
        .unwrap_or_else(|e| panic!("{context}: registry unreadable: {e}"))
        .unwrap_or_else(|| Registry::new("none"));
    let webhooks = state.webhooks();
    let variables = state.user_variables();
    for name in registry.webhooks.difference(&registry.pending_webhooks) {
        assert!(
            webhooks.contains(name),
            "{context}: registry lists webhook {name}, which does not exist"
        );
    }
    for name in registry.custom_variables.keys() {
        if !registry.pending_variables.contains_key(name) {
            assert!(
                variables.contains(name),
                "{context}: registry lists variable {name}, which does not exist"
            );
        }
    }
    for name in &webhooks {
        assert!(
            registry.webhooks.contains(name) || registry.pending_webhooks.contains(name),
            "{context}: webhook {name} exists but the registry misses it"
        );
    }
    for name in &variables {
        assert!(
            registry.custom_variables.contains_key(name)
                || registry.pending_variables.contains_key(name),
            "{context}: variable {name} exists but the registry misses it"
        );
    }
    registry
}
