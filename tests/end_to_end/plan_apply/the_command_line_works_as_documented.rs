//! The command line as README.md and docs/ document it: exit codes, apply asking before it writes,
//! the demo and `--sandbox` with no account.

use crate::kit::cli::{self, API_KEY, APP_KEY, BIN};
use crate::kit::e2e::E2e;
use crate::kit::fixtures::Workspace;
use crate::kit::sandbox::Sandbox;
use std::path::Path;
use std::process::Stdio;
use tokio::io::AsyncWriteExt;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn detailed_exitcode_is_0_2_1() {
    let e = E2e::start().await;
    e.scenario_with_a_checkout_monitor().await;
    assert_eq!(e.plan(&["--detailed-exitcode"]).await.code, 2);
    assert_eq!(
        e.plan(&[]).await.code,
        0,
        "without the flag, changes exit 0"
    );
    e.apply_ok().await;
    assert_eq!(e.plan(&["--detailed-exitcode"]).await.code, 0);

    // A damaged block: 1, even with --detailed-exitcode.
    e.checkout_monitor("[checkout] bad", "x {{!-- ddhooks:end grp --}}")
        .await;
    let run = e.plan(&["--detailed-exitcode"]).await;
    assert_eq!(run.code, 1, "{}", run.all());
    // Invalid manifests: 1.
    e.write("bad.yaml", "webhook_pair: {}\n");
    let run = e.plan(&["--detailed-exitcode"]).await;
    assert_eq!(run.code, 1, "{}", run.all());
    run.assert_stderr_shows(&["webhook_pair"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_without_auto_approve_and_without_terminal_writes_nothing() {
    let e = E2e::start().await;
    let id = e.scenario_with_a_checkout_monitor().await;
    e.clear_requests().await;
    let run = e.apply(&[]).await;
    assert_eq!(run.code, 1, "{}", run.all());
    run.assert_stderr_shows(&["not a terminal", "--auto-approve"]);
    assert_eq!(e.writes().await, 0);
    assert_eq!(e.message(id).await, "Errors");
}

/// Runs `ddhooks apply DIR --api-url URL --no-color` under a pseudo-terminal made by
/// util-linux `script`, typing `answer`; returns what the terminal showed.
async fn apply_typing(dir: &Path, url: &str, answer: &str) -> String {
    let line = format!(
        "{} apply {} --api-url {url} --no-color",
        BIN.display(),
        dir.display()
    );
    let mut child = tokio::process::Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .env("DD_API_KEY", API_KEY)
        .env("DD_APP_KEY", APP_KEY)
        .env_remove("DD_SITE")
        .env_remove("DD_HOST")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("script runs");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin
        .write_all(format!("{answer}\n").as_bytes())
        .await
        .expect("type the answer");
    drop(stdin);
    cli::finish(child).await.stdout
}

#[tokio::test]
async fn apply_on_a_terminal_asks_and_only_yes_applies() {
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: util-linux `script` is not installed, so no pseudo-terminal");
        return;
    }
    let sandbox = Sandbox::spawn(&[]).await;
    let work = Workspace::new();
    work.write(
        "hooks.yaml",
        "webhooks:\n  tty-hook:\n    url: https://example.com/hook\n",
    );

    let refused = apply_typing(&work.manifests(), &sandbox.base, "no").await;
    assert!(
        refused.contains("+ webhook.tty-hook will be created"),
        "{refused}"
    );
    assert!(
        refused.contains("Do you want to apply these changes?"),
        "{refused}"
    );
    assert!(
        refused.contains("Apply cancelled; nothing was changed."),
        "{refused}"
    );
    assert!(
        sandbox.webhook("tty-hook").await.is_none(),
        "nothing written"
    );

    let applied = apply_typing(&work.manifests(), &sandbox.base, "yes").await;
    assert!(
        applied.contains("Apply complete: 1 created, 0 updated, 0 deleted."),
        "{applied}"
    );
    assert!(sandbox.webhook("tty-hook").await.is_some(), "written");
    sandbox.stop().await;
}

#[tokio::test]
async fn demo_tells_the_whole_story() {
    let mut demo = cli::command(&["demo", "--no-color"]);
    demo.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("DD_API_KEY")
        .env_remove("DD_APP_KEY");
    let run = cli::run(demo).await;
    assert_eq!(run.code, 0, "demo failed: {}", run.all());
    let stdout = &run.stdout;
    for expected in [
        "Plan: 15 to create, 0 to update, 0 to delete.",
        "+ status_board.checkout will be created",
        "apply will submit 3 check runs for pair mymonitorgroup",
        "+ notification_rule.storage will be created",
        "Apply complete: 15 created, 0 updated, 0 deleted.",
        "Seeded 4 check runs",
        "mymonitorgroup.status: OK: 3   CRITICAL: 0",
        "No changes.",
        "People's text kept byte for byte: yes",
        "monitor 4 (Disk almost full on db hosts) unchanged: yes",
        "@webhook-storage-alert-check (via notification rule storage)",
        "check storage.status status 2 tags [monitor_id:4, team:storage]",
        "check mymonitorgroup.status status 2 tags [monitor_id:1, team:checkout]",
        "check mymonitorgroup.status status 0 tags [monitor_id:1, team:checkout]",
        "mymonitorgroup.status  [monitor_id:2, team:checkout]  CRITICAL",
        "mymonitorgroup.status: OK: 2   CRITICAL: 1",
        "storage.status: OK: 0   CRITICAL: 1",
    ] {
        assert!(
            stdout.contains(expected),
            "missing `{expected}` in:\n{stdout}"
        );
    }
    assert!(
        !stdout.contains("demo-key-not-a-real-one"),
        "the demo's stand-in key leaked"
    );
    assert!(
        !stdout.contains('\u{1b}'),
        "--no-color output has escape codes"
    );
}

/// `ddhooks demo` from a directory without `manifests/` (an installed binary run anywhere)
/// applies its embedded manifests: the same story, and the temporary copy is removed.
#[tokio::test]
async fn demo_runs_from_any_directory() {
    let elsewhere = tempfile::tempdir().expect("a temporary directory");
    let mut demo = cli::command(&["demo", "--no-color"]);
    demo.current_dir(elsewhere.path())
        .env_remove("DD_API_KEY")
        .env_remove("DD_APP_KEY");
    let run = cli::run(demo).await;
    assert_eq!(run.code, 0, "demo failed: {}", run.all());
    run.assert_shows(&[
        "no manifests/ here: the demo uses its own manifests, written to ",
        "Plan: 15 to create, 0 to update, 0 to delete.",
        "Apply complete: 15 created, 0 updated, 0 deleted.",
        "People's text kept byte for byte: yes",
    ]);
    let written = run
        .stdout
        .lines()
        .find_map(|l| l.split("written to ").nth(1))
        .map(|p| p.trim_end_matches(')').to_string())
        .expect("the directory it wrote");
    assert!(
        !std::path::Path::new(&written).exists(),
        "{written} was left behind"
    );
}

/// A pair and its secret key, for `--sandbox`.
const PAIR: &str = r#"
custom_variables:
  DD_API_KEY: {value: "${env:DD_API_KEY}", secret: true}
webhook_pairs:
  grp:
    check: grp.status
"#;

#[tokio::test]
async fn plan_and_apply_against_the_embedded_sandbox_persist_between_runs() {
    const KEY: &str = "sandbox-flag-test-key";
    let work = Workspace::new();
    work.write("pair.yaml", PAIR);
    let run = |args: &'static [&'static str]| {
        let mut cmd = cli::command(args);
        cmd.current_dir(work.dir.path())
            .env("DD_API_KEY", KEY)
            .env_remove("DD_APP_KEY");
        cli::run(cmd)
    };

    let plan = run(&["plan", "--sandbox", "--detailed-exitcode"]).await;
    plan.assert_exit_shows(2, &["Plan: 3 to create, 0 to update, 0 to delete."]);

    let apply = run(&["apply", "--sandbox", "--auto-approve"]).await;
    apply.assert_exit_shows(0, &["Apply complete: 3 created, 0 updated, 0 deleted."]);
    let data = work.path(".ddhooks/sandbox.json");
    assert!(data.exists());

    let again = run(&["plan", "--sandbox", "--detailed-exitcode"]).await;
    assert_eq!(again.code, 0, "{}", again.all());
    assert!(again.stdout.contains("No changes."));
    let state = std::fs::read_to_string(&data).expect("state");
    assert!(!state.contains(KEY), "the secret is in the sandbox file");
}

/// The README's rollback: `export-state` writes the registry read from Datadog (format 3)
/// as the JSON of a state file, which any version reads with `--state file:PATH`; a plan
/// from that file sees what the registry in Datadog says (nothing to do), and a later
/// apply still deletes what ddhooks owns.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_state_writes_the_registry_as_a_state_file() {
    let e = E2e::start().await;
    let none = e.ddhooks(&["export-state", "--api-url", &e.api_url]).await;
    assert_eq!(none.code, 1, "no registry yet: {}", none.all());
    none.assert_stderr_shows(&["nothing was written"]);

    e.scenario_with_a_checkout_monitor().await;
    e.apply_ok().await;
    let stored = e
        .sandbox
        .registry_parts()
        .await
        .get(ddhooks::registry::STATE_VARIABLE)
        .cloned()
        .expect("a registry in Datadog");
    assert!(stored.starts_with("ddhooks-state/3 "), "{stored}");
    let file = e.path("registry.json");
    let file_arg = file.to_str().expect("utf-8 path");
    let run = e
        .ddhooks(&["export-state", "--api-url", &e.api_url, "--out", file_arg])
        .await;
    assert_eq!(run.code, 0, "{}", run.all());
    run.assert_stderr_shows(&["--state file:"]);
    let text = std::fs::read_to_string(&file).expect("the file");
    let exported: ddhooks::registry::Registry = serde_json::from_str(&text).expect("JSON");
    let in_datadog = {
        let parts = e.sandbox.registry_parts().await;
        ddhooks::registry::Registry::decode(|n| parts.get(n).cloned())
            .expect("decodes")
            .expect("exists")
    };
    assert_eq!(exported, in_datadog);
    let webhook = ddhooks::registry::OwnedKind::Webhook;
    assert!(exported.owned(webhook).next().is_some());
    // On stdout, the same text.
    let printed = e.ddhooks(&["export-state", "--api-url", &e.api_url]).await;
    assert_eq!(printed.code, 0, "{}", printed.all());
    assert_eq!(printed.stdout, text);

    let state = format!("file:{file_arg}");
    let plan = e.plan(&["--state", &state, "--detailed-exitcode"]).await;
    assert_eq!(
        plan.code,
        0,
        "the file knows what Datadog's registry knows:\n{}",
        plan.all()
    );
    e.remove("checkout.yaml");
    let apply = e.apply(&["--state", &state, "--auto-approve"]).await;
    apply.assert_exit_shows(0, &["deleted"]);
    let after: ddhooks::registry::Registry =
        serde_json::from_str(&std::fs::read_to_string(&file).expect("the file")).expect("JSON");
    assert!(after.owned(webhook).next().is_none(), "{after:?}");
}
