//! `ddhooks preview`: what a monitor will send on each transition once the manifests are
//! applied — the message recipients get, the handles that fire, each webhook's call filled
//! with sample values — shown before merge, with no credential in sight.

use crate::kit::cli::{Run, API_KEY};
use crate::kit::e2e::E2e;
use crate::kit::guide::{self, CREDENTIALS, GROUP, PAIR_MANIFEST};
use serde_json::Value;

/// `ddhooks preview MANIFESTS ARGS…` (no `--api-url`: what `--block` needs).
async fn preview(e: &E2e, args: &[&str]) -> Run {
    let dir = e.manifests();
    let dir = dir.to_str().expect("utf-8 path");
    e.ddhooks(&[&["preview", dir], args].concat()).await
}

/// `ddhooks preview MANIFESTS --monitor ID --api-url SANDBOX ARGS…`.
async fn preview_monitor(e: &E2e, id: i64, args: &[&str]) -> Run {
    let id = id.to_string();
    let url = e.api_url.clone();
    preview(
        e,
        &[&["--monitor", id.as_str(), "--api-url", &url], args].concat(),
    )
    .await
}

fn json_of(run: &Run) -> Value {
    assert_eq!(run.code, 0, "{}", run.all());
    serde_json::from_str(&run.stdout).unwrap_or_else(|err| panic!("{err}:\n{}", run.all()))
}

/// Asserts that no credential of the guide's org (nor the API key the manifests read) is
/// in either stream.
fn assert_no_credential(run: &Run) {
    for secret in CREDENTIALS.iter().chain([&API_KEY]) {
        assert!(
            !run.stdout.contains(secret) && !run.stderr.contains(secret),
            "`{secret}` shown:\n{}",
            run.all()
        );
    }
}

/// The transition `name` of a JSON preview.
fn transition<'a>(preview: &'a Value, name: &str) -> &'a Value {
    preview["transitions"]
        .as_array()
        .and_then(|ts| ts.iter().find(|t| t["transition"] == name))
        .unwrap_or_else(|| panic!("no transition {name}: {preview}"))
}

fn fired(t: &Value) -> Vec<String> {
    t["webhooks"]
        .as_array()
        .map(|ws| {
            ws.iter()
                .filter_map(|w| w["name"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_block_is_previewed_offline_with_its_pair_payloads() {
    let e = E2e::start().await;
    e.write("pair.yaml", PAIR_MANIFEST);
    e.clear_requests().await;
    let alert = format!("{GROUP}-alert-check");
    let ok = format!("{GROUP}-ok-check");

    let run = preview(&e, &["--block", GROUP, "--format", "json"]).await;
    let shown = json_of(&run);
    assert_no_credential(&run);
    assert_eq!(shown["block"], GROUP, "{shown}");
    let sample_id = ddhooks::preview::SAMPLE_MONITOR_ID;

    let t = transition(&shown, "alert");
    assert_eq!(fired(t), std::slice::from_ref(&alert), "{t}");
    assert!(t["handles"]
        .as_array()
        .is_some_and(|h| h.iter().any(|h| *h == format!("webhook-{alert}"))));
    let call = &t["webhooks"][0];
    assert_eq!(
        call["url"], "https://api.datadoghq.com/api/v1/check_run",
        "{call}"
    );
    let payload = &call["payload"][0];
    assert_eq!(payload["check"], "mymonitorgroup.status", "{call}");
    assert_eq!(payload["status"], 2, "{call}");
    assert_eq!(payload["host_name"], "host-1", "{call}");
    assert_eq!(
        payload["tags"][0],
        format!("monitor_id:{sample_id}"),
        "{call}"
    );
    assert!(
        call["headers"]["DD-API-KEY"]
            .as_str()
            .is_some_and(|k| k.starts_with("(sensitive:")),
        "the key is a fingerprint: {call}"
    );

    let t = transition(&shown, "recovery");
    assert_eq!(fired(t), std::slice::from_ref(&ok), "{t}");
    assert_eq!(t["webhooks"][0]["payload"][0]["status"], 0, "{t}");
    for name in ["warning", "no-data", "alert-to-warning"] {
        let t = transition(&shown, name);
        assert!(
            fired(t).is_empty(),
            "a plain pair sends nothing on {name}: {t}"
        );
    }
    assert_eq!(fired(transition(&shown, "renotify")), [alert]);
    assert_eq!(fired(transition(&shown, "no-data-recovery")), [ok]);

    // Text, one transition.
    let run = preview(&e, &["--block", GROUP, "--transition", "warning"]).await;
    run.assert_exit_shows(0, &["== warning (OK -> Warn)", "handles: none"]);
    run.assert_hides(&["== alert", "check_run"]);
    assert_eq!(e.requests_total().await, 0, "--block never calls Datadog");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_blocks_monitors_and_transitions_are_clear_errors() {
    let e = E2e::start().await;
    e.write("pair.yaml", PAIR_MANIFEST);
    let run = preview(&e, &["--block", "nope"]).await;
    assert_eq!(run.code, 1, "{}", run.all());
    run.assert_stderr_shows(&["no block `nope`", &format!("the blocks are: {GROUP}")]);
    let run = preview(&e, &["--block", GROUP, "--transition", "alert-recovery"]).await;
    assert_eq!(run.code, 2, "{}", run.all());
    run.assert_stderr_shows(&[
        "alert",
        "no-data",
        "recovery",
        "warning-recovery",
        "no-data-recovery",
        "alert-to-warning",
        "renotify",
    ]);
    let run = preview_monitor(&e, 999_999, &[]).await;
    assert_eq!(run.code, 1, "{}", run.all());
    run.assert_stderr_shows(&["monitor 999999 does not exist"]);
    let run = preview(&e, &[]).await;
    assert_eq!(
        run.code,
        2,
        "--monitor or --block is required: {}",
        run.all()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guide_monitor_is_previewed_as_it_will_be_after_apply_without_credentials() {
    let e = E2e::start().await;
    let org = guide::set_up(&e).await;
    e.write("pair.yaml", PAIR_MANIFEST);
    let alert = format!("{GROUP}-alert-check");
    let ok = format!("{GROUP}-ok-check");
    // Monitor 1: the hand lines, people's text and a webhook the manifests do not declare.
    let (id, _, _) = org.monitors[1].clone();
    e.clear_requests().await;

    let run = preview_monitor(&e, id, &[]).await;
    assert_eq!(run.code, 0, "{}", run.all());
    assert_no_credential(&run);
    run.assert_shows(&[
        &format!("Monitor {id} (guide monitor 1)"),
        "Errors are up.",
        &format!("ddhooks:begin {GROUP}"),
        "== alert (OK -> Alert)",
        "== warning (OK -> Warn)",
        "== no-data (OK -> No Data)",
        "== recovery (Alert -> OK)",
        "== warning-recovery (Warn -> OK)",
        "== no-data-recovery (No Data -> OK)",
        "== alert-to-warning (Alert -> Warn)",
        "== renotify (Alert -> Alert, re-notified)",
        &format!("webhook {alert} (from the manifests)"),
        "webhook sms-oncall (read from the org",
        "(sensitive:",
    ]);

    for verbosity in [&[][..], &["-v"], &["-vv"]] {
        let args = [verbosity, &["--format", "json"]].concat();
        let run = preview_monitor(&e, id, &args).await;
        assert_no_credential(&run);
        let text = preview_monitor(&e, id, verbosity).await;
        assert_eq!(text.code, 0, "{}", text.all());
        assert_no_credential(&text);
        let shown = json_of(&run);
        assert_eq!(shown["monitor"]["id"], id, "{shown}");
        let template = shown["template"].as_str().unwrap_or_default();
        assert!(template.contains("Errors are up."), "{template}");
        assert!(
            template.contains(&format!("{{{{!-- ddhooks:begin {GROUP} --}}}}")),
            "hand lines adopted into the block: {template}"
        );
        assert_eq!(
            template
                .matches("@webhook-mymonitorgroup-alert-check")
                .count(),
            1,
            "the hand line is moved into the block, not repeated: {template}"
        );
        let t = transition(&shown, "alert");
        assert_eq!(fired(t), [alert.clone(), "sms-oncall".to_string()], "{t}");
        let message = t["message"].as_str().unwrap_or_default();
        assert!(message.contains("Errors are up."), "{message}");
        assert!(
            !message.contains("{{"),
            "sections and comments resolved: {message}"
        );
        let call = &t["webhooks"][0];
        assert_eq!(call["payload"][0]["tags"][0], format!("monitor_id:{id}"));
        let sms = &t["webhooks"][1];
        assert_eq!(sms["source"], "org", "{sms}");
        assert!(
            sms["headers"]["Authorization"]
                .as_str()
                .is_some_and(|a| a.contains("(sensitive:")),
            "{sms}"
        );
        assert_eq!(
            sms["payload"]["text"],
            format!("[Triggered] guide monitor 1"),
            "{sms}"
        );
        assert_eq!(
            fired(transition(&shown, "recovery")),
            [ok.clone(), "sms-oncall".to_string()]
        );
        assert_eq!(fired(transition(&shown, "warning")), ["sms-oncall"]);
    }
    assert_eq!(e.writes().await, 0, "preview writes nothing");
}

/// Preview and the sandbox's simulation are one evaluator: after apply, the webhooks the
/// sandbox fires on each transition are those preview listed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_preview_shows_is_what_the_sandbox_fires_after_apply() {
    let e = E2e::start().await;
    let org = guide::set_up(&e).await;
    e.write("pair.yaml", PAIR_MANIFEST);
    let (id, _, _) = org.monitors[0].clone();
    let shown = json_of(&preview_monitor(&e, id, &["--format", "json"]).await);
    e.apply_ok().await;
    for (to, name) in [("Alert", "alert"), ("OK", "recovery"), ("Warn", "warning")] {
        let body = e.transition(id, to).await;
        let t = transition(&shown, name);
        assert_eq!(body["fired"], Value::from(fired(t)), "{name}: {body}");
        assert_eq!(
            body["message"], t["message"],
            "{name}: the same message as recipients get it"
        );
    }
}

/// `preview --monitor 1` warns about monitor 1's problems only: monitor 12's damaged block
/// (whose address, `monitor.12`, starts like `monitor.1`) is not its concern.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_monitors_preview_warns_about_that_monitor_only() {
    let e = E2e::start().await;
    e.write("pair.yaml", PAIR_MANIFEST);
    let mut ids = Vec::new();
    for i in 1..=12 {
        let message = if i == 12 {
            "x\n{{!-- ddhooks:begin g --}}\nno end"
        } else {
            "Errors are up."
        };
        let id = e.checkout_monitor(&format!("m{i}"), message).await;
        ids.push(id);
    }
    assert_eq!(
        (ids[0], ids[11]),
        (1, 12),
        "the sandbox numbers monitors from 1"
    );
    let one = preview_monitor(&e, 1, &[]).await;
    assert_eq!(one.code, 0, "{}", one.all());
    one.assert_stderr_hides(&["monitor.12"]);
    let twelve = preview_monitor(&e, 12, &[]).await;
    assert!(
        twelve.stderr.contains("monitor.12") && twelve.stderr.contains("never ends"),
        "{}",
        twelve.all()
    );
}
