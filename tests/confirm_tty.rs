//! `ddhooks apply` on a terminal shows the plan and asks; only `yes` applies. Runs the binary
//! under a pseudo-terminal with util-linux `script`; skips (and says so) where it is absent.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};

struct Sandbox(Child, String);

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn sandbox() -> Sandbox {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ddhooks"))
        .args(["sandbox", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("sandbox starts");
    let mut line = String::new();
    let stdout = child.stdout.take().expect("stdout");
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("first line");
    let url = line.trim().trim_start_matches("listening on ").to_string();
    Sandbox(child, url)
}

/// Runs `ddhooks apply` under a pty, typing `answer`; returns what the terminal showed.
fn apply_typing(dir: &std::path::Path, url: &str, answer: &str) -> String {
    let bin = env!("CARGO_BIN_EXE_ddhooks");
    let cmd = format!("{bin} apply {} --api-url {url} --no-color", dir.display());
    let mut child = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .env("DD_API_KEY", "tty-test-key")
        .env("DD_APP_KEY", "tty-test-app-key")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("script runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(format!("{answer}\n").as_bytes())
        .expect("type the answer");
    let out = child.wait_with_output().expect("script ends");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn apply_on_a_terminal_asks_and_only_yes_applies() {
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("skipped: util-linux `script` is not installed, so no pseudo-terminal");
        return;
    }
    let sandbox = sandbox();
    let tmp = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        tmp.path().join("hooks.yaml"),
        "webhooks:\n  tty-hook:\n    url: https://example.com/hook\n",
    )
    .expect("manifest");

    let refused = apply_typing(tmp.path(), &sandbox.1, "no");
    assert!(
        refused.contains("+ webhook.tty-hook will be created"),
        "{refused}"
    );
    assert!(
        refused.contains("Do you want to apply these changes?"),
        "{refused}"
    );
    assert!(
        refused.contains("Apply cancelled; nothing was changed."),
        "{refused}"
    );

    let applied = apply_typing(tmp.path(), &sandbox.1, "yes");
    assert!(
        applied.contains("Apply complete: 1 created, 0 updated, 0 deleted."),
        "{applied}"
    );
}
