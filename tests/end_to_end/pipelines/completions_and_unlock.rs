//! `ddhooks completions SHELL` prints a script that knows every verb and flag, and
//! `ddhooks unlock` releases an apply lock whose holder is gone, never one whose holder runs.

use crate::kit::cli;
use crate::kit::sandbox::Sandbox;
use ddhooks::apply::lock::host_name;
use ddhooks::registry::LOCK_VARIABLE;
use serde_json::{json, Value};

#[tokio::test]
async fn completions_know_every_verb_and_flag_in_every_shell() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let run = cli::ddhooks(&["completions", shell]).await;
        assert_eq!(run.code, 0, "{shell}: {}", run.all());
        for word in [
            "unlock",
            "validate",
            "completions",
            "detailed-exitcode",
            "api-url",
        ] {
            assert!(run.stdout.contains(word), "{shell} completes `{word}`");
        }
    }
    let bash = cli::ddhooks(&["completions", "bash"]).await;
    assert!(
        bash.stdout.contains("complete -F _ddhooks"),
        "a bash completion script"
    );
    // The script is valid bash, where bash is installed.
    if let Ok(out) = std::process::Command::new("bash")
        .args(["-n", "-c", &bash.stdout])
        .output()
    {
        assert!(
            out.status.success(),
            "bash -n: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let unknown = cli::ddhooks(&["completions", "tcsh"]).await;
    assert_eq!(unknown.code, 2, "{}", unknown.all());
    unknown.assert_stderr_shows(&["possible values"]);
}

/// A `DDHOOKS_LOCK` variable held by process `pid` of `host`, expiring in `ttl` seconds.
fn lock_variable(host: &str, pid: u32, ttl: i64) -> Value {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    json!({"name": LOCK_VARIABLE, "is_secret": false, "value": json!({
        "format": "ddhooks-lock/1", "owner": format!("{host}:{pid}:cafe"), "host": host,
        "pid": pid, "since": "2026-01-01T00:00:00Z", "expires": now + ttl}).to_string()})
}

async fn unlock(sandbox: &Sandbox, extra: &[&str]) -> cli::Run {
    let mut cmd = cli::command(&["unlock", "--api-url", &sandbox.base]);
    cmd.args(extra);
    cli::run(cmd).await
}

/// A pid that no process of this host has (the highest pid the kernel hands out is lower).
fn dead_pid() -> u32 {
    let max: u32 = std::fs::read_to_string("/proc/sys/kernel/pid_max")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(4_194_304);
    max + 1
}

#[tokio::test]
async fn unlock_removes_a_lock_whose_holder_is_gone_and_refuses_a_running_one() {
    let sandbox = Sandbox::start(Default::default()).await;
    let host = host_name();

    let none = unlock(&sandbox, &["--yes"]).await;
    none.assert_exit_shows(0, &["No apply lock"]);

    // Held by this very test process, which runs: refused, even with --yes.
    sandbox
        .create_variable(lock_variable(&host, std::process::id(), 600))
        .await;
    let running = unlock(&sandbox, &["--yes"]).await;
    running.assert_exit_shows(
        1,
        &[
            &format!("process: {}", std::process::id()),
            &format!("host: {host}"),
            "taken: 2026-01-01T00:00:00Z",
            "still running",
        ],
    );
    assert!(
        sandbox.variable(LOCK_VARIABLE).await.is_some(),
        "left in place"
    );

    // Held by a process of this host that is gone: shown, and removed with --yes.
    let path = format!("{}/{LOCK_VARIABLE}", crate::kit::sandbox::VARIABLES);
    sandbox.delete(&path).await;
    sandbox
        .create_variable(lock_variable(&host, dead_pid(), 600))
        .await;
    // Without a terminal and without --yes, nothing is removed.
    let unconfirmed = unlock(&sandbox, &[]).await;
    assert_eq!(unconfirmed.code, 1, "{}", unconfirmed.all());
    unconfirmed.assert_stderr_shows(&["pass --yes"]);
    assert!(sandbox.variable(LOCK_VARIABLE).await.is_some());

    let gone = unlock(&sandbox, &["--yes"]).await;
    gone.assert_exit_shows(
        0,
        &[
            &format!("process: {}", dead_pid()),
            "ago)",
            "expires in",
            "Removed the apply lock",
        ],
    );
    assert!(sandbox.variable(LOCK_VARIABLE).await.is_none(), "removed");

    // Held on another host and expired: removed; the output says it expired.
    sandbox
        .create_variable(lock_variable("elsewhere", 7, -30))
        .await;
    let expired = unlock(&sandbox, &["--yes"]).await;
    expired.assert_exit_shows(
        0,
        &[
            "host: elsewhere",
            "expired ",
            "s ago",
            "Removed the apply lock",
        ],
    );

    // A variable of that name that is not a ddhooks lock is never removed.
    sandbox
        .create_variable(json!({"name": LOCK_VARIABLE, "is_secret": false, "value": "mine"}))
        .await;
    let foreign = unlock(&sandbox, &["--yes"]).await;
    assert_eq!(foreign.code, 1, "{}", foreign.all());
    foreign.assert_stderr_shows(&["not a ddhooks lock"]);
    assert!(sandbox.variable(LOCK_VARIABLE).await.is_some());
}
