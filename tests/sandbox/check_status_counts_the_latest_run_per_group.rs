//! `GET /sandbox/v1/check_status`: what a `check_status` widget with `grouping: cluster`
//! shows, from the check runs received by `POST /api/v1/check_run` — the latest run of each
//! distinct tag set, filtered by tags, counted by status — with no keys needed.

use crate::kit::sandbox::Sandbox;
use crate::kit::seed::seeded;

use rand::seq::IndexedRandom;
use rand::Rng;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::collections::BTreeMap;

async fn post_runs(h: &Sandbox, runs: &[Value]) {
    let (status, body) = h.post("/api/v1/check_run", json!(runs)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
}

fn run(check: &str, host: &str, status: u8, tags: &[&str]) -> Value {
    json!({"check": check, "host_name": host, "status": status, "tags": tags})
}

async fn board(h: &Sandbox, query: &str) -> (StatusCode, Value) {
    let path = format!("/sandbox/v1/check_status{query}");
    h.sim(Method::GET, &path, None).await
}

#[tokio::test]
async fn the_latest_run_of_each_tag_set_is_shown_and_counted() {
    let h = Sandbox::start(Default::default()).await;
    post_runs(
        &h,
        &[
            run("app.up", "web-1", 2, &["team:a", "env:prod"]),
            run("app.up", "web-2", 1, &["env:prod", "team:b"]),
            run("db.up", "db-1", 2, &["env:prod", "team:a"]),
        ],
    )
    .await;
    post_runs(
        &h,
        &[
            run("app.up", "web-3", 0, &["env:prod", "team:a"]),
            run("app.up", "web-4", 3, &["env:dev", "team:a"]),
        ],
    )
    .await;
    let (status, all) = board(&h, "?check=app.up").await;
    assert_eq!(status, StatusCode::OK, "{all}");
    assert_eq!(
        all,
        json!({
            "check": "app.up",
            "groups": [
                {"tags": ["env:dev", "team:a"], "status": 3, "host_name": "web-4"},
                {"tags": ["env:prod", "team:a"], "status": 0, "host_name": "web-3"},
                {"tags": ["env:prod", "team:b"], "status": 1, "host_name": "web-2"},
            ],
            "counts": {"OK": 1, "WARNING": 1, "CRITICAL": 0, "UNKNOWN": 1},
        })
    );
    let (_, prod) = board(&h, "?check=app.up&tags=env:prod,team:a").await;
    assert_eq!(prod["groups"].as_array().map(Vec::len), Some(1), "{prod}");
    assert_eq!(
        prod["counts"],
        json!({"OK": 1, "WARNING": 0, "CRITICAL": 0, "UNKNOWN": 0})
    );
    let (_, unknown) = board(&h, "?check=nothing.here").await;
    assert_eq!(unknown["groups"], json!([]));
    for bad in ["", "?check=", "?tags=env:prod"] {
        let (status, body) = board(&h, bad).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
        assert!(body["errors"][0].as_str().is_some(), "{bad}: {body}");
    }
    h.stop().await;
}

#[tokio::test]
async fn random_runs_agree_with_a_model_of_the_widget() {
    let mut seeded = seeded("random_runs_agree_with_a_model_of_the_widget");
    let h = Sandbox::start(Default::default()).await;
    let tags = ["env:prod", "env:dev", "team:a", "team:b", "az:1"];
    let mut sent = Vec::new();
    for _ in 0..seeded.rng.random_range(3..8) {
        let batch: Vec<Value> = (0..seeded.rng.random_range(1..20))
            .map(|i| {
                let count = seeded.rng.random_range(0..3);
                let chosen: Vec<&str> = tags
                    .choose_multiple(&mut seeded.rng, count)
                    .copied()
                    .collect();
                let check = *["app.up", "db.up"].choose(&mut seeded.rng).expect("check");
                run(
                    check,
                    &format!("h{}-{i}", sent.len()),
                    seeded.rng.random_range(0..4),
                    &chosen,
                )
            })
            .collect();
        post_runs(&h, &batch).await;
        sent.extend(batch);
    }
    // The model: the last run of each sorted tag set among app.up runs carrying env:prod.
    let mut latest: BTreeMap<Vec<String>, &Value> = BTreeMap::new();
    for r in sent.iter().filter(|r| r["check"] == "app.up") {
        let mut set: Vec<String> = r["tags"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|t| t.as_str().map(str::to_string))
            .collect();
        set.sort();
        set.dedup();
        if set.iter().any(|t| t == "env:prod") {
            latest.insert(set, r);
        }
    }
    let mut counts = [0u64; 4];
    let groups: Vec<Value> = latest
        .iter()
        .map(|(set, r)| {
            counts[r["status"].as_u64().unwrap_or(3) as usize] += 1;
            json!({"tags": set, "status": r["status"], "host_name": r["host_name"]})
        })
        .collect();
    let (status, shown) = board(&h, "?check=app.up&tags=env:prod").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(shown["groups"], json!(groups), "{}", seeded.replay());
    assert_eq!(
        shown["counts"],
        json!({"OK": counts[0], "WARNING": counts[1], "CRITICAL": counts[2], "UNKNOWN": counts[3]}),
        "{}",
        seeded.replay()
    );
    h.stop().await;
}
