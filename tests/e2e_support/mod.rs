//! Helpers of the end-to-end tests: a real sandbox in-process, the real `ddhooks` binary as a
//! child process pointed at it over loopback, manifests in a temporary directory.

#![allow(dead_code)]

use ddhooks::sandbox::{RunningSandbox, Sandbox, SandboxConfig};
use reqwest::Method;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// The webhooks endpoint.
pub const WEBHOOKS: &str = "/api/v1/integration/webhooks/configuration/webhooks";
/// The custom variables endpoint.
pub const VARIABLES: &str = "/api/v1/integration/webhooks/configuration/custom-variables";

/// The manifests of the issue's scenario: a secret API-key variable, a pair and its block
/// on every `team:checkout` monitor.
pub const SCENARIO: &str = r#"
custom_variables:
  DD_API_KEY:
    value: ${env:DD_API_KEY}
    secret: true

webhook_pairs:
  grp:
    check: grp.status
    tags: ["monitor_id:$ALERT_ID", "team:checkout"]

monitor_notifications:
  grp:
    monitors:
      tags: ["team:checkout"]
    pair: grp
"#;

/// What a child process did.
#[derive(Debug)]
pub struct Run {
    /// Exit code (-1 when killed by a signal).
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Run {
    /// Both streams, for assertion messages.
    pub fn all(&self) -> String {
        format!(
            "exit {}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// A sandbox, a client for it, and a directory of manifests.
pub struct E2e {
    /// The sandbox (kept alive while the test runs).
    pub sandbox: RunningSandbox,
    /// Its base URL.
    pub base: String,
    /// Plain HTTP client.
    pub http: reqwest::Client,
    /// Temporary directory: `manifests/` inside holds the manifests.
    pub dir: tempfile::TempDir,
    /// The value of `DD_API_KEY` given to the binary.
    pub api_key: String,
    /// Extra environment for the binary.
    pub env: Vec<(String, String)>,
}

impl E2e {
    /// Starts a default sandbox.
    pub async fn start() -> E2e {
        E2e::with_key("e2e-test-api-key").await
    }

    /// Starts a default sandbox; the binary gets `DD_API_KEY=api_key`.
    pub async fn with_key(api_key: &str) -> E2e {
        E2e::with_config(SandboxConfig::default(), api_key).await
    }

    /// Starts a sandbox with `config`; the binary gets `DD_API_KEY=api_key`, and so do the
    /// test's own API calls.
    pub async fn with_config(config: SandboxConfig, api_key: &str) -> E2e {
        let sandbox = Sandbox::start(config).await.expect("sandbox starts");
        let base = sandbox.base_url();
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .build()
            .expect("client");
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(dir.path().join("manifests")).expect("manifests dir");
        E2e {
            sandbox,
            base,
            http,
            dir,
            api_key: api_key.to_string(),
            env: Vec::new(),
        }
    }

    /// The manifests directory.
    pub fn manifests(&self) -> PathBuf {
        self.dir.path().join("manifests")
    }

    /// A path inside the temporary directory (outside the manifests).
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes (or replaces) manifest file `name`.
    pub fn write(&self, name: &str, text: &str) {
        std::fs::write(self.manifests().join(name), text).expect("manifest written");
    }

    /// Removes manifest file `name`.
    pub fn remove(&self, name: &str) {
        std::fs::remove_file(self.manifests().join(name)).expect("manifest removed");
    }

    /// Runs the binary with `args`, with the keys and `NO_COLOR` in its environment and
    /// nothing on stdin.
    pub async fn ddhooks(&self, args: &[&str]) -> Run {
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_ddhooks"));
        cmd.args(args)
            .current_dir(self.dir.path())
            .env("DD_API_KEY", &self.api_key)
            .env("DD_APP_KEY", "e2e-test-app-key")
            .env("NO_COLOR", "1")
            .env_remove("DD_SITE")
            .env_remove("DD_HOST")
            .env_remove("RUST_LOG")
            .stdin(std::process::Stdio::null());
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        let out = cmd.output().await.expect("ddhooks runs");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// `ddhooks plan MANIFESTS --api-url BASE` plus `extra`.
    pub async fn plan(&self, extra: &[&str]) -> Run {
        let manifests = self.manifests();
        let mut args = vec![
            "plan",
            manifests.to_str().expect("utf-8 path"),
            "--api-url",
            &self.base,
        ];
        args.extend_from_slice(extra);
        self.ddhooks(&args).await
    }

    /// `ddhooks apply MANIFESTS --api-url BASE` plus `extra`.
    pub async fn apply(&self, extra: &[&str]) -> Run {
        let manifests = self.manifests();
        let mut args = vec![
            "apply",
            manifests.to_str().expect("utf-8 path"),
            "--api-url",
            &self.base,
        ];
        args.extend_from_slice(extra);
        self.ddhooks(&args).await
    }

    /// Applies with `--auto-approve` and asserts it completed.
    pub async fn apply_ok(&self) -> Run {
        let run = self.apply(&["--auto-approve"]).await;
        assert_eq!(run.code, 0, "apply failed:\n{}", run.all());
        assert!(
            run.stdout.contains("Apply complete:"),
            "no completion line:\n{}",
            run.all()
        );
        run
    }

    /// Asserts that a plan with `--detailed-exitcode` shows no changes.
    pub async fn assert_converged(&self) {
        let run = self.plan(&["--detailed-exitcode"]).await;
        assert_eq!(run.code, 0, "plan is not empty:\n{}", run.all());
        assert!(run.stdout.contains("No changes."), "{}", run.all());
    }

    /// An API request with both keys and an optional JSON body: status and JSON body.
    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("DD-API-KEY", &self.api_key)
            .header("DD-APPLICATION-KEY", "test-app-key");
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.expect("sandbox answers");
        let status = resp.status().as_u16();
        let text = resp.text().await.expect("body");
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, body)
    }

    /// Creates a monitor as people would; returns its id.
    pub async fn monitor(&self, name: &str, tags: &[&str], message: &str) -> i64 {
        let (status, body) = self
            .call(
                Method::POST,
                "/api/v1/monitor",
                Some(json!({
                    "type": "metric alert",
                    "query": "avg(last_5m):avg:system.load.1{*} > 2",
                    "name": name,
                    "message": message,
                    "tags": tags,
                })),
            )
            .await;
        assert_eq!(status, 200, "monitor created: {body}");
        body["id"].as_i64().expect("monitor id")
    }

    /// A monitor's message as stored.
    pub async fn message(&self, id: i64) -> String {
        let (status, body) = self
            .call(Method::GET, &format!("/api/v1/monitor/{id}"), None)
            .await;
        assert_eq!(status, 200, "{body}");
        body["message"].as_str().expect("message").to_string()
    }

    /// Replaces a monitor's message through the API (as a person editing it would).
    pub async fn set_message(&self, id: i64, message: &str) {
        let (status, body) = self
            .call(
                Method::PUT,
                &format!("/api/v1/monitor/{id}"),
                Some(json!({ "message": message })),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }

    /// A webhook as stored, or `None`.
    pub async fn webhook(&self, name: &str) -> Option<Value> {
        let (status, body) = self
            .call(Method::GET, &format!("{WEBHOOKS}/{name}"), None)
            .await;
        match status {
            200 => Some(body),
            404 => None,
            other => panic!("GET webhook {name}: {other} {body}"),
        }
    }

    /// A custom variable as stored, or `None`.
    pub async fn variable(&self, name: &str) -> Option<Value> {
        let (status, body) = self
            .call(Method::GET, &format!("{VARIABLES}/{name}"), None)
            .await;
        match status {
            200 => Some(body),
            404 => None,
            other => panic!("GET variable {name}: {other} {body}"),
        }
    }

    /// Moves a monitor to a state; returns the simulation's answer.
    pub async fn transition(&self, id: i64, to: &str) -> Value {
        let resp = self
            .http
            .post(format!("{}/sandbox/v1/monitor/{id}/transition", self.base))
            .json(&json!({ "to": to }))
            .send()
            .await
            .expect("sandbox answers");
        assert!(resp.status().is_success(), "transition {id} -> {to}");
        resp.json().await.expect("json")
    }

    /// GET on a `/sandbox/v1/` path.
    pub async fn sim(&self, path: &str) -> Value {
        self.http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("sandbox answers")
            .json()
            .await
            .expect("json")
    }

    /// The check runs received so far.
    pub async fn check_runs(&self) -> Vec<Value> {
        let v = self.sim("/sandbox/v1/check_runs").await;
        let v = v.get("check_runs").cloned().unwrap_or(v);
        v.as_array().cloned().unwrap_or_default()
    }

    /// API request counts by `METHOD /route/template`.
    pub async fn request_counts(&self) -> serde_json::Map<String, Value> {
        let v = self.sim("/sandbox/v1/requests").await;
        v["counts"].as_object().cloned().unwrap_or_default()
    }

    /// Forgets the request counts so far.
    pub async fn clear_requests(&self) {
        let resp = self
            .http
            .delete(format!("{}/sandbox/v1/requests", self.base))
            .send()
            .await
            .expect("sandbox answers");
        assert!(resp.status().is_success());
    }

    /// Count of requests whose `METHOD /template` key starts with `prefix`.
    pub async fn count(&self, prefix: &str) -> u64 {
        self.request_counts()
            .await
            .iter()
            .filter(|(k, _)| k.starts_with(prefix))
            .map(|(_, v)| v.as_u64().unwrap_or(0))
            .sum()
    }

    /// Count of write requests (POST, PUT, DELETE) on `/api/`.
    /// Write requests (POST, PUT, DELETE) since the log was cleared, not counting the apply
    /// lock's own create and delete (the lock must be gone again).
    pub async fn writes(&self) -> u64 {
        let counts = self.request_counts().await;
        let count = |k: &str| counts.get(k).and_then(|v| v.as_u64()).unwrap_or(0);
        let all: u64 = counts
            .iter()
            .filter(|(k, _)| {
                k.starts_with("POST ") || k.starts_with("PUT ") || k.starts_with("DELETE ")
            })
            .map(|(_, v)| v.as_u64().unwrap_or(0))
            .sum();
        let vars = "/api/v1/integration/webhooks/configuration/custom-variables";
        let lock_taken =
            count(&format!("POST {vars}")) >= 1 && count(&format!("DELETE {vars}/{{name}}")) >= 1;
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
}

/// The block ddhooks appends for `name` with `body`.
pub fn block(name: &str, body: &str) -> String {
    format!("{{{{!-- ddhooks:begin {name} --}}}}\n{body}\n{{{{!-- ddhooks:end {name} --}}}}")
}

/// The body of a pair block with only alert and recovery.
pub fn pair_body(pair: &str) -> String {
    format!(
        "{{{{#is_alert}}}} @webhook-{pair}-alert-check {{{{/is_alert}}}}\n{{{{#is_recovery}}}} @webhook-{pair}-ok-check {{{{/is_recovery}}}}"
    )
}

/// Whether `path` exists.
pub fn exists(path: &Path) -> bool {
    path.exists()
}
