//! Bad input never panics nor hangs: property tests of the manifest loader and of the
//! message-template parser on arbitrary and near-valid text; malformed, truncated, huge and
//! never-ending API responses are clear errors; plain HTTP outside loopback is refused.

mod reliability_common;

use ddhooks::datadog::{ApiError, Client, ClientOptions, Credentials};
use ddhooks::manifest::{self, LoadOptions, Source};
use ddhooks::template;
use proptest::prelude::*;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Pieces of manifests: valid keys, wrong types, YAML oddities (anchors, tags, flow
/// collections, multi-documents, deep nesting), env references and templates.
fn yaml_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("custom_variables:\n".to_string()),
        Just("webhook_pairs:\n".to_string()),
        Just("webhooks:\n".to_string()),
        Just("monitor_notifications:\n".to_string()),
        Just("  DD_API_KEY:\n    value: ${env:DD_API_KEY}\n    secret: true\n".to_string()),
        Just("  g:\n    check: g.status\n    statuses: {alert: 2, recovery: 0, warning: 9}\n".to_string()),
        Just("  g:\n    monitors: {ids: [1, -2, 99999999999999999999], tags: [\"a:b\"]}\n    pair: g\n".to_string()),
        Just("  w:\n    url: https://x/$ALERT_ID\n    payload: {a: [1, {b: null}]}\n    custom_headers: {A: $X}\n".to_string()),
        Just("    text: \"<<#is_alert>> @webhook-g-alert-check <</is_alert>>\"\n".to_string()),
        Just("    notify: {\"is_priority 'P9'\": [\"@x\"], \"^is_nothing\": 3}\n".to_string()),
        Just("&a [*a, *a]\n".to_string()),
        Just("x: !!binary aGVsbG8=\n".to_string()),
        Just("---\n...\n---\n".to_string()),
        Just("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\n".to_string()),
        Just("? complex\n: key\n".to_string()),
        Just("\t\u{feff}\u{0}\r\n".to_string()),
        Just("    renamed_from: ${env:\n".to_string()),
        "[ -~\\n]{0,40}",
        "\\PC{0,20}",
    ]
}

fn yaml_text() -> impl Strategy<Value = String> {
    prop::collection::vec(yaml_piece(), 0..12).prop_map(|v| v.concat())
}

fn options() -> LoadOptions {
    LoadOptions {
        env: Arc::new(|name: &str| (name == "DD_API_KEY").then(|| "k".to_string())),
        ..LoadOptions::default()
    }
}

/// Pieces of monitor messages: every kind of tag, unbalanced and nested, markers.
fn message_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("{{#is_alert}}".to_string()),
        Just("{{/is_alert}}".to_string()),
        Just("{{^is_recovery}}".to_string()),
        Just("{{#is_priority 'P1'}}".to_string()),
        Just("{{#is_match \"a\" \"b\"}}".to_string()),
        Just("{{/is_match}}".to_string()),
        Just("{{!-- ddhooks:begin g --}}".to_string()),
        Just("{{!-- ddhooks:end g --}}".to_string()),
        Just("{{!-- ddhooks:begin  --}}".to_string()),
        Just("{{!--".to_string()),
        Just("--}}".to_string()),
        Just("{{{".to_string()),
        Just("}}".to_string()),
        Just("@webhook-".to_string()),
        Just("@webhook-a(b) ".to_string()),
        Just("$ALERT_ID ${X} $".to_string()),
        "[{}#^/!@$ a-z_\\-]{0,12}",
        "\\PC{0,10}",
    ]
}

fn message() -> impl Strategy<Value = String> {
    prop::collection::vec(message_piece(), 0..16).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn the_manifest_loader_never_panics(texts in prop::collection::vec(yaml_text(), 1..3)) {
        let sources: Vec<Source> = texts
            .into_iter()
            .enumerate()
            .map(|(i, text)| Source { path: PathBuf::from(format!("m{i}.yaml")), text })
            .collect();
        let _ = manifest::load_sources(&sources, &options());
    }

    #[test]
    fn the_manifest_loader_never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let _ = manifest::load_sources(&[Source { path: PathBuf::from("x.yaml"), text }], &options());
    }

    #[test]
    fn the_template_code_never_panics(msg in message()) {
        let _ = template::parse(&msg);
        let _ = template::find_blocks(&msg);
        let _ = template::without_blocks(&msg);
        let _ = template::handles(&msg);
        let _ = template::scan_variables(&msg);
        if let Ok(with) = template::set_block(&msg, "g", Some("{{#is_alert}} @webhook-g-alert-check {{/is_alert}}")) {
            prop_assert!(template::find_blocks(&with).is_ok());
            let back = template::set_block(&with, "g", None);
            prop_assert!(back.is_ok());
        }
        let _ = template::line_column(&msg, msg.len() / 2);
    }
}

/// Serves every connection with `respond` (raw bytes written after the request is read).
async fn raw_server(respond: fn() -> Vec<Vec<u8>>, hang: bool) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let _ = stream.read(&mut buf).await;
                if hang {
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                }
                for chunk in respond() {
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

fn client(base: &str) -> Client {
    Client::new(
        base.parse().unwrap(),
        Credentials::new("k", "a"),
        ClientOptions {
            timeout: Duration::from_secs(1),
            max_retries: 1,
            base_backoff: Duration::from_millis(10),
            ..ClientOptions::default()
        },
    )
    .unwrap()
}

fn ok_with(body: &'static [u8]) -> Vec<Vec<u8>> {
    vec![
        format!("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n", body.len()).into_bytes(),
        body.to_vec(),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_api_responses_are_clear_errors_never_panics_or_hangs() {
    type Case = (
        &'static str,
        fn() -> Vec<Vec<u8>>,
        bool,
        fn(&ApiError) -> bool,
    );
    let cases: Vec<Case> = vec![
        (
            "malformed JSON",
            || ok_with(b"{\"name\": \"x\", "),
            false,
            |e| matches!(e, ApiError::Decode { .. }),
        ),
        (
            "wrong types",
            || ok_with(b"{\"name\": 5, \"url\": []}"),
            false,
            |e| matches!(e, ApiError::Decode { .. }),
        ),
        (
            "HTML instead of JSON",
            || ok_with(b"<html>502 Bad Gateway</html>"),
            false,
            |e| matches!(e, ApiError::Decode { .. }),
        ),
        (
            "empty body",
            || ok_with(b""),
            false,
            |e| matches!(e, ApiError::Decode { .. }),
        ),
        (
            "truncated body",
            || {
                vec![b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{\"name\": \"x\"".to_vec()]
            },
            false,
            |e| matches!(e, ApiError::Network { .. }),
        ),
        (
            "huge body",
            || {
                let mut chunks = vec![b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n[".to_vec()];
                chunks.extend(std::iter::repeat_n(vec![b' '; 1 << 20], 65));
                chunks
            },
            false,
            |e| matches!(e, ApiError::Decode { detail, .. } if detail.contains("larger than")),
        ),
        (
            "not HTTP",
            || vec![b"SSH-2.0-OpenSSH\r\n".to_vec()],
            false,
            |e| matches!(e, ApiError::Network { .. }),
        ),
        (
            "never answers",
            Vec::new,
            true,
            |e| matches!(e, ApiError::Network { detail, .. } if detail.contains("timed out")),
        ),
        (
            "5xx without a body",
            || vec![b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n".to_vec()],
            false,
            |e| e.status() == Some(502),
        ),
    ];
    for (name, respond, hang, expected) in cases {
        let base = raw_server(respond, hang).await;
        let client = client(&base);
        let started = Instant::now();
        let result = tokio::time::timeout(Duration::from_secs(30), client.get_webhook("x"))
            .await
            .unwrap_or_else(|_| panic!("{name}: the client hung"));
        let err = result.expect_err(name);
        assert!(expected(&err), "{name}: unexpected error {err:?}");
        let text = err.to_string();
        assert!(
            text.contains("webhook x"),
            "{name}: the error names the object: {text}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{name}: took {:?}",
            started.elapsed()
        );
        // A monitor listing meets the same answer the same way.
        let listed = tokio::time::timeout(Duration::from_secs(30), client.list_monitors())
            .await
            .unwrap_or_else(|_| panic!("{name}: listing hung"));
        assert!(listed.is_err(), "{name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_outside_loopback_is_refused_before_any_request() {
    for url in [
        "http://example.com",
        "http://10.1.2.3:8126",
        "http://[2001:db8::1]/",
    ] {
        // Manifests are read first; use a valid directory to reach the connection step.
        let tmp = tempfile::tempdir().unwrap();
        reliability_common::write_manifests(tmp.path(), &["payments"], "");
        let mut cmd = reliability_common::ddhooks(url, &["plan", "--no-color"]);
        cmd.arg(tmp.path());
        let started = Instant::now();
        let out = reliability_common::run(cmd).await;
        assert_eq!(out.code, Some(1), "{url}: {out:?}");
        assert!(
            out.stderr.contains("refusing plain http://"),
            "{url}: {}",
            out.stderr
        );
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "refused without trying to connect"
        );
    }
    // https anywhere and http to loopback are accepted.
    assert!(ddhooks::datadog::base_url("datadoghq.com", Some("https://10.1.2.3")).is_ok());
    assert!(ddhooks::datadog::base_url("datadoghq.com", Some("http://127.0.0.1:1")).is_ok());
}
