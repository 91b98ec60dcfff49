//! `ddhooks import` of an org larger than a page of the monitor listing: the pages are read
//! one after another, four asked for ahead, each page's webhooks read as soon as it arrives,
//! and the listing stops a few pages past the short one. Every webhook mentioned on any page
//! is imported.

use crate::kit::e2e::E2e;
use crate::kit::sandbox::{route, WEBHOOKS};
use serde_json::json;

/// Monitors in the org: pages 0–2 full, page 3 short (500).
const MONITORS: usize = 3_500;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_org_of_several_pages_is_imported_whole() {
    let e = E2e::start().await;
    // One monitor per page mentions that page's webhook; the others name a person only.
    let monitors: Vec<(String, Vec<String>, String)> = (0..MONITORS)
        .map(|i| {
            let message = if i % 1000 == 7 {
                format!("Disk full @webhook-page-{} @ops", i / 1000)
            } else {
                format!("Disk {i} full @ops")
            };
            (format!("disk #{i}"), vec!["team:disk".to_string()], message)
        })
        .collect();
    e.sandbox.create_monitors(&monitors).await;
    for page in 0..4 {
        let body =
            json!({"name": format!("page-{page}"), "url": format!("https://example.com/{page}")});
        let (status, answer) = e.sandbox.post(WEBHOOKS, body).await;
        assert_eq!(status, 201, "{answer}");
    }
    e.sandbox.clear_requests().await;

    let dir = e.path("imported");
    let run = e.import(&dir, &[]).await;
    run.assert_exit_shows(0, &[]);
    let written: String = std::fs::read_dir(&dir)
        .expect("import wrote a directory")
        .map(|f| std::fs::read_to_string(f.expect("a file").path()).expect("readable"))
        .collect();
    for page in 0..4 {
        assert!(
            written.contains(&format!("page-{page}:")),
            "the webhook mentioned on page {page} is imported:\n{written}"
        );
    }
    let counts = e.sandbox.request_counts().await;
    let pages = counts.get(route::MONITOR_PAGE).copied().unwrap_or(0);
    assert!(
        (4..=7).contains(&pages),
        "4 pages, and at most the 3 asked for ahead past the short one: {counts:?}"
    );
    assert_eq!(counts.get(route::WEBHOOK_READ), Some(&4), "{counts:?}");
}
