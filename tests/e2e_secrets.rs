//! End-to-end: a known secret value never reaches any output of the binary, at any log
//! level, nor any file it writes; and it really is the value Datadog ends up with.

#[path = "e2e_support/mod.rs"]
mod e2e_support;

use ddhooks::sandbox::SandboxConfig;
use e2e_support::*;

fn unique_secret() -> String {
    let n: u64 = rand::random();
    format!("sekrit-{n:016x}-e2e")
}

/// Asserts that `secret` appears nowhere in `run`.
fn clean(secret: &str, what: &str, run: &Run) {
    assert!(
        !run.stdout.contains(secret) && !run.stderr.contains(secret),
        "the secret leaked in {what}:\n{}",
        run.all()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secret_value_never_appears_in_output_files_or_logs() {
    let secret = unique_secret();
    // The sandbox accepts only this key: the binary's own calls and the pair's check runs
    // (which send the DD_API_KEY custom variable) work only if the secret is really used.
    let config = SandboxConfig {
        api_keys: vec![secret.clone()],
        ..SandboxConfig::default()
    };
    let mut e = E2e::with_config(config, &secret).await;
    let id = e
        .monitor("[checkout] errors", &["team:checkout"], "Errors")
        .await;
    e.write("checkout.yaml", SCENARIO);
    let state = e.path("state.json");
    let state_arg = format!("file:{}", state.display());
    let saved = e.path("plan.json");
    let saved_arg = saved.to_str().unwrap().to_string();

    for (level, rust_log) in [("-vvv", None), ("-v", Some("trace"))] {
        e.env.retain(|(k, _)| k != "RUST_LOG");
        if let Some(filter) = rust_log {
            e.env.push(("RUST_LOG".into(), filter.into()));
        }
        for format in ["text", "json", "markdown"] {
            let run = e
                .plan(&[level, "--format", format, "--state", &state_arg])
                .await;
            assert_eq!(run.code, 0, "{}", run.all());
            clean(&secret, &format!("plan {level} {format}"), &run);
        }
        let run = e
            .plan(&[level, "--out", &saved_arg, "--state", &state_arg])
            .await;
        assert_eq!(run.code, 0, "{}", run.all());
        clean(&secret, "plan --out", &run);
        assert!(
            run.stderr.contains("TRACE") || run.stderr.contains("DEBUG"),
            "logging is on: {}",
            run.all()
        );
        let file = std::fs::read_to_string(&saved).unwrap();
        assert!(
            !file.contains(&secret),
            "the secret leaked in the plan file"
        );
        assert!(
            file.contains("DD_API_KEY"),
            "the plan file holds the variable"
        );
    }

    let run = e
        .apply(&["-vvv", "--plan", &saved_arg, "--state", &state_arg])
        .await;
    assert_eq!(run.code, 0, "{}", run.all());
    clean(&secret, "apply --plan", &run);
    let registry = std::fs::read_to_string(&state).expect("registry file written");
    assert!(registry.contains("DD_API_KEY"), "{registry}");
    assert!(
        !registry.contains(&secret),
        "the secret leaked in the registry"
    );

    // Nothing to do now, and the second plan and apply are as quiet about it.
    let run = e.plan(&["-vvv", "--state", &state_arg]).await;
    assert!(run.stdout.contains("No changes."), "{}", run.all());
    clean(&secret, "second plan", &run);
    let run = e
        .apply(&["-vvv", "--auto-approve", "--state", &state_arg])
        .await;
    assert_eq!(run.code, 0, "{}", run.all());
    clean(&secret, "second apply", &run);

    // The secret really is what Datadog holds: the pair's check run authenticates with it.
    let var = e.variable("DD_API_KEY").await.expect("variable");
    assert_eq!(var["is_secret"], true);
    assert!(!var.to_string().contains(&secret), "{var}");
    e.transition(id, "Alert").await;
    let runs = e.check_runs().await;
    assert_eq!(runs.len(), 1, "the check run was accepted: {runs:?}");
    assert_eq!(runs[0]["status"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secret_value_never_appears_when_writes_fail_or_plans_are_stale() {
    // Values longer than 1,000 bytes are refused: the 1,200-byte secret's write fails,
    // while the apply lock and the registry (a few hundred bytes) are written.
    let secret = format!("{}{}", unique_secret(), "s".repeat(1200));
    let config = SandboxConfig {
        max_variable_bytes: Some(1000),
        ..SandboxConfig::default()
    };
    let mut e = E2e::with_config(config, &secret).await;
    e.env.push(("RUST_LOG".into(), "trace".into()));
    let id = e
        .monitor("[checkout] errors", &["team:checkout"], "Errors")
        .await;
    e.write("checkout.yaml", SCENARIO);
    let run = e.apply(&["-vvv", "--auto-approve"]).await;
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(run.stdout.contains("FAILED"), "{}", run.all());
    clean(&secret, "a failed apply", &run);

    let saved = e.path("plan.json");
    let run = e.plan(&["--out", saved.to_str().unwrap()]).await;
    clean(&secret, "plan --out", &run);
    e.set_message(id, "Errors, edited").await;
    let run = e.apply(&["-vvv", "--plan", saved.to_str().unwrap()]).await;
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(run.stdout.contains("stale"), "{}", run.all());
    clean(&secret, "a stale apply", &run);
}
