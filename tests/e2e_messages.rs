//! End-to-end property: people's text around ddhooks' block survives apply byte for byte,
//! through the real binary and a real sandbox (few cases: each one does HTTP and runs the
//! binary four times).

#[path = "e2e_support/mod.rs"]
mod e2e_support;

use e2e_support::*;
use proptest::prelude::*;

/// Pieces people's messages are made of: text, unicode, template variables, existing
/// conditionals, handles, comments, trailing whitespace, blank lines and CRLF.
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("CPU is high on {{host.name}}.".to_string()),
        Just("{{#is_alert}} @pagerduty-checkout {{/is_alert}}".to_string()),
        Just("{{^is_recovery}}still bad{{/is_recovery}}".to_string()),
        Just("{{#is_priority 'P1'}} @slack-oncall {{/is_priority}}".to_string()),
        Just("{{!-- owner: @jane --}}".to_string()),
        Just("@slack-checkout-alerts".to_string()),
        Just("Runbook: https://wiki.example.com/a?b=c#d".to_string()),
        Just("ünïcödé ✓ 📈 日本語".to_string()),
        Just(" ".to_string()),
        Just("  \t".to_string()),
        Just("\n".to_string()),
        Just("\n\n".to_string()),
        Just("\r\n".to_string()),
        "\\PC{0,6}",
    ]
}

fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(fragment(), 0..8).prop_map(|parts| parts.concat())
}

fn manifest(notify: &str) -> String {
    format!("{SCENARIO}    notify:\n      is_warning: [\"{notify}\"]\n")
}

const WITHOUT_BLOCK: &str = "custom_variables:\n  DD_API_KEY:\n    value: ${env:DD_API_KEY}\n    secret: true\nwebhook_pairs:\n  grp:\n    check: grp.status\n    tags: [\"monitor_id:$ALERT_ID\", \"team:checkout\"]\n";

async fn round_trip(original: String, after_block: String) {
    let e = E2e::start().await;
    let id = e
        .monitor("[checkout] property", &["team:checkout"], &original)
        .await;
    let bystander = e.monitor("other", &["team:other"], &original).await;

    // Appended after one blank line (none when the message is empty).
    e.write("checkout.yaml", &manifest("@slack-a"));
    e.apply_ok().await;
    let body = |h: &str| {
        format!(
            "{}\n{{{{#is_warning}}}} {h} {{{{/is_warning}}}}",
            pair_body("grp")
        )
    };
    let block_a = block("grp", &body("@slack-a"));
    let appended = if original.is_empty() {
        block_a.clone()
    } else {
        format!("{original}\n\n{block_a}")
    };
    assert_eq!(e.message(id).await, appended);
    e.assert_converged().await;

    // People add text after the block; the block changes: rewritten in place.
    e.set_message(id, &format!("{appended}{after_block}")).await;
    e.write("checkout.yaml", &manifest("@slack-b"));
    e.apply_ok().await;
    let block_b = block("grp", &body("@slack-b"));
    assert_eq!(
        e.message(id).await,
        format!("{}{after_block}", appended.replace(&block_a, &block_b))
    );
    e.assert_converged().await;

    // The block goes: exactly people's text is left (with the blank line ddhooks added
    // removed; when the block began the message, the newlines that followed it go too).
    e.write("checkout.yaml", WITHOUT_BLOCK);
    e.apply_ok().await;
    let expected = if original.is_empty() {
        after_block.trim_start_matches(['\n', '\r']).to_string()
    } else {
        format!("{original}{after_block}")
    };
    assert_eq!(e.message(id).await, expected);
    assert_eq!(e.message(bystander).await, original, "never touched");
    e.assert_converged().await;
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn peoples_text_around_the_block_is_kept_byte_for_byte(original in text(), after_block in text()) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(round_trip(original, after_block));
    }
}
