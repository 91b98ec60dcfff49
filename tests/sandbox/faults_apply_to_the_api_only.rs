//! The sandbox's knobs: latency, fail rate (5xx and dropped connections), rate limits,
//! `--max-variable-bytes` and the lossy webhook-write mode.

use crate::kit::sandbox::{decode, rule_body, variable_body, Sandbox, RULES, VARIABLES, WEBHOOKS};

use ddhooks::sandbox::faults::{ManualClock, RateLimit};
use ddhooks::sandbox::SandboxConfig;
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::time::{Duration, Instant};

/// A sandbox that fails `fail_rate` of the API requests (5xx answers and dropped
/// connections), its choices drawn from `seed`.
async fn failing(fail_rate: f64, seed: u64) -> Sandbox {
    Sandbox::start(SandboxConfig {
        fail_rate,
        seed: Some(seed),
        ..Default::default()
    })
    .await
}

#[tokio::test]
async fn latency_is_added_to_api_responses_only() {
    let h = Sandbox::start(SandboxConfig {
        latency: Duration::from_millis(150),
        ..Default::default()
    })
    .await;
    let started = Instant::now();
    let (status, _) = h.get("/api/v1/validate").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        started.elapsed() >= Duration::from_millis(150),
        "the answer waited out the latency"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_simulation_interface_answers_while_api_answers_are_held_back() {
    // An API answer held back for a minute: while it is, the simulation interface answers
    // (and counts it). Were the latency added there too, the API answer, asked first,
    // would be out before the simulation's, and the last assertion would fail.
    let h = Sandbox::start(SandboxConfig {
        latency: Duration::from_secs(60),
        ..Default::default()
    })
    .await;
    let held = tokio::spawn(h.req(Method::GET, "/api/v1/validate").send());
    assert_eq!(h.wait_for_count("GET /api/v1/validate", 1).await, 1);
    let log = h.sim_get("/sandbox/v1/requests").await;
    assert_eq!(log["counts"]["GET /api/v1/validate"], 1, "{log}");
    assert!(
        !held.is_finished(),
        "the API answer is still held back after two simulation answers"
    );
    held.abort();
}

#[tokio::test]
async fn fail_rate_one_fails_every_request_with_5xx_and_drops() {
    let h = failing(1.0, 7).await;
    let (mut server_errors, mut drops) = (0, 0);
    for _ in 0..40 {
        match h
            .req(Method::POST, VARIABLES)
            .json(&variable_body("X", "v", false))
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
                let (_, body) = decode(resp).await;
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
    let h = failing(0.5, 3).await;
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

/// A sandbox answering at most `limit` API requests a minute.
async fn rate_limited(limit: u32) -> Sandbox {
    Sandbox::start(SandboxConfig {
        rate_limit: Some(RateLimit {
            limit,
            period_secs: 60,
        }),
        ..Default::default()
    })
    .await
}

#[tokio::test]
async fn rate_limit_answers_429_with_headers_on_every_response() {
    let h = rate_limited(3).await;
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
            let (_, body) = decode(resp).await;
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
async fn a_window_ends_when_the_injected_clock_passes_its_period_or_a_test_starts_a_new_one() {
    let clock = ManualClock::new();
    let h = Sandbox::start(SandboxConfig {
        rate_limit: Some(RateLimit {
            limit: 1,
            period_secs: 60,
        }),
        clock: clock.clone(),
        ..Default::default()
    })
    .await;
    let status = |resp: reqwest::Response| resp.status().as_u16();
    let validate = || h.req(Method::GET, "/api/v1/validate").send();
    assert_eq!(status(validate().await.unwrap()), 200);
    clock.advance(Duration::from_secs(59));
    let limited = validate().await.unwrap();
    assert_eq!(limited.headers()["x-ratelimit-reset"], "1");
    assert_eq!(status(limited), 429);
    clock.advance(Duration::from_secs(1));
    assert_eq!(status(validate().await.unwrap()), 200, "the window ended");
    assert_eq!(status(validate().await.unwrap()), 429);
    h.start_new_rate_limit_window().await;
    assert_eq!(status(validate().await.unwrap()), 200, "a new window");
}

#[tokio::test]
async fn notification_rule_routes_are_rate_limited_and_failed_like_the_rest() {
    let h = rate_limited(2).await;
    let rule = json!({"name": "r", "filter": {"tags": ["team:a"]}, "recipients": ["slack-a"]});
    let id = h.create_rule(rule.clone()).await;
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let resp = h
            .req(Method::GET, &format!("{RULES}/{id}"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.headers()["x-ratelimit-limit"], "2");
        statuses.push(resp.status().as_u16());
    }
    assert_eq!(statuses, [200, 429, 429], "the create used the first of 2");
    let outcomes = h.outcomes().await;
    assert_eq!(
        outcomes["statuses"]["GET /api/v2/monitor/notification_rule/{rule_id}"],
        json!({"200": 1, "429": 2}),
        "{outcomes}"
    );

    let h = failing(1.0, 11).await;
    for _ in 0..20 {
        let sent = h
            .req(Method::POST, RULES)
            .json(&rule_body(rule.clone(), None))
            .send()
            .await;
        if let Ok(resp) = sent {
            assert!(resp.status().is_server_error(), "{}", resp.status());
        }
    }
    let faults = h.outcomes().await["faults"].clone();
    let injected: u64 = faults
        .as_object()
        .unwrap()
        .values()
        .filter_map(|v| v.as_u64())
        .sum();
    assert_eq!(injected, 20, "{faults}");
    assert_eq!(h.requests_total().await, 20);
}

#[tokio::test]
async fn max_variable_bytes_rejects_long_values() {
    let h = Sandbox::start(SandboxConfig {
        max_variable_bytes: Some(8),
        ..Default::default()
    })
    .await;
    let (status, _) = h
        .post(VARIABLES, variable_body("OK", "12345678", false))
        .await;
    assert_eq!(status, StatusCode::CREATED, "exactly the limit is fine");
    let (status, body) = h
        .post(VARIABLES, variable_body("LONG", "123456789", false))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["errors"][0].as_str().unwrap().contains("too long"));
    let (status, _) = h
        .put(&format!("{VARIABLES}/OK"), json!({"value": "123456789"}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (_, body) = h.get(&format!("{VARIABLES}/OK")).await;
    assert_eq!(
        body["value"], "12345678",
        "the rejected update stored nothing"
    );
}

/// Creates `count` webhooks at the same time; answers how many of them are stored after
/// every create was answered 201.
async fn concurrent_creates(h: &Sandbox, round: usize, count: usize) -> usize {
    let names: Vec<String> = (0..count).map(|i| format!("w{round}-{i}")).collect();
    let creates = names.iter().map(|name| {
        h.req(Method::POST, WEBHOOKS)
            .json(&json!({"name": name, "url": "https://a"}))
            .send()
    });
    for answer in futures::future::join_all(creates).await {
        assert_eq!(answer.expect("answered").status(), StatusCode::CREATED);
    }
    let mut present = 0;
    for name in &names {
        if h.webhook(name).await.is_some() {
            present += 1;
        }
    }
    present
}

/// Writes sent together per round.
const TOGETHER: usize = 8;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lossy_mode_loses_one_of_two_concurrent_writes() {
    let lossy = Sandbox::start(SandboxConfig {
        lossy_webhook_writes: true,
        ..Default::default()
    })
    .await;
    // A write is lost when another one starts within the store's window (50 ms) of it.
    // Eight writes sent at once overlap unless the machine spreads all of them more than
    // 50 ms apart; rounds are repeated until one loses a write, and the other side, that
    // the mode is what loses them, is asserted exactly below.
    let mut stored = Vec::new();
    for round in 0..10 {
        let present = concurrent_creates(&lossy, round, TOGETHER).await;
        stored.push(present);
        if present < TOGETHER {
            break;
        }
    }
    assert!(
        stored.iter().any(|n| *n < TOGETHER),
        "every create answered 201 but each write overwrote none: stored per round {stored:?}"
    );
    let safe = Sandbox::start(Default::default()).await;
    for round in 0..3 {
        assert_eq!(
            concurrent_creates(&safe, round, TOGETHER).await,
            TOGETHER,
            "without the mode every write stays"
        );
    }
}
