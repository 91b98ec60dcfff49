//! `ddhooks sandbox` through the real binary: it prints the bound address first and serves.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn binary_serves_on_the_printed_address() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("state.json");
    let mut child = Child(
        Command::new(env!("CARGO_BIN_EXE_ddhooks"))
            .args(["sandbox", "--listen", "127.0.0.1:0", "--data"])
            .arg(&data)
            .args(["--rate-limit", "100/10"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("binary starts"),
    );
    let stdout = child.0.stdout.take().expect("stdout");
    let first = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).map(|_| line)
    })
    .await
    .unwrap()
    .unwrap();
    let base = first
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line: {first:?}"))
        .to_string();
    let http = reqwest::Client::new();
    let resp = http
        .post(format!(
            "{base}/api/v1/integration/webhooks/configuration/webhooks"
        ))
        .header("DD-API-KEY", "k")
        .header("DD-APPLICATION-KEY", "a")
        .json(&serde_json::json!({"name": "cli", "url": "https://example.com"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    assert_eq!(resp.headers()["x-ratelimit-limit"], "100");
    assert!(data.exists(), "--data file written");
    drop(child);
}

#[test]
fn bad_flags_are_rejected() {
    let out = Command::new(env!("CARGO_BIN_EXE_ddhooks"))
        .args(["sandbox", "--listen", "127.0.0.1:0", "--fail-rate", "2"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let out = Command::new(env!("CARGO_BIN_EXE_ddhooks"))
        .args(["sandbox", "--listen", "127.0.0.1:0", "--rate-limit", "10"])
        .output()
        .unwrap();
    assert!(!out.status.success());
}
