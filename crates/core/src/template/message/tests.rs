//! Unit tests of message templates: parsing and its errors, evaluation per transition,
//! handles found and traced.

use super::*;

/// A traced message refuses exactly what `parse` refuses, with its words.
#[test]
fn a_traced_message_refuses_what_parse_refuses() {
    let deep = "{{#is_alert}}".repeat(MAX_NESTING + 1);
    for bad in [
        "{{#is_alert}} x",
        "x {{/is_alert}}",
        "{{#is_alert}} {{/is_warning}}",
        "{{#}} x {{/}}",
        deep.as_str(),
    ] {
        assert_eq!(TracedMessage::new(bad).err(), parse(bad).err(), "{bad:?}");
        assert!(parse(bad).is_err(), "{bad:?}");
    }
    assert!(TracedMessage::new("{{#is_alert}} @a {{/is_alert}} @b").is_ok());
}
use MonitorState::*;

fn t(from: MonitorState, to: MonitorState) -> Transition {
    Transition {
        from,
        to,
        priority: None,
        renotify: false,
    }
}

const PAIR: &str = "CPU high {{host.name}}\n{{#is_alert}} @webhook-g-alert-check {{/is_alert}}\n{{#is_recovery}} @webhook-g-ok-check {{/is_recovery}}";

#[test]
fn alert_fires_alert_handle_only() {
    let out = render(PAIR, &t(Ok, Alert)).unwrap();
    let names: Vec<_> = handles(&out).into_iter().map(|h| h.name).collect();
    assert_eq!(names, ["webhook-g-alert-check"]);
    assert!(out.starts_with("CPU high {{host.name}}"));
}

#[test]
fn recovery_covers_every_bad_state() {
    for from in [Alert, Warn, NoData, Unknown] {
        let out = render(PAIR, &t(from, Ok)).unwrap();
        let hs = handles(&out);
        assert_eq!(hs.len(), 1, "from {from:?}");
        assert_eq!(hs[0].webhook(), Some("g-ok-check"));
    }
    assert!(handles(&render(PAIR, &t(Ok, Ok)).unwrap()).is_empty());
}

#[test]
fn specific_recoveries_and_alert_to_warning() {
    let msg = "{{#is_alert_recovery}}A{{/is_alert_recovery}}{{#is_warning_recovery}}W{{/is_warning_recovery}}{{#is_no_data_recovery}}N{{/is_no_data_recovery}}{{#is_alert_to_warning}}X{{/is_alert_to_warning}}";
    assert_eq!(render(msg, &t(Alert, Ok)).unwrap(), "A");
    assert_eq!(render(msg, &t(Warn, Ok)).unwrap(), "W");
    assert_eq!(render(msg, &t(NoData, Ok)).unwrap(), "N");
    assert_eq!(render(msg, &t(Alert, Warn)).unwrap(), "X");
    assert_eq!(render(msg, &t(Ok, Warn)).unwrap(), "");
}

#[test]
fn negation_priority_and_renotify() {
    let msg = "{{^is_alert}}calm{{/is_alert}}{{#is_priority 'P1'}} page{{/is_priority}}{{#is_renotify}} again{{/is_renotify}}";
    assert_eq!(render(msg, &t(Ok, Warn)).unwrap(), "calm");
    let tr = Transition {
        from: Ok,
        to: Alert,
        priority: Some(1),
        renotify: true,
    };
    assert_eq!(render(msg, &tr).unwrap(), " page again");
}

#[test]
fn comments_are_dropped_and_unknown_sections_are_false() {
    let msg = "a{{!-- hidden --}}b{{! also }}c{{#is_match \"env\" \"prod\"}}d{{/is_match}}{{^is_exact_match \"x\"}}e{{/is_exact_match}}";
    assert_eq!(render(msg, &t(Ok, Alert)).unwrap(), "abce");
}

#[test]
fn unbalanced_sections_are_errors_with_position() {
    let err = parse("x\n{{#is_alert}} y").unwrap_err();
    assert_eq!((err.line, err.column), (2, 1));
    assert!(err.message.contains("never closed"));
    let err = parse("{{#is_alert}} {{/is_recovery}}").unwrap_err();
    assert!(
        err.message.contains("expected `{{/is_alert}}`"),
        "{}",
        err.message
    );
    let err = parse("ok {{/is_alert}}").unwrap_err();
    assert_eq!(err.column, 4);
}

#[test]
fn unclosed_braces_are_text() {
    assert_eq!(render("a {{ b", &t(Ok, Alert)).unwrap(), "a {{ b");
}

#[test]
fn handles_need_a_boundary_and_stop_at_tags() {
    let hs = handles("mail a@b.c @slack-x,@y {{#is_alert}}@webhook-z{{/is_alert}}\n@u@example.com");
    let names: Vec<_> = hs.iter().map(|h| h.name.as_str()).collect();
    assert_eq!(names, ["slack-x,@y", "u@example.com"]);
    let hs = handles("{{#is_alert}} @webhook-z {{/is_alert}}");
    assert_eq!(hs[0].webhook(), Some("z"));
    assert_eq!(
        &"{{#is_alert}} @webhook-z {{/is_alert}}"[hs[0].range.clone()],
        "@webhook-z"
    );
}

#[test]
fn webhook_mentions_are_the_webhook_handles() {
    let text = "@webhook-a x@webhook-b @webhook- @webhook-c{{/is_alert}} @slack-d\u{3000}@webhook-e@webhook-f";
    let names: Vec<_> = webhook_mentions(text).collect();
    assert_eq!(names, ["a", "c", "e@webhook-f"]);
    let from_handles: Vec<_> = handles(text)
        .iter()
        .filter_map(|h| h.webhook().map(str::to_string))
        .collect();
    assert_eq!(names, from_handles);
}

/// A webhook right after a section's tag is sent when the section holds, so it is a
/// mention (ownership keeps it), though a plain scan of the raw text sees no handle there.
#[test]
fn a_webhook_right_after_a_tag_is_a_mention() {
    let text =
        "{{#is_alert}}@webhook-legacy{{/is_alert}} {{^is_recovery}}@webhook-other {{/is_recovery}}";
    let names: Vec<_> = webhook_mentions(text).collect();
    assert_eq!(names, ["legacy", "other"]);
    assert!(
        handles(text).is_empty(),
        "the raw text has no handle boundary there"
    );
}

#[test]
fn nesting_past_the_limit_is_a_located_error_not_a_stack_overflow() {
    const DEPTH: usize = 200_000;
    let opener = "{{#is_alert}}";
    let msg = format!(
        "{}@webhook-x{}",
        opener.repeat(DEPTH),
        "{{/is_alert}}".repeat(DEPTH)
    );
    let err = parse(&msg).unwrap_err();
    // The opener of level MAX_NESTING + 1 is the one reported.
    assert_eq!((err.line, err.column), (1, MAX_NESTING * opener.len() + 1));
    assert!(
        err.message.contains(&format!("{MAX_NESTING} levels")),
        "{}",
        err.message
    );
    assert_eq!(render(&msg, &t(Ok, Alert)).unwrap_err(), err);
    assert_eq!(check_nesting(&msg).unwrap_err(), err);
}

#[test]
fn nesting_at_the_limit_parses_and_renders() {
    let msg = format!(
        "{}@webhook-x{}",
        "{{#is_alert}}".repeat(MAX_NESTING),
        "{{/is_alert}}".repeat(MAX_NESTING)
    );
    assert!(parse(&msg).is_ok());
    assert!(check_nesting(&msg).is_ok());
    assert_eq!(render(&msg, &t(Ok, Alert)).unwrap(), "@webhook-x");
    assert_eq!(render(&msg, &t(Alert, Ok)).unwrap(), "");
    // Depth is what is open at once, not how many sections there are.
    let wide = "{{#is_alert}}a{{/is_alert}}".repeat(10 * MAX_NESTING);
    assert!(parse(&wide).is_ok() && check_nesting(&wide).is_ok());
}

#[test]
fn a_deep_tree_built_by_hand_evaluates_and_drops_without_recursion() {
    let mut nodes = vec![Node::Text("@webhook-x".into())];
    for _ in 0..200_000 {
        nodes = vec![
            Node::Text("a".into()),
            Node::Section {
                when: Result::Ok(SectionCondition {
                    condition: Condition::IsAlert,
                    negated: false,
                }),
                negated: false,
                children: nodes,
                open: 0..0,
            },
        ];
    }
    let out = evaluate(&nodes, &t(Ok, Alert));
    assert_eq!(out.len(), 200_000 + "@webhook-x".len());
    assert!(out.ends_with("a@webhook-x"));
    assert_eq!(evaluate(&nodes, &t(Ok, Warn)), "a");
    drop(nodes);
}

#[test]
fn line_column_counts_characters() {
    assert_eq!(line_column("é\nab", 4), (2, 2));
}
