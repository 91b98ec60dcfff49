//! Planner throughput.
//!
//! - A desired state with 50 pairs and 50 blocks against an org of 5,000 monitors (half of
//!   them carrying blocks already, a tenth of those out of date).
//! - The scale benchmark's org (`benches/scale.rs`), in memory: 500 pairs (1,000 webhooks)
//!   and 500 blocks, each selecting 4 of 10,000 monitors by the tag
//!   `ddhooks-group:team-NNNN`; planned from scratch (every webhook and block to create) and
//!   in steady state (nothing to do), and the from-scratch plan rendered as text.

mod common;

use criterion::{criterion_group, criterion_main, Criterion};
use ddhooks::model::*;
use ddhooks::plan::{plan, PlanOptions};
use ddhooks::registry::{OwnedKind, Ownership, Registry};
use ddhooks::{render, template};
use std::collections::BTreeMap;

/// `groups` pairs (two webhooks each) and one block per pair, selecting the monitors tagged
/// `selector(g)`.
fn desired(groups: usize, selector: impl Fn(usize) -> String) -> Desired {
    let mut d = Desired::default();
    for g in 0..groups {
        for (suffix, status) in [("alert-check", 2), ("ok-check", 0)] {
            let name = format!("g{g}-{suffix}");
            d.webhooks.insert(
                name.clone(),
                Webhook {
                    name,
                    url: "https://api.datadoghq.com/api/v1/check_run".into(),
                    payload: Some(serde_json::json!([{"check": format!("g{g}.status"), "status": status, "host_name": "$HOSTNAME", "tags": ["monitor_id:$ALERT_ID"]}])),
                    custom_headers: Some(BTreeMap::from([("DD-API-KEY".to_string(), "$DD_API_KEY".to_string())])),
                    encode_as: EncodeAs::Json,
                    renamed_from: None,
                    origin: WebhookOrigin::Pair(format!("g{g}")),
                },
            );
        }
        let rule = |c, h: String| NotifyRule {
            when: SectionCondition {
                condition: c,
                negated: false,
            },
            handles: vec![h],
        };
        d.blocks.insert(
            format!("g{g}"),
            NotificationBlock {
                name: format!("g{g}"),
                monitors: MonitorSelector {
                    tags: vec![selector(g)],
                    ..Default::default()
                },
                rules: vec![
                    rule(Condition::IsAlert, format!("@webhook-g{g}-alert-check")),
                    rule(Condition::IsRecovery, format!("@webhook-g{g}-ok-check")),
                ],
                text: None,
            },
        );
    }
    d
}

fn remote(d: &Desired, monitors: usize, groups: usize) -> Remote {
    let mut r = Remote::default();
    for id in 0..monitors as i64 {
        let g = id as usize % groups;
        let mut message = format!("Error rate high on {{{{service.name}}}} ✓\nRunbook: https://wiki/{id}\n{{{{#is_alert}}}} @pagerduty-x {{{{/is_alert}}}}");
        if id % 2 == 0 {
            let body = if id % 20 == 0 {
                "stale".to_string()
            } else {
                d.blocks[&format!("g{g}")].body()
            };
            message =
                template::set_block(&message, &format!("g{g}"), Some(&body)).unwrap_or(message);
        }
        r.monitors.insert(
            id,
            RemoteMonitor {
                id,
                name: format!("monitor {id}"),
                tags: vec![format!("team:t{g}"), "env:prod".into()],
                message,
                priority: None,
                draft: false,
            },
        );
    }
    r
}

/// The scale benchmark's group tag.
fn group_tag(g: usize) -> String {
    format!("ddhooks-group:team-{g:04}")
}

/// The scale benchmark's org before ddhooks: `monitors` monitors as people write them (the
/// messages `benches/scale.rs` seeds), every fifth (at most `4 × groups`) tagged into a
/// group, round robin.
fn scale_org(monitors: usize, groups: usize) -> Remote {
    let mut r = Remote::default();
    let mut targeted = 0;
    for i in 0..monitors {
        let service = format!("svc-{:04}", i % 1500);
        let team = i % 40;
        let mut tags = vec![
            format!("service:{service}"),
            "env:prod".to_string(),
            format!("team:t{team}"),
        ];
        if i % 5 == 0 && targeted < 4 * groups {
            tags.push(group_tag(targeted % groups));
            targeted += 1;
        }
        let message = common::cpu_message(&service, i, &service, &format!("team-{team}"));
        let id = 1_000_000 + i as i64;
        r.monitors.insert(
            id,
            RemoteMonitor {
                id,
                name: format!("[{service}] CPU high on {{{{host.name}}}} #{i}"),
                tags,
                message,
                priority: None,
                draft: false,
            },
        );
    }
    r
}

/// The org and registry after an apply of everything `d` asks for: every webhook exists
/// and is owned, every selected monitor carries its blocks.
fn scale_converged(d: &Desired, org: &Remote) -> (Remote, Registry) {
    let mut r = org.clone();
    let mut registry = Registry::new("bench");
    for (name, w) in &d.webhooks {
        r.webhooks.insert(
            name.clone(),
            RemoteWebhook {
                name: name.clone(),
                url: w.url.clone(),
                payload: w.payload.clone(),
                custom_headers: w.custom_headers.clone(),
                encode_as: w.encode_as,
                auth_method_id: None,
            },
        );
        registry.record(OwnedKind::Webhook, name, Ownership::default());
    }
    for m in r.monitors.values_mut() {
        for b in d.blocks.values() {
            if b.monitors.matches(m.id, &m.name, &m.tags) {
                if let Ok(message) = template::set_block(&m.message, &b.name, Some(&b.body())) {
                    m.message = message;
                }
            }
        }
    }
    (r, registry)
}

fn bench(c: &mut Criterion) {
    let d = desired(50, |g| format!("team:t{g}"));
    let r = remote(&d, 5_000, 50);
    let registry = Registry::new("bench");
    c.bench_function("plan 50 pairs x 5000 monitors", |b| {
        b.iter(|| plan(&d, &r, &registry, &PlanOptions::default()))
    });

    let d = desired(500, group_tag);
    let org = scale_org(10_000, 500);
    let fresh = Registry::new("bench");
    c.bench_function("plan 500 pairs x 10000 monitors, from scratch", |b| {
        b.iter(|| plan(&d, &org, &fresh, &PlanOptions::default()))
    });
    let from_scratch = plan(&d, &org, &fresh, &PlanOptions::default());
    c.bench_function(
        "render text 500 pairs x 10000 monitors, from scratch",
        |b| b.iter(|| render::render_text(&from_scratch, false)),
    );
    let (converged, registry) = scale_converged(&d, &org);
    assert!(
        !plan(&d, &converged, &registry, &PlanOptions::default()).has_changes(),
        "the converged org has nothing to do"
    );
    c.bench_function("plan 500 pairs x 10000 monitors, steady state", |b| {
        b.iter(|| plan(&d, &converged, &registry, &PlanOptions::default()))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
