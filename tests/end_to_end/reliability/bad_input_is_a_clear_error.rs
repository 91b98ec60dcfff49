//! Bad input: malformed, truncated, huge and never-ending API answers are clear errors of
//! the binary, naming what it was reading, never panics nor hangs; plain `http://` outside
//! loopback is refused before any request.

use crate::kit::cli::{self, Run};
use crate::kit::fixtures::write_manifests;
use crate::kit::loopback;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::io::AsyncWriteExt;

fn answer(status: &str, body: &[u8]) -> Vec<Vec<u8>> {
    vec![
        format!(
            "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
            body.len()
        )
        .into_bytes(),
        body.to_vec(),
    ]
}

fn ok_with(body: &'static [u8]) -> Vec<Vec<u8>> {
    answer("200 OK", body)
}

/// A loopback "API" that answers requests for paths starting with `target` with
/// `respond()` (raw bytes; or never, when `hang`), and every other request as a healthy
/// Datadog would for an empty org: an empty monitor listing, 404 for anything named.
async fn raw_server(target: &'static str, respond: fn() -> Vec<Vec<u8>>, hang: bool) -> String {
    let addr = loopback::serve(move |mut stream| async move {
        let Some(head) = loopback::read_head(&mut stream).await else {
            return;
        };
        let path = loopback::request_target(&head);
        let chunks = if path.starts_with(target) {
            if hang {
                std::future::pending::<()>().await;
            }
            respond()
        } else if path.starts_with("/api/v1/monitor") {
            answer("200 OK", b"[]")
        } else {
            answer("404 Not Found", b"{\"errors\": [\"Not found\"]}")
        };
        for chunk in chunks {
            if stream.write_all(&chunk).await.is_err() {
                return;
            }
        }
        let _ = stream.shutdown().await;
    })
    .await;
    format!("http://{addr}/")
}

/// A bad answer, and what the error must say about it.
struct Case {
    name: &'static str,
    respond: fn() -> Vec<Vec<u8>>,
    hang: bool,
    says: &'static str,
}

impl Case {
    /// A bad answer sent at once: every case but the one that never answers.
    fn at_once(name: &'static str, respond: fn() -> Vec<Vec<u8>>, says: &'static str) -> Case {
        Case {
            name,
            respond,
            hang: false,
            says,
        }
    }
}

/// What the error says of an answer that is not the JSON it should be.
const UNREADABLE: &str = "answer could not be read";

fn cases() -> Vec<Case> {
    vec![
        Case::at_once(
            "malformed JSON",
            || ok_with(b"{\"name\": \"x\", "),
            UNREADABLE,
        ),
        Case::at_once(
            "wrong types",
            || ok_with(b"{\"name\": 5, \"url\": []}"),
            UNREADABLE,
        ),
        Case::at_once(
            "HTML instead of JSON",
            || ok_with(b"<html>502 Bad Gateway</html>"),
            UNREADABLE,
        ),
        Case::at_once("empty body", || ok_with(b""), UNREADABLE),
        Case::at_once(
            "truncated body",
            || {
                vec![b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{\"name\": \"x\"".to_vec()]
            },
            "cannot reach",
        ),
        Case::at_once(
            "huge body",
            || {
                let mut chunks = vec![b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n[".to_vec()];
                chunks.extend(std::iter::repeat(vec![b' '; 1 << 20]).take(65));
                chunks
            },
            "larger than 64 MiB",
        ),
        Case::at_once(
            "not HTTP",
            || vec![b"SSH-2.0-OpenSSH\r\n".to_vec()],
            "cannot reach",
        ),
        Case {
            name: "never answers",
            respond: Vec::new,
            hang: true,
            says: "timed out",
        },
        Case::at_once(
            "5xx without a body",
            || vec![b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n".to_vec()],
            "answered 502",
        ),
    ]
}

/// `ddhooks plan` of a manifest naming webhook `x`, against `url`. Only a case that is
/// about time gets a short `--timeout` (waiting it out is a lower bound); the others get
/// one no loaded machine reaches, so that they fail the way the case says, not by timing.
async fn plan_against(url: &str, dir: &Path, case: &Case) -> Run {
    let timeout = if case.hang { "1" } else { "300" };
    cli::plan(url, dir, &["--max-retries", "1", "--timeout", timeout]).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_api_responses_are_clear_errors_never_panics_or_hangs() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("hooks.yaml"),
        "webhooks:\n  x:\n    url: https://example.com/x\n",
    )
    .unwrap();
    let targets = [
        (
            "/api/v1/integration/webhooks/configuration/webhooks/x",
            "webhook x",
        ),
        ("/api/v1/monitor", "monitor list page 0"),
    ];
    for case in cases() {
        // The webhook read meets the bad answer; then the monitor listing meets it the
        // same way, while everything else is answered as a healthy API would.
        for (target, object) in targets {
            let url = raw_server(target, case.respond, case.hang).await;
            let run = plan_against(&url, tmp.path(), &case).await;
            let what = format!("{} on {object}", case.name);
            assert_eq!(run.code, 1, "{what}: an error, not a panic:\n{}", run.all());
            assert!(!run.stderr.contains("panicked"), "{what}:\n{}", run.all());
            assert!(
                run.stderr.contains(case.says),
                "{what}: the error says `{}`:\n{}",
                case.says,
                run.all()
            );
            assert!(
                run.stderr.contains(object),
                "{what}: the error names the object:\n{}",
                run.all()
            );
        }
    }
}

/// A loopback listener that counts the connections made to it (and closes them).
async fn counting_listener() -> (String, Arc<AtomicUsize>) {
    let count = Arc::new(AtomicUsize::new(0));
    let counted = count.clone();
    let addr = loopback::serve(move |stream| {
        counted.fetch_add(1, Ordering::SeqCst);
        drop(stream);
        async {}
    })
    .await;
    (format!("http://{addr}"), count)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_outside_loopback_is_refused_before_any_request() {
    // Every connection ddhooks would make goes through a proxy of ours, which counts them:
    // a refused URL must not cost one.
    let (proxy, connections) = counting_listener().await;
    let tmp = tempfile::tempdir().unwrap();
    // Manifests are read first; use a valid directory to reach the connection step.
    write_manifests(tmp.path(), &["payments"], "");
    let plan = |url: &str| {
        let mut cmd = cli::verb(
            "plan",
            url,
            tmp.path(),
            &["--max-retries", "0", "--timeout", "300"],
        );
        for var in [
            "HTTP_PROXY",
            "HTTPS_PROXY",
            "ALL_PROXY",
            "http_proxy",
            "https_proxy",
            "all_proxy",
        ] {
            cmd.env(var, &proxy);
        }
        cmd.env_remove("NO_PROXY").env_remove("no_proxy");
        cli::run(cmd)
    };
    for url in [
        "http://example.com",
        "http://10.1.2.3:8126",
        "http://[2001:db8::1]/",
    ] {
        let run = plan(url).await;
        assert_eq!(run.code, 1, "{url}: {}", run.all());
        run.assert_stderr_shows(&["refusing plain http://"]);
        assert_eq!(
            connections.load(Ordering::SeqCst),
            0,
            "{url}: refused without trying to connect"
        );
    }
    // https anywhere is accepted: it does try to connect (through the proxy, which hangs
    // up), and that is what the proxy counts.
    let run = plan("https://10.1.2.3").await;
    assert_eq!(run.code, 1, "{}", run.all());
    run.assert_stderr_hides(&["refusing plain http://"]);
    assert!(
        connections.load(Ordering::SeqCst) >= 1,
        "the proxy sees the connections ddhooks makes: {}",
        run.all()
    );
    // http to loopback is accepted (nothing listens on port 1: it cannot reach it).
    let run = plan("http://127.0.0.1:1").await;
    assert_eq!(run.code, 1, "{}", run.all());
    run.assert_stderr_hides(&["refusing plain http://"]);
    run.assert_stderr_shows(&["cannot reach"]);
}
