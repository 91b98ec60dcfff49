//! The `ddhooks` binary with its stderr on a pseudo-terminal (what a person at a terminal
//! sees: progress, colours), stdout still a pipe.

use super::cli::{Run, API_KEY, APP_KEY, BIN};
use std::io::Read;
use std::os::fd::{FromRawFd, OwnedFd};
use std::process::{Command, Stdio};

/// Runs `ddhooks ARGS…` with stderr on a new pseudo-terminal and `env` added (the keys and
/// no `NO_COLOR`, `RUST_LOG`, `DD_SITE`, `DD_HOST` from outside); returns what it wrote,
/// the terminal's bytes as `stderr`.
pub async fn run_on_a_terminal(args: &[&str], env: &[(&str, &str)]) -> Run {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let run = tokio::task::spawn_blocking(move || blocking(&args, &env));
    tokio::time::timeout(super::cli::HANG_GUARD, run)
        .await
        .expect("the child on a terminal hung")
        .expect("the pty thread")
}

fn blocking(args: &[String], env: &[(String, String)]) -> Run {
    let (mut master, slave) = open_pty();
    let mut cmd = Command::new(&*BIN);
    cmd.args(args)
        .env("DD_API_KEY", API_KEY)
        .env("DD_APP_KEY", APP_KEY)
        .env_remove("NO_COLOR")
        .env_remove("RUST_LOG")
        .env_remove("DD_SITE")
        .env_remove("DD_HOST")
        .env_remove("GITHUB_ACTIONS")
        .env("TERM", "xterm-256color")
        .env("COLUMNS", "120")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(slave));
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("ddhooks starts");
    // The child holds the terminal's other end now; ours must close, so that reading
    // ends (with EIO) when the child exits.
    drop(cmd);
    let reader = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let mut buf = [0u8; 8192];
        loop {
            match master.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => bytes.extend_from_slice(&buf[..n]),
            }
        }
        bytes
    });
    let mut stdout = String::new();
    if let Some(mut out) = child.stdout.take() {
        let _ = out.read_to_string(&mut stdout);
    }
    let status = child.wait().expect("child status");
    let terminal = reader.join().expect("pty reader");
    Run {
        code: status.code().unwrap_or(-1),
        stdout,
        stderr: String::from_utf8_lossy(&terminal).into_owned(),
    }
}

/// A new pseudo-terminal: (master as a file to read, slave as an fd for the child).
fn open_pty() -> (std::fs::File, OwnedFd) {
    let (mut master, mut slave) = (0, 0);
    // SAFETY: openpty writes two valid fds on success; the name, termios and winsize
    // arguments may be null.
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: both fds were just opened and are owned by nobody else.
    unsafe {
        (
            std::fs::File::from_raw_fd(master),
            OwnedFd::from_raw_fd(slave),
        )
    }
}
