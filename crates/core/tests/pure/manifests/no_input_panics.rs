//! No input panics: property tests of the manifest loader and of the message-template code
//! on arbitrary and near-valid text and bytes (docs/guarantees.md, "Bad input",
//! `the_manifest_loader_never_panics*` and `no_input_panics`).

use super::load;
use ddhooks_core::manifest::LoadOptions;
use ddhooks_core::template::{self, MonitorState, Transition};
use proptest::prelude::*;
use std::sync::Arc;

/// Pieces of manifests: valid keys, wrong types, YAML oddities (anchors, tags, flow
/// collections, multi-documents, deep nesting), env references and templates.
fn yaml_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("custom_variables:\n".to_string()),
        Just("webhook_pairs:\n".to_string()),
        Just("webhooks:\n".to_string()),
        Just("monitor_notifications:\n".to_string()),
        Just("  DD_API_KEY:\n    value: ${env:DD_API_KEY}\n    secret: true\n".to_string()),
        Just("  g:\n    check: g.status\n    statuses: {alert: 2, recovery: 0, warning: 9}\n".to_string()),
        Just("  g:\n    monitors: {ids: [1, -2, 99999999999999999999], tags: [\"a:b\"]}\n    pair: g\n".to_string()),
        Just("  w:\n    url: https://x/$ALERT_ID\n    payload: {a: [1, {b: null}]}\n    custom_headers: {A: $X}\n".to_string()),
        Just("    text: \"<<#is_alert>> @webhook-g-alert-check <</is_alert>>\"\n".to_string()),
        Just("    notify: {\"is_priority 'P9'\": [\"@x\"], \"^is_nothing\": 3}\n".to_string()),
        Just("    delivery: rule\n".to_string()),
        Just("status_boards:\n".to_string()),
        Just("  b:\n    title: T\n    pairs: [g, g, gg]\n    tags: [\"team:a\"]\n".to_string()),
        Just("  c:\n    title: \"\"\n    description: 3\n    pairs: []\n    pair: x\n".to_string()),
        Just("    seed_status: false\n".to_string()),
        Just("    seed_status: [no]\n".to_string()),
        Just("    delivery: [rules]\n".to_string()),
        Just("    monitors: {scope: \"team:a AND NOT (env:\", tags: [\"a:b\"], name: x}\n".to_string()),
        Just("    notify: {^is_alert: [\"@x\"], is_renotify: \"@y\", \"is_priority 'P1'\": []}\n".to_string()),
        Just("&a [*a, *a]\n".to_string()),
        Just("x: !!binary aGVsbG8=\n".to_string()),
        Just("---\n...\n---\n".to_string()),
        Just("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\n".to_string()),
        Just("? complex\n: key\n".to_string()),
        Just("\t\u{feff}\u{0}\r\n".to_string()),
        Just("    renamed_from: ${env:\n".to_string()),
        "[ -~\\n]{0,40}",
        "\\PC{0,20}",
    ]
}

fn yaml_text() -> impl Strategy<Value = String> {
    prop::collection::vec(yaml_piece(), 0..12).prop_map(|v| v.concat())
}

fn options() -> LoadOptions {
    LoadOptions {
        env: Arc::new(|name: &str| (name == "DD_API_KEY").then(|| "k".to_string())),
        ..LoadOptions::default()
    }
}

/// Pieces of monitor messages: every kind of tag, unbalanced and nested, markers.
fn message_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("{{#is_alert}}".to_string()),
        Just("{{/is_alert}}".to_string()),
        Just("{{^is_recovery}}".to_string()),
        Just("{{#is_priority 'P1'}}".to_string()),
        Just("{{#is_match \"a\" \"b\"}}".to_string()),
        Just("{{/is_match}}".to_string()),
        Just("{{!-- ddhooks:begin g --}}".to_string()),
        Just("{{!-- ddhooks:end g --}}".to_string()),
        Just("{{!-- ddhooks:begin  --}}".to_string()),
        Just("{{!--".to_string()),
        Just("--}}".to_string()),
        Just("{{{".to_string()),
        Just("}}".to_string()),
        Just("@webhook-".to_string()),
        Just("@webhook-a(b) ".to_string()),
        Just("$ALERT_ID ${X} $".to_string()),
        "[{}#^/!@$ a-z_\\-]{0,12}",
        "\\PC{0,10}",
    ]
}

fn message() -> impl Strategy<Value = String> {
    prop::collection::vec(message_piece(), 0..16).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn the_manifest_loader_never_panics(texts in prop::collection::vec(yaml_text(), 1..3)) {
        let _ = load(&texts, &options());
    }

    #[test]
    fn the_manifest_loader_never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let _ = load(&[text], &options());
    }

    #[test]
    fn the_template_code_never_panics(msg in message()) {
        let _ = template::parse(&msg);
        let _ = template::find_blocks(&msg);
        let _ = template::without_blocks(&msg);
        let _ = template::handles(&msg);
        let _ = template::scan_variables(&msg);
        if let Ok(with) = template::set_block(&msg, "g", Some("{{#is_alert}} @webhook-g-alert-check {{/is_alert}}")) {
            prop_assert!(template::find_blocks(&with).is_ok());
            let back = template::set_block(&with, "g", None);
            prop_assert!(back.is_ok());
        }
        let _ = template::line_column(&msg, msg.len() / 2);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        let _ = load(&[text], &LoadOptions::default());
    }

    #[test]
    fn yaml_shaped_noise_never_panics(parts in prop::collection::vec(prop::sample::select(vec![
        "webhooks", "webhook_pairs", "custom_variables", "monitor_notifications", "external_webhooks",
        "url", "payload", "notify", "monitors", "ids", "tags", "name", "text", "pair", "statuses",
        "alert", "check", "value", "secret", "custom_headers", ":", ": ", "- ", "\n", "\n  ", "\n    ",
        "[", "]", "{", "}", ",", "'", "\"", "&a ", "*a", "!!str ", "${env:X}", "$ALERT_ID", "@webhook-a",
        "{{#is_alert}}", "<</is_alert>>", "is_priority 'P1'", "^is_warning", "12", "-1", "true", "~",
        "https://api.datadoghq.eu/api/v1/check_run?api_key=1", "0123456789abcdef0123456789abcdef", "|\n  ",
        "delivery", "rule", "message", "scope", "team:a AND NOT env:b",
        "status_boards", "title", "description", "pairs", "seed_status", "false",
    ]), 0..60)) {
        let _ = load(&[parts.concat()], &LoadOptions::default());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn no_input_panics(text in "\\PC{0,200}", bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let lossy = String::from_utf8_lossy(&bytes).into_owned();
        for input in [text.as_str(), lossy.as_str()] {
            let _ = template::parse(input);
            let _ = template::find_blocks(input);
            let _ = template::set_block(input, "x", Some("y"));
            let _ = template::handles(input);
            let _ = template::scan_variables(input);
            for to in MonitorState::ALL {
                let _ = template::render(input, &Transition { from: MonitorState::Alert, to, priority: Some(1), renotify: false });
            }
        }
    }

    #[test]
    fn template_like_noise_never_panics(parts in prop::collection::vec(prop_oneof![
        Just("{{"), Just("}}"), Just("{{#is_alert}}"), Just("{{/is_alert}}"), Just("{{^"), Just("{{/"),
        Just("{{!--"), Just("--}}"), Just("{{!-- ddhooks:begin a --}}"), Just("{{!-- ddhooks:end a --}}"),
        Just("ddhooks:"), Just("@"), Just("$"), Just("$TAGS["), Just("é"), Just("\n"),
    ], 0..30)) {
        let input = parts.concat();
        let _ = template::parse(&input);
        let _ = template::set_block(&input, "a", None);
        let _ = template::render(&input, &Transition { from: MonitorState::Ok, to: MonitorState::Alert, priority: None, renotify: true });
        let _ = template::substitute(&input, |_| Some("v".into()));
    }
}
