//! `ddhooks sandbox` through the real binary: it prints the bound address first and serves,
//! with its flags; bad flags are refused.

use crate::kit::cli;
use crate::kit::sandbox::{Sandbox, WEBHOOKS};
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn binary_serves_on_the_printed_address() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("state.json");
    let data_arg = data.to_str().expect("utf-8 path");
    // `spawn` fails unless the first line is `listening on URL`.
    let sandbox = Sandbox::spawn(&["--data", data_arg, "--rate-limit", "100/10"]).await;
    let resp = sandbox
        .req(Method::POST, WEBHOOKS)
        .json(&json!({"name": "cli", "url": "https://example.com"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    assert_eq!(resp.headers()["x-ratelimit-limit"], "100");
    assert!(data.exists(), "--data file written");
    sandbox.stop().await;
}

#[tokio::test]
async fn bad_flags_are_rejected() {
    for flags in [["--fail-rate", "2"], ["--rate-limit", "10"]] {
        let run =
            cli::ddhooks(&[&["sandbox", "--listen", "127.0.0.1:0"], &flags[..]].concat()).await;
        assert_ne!(run.code, 0, "{flags:?}:\n{}", run.all());
    }
}
