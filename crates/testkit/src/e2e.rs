//! End to end: a sandbox in this process, manifests in a temporary directory, and the real
//! binary pointed at the one from the other over loopback.

use super::cli::{self, Run, API_KEY};
use super::fixtures::{Workspace, SCENARIO};
use super::sandbox::Sandbox;
use ddhooks::sandbox::SandboxConfig;
use std::ops::Deref;
use std::path::{Path, PathBuf};

/// A sandbox, a directory of manifests, and the binary's environment.
pub struct E2e {
    /// The sandbox (its API helpers are reachable through `Deref`).
    pub sandbox: Sandbox,
    /// Where the manifests are; the binary runs in this directory.
    pub work: Workspace,
    /// What the binary is pointed at with `--api-url` (the sandbox, unless a test puts
    /// something in between).
    pub api_url: String,
    /// The `DD_API_KEY` given to the binary.
    pub api_key: String,
    /// Extra environment for the binary.
    pub env: Vec<(String, String)>,
}

impl Deref for E2e {
    type Target = Sandbox;
    fn deref(&self) -> &Sandbox {
        &self.sandbox
    }
}

impl E2e {
    /// A default sandbox.
    pub async fn start() -> E2e {
        E2e::with_config(SandboxConfig::default(), API_KEY).await
    }

    /// A sandbox with `config`; the binary gets `DD_API_KEY=api_key`, and so do the test's
    /// own API calls.
    pub async fn with_config(config: SandboxConfig, api_key: &str) -> E2e {
        let mut sandbox = Sandbox::start(config).await;
        sandbox.api_key = api_key.to_string();
        E2e {
            api_url: sandbox.base.clone(),
            sandbox,
            work: Workspace::new(),
            api_key: api_key.to_string(),
            env: Vec::new(),
        }
    }

    /// The manifests directory.
    pub fn manifests(&self) -> PathBuf {
        self.work.manifests()
    }

    /// A path inside the temporary directory (outside the manifests).
    pub fn path(&self, name: &str) -> PathBuf {
        self.work.path(name)
    }

    /// Writes (or replaces) manifest file `name`.
    pub fn write(&self, name: &str, text: &str) {
        self.work.write(name, text);
    }

    /// Removes manifest file `name`.
    pub fn remove(&self, name: &str) {
        self.work.remove(name);
    }

    fn prepare(&self, mut cmd: tokio::process::Command) -> tokio::process::Command {
        cmd.current_dir(self.work.dir.path())
            .env("DD_API_KEY", &self.api_key);
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    /// Runs the binary with `args` in the temporary directory.
    pub async fn ddhooks(&self, args: &[&str]) -> Run {
        cli::run(self.prepare(cli::command(args))).await
    }

    /// `ddhooks VERB MANIFESTS --api-url URL` plus `extra`: every verb that reads the
    /// manifests and the org (`plan`, `apply`, `routes`, `seed-status`, …).
    pub async fn verb(&self, verb: &str, extra: &[&str]) -> Run {
        let cmd = cli::verb(verb, &self.api_url, &self.manifests(), extra);
        cli::run(self.prepare(cmd)).await
    }

    /// `ddhooks plan MANIFESTS --api-url URL` plus `extra`.
    pub async fn plan(&self, extra: &[&str]) -> Run {
        self.verb("plan", extra).await
    }

    /// `ddhooks apply MANIFESTS --api-url URL` plus `extra`.
    pub async fn apply(&self, extra: &[&str]) -> Run {
        self.verb("apply", extra).await
    }

    /// `ddhooks import --out DIR --api-url URL` plus `extra`.
    pub async fn import(&self, dir: &Path, extra: &[&str]) -> Run {
        let dir = dir.to_str().expect("utf-8 path");
        let mut args = vec!["import", "--out", dir, "--api-url", &self.api_url];
        args.extend_from_slice(extra);
        self.ddhooks(&args).await
    }

    /// The scenario's manifests (`checkout.yaml`) and one monitor they select,
    /// `[checkout] errors` with the people's text `Errors`; returns its id.
    pub async fn scenario_with_a_checkout_monitor(&self) -> i64 {
        let id = self.checkout_monitor("[checkout] errors", "Errors").await;
        self.write("checkout.yaml", SCENARIO);
        id
    }

    /// A sandbox with the scenario, its checkout monitor and the status board `board` (as
    /// `board.yaml`), applied.
    pub async fn start_with_a_board(board: &str) -> E2e {
        let e = E2e::start().await;
        e.scenario_with_a_checkout_monitor().await;
        e.write("board.yaml", board);
        e.apply_ok().await;
        e
    }

    /// `plan --out p.json`, asserted to succeed and write the file; returns its path and
    /// the run.
    pub async fn save_plan(&self) -> (PathBuf, Run) {
        let out = self.path("p.json");
        let run = self
            .plan(&["--out", out.to_str().expect("utf-8 path")])
            .await;
        assert_eq!(run.code, 0, "{}", run.all());
        assert!(out.exists(), "the plan file is written");
        (out, run)
    }

    /// Applies with `--auto-approve` and asserts it completed.
    pub async fn apply_ok(&self) -> Run {
        cli::assert_applied(self.apply(&["--auto-approve"]).await)
    }

    /// Asserts that a plan with `--detailed-exitcode` shows no changes.
    pub async fn assert_converged(&self) {
        cli::assert_no_changes(&self.plan(&["--detailed-exitcode"]).await);
    }

    /// Removes manifest file `name`, asserts that the plan shows `deletion` (`- KIND.NAME
    /// will be deleted`), and applies it to convergence.
    pub async fn remove_and_apply(&self, name: &str, deletion: &str) {
        self.remove(name);
        self.plan(&[]).await.assert_shows(&[deletion]);
        self.apply_and_assert_converged().await;
    }

    /// [`E2e::apply_ok`], then [`E2e::assert_converged`]: a change is applied and the org is
    /// then what the manifests say (the idempotence check most steps of a test end with).
    pub async fn apply_and_assert_converged(&self) {
        self.apply_ok().await;
        self.assert_converged().await;
    }
}
