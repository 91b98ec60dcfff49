//! Import's unit tests: the guide's org, pairs, hand lines, YAML strings and payloads, and
//! credentials, each imported text planned against what exists; `named_kinds` has the rules,
//! managed blocks and status boards.

use super::emit::{yaml_flow, yaml_key};
use super::hand_lines::hand_line;
use super::scrub::{scrub_header, scrub_payload, scrub_url, EnvAlloc};
use super::*;
use crate::manifest::lint::{FIX_KEY_IN_QUERY, FIX_TAGS_LIST, MSG_ALERT_TITLE, MSG_KEY_IN_QUERY};
use crate::manifest::{LoadOptions, Source};
use crate::model::{EncodeAs, RemoteVariable};
use crate::plan::{self, Address, PlanOptions};
use crate::registry::Registry;
use serde_json::json;

/// Made up for the tests (a counting pattern), not a real key.
const KEY: &str = "a1b2c3d4e5f60718293a4b5c6d7e8f90";
const TOKEN: &str = "tok-0f9e8d7c6b5a49382716";
const PASSWORD: &str = "hunter2-but-longer-42";
const LINES: &str = "{{#is_alert}} @webhook-g-alert-check {{/is_alert}}\n{{#is_recovery}} @webhook-g-ok-check {{/is_recovery}}";

fn hook(name: &str, url: &str, headers: Option<Value>, payload: Option<Value>) -> RemoteWebhook {
    RemoteWebhook {
        name: name.into(),
        url: url.into(),
        payload,
        custom_headers: headers.map(|h| {
            h.as_object()
                .into_iter()
                .flatten()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
                .collect()
        }),
        encode_as: EncodeAs::Json,
        auth_method_id: None,
    }
}

fn monitor(id: i64, tags: &[&str], message: &str) -> RemoteMonitor {
    RemoteMonitor::sample(id, format!("m{id}"), tags, message)
}

/// The guide's org: the key in the url, one object, tags as a string, `$ALERT_TITLE`.
fn guide() -> Found {
    let mut remote = Remote::default();
    for (name, status) in [("alert", 2), ("ok", 0)] {
        let w = hook(
            &format!("g-{name}-check"),
            &format!("https://api.datadoghq.com/api/v1/check_run?api_key={KEY}"),
            None,
            Some(
                json!({"check": "g.status", "status": status, "host_name": "$HOSTNAME", "tags": "monitor:$ALERT_TITLE"}),
            ),
        );
        remote.webhooks.insert(w.name.clone(), w);
    }
    let sms = hook(
        "sms-oncall",
        "https://sms.example.com/send",
        Some(json!({"Authorization": format!("Bearer {TOKEN}")})),
        Some(json!({"text": "$EVENT_TITLE", "password": PASSWORD})),
    );
    remote.webhooks.insert(sms.name.clone(), sms);
    remote.custom_variables.insert(
        "SMS_SECRET".into(),
        RemoteVariable {
            name: "SMS_SECRET".into(),
            value: None,
            secret: true,
        },
    );
    for m in [
        monitor(1, &["team:checkout"], &format!("Latency.\n\n{LINES}\n@sms")),
        monitor(
            2,
            &["team:checkout", "env:prod"],
            &format!("{LINES}\nErrors. @webhook-sms-oncall"),
        ),
        monitor(
            3,
            &["team:checkout", "env:prod"],
            "Down.\n{{#is_recovery}} @webhook-g-ok-check {{/is_recovery}}\n  notes\n{{#is_alert}} @webhook-g-alert-check {{/is_alert}}",
        ),
        monitor(4, &["team:search", "env:prod"], "Slow. @search"),
    ] {
        remote.monitors.insert(m.id, m);
    }
    Found {
        remote,
        ..Found::default()
    }
}

fn env_values(imported: &Imported, secrets: &[(&str, &str)]) -> BTreeMap<String, String> {
    imported
        .env
        .iter()
        .map(|(k, v)| {
            let value = match &v.value {
                Some(s) => s.expose().to_string(),
                None => secrets
                    .iter()
                    .find(|(n, _)| n == k)
                    .map_or("?", |(_, v)| v)
                    .to_string(),
            };
            (k.clone(), value)
        })
        .collect()
}

fn plan_of(imported: &Imported, found: &Found, env: BTreeMap<String, String>) -> plan::Plan {
    let loaded = manifest::load_sources(
        &[Source {
            path: "imported.yaml".into(),
            text: imported.manifest.clone(),
        }],
        &LoadOptions::default().with_env_map(env),
    )
    .unwrap_or_else(|d| panic!("{d}\n{}", imported.manifest));
    plan::plan(
        &loaded.desired,
        &found.remote,
        &Registry::new("salt"),
        &PlanOptions::default(),
    )
}

#[test]
fn the_guides_org_imports_without_credentials_and_plans_as_adoptions_only() {
    let found = guide();
    let imported = import_default(&found);
    let text = &imported.manifest;
    for secret in [KEY, TOKEN, PASSWORD] {
        assert!(!text.contains(secret), "{text}");
        assert!(!format!("{imported:?}").contains(secret));
    }
    assert!(text.contains("?api_key=${env:DD_API_KEY}"), "{text}");
    assert!(
        text.contains("\"Bearer ${env:SMS_ONCALL_AUTHORIZATION}\""),
        "{text}"
    );
    assert!(text.contains("${env:SMS_ONCALL_PASSWORD}"), "{text}");
    assert!(
        text.contains("# imported from webhook g-alert-check"),
        "{text}"
    );
    assert!(
        text.contains("# found in monitors 1, 2, 3 (tag team:checkout)"),
        "{text}"
    );
    assert!(!text.contains("webhook_pairs"), "{text}");
    let names: Vec<&str> = imported.env.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "DD_API_KEY",
            "SMS_ONCALL_AUTHORIZATION",
            "SMS_ONCALL_PASSWORD",
            "SMS_SECRET"
        ]
    );
    assert_eq!(imported.counts.webhooks, 3);
    assert_eq!(imported.counts.blocks, 1);
    let pitfalls: Vec<String> = imported
        .findings
        .iter()
        .filter(|f| f.kind == FindingKind::Pitfall)
        .map(|f| f.to_string())
        .collect();
    let all = pitfalls.join("\n");
    for expected in [
        MSG_KEY_IN_QUERY,
        FIX_KEY_IN_QUERY,
        "one object",
        FIX_TAGS_LIST,
        MSG_ALERT_TITLE,
    ] {
        assert!(all.contains(expected), "{expected} in {all}");
    }
    let plan = plan_of(
        &imported,
        &found,
        env_values(&imported, &[("SMS_SECRET", "s")]),
    );
    assert!(plan.problems.is_empty(), "{:?}", plan.problems);
    for change in &plan.changes {
        let view = serde_json::to_value(crate::render::PlanView::of(&plan)).unwrap_or_default();
        let _ = view;
        match change {
            plan::Change::Webhook(c) => assert!(
                matches!(c.edit, plan::Edit::Adopt { writes: false, .. }),
                "{c:?}"
            ),
            plan::Change::CustomVariable(c) => {
                assert!(matches!(c.edit, plan::Edit::Adopt { .. }), "{c:?}")
            }
            plan::Change::NotificationRule(c) => panic!("import makes no rule: {c:?}"),
            plan::Change::StatusBoard(c) => panic!("import makes no board: {c:?}"),
            plan::Change::AuthMethod(c) => panic!("import makes no auth method: {c:?}"),
            plan::Change::Monitor(c) => {
                assert!(
                    c.blocks
                        .iter()
                        .all(|b| matches!(b.action, plan::BlockAction::Adopt { .. })),
                    "{c:?}"
                );
            }
        }
    }
    let monitors: Vec<i64> = plan
        .changes
        .iter()
        .filter_map(|c| match c {
            plan::Change::Monitor(m) => Some(m.id),
            _ => None,
        })
        .collect();
    assert_eq!(monitors, [1, 2, 3]);
    assert!(!plan.reads.contains_key(&Address::Monitor(4)) || monitors.len() == 3);
}

fn exact_pair() -> Found {
    let mut found = guide();
    found.remote.webhooks.clear();
    for (name, status) in [("alert", 2), ("ok", 0)] {
        let w = hook(
            &format!("g-{name}-check"),
            "https://api.datadoghq.com/api/v1/check_run",
            Some(json!({"Content-Type": "application/json", "DD-API-KEY": "$DD_API_KEY"})),
            Some(
                json!([{"check": "g.status", "status": status, "host_name": "$HOSTNAME", "tags": ["monitor_id:$ALERT_ID"]}]),
            ),
        );
        found.remote.webhooks.insert(w.name.clone(), w);
    }
    found.remote.custom_variables.insert(
        "DD_API_KEY".into(),
        RemoteVariable {
            name: "DD_API_KEY".into(),
            value: None,
            secret: true,
        },
    );
    found
}

#[test]
fn webhooks_a_pair_reproduces_exactly_become_a_pair_and_its_block() {
    let found = exact_pair();
    let imported = import_default(&found);
    let text = &imported.manifest;
    assert!(text.contains("webhook_pairs:\n"), "{text}");
    assert!(text.contains("    check: \"g.status\""), "{text}");
    assert!(text.contains("    pair: g\n"), "{text}");
    assert!(!text.contains("\nwebhooks:"), "{text}");
    assert!(
        imported
            .findings
            .iter()
            .all(|f| f.kind != FindingKind::Pitfall),
        "{:?}",
        imported.findings
    );
    let plan = plan_of(
        &imported,
        &found,
        env_values(&imported, &[("SMS_SECRET", "s"), ("DD_API_KEY", "k")]),
    );
    for change in &plan.changes {
        if let plan::Change::Webhook(c) = change {
            assert!(
                matches!(c.edit, plan::Edit::Adopt { writes: false, .. }),
                "{c:?}"
            );
        }
    }
}

#[test]
fn as_pairs_writes_the_pair_form_anyway_and_declares_its_key() {
    let found = guide();
    let imported = import(
        &found,
        &ImportOptions {
            as_pairs: true,
            ..ImportOptions::default()
        },
    )
    .expect("imports");
    let text = &imported.manifest;
    assert!(
        text.contains(
            "webhook_pairs:\n  # imported from webhooks g-alert-check, g-ok-check\n  g:\n"
        ),
        "{text}"
    );
    assert!(text.contains("tags: [\"monitor:$ALERT_TITLE\"]"), "{text}");
    assert!(text.contains("  DD_API_KEY:\n"), "{text}");
    assert!(text.contains("    pair: g\n"), "{text}");
    assert!(!text.contains(KEY));
    assert!(imported
        .findings
        .iter()
        .any(|f| f.kind == FindingKind::Pitfall && f.message == MSG_KEY_IN_QUERY));
}

#[test]
fn missing_names_are_reported_and_blocks_without_a_unique_tag_use_ids() {
    let mut found = guide();
    found
        .missing_webhooks
        .insert("nope".into(), BTreeSet::new());
    found
        .missing_variables
        .insert("GONE".into(), BTreeSet::from(["sms-oncall".to_string()]));
    // A monitor of the search team gets the lines too: no tag is shared by exactly the group.
    let m = monitor(4, &["team:search", "env:prod"], LINES);
    found.remote.monitors.insert(4, m);
    let imported = import_default(&found);
    assert_findings_say(
        &imported,
        &[
            "missing: webhook nope: was asked for with --webhook",
            "missing: custom variable GONE: is referenced by webhooks sms-oncall",
        ],
    );
    assert!(
        imported.manifest.contains("      ids: [1, 2, 3, 4]"),
        "{}",
        imported.manifest
    );
}

#[test]
fn hand_lines_are_only_what_a_block_renders() {
    let known: BTreeSet<String> = ["a".to_string()].into();
    let rule = |line: &str| hand_line(line, &known).map(|h| h.rule.to_owned());
    assert!(rule("{{#is_alert}} @webhook-a {{/is_alert}}").is_some());
    assert!(rule("  {{#is_alert}}@webhook-a @slack-x{{/is_alert}} ").is_some());
    assert!(rule("{{^is_warning}} @webhook-a {{/is_warning}}").is_some());
    assert!(rule("{{#is_priority 'P1'}} @webhook-a {{/is_priority}}").is_some());
    for not in [
        "{{#is_alert}} @webhook-b {{/is_alert}}",
        "{{#is_alert}} @slack-x {{/is_alert}}",
        "{{#is_alert}} Escalating @webhook-a {{/is_alert}}",
        "{{#is_alert}} @webhook-a {{/is_recovery}}",
        "{{#is_match \"a\" \"b\"}} @webhook-a {{/is_match}}",
        "{{#is_alert}} @webhook-a",
        "@webhook-a",
        "{{#is_priority \"P1\"}} @webhook-a {{/is_priority}}",
        "",
        "{{",
        "{{#}}}}",
    ] {
        assert!(rule(not).is_none(), "{not}");
    }
}

#[test]
fn the_same_condition_twice_is_written_as_text() {
    let mut found = guide();
    found.remote.monitors.clear();
    let m = monitor(
        9,
        &["x:y"],
        "{{#is_alert}} @webhook-sms-oncall {{/is_alert}}\n{{#is_alert}} @webhook-g-alert-check {{/is_alert}}",
    );
    found.remote.monitors.insert(9, m);
    let imported = import_default(&found);
    assert!(
        imported.manifest.contains("    text: \""),
        "{}",
        imported.manifest
    );
    let plan = plan_of(
        &imported,
        &found,
        env_values(&imported, &[("SMS_SECRET", "s")]),
    );
    assert!(plan.changes.iter().all(|c| match c {
        plan::Change::Monitor(m) => m
            .blocks
            .iter()
            .all(|b| matches!(b.action, plan::BlockAction::Adopt { .. })),
        _ => true,
    }));
}

#[test]
fn yaml_strings_round_trip_through_the_loader() {
    for value in [
        "plain",
        "with \"quotes\" and \\ backslashes",
        "new\nline\ttab\r",
        "# not a comment: {x} [y] & * ! | > % @ `",
        "null",
        "123",
        "\u{7f}\u{85}\u{feff}\u{1}\u{1F600} é",
        "",
        "  spaces  ",
    ] {
        let text = format!(
            "custom_variables:\n  V:\n    value: {}\n",
            yaml_string(value)
        );
        let loaded = manifest::load_sources(
            &[Source {
                path: "v.yaml".into(),
                text: text.clone(),
            }],
            &LoadOptions::default(),
        );
        match loaded {
            Ok(l) => assert_eq!(
                l.desired.custom_variables["V"].value.expose(),
                value,
                "{text}"
            ),
            Err(d) if value.is_empty() => {
                let _ = d;
            }
            Err(d) => panic!("{value:?}: {d}"),
        }
    }
    assert_eq!(yaml_key("sms-oncall"), "sms-oncall");
    assert_eq!(yaml_key("true"), "\"true\"");
    assert_eq!(yaml_key("1x"), "\"1x\"");
}

#[test]
fn payloads_keep_their_json_values_through_yaml() {
    let payload =
        json!({"a": [1, 2.5, -3, true, null, "x: y"], "nested": {"k \"q\"": {}}, "empty": []});
    let text = format!(
        "webhooks:\n  w:\n    url: https://example.com\n    payload: {}\n",
        yaml_flow(&payload)
    );
    let loaded = manifest::load_sources(
        &[Source {
            path: "w.yaml".into(),
            text: text.clone(),
        }],
        &LoadOptions::default(),
    )
    .unwrap_or_else(|d| panic!("{d}\n{text}"));
    assert_eq!(
        loaded.desired.webhooks["w"].payload,
        Some(payload),
        "{text}"
    );
}

#[test]
fn credentials_anywhere_become_env_references() {
    let mut env = EnvAlloc::default();
    let url = scrub_url(
        &format!("https://u:{PASSWORD}@h.example.com/p?x=1&token={TOKEN}&api_key=$DD_API_KEY#f"),
        "w",
        &mut env,
    );
    assert_eq!(
        url,
        "https://u:${env:W_PASSWORD}@h.example.com/p?x=1&token=${env:W_TOKEN}&api_key=$DD_API_KEY#f"
    );
    assert_eq!(
        scrub_header("DD-API-KEY", KEY, "w", &mut env),
        "${env:DD_API_KEY}"
    );
    assert_eq!(
        scrub_header("X-Note", &format!("see Bearer {TOKEN} now"), "w", &mut env),
        "see Bearer ${env:W_TOKEN} now"
    );
    assert_eq!(
        scrub_header("Authorization", "Bearer $SMS_TOKEN", "w", &mut env),
        "Bearer $SMS_TOKEN"
    );
    let mut findings = Vec::new();
    let p = scrub_payload(
        &json!([{"auth": {"user": "u", "pin": 1234}, "link": format!("https://x/?sig={TOKEN}")}]),
        "w",
        &mut env,
        &mut findings,
    );
    let text = p.to_string();
    assert!(!text.contains("1234") && !text.contains(TOKEN), "{text}");
    assert_eq!(findings.len(), 1);
    // The same value under two names is one variable.
    assert_eq!(
        env.vars
            .values()
            .filter(|v| v.value.as_ref().is_some_and(|s| s.expose() == TOKEN))
            .count(),
        1
    );
}

#[test]
fn odd_remote_objects_never_panic_and_still_load() {
    let mut found = guide();
    let odd = [
        hook(
            "x-alert-check",
            "https://api.datadoghq.eu/api/v1/check_run",
            None,
            Some(json!("not json")),
        ),
        hook(
            "x-ok-check",
            "ftp://weird",
            Some(json!({"": "raw text"})),
            Some(json!([1, 2])),
        ),
        hook("bad name(1)", "https://x", None, None),
        hook(
            "y-alert-check",
            "https://api.datadoghq.com/api/v1/check_run",
            None,
            Some(json!([{"check": "a", "status": 2}])),
        ),
        hook(
            "y-ok-check",
            "https://api.datadoghq.com/api/v1/check_run",
            None,
            Some(json!([{"check": "b", "status": 0}])),
        ),
    ];
    for w in odd {
        found.remote.webhooks.insert(w.name.clone(), w);
    }
    found
        .remote
        .monitors
        .insert(7, monitor(7, &[], "{{!-- ddhooks:begin z --}}\nno end"));
    for as_pairs in [false, true] {
        let result = import(
            &found,
            &ImportOptions {
                as_pairs,
                ..ImportOptions::default()
            },
        );
        let imported = result.expect("imports");
        assert!(!imported.manifest.contains(KEY));
        assert_findings_say(
            &imported,
            &[
                "webhook x-ok-check: is not imported: its url",
                "webhook bad name(1): is not imported",
                "monitor 7: its managed blocks are damaged",
            ],
        );
    }
}

/// `found` imported with the default options.
fn import_default(found: &Found) -> Imported {
    import(found, &ImportOptions::default()).expect("imports")
}

/// Asserts that the findings, one a line, say each of `says`.
fn assert_findings_say(imported: &Imported, says: &[&str]) {
    let report: Vec<String> = imported.findings.iter().map(|f| f.to_string()).collect();
    let report = report.join("\n");
    for said in says {
        assert!(report.contains(said), "{said:?} in:\n{report}");
    }
}

mod named_kinds;
