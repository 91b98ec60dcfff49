//! Regression tests, through the real binary, for inputs that used to crash it (issue #10): a server's
//! rate-limit headers that panicked the client, and a manifest whose template nesting
//! overflowed the stack.

use crate::kit::cli;
use crate::kit::fixtures::Workspace;
use crate::kit::loopback;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// Reads one request's head (and drops any body), answers it as Datadog would for an
/// empty org, with `headers` added, and closes the connection.
async fn answer(mut stream: TcpStream, headers: &'static str) {
    let Some(head) = loopback::read_head(&mut stream).await else {
        return;
    };
    let path = loopback::request_target(&head);
    let (status, body) = if path.starts_with("/api/v1/monitor") {
        ("200 OK", "[]")
    } else if path.contains("/custom-variables") {
        (
            "404 Not Found",
            r#"{"errors":["Custom variable does not exist"]}"#,
        )
    } else {
        ("404 Not Found", r#"{"errors":["Webhook does not exist"]}"#)
    };
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{headers}Connection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// A server on `127.0.0.1:0` that answers every request with `headers`; its base URL.
async fn server_with_headers(headers: &'static str) -> String {
    let addr = loopback::serve(move |stream| answer(stream, headers)).await;
    format!("http://{addr}")
}

const MANIFEST: &str = r#"
webhooks:
  crash-test:
    url: https://example.com/hooks/$ALERT_ID
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limit_headers_that_overflow_a_u32_do_not_panic_plan() {
    let base = server_with_headers(
        "X-RateLimit-Limit: 100000000000000\r\nX-RateLimit-Remaining: 4294967296\r\nX-RateLimit-Reset: 10\r\n",
    )
    .await;
    let ws = Workspace::new();
    ws.write("hooks.yaml", MANIFEST);
    let out = cli::plan(&base, &ws.manifests(), &["--max-retries", "1"]).await;
    assert_ne!(out.code, 101, "ddhooks panicked:\n{}", out.all());
    assert!(matches!(out.code, 0..=2), "unexpected exit:\n{}", out.all());
    assert!(
        out.stdout.contains("crash-test"),
        "the plan names the webhook to create:\n{}",
        out.all()
    );
}

#[tokio::test]
async fn validate_reports_too_deep_section_nesting_at_its_position() {
    const DEPTH: usize = 200_000;
    let text = format!(
        "{}@webhook-crash-test{}",
        "{{#is_alert}}".repeat(DEPTH),
        "{{/is_alert}}".repeat(DEPTH)
    );
    let manifest = format!(
        "{MANIFEST}\nmonitor_notifications:\n  deep:\n    monitors:\n      ids: [1]\n    text: \"{text}\"\n"
    );
    let ws = Workspace::new();
    ws.write("deep.yaml", &manifest);
    let manifests = ws.manifests();
    let out = cli::ddhooks(&["validate", manifests.to_str().expect("utf-8 path")]).await;
    assert_eq!(out.code, 1, "{}", out.all());
    let all = out.all();
    // Level 101 opens after 100 openers of the text, which starts at column 12 of line 10.
    let at = format!("deep.yaml:10:{}: error:", 12 + 100 * "{{#is_alert}}".len());
    assert!(all.contains(&at), "no located error `{at}`:\n{all}");
    assert!(
        all.contains("100 levels"),
        "the error names the limit:\n{all}"
    );
}
