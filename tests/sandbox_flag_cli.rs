//! `--sandbox` through the binary: plan and apply work with no account and no server, and
//! the embedded sandbox keeps its state under `.ddhooks/` between runs.

use std::path::Path;
use std::process::{Command, Output};

const MANIFEST: &str = r#"
custom_variables:
  DD_API_KEY: {value: "${env:DD_API_KEY}", secret: true}
webhook_pairs:
  grp:
    check: grp.status
"#;

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ddhooks"))
        .args(args)
        .current_dir(dir)
        .env("DD_API_KEY", "sandbox-flag-test-key")
        .env_remove("DD_APP_KEY")
        .env_remove("DD_HOST")
        .env("NO_COLOR", "1")
        .output()
        .expect("the binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn plan_and_apply_against_the_embedded_sandbox_persist_between_runs() {
    let tmp = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(tmp.path().join("manifests")).expect("mkdir");
    std::fs::write(tmp.path().join("manifests/pair.yaml"), MANIFEST).expect("write");

    let plan = run(tmp.path(), &["plan", "--sandbox", "--detailed-exitcode"]);
    assert_eq!(plan.status.code(), Some(2), "{}", stdout(&plan));
    assert!(
        stdout(&plan).contains("Plan: 3 to create, 0 to update, 0 to delete."),
        "{}",
        stdout(&plan)
    );

    let apply = run(tmp.path(), &["apply", "--sandbox", "--auto-approve"]);
    assert!(
        apply.status.success(),
        "{}{}",
        stdout(&apply),
        String::from_utf8_lossy(&apply.stderr)
    );
    assert!(stdout(&apply).contains("Apply complete: 3 created, 0 updated, 0 deleted."));
    assert!(tmp.path().join(".ddhooks/sandbox.json").exists());

    let again = run(tmp.path(), &["plan", "--sandbox", "--detailed-exitcode"]);
    assert_eq!(again.status.code(), Some(0), "{}", stdout(&again));
    assert!(stdout(&again).contains("No changes."));
    let state = std::fs::read_to_string(tmp.path().join(".ddhooks/sandbox.json")).expect("state");
    assert!(
        !state.contains("sandbox-flag-test-key"),
        "the secret is in the sandbox file"
    );
}
