//! People's text survives managed-block edits byte for byte: property tests of the message
//! template code (docs/guarantees.md, "People's text",
//! `adding_then_removing_a_block_restores_every_byte`).

use ddhooks_core::template;
use proptest::prelude::*;

/// Pieces people really write in monitor messages: unicode, trailing whitespace, CRLF,
/// existing conditionals, handles, template variables, comments, unclosed braces.
fn people_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9 .,:/]{0,20}",
        "\\PC{0,12}",
        Just("  \n".to_string()),
        Just("\r\n".to_string()),
        Just("\n\n\n".to_string()),
        Just("{{#is_alert}} @pagerduty-db {{/is_alert}}".to_string()),
        Just("{{^is_recovery}}still bad{{/is_recovery}}".to_string()),
        Just("{{#is_match \"env\" \"prod\"}} @slack-prod {{/is_match}}".to_string()),
        Just("@webhook-legacy-hook ".to_string()),
        Just("{{host.name}} {{value}}".to_string()),
        Just("{{!-- a note --}}".to_string()),
        Just("{{ unclosed".to_string()),
        Just("Runbook: https://wiki/cpu?x=1&y=2 ✓ 🚨".to_string()),
    ]
}

fn people_message() -> impl Strategy<Value = String> {
    prop::collection::vec(people_piece(), 0..8).prop_map(|v| v.concat())
}

const BODY: &str = "{{#is_alert}} @webhook-g-alert-check {{/is_alert}}\n{{#is_recovery}} @webhook-g-ok-check {{/is_recovery}}";

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn adding_then_removing_a_block_restores_every_byte(msg in people_message()) {
        let with = template::set_block(&msg, "g", Some(BODY)).unwrap();
        prop_assert!(with.starts_with(&msg));
        let again = template::set_block(&with, "g", Some(BODY)).unwrap();
        prop_assert_eq!(&again, &with);
        let blocks = template::find_blocks(&with).unwrap();
        prop_assert_eq!(blocks.len(), 1);
        prop_assert_eq!(blocks[0].body.as_str(), BODY);
        prop_assert_eq!(template::set_block(&with, "g", None).unwrap(), msg);
    }

    #[test]
    fn rewriting_a_block_keeps_text_on_both_sides(before in people_message(), after in people_message(), body in "\\PC{0,40}") {
        let msg = format!("{before}\n\n{}{after}", template::render_block("g", "old"));
        let out = template::set_block(&msg, "g", Some(&body)).unwrap();
        let head = format!("{}\n\n", before);
        prop_assert!(out.starts_with(&head));
        prop_assert!(out.ends_with(&after));
    }

    #[test]
    fn two_blocks_are_independent(msg in people_message()) {
        let a = template::set_block(&msg, "a", Some("A")).unwrap();
        let ab = template::set_block(&a, "b", Some("B")).unwrap();
        let b_only = template::set_block(&ab, "a", None).unwrap();
        prop_assert_eq!(template::set_block(&b_only, "b", None).unwrap(), msg);
    }
}
