//! Planner tests: data in, plan out, no sockets.

use super::*;
use crate::model::*;
use crate::registry::Ownership;
use crate::template::MonitorState;

/// The plan of `d` against `remote` with `registry`, unforced.
fn plan_of(d: &Desired, remote: &Remote, registry: &Registry) -> Plan {
    plan(d, remote, registry, &PlanOptions::default())
}

const SECRET: &str = "0123456789abcdef-not-a-real-key";

fn pair_webhook(name: &str, status: u8) -> Webhook {
    Webhook {
        name: name.into(),
        url: "https://api.datadoghq.com/api/v1/check_run".into(),
        payload: Some(
            json!([{"check": "g.status", "status": status, "host_name": "$HOSTNAME", "tags": ["monitor_id:$ALERT_ID"]}]),
        ),
        custom_headers: Some(BTreeMap::from([
            ("Content-Type".to_string(), "application/json".to_string()),
            ("DD-API-KEY".to_string(), "$DD_API_KEY".to_string()),
        ])),
        encode_as: EncodeAs::Json,
        renamed_from: None,
        origin: WebhookOrigin::Pair("g".into()),
    }
}

fn rule(c: Condition, handle: &str) -> NotifyRule {
    NotifyRule {
        when: SectionCondition {
            condition: c,
            negated: false,
        },
        handles: vec![handle.into()],
    }
}

fn desired() -> Desired {
    let mut d = Desired::default();
    d.custom_variables.insert(
        "DD_API_KEY".into(),
        CustomVariable {
            name: "DD_API_KEY".into(),
            value: Secret::new(SECRET),
            secret: true,
        },
    );
    for (n, s) in [("g-alert-check", 2), ("g-ok-check", 0)] {
        d.webhooks.insert(n.into(), pair_webhook(n, s));
    }
    d.blocks.insert(
        "g".into(),
        NotificationBlock {
            name: "g".into(),
            monitors: MonitorSelector {
                tags: vec!["team:checkout".into()],
                ..Default::default()
            },
            rules: vec![
                rule(Condition::IsAlert, "@webhook-g-alert-check"),
                rule(Condition::IsRecovery, "@webhook-g-ok-check"),
            ],
            text: None,
        },
    );
    d
}

fn monitor(id: i64, tags: &[&str], message: &str) -> RemoteMonitor {
    RemoteMonitor::sample(id, format!("monitor {id}"), tags, message)
}

fn remote_with_monitors() -> Remote {
    let mut r = Remote::default();
    r.monitors.insert(
        1,
        monitor(1, &["team:checkout"], "CPU high. Runbook: https://wiki/cpu"),
    );
    r.monitors
        .insert(2, monitor(2, &["team:payments"], "Not ours"));
    r
}

/// A monitor change's new message.
fn monitor_after(c: &Change) -> &str {
    match c {
        Change::Monitor(m) => &m.after,
        other => panic!("not a monitor change: {other:?}"),
    }
}

/// Whether apply writes the object.
fn writes(c: &Change) -> bool {
    match c {
        Change::CustomVariable(v) => v.edit.writes(),
        Change::Webhook(w) => w.edit.writes(),
        Change::NotificationRule(r) => r.edit.writes(),
        Change::StatusBoard(b) => b.edit.writes(),
        Change::AuthMethod(a) => a.edit.writes(),
        Change::Monitor(_) => true,
    }
}

/// The old name of a renamed webhook.
fn renamed_from(c: &Change) -> Option<&str> {
    match c {
        Change::Webhook(WebhookChange {
            edit: Edit::Rename { from, .. },
            ..
        }) => Some(from),
        _ => None,
    }
}

/// The remote state and registry after a perfect apply of `plan` (what the sandbox would
/// hold), so tests can check convergence without I/O.
fn applied(
    desired: &Desired,
    remote: &Remote,
    registry: &Registry,
    plan: &Plan,
) -> (Remote, Registry) {
    let mut r = remote.clone();
    let mut reg = registry.clone();
    for c in &plan.changes {
        match c {
            Change::Monitor(m) => {
                r.monitors.get_mut(&m.id).unwrap().message = m.after.trim().to_string();
            }
            Change::Webhook(w) => {
                let name = w.name.clone();
                if let Some(old) = renamed_from(c) {
                    r.webhooks.remove(old);
                    reg.forget(OwnedKind::Webhook, old);
                }
                let hook = (c.action() != Action::Delete).then(|| {
                    let w = &desired.webhooks[&name];
                    let hook = RemoteWebhook {
                        name: name.clone(),
                        url: w.url.clone(),
                        payload: Some(w.payload.clone().unwrap_or_else(default_webhook_payload)),
                        custom_headers: w.custom_headers.clone(),
                        encode_as: w.encode_as,
                        auth_method_id: None,
                    };
                    (hook, Ownership::default())
                });
                let owned = (OwnedKind::Webhook, name.as_str());
                put(&mut r.webhooks, &mut reg, owned, name.clone(), hook);
            }
            Change::CustomVariable(v) => {
                let name = v.name.clone();
                let variable = (c.action() != Action::Delete).then(|| {
                    let v = &desired.custom_variables[&name];
                    let variable = RemoteVariable {
                        name: name.clone(),
                        value: (!v.secret).then(|| v.value.expose().to_string()),
                        secret: v.secret,
                    };
                    let fp = v.secret.then(|| reg.fingerprint(v.value.expose()));
                    (variable, Ownership::with_fingerprint(fp))
                });
                let owned = (OwnedKind::CustomVariable, name.as_str());
                put(
                    &mut r.custom_variables,
                    &mut reg,
                    owned,
                    name.clone(),
                    variable,
                );
            }
            Change::StatusBoard(bc) => {
                let owned = (OwnedKind::StatusBoard, bc.name.as_str());
                let after = bc.edit.after();
                let id = planned_id(&bc.name, &bc.id);
                match after {
                    Some(after) => r.dashboards.insert(id.clone(), after.title.clone()),
                    None => r.dashboards.remove(&id),
                };
                put_listed(
                    &mut r.status_boards,
                    &mut reg,
                    owned,
                    id,
                    after,
                    |id, board| RemoteBoard {
                        id,
                        board,
                        unmodelled: Default::default(),
                    },
                );
            }
            Change::AuthMethod(ac) => {
                let id = planned_id(&ac.name, &ac.id);
                let after = ac.edit.after();
                let method = after.map(|after| crate::model::RemoteAuthMethod {
                    id: id.clone(),
                    name: after.name.clone(),
                    access_token_url: after.access_token_url.clone(),
                    client_id: after.client_id.clone(),
                    audience: after.audience.clone(),
                    scope: after.scope.clone(),
                });
                let known = reg.fingerprint_of(OwnedKind::AuthMethod, &ac.name);
                let fingerprint = after
                    .and_then(|after| after.client_secret.fingerprint.clone())
                    .or(known.map(str::to_string));
                let with = Ownership {
                    id: Some(id.clone()),
                    fingerprint,
                };
                let method = method.map(|method| (method, with));
                let owned = (OwnedKind::AuthMethod, ac.name.as_str());
                put(&mut r.auth_methods, &mut reg, owned, id, method);
            }
            Change::NotificationRule(rc) => {
                let owned = (OwnedKind::NotificationRule, rc.name.as_str());
                let id = planned_id(&rc.name, &rc.id);
                let after = rc.edit.after();
                put_listed(
                    &mut r.notification_rules,
                    &mut reg,
                    owned,
                    id,
                    after,
                    |id, rule| RemoteRule {
                        id,
                        rule,
                        unmodelled: Default::default(),
                    },
                );
            }
        }
    }
    (r, reg)
}

/// The id a change's object has once applied: its own, or a made-up one for a create.
fn planned_id(name: &str, id: &Option<String>) -> String {
    id.clone().unwrap_or_else(|| format!("id-{name}"))
}

/// An applied change: `object` put at `key` and the name owned `with` that, or, with no
/// object, `key` removed and the name forgotten.
fn put<T>(
    objects: &mut BTreeMap<String, T>,
    reg: &mut Registry,
    (kind, name): (OwnedKind, &str),
    key: String,
    object: Option<(T, Ownership)>,
) {
    match object {
        None => {
            objects.remove(&key);
            reg.forget(kind, name);
        }
        Some((object, with)) => {
            objects.insert(key, object);
            reg.record(kind, name, with);
        }
    }
}

/// [`put`] for a kind Datadog addresses by id: the object `made` from `id` and what the change
/// makes it, owned with `id`.
fn put_listed<T: Clone, R>(
    objects: &mut BTreeMap<String, R>,
    reg: &mut Registry,
    owned: (OwnedKind, &str),
    id: String,
    after: Option<&T>,
    made: impl FnOnce(String, T) -> R,
) {
    let object = after.map(|after| (made(id.clone(), after.clone()), Ownership::with_id(&id)));
    put(objects, reg, owned, id, object);
}

/// The scenario planned from nothing and applied: desired state, remote state, registry.
fn converged() -> (Desired, Remote, Registry) {
    let d = desired();
    let p = plan_of(&d, &remote_with_monitors(), &Registry::new("s"));
    let (r, reg) = applied(&d, &remote_with_monitors(), &Registry::new("s"), &p);
    (d, r, reg)
}

/// [`converged`], then monitor 3 with `message`, people's text.
fn converged_with_monitor_3(message: &str) -> (Desired, Remote, Registry) {
    let (d, mut r, reg) = converged();
    r.monitors.insert(3, monitor(3, &[], message));
    (d, r, reg)
}

fn actions(plan: &Plan) -> Vec<(String, Action)> {
    plan.changes
        .iter()
        .map(|c| (c.address().to_string(), c.action()))
        .collect()
}

/// The change of `p` at `address`.
fn change_at<'p>(p: &'p Plan, address: &str) -> &'p Change {
    let found = p
        .changes
        .iter()
        .find(|c| c.address().to_string() == address);
    found.unwrap_or_else(|| panic!("no change at {address}: {:?}", p.changes))
}

#[test]
fn scenario_from_nothing_creates_everything_in_dependency_order() {
    let p = plan_of(&desired(), &remote_with_monitors(), &Registry::new("s"));
    assert_eq!(
        actions(&p),
        [
            ("custom_variable.DD_API_KEY".to_string(), Action::Create),
            ("webhook.g-alert-check".to_string(), Action::Create),
            ("webhook.g-ok-check".to_string(), Action::Create),
            ("monitor.1".to_string(), Action::Update),
        ]
    );
    assert_eq!(
        p.summary,
        Summary {
            create: 4,
            update: 0,
            delete: 0
        }
    );
    let after = monitor_after(&p.changes[3]);
    assert!(
        after.starts_with("CPU high. Runbook: https://wiki/cpu\n\n{{!-- ddhooks:begin g --}}\n")
    );
    assert!(after.contains("{{#is_alert}} @webhook-g-alert-check {{/is_alert}}"));
}

#[test]
fn apply_then_plan_converges_to_no_changes() {
    let d = desired();
    let (r0, reg0) = (remote_with_monitors(), Registry::new("s"));
    let p = plan_of(&d, &r0, &reg0);
    let (r1, reg1) = applied(&d, &r0, &reg0, &p);
    let again = plan_of(&d, &r1, &reg1);
    assert!(!again.has_changes(), "{:#?}", again.changes);
}

#[test]
fn changed_payload_is_an_update_and_default_payload_is_not_drift() {
    let mut d = desired();
    let (r, reg) = {
        let p = plan_of(&d, &remote_with_monitors(), &Registry::new("s"));
        applied(&d, &remote_with_monitors(), &Registry::new("s"), &p)
    };
    d.webhooks.get_mut("g-ok-check").unwrap().payload =
        Some(json!([{"check": "g.status", "status": 0, "host_name": "$HOSTNAME", "tags": ["x"]}]));
    let p = plan_of(&d, &r, &reg);
    assert_eq!(
        actions(&p),
        [("webhook.g-ok-check".to_string(), Action::Update)]
    );

    let mut d2 = desired();
    let mut r2 = r.clone();
    d2.webhooks.get_mut("g-ok-check").unwrap().payload = None;
    r2.webhooks.get_mut("g-ok-check").unwrap().payload = Some(default_webhook_payload());
    assert!(!plan_of(&d2, &r2, &reg).has_changes());
}

#[test]
fn removing_everything_deletes_owned_objects_and_blocks_in_reverse_kinds() {
    let (_, r, reg) = converged();
    let p = plan_of(&Desired::default(), &r, &reg);
    assert_eq!(
        p.summary,
        Summary {
            create: 0,
            update: 0,
            delete: 4
        }
    );
    let m = p
        .changes
        .iter()
        .find(|c| c.kind() == ObjectKind::Monitor)
        .unwrap();
    assert_eq!(monitor_after(m), "CPU high. Runbook: https://wiki/cpu");
}

#[test]
fn existing_unowned_webhook_is_adopted_without_a_write_when_equal() {
    let d = desired();
    let mut r = remote_with_monitors();
    let w = pair_webhook("g-alert-check", 2);
    r.webhooks.insert(
        w.name.clone(),
        RemoteWebhook {
            name: w.name.clone(),
            url: w.url,
            payload: w.payload,
            custom_headers: w.custom_headers,
            encode_as: w.encode_as,
            auth_method_id: None,
        },
    );
    let p = plan_of(&d, &r, &Registry::new("s"));
    let c = change_at(&p, "webhook.g-alert-check");
    assert_eq!((c.action(), writes(c)), (Action::Adopt, false));
    assert!(c.read().is_some());
}

/// `d` with webhook `g-alert-check` renamed `g-critical-check` (block `g` naming it so).
fn alert_hook_renamed(d: &Desired) -> Desired {
    let mut d2 = d.clone();
    let mut w = d2.webhooks.remove("g-alert-check").unwrap();
    w.name = "g-critical-check".into();
    w.renamed_from = Some("g-alert-check".into());
    d2.webhooks.insert(w.name.clone(), w);
    d2.blocks.get_mut("g").unwrap().rules[0].handles = vec!["@webhook-g-critical-check".into()];
    d2
}

#[test]
fn rename_is_one_change_and_blocks_follow_the_new_name() {
    let (d, r, reg) = converged();
    let d2 = alert_hook_renamed(&d);
    let p = plan_of(&d2, &r, &reg);
    assert_eq!(
        actions(&p),
        [
            ("webhook.g-critical-check".to_string(), Action::Rename),
            ("monitor.1".to_string(), Action::Update)
        ]
    );
    assert_eq!(renamed_from(&p.changes[0]), Some("g-alert-check"));
    let (r2, reg2) = applied(&d2, &r, &reg, &p);
    assert!(!plan_of(&d2, &r2, &reg2).has_changes());
}

#[test]
fn webhook_mentioned_outside_blocks_is_held_unless_forced() {
    let (_, r, reg) = converged_with_monitor_3("people wrote @webhook-g-ok-check here");
    let p = plan_of(&Desired::default(), &r, &reg);
    assert_eq!(p.held[0].address.to_string(), "webhook.g-ok-check");
    assert!(
        p.held[0].reason.contains("monitors 3"),
        "{}",
        p.held[0].reason
    );
    assert!(!p
        .changes
        .iter()
        .any(|c| c.address().to_string() == "webhook.g-ok-check"));
    let forced = plan(&Desired::default(), &r, &reg, &PlanOptions { force: true });
    assert!(forced
        .changes
        .iter()
        .any(|c| c.address().to_string() == "webhook.g-ok-check" && c.action() == Action::Delete));
}

#[test]
fn damaged_block_is_a_problem_and_that_monitor_is_left_alone() {
    let mut r = remote_with_monitors();
    r.monitors.insert(
        1,
        monitor(
            1,
            &["team:checkout"],
            "x\n{{!-- ddhooks:begin g --}}\nno end",
        ),
    );
    let p = plan_of(&desired(), &r, &Registry::new("s"));
    assert_eq!(p.problems.len(), 1);
    assert!(p.problems[0].message.contains("never ends"));
    assert!(!p.changes.iter().any(|c| c.kind() == ObjectKind::Monitor));
}

#[test]
fn secrets_compare_by_fingerprint_and_never_enter_the_plan() {
    let d = desired();
    let p = plan_of(&d, &remote_with_monitors(), &Registry::new("s"));
    let (r, reg) = applied(&d, &remote_with_monitors(), &Registry::new("s"), &p);
    let json = crate::render::render_json(&p).unwrap();
    assert!(!json.contains(SECRET));
    let mut d2 = d.clone();
    d2.custom_variables.get_mut("DD_API_KEY").unwrap().value = Secret::new("rotated-value");
    let p2 = plan_of(&d2, &r, &reg);
    assert_eq!(
        actions(&p2),
        [("custom_variable.DD_API_KEY".to_string(), Action::Update)]
    );
    assert!(p2.changes[0].notes()[0].contains("cannot be read"));
    assert!(!crate::render::render_json(&p2)
        .unwrap()
        .contains("rotated-value"));
}

#[test]
fn trimmed_message_and_trailing_spaces_in_blocks_are_not_drift() {
    let (d, mut r, reg) = converged();
    let m = r.monitors.get_mut(&1).unwrap();
    m.message = m.message.replace("{{/is_alert}}", "{{/is_alert}}   ");
    assert!(!plan_of(&d, &r, &reg).has_changes());
}

#[test]
fn vanished_owned_objects_are_forgotten_not_deleted() {
    let mut reg = Registry::new("s");
    reg.record(OwnedKind::Webhook, "gone", Ownership::default());
    let p = plan_of(&Desired::default(), &Remote::default(), &reg);
    assert!(p.changes.is_empty());
    assert_eq!(p.forget, [OwnedName::new(OwnedKind::Webhook, "gone")]);
}

#[test]
fn variables_used_by_a_held_webhook_are_held_too() {
    let (_, r, reg) = converged_with_monitor_3("people wrote @webhook-g-ok-check here");
    let p = plan_of(&Desired::default(), &r, &reg);
    assert!(!p
        .changes
        .iter()
        .any(|c| c.address().to_string() == "custom_variable.DD_API_KEY"));
    let held: Vec<_> = p.held.iter().map(|h| h.address.to_string()).collect();
    assert_eq!(held, ["webhook.g-ok-check", "custom_variable.DD_API_KEY"]);
    assert!(p.held[1]
        .reason
        .contains("g-ok-check still sends $DD_API_KEY"));
}

#[test]
fn a_block_naming_a_missing_monitor_id_is_a_warning() {
    let mut d = desired();
    d.blocks.get_mut("g").unwrap().monitors.ids.insert(999);
    let p = plan_of(&d, &remote_with_monitors(), &Registry::new("s"));
    assert_eq!(p.warnings.len(), 1);
    assert!(p.warnings[0].contains("monitor 999"));
}

/// Asserts that `p` holds the deletion of `address` and changes nothing there.
fn assert_held(p: &Plan, address: &Address) {
    assert!(p.held.iter().any(|h| h.address == *address), "{:?}", p.held);
    assert!(
        !p.changes.iter().any(|c| c.address() == *address),
        "{:?}",
        p.changes
    );
}

#[test]
fn mentions_in_a_damaged_message_hold_deletions() {
    let (_, r, reg) =
        converged_with_monitor_3("page @webhook-g-ok-check\n{{!-- ddhooks:begin other --}}\nx");
    let p = plan_of(&Desired::default(), &r, &reg);
    assert_held(&p, &Address::Webhook("g-ok-check".into()));
}

/// A person's `{{#is_alert}}@webhook-g-ok-check{{/is_alert}}` sends the webhook on alert:
/// deleting it would break their notifications, so the delete is held.
#[test]
fn a_mention_right_after_a_tag_holds_the_deletion() {
    let (_, r, reg) = converged_with_monitor_3("{{#is_alert}}@webhook-g-ok-check{{/is_alert}}");
    let p = plan_of(&Desired::default(), &r, &reg);
    assert_held(&p, &Address::Webhook("g-ok-check".into()));
}

#[test]
fn a_block_whose_text_would_damage_the_message_is_a_problem_not_a_write() {
    let mut d = desired();
    d.blocks.get_mut("g").unwrap().text = Some("{{!-- ddhooks:end g --}}".into());
    let p = plan_of(&d, &remote_with_monitors(), &Registry::new("s"));
    assert!(!p.changes.iter().any(|c| c.kind() == ObjectKind::Monitor));
    assert!(
        p.problems[0].message.contains("would not read back"),
        "{:?}",
        p.problems
    );
}

#[test]
fn a_rename_of_a_webhook_people_still_mention_creates_and_keeps_unless_forced() {
    let (d, r, reg) = converged_with_monitor_3("people page @webhook-g-alert-check");
    let d2 = alert_hook_renamed(&d);
    let p = plan_of(&d2, &r, &reg);
    let c = change_at(&p, "webhook.g-critical-check");
    assert_eq!(c.action(), Action::Create);
    assert!(c.notes()[0].contains("not renamed"), "{:?}", c.notes());
    assert!(p
        .held
        .iter()
        .any(|h| h.address.to_string() == "webhook.g-alert-check"));
    let forced = plan(&d2, &r, &reg, &PlanOptions { force: true });
    let c = change_at(&forced, "webhook.g-critical-check");
    assert_eq!(c.action(), Action::Rename);
}

#[test]
fn fingerprints_are_those_of_the_states_plans_show() {
    let (_, r, _) = converged();
    let mut webhooks: Vec<RemoteWebhook> = r.webhooks.values().cloned().collect();
    webhooks.push(RemoteWebhook {
        name: "bare".into(),
        url: "https://example.com/\"quoted\" ✓".into(),
        payload: None,
        custom_headers: None,
        encode_as: EncodeAs::Form,
        auth_method_id: None,
    });
    for w in &webhooks {
        assert_eq!(
            webhook_fingerprint(w),
            fingerprint_value(&Value::Object(
                crate::render::fields::webhook(
                    &remote_webhook_state(w),
                    crate::render::fields::Side::Before,
                    &crate::mask::Masker::new("s")
                )
                .into_iter()
                .map(|(k, f)| (k.to_string(), f.into_json()))
                .collect()
            )),
            "{w:?}"
        );
    }
    for m in r.monitors.values() {
        assert_eq!(
            monitor_fingerprint(m),
            fingerprint_value(&Value::String(m.message.clone()))
        );
    }
}

/// The block's own lines, as people paste them from Datadog's guide.
fn hand_lines() -> Vec<String> {
    desired().blocks["g"]
        .body()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn hand_pasted_lines_are_adopted_in_place_not_duplicated() {
    let d = desired();
    let lines = hand_lines();
    let people = format!(
        "CPU high. Runbook: https://wiki/cpu\n  {}\nping @ops\n{}  \n-- end",
        lines[1].replace(' ', "   "),
        lines[0]
    );
    let mut r = remote_with_monitors();
    r.monitors.get_mut(&1).unwrap().message = people.clone();
    let p = plan_of(&d, &r, &Registry::new("s"));
    let m = p
        .changes
        .iter()
        .find_map(|c| match c {
            Change::Monitor(m) => Some(m),
            _ => None,
        })
        .expect("a monitor change");
    assert_eq!(
        m.blocks,
        [BlockChange {
            block: "g".into(),
            action: BlockAction::Adopt { replaced: 2 }
        }]
    );
    assert_eq!(
        m.blocks[0].to_string(),
        "adopt block g (replaces 2 hand-written lines)"
    );
    let blocks = template::find_blocks(&m.after).unwrap();
    assert_eq!(blocks.len(), 1);
    let outside = template::without_found_blocks(&m.after, &blocks);
    // The hand lines go whole (their indentation and trailing spaces were theirs).
    assert_eq!(
        outside,
        "CPU high. Runbook: https://wiki/cpu\n\nping @ops\n-- end"
    );
    for handle in ["@webhook-g-alert-check", "@webhook-g-ok-check"] {
        assert_eq!(m.after.matches(handle).count(), 1, "{}", m.after);
    }
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    let json = crate::render::render_json(&p).unwrap();
    assert!(json.contains("\"action\": \"adopt\""), "{json}");
}

#[test]
fn a_handle_mentioned_outside_the_block_too_is_warned_about_with_its_line() {
    let d = desired();
    let mut r = remote_with_monitors();
    r.monitors.get_mut(&1).unwrap().message =
        "CPU high.\nAlso page @webhook-g-alert-check twice".into();
    let p = plan_of(&d, &r, &Registry::new("s"));
    assert_eq!(p.warnings.len(), 1, "{:?}", p.warnings);
    assert!(p.warnings[0].contains("monitor 1"), "{}", p.warnings[0]);
    assert!(
        p.warnings[0].contains("@webhook-g-alert-check"),
        "{}",
        p.warnings[0]
    );
    assert!(p.warnings[0].contains("Also page"), "{}", p.warnings[0]);
}

mod adoption_props {
    use super::*;
    use proptest::prelude::*;

    /// People's text: lines of words, handles of other tools, conditionals and spaces.
    fn people_text() -> impl Strategy<Value = Vec<String>> {
        proptest::collection::vec(
            "([a-zA-Z0-9 .:/,{}#!-]|@ops|@slack-x|\\{\\{host.name\\}\\}){0,40}",
            0..8,
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        #[test]
        fn adopted_hand_lines_leave_one_mention_of_each_handle_and_every_other_byte(
            people in people_text(),
            at in proptest::collection::vec(0usize..9, 2),
            spaces in proptest::collection::vec("[ \t]{0,3}", 4),
            swap in any::<bool>(),
        ) {
            let lines = hand_lines();
            let mut hand = [
                format!("{}{}{}", spaces[0], lines[0].replace(' ', &format!(" {}", spaces[1])), spaces[2]),
                format!("{}{}", lines[1], spaces[3]),
            ];
            if swap {
                hand.swap(0, 1);
            }
            let mut all: Vec<String> = people.clone();
            let first = at[0].min(all.len());
            all.insert(first, hand[0].clone());
            let second = at[1].min(all.len());
            all.insert(second, hand[1].clone());
            let message = all.join("\n");
            let d = desired();
            let mut r = remote_with_monitors();
            r.monitors.get_mut(&1).unwrap().message = message.clone();
            let p = plan_of(&d, &r, &Registry::new("s"));
            let (after_r, _) = applied(&d, &r, &Registry::new("s"), &p);
            let after = &after_r.monitors[&1].message;
            for handle in ["@webhook-g-alert-check", "@webhook-g-ok-check"] {
                prop_assert_eq!(after.matches(handle).count(), 1, "{}", after);
            }
            // Every other byte kept: outside the block, the message is people's lines in
            // order, the hand lines gone (the first one's line ending stays, around the block).
            let blocks = template::find_blocks(after).unwrap();
            prop_assert_eq!(blocks.len(), 1);
            let outside = template::without_found_blocks(after, &blocks).into_owned();
            let mut expected: Vec<String> = all.clone();
            let p0 = if first >= second { first + 1 } else { first };
            let (i, j) = (p0.min(second), p0.max(second));
            expected[i] = String::new();
            expected.remove(j);
            let expected = expected.join("\n");
            prop_assert_eq!(outside.trim(), expected.trim());
        }
    }
}

/// The desired state with block `g` delivered by a rule instead of messages.
fn desired_with_rule() -> Desired {
    let mut d = desired();
    d.blocks.clear();
    d.notification_rules.insert("g".into(), g_rule());
    d
}

fn g_rule() -> NotificationRule {
    NotificationRule {
        name: "g".into(),
        filter: RuleFilter::Tags(vec!["team:checkout".into()]),
        recipients: RuleRecipients::Conditional {
            conditions: vec![
                RuleCondition {
                    scope: RuleConditionScope::Transition(Condition::IsAlert),
                    recipients: vec!["webhook-g-alert-check".into()],
                },
                RuleCondition {
                    scope: RuleConditionScope::Transition(Condition::IsRecovery),
                    recipients: vec!["webhook-g-ok-check".into()],
                },
            ],
            fallback: vec![],
        },
    }
}

fn remote_rule(id: &str, rule: NotificationRule) -> (String, RemoteRule) {
    (
        id.to_string(),
        RemoteRule {
            id: id.into(),
            rule,
            unmodelled: Default::default(),
        },
    )
}

/// The plan's changes to objects of `kind` (one Datadog addresses by id): name, action, id.
fn by_id_changes(p: &Plan, kind: ObjectKind) -> Vec<(&str, Action, Option<&str>)> {
    fn id(c: &Change) -> Option<&str> {
        match c {
            Change::NotificationRule(r) => r.id.as_deref(),
            Change::StatusBoard(b) => b.id.as_deref(),
            _ => None,
        }
    }
    p.changes
        .iter()
        .filter(|c| c.kind() == kind)
        .map(|c| (c.sort_key().2, c.action(), id(c)))
        .collect()
}

fn rule_changes(p: &Plan) -> Vec<(&str, Action, Option<&str>)> {
    by_id_changes(p, ObjectKind::NotificationRule)
}

#[test]
fn a_rule_block_creates_a_rule_and_touches_no_message() {
    let p = plan_of(
        &desired_with_rule(),
        &remote_with_monitors(),
        &Registry::new("s"),
    );
    assert_eq!(rule_changes(&p), [("g", Action::Create, None)]);
    assert!(!p.changes.iter().any(|c| matches!(c, Change::Monitor(_))));
    assert_eq!(
        p.reads.get(&Address::NotificationRule("g".into())),
        Some(&None)
    );
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
}

#[test]
fn an_owned_rule_that_matches_is_no_change_and_one_that_differs_is_updated() {
    let mut registry = Registry::new("s");
    registry.record(OwnedKind::NotificationRule, "g", Ownership::with_id("r1"));
    let mut remote = remote_with_monitors();
    remote
        .notification_rules
        .extend([remote_rule("r1", g_rule())]);
    let p = plan_of(&desired_with_rule(), &remote, &registry);
    assert_eq!(rule_changes(&p), []);
    let mut drifted = g_rule();
    drifted.filter = RuleFilter::Tags(vec!["team:other".into()]);
    remote
        .notification_rules
        .extend([remote_rule("r1", drifted)]);
    let p = plan_of(&desired_with_rule(), &remote, &registry);
    assert_eq!(rule_changes(&p), [("g", Action::Update, Some("r1"))]);
}

#[test]
fn a_rule_is_adopted_by_name_only_when_exactly_one_has_it() {
    let mut remote = remote_with_monitors();
    remote
        .notification_rules
        .extend([remote_rule("r1", g_rule())]);
    let p = plan_of(&desired_with_rule(), &remote, &Registry::new("s"));
    assert_eq!(rule_changes(&p), [("g", Action::Adopt, Some("r1"))]);
    // It already matches: only the registry changes.
    let adopt = p
        .changes
        .iter()
        .find(|c| matches!(c, Change::NotificationRule(_)))
        .unwrap();
    assert!(!writes(adopt));
    remote
        .notification_rules
        .extend([remote_rule("r2", g_rule())]);
    let p = plan_of(&desired_with_rule(), &remote, &Registry::new("s"));
    assert_eq!(rule_changes(&p), [("g", Action::Create, None)]);
    assert!(p.changes.iter().any(|c| c
        .notes()
        .iter()
        .any(|n| n.contains("2 rules are named `g` (r1, r2)"))));
}

#[test]
fn an_owned_rule_no_longer_wanted_is_deleted_and_a_vanished_one_forgotten() {
    let mut registry = Registry::new("s");
    registry.record(OwnedKind::NotificationRule, "g", Ownership::with_id("r1"));
    registry.record(
        OwnedKind::NotificationRule,
        "gone",
        Ownership::with_id("r9"),
    );
    let mut remote = remote_with_monitors();
    remote
        .notification_rules
        .extend([remote_rule("r1", g_rule())]);
    let p = plan_of(&desired(), &remote, &registry);
    assert_eq!(rule_changes(&p), [("g", Action::Delete, Some("r1"))]);
    assert_eq!(
        p.forget,
        [OwnedName::new(OwnedKind::NotificationRule, "gone")]
    );
}

#[test]
fn switching_to_a_rule_creates_it_and_removes_the_blocks_in_one_plan() {
    let registry = Registry::new("s");
    let remote = remote_with_monitors();
    let by_message = plan_of(&desired(), &remote, &registry);
    let mut applied = remote.clone();
    for c in &by_message.changes {
        if let Change::Monitor(m) = c {
            applied.monitors.get_mut(&m.id).unwrap().message = m.after.clone();
        }
    }
    let p = plan_of(&desired_with_rule(), &applied, &registry);
    assert_eq!(rule_changes(&p), [("g", Action::Create, None)]);
    let removals: Vec<_> = p
        .changes
        .iter()
        .filter_map(|c| match c {
            Change::Monitor(m) => Some((m.id, m.blocks[0].action, m.after.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(removals.len(), 1);
    assert_eq!(removals[0].0, 1);
    assert_eq!(removals[0].1, BlockAction::Remove);
    assert_eq!(removals[0].2, remote.monitors[&1].message);
    // The rule sorts before the monitor: apply creates it first.
    let kinds: Vec<ObjectKind> = p.changes.iter().map(Change::kind).collect();
    assert!(kinds.windows(2).all(|w| w[0] <= w[1]), "{kinds:?}");
}

#[test]
fn rule_warnings_name_an_empty_selection_and_a_webhook_also_in_the_message() {
    let mut d = desired_with_rule();
    let mut lonely = g_rule();
    lonely.name = "lonely".into();
    lonely.filter = RuleFilter::Tags(vec!["team:nobody".into()]);
    d.notification_rules.insert("lonely".into(), lonely);
    let mut remote = remote_with_monitors();
    remote.monitors.get_mut(&1).unwrap().message =
        "CPU high {{#is_alert}} @webhook-g-alert-check {{/is_alert}}".into();
    let p = plan_of(&d, &remote, &Registry::new("s"));
    assert!(
        p.warnings
            .iter()
            .any(|w| w.contains("`lonely` selects no monitor")
                && w.contains("0 of the org's 2 monitors")),
        "{:?}",
        p.warnings
    );
    assert!(
        p.warnings.iter().any(|w| w.contains("monitor 1")
            && w.contains("@webhook-g-alert-check")
            && w.contains("rule `g`")
            && w.contains("its message text")
            && w.contains("once")),
        "{:?}",
        p.warnings
    );
}

#[test]
fn a_webhook_a_foreign_rule_sends_to_is_not_deleted() {
    let mut registry = Registry::new("s");
    registry.record(OwnedKind::Webhook, "old-hook", Ownership::default());
    let mut remote = remote_with_monitors();
    remote.webhooks.insert(
        "old-hook".into(),
        RemoteWebhook {
            name: "old-hook".into(),
            url: "https://example.com".into(),
            payload: None,
            custom_headers: None,
            encode_as: EncodeAs::Json,
            auth_method_id: None,
        },
    );
    let mut theirs = g_rule();
    theirs.name = "theirs".into();
    theirs.recipients = RuleRecipients::Always(vec!["webhook-old-hook".into()]);
    remote
        .notification_rules
        .extend([remote_rule("t1", theirs)]);
    let p = plan_of(&desired(), &remote, &registry);
    assert!(!p
        .changes
        .iter()
        .any(|c| c.address() == Address::Webhook("old-hook".into())));
    assert!(p.held.iter().any(|h| h.reason.contains("theirs")));
    let forced = plan(&desired(), &remote, &registry, &PlanOptions { force: true });
    assert!(forced
        .changes
        .iter()
        .any(|c| c.address() == Address::Webhook("old-hook".into()) && c.is_removal()));
}

#[test]
fn switching_delivery_both_ways_converges() {
    let (d, remote, registry) = converged();
    let rule_d = desired_with_rule();
    let to_rule = plan_of(&rule_d, &remote, &registry);
    assert!(to_rule.has_changes());
    let (remote, registry) = applied(&rule_d, &remote, &registry, &to_rule);
    let again = plan_of(&rule_d, &remote, &registry);
    assert!(!again.has_changes(), "{:?}", again.changes);
    let back = plan_of(&d, &remote, &registry);
    assert_eq!(rule_changes(&back), [("g", Action::Delete, Some("id-g"))]);
    let (remote, registry) = applied(&d, &remote, &registry, &back);
    let again = plan_of(&d, &remote, &registry);
    assert!(!again.has_changes(), "{:?}", again.changes);
    assert!(registry.owned(OwnedKind::NotificationRule).next().is_none());
}

fn board() -> StatusBoard {
    StatusBoard {
        title: "Checkout monitors status".into(),
        description: None,
        widgets: vec![BoardWidget::check_status(
            "g: monitors by status",
            "g.status",
            [0, 0, 15, 8],
        )],
    }
}

fn seeded_g() -> SeededPair {
    SeededPair {
        check: "g.status".into(),
        host_name: "$HOSTNAME".into(),
        tags: vec!["monitor_id:$ALERT_ID".into(), "team:checkout".into()],
        ok: 0,
        alert: 2,
        warning: None,
        no_data: None,
        blocks: vec!["g".into()],
    }
}

fn board_changes(p: &Plan) -> Vec<(&str, Action, Option<&str>)> {
    by_id_changes(p, ObjectKind::StatusBoard)
}

#[test]
fn a_board_is_created_adopted_by_title_restored_after_drift_and_deleted() {
    let mut d = desired();
    d.status_boards.insert("checkout".into(), board());
    let remote = remote_with_monitors();
    let p = plan_of(&d, &remote, &Registry::new("s"));
    assert_eq!(board_changes(&p), [("checkout", Action::Create, None)]);
    let (remote, registry) = applied(&d, &remote, &Registry::new("s"), &p);
    let again = plan_of(&d, &remote, &registry);
    assert!(!again.has_changes(), "{:?}", again.changes);
    // A person adds a widget: drift, restored by an update.
    let mut edited = remote.clone();
    let id = registry
        .id_of(OwnedKind::StatusBoard, "checkout")
        .unwrap()
        .to_string();
    edited
        .status_boards
        .get_mut(&id)
        .unwrap()
        .board
        .widgets
        .push(BoardWidget::Other {
            kind: "note".into(),
            title: None,
        });
    let p = plan_of(&d, &edited, &registry);
    assert_eq!(
        board_changes(&p),
        [("checkout", Action::Update, Some(id.as_str()))]
    );
    // Not in the registry: adopted when exactly one dashboard has the title.
    let p = plan_of(&d, &remote, &Registry::new("s"));
    assert_eq!(
        board_changes(&p),
        [("checkout", Action::Adopt, Some(id.as_str()))]
    );
    // Removed from the manifests: deleted.
    d.status_boards.clear();
    let p = plan_of(&d, &remote, &registry);
    assert_eq!(
        board_changes(&p),
        [("checkout", Action::Delete, Some(id.as_str()))]
    );
}

#[test]
fn two_dashboards_with_the_title_are_not_adopted_and_the_plan_says_why() {
    let mut d = desired();
    d.status_boards.insert("checkout".into(), board());
    let mut remote = remote_with_monitors();
    for id in ["aaa-bbb-ccc", "ddd-eee-fff"] {
        remote.dashboards.insert(id.into(), board().title);
        remote.status_boards.insert(
            id.into(),
            RemoteBoard {
                id: id.into(),
                board: board(),
                unmodelled: Default::default(),
            },
        );
    }
    let p = plan_of(&d, &remote, &Registry::new("s"));
    assert_eq!(board_changes(&p), [("checkout", Action::Create, None)]);
    assert!(p.changes.iter().any(|c| c
        .notes()
        .iter()
        .any(|n| n.contains("2 dashboards are titled"))));
}

/// `d` with pair `g` seeded.
fn with_seeded_g(mut d: Desired) -> Desired {
    d.seeded_pairs.insert("g".into(), seeded_g());
    d
}

/// `d` with pair `g` seeded, [`remote_with_monitors`] with the monitors in `states`, and
/// the plan of the two with a new registry.
fn planned_seeding(d: Desired, states: &[(i64, MonitorState)]) -> (Desired, Remote, Plan) {
    let d = with_seeded_g(d);
    let mut remote = remote_with_monitors();
    remote.monitor_states.extend(states.iter().cloned());
    let p = plan_of(&d, &remote, &Registry::new("s"));
    (d, remote, p)
}

#[test]
fn newly_wired_monitors_are_seeded_with_their_state_once() {
    let (d, remote, p) = planned_seeding(
        desired(),
        &[(1, MonitorState::Alert), (2, MonitorState::Ok)],
    );
    assert_eq!(
        p.seeds,
        [SeedRun {
            pair: "g".into(),
            monitor: 1,
            check: "g.status".into(),
            host_name: String::new(),
            status: 2,
            tags: vec!["monitor_id:1".into(), "team:checkout".into()],
        }]
    );
    assert_eq!(p.seeds_per_pair(), [("g", 1)]);
    let (after, registry) = applied(&d, &remote, &Registry::new("s"), &p);
    let again = plan_of(&d, &after, &registry);
    assert!(
        again.seeds.is_empty(),
        "a wired monitor is not seeded again"
    );
    // seed-status seeds every wired monitor, on demand.
    assert_eq!(current_seeds(&d, &after).len(), 1);
    // A state the pair has no status for sends nothing.
    let mut warn = remote.clone();
    warn.monitor_states.insert(1, MonitorState::Warn);
    assert!(plan_of(&d, &warn, &Registry::new("s")).seeds.is_empty());
}

#[test]
fn a_rule_seeds_every_monitor_it_selects() {
    let (_, _, p) = planned_seeding(desired_with_rule(), &[(1, MonitorState::Ok)]);
    assert_eq!(p.seeds.len(), 1);
    assert_eq!((p.seeds[0].monitor, p.seeds[0].status), (1, 0));
}

#[test]
fn switching_delivery_is_no_first_wiring_and_seeds_nothing() {
    let (d, remote, p) = planned_seeding(desired(), &[(1, MonitorState::Alert)]);
    assert_eq!(p.seeds.len(), 1);
    let (remote, registry) = applied(&d, &remote, &Registry::new("s"), &p);
    let by_rule = with_seeded_g(desired_with_rule());
    let to_rule = plan_of(&by_rule, &remote, &registry);
    assert!(to_rule.seeds.is_empty(), "{:?}", to_rule.seeds);
    let (remote, registry) = applied(&by_rule, &remote, &registry, &to_rule);
    let back = plan_of(&d, &remote, &registry);
    assert!(back.has_changes());
    assert!(back.seeds.is_empty(), "{:?}", back.seeds);
}

/// A saved plan holds the fingerprints of what it read; apply compares them with a new
/// read, so their values must never change with the code that computes them (a saved plan
/// would be refused for nothing). One of each kind, every shape of rule and board.
#[test]
fn fingerprint_values_never_change() {
    let tags_rule = NotificationRule {
        name: "team-a".into(),
        filter: RuleFilter::Tags(vec!["team:a".into(), "env:prod".into()]),
        recipients: RuleRecipients::Always(vec!["slack-a".into(), "webhook-g".into()]),
    };
    let conditional_rule = NotificationRule {
        name: "scoped".into(),
        filter: RuleFilter::Scope("team:a AND NOT env:dev".into()),
        recipients: RuleRecipients::Conditional {
            conditions: vec![
                RuleCondition {
                    scope: RuleConditionScope::Transition(Condition::IsAlert),
                    recipients: vec!["pagerduty-a".into()],
                },
                RuleCondition {
                    scope: RuleConditionScope::Tag("priority:p1".into()),
                    recipients: vec!["slack-p1".into()],
                },
            ],
            fallback: vec!["slack-rest".into()],
        },
    };
    let no_fallback = NotificationRule {
        recipients: RuleRecipients::Conditional {
            conditions: vec![RuleCondition {
                scope: RuleConditionScope::Other("weird".into()),
                recipients: vec![],
            }],
            fallback: vec![],
        },
        ..conditional_rule.clone()
    };
    let board = StatusBoard {
        title: "Pairs".into(),
        description: Some("Seeded \"checks\" ✓".into()),
        widgets: vec![
            BoardWidget::check_status("g", "g.status", [0, 2, 4, 3]),
            BoardWidget::Other {
                kind: "note".into(),
                title: None,
            },
            BoardWidget::Other {
                kind: "timeseries".into(),
                title: Some("cpu".into()),
            },
        ],
    };
    let bare_board = StatusBoard {
        title: "Empty".into(),
        description: None,
        widgets: vec![],
    };
    let auth = AuthMethodState {
        name: "okta".into(),
        access_token_url: "https://login.example.com/token".into(),
        client_id: "client".into(),
        client_secret: SecretState {
            fingerprint: Some("f00d".into()),
            value: None,
        },
        audience: Some("api".into()),
        scope: None,
    };
    let webhook = RemoteWebhook {
        name: "g-alert".into(),
        url: "https://example.com/hook".into(),
        payload: Some(json!({"a": [1, "b"]})),
        custom_headers: Some(BTreeMap::from([("X".to_string(), "y".to_string())])),
        encode_as: EncodeAs::Json,
        auth_method_id: Some("ignored".into()),
    };
    let variable = RemoteVariable {
        name: "V".into(),
        value: Some("v".into()),
        secret: false,
    };
    let monitor = RemoteMonitor {
        id: 7,
        name: "m".into(),
        tags: vec![],
        message: "hi @webhook-g".into(),
        priority: None,
        draft: false,
    };
    let got: Vec<(&str, String)> = vec![
        ("tags rule", rule_fingerprint("r-1", &tags_rule).0),
        (
            "conditional rule",
            rule_fingerprint("r-2", &conditional_rule).0,
        ),
        ("no fallback", rule_fingerprint("r-3", &no_fallback).0),
        ("board", board_fingerprint("abc-def-ghi", &board).0),
        (
            "bare board",
            board_fingerprint("abc-def-ghj", &bare_board).0,
        ),
        ("auth method", auth_method_fingerprint("a-1", &auth).0),
        ("webhook", webhook_fingerprint(&webhook).0),
        ("variable", variable_fingerprint(&variable).0),
        ("monitor", monitor_fingerprint(&monitor).0),
    ];
    let expected = [
        ("tags rule", "6b3d1686ae5b9c5a"),
        ("conditional rule", "d812d3a99210aa9a"),
        ("no fallback", "9bccd3df56086904"),
        ("board", "e5e99ca77365c532"),
        ("bare board", "6348a93f56a5766c"),
        ("auth method", "f0595a2b3caf31c0"),
        ("webhook", "4da96e663b4923cb"),
        ("variable", "cb10b6490854bfbf"),
        ("monitor", "73dd3e52ab8aa66c"),
    ];
    let expected: Vec<(&str, String)> = expected
        .iter()
        .map(|(what, fp)| (*what, fp.to_string()))
        .collect();
    assert_eq!(got, expected);
}
