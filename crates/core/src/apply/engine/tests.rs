//! The engine's steps, order and bookkeeping, one test each.

use super::*;
use crate::model::{EncodeAs, Secret};
use crate::plan::{
    BlockAction, BlockChange, Edit, RuleChange, VariableChange, VariableState, VariableValue,
    WebhookChange, WebhookState,
};
use crate::registry::{OwnedKind, Ownership};

fn hook(url: &str) -> WebhookState {
    WebhookState {
        url: url.into(),
        encode_as: EncodeAs::Json,
        custom_headers: None,
        payload: None,
    }
}

fn fp(s: &str) -> Fingerprint {
    Fingerprint(s.into())
}

/// Creates a secret variable and a webhook, rewrites a monitor, deletes a webhook and a
/// variable.
fn plan() -> Plan {
    let secret = VariableState {
        secret: true,
        value: VariableValue::Secret {
            fingerprint: Some("f".into()),
            value: Some(Secret::new("s3cret")),
        },
    };
    let plain = VariableState {
        secret: false,
        value: VariableValue::Plain(Some("eu".into())),
    };
    let mut p = Plan::new();
    p.changes = vec![
        Change::CustomVariable(VariableChange {
            name: "KEY".into(),
            edit: Edit::Create { after: secret },
            notes: vec![],
        }),
        Change::CustomVariable(VariableChange {
            name: "OLD".into(),
            edit: Edit::Delete {
                before: plain,
                read: fp("v"),
            },
            notes: vec![],
        }),
        create_hook("new"),
        delete_hook("gone"),
        monitor_named(7, "m", "block", "g"),
    ];
    p
}

fn owned() -> Registry {
    let mut r = Registry::new("salt");
    r.record(OwnedKind::Webhook, "gone", Ownership::default());
    r.record(OwnedKind::CustomVariable, "OLD", Ownership::default());
    r
}

/// Drives the engine, answering with `answer` (a monitor step settling before the chain
/// write it runs alongside); returns the steps (a monitor step alongside a chain write as
/// `+ …`, the last `done`) and the registries saved.
fn drive<'p>(
    engine: &mut Engine<'p>,
    read_age: Duration,
    mut answer: impl FnMut(&Step<'p>) -> StepOutcome,
) -> (Vec<String>, Vec<Registry>) {
    let mut saves = Vec::new();
    let steps = super::super::schedule::drive(engine, read_age, &mut answer, &mut |step| {
        if let Step::SaveRegistry(r) = step {
            saves.push((**r).clone());
        }
    });
    let mut steps: Vec<String> = steps.into_iter().map(|s| s.line).collect();
    steps.push("done".into());
    (steps, saves)
}

fn ok(step: &Step<'_>) -> StepOutcome {
    match step {
        Step::Monitors(work) => StepOutcome::Monitors(done(work)),
        Step::WriteById(cs) => StepOutcome::ByIdWritten(super::super::schedule::created(cs)),
        Step::SaveRegistry(_) => StepOutcome::Saved(Ok(())),
        Step::SubmitChecks(_) => StepOutcome::ChecksSubmitted(Ok(())),
        _ => StepOutcome::Written(Ok(())),
    }
}

/// [`plan`] applied with every webhook create failing with `error`: the steps, the
/// registries saved and the report.
fn failing_hook_create(error: WriteError) -> (Vec<String>, Vec<Registry>, ApplyReport) {
    let p = plan();
    let mut engine = Engine::new(&p, owned(), false);
    let (steps, saves) = drive(&mut engine, Duration::ZERO, |step| match step {
        Step::Write(Write::CreateWebhook { .. }) => StepOutcome::Written(Err(error.clone())),
        other => ok(other),
    });
    (steps, saves, engine.into_report())
}

/// Monitor work as it goes when nothing moved: every monitor as planned, every write made.
fn done(work: &MonitorWork<'_>) -> MonitorOutcome {
    match work {
        MonitorWork::Read => MonitorOutcome::Read(Ok(fingerprints())),
        MonitorWork::ReadEach(ids) => MonitorOutcome::Read(Ok(fingerprints()
            .into_iter()
            .filter(|(id, _)| ids.contains(id))
            .collect())),
        MonitorWork::Write(ms) => {
            MonitorOutcome::Written(ms.iter().map(|m| (m.id, Ok(()))).collect())
        }
    }
}

/// The outcome of the change at `address`, if it was settled.
fn outcome_of(report: &ApplyReport, address: &str) -> Option<Outcome> {
    report
        .outcomes
        .iter()
        .find(|(a, _, _)| a == address)
        .map(|(_, _, o)| o.clone())
}

/// The addresses of the changes not attempted, in order.
fn not_attempted(report: &ApplyReport) -> Vec<&str> {
    report
        .outcomes
        .iter()
        .filter(|(_, _, o)| *o == Outcome::NotAttempted)
        .map(|(a, _, _)| a.as_str())
        .collect()
}

/// Every monitor of [`overlapped_plan`] and [`plan`] as planned.
fn fingerprints() -> BTreeMap<i64, Fingerprint> {
    (1..=5)
        .map(|id| (id, fp(&format!("m{id}"))))
        .chain([(7, fp("m"))])
        .collect()
}

fn monitor(id: i64, after: &str, block: &str) -> Change {
    monitor_named(id, &format!("m{id}"), after, block)
}

/// Monitor `id` named `name` (its read fingerprint the name too), `after` appended to its
/// message with `block` added.
fn monitor_named(id: i64, name: &str, after: &str, block: &str) -> Change {
    Change::Monitor(MonitorChange {
        id,
        name: name.into(),
        before: "x".into(),
        after: format!("x\n\n{after}"),
        read: fp(name),
        blocks: vec![BlockChange {
            block: block.into(),
            action: BlockAction::Add,
        }],
        notes: vec![],
    })
}

fn create_hook(name: &str) -> Change {
    Change::Webhook(WebhookChange {
        name: name.into(),
        edit: Edit::Create {
            after: hook("https://a"),
        },
        notes: vec![],
    })
}

fn delete_hook(name: &str) -> Change {
    Change::Webhook(WebhookChange {
        name: name.into(),
        edit: Edit::Delete {
            before: hook("https://b"),
            read: fp("w"),
        },
        notes: vec![],
    })
}

/// A variable, pairs `a` and `b`, a webhook deleted; monitors 1 and 2 get `a`'s block,
/// 3 gets `b`'s, 4 mentions only an existing webhook.
fn overlapped_plan() -> Plan {
    let mut p = plan();
    p.changes
        .retain(|c| !matches!(c, Change::Monitor(_) | Change::Webhook(_)));
    p.changes.push(delete_hook("gone"));
    for name in ["b-alert", "b-ok", "a-alert", "a-ok"] {
        p.changes.push(create_hook(name));
    }
    p.changes
        .push(monitor(3, "@webhook-b-alert @webhook-b-ok", "b"));
    p.changes
        .push(monitor(1, "@webhook-a-alert @webhook-a-ok", "a"));
    p.changes.push(monitor(
        2,
        "{{#is_alert}} @webhook-a-alert {{/is_alert}}",
        "a",
    ));
    p.changes.push(monitor(4, "@webhook-existing", "c"));
    p
}

fn rule(name: &str) -> crate::model::NotificationRule {
    use crate::model::{Condition, RuleCondition, RuleConditionScope, RuleFilter, RuleRecipients};
    crate::model::NotificationRule {
        name: name.into(),
        filter: RuleFilter::Tags(vec!["team:x".into()]),
        recipients: RuleRecipients::Conditional {
            conditions: vec![RuleCondition {
                scope: RuleConditionScope::Transition(Condition::IsAlert),
                recipients: vec![format!("webhook-{name}-alert-check")],
            }],
            fallback: vec![],
        },
    }
}

fn rule_change(name: &str, id: Option<&str>, edit: Edit<crate::model::NotificationRule>) -> Change {
    Change::NotificationRule(RuleChange {
        name: name.into(),
        id: id.map(Into::into),
        edit,
        notes: vec![],
        carried: Default::default(),
    })
}

fn create_rule(name: &str) -> Change {
    rule_change(name, None, Edit::Create { after: rule(name) })
}

/// A block `new` switched from messages to a rule and a rule `old` switched back to
/// messages: the create comes before the monitor writes that remove `new`'s blocks, the
/// delete after the writes that add `old`'s; ownership follows by id.
#[test]
fn rules_are_created_before_monitor_writes_and_deleted_after_them() {
    let mut p = plan();
    p.changes.retain(|c| matches!(c, Change::Monitor(_)));
    p.changes.push(create_rule("new"));
    p.changes.push(rule_change(
        "old",
        Some("id-old"),
        Edit::Delete {
            before: rule("old"),
            read: fp("r"),
        },
    ));
    let mut registry = Registry::new("salt");
    registry.record(
        OwnedKind::NotificationRule,
        "old",
        Ownership::with_id("id-old"),
    );
    let mut engine = Engine::new(&p, registry, false);
    let (steps, saves) = drive(&mut engine, Duration::ZERO, ok);
    assert_eq!(
        steps,
        [
            "save",
            "create notification_rule.new",
            "write 1 monitors",
            "delete notification_rule.old",
            "save",
            "done"
        ]
    );
    // Before the create, its name is pending: a killed create is found by the listing.
    // A delete's name too: a lost answer may hide that it happened.
    let rules = OwnedKind::NotificationRule;
    assert_eq!(saves[0].pending(rules).collect::<Vec<_>>(), ["new", "old"]);
    let last = saves.last().unwrap();
    assert!(last.pending(rules).next().is_none());
    assert_eq!(
        last.owned_ids(rules).collect::<Vec<_>>(),
        [("new", "id-notification_rule.new")]
    );
}

/// A failed rule create stops the monitor writes (the blocks it replaces stay) and
/// leaves its name pending.
#[test]
fn a_failed_rule_create_keeps_the_blocks_and_its_name_pending() {
    let mut p = plan();
    p.changes.retain(|c| matches!(c, Change::Monitor(_)));
    p.changes.push(create_rule("new"));
    let mut engine = Engine::new(&p, Registry::new("salt"), false);
    let (steps, saves) = drive(&mut engine, Duration::ZERO, |step| match step {
        Step::WriteById(cs) => StepOutcome::ByIdWritten(
            cs.iter()
                .map(|c| (c.address(), Err(WriteError::unknown("HTTP 500"))))
                .collect(),
        ),
        other => ok(other),
    });
    assert_eq!(steps, ["save", "create notification_rule.new", "done"]);
    assert!(saves[0].is_pending(OwnedKind::NotificationRule, "new"));
    let report = engine.into_report();
    assert!(report
        .outcomes
        .iter()
        .any(|(a, _, o)| a == "monitor.7" && *o == Outcome::NotAttempted));
}

#[test]
fn steps_come_in_dependency_order_and_ownership_follows_each_write() {
    let p = plan();
    let mut engine = Engine::new(&p, owned(), false);
    let (steps, saves) = drive(&mut engine, Duration::ZERO, ok);
    assert_eq!(
        steps,
        [
            "save",
            "create var KEY",
            "create hook new",
            "write 1 monitors",
            "delete hook gone",
            "delete var OLD",
            "save",
            "done"
        ]
    );
    // First save: every name a create or delete touches is pending, nothing else moved.
    assert_eq!(
        saves[0].pending(OwnedKind::Webhook).collect::<Vec<_>>(),
        ["gone", "new"]
    );
    assert!(saves[0].is_pending(OwnedKind::CustomVariable, "KEY"));
    assert!(saves[0].owns(OwnedKind::Webhook, "gone"));
    // Last save: owned exactly what exists, nothing pending, the secret's fingerprint.
    let last = &saves[1];
    assert!(!last.has_pending());
    assert_eq!(last.owned(OwnedKind::Webhook).collect::<Vec<_>>(), ["new"]);
    assert_eq!(
        last.fingerprint_of(OwnedKind::CustomVariable, "KEY"),
        Some(last.fingerprint("s3cret").as_str())
    );
    assert!(!last.owns(OwnedKind::CustomVariable, "OLD"));
    let report = engine.into_report();
    assert!(report.complete());
    assert_eq!((report.done.create, report.done.delete), (3, 2));
    assert_eq!(
        report.steps,
        LaneSteps {
            chain: 6,
            monitors: 1
        }
    );
}

/// A write Datadog refused (a 4xx) made nothing: its name is released rather than left
/// pending, and the run is still incomplete.
#[test]
fn a_refused_webhook_create_releases_its_name() {
    let (_, saves, report) = failing_hook_create(WriteError::refused("400: invalid payload"));
    let last = saves.last().expect("a final save");
    assert!(
        !last.is_pending(OwnedKind::Webhook, "new"),
        "refused: nothing to resolve"
    );
    assert!(!last.owns(OwnedKind::Webhook, "new"));
    assert!(!report.complete());
}

#[test]
fn a_failed_webhook_write_stops_monitors_and_removals_and_leaves_its_name_pending() {
    let (steps, saves, report) = failing_hook_create(WriteError::unknown("503"));
    assert_eq!(
        steps,
        ["save", "create var KEY", "create hook new", "save", "done"]
    );
    let last = saves.last().expect("a final save");
    assert!(
        last.is_pending(OwnedKind::Webhook, "new"),
        "may exist: stays pending"
    );
    assert!(last.owns(OwnedKind::CustomVariable, "KEY"));
    assert!(
        last.owns(OwnedKind::Webhook, "gone"),
        "not deleted: still owned"
    );
    assert!(!report.complete());
    let not_attempted = not_attempted(&report);
    assert_eq!(
        not_attempted,
        ["monitor.7", "webhook.gone", "custom_variable.OLD"]
    );
}

#[test]
fn a_stale_read_lists_monitors_again_and_a_moved_one_is_refused() {
    let p = plan();
    let mut engine = Engine::new(&p, owned(), false);
    let (steps, _) = drive(&mut engine, MONITOR_READ_MAX_AGE * 2, |step| match step {
        Step::Monitors(MonitorWork::Read) => StepOutcome::Monitors(MonitorOutcome::Read(Ok(
            BTreeMap::from([(7, fp("edited"))]),
        ))),
        other => ok(other),
    });
    assert!(steps.contains(&"read monitors".to_string()));
    assert!(!steps.iter().any(|s| s.starts_with("write")), "{steps:?}");
    assert!(!steps.iter().any(|s| s.starts_with("delete")), "{steps:?}");
    let report = engine.into_report();
    assert!(report
        .outcomes
        .iter()
        .any(|(a, _, o)| a == "monitor.7" && matches!(o, Outcome::Refused(_))));
}

#[test]
fn a_failed_pending_save_writes_nothing() {
    let p = plan();
    let mut engine = Engine::new(&p, owned(), false);
    let (steps, _) = drive(&mut engine, Duration::ZERO, |_| {
        StepOutcome::Saved(Err("403".into()))
    });
    assert_eq!(steps, ["save", "done"]);
    let report = engine.into_report();
    assert!(report.registry_error.is_some());
    assert!(report
        .outcomes
        .iter()
        .all(|(_, _, o)| *o == Outcome::NotAttempted));
}
/// With overlap, a group's monitor writes ride along with the chain as soon as its
/// webhooks exist (and the variables before them); the removals still wait for all.
#[test]
fn monitor_writes_ride_along_with_the_chain_once_their_webhooks_exist() {
    let p = overlapped_plan();
    let mut engine = Engine::new(&p, owned(), false).overlapping(3);
    let (steps, saves) = drive(&mut engine, Duration::ZERO, ok);
    assert_eq!(
        steps,
        [
            "save",
            "create var KEY",
            "create hook a-alert",
            "+ write monitors 4",
            "create hook a-ok",
            "+ write monitors 2",
            "create hook b-alert",
            "+ write monitors 1",
            "create hook b-ok",
            "write 1 monitors",
            "delete hook gone",
            "delete var OLD",
            "save",
            "done"
        ]
    );
    assert!(!saves.last().unwrap().has_pending());
    let report = engine.into_report();
    assert!(report.complete(), "{report:?}");
    assert_eq!(
        (report.done.create, report.done.delete),
        (9, 2),
        "{:?}",
        report.done
    );
}

/// The next step, which must be the chain's `expected`.
fn chain_step<'p>(engine: &mut Engine<'p>, expected: &str) -> Step<'p> {
    let step = engine.next(Duration::ZERO);
    assert_eq!(
        (step.lane(), step.describe().as_str()),
        (Lane::Chain, expected)
    );
    step
}

/// The lanes settle on their own: while a monitor step is in flight the chain goes on
/// writing, and the chain waits for the monitor lane only before the rules and what
/// follows (which depend on every monitor write).
#[test]
fn a_slow_monitor_step_never_holds_up_the_chain() {
    let p = overlapped_plan();
    let mut engine = Engine::new(&p, owned(), false).overlapping(3);
    for expected in ["save", "create var KEY"] {
        let step = chain_step(&mut engine, expected);
        assert_eq!(engine.next(Duration::ZERO).describe(), "wait");
        engine.settle(ok(&step));
    }
    chain_step(&mut engine, "create hook a-alert");
    let slow = engine.next(Duration::ZERO);
    assert_eq!(slow.describe_alongside(), "+ write monitors 4");
    assert_eq!(engine.next(Duration::ZERO).describe(), "wait");
    engine.settle(StepOutcome::Written(Ok(())));
    // The monitor step is still in flight: the chain goes on without it.
    for expected in [
        "create hook a-ok",
        "create hook b-alert",
        "create hook b-ok",
    ] {
        chain_step(&mut engine, expected);
        assert_eq!(engine.next(Duration::ZERO).describe(), "wait");
        engine.settle(StepOutcome::Written(Ok(())));
    }
    // The chain is done, the monitor step is not: nothing else starts.
    assert_eq!(engine.next(Duration::ZERO).describe(), "wait");
    engine.settle(ok(&slow));
    let rest = engine.next(Duration::ZERO);
    assert_eq!(
        (rest.lane(), rest.describe()),
        (Lane::Monitors, "write 3 monitors".to_string())
    );
    assert_eq!(engine.next(Duration::ZERO).describe(), "wait");
    engine.settle(ok(&rest));
    let (steps, _) = drive(&mut engine, Duration::ZERO, ok);
    assert_eq!(
        steps,
        ["delete hook gone", "delete var OLD", "save", "done"]
    );
    let report = engine.into_report();
    assert!(report.complete(), "{report:?}");
    assert_eq!(
        report.steps,
        LaneSteps {
            chain: 9,
            monitors: 2
        }
    );
}

/// A monitor step alongside the chain writes at most `overlap` monitors; when more are
/// ready, the lane takes another step while the same chain write is in flight.
#[test]
fn no_more_monitor_writes_ride_along_than_the_overlap() {
    let mut p = overlapped_plan();
    p.changes.push(monitor(5, "@webhook-existing", "c"));
    let mut engine = Engine::new(&p, owned(), false).overlapping(1);
    let (steps, _) = drive(&mut engine, Duration::ZERO, ok);
    assert_eq!(
        &steps[2..7],
        [
            "create hook a-alert",
            "+ write monitors 4",
            "+ write monitors 5",
            "create hook a-ok",
            "+ write monitors 2",
        ]
    );
}

/// A monitor write on a read older than the limit waits for a new listing, which the
/// monitor lane makes alongside a chain write too; the writes after it use it, and a
/// monitor that moved is refused while the chain goes on (the removals do not).
#[test]
fn a_stale_read_is_renewed_alongside_the_chain_and_a_moved_monitor_is_refused() {
    let p = overlapped_plan();
    let mut engine = Engine::new(&p, owned(), false).overlapping(3);
    let (steps, _) = drive(&mut engine, MONITOR_READ_MAX_AGE * 2, |step| match step {
        Step::Monitors(MonitorWork::Read) => {
            let mut now = fingerprints();
            now.insert(4, fp("edited by someone"));
            StepOutcome::Monitors(MonitorOutcome::Read(Ok(now)))
        }
        other => ok(other),
    });
    assert_eq!(
        steps,
        [
            "save",
            "create var KEY",
            "+ read monitors",
            "create hook a-alert",
            "create hook a-ok",
            "+ write monitors 2",
            "create hook b-alert",
            "+ write monitors 1",
            "create hook b-ok",
            "write 1 monitors",
            "save",
            "done"
        ]
    );
    let report = engine.into_report();
    let outcome = |address: &str| outcome_of(&report, address);
    assert!(matches!(outcome("monitor.4"), Some(Outcome::Refused(_))));
    assert_eq!(outcome("monitor.1"), Some(Outcome::Done));
    assert_eq!(outcome("webhook.b-ok"), Some(Outcome::Done));
    assert_eq!(outcome("webhook.gone"), Some(Outcome::NotAttempted));
}

/// A failed monitor write alongside the chain does not stop the chain, but stops the
/// removals; a failed chain write stops the monitor writes not yet handed out.
#[test]
fn failures_alongside_the_chain_stop_what_depends_on_them() {
    let p = overlapped_plan();
    let mut engine = Engine::new(&p, owned(), false).overlapping(3);
    let (steps, _) = drive(&mut engine, Duration::ZERO, |step| match step {
        Step::Monitors(MonitorWork::Write(ms)) if ms.iter().any(|m| m.id == 4) => {
            StepOutcome::Monitors(MonitorOutcome::Written(BTreeMap::from([(
                4,
                Err("HTTP 500".into()),
            )])))
        }
        other => ok(other),
    });
    assert!(steps.contains(&"create hook b-ok".to_string()), "{steps:?}");
    assert!(!steps.iter().any(|s| s.starts_with("delete")), "{steps:?}");

    let mut engine = Engine::new(&p, owned(), false).overlapping(3);
    let (steps, saves) = drive(&mut engine, Duration::ZERO, |step| match step {
        Step::Write(Write::CreateWebhook { name: "a-ok", .. }) => {
            StepOutcome::Written(Err(WriteError::unknown("HTTP 503")))
        }
        other => ok(other),
    });
    assert_eq!(
        steps,
        [
            "save",
            "create var KEY",
            "create hook a-alert",
            "+ write monitors 4",
            "create hook a-ok",
            "+ write monitors 2",
            "save",
            "done"
        ]
    );
    assert!(saves.last().unwrap().is_pending(OwnedKind::Webhook, "a-ok"));
    let report = engine.into_report();
    let not_attempted = not_attempted(&report);
    assert_eq!(
        not_attempted,
        [
            "webhook.b-alert",
            "webhook.b-ok",
            "monitor.1",
            "monitor.3",
            "webhook.gone",
            "custom_variable.OLD"
        ]
    );
}

/// A monitor whose block a rule of the plan replaces waits for the rule, even with
/// overlap.
#[test]
fn a_monitor_whose_block_becomes_a_rule_waits_for_the_rule() {
    let mut p = overlapped_plan();
    p.changes.push(create_rule("c"));
    let mut engine = Engine::new(&p, owned(), false).overlapping(3);
    let (steps, _) = drive(&mut engine, Duration::ZERO, ok);
    let rule = steps
        .iter()
        .position(|s| s == "create notification_rule.c")
        .expect("the rule is created");
    assert!(!steps[..rule].iter().any(|s| s.contains(" 4")), "{steps:?}");
    assert_eq!(steps[rule + 1], "write 2 monitors", "{steps:?}");
}

/// [`Freshness::ReadEach`]: a stale monitor is read again by id, alongside the chain, in
/// the monitor step before its write, while the chain write that makes it ready is in
/// flight (so the last one is written right after the chain, not a read later); one that
/// moved is refused, the others are written, and no listing is made. The report counts
/// the monitors read again.
#[test]
fn a_stale_read_of_a_large_org_reads_each_monitor_a_step_before_its_write() {
    let p = overlapped_plan();
    let mut engine = Engine::new(&p, owned(), false)
        .overlapping(3)
        .freshness(Freshness::ReadEach);
    let mut reads = Vec::new();
    let (steps, _) = drive(&mut engine, MONITOR_READ_MAX_AGE * 2, |step| {
        let Step::Monitors(read) = step else {
            return ok(step);
        };
        if let MonitorWork::ReadEach(ids) = read {
            reads.extend(ids.iter().copied());
        }
        let mut outcome = done(read);
        if let MonitorOutcome::Read(Ok(now)) = &mut outcome {
            if now.contains_key(&2) {
                now.insert(2, fp("edited by someone"));
            }
        }
        StepOutcome::Monitors(outcome)
    });
    assert_eq!(
        steps,
        [
            "save",
            "create var KEY",
            "+ read monitors 4 2",
            "create hook a-alert",
            "+ write monitors 4",
            "+ read monitors 1",
            "create hook a-ok",
            "create hook b-alert",
            "+ write monitors 1",
            "+ read monitors 3",
            "create hook b-ok",
            "write 1 monitors",
            "save",
            "done"
        ]
    );
    assert!(
        !steps.iter().any(|s| s.ends_with("read monitors")),
        "{steps:?}"
    );
    let report = engine.into_report();
    assert_eq!((report.relistings, report.monitors_reread), (0, 4));
    assert_eq!(reads, [4, 2, 1, 3]);
    let outcome = |address: &str| outcome_of(&report, address);
    assert!(matches!(outcome("monitor.2"), Some(Outcome::Refused(_))));
    for written in ["monitor.1", "monitor.3", "monitor.4"] {
        assert_eq!(outcome(written), Some(Outcome::Done), "{written}");
    }
    // A refused monitor stops the removals, as with a listing.
    assert_eq!(outcome("webhook.gone"), Some(Outcome::NotAttempted));
}

/// With [`Freshness::ReadEach`] and a read still young, nothing is read again; a monitor
/// deleted since the plan (missing from the read by id) is refused as deleted.
#[test]
fn a_young_read_reads_nothing_again_and_a_deleted_monitor_is_refused() {
    let p = overlapped_plan();
    let mut engine = Engine::new(&p, owned(), false)
        .overlapping(3)
        .freshness(Freshness::ReadEach);
    let (steps, _) = drive(&mut engine, Duration::ZERO, ok);
    assert!(!steps.iter().any(|s| s.contains("read")), "{steps:?}");
    assert_eq!(engine.into_report().monitors_reread, 0);

    let mut engine = Engine::new(&p, owned(), false).freshness(Freshness::ReadEach);
    drive(&mut engine, MONITOR_READ_MAX_AGE * 2, |step| match step {
        Step::Monitors(MonitorWork::ReadEach(ids)) => {
            let mut now = fingerprints();
            now.retain(|id, _| ids.contains(id) && *id != 3);
            StepOutcome::Monitors(MonitorOutcome::Read(Ok(now)))
        }
        other => ok(other),
    });
    let report = engine.into_report();
    assert_eq!(report.monitors_reread, 4);
    let refused: Vec<&str> = report
        .outcomes
        .iter()
        .filter_map(|(a, _, o)| match o {
            Outcome::Refused(why) if why.contains("deleted") => Some(a.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(refused, ["monitor.3"]);
}
