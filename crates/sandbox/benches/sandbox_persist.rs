//! The cost of one monitor message `PUT` against a sandbox holding 10,000 monitors, in
//! memory and persisted (`--data`), so that persistence can be compared with the in-memory
//! floor.
//!
//! - `put_http/*`: one `PUT /api/v1/monitor/{id}` over loopback HTTP (reqwest, keep-alive).
//! - `put_router/*`: the same request sent straight through the sandbox's router (no socket),
//!   which leaves out the HTTP noise.
//! - `put_store/*`: the store's write path alone (`Store::apply` of `monitors::update`, then
//!   waiting until it is on disk), without routing or JSON answers.
//! - `put_http_16/*`: 16 `PUT`s in flight at once (ddhooks' default `--concurrency`), timed
//!   per batch of 16.
//!
//! Each comes in three flavours: `in_memory`, `persisted_disk` (a data file in a temp dir on
//! the machine's disk, where every acknowledged write waits for the disk) and
//! `persisted_tmpfs` (a data file under `/dev/shm`, where syncing costs nothing: what is left
//! is the software's own cost). The persisted sandboxes load their 10,000 monitors from a
//! data file written beforehand, as a sandbox restarted on a large org does.
//!
//! ```text
//! cargo bench -p ddhooks-sandbox --bench sandbox_persist
//! ```

use axum::body::Body;
use axum::http::{Method, Request};
use criterion::measurement::WallTime;
use criterion::{
    criterion_group, criterion_main, BenchmarkGroup, Criterion, SamplingMode, Throughput,
};
use ddhooks_sandbox::monitors::{self, Identity, Now};
use ddhooks_sandbox::store::{self, Data};
use ddhooks_sandbox::{RunningSandbox, Sandbox, SandboxConfig};
use serde_json::json;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tower::ServiceExt;

/// Monitors in the sandbox.
const MONITORS: usize = 10_000;

fn monitor_body(i: usize) -> serde_json::Value {
    let service = format!("svc-{:04}", i % 1500);
    let team = i % 40;
    json!({
        "name": format!("[{service}] CPU high on {{{{host.name}}}} #{i}"),
        "type": "metric alert",
        "query": format!("avg(last_5m):avg:system.cpu.user{{service:{service}}} by {{host}} > 90"),
        "message": format!(
            "{{{{#is_alert}}}}CPU on {{{{host.name}}}} ({service}) is at {{{{value}}}}%.{{{{/is_alert}}}}\n\
             Runbook: https://wiki.example.com/runbooks/{service}/cpu\n@slack-team-{team}-alerts"
        ),
        "tags": [format!("service:{service}"), "env:prod", format!("team:t{team}")],
        "options": {"thresholds": {"critical": 90, "warning": 80}, "notify_no_data": false},
        "priority": 3,
    })
}

/// Creates the monitors in `data`.
fn seed(data: &mut Data) {
    let identity = Identity { org_id: 1 };
    let now = Now::current();
    for i in 0..MONITORS {
        if let Err(err) = monitors::create(data, &monitor_body(i), &identity, &now) {
            panic!("seeding monitor {i}: {}", err.message);
        }
    }
}

/// A sandbox in memory, seeded straight in its store.
async fn in_memory() -> RunningSandbox {
    let sandbox = Sandbox::start(SandboxConfig::default())
        .await
        .expect("sandbox starts");
    seed(&mut sandbox.shared().store.lock());
    sandbox
}

/// A sandbox persisted in `dir`, started on a data file that already holds the monitors.
async fn persisted(dir: &Path) -> RunningSandbox {
    let file = dir.join("sandbox.json");
    let mut data = Data::default();
    seed(&mut data);
    store::write_atomically(&file, &data).expect("data file written");
    Sandbox::start(SandboxConfig {
        data: Some(file),
        ..Default::default()
    })
    .await
    .expect("sandbox starts")
}

/// The body of the `n`-th `PUT`: alternates between two messages of the same length.
fn put_body(n: usize) -> String {
    json!({"message": format!("Disk almost full on {{{{host.name}}}} @webhook-ops-{}", n % 2)})
        .to_string()
}

/// The monitor the `n`-th `PUT` goes to: spread over the whole id range.
fn target(n: usize) -> usize {
    1 + (n * 7919) % MONITORS
}

fn request(n: usize) -> Request<Body> {
    Request::builder()
        .method(Method::PUT)
        .uri(format!("/api/v1/monitor/{}", target(n)))
        .header("DD-API-KEY", "bench")
        .header("DD-APPLICATION-KEY", "bench")
        .header("content-type", "application/json")
        .body(Body::from(put_body(n)))
        .expect("request")
}

async fn put_http(client: &reqwest::Client, base: &str, n: usize) {
    let response = client
        .put(format!("{base}/api/v1/monitor/{}", target(n)))
        .header("DD-API-KEY", "bench")
        .header("DD-APPLICATION-KEY", "bench")
        .header("content-type", "application/json")
        .body(put_body(n))
        .send()
        .await
        .expect("PUT sent");
    assert!(response.status().is_success(), "{}", response.status());
    let _ = response.bytes().await.expect("body read");
}

/// Short runs: a few seconds per case, flat sampling (the slow cases take milliseconds).
fn configure(group: &mut BenchmarkGroup<'_, WallTime>, samples: usize) {
    group
        .sample_size(samples)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sampling_mode(SamplingMode::Flat);
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let disk = tempfile::tempdir().expect("temp dir");
    let tmpfs = Path::new("/dev/shm")
        .is_dir()
        .then(|| tempfile::tempdir_in("/dev/shm").expect("temp dir in /dev/shm"));
    let mut sandboxes = vec![("in_memory", rt.block_on(in_memory()))];
    sandboxes.push(("persisted_disk", rt.block_on(persisted(disk.path()))));
    if let Some(tmpfs) = &tmpfs {
        sandboxes.push(("persisted_tmpfs", rt.block_on(persisted(tmpfs.path()))));
    }
    let client = reqwest::Client::new();
    let counter = AtomicUsize::new(0);
    let next = || counter.fetch_add(1, Ordering::Relaxed);

    let mut group = c.benchmark_group("put_http");
    configure(&mut group, 20);
    for (name, sandbox) in &sandboxes {
        let base = sandbox.base_url();
        group.bench_function(*name, |b| {
            b.iter(|| rt.block_on(put_http(&client, &base, next())))
        });
    }
    group.finish();

    let mut group = c.benchmark_group("put_router");
    configure(&mut group, 20);
    for (name, sandbox) in &sandboxes {
        let router = sandbox.shared().router.get().expect("router").clone();
        group.bench_function(*name, |b| {
            b.iter(|| {
                rt.block_on(async {
                    let response = router.clone().oneshot(request(next())).await;
                    let response = match response {
                        Ok(response) => response,
                        Err(never) => match never {},
                    };
                    assert!(response.status().is_success(), "{}", response.status());
                    axum::body::to_bytes(response.into_body(), usize::MAX)
                        .await
                        .expect("body")
                })
            })
        });
    }
    group.finish();

    let mut group = c.benchmark_group("put_store");
    configure(&mut group, 20);
    let now = Now::current();
    for (name, sandbox) in &sandboxes {
        let store = &sandbox.shared().store;
        group.bench_function(*name, |b| {
            b.iter(|| {
                let n = next();
                let id = target(n) as i64;
                let body: serde_json::Value =
                    serde_json::from_str(&put_body(n)).expect("JSON body");
                store
                    .apply(|data, touched| {
                        touched.monitor(id);
                        monitors::update(data, id, &body, &now)
                    })
                    .and_then(|pending| pending.wait_blocking())
                    .map_err(|err| err.message)
                    .expect("monitor updated")
            })
        });
    }
    group.finish();

    let mut group = c.benchmark_group("put_http_16");
    configure(&mut group, 10);
    group.throughput(Throughput::Elements(16));
    for (name, sandbox) in &sandboxes {
        let base = sandbox.base_url();
        group.bench_function(*name, |b| {
            b.iter(|| {
                rt.block_on(async {
                    let puts = (0..16).map(|_| put_http(&client, &base, next()));
                    futures::future::join_all(puts).await
                })
            })
        });
    }
    group.finish();

    for (_, sandbox) in sandboxes {
        rt.block_on(sandbox.shutdown());
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
