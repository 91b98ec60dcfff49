//! The planner: desired state, remote state and the registry in, a [`Plan`] out.
//!
//! Pure and deterministic: no I/O, no clock, no environment. Everything the renderers show
//! and everything apply does comes from the `Plan` this module returns.

mod auth_methods;
mod blocks;
mod boards;
mod by_id;
mod coverage;
mod interest;
mod model;
mod rules;
mod select;

pub use auth_methods::auth_method_fingerprint;
pub use boards::{board_fingerprint, current_seeds};
pub use coverage::coverage_warnings;
pub use interest::{mentions_mark, MonitorInterest, MARKS};
pub use model::{
    Action, Address, AddressError, AuthMethodChange, AuthMethodState, BlockAction, BlockChange,
    BoardChange, Change, Edit, Fingerprint, Held, MonitorChange, ObjectKind, OwnedName, Plan,
    Problem, RuleChange, SecretState, SeedRun, Summary, VariableChange, VariableState,
    VariableValue, WebhookChange, WebhookState, WholeChange, PLAN_FORMAT_VERSION,
};
pub use rules::{rule_fingerprint, rule_webhooks};

use crate::model::{
    default_webhook_payload, CustomVariable, Desired, Remote, RemoteMonitor, RemoteVariable,
    RemoteWebhook, Webhook,
};
use crate::registry::{OwnedKind, Registry};
use crate::template::{self, ManagedBlock};
use serde::Serialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};

/// Choices that change what the planner may do.
#[derive(Debug, Clone, Default)]
pub struct PlanOptions {
    /// Delete owned webhooks even when monitors still mention them outside managed blocks.
    pub force: bool,
}

/// A short, stable digest of a JSON value, used to detect that a remote object moved
/// between plan and apply.
pub fn fingerprint_value(value: &Value) -> Fingerprint {
    fingerprint_json(value)
}

/// The fingerprint of anything that serialises as JSON: the same as [`fingerprint_value`]
/// of its `serde_json::Value`, without building that value. Serialising these types (maps
/// with string keys, strings, JSON values) cannot fail; if it ever did, the digest of the
/// error text still differs from every real read, so a change would be refused, not applied
/// blindly.
fn fingerprint_json<T: Serialize + ?Sized>(value: &T) -> Fingerprint {
    let text = serde_json::to_string(value).unwrap_or_else(|e| format!("unserialisable: {e}"));
    let digest = Sha256::digest(text.as_bytes());
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut hex = String::with_capacity(16);
    for b in &digest[..8] {
        hex.push(char::from(HEX[usize::from(b >> 4)]));
        hex.push(char::from(HEX[usize::from(b & 0xf)]));
    }
    Fingerprint(hex)
}

/// The fingerprint of an object addressed by id, from its id and its canonical JSON
/// ([`crate::model::canonical`]: everything ddhooks compares, as plans show it).
fn fields_fingerprint(id: &str, fields: Vec<(&'static str, Value)>) -> Fingerprint {
    let fields: serde_json::Map<String, Value> = fields
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    fingerprint_value(&json!({"id": id, "fields": fields}))
}

/// The fingerprint of a remote webhook as read.
pub fn webhook_fingerprint(w: &RemoteWebhook) -> Fingerprint {
    fingerprint_json(&RemoteWebhookState::of(w))
}

/// The fingerprint of a remote custom variable as read (a secret's value is not part of
/// it, because Datadog never returns it).
pub fn variable_fingerprint(v: &RemoteVariable) -> Fingerprint {
    fingerprint_value(&json!({"name": v.name, "secret": v.secret, "value": v.value}))
}

/// The fingerprint of a monitor's message as read.
pub fn monitor_fingerprint(m: &RemoteMonitor) -> Fingerprint {
    message_fingerprint(&m.message)
}

/// The fingerprint of a monitor message as read by id ([`monitor_fingerprint`] of the
/// monitor holding it).
pub fn message_fingerprint(message: &str) -> Fingerprint {
    fingerprint_json(message)
}

/// A remote webhook as fingerprinted: serialises as the JSON plan shows it, without a copy
/// of the webhook.
#[derive(Serialize)]
struct RemoteWebhookState<'a> {
    url: &'a str,
    encode_as: &'static str,
    custom_headers: Option<&'a BTreeMap<String, String>>,
    payload: Option<&'a Value>,
}

impl RemoteWebhookState<'_> {
    fn of(w: &RemoteWebhook) -> RemoteWebhookState<'_> {
        RemoteWebhookState {
            url: &w.url,
            encode_as: w.encode_as.as_str(),
            custom_headers: w.custom_headers.as_ref(),
            payload: w.payload.as_ref(),
        }
    }
}

fn remote_webhook_state(w: &RemoteWebhook) -> WebhookState {
    WebhookState {
        url: w.url.clone(),
        encode_as: w.encode_as,
        custom_headers: w.custom_headers.clone(),
        payload: w.payload.clone(),
    }
}

fn desired_webhook_state(w: &Webhook) -> WebhookState {
    WebhookState {
        url: w.url.clone(),
        encode_as: w.encode_as,
        custom_headers: w.custom_headers.clone(),
        payload: w.payload.clone(),
    }
}

/// Whether the remote webhook already is what the user wants. Payloads are compared as
/// JSON values, and a desired "default payload" matches Datadog's stored default.
pub fn webhook_matches(want: &Webhook, have: &RemoteWebhook) -> bool {
    let payload_ok = match (&want.payload, &have.payload) {
        (None, None) => true,
        (None, Some(p)) | (Some(p), None) => *p == default_webhook_payload(),
        (Some(w), Some(h)) => w == h,
    };
    let headers_ok = match (&want.custom_headers, &have.custom_headers) {
        (None, None) => true,
        (Some(w), Some(h)) => w == h,
        (Some(w), None) | (None, Some(w)) => w.is_empty(),
    };
    payload_ok && headers_ok && want.url == have.url && want.encode_as == have.encode_as
}

fn desired_variable_state(v: &CustomVariable, registry: &Registry) -> VariableState {
    let value = if v.secret {
        VariableValue::Secret {
            fingerprint: Some(registry.fingerprint(v.value.expose())),
            value: Some(v.value.clone()),
        }
    } else {
        VariableValue::Plain(Some(v.value.expose().to_string()))
    };
    VariableState {
        secret: v.secret,
        value,
    }
}

fn remote_variable_state(v: &RemoteVariable, registry_fp: Option<&str>) -> VariableState {
    let value = if v.secret {
        VariableValue::Secret {
            fingerprint: registry_fp.map(str::to_string),
            value: None,
        }
    } else {
        VariableValue::Plain(v.value.clone())
    };
    VariableState {
        secret: v.secret,
        value,
    }
}

/// Computes the plan. `registry` is the one read from Datadog (or a fresh one, whose salt
/// the caller chose).
pub fn plan(
    desired: &Desired,
    remote: &Remote,
    registry: &Registry,
    options: &PlanOptions,
) -> Plan {
    let mut out = Plan {
        salt: registry.salt().to_string(),
        ..Plan::new()
    };
    plan_variables(desired, remote, registry, &mut out);
    auth_methods::plan_auth_methods(desired, &remote.auth_methods, registry, &mut out);
    auth_methods::hold_auth_methods_webhooks_use(remote, options.force, &mut out);
    let messages = read_messages(remote, &mut out);
    plan_webhooks(
        desired,
        remote,
        registry,
        options,
        &messages.mentions,
        &mut out,
    );
    auth_methods::note_webhook_links(remote, &mut out);
    rules::hold_webhooks_used_by_rules(remote, registry, options.force, &mut out);
    hold_variables_of_held_webhooks(remote, &mut out);
    rules::plan_rules(desired, remote, registry, &mut out);
    blocks::plan_blocks(desired, &messages.monitors, &mut out);
    warn_about_missing_monitors(desired, remote, &mut out);
    rules::warn_about_rules(desired, remote, &mut out);
    boards::plan_boards(desired, remote, registry, &mut out);
    boards::plan_seeds(desired, remote, registry, &mut out);
    out.changes.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    out.summarize();
    out.routing = routing_of(remote, &out);
    // The org as the plan leaves it, read once for the coverage warnings and the routing
    // tests.
    let (warnings, failures) = {
        let planned = planned_routing(&out);
        let org = crate::routing::OrgRouting::after(remote, &planned);
        (
            coverage_warnings(desired, remote, &org, Some(&out.routing)),
            routing_test_failures(desired, &org),
        )
    };
    out.warnings.extend(warnings);
    out.problems.extend(failures);
    out
}

/// The manifests' routing tests that fail against the org this plan leaves: problems, so
/// that a plan (and its pull-request comment) says routing broke. Only the monitors the
/// plan read are seen: [`interest::MonitorInterest`] keeps those the cases select.
fn routing_test_failures(desired: &Desired, org: &crate::routing::OrgRouting<'_>) -> Vec<Problem> {
    if desired.routing_tests.is_empty() {
        return Vec::new();
    }
    crate::routing::run(desired, Some(org))
        .into_iter()
        .filter(|c| c.status == crate::routing::CaseStatus::Failed)
        .map(|c| Problem {
            at: None,
            address: Address::RoutingTest(c.name.clone()),
            message: format!("routing test failed {}", c.summary()),
        })
        .collect()
}

/// The routing changes of a plan: what its message rewrites and rule writes change in who
/// is notified.
fn routing_of(remote: &Remote, plan: &Plan) -> Vec<crate::routing::RoutingChange> {
    crate::routing::routing_changes(remote, &planned_routing(plan))
}

/// What `plan` changes that routing depends on: the messages it rewrites, the rules it
/// writes (see [`crate::routing::OrgRouting::after`] for the org it leaves).
pub fn planned_routing(plan: &Plan) -> crate::routing::PlannedRouting<'_> {
    let mut planned = crate::routing::PlannedRouting::default();
    for change in &plan.changes {
        match change {
            Change::Monitor(m) => {
                planned.messages.insert(m.id, m.after.as_str());
            }
            Change::NotificationRule(r) => {
                let key = r.id.as_deref().unwrap_or(r.name.as_str());
                let after = match r.edit {
                    Edit::Delete { .. } => None,
                    _ => r.edit.after(),
                };
                planned.rules.push((key, r.edit.before(), after));
            }
            _ => {}
        }
    }
    planned
}

fn plan_variables(desired: &Desired, remote: &Remote, registry: &Registry, out: &mut Plan) {
    for (name, want) in &desired.custom_variables {
        let address = Address::CustomVariable(name.clone());
        let owned = registry.owns(OwnedKind::CustomVariable, name);
        let after = desired_variable_state(want, registry);
        let want_fp = want
            .secret
            .then(|| registry.fingerprint(want.value.expose()));
        let Some(have) = remote.custom_variables.get(name) else {
            out.reads.insert(address, None);
            out.changes.push(Change::CustomVariable(VariableChange {
                name: name.clone(),
                edit: Edit::Create { after },
                notes: Vec::new(),
            }));
            continue;
        };
        let read = variable_fingerprint(have);
        out.reads.insert(address, Some(read.clone()));
        let registry_fp = registry.fingerprint_of(OwnedKind::CustomVariable, name);
        let before = remote_variable_state(have, registry_fp);
        let same = have.secret == want.secret
            && if want.secret {
                registry_fp.is_some() && registry_fp == want_fp.as_deref()
            } else {
                have.value.as_deref() == Some(want.value.expose())
            };
        let edit = match (owned, same) {
            (true, true) => continue,
            (true, false) => Edit::Update {
                before,
                after,
                read,
            },
            (false, _) => Edit::Adopt {
                before,
                after,
                read,
                writes: !same,
            },
        };
        let mut notes = Vec::new();
        if want.secret && have.secret {
            notes.push(
                "Datadog never returns a secret's value, so its remote value cannot be read; \
                 ddhooks compares the fingerprint of the value it last wrote"
                    .into(),
            );
        }
        out.changes.push(Change::CustomVariable(VariableChange {
            name: name.clone(),
            edit,
            notes,
        }));
    }
    for name in registry
        .owned(OwnedKind::CustomVariable)
        .filter(|n| !desired.custom_variables.contains_key(*n))
    {
        let address = Address::CustomVariable(name.to_string());
        match remote.custom_variables.get(name) {
            Some(have) => {
                let read = variable_fingerprint(have);
                out.reads.insert(address, Some(read.clone()));
                out.changes.push(Change::CustomVariable(VariableChange {
                    name: name.to_string(),
                    edit: Edit::Delete {
                        before: remote_variable_state(have, None),
                        read,
                    },
                    notes: Vec::new(),
                }));
            }
            None => {
                out.reads.insert(address, None);
                out.forget
                    .push(OwnedName::new(OwnedKind::CustomVariable, name));
            }
        }
    }
}

/// What the planner needs from every monitor's message, read once.
struct Messages<'a> {
    /// Every monitor, in id order, with its managed blocks (`None`: damaged).
    monitors: Vec<(&'a RemoteMonitor, Option<Vec<ManagedBlock>>)>,
    /// Which webhooks monitors mention outside managed blocks (webhook name -> monitor
    /// ids).
    mentions: BTreeMap<String, BTreeSet<i64>>,
}

/// Finds every monitor's managed blocks and the webhooks its people's text mentions.
/// Monitors whose blocks are damaged are reported once, here.
fn read_messages<'a>(remote: &'a Remote, out: &mut Plan) -> Messages<'a> {
    let mut mentions: BTreeMap<String, BTreeSet<i64>> = BTreeMap::new();
    let mut monitors = Vec::with_capacity(remote.monitors.len());
    for monitor in remote.monitors.values() {
        let blocks = match template::find_blocks(&monitor.message) {
            Ok(blocks) => Some(blocks),
            Err(err) => {
                out.problems.push(Problem {
                    at: None,
                    address: Address::Monitor(monitor.id),
                    message: format!(
                        "monitor {} \"{}\": damaged managed block, {err}; nothing will be written to this monitor",
                        monitor.id, monitor.name
                    ),
                });
                None
            }
        };
        // With a damaged block, ddhooks cannot tell its text from people's: every mention
        // in the message counts as people's, so nothing it names is deleted.
        let people = match &blocks {
            Some(blocks) => template::without_found_blocks(&monitor.message, blocks),
            None => monitor.message.as_str().into(),
        };
        for name in template::webhook_mentions(&people) {
            match mentions.get_mut(name) {
                Some(ids) => {
                    ids.insert(monitor.id);
                }
                None => {
                    mentions.insert(name.to_string(), BTreeSet::from([monitor.id]));
                }
            }
        }
        monitors.push((monitor, blocks));
    }
    Messages { monitors, mentions }
}

fn plan_webhooks(
    desired: &Desired,
    remote: &Remote,
    registry: &Registry,
    options: &PlanOptions,
    mentions: &BTreeMap<String, BTreeSet<i64>>,
    out: &mut Plan,
) {
    let mut renamed_away: BTreeSet<&str> = BTreeSet::new();
    let change = |name: &str, edit, notes| {
        Change::Webhook(WebhookChange {
            name: name.to_string(),
            edit,
            notes,
        })
    };
    for (name, want) in &desired.webhooks {
        let address = Address::Webhook(name.clone());
        if let Some(have) = remote.webhooks.get(name) {
            let read = webhook_fingerprint(have);
            out.reads.insert(address, Some(read.clone()));
            let same = webhook_matches(want, have);
            let owned = registry.owns(OwnedKind::Webhook, name);
            if owned && same {
                continue;
            }
            let before = remote_webhook_state(have);
            let after = desired_webhook_state(want);
            let edit = if owned {
                Edit::Update {
                    before,
                    after,
                    read,
                }
            } else {
                Edit::Adopt {
                    before,
                    after,
                    read,
                    writes: !same,
                }
            };
            out.changes.push(change(name, edit, Vec::new()));
            continue;
        }
        out.reads.insert(address, None);
        let after = desired_webhook_state(want);
        let found = want
            .renamed_from
            .as_deref()
            .and_then(|old| remote.webhooks.get(old).map(|w| (old, w)));
        // Renaming a webhook people's text still mentions would break their notifications:
        // create the new one and keep the old one, unless forced.
        let still_used = found
            .and_then(|(old, _)| mentions.get(old).map(|ids| (old, ids)))
            .filter(|_| !options.force);
        let old = found.filter(|_| still_used.is_none());
        match old {
            Some((old_name, have)) => {
                renamed_away.insert(old_name);
                let read = webhook_fingerprint(have);
                out.reads
                    .insert(Address::Webhook(old_name.to_string()), Some(read.clone()));
                let mut notes = Vec::new();
                if let Some(ids) = mentions.get(old_name) {
                    notes.push(format!(
                        "monitors {} still mention @webhook-{old_name} outside ddhooks' blocks; update their messages by hand",
                        join_ids(ids)
                    ));
                }
                let edit = Edit::Rename {
                    from: old_name.to_string(),
                    before: remote_webhook_state(have),
                    after,
                    read,
                };
                out.changes.push(change(name, edit, notes));
            }
            None => {
                let mut notes = Vec::new();
                if let Some((old, ids)) = still_used {
                    notes.push(format!(
                        "not renamed from `{old}`: monitors {} still mention @webhook-{old} outside ddhooks' blocks; the new webhook is created and the old one kept until those mentions go (or pass --force to rename)",
                        join_ids(ids)
                    ));
                } else if let Some(old) = &want.renamed_from {
                    notes.push(format!(
                        "renamed from `{old}`, which does not exist in Datadog; creating it"
                    ));
                }
                out.changes
                    .push(change(name, Edit::Create { after }, notes));
            }
        }
    }
    let unwanted = registry
        .owned(OwnedKind::Webhook)
        .filter(|n| !desired.webhooks.contains_key(*n) && !renamed_away.contains(n));
    for name in unwanted {
        let address = Address::Webhook(name.to_string());
        let Some(have) = remote.webhooks.get(name) else {
            out.reads.insert(address, None);
            out.forget.push(OwnedName::new(OwnedKind::Webhook, name));
            continue;
        };
        let read = webhook_fingerprint(have);
        out.reads.insert(address.clone(), Some(read.clone()));
        if let Some(ids) = mentions.get(name).filter(|_| !options.force) {
            out.held.push(Held {
                address,
                reason: format!(
                    "not deleted: monitors {} mention @webhook-{name} outside ddhooks' blocks; remove those mentions, or pass --force",
                    join_ids(ids)
                ),
            });
            continue;
        }
        let edit = Edit::Delete {
            before: remote_webhook_state(have),
            read,
        };
        out.changes.push(change(name, edit, Vec::new()));
    }
}

/// A webhook that is kept (held) still sends its `$VARIABLES`: the variables it uses are
/// kept too, or it would fire with an empty header.
fn hold_variables_of_held_webhooks(remote: &Remote, out: &mut Plan) {
    let mut used: BTreeMap<String, String> = BTreeMap::new();
    for held in &out.held {
        let Address::Webhook(name) = &held.address else {
            continue;
        };
        let Some(webhook) = remote.webhooks.get(name) else {
            continue;
        };
        let mut texts = vec![webhook.url.clone()];
        texts.extend(
            webhook
                .custom_headers
                .iter()
                .flat_map(|h| h.values().cloned()),
        );
        texts.extend(webhook.payload.as_ref().map(Value::to_string));
        for var in texts.iter().flat_map(|t| template::scan_variables(t)) {
            used.entry(var.name).or_insert_with(|| webhook.name.clone());
        }
    }
    let mut kept = Vec::new();
    out.changes.retain(|c| match c {
        Change::CustomVariable(v) if v.edit.action() == Action::Delete => match used.get(&v.name) {
            Some(webhook) => {
                kept.push(Held {
                    address: Address::CustomVariable(v.name.clone()),
                    reason: format!(
                        "not deleted: the kept webhook {webhook} still sends ${}",
                        v.name
                    ),
                });
                false
            }
            None => true,
        },
        _ => true,
    });
    out.held.extend(kept);
}

/// Monitor ids a block names that do not exist are almost always typos: say so.
fn warn_about_missing_monitors(desired: &Desired, remote: &Remote, out: &mut Plan) {
    for block in desired.blocks.values() {
        for id in block
            .monitors
            .ids
            .iter()
            .filter(|id| !remote.monitors.contains_key(id))
        {
            out.warnings.push(format!(
                "block `{}` selects monitor {id}, which does not exist in Datadog; check the id",
                block.name
            ));
        }
    }
}

fn join_ids(ids: &BTreeSet<i64>) -> String {
    ids.iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether two block bodies are the same once trimmed and without trailing spaces on each
/// line: Datadog trims messages and editors strip trailing spaces, neither is drift.
pub(crate) fn same_body(a: &str, b: &str) -> bool {
    fn lines(s: &str) -> impl Iterator<Item = &str> {
        s.trim().lines().map(str::trim_end)
    }
    lines(a).eq(lines(b))
}

#[cfg(test)]
mod tests;
