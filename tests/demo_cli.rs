//! `ddhooks demo` through the binary: the whole story runs with no account and no network,
//! and its output shows each step's result.

use std::process::Command;

#[test]
fn demo_tells_the_whole_story() {
    let out = Command::new(env!("CARGO_BIN_EXE_ddhooks"))
        .args(["demo", "--no-color"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("DD_API_KEY")
        .env_remove("DD_APP_KEY")
        .output()
        .expect("the binary runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "demo failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for expected in [
        "Plan: 11 to create, 0 to update, 0 to delete.",
        "Apply complete: 11 created, 0 updated, 0 deleted.",
        "No changes.",
        "People's text kept byte for byte: yes",
        "check mymonitorgroup.status status 2 tags [monitor_id:1, team:checkout]",
        "check mymonitorgroup.status status 0 tags [monitor_id:1, team:checkout]",
        "mymonitorgroup.status  monitor_id:1     OK",
        "mymonitorgroup.status  monitor_id:2     CRITICAL",
        "OK: 1   CRITICAL: 1",
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
