//! Planner throughput: a desired state with 50 pairs and 50 blocks against an org of 5,000
//! monitors (half of them carrying blocks already, a tenth of those out of date).

use criterion::{criterion_group, criterion_main, Criterion};
use ddhooks::model::*;
use ddhooks::plan::{plan, PlanOptions};
use ddhooks::registry::Registry;
use ddhooks::template;
use std::collections::BTreeMap;

fn desired(groups: usize) -> Desired {
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
                    tags: vec![format!("team:t{g}")],
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
            },
        );
    }
    r
}

fn bench(c: &mut Criterion) {
    let d = desired(50);
    let r = remote(&d, 5_000, 50);
    let registry = Registry::new("bench");
    c.bench_function("plan 50 pairs x 5000 monitors", |b| {
        b.iter(|| plan(&d, &r, &registry, &PlanOptions::default()))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
