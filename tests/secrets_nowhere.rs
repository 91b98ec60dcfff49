//! A known secret value goes through every command — validate, plan in each format, a saved
//! plan, apply (twice, the second changing the secret), demo — with `-v` and with
//! `RUST_LOG=trace`, and appears nowhere: stdout, stderr, plan files, the registry.
//! Headers that carry a secret show only its `$VARIABLE`.

mod reliability_common;

use reliability_common::*;
use std::path::Path;

const SMS_TOKEN: &str = "S3CRET-sms-token-9f8e7d6c5b4a";
const SMS_TOKEN_2: &str = "S3CRET-rotated-token-0a1b2c3d";
const SECRETS: &[&str] = &[SMS_TOKEN, SMS_TOKEN_2, API_KEY, APP_KEY];

fn assert_clean(what: &str, text: &str) {
    for secret in SECRETS {
        assert!(
            !text.contains(secret),
            "{what} contains a secret value:\n{text}"
        );
    }
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
    let sandbox = SandboxProc::start(&data, &[]).await;
    create_monitors(&sandbox, 4).await;
    manifests(&dir);
    let plan_file = tmp.path().join("plan.json");
    let mut runs = 0;
    let mut header_shown = false;
    for (verbosity, rust_log) in [("-v", None), ("-vvv", None), ("-v", Some("trace"))] {
        for token in [SMS_TOKEN, SMS_TOKEN_2] {
            let cmd = |args: &[&str]| {
                let mut cmd = ddhooks(&sandbox.url, args);
                cmd.arg(verbosity).env("SMS_TOKEN", token);
                if let Some(level) = rust_log {
                    cmd.env("RUST_LOG", level);
                }
                cmd
            };
            let mut outputs = Vec::new();
            // validate never connects; it takes no --api-url, so run it without one.
            let mut validate = tokio::process::Command::new(BIN);
            validate
                .args(["validate", verbosity])
                .arg(&dir)
                .env("SMS_TOKEN", token)
                .env("DD_API_KEY", API_KEY)
                .env("DD_APP_KEY", APP_KEY)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped());
            if let Some(level) = rust_log {
                validate.env("RUST_LOG", level);
            }
            outputs.push(("validate", run(validate).await));
            for format in ["text", "json", "markdown"] {
                let mut c = cmd(&["plan", "--no-color", "--format", format]);
                c.arg(&dir);
                outputs.push(("plan", run(c).await));
            }
            let out_flag = format!("--out={}", plan_file.display());
            let mut c = cmd(&["plan", "--no-color", &out_flag]);
            c.arg(&dir);
            let planned = run(c).await;
            header_shown |= planned.stdout.contains("Bearer $SMS_TOKEN");
            outputs.push(("plan --out", planned));
            let saved = std::fs::read_to_string(&plan_file).expect("plan file written");
            assert_clean("the saved plan file", &saved);
            let plan_flag = format!("--plan={}", plan_file.display());
            let mut c = cmd(&["apply", "--no-color", &plan_flag]);
            c.arg(&dir);
            let applied = run(c).await;
            assert_eq!(
                applied.code,
                Some(0),
                "{}\n{}",
                applied.stdout,
                applied.stderr
            );
            outputs.push(("apply --plan", applied));
            let mut c = cmd(&["apply", "--no-color", "--auto-approve"]);
            c.arg(&dir);
            outputs.push(("apply", run(c).await));
            for (what, out) in &outputs {
                assert_clean(&format!("{what} stdout"), &out.stdout);
                assert_clean(&format!("{what} stderr"), &out.stderr);
                runs += 1;
            }
            // The registry holds fingerprints only.
            let state = sandbox.state();
            for (name, value) in state.variables() {
                if ddhooks::registry::is_registry_variable(&name) {
                    assert_clean(&format!("registry variable {name}"), &value);
                }
            }
            // The variable reached Datadog as a secret; the sandbox's data file does not hold
            // secret values (e2e_secrets proves the value itself is what Datadog uses).
            let vars = &state.0["custom_variables"];
            assert_eq!(
                vars["SMS_TOKEN"]["value"],
                ddhooks::sandbox::store::REDACTED_SECRET
            );
            assert_eq!(vars["SMS_TOKEN"]["is_secret"], true);
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
        let mut demo = tokio::process::Command::new(BIN);
        demo.args(["demo", "-v", "--no-color"])
            .arg(&repo_manifests)
            .current_dir(tmp.path())
            .env("DD_API_KEY", API_KEY)
            .env("DD_APP_KEY", APP_KEY)
            .env("SMS_TOKEN", SMS_TOKEN)
            .env("RUST_LOG", rust_log)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let out = run(demo).await;
        assert_eq!(out.code, Some(0), "{}", out.stderr);
        assert_clean("demo stdout", &out.stdout);
        assert_clean("demo stderr", &out.stderr);
        runs += 1;
    }
    eprintln!("secrets: {runs} command runs checked");
}
