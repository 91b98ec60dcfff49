//! The sandbox's knobs: latency, fail rate (5xx and dropped connections), rate limits,
//! `--max-variable-bytes` and the lossy webhook-write mode.

mod support;

use ddhooks::sandbox::faults::RateLimit;
use ddhooks::sandbox::SandboxConfig;
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::time::{Duration, Instant};
use support::Harness;

const VARIABLES: &str = "/api/v1/integration/webhooks/configuration/custom-variables";
const WEBHOOKS: &str = "/api/v1/integration/webhooks/configuration/webhooks";

#[tokio::test]
async fn latency_is_added_to_api_responses_only() {
    let h = Harness::start(SandboxConfig {
        latency: Duration::from_millis(150),
        ..Default::default()
    })
    .await;
    let started = Instant::now();
    let (status, _) = h.call(Method::GET, "/api/v1/validate", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_millis(150));
    // The simulation interface is never slowed down; only a lower bound is asserted above,
    // so this checks that no latency is *added*, with a generous margin.
    let started = Instant::now();
    h.sim_get("/sandbox/v1/requests").await;
    assert!(started.elapsed() < Duration::from_millis(150));
}

#[tokio::test]
async fn fail_rate_one_fails_every_request_with_5xx_and_drops() {
    let h = Harness::start(SandboxConfig {
        fail_rate: 1.0,
        seed: Some(7),
        ..Default::default()
    })
    .await;
    let (mut server_errors, mut drops) = (0, 0);
    for _ in 0..40 {
        match h
            .req(Method::POST, VARIABLES)
            .json(&json!({"name": "X", "value": "v", "is_secret": false}))
            .send()
            .await
        {
            Ok(resp) => {
                assert!(
                    resp.status() == StatusCode::INTERNAL_SERVER_ERROR
                        || resp.status() == StatusCode::SERVICE_UNAVAILABLE,
                    "{}",
                    resp.status()
                );
                let (_, body) = support::decode(resp).await;
                assert!(body["errors"].is_array());
                server_errors += 1;
            }
            Err(err) => {
                assert!(!err.is_timeout(), "{err}");
                drops += 1;
            }
        }
    }
    assert!(server_errors > 0, "some 5xx");
    assert!(drops > 0, "some dropped connections");
    // Faults never reach the simulation interface; failed requests are still counted.
    let log = h.sim_get("/sandbox/v1/requests").await;
    assert_eq!(log["total"], 40);
}

#[tokio::test]
async fn fail_rate_zero_point_five_lets_some_through() {
    let h = Harness::start(SandboxConfig {
        fail_rate: 0.5,
        seed: Some(3),
        ..Default::default()
    })
    .await;
    let mut ok = 0;
    for _ in 0..30 {
        if let Ok(resp) = h.req(Method::GET, "/api/v1/validate").send().await {
            if resp.status() == StatusCode::OK {
                ok += 1;
            }
        }
    }
    assert!(ok > 0 && ok < 30, "{ok}");
}

#[tokio::test]
async fn rate_limit_answers_429_with_headers_on_every_response() {
    let h = Harness::start(SandboxConfig {
        rate_limit: Some(RateLimit {
            limit: 3,
            period_secs: 60,
        }),
        ..Default::default()
    })
    .await;
    let mut statuses = Vec::new();
    for i in 0..5 {
        let resp = h.req(Method::GET, "/api/v1/validate").send().await.unwrap();
        let headers = resp.headers().clone();
        for name in [
            "x-ratelimit-limit",
            "x-ratelimit-period",
            "x-ratelimit-remaining",
            "x-ratelimit-reset",
            "x-ratelimit-name",
        ] {
            assert!(headers.contains_key(name), "response {i} lacks {name}");
        }
        assert_eq!(headers["x-ratelimit-limit"], "3");
        assert_eq!(headers["x-ratelimit-period"], "60");
        statuses.push(resp.status().as_u16());
        if resp.status() == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(headers["x-ratelimit-remaining"], "0");
            let (_, body) = support::decode(resp).await;
            assert!(body["errors"].is_array());
        }
    }
    assert_eq!(statuses, [200, 200, 200, 429, 429]);
    // The simulation interface is not rate limited and has no rate-limit headers.
    let resp = h
        .http
        .get(format!("{}/sandbox/v1/requests", h.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(!resp.headers().contains_key("x-ratelimit-limit"));
}

#[tokio::test]
async fn max_variable_bytes_rejects_long_values() {
    let h = Harness::start(SandboxConfig {
        max_variable_bytes: Some(8),
        ..Default::default()
    })
    .await;
    let (status, _) = h
        .call(
            Method::POST,
            VARIABLES,
            Some(json!({"name": "OK", "value": "12345678", "is_secret": false})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "exactly the limit is fine");
    let (status, body) = h
        .call(
            Method::POST,
            VARIABLES,
            Some(json!({"name": "LONG", "value": "123456789", "is_secret": false})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["errors"][0].as_str().unwrap().contains("too long"));
    let (status, _) = h
        .call(
            Method::PUT,
            &format!("{VARIABLES}/OK"),
            Some(json!({"value": "123456789"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (_, body) = h.call(Method::GET, &format!("{VARIABLES}/OK"), None).await;
    assert_eq!(
        body["value"], "12345678",
        "the rejected update stored nothing"
    );
}

/// Creates two webhooks at the same time; answers how many of them are stored afterwards.
async fn concurrent_creates(h: &Harness, round: usize) -> usize {
    let names = [format!("a{round}"), format!("b{round}")];
    let a = h
        .req(Method::POST, WEBHOOKS)
        .json(&json!({"name": names[0], "url": "https://a"}))
        .send();
    let b = h
        .req(Method::POST, WEBHOOKS)
        .json(&json!({"name": names[1], "url": "https://b"}))
        .send();
    let (ra, rb) = tokio::join!(a, b);
    assert_eq!(ra.unwrap().status(), StatusCode::CREATED);
    assert_eq!(rb.unwrap().status(), StatusCode::CREATED);
    let mut present = 0;
    for name in &names {
        let (status, _) = h
            .call(Method::GET, &format!("{WEBHOOKS}/{name}"), None)
            .await;
        if status == StatusCode::OK {
            present += 1;
        }
    }
    present
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lossy_mode_loses_one_of_two_concurrent_writes() {
    let lossy = Harness::start(SandboxConfig {
        lossy_webhook_writes: true,
        ..Default::default()
    })
    .await;
    // Overlap is a matter of timing, so allow a few rounds on a slow machine.
    let mut lost = false;
    for round in 0..5 {
        if concurrent_creates(&lossy, round).await == 1 {
            lost = true;
            break;
        }
    }
    assert!(lost, "both answered 201 but one write overwrote the other");
    let safe = Harness::start(Default::default()).await;
    for round in 0..3 {
        assert_eq!(
            concurrent_creates(&safe, round).await,
            2,
            "without the mode both stay"
        );
    }
}
