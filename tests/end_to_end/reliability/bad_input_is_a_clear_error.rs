//! Bad input: malformed, truncated, huge and never-ending API answers are clear errors of
//! the binary, naming what it was reading, never panics nor hangs; plain `http://` outside
//! loopback is refused before any request.

use crate::kit::cli::{self, Run};
use crate::kit::fixtures::write_manifests;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Reads a request head; answers its path.
async fn request_path(stream: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let head = String::from_utf8_lossy(&head);
    head.split_whitespace().nth(1).unwrap_or("").to_string()
}

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
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let path = request_path(&mut stream).await;
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
            });
        }
    });
    format!("http://{addr}/")
}

/// A bad answer, and what the error must say about it.
struct Case {
    name: &'static str,
    respond: fn() -> Vec<Vec<u8>>,
    hang: bool,
    says: &'static str,
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "malformed JSON",
            respond: || ok_with(b"{\"name\": \"x\", "),
            hang: false,
            says: "answer could not be read",
        },
        Case {
            name: "wrong types",
            respond: || ok_with(b"{\"name\": 5, \"url\": []}"),
            hang: false,
            says: "answer could not be read",
        },
        Case {
            name: "HTML instead of JSON",
            respond: || ok_with(b"<html>502 Bad Gateway</html>"),
            hang: false,
            says: "answer could not be read",
        },
        Case {
            name: "empty body",
            respond: || ok_with(b""),
            hang: false,
            says: "answer could not be read",
        },
        Case {
            name: "truncated body",
            respond: || {
                vec![b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{\"name\": \"x\"".to_vec()]
            },
            hang: false,
            says: "cannot reach",
        },
        Case {
            name: "huge body",
            respond: || {
                let mut chunks = vec![b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n[".to_vec()];
                chunks.extend(std::iter::repeat(vec![b' '; 1 << 20]).take(65));
                chunks
            },
            hang: false,
            says: "larger than 64 MiB",
        },
        Case {
            name: "not HTTP",
            respond: || vec![b"SSH-2.0-OpenSSH\r\n".to_vec()],
            hang: false,
            says: "cannot reach",
        },
        Case {
            name: "never answers",
            respond: Vec::new,
            hang: true,
            says: "timed out",
        },
        Case {
            name: "5xx without a body",
            respond: || vec![b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n".to_vec()],
            hang: false,
            says: "answered 502",
        },
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
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let count = Arc::new(AtomicUsize::new(0));
    let counted = count.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            drop(stream);
        }
    });
    (url, count)
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
        assert!(
            run.stderr.contains("refusing plain http://"),
            "{url}: {}",
            run.all()
        );
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
