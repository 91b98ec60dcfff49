//! `ddhooks demo`: the whole story on an embedded sandbox, with no account and no network:
//! people's monitors, plan, apply, a second plan with no changes, monitors alerting and
//! recovering, and what the group's "Check status" widget shows.

use super::session::{self, Session};
use crate::datadog::objects::NewMonitor;
use crate::manifest::LoadOptions;
use crate::output::{Exit, Printer};
use crate::plan::PlanOptions;
use crate::render;
use crate::sandbox::SandboxConfig;
use crate::template;
use anyhow::Context;
use clap::Args;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// Flags of `ddhooks demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// The manifests to apply.
    #[arg(default_value = DEFAULT_DIR)]
    pub dir: PathBuf,

    /// No colours.
    #[arg(long)]
    pub no_color: bool,
}

/// Where the demo looks for manifests by default.
const DEFAULT_DIR: &str = "manifests";

/// The repository's `manifests/`, embedded: what the demo applies when run elsewhere.
const EMBEDDED_MANIFESTS: [(&str, &str); 3] = [
    (
        "checkout.yaml",
        include_str!("../../manifests/checkout.yaml"),
    ),
    ("storage.yaml", include_str!("../../manifests/storage.yaml")),
    (
        "webhooks.yaml",
        include_str!("../../manifests/webhooks.yaml"),
    ),
];

/// Writes [`EMBEDDED_MANIFESTS`] to a new temporary directory (removed when dropped).
fn write_embedded_manifests() -> anyhow::Result<tempfile::TempDir> {
    let dir = tempfile::Builder::new()
        .prefix("ddhooks-demo-")
        .tempdir()
        .context("creating a temporary directory for the demo's manifests")?;
    for (name, text) in EMBEDDED_MANIFESTS {
        let path = dir.path().join(name);
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(dir)
}

/// A stand-in for the API key the pair's webhooks send; the sandbox accepts any non-empty
/// key. Real keys are never used by the demo.
const DEMO_API_KEY: &str = "demo-key-not-a-real-one";

/// Monitors as people wrote them: runbook links, mentions, existing conditionals, a
/// comment, unicode and trailing spaces — all of which must survive byte for byte.
fn people_monitors() -> Vec<(&'static str, Vec<&'static str>, &'static str)> {
    vec![
        (
            "[checkout] High error rate on checkout-api",
            vec!["team:checkout", "service:checkout-api"],
            "Error rate above 5% on {{service.name}}.\nRunbook: https://wiki.example.com/runbooks/checkout-errors\n{{#is_alert}} @pagerduty-checkout {{/is_alert}}\n{{#is_warning}} @slack-checkout-alerts {{/is_warning}}",
        ),
        (
            "[checkout] p99 latency",
            vec!["team:checkout", "service:checkout-web"],
            "p99 latency is {{value}} ms — see https://grafana.example.com/d/checkout 📈\n{{!-- owner: @jane --}}  ",
        ),
        (
            "[checkout] Payment provider timeouts",
            vec!["team:checkout"],
            "Timeouts talking to the payment provider. @slack-checkout-alerts",
        ),
        (
            "Disk almost full on db hosts",
            vec!["team:storage"],
            "Disk usage {{value}}% on {{host.name}} @ops-storage",
        ),
    ]
}

/// Runs the demo.
pub fn run(args: DemoArgs, printer: Printer) -> anyhow::Result<Exit> {
    let env = |name: &str| {
        if name == "DD_API_KEY" {
            Some(DEMO_API_KEY.to_string())
        } else {
            std::env::var(name).ok()
        }
    };
    let options = LoadOptions {
        env: Arc::new(env),
        ..LoadOptions::default()
    };
    // Run from anywhere (an installed binary): without the repository's `manifests/`, the
    // demo writes its own, embedded in the binary, to a temporary directory.
    let embedded = if !args.dir.exists() && args.dir == Path::new(DEFAULT_DIR) {
        Some(write_embedded_manifests()?)
    } else {
        None
    };
    let dir = embedded.as_ref().map_or(args.dir.as_path(), |d| d.path());
    if embedded.is_some() {
        println!(
            "(no {DEFAULT_DIR}/ here: the demo uses its own manifests, written to {})\n",
            dir.display()
        );
    }
    let loaded = session::load_manifests(dir, options, printer).with_context(|| {
        format!(
            "the demo applies the manifests in {}; run it from the repository root, or from a directory without `{DEFAULT_DIR}/`",
            dir.display()
        )
    })?;
    let color = session::use_color(args.no_color);
    session::runtime()?.block_on(async move {
        let session = Session::in_memory_sandbox(SandboxConfig::default()).await?;
        let base = session.sandbox.as_ref().map(|s| s.base_url()).unwrap_or_default();
        println!("ddhooks demo: an embedded Datadog sandbox at {base}; no account, no network.\n");

        println!("1. Monitors people wrote (ddhooks must never touch their text):\n");
        let mut ids = Vec::new();
        for (name, tags, message) in people_monitors() {
            let monitor = NewMonitor {
                monitor_type: "metric alert".into(),
                query: "avg(last_5m):avg:system.load.1{*} > 2".into(),
                name: name.into(),
                message: message.into(),
                tags: tags.iter().map(|t| t.to_string()).collect(),
            };
            let id = session.client.create_monitor_as(&monitor).await?;
            ids.push((id, name, message));
            println!("   monitor {id}  {name}  [{}]", tags.join(", "));
        }
        // Datadog evaluates new monitors; here they all come up OK (before any webhook exists).
        let http = reqwest::Client::new();
        for (id, _, _) in &ids {
            let url = format!("{base}/sandbox/v1/monitor/{id}/transition");
            http.post(&url).json(&json!({"to": "OK"})).send().await?.error_for_status()?;
        }
        println!("   (all evaluated OK)");
        // What their handles name: the PagerDuty service and the Slack channel (the handle
        // check looks them up), set up as the integrations' tiles do.
        for (path, body) in [
            (
                "/api/v1/integration/pagerduty/configuration/services",
                json!({"service_name": "checkout", "service_key": "demo-service-key"}),
            ),
            (
                "/api/v1/integration/slack",
                json!({"service_hooks": [{"account": "main", "url": "https://hooks.slack.example/demo"}]}),
            ),
            (
                "/api/v1/integration/slack/configuration/accounts/main/channels",
                json!({"name": "#checkout-alerts"}),
            ),
        ] {
            http.post(format!("{base}{path}"))
                .header("DD-API-KEY", "sandbox-api-key")
                .header("DD-APPLICATION-KEY", "sandbox-app-key")
                .json(&body)
                .send()
                .await?
                .error_for_status()?;
        }

        println!("\n2. ddhooks plan manifests/\n");
        let planned = session.plan(&loaded, &PlanOptions::default(), None).await?;
        print!("{}", indent(&render::render_text(&planned.plan, color)));

        println!("\n3. ddhooks apply manifests/ --auto-approve\n");
        let (applier, plan) = planned.into_applier(&session, Arc::new(AtomicBool::new(false)));
        let report = applier.apply(&plan).await;
        let d = report.done;
        if !report.complete() {
            anyhow::bail!("the demo's apply did not complete: {:?}", report.outcomes);
        }
        println!("   Apply complete: {} created, {} updated, {} deleted.", d.create, d.update, d.delete);
        if let Ok(n) = report.seeded {
            println!("   Seeded {n} check runs: each newly wired monitor's current state.");
        }
        let checks: Vec<String> = loaded.desired.seeded_pairs.values().map(|p| p.check.clone()).collect();
        println!("\n   The status board right after apply, before any transition (GET /sandbox/v1/check_status):\n");
        print_board(&http, &base, &checks).await?;

        println!("\n4. ddhooks plan manifests/ (again)\n");
        let again = session.plan(&loaded, &PlanOptions::default(), None).await?;
        print!("{}", indent(&render::render_text(&again.plan, color)));

        let (first_id, first_name, first_message) = ids[0];
        let now = session.client.read_monitor_message(first_id).await?.unwrap_or_default();
        println!("\n5. The message of monitor {first_id} ({first_name}) now:\n");
        print!("{}", indent(&format!("{now}\n")));
        let kept = now.starts_with(first_message);
        println!("   People's text kept byte for byte: {}", if kept { "yes" } else { "NO" });

        let by_rule: Vec<String> = loaded.desired.notification_rules.keys().cloned().collect();
        if !by_rule.is_empty() {
            let selected = |tags: &[&str]| {
                let tags: Vec<String> = tags.iter().map(|t| t.to_string()).collect();
                loaded.desired.notification_rules.values().any(|r| template::filter_matches(&r.filter, &tags))
            };
            let rule_monitors: Vec<(i64, &str, &str)> = ids
                .iter()
                .zip(people_monitors())
                .filter(|(_, (_, tags, _))| selected(tags))
                .map(|(monitor, _)| *monitor)
                .collect();
            println!("\n   Groups delivered by a notification rule ({}): their monitors' messages are not edited at all:", by_rule.join(", "));
            for (id, name, message) in &rule_monitors {
                let now = session.client.read_monitor_message(*id).await?.unwrap_or_default();
                println!("   monitor {id} ({name}) unchanged: {}", if now == *message { "yes" } else { "NO" });
            }
        }

        println!("\n6. Monitors change state (the sandbox evaluates each message and fires its webhooks):\n");
        let checkout: Vec<i64> = ids.iter().filter(|(_, n, _)| n.starts_with("[checkout]")).map(|(id, _, _)| *id).collect();
        let mut steps = vec![(checkout[0], "Alert"), (checkout[1], "Alert"), (checkout[0], "OK")];
        if let Some((storage, _, _)) = ids.iter().find(|(_, n, _)| n.starts_with("Disk")) {
            steps.push((*storage, "Alert"));
        }
        for (id, to) in steps {
            let url = format!("{base}/sandbox/v1/monitor/{id}/transition");
            let answer: Value = http.post(&url).json(&json!({"to": to})).send().await?.json().await?;
            println!("   monitor {id} -> {to}");
            let rules: BTreeMap<&str, &str> = items(answer.get("rules"))
                .filter_map(|r| Some((r.get("id")?.as_str()?, r.get("name")?.as_str()?)))
                .collect();
            for delivery in items(answer.get("deliveries")) {
                println!("      {}", describe_delivery(delivery, &rules));
            }
        }

        println!("\n7. The status board after the alerts (GET /sandbox/v1/check_status):\n");
        print_board(&http, &base, &checks).await?;
        println!("\nThat is the whole loop. Against a real org: export DD_API_KEY, DD_APP_KEY and DD_SITE, then `ddhooks plan` and `ddhooks apply`.");
        Ok(Exit::Success)
    })
}

/// Prints what each pair's "Check status" widget shows, as the sandbox answers it: the
/// latest status per group and the counts.
async fn print_board(http: &reqwest::Client, base: &str, checks: &[String]) -> anyhow::Result<()> {
    for check in checks {
        let url = format!("{base}/sandbox/v1/check_status");
        let answer: Value = http
            .get(&url)
            .query(&[("check", check.as_str())])
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        for group in items(answer.get("groups")) {
            let tags: Vec<&str> = items(group.get("tags")).filter_map(Value::as_str).collect();
            let status = match group.get("status").and_then(Value::as_i64) {
                Some(0) => "OK",
                Some(1) => "WARNING",
                Some(2) => "CRITICAL",
                _ => "UNKNOWN",
            };
            println!("   {check}  [{}]  {status}", tags.join(", "));
        }
        let count = |k: &str| {
            answer
                .pointer(&format!("/counts/{k}"))
                .and_then(Value::as_u64)
                .unwrap_or(0)
        };
        println!(
            "   {check}: OK: {}   CRITICAL: {}\n",
            count("OK"),
            count("CRITICAL")
        );
    }
    Ok(())
}

/// The elements of a JSON array the sandbox answered; none when it is absent or not an array.
fn items(array: Option<&Value>) -> impl Iterator<Item = &Value> {
    array.and_then(Value::as_array).into_iter().flatten()
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("   {l}\n")).collect()
}

/// One line per delivery: which webhook fired (and through which notification rule, when
/// a rule named it), where it went, and what it carried.
fn describe_delivery(delivery: &Value, rule_names: &BTreeMap<&str, &str>) -> String {
    let text = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or("?").to_string();
    let webhook = text(delivery.get("webhook"));
    let url = text(delivery.get("url"));
    let result = delivery.get("result");
    let routed = result.and_then(|r| r.get("routed_to")).is_some();
    let outcome = match result.and_then(|r| r.get("status")).and_then(Value::as_i64) {
        Some(status) if routed => format!("answered {status} (routed into the sandbox)"),
        Some(status) => format!("answered {status}"),
        None => "recorded, not sent (not a Datadog API host)".to_string(),
    };
    let checks: Vec<String> = items(delivery.get("payload"))
        .filter_map(|c| {
            let check = c.get("check")?.as_str()?;
            let status = c.get("status")?.as_i64()?;
            let tags: Vec<&str> = c
                .get("tags")?
                .as_array()?
                .iter()
                .filter_map(Value::as_str)
                .collect();
            Some(format!(
                "check {check} status {status} tags [{}]",
                tags.join(", ")
            ))
        })
        .collect();
    let carried = if checks.is_empty() {
        String::new()
    } else {
        format!(": {}", checks.join("; "))
    };
    let via: Vec<&str> = items(delivery.pointer("/routed_by/rules"))
        .filter_map(Value::as_str)
        .map(|id| rule_names.get(id).copied().unwrap_or(id))
        .collect();
    let via = if via.is_empty() {
        String::new()
    } else {
        format!(" (via notification rule {})", via.join(", "))
    };
    format!("@webhook-{webhook}{via} -> {url} {outcome}{carried}")
}
