//! Unit tests of the shared domain types: rule condition scopes and conditions round trip
//! through text, `Secret` never formats its value, a block's body.

use super::*;

/// Both spellings Datadog has shown read as one transition; ddhooks writes the
/// recorded one.
#[test]
fn a_transition_reads_in_both_spellings_and_is_written_as_recorded() {
    for (text, condition) in [
        ("transition_type:is_alert", Condition::IsAlert),
        ("transition_type:alert", Condition::IsAlert),
        ("transition_type:recovery", Condition::IsRecovery),
        ("transition_type:is_no_data", Condition::IsNoData),
        ("transition_type:no_data", Condition::IsNoData),
    ] {
        let scope = RuleConditionScope::parse(text);
        assert_eq!(scope, RuleConditionScope::Transition(condition), "{text}");
        assert_eq!(
            scope.to_string(),
            format!("transition_type:{}", condition.name())
        );
    }
    assert!(matches!(
        RuleConditionScope::parse("transition_type:is_bogus"),
        RuleConditionScope::Other(_)
    ));
    assert!(matches!(
        RuleConditionScope::parse("transition_type:"),
        RuleConditionScope::Other(_)
    ));
}

#[test]
fn conditions_round_trip_through_text() {
    for c in Condition::SIMPLE {
        assert_eq!(Condition::parse(&c.to_string()), Some(c));
    }
    for n in 1..=5 {
        let c = Condition::IsPriority(n);
        assert_eq!(Condition::parse(&c.to_string()), Some(c));
    }
    assert_eq!(Condition::parse("is_priority 'P6'"), None);
    assert_eq!(Condition::parse("is_priority P1"), None);
    assert_eq!(Condition::parse("is_alerting"), None);
    assert_eq!(
        SectionCondition::parse("^is_warning"),
        Some(SectionCondition {
            condition: Condition::IsWarning,
            negated: true
        })
    );
}

#[test]
fn secret_never_formats_its_value() {
    let s = Secret::new("hunter2");
    assert_eq!(format!("{s} {s:?}"), "(sensitive) (sensitive)");
}

#[test]
fn block_body_is_one_line_per_rule_then_text() {
    let b = NotificationBlock {
        name: "g".into(),
        monitors: MonitorSelector::default(),
        rules: vec![
            NotifyRule {
                when: SectionCondition {
                    condition: Condition::IsAlert,
                    negated: false,
                },
                handles: vec!["@webhook-g-alert-check".into()],
            },
            NotifyRule {
                when: SectionCondition {
                    condition: Condition::IsPriority(1),
                    negated: true,
                },
                handles: vec!["@a".into(), "@b".into()],
            },
        ],
        text: Some("free\n".into()),
    };
    assert_eq!(
        b.body(),
        "{{#is_alert}} @webhook-g-alert-check {{/is_alert}}\n{{^is_priority 'P1'}} @a @b {{/is_priority}}\nfree"
    );
}
