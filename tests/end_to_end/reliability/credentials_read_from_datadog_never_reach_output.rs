//! Credentials that Datadog returns never reach output (issue #11): an org set up by hand
//! carries its API key in the webhooks' URL, a bearer token in a custom header and a
//! password in a payload. Every command, in every format and at every verbosity, shows them
//! only as `(sensitive:FINGERPRINT)`, and so do the saved plan and the registry.

use crate::kit::cli::Run;
use crate::kit::e2e::E2e;
use crate::kit::guide::{self, CREDENTIALS, LEAKED_KEY, PAIR_MANIFEST, SECRET_VALUE};

/// The manifest beside the pair: the webhook that carries a token and a password today,
/// written the right way (a secret variable in the header, no password in the payload).
const SMS_MANIFEST: &str = r#"
custom_variables:
  SMS_SECRET: {value: "${env:SMS_SECRET}", secret: true}
webhooks:
  sms-oncall:
    url: https://sms.example.com/send
    custom_headers: {Authorization: "Bearer $SMS_SECRET"}
    payload: {text: "$EVENT_TITLE"}
"#;

fn assert_clean(what: &str, text: &str) {
    for credential in CREDENTIALS {
        assert!(
            !text.contains(credential),
            "{what} shows the credential {credential:?}:\n{text}"
        );
    }
}

fn assert_run_clean(what: &str, run: &Run) {
    assert_clean(&format!("{what} (exit {})", run.code), &run.all());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_command_format_and_verbosity_masks_what_datadog_returns() {
    let mut e2e = E2e::start().await;
    guide::set_up(&e2e).await;
    e2e.env.push(("SMS_SECRET".into(), SECRET_VALUE.into()));
    e2e.write("pair.yaml", PAIR_MANIFEST);
    e2e.write("sms.yaml", SMS_MANIFEST);

    let mut saw_mask = false;
    for format in ["text", "json", "markdown"] {
        for verbosity in [None, Some("-v"), Some("-vv"), Some("-vvv")] {
            let mut extra = vec!["--format", format];
            extra.extend(verbosity);
            let run = e2e.plan(&extra).await;
            assert!(matches!(run.code, 0 | 2), "plan failed:\n{}", run.all());
            assert_run_clean(&format!("plan --format {format} {verbosity:?}"), &run);
            saw_mask |= run.stdout.contains("api_key=(sensitive:");
        }
    }
    assert!(saw_mask, "the key in the URL is shown as a fingerprint");

    // The same key always gets the same fingerprint within a plan, so a reviewer sees that
    // the URL's key goes away: the text plan shows it before, and not after.
    let text = e2e.plan(&[]).await;
    text.assert_shows(&["api_key=(sensitive:"]);
    assert!(!text.stdout.contains(LEAKED_KEY));

    let saved = e2e.path("plan.json");
    let run = e2e
        .plan(&["--out", saved.to_str().expect("utf-8 path"), "-vv"])
        .await;
    assert_run_clean("plan --out", &run);
    let file = std::fs::read_to_string(&saved).expect("the saved plan");
    assert_clean("the saved plan file", &file);

    let validate = e2e
        .ddhooks(&[
            "validate",
            e2e.manifests().to_str().expect("utf-8 path"),
            "-vv",
        ])
        .await;
    assert_run_clean("validate", &validate);

    let run = e2e.apply(&["--auto-approve", "-vv"]).await;
    assert_eq!(run.code, 0, "apply failed:\n{}", run.all());
    assert_run_clean("apply", &run);
    let again = e2e.plan(&["-vvv"]).await;
    assert_run_clean("plan after apply", &again);

    // The registry keeps names and salted fingerprints, never a value.
    let registry = e2e.plan(&["--format", "json"]).await;
    assert_run_clean("plan json after apply", &registry);
    for (name, value) in e2e.registry_values().await {
        assert_clean(&format!("registry part {name}"), &value);
    }
}
