//! The `ddhooks` binary as a child process: one way to build its command line and
//! environment, one way to run it, one [`Run`] to assert on.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::LazyLock;
use std::time::Duration;
use tokio::process::{Child, Command};

/// The binary under test: `ddhooks` beside the directory of the running test binary
/// (`target/debug/deps/NAME-HASH` → `target/debug/ddhooks`), as Cargo lays them out, or
/// `CARGO_BIN_EXE_ddhooks` when the runner sets it (cargo-nextest does). Cargo builds the
/// binary before any integration test of its package runs.
pub static BIN: LazyLock<PathBuf> = LazyLock::new(|| {
    if let Some(path) = std::env::var_os("CARGO_BIN_EXE_ddhooks") {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().expect("the test binary's own path");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("the test binary lives in target/PROFILE/deps");
    profile_dir.join(format!("ddhooks{}", std::env::consts::EXE_SUFFIX))
});
/// The API key the binary and the tests send (the sandbox accepts any unless configured).
pub const API_KEY: &str = "test-api-key-0123456789";
/// The application key the binary and the tests send.
pub const APP_KEY: &str = "test-app-key-0123456789";

/// How long a child process may run before the test calls it hung. Not a performance
/// bound: the slowest run of the suite (the kill loop's converging applies on a loaded
/// machine) takes a small fraction of it.
pub const HANG_GUARD: Duration = Duration::from_secs(600);

/// What one run of a child process did.
#[derive(Debug)]
pub struct Run {
    /// Exit code; -1 when a signal ended it.
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Run {
    /// Both streams and the exit code, for assertion messages.
    pub fn all(&self) -> String {
        format!(
            "exit {}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }

    /// Asserts that the run exited with `code` and that standard output shows every one of
    /// `texts` (the usual check of a verb's outcome, in one call).
    pub fn assert_exit_shows(&self, code: i32, texts: &[&str]) {
        assert_eq!(self.code, code, "{}", self.all());
        self.assert_shows(texts);
    }

    /// Asserts that standard output shows every one of `texts`.
    pub fn assert_shows(&self, texts: &[&str]) {
        self.assert_on("stdout", &self.stdout, texts, true);
    }

    /// Asserts that standard output shows none of `texts`.
    pub fn assert_hides(&self, texts: &[&str]) {
        self.assert_on("stdout", &self.stdout, texts, false);
    }

    /// Asserts that standard error shows every one of `texts` (errors, warnings and logs
    /// go there; one line per check instead of a five-line `assert!`).
    pub fn assert_stderr_shows(&self, texts: &[&str]) {
        self.assert_on("stderr", &self.stderr, texts, true);
    }

    /// Asserts that standard error shows none of `texts`.
    pub fn assert_stderr_hides(&self, texts: &[&str]) {
        self.assert_on("stderr", &self.stderr, texts, false);
    }

    /// The one loop behind the four `assert_*`: every one of `texts` is in `output`
    /// (`shown`) or none is, with both streams in the message.
    fn assert_on(&self, stream: &str, output: &str, texts: &[&str], shown: bool) {
        for text in texts {
            let what = if shown { "missing" } else { "unexpected" };
            assert!(
                output.contains(text) == shown,
                "{what} `{text}` on {stream}:\n{}",
                self.all()
            );
        }
    }

    fn of(out: std::process::Output) -> Run {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

/// `ddhooks ARGS…` with the test keys, `NO_COLOR`, no `DD_SITE`/`DD_HOST`/`RUST_LOG`
/// from the outer environment, nothing on stdin, both outputs captured. The apply lock
/// does not settle (`DDHOOKS_LOCK_SETTLE_MS=0`): the sandbox never loses a write, and the
/// settling delay is half a second of every apply.
pub fn command(args: &[&str]) -> Command {
    let mut cmd = Command::new(&*BIN);
    cmd.args(args)
        .env("DD_API_KEY", API_KEY)
        .env("DD_APP_KEY", APP_KEY)
        .env("NO_COLOR", "1")
        .env("DDHOOKS_LOCK_SETTLE_MS", "0")
        .env_remove("DD_SITE")
        .env_remove("DD_HOST")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    cmd
}

/// `ddhooks VERB DIR --api-url URL EXTRA…` (see [`command`]).
pub fn verb(verb: &str, url: &str, dir: &Path, extra: &[&str]) -> Command {
    let dir = dir.to_str().expect("utf-8 path");
    let mut cmd = command(&[verb, dir, "--api-url", url]);
    cmd.args(extra);
    cmd
}

/// Runs `cmd` to its end.
pub async fn run(mut cmd: Command) -> Run {
    let child = cmd.spawn().expect("ddhooks starts");
    finish(child).await
}

/// Waits for a spawned child to end and collects its output.
pub async fn finish(child: Child) -> Run {
    let out = tokio::time::timeout(HANG_GUARD, child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("the child process hung for {HANG_GUARD:?}"))
        .expect("child output");
    Run::of(out)
}

/// `ddhooks ARGS…` run to its end.
pub async fn ddhooks(args: &[&str]) -> Run {
    run(command(args)).await
}

/// `ddhooks plan DIR --api-url URL EXTRA…` run to its end.
pub async fn plan(url: &str, dir: &Path, extra: &[&str]) -> Run {
    run(verb("plan", url, dir, extra)).await
}

/// `ddhooks apply DIR --api-url URL EXTRA…` run to its end.
pub async fn apply(url: &str, dir: &Path, extra: &[&str]) -> Run {
    run(verb("apply", url, dir, extra)).await
}

/// Asserts that an apply completed; returns it.
pub fn assert_applied(run: Run) -> Run {
    assert_eq!(run.code, 0, "apply failed:\n{}", run.all());
    assert!(
        run.stdout.contains("Apply complete:"),
        "no completion line:\n{}",
        run.all()
    );
    run
}

/// Asserts that a plan run with `--detailed-exitcode` showed no changes.
pub fn assert_no_changes(run: &Run) {
    assert_eq!(run.code, 0, "plan is not empty:\n{}", run.all());
    assert!(run.stdout.contains("No changes."), "{}", run.all());
}

/// `apply --auto-approve`, asserted to have completed.
pub async fn apply_ok(url: &str, dir: &Path, extra: &[&str]) -> Run {
    assert_applied(apply(url, dir, &[&["--auto-approve"], extra].concat()).await)
}

/// `plan --detailed-exitcode`, asserted to show no changes.
pub async fn assert_converged(url: &str, dir: &Path, extra: &[&str]) {
    assert_no_changes(&plan(url, dir, &[&["--detailed-exitcode"], extra].concat()).await);
}

/// Sends `signal` (`INT`, `TERM`, `KILL`) to process `pid`.
pub fn signal(pid: u32, signal: &str) {
    let status = std::process::Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .status()
        .expect("kill runs");
    assert!(status.success(), "kill -{signal} {pid}");
}
