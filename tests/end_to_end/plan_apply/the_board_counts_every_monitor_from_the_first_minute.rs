//! Status boards: apply creates the group's "Check status" dashboard and seeds one check
//! run per newly wired monitor with its current state, so the board counts every monitor
//! right after apply, before any transition; a person's edit is drift that apply restores;
//! removing the board deletes it.

use crate::kit::e2e::E2e;
use crate::kit::fixtures::SCENARIO;
use serde_json::Value;

const BOARD: &str = r#"
status_boards:
  checkout:
    title: Checkout monitors status
    pairs: [grp]
"#;

async fn counts(e: &E2e, check: &str) -> Value {
    e.sim_get(&format!("/sandbox/v1/check_status?check={check}"))
        .await["counts"]
        .clone()
}

async fn dashboards(e: &E2e) -> Vec<Value> {
    let (status, body) = e.get("/api/v1/dashboard").await;
    assert_eq!(status, 200, "{body}");
    body["dashboards"].as_array().cloned().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_builds_the_board_and_seeds_every_monitor_state() {
    let e = E2e::start().await;
    let mut ids = Vec::new();
    for (name, state) in [("a", "OK"), ("b", "OK"), ("c", "Alert")] {
        let id = e.checkout_monitor(&format!("[checkout] {name}"), "x").await;
        // Evaluated before ddhooks wires anything: no webhook fires yet.
        e.transition(id, state).await;
        ids.push(id);
    }
    e.write("checkout.yaml", &format!("{SCENARIO}{BOARD}"));
    let plan = e.plan(&[]).await;
    plan.assert_shows(&[
        "+ status_board.checkout will be created",
        "\"check\": \"grp.status\"",
        "\"grouping\": \"cluster\"",
        "apply will submit 3 check runs for pair grp",
    ]);
    let apply = e.apply_ok().await;
    apply.assert_shows(&["seeded 3 check run(s)"]);
    // Before any transition, every monitor is counted, with its state.
    let c = counts(&e, "grp.status").await;
    assert_eq!(
        (c["OK"].as_u64(), c["CRITICAL"].as_u64()),
        (Some(2), Some(1)),
        "{c}"
    );
    // Check runs are not configuration: nothing to converge, nothing submitted again.
    e.assert_converged().await;
    let runs = e.check_runs().await.len();
    let again = e.apply(&["--auto-approve"]).await;
    again.assert_exit_shows(0, &["No changes."]);
    assert_eq!(
        e.check_runs().await.len(),
        runs,
        "a second apply submits none"
    );
    // The board exists, once, with the pair's widget.
    let boards = dashboards(&e).await;
    assert_eq!(boards.len(), 1, "{boards:?}");
    let id = boards[0]["id"].as_str().expect("id").to_string();
    let (_, board) = e.get(&format!("/api/v1/dashboard/{id}")).await;
    assert_eq!(board["title"], "Checkout monitors status");
    assert_eq!(board["layout_type"], "free");
    assert_eq!(board["widgets"][0]["definition"]["check"], "grp.status");
    assert_eq!(board["widgets"][0]["definition"]["grouping"], "cluster");
    // An alert after that moves the count.
    e.transition(ids[0], "Alert").await;
    let c = counts(&e, "grp.status").await;
    assert_eq!(
        (c["OK"].as_u64(), c["CRITICAL"].as_u64()),
        (Some(1), Some(2)),
        "{c}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_persons_edit_is_restored_and_a_removed_board_is_deleted() {
    let e = E2e::start_with_a_board(BOARD).await;
    let id = dashboards(&e).await[0]["id"]
        .as_str()
        .expect("id")
        .to_string();
    // Someone retitles the board by hand.
    let path = format!("/api/v1/dashboard/{id}");
    let (_, mut board) = e.get(&path).await;
    board["title"] = "My board".into();
    let (status, _) = e.put(&path, board).await;
    assert_eq!(status, 200);
    let plan = e.plan(&[]).await;
    plan.assert_shows(&[
        "~ status_board.checkout will be updated in place",
        "\"My board\" -> \"Checkout monitors status\"",
    ]);
    e.apply_and_assert_converged().await;
    let (_, board) = e.get(&path).await;
    assert_eq!(board["title"], "Checkout monitors status");
    // Removed from the manifests: deleted.
    e.remove_and_apply("board.yaml", "- status_board.checkout will be deleted")
        .await;
    assert!(dashboards(&e).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dashboard_with_the_title_is_adopted() {
    let e = E2e::start().await;
    e.scenario_with_a_checkout_monitor().await;
    let body = serde_json::json!({
        "title": "Checkout monitors status", "layout_type": "free", "widgets": []
    });
    let (status, made) = e.post("/api/v1/dashboard", body).await;
    assert_eq!(status, 200, "{made}");
    e.write("board.yaml", BOARD);
    e.plan(&[])
        .await
        .assert_shows(&["~ status_board.checkout will be adopted and updated"]);
    e.apply_and_assert_converged().await;
    let boards = dashboards(&e).await;
    assert_eq!(boards.len(), 1, "adopted, not duplicated");
    assert_eq!(boards[0]["id"], made["id"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_status_seeds_groups_wired_without_seeding() {
    let e = E2e::start().await;
    let id = e.checkout_monitor("[checkout] a", "x").await;
    e.transition(id, "Alert").await;
    let unseeded = SCENARIO.replace(
        "    check: grp.status\n",
        "    check: grp.status\n    seed_status: false\n",
    );
    assert_ne!(unseeded, SCENARIO, "the scenario has the pair's check line");
    e.write("checkout.yaml", &unseeded);
    e.plan(&[]).await.assert_hides(&["apply will submit"]);
    e.apply_ok().await;
    assert!(
        e.check_runs().await.is_empty(),
        "seed_status: false seeds nothing"
    );
    e.write("checkout.yaml", SCENARIO);
    let dry = e.verb("seed-status", &["--dry-run"]).await;
    dry.assert_exit_shows(
        0,
        &["pair grp: 1 check run(s)", "Dry run: nothing submitted."],
    );
    assert!(e.check_runs().await.is_empty());
    let run = e.verb("seed-status", &[]).await;
    run.assert_exit_shows(0, &["Seeded 1 check run(s)."]);
    let c = counts(&e, "grp.status").await;
    assert_eq!(c["CRITICAL"].as_u64(), Some(1), "{c}");
}
