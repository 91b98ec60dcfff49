//! Secrets: a secret value never appears in output (any format, any log level), plan
//! files, logs or the registry, which keeps only a salted fingerprint; headers show
//! `$VARIABLE`; and it really is the value Datadog ends up with.

use crate::kit::cli::{self, Run, API_KEY, APP_KEY};
use crate::kit::e2e::E2e;
use crate::kit::fixtures::{people_monitors, write_manifests};
use crate::kit::sandbox::Sandbox;
use crate::kit::seed::seeded;
use ddhooks::sandbox::SandboxConfig;
use rand::Rng;
use std::path::Path;

/// A secret no output could hold by accident, drawn from the test's seed.
fn unique_secret(test: &str) -> String {
    let n: u64 = seeded(test).rng.random();
    format!("sekrit-{n:016x}-e2e")
}

/// Asserts that none of `secrets` appears in `text`.
fn assert_none_in(secrets: &[&str], what: &str, text: &str) {
    for secret in secrets {
        assert!(
            !text.contains(secret),
            "{what} contains a secret value:\n{text}"
        );
    }
}

/// Asserts that `secret` appears nowhere in `run`.
fn clean(secret: &str, what: &str, run: &Run) {
    assert_none_in(&[secret], &format!("the output of {what}"), &run.all());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secret_value_never_appears_in_output_files_or_logs() {
    let secret = unique_secret("secret_value_never_appears_in_output_files_or_logs");
    // The sandbox accepts only this key: the binary's own calls and the pair's check runs
    // (which send the DD_API_KEY custom variable) work only if the secret is really used.
    let config = SandboxConfig {
        api_keys: vec![secret.clone()],
        ..SandboxConfig::default()
    };
    let mut e = E2e::with_config(config, &secret).await;
    let id = e.scenario_with_a_checkout_monitor().await;
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
    run.assert_shows(&["No changes."]);
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
    let secret = format!(
        "{}{}",
        unique_secret("secret_value_never_appears_when_writes_fail_or_plans_are_stale"),
        "s".repeat(1200)
    );
    let config = SandboxConfig {
        max_variable_bytes: Some(1000),
        ..SandboxConfig::default()
    };
    let mut e = E2e::with_config(config, &secret).await;
    e.env.push(("RUST_LOG".into(), "trace".into()));
    let id = e.scenario_with_a_checkout_monitor().await;
    let run = e.apply(&["-vvv", "--auto-approve"]).await;
    run.assert_exit_shows(1, &["FAILED"]);
    clean(&secret, "a failed apply", &run);

    let saved = e.path("plan.json");
    let run = e.plan(&["--out", saved.to_str().unwrap()]).await;
    clean(&secret, "plan --out", &run);
    e.set_message(id, "Errors, edited").await;
    let run = e.apply(&["-vvv", "--plan", saved.to_str().unwrap()]).await;
    run.assert_exit_shows(1, &["stale"]);
    clean(&secret, "a stale apply", &run);
}

const SMS_TOKEN: &str = "S3CRET-sms-token-9f8e7d6c5b4a";
const SMS_TOKEN_2: &str = "S3CRET-rotated-token-0a1b2c3d";
const SECRETS: &[&str] = &[SMS_TOKEN, SMS_TOKEN_2, API_KEY, APP_KEY];

fn assert_clean(what: &str, text: &str) {
    assert_none_in(SECRETS, what, text);
}

fn manifests(dir: &Path) {
    write_manifests(dir, &["payments"], "");
    std::fs::write(
        dir.join("sms.yaml"),
        "custom_variables:\n  SMS_TOKEN:\n    value: ${env:SMS_TOKEN}\n    secret: true\nwebhooks:\n  sms-oncall:\n    url: https://example.com/hooks/$ALERT_ID\n    custom_headers: {Authorization: \"Bearer $SMS_TOKEN\"}\n    payload: {text: \"$EVENT_TITLE\"}\n",
    )
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secret_value_appears_nowhere() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("sandbox.json");
    let dir = tmp.path().join("m");
    let sandbox = Sandbox::spawn(&["--data", data.to_str().unwrap()]).await;
    people_monitors(&sandbox, 4).await;
    manifests(&dir);
    let plan_file = tmp.path().join("plan.json");
    let mut runs = 0;
    let mut header_shown = false;
    for (verbosity, rust_log) in [("-v", None), ("-vvv", None), ("-v", Some("trace"))] {
        for token in [SMS_TOKEN, SMS_TOKEN_2] {
            let with_env = |mut cmd: tokio::process::Command| {
                cmd.arg(verbosity).env("SMS_TOKEN", token);
                if let Some(level) = rust_log {
                    cmd.env("RUST_LOG", level);
                }
                cmd
            };
            let verb = |verb: &str, extra: &[&str]| {
                with_env(cli::verb(
                    verb,
                    &sandbox.base,
                    &dir,
                    &[&["--no-color"], extra].concat(),
                ))
            };
            let mut outputs = Vec::new();
            // validate never connects; it takes no --api-url, so run it without one.
            let mut validate = cli::command(&["validate"]);
            validate.arg(&dir);
            outputs.push(("validate", cli::run(with_env(validate)).await));
            for format in ["text", "json", "markdown"] {
                outputs.push(("plan", cli::run(verb("plan", &["--format", format])).await));
            }
            let out_flag = format!("--out={}", plan_file.display());
            let planned = cli::run(verb("plan", &[&out_flag])).await;
            header_shown |= planned.stdout.contains("Bearer $SMS_TOKEN");
            outputs.push(("plan --out", planned));
            let saved = std::fs::read_to_string(&plan_file).expect("plan file written");
            assert_clean("the saved plan file", &saved);
            let plan_flag = format!("--plan={}", plan_file.display());
            let applied = cli::run(verb("apply", &[&plan_flag])).await;
            assert_eq!(applied.code, 0, "{}", applied.all());
            outputs.push(("apply --plan", applied));
            outputs.push(("apply", cli::run(verb("apply", &["--auto-approve"])).await));
            for (what, out) in &outputs {
                assert_clean(&format!("{what} stdout"), &out.stdout);
                assert_clean(&format!("{what} stderr"), &out.stderr);
                runs += 1;
            }
            // The registry holds fingerprints only.
            for (name, value) in sandbox.registry_values().await {
                assert_clean(&format!("registry variable {name}"), &value);
            }
            // The variable reached Datadog as a secret, whose value is never returned;
            // the sandbox's data file does not hold it (the E2E test above proves the
            // value itself is what Datadog uses).
            let var = sandbox
                .variable("SMS_TOKEN")
                .await
                .expect("SMS_TOKEN exists");
            assert_eq!(var["is_secret"], true, "{var}");
            assert!(var.get("value").is_none(), "{var}");
            let file = std::fs::read_to_string(&data).expect("the sandbox's data file");
            assert_clean("the sandbox's data file", &file);
        }
    }
    assert!(
        header_shown,
        "the plan shows a secret header as its $VARIABLE"
    );
    sandbox.stop().await;
    // The demo, with the secrets in its environment.
    let repo_manifests = Path::new(env!("CARGO_MANIFEST_DIR")).join("manifests");
    for rust_log in ["trace", "info"] {
        let mut demo = cli::command(&["demo", "-v", "--no-color"]);
        demo.arg(&repo_manifests)
            .current_dir(tmp.path())
            .env("SMS_TOKEN", SMS_TOKEN)
            .env("RUST_LOG", rust_log);
        let out = cli::run(demo).await;
        assert_eq!(out.code, 0, "{}", out.all());
        assert_clean("demo stdout", &out.stdout);
        assert_clean("demo stderr", &out.stderr);
        runs += 1;
    }
    eprintln!("secrets: {runs} command runs checked");
}
