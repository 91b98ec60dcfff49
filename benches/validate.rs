//! How long `load_dir` takes on a large manifests tree: 1,000 files holding 5,000 objects
//! (per file a custom variable, a pair, two webhooks and a block). Target: under 300 ms.

use criterion::{criterion_group, criterion_main, Criterion};
use ddhooks::manifest::{load_dir, LoadOptions};
use std::time::Duration;

fn write_tree(dir: &std::path::Path) {
    for i in 0..1000 {
        let sub = dir.join(format!("team{}", i % 10));
        std::fs::create_dir_all(&sub).expect("mkdir");
        let text = format!(
            r#"custom_variables:
  KEY_{i}: {{value: "${{env:DD_API_KEY}}", secret: true}}
webhook_pairs:
  group{i}:
    check: group{i}.status
    tags: ["monitor_id:$ALERT_ID", "team:t{i}"]
    api_key_variable: KEY_{i}
    statuses: {{alert: 2, recovery: 0, warning: 1}}
webhooks:
  chat{i}:
    url: https://chat.example.com/hooks/{i}/$ALERT_ID
    payload: {{title: "$EVENT_TITLE", link: "$LINK", n: {i}}}
    custom_headers: {{Content-Type: application/json}}
  pager{i}:
    url: https://pager.example.com/{i}
monitor_notifications:
  block{i}:
    monitors: {{tags: ["team:t{i}"], ids: [{i}]}}
    pair: group{i}
    notify:
      is_priority 'P1': ["@webhook-pager{i}"]
    text: |
      <<#is_alert>> @webhook-chat{i} <</is_alert>>
      <<#is_recovery>> @webhook-chat{i} <</is_recovery>>
"#
        );
        std::fs::write(sub.join(format!("m{i}.yaml")), text).expect("write");
    }
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    write_tree(dir.path());
    let options = LoadOptions::default().with_env_map(
        [("DD_API_KEY".to_string(), "k".to_string())]
            .into_iter()
            .collect(),
    );
    let loaded = load_dir(dir.path(), &options).expect("the generated tree is valid");
    assert_eq!(loaded.files.len(), 1000);
    assert_eq!(loaded.desired.blocks.len(), 1000);
    let mut group = c.benchmark_group("validate");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(10));
    group.bench_function("load_dir 1000 files 5000 objects", |b| {
        b.iter(|| load_dir(dir.path(), &options).map(|l| l.desired.webhooks.len()))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
