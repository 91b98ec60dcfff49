//! People's text: every byte outside ddhooks' markers is kept through plan and apply, and
//! a damaged block is an error for that monitor only, which is not written. The property
//! runs through the real binary and a real sandbox (few cases, each a batch of texts on
//! monitors of one org: a case does HTTP and runs the binary six times).

use crate::kit::e2e::E2e;
use crate::kit::fixtures::{block, pair_body, SCENARIO};
use proptest::prelude::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn damaged_block_is_an_error_for_that_monitor_only() {
    let e = E2e::start().await;
    let damaged = "Broken on purpose.\n\n{{!-- ddhooks:begin grp --}}\n{{#is_alert}} @webhook-grp-alert-check {{/is_alert}}\n";
    let bad = e.checkout_monitor("[checkout] damaged one", damaged).await;
    let good = e.checkout_monitor("[checkout] fine", "Fine.").await;
    e.write("checkout.yaml", SCENARIO);

    let plan = e.plan(&[]).await;
    assert_eq!(plan.code, 1, "{}", plan.all());
    plan.assert_shows(&[&format!("Error: monitor.{bad}"), "[checkout] damaged one"]);
    assert!(plan.stdout.contains(&format!(
        "monitor.{good} \"[checkout] fine\": add block grp"
    )));

    let apply = e.apply(&["--auto-approve"]).await;
    assert_eq!(apply.code, 1, "{}", apply.all());
    apply.assert_shows(&[&format!("monitor.{bad}: skipped")]);
    assert_eq!(
        e.message(bad).await,
        damaged.trim(),
        "nothing written to the damaged monitor (held as Datadog trimmed it)"
    );
    assert_eq!(
        e.message(good).await,
        format!("Fine.\n\n{}", block("grp", &pair_body("grp")))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_message_diffs_show_no_phantom_blank_line() {
    let e = E2e::start().await;
    let id = e.checkout_monitor("[checkout] empty", "").await;
    e.write("checkout.yaml", SCENARIO);
    let plan = e.plan(&[]).await;
    let diff = |out: &str| -> Vec<String> {
        out.lines()
            .skip_while(|l| !l.contains(&format!("monitor.{id} ")))
            .skip(1)
            .take_while(|l| !l.is_empty())
            .map(|l| l.trim_start().to_string())
            .collect()
    };
    let added = diff(&plan.stdout);
    assert_eq!(added[0], "@@ -0,0 +1,4 @@", "{}", plan.all());
    assert!(
        added[1..].iter().all(|l| l.starts_with('+') && l.len() > 1),
        "{}",
        plan.all()
    );
    e.apply_ok().await;
    assert_eq!(e.message(id).await, block("grp", &pair_body("grp")));

    e.write("checkout.yaml", "webhook_pairs: {}\n");
    let plan = e.plan(&[]).await;
    let removed = diff(&plan.stdout);
    assert_eq!(removed[0], "@@ -1,4 +0,0 @@", "{}", plan.all());
    assert!(
        removed[1..]
            .iter()
            .all(|l| l.starts_with('-') && l.len() > 1),
        "{}",
        plan.all()
    );
    e.apply_ok().await;
    assert_eq!(e.message(id).await, "");
}

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

/// What Datadog stores of a message it is sent: the text with surrounding whitespace
/// trimmed (Terraform's provider records it in its `TrimWhitespace` test).
fn stored(sent: &str) -> String {
    sent.trim().to_string()
}

/// Every step runs through the real binary and sandbox, which trims as Datadog does: the
/// expected messages are what each write sends, as Datadog stores it, and after every
/// apply the plan says `No changes.` (no perpetual diff from the trimming), whatever
/// whitespace begins or ends people's text and whether the block ends the message.
///
/// Each text is one monitor of the same org (each with a bystander outside the group), so
/// one case checks a batch of texts with the same six runs of the binary.
async fn round_trip(texts: Vec<(String, String)>) {
    let e = E2e::start().await;
    let mut monitors = Vec::new();
    for (i, (original, after_block)) in texts.into_iter().enumerate() {
        let id = e
            .checkout_monitor(&format!("[checkout] property {i}"), &original)
            .await;
        let bystander = e
            .create_monitor(&format!("other {i}"), &["team:other"], &original)
            .await;
        let original = stored(&original);
        assert_eq!(e.message(id).await, original, "trimmed when made");
        monitors.push(Monitor {
            id,
            bystander,
            original,
            after_block,
            appended: String::new(),
            edited: String::new(),
        });
    }
    let body = |h: &str| {
        format!(
            "{}\n{{{{#is_warning}}}} {h} {{{{/is_warning}}}}",
            pair_body("grp")
        )
    };
    let block_a = block("grp", &body("@slack-a"));
    let block_b = block("grp", &body("@slack-b"));

    // Appended after one blank line (none when the message is empty).
    e.write("checkout.yaml", &manifest("@slack-a"));
    e.apply_ok().await;
    for m in &mut monitors {
        m.appended = if m.original.is_empty() {
            block_a.clone()
        } else {
            format!("{}\n\n{block_a}", m.original)
        };
        assert_eq!(e.message(m.id).await, m.appended, "{m:?}");
    }
    e.assert_converged().await;

    // People add text after the block; the block changes: rewritten in place.
    for m in &mut monitors {
        m.edited = stored(&format!("{}{}", m.appended, m.after_block));
        e.set_message(m.id, &m.edited).await;
    }
    e.write("checkout.yaml", &manifest("@slack-b"));
    e.apply_ok().await;
    for m in &monitors {
        assert_eq!(
            e.message(m.id).await,
            stored(&m.edited.replace(&block_a, &block_b)),
            "{m:?}"
        );
    }
    e.assert_converged().await;

    // The block goes: exactly people's text is left (with the blank line ddhooks added
    // removed; when the block began the message, the newlines that followed it go too).
    e.write("checkout.yaml", WITHOUT_BLOCK);
    e.apply_ok().await;
    for m in &monitors {
        let after_block = m
            .edited
            .strip_prefix(&m.appended)
            .expect("people's edit keeps the block's message in front");
        let expected = if m.original.is_empty() {
            after_block.trim_start_matches(['\n', '\r']).to_string()
        } else {
            format!("{}{after_block}", m.original)
        };
        assert_eq!(e.message(m.id).await, stored(&expected), "{m:?}");
        assert_eq!(
            e.message(m.bystander).await,
            m.original,
            "never touched: {m:?}"
        );
    }
    e.assert_converged().await;
}

/// One text of a [`round_trip`] batch: its monitor, the bystander, and what each step
/// expects.
#[derive(Debug)]
struct Monitor {
    id: i64,
    bystander: i64,
    /// People's text as Datadog stored it.
    original: String,
    /// What people add after the block before the second apply.
    after_block: String,
    /// The message after the first apply.
    appended: String,
    /// The message people leave before the second apply.
    edited: String,
}

proptest! {
    // Few cases of many texts each: a case starts a sandbox and runs the binary six times.
    #![proptest_config(ProptestConfig { cases: 4, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn peoples_text_around_the_block_is_kept_byte_for_byte(
        texts in prop::collection::vec((text(), text()), 1..12)
    ) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(round_trip(texts));
    }
}

/// Monitors set up by hand carry the guide's two lines: a plan adopts them in place (no
/// second copy beside them), and after apply every monitor mentions each webhook once and
/// keeps every other byte people wrote.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hand_pasted_lines_are_adopted_not_duplicated() {
    use crate::kit::guide::{self, GROUP, HAND_LINES, PAIR_MANIFEST};
    let mut e = E2e::start().await;
    let org = guide::set_up(&e).await;
    e.env
        .push(("SMS_SECRET".into(), guide::SECRET_VALUE.into()));
    e.write("pair.yaml", PAIR_MANIFEST);
    let plan = e.plan(&["--no-color"]).await;
    assert_eq!(plan.code, 0, "{}", plan.all());
    let ours = org.monitors.iter().filter(|(_, _, ours)| *ours).count();
    assert_eq!(
        plan.stdout
            .matches(&format!(
                "adopt block {GROUP} (replaces 2 hand-written lines)"
            ))
            .count(),
        ours,
        "{}",
        plan.all()
    );
    let json = e.plan(&["--format", "json"]).await;
    let view: serde_json::Value = serde_json::from_str(&json.stdout).expect("a JSON plan");
    let block_actions: Vec<&str> = view["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .flat_map(|c| c["blocks"].as_array().into_iter().flatten())
        .map(|b| b["action"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(block_actions, vec!["adopt"; ours], "{}", json.stdout);

    e.apply_and_assert_converged().await;
    let now = e.messages().await;
    let hand: Vec<&str> = HAND_LINES.lines().collect();
    for (id, before, in_group) in &org.monitors {
        let after = &now[id];
        if !in_group {
            assert_eq!(after, before, "a monitor outside the group is untouched");
            continue;
        }
        for handle in [
            format!("@webhook-{GROUP}-alert-check"),
            format!("@webhook-{GROUP}-ok-check"),
        ] {
            assert_eq!(after.matches(&handle).count(), 1, "monitor {id}: {after:?}");
        }
        // Outside the block: people's text with the hand lines taken out, nothing else.
        let blocks = ddhooks::template::find_blocks(after).expect("readable blocks");
        assert_eq!(blocks.len(), 1, "monitor {id}: {after:?}");
        let outside = ddhooks::template::without_found_blocks(after, &blocks);
        let kept: Vec<&str> = before
            .lines()
            .map(|l| if hand.contains(&l) { "" } else { l })
            .collect();
        let kept: Vec<&str> = {
            // The first hand line's place holds the block; the second one's line is gone.
            let mut seen = 0;
            kept.into_iter()
                .zip(before.lines())
                .filter(|(_, original)| {
                    if hand.contains(original) {
                        seen += 1;
                        seen == 1
                    } else {
                        true
                    }
                })
                .map(|(k, _)| k)
                .collect()
        };
        assert_eq!(
            outside.trim_end(),
            kept.join("\n").trim_end(),
            "monitor {id}"
        );
    }
}
