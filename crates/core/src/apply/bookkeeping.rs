//! The engine's bookkeeping, apart from its order: which monitor writes are ready when,
//! which names a change makes pending (and releases once its outcome is known), and each
//! variable and webhook change as the write it makes.

use super::step::*;
use crate::plan::{
    BoardChange, Change, Edit, MonitorChange, Plan, RuleChange, VariableChange, VariableValue,
    WebhookChange,
};
use crate::registry::{Ownership, Registry};
use std::collections::{BTreeMap, VecDeque};

/// The plan's monitor writes, each with how many chain changes (`serial`, in order) must
/// be done before it is ready: every variable write, and the writes of the webhooks its new
/// message mentions; `usize::MAX` when a rule of the plan replaces one of its blocks (it
/// waits for the rules). Ordered by readiness, then as planned.
pub(super) fn monitor_readiness<'p>(
    plan: &'p Plan,
    serial: &[usize],
) -> VecDeque<(usize, &'p MonitorChange)> {
    let mut variables_done = 0;
    let mut webhook_done: BTreeMap<&str, usize> = BTreeMap::new();
    for (position, &i) in serial.iter().enumerate() {
        match &plan.changes[i] {
            Change::CustomVariable(_) => variables_done = position + 1,
            Change::Webhook(c) => {
                webhook_done.insert(c.name.as_str(), position + 1);
            }
            _ => {}
        }
    }
    let ruled: std::collections::BTreeSet<&str> = plan
        .changes
        .iter()
        .filter_map(|c| match c {
            Change::NotificationRule(r) if !c.is_removal() && r.edit.writes() => {
                Some(r.name.as_str())
            }
            _ => None,
        })
        .collect();
    let mut monitors: Vec<(usize, &MonitorChange)> = plan
        .changes
        .iter()
        .filter_map(|c| match c {
            Change::Monitor(m) => Some(m),
            _ => None,
        })
        .map(|m| {
            let after = if m.blocks.iter().any(|b| ruled.contains(b.block.as_str())) {
                usize::MAX
            } else {
                crate::template::webhook_mentions(&m.after)
                    .filter_map(|name| webhook_done.get(name).copied())
                    .fold(variables_done, usize::max)
            };
            (after, m)
        })
        .collect();
    monitors.sort_by_key(|(after, _)| *after);
    monitors.into()
}

/// The names a change may create, delete or rename away.
pub(super) fn pending_names(change: &Change) -> Vec<&str> {
    match change {
        Change::CustomVariable(c) if c.edit.changes_names() => vec![c.name.as_str()],
        Change::Webhook(c) => match &c.edit {
            Edit::Rename { from, .. } => vec![c.name.as_str(), from.as_str()],
            e if e.changes_names() => vec![c.name.as_str()],
            _ => Vec::new(),
        },
        // A create makes an object whose id ddhooks learns only from the answer; a delete
        // may have happened when its answer is lost.
        Change::NotificationRule(c) if c.edit.changes_names() => vec![c.name.as_str()],
        Change::StatusBoard(c) if c.edit.changes_names() => vec![c.name.as_str()],
        Change::AuthMethod(c) if c.edit.changes_names() => vec![c.name.as_str()],
        _ => Vec::new(),
    }
}

/// Records `change`'s names as pending, with the fingerprint a secret will have.
pub(super) fn mark_pending(registry: &mut Registry, change: &Change) {
    let Some(kind) = change.kind().owned() else {
        return;
    };
    for name in pending_names(change) {
        let fingerprint = match change {
            Change::CustomVariable(c) => match c.edit.after().map(|a| &a.value) {
                Some(VariableValue::Secret { value: Some(v), .. }) => {
                    Some(registry.fingerprint(v.expose()))
                }
                _ => registry.fingerprint_of(kind, name).map(str::to_string),
            },
            Change::Webhook(_)
            | Change::NotificationRule(_)
            | Change::StatusBoard(_)
            | Change::AuthMethod(_)
            | Change::Monitor(_) => None,
        };
        registry.mark_pending(kind, name, fingerprint);
    }
}

/// Releases `change`'s pending names once its outcome is known.
pub(super) fn release_pending(registry: &mut Registry, change: &Change) {
    let Some(kind) = change.kind().owned() else {
        return;
    };
    for name in pending_names(change) {
        registry.release(kind, name);
    }
}

/// The write a variable change needs (`None`: none, a matching adoption), or why it cannot
/// be made.
pub(super) fn variable_write(c: &VariableChange) -> Option<Result<Write<'_>, String>> {
    let name = c.name.as_str();
    let value_of = |after: &'_ crate::plan::VariableState| -> Result<(), String> {
        match &after.value {
            VariableValue::Secret { value: None, .. } | VariableValue::Plain(None) => Err(format!(
                "custom variable {name}: the plan holds no value to write (a plan read back from a file?); plan again"
            )),
            _ => Ok(()),
        }
    };
    fn value(after: &crate::plan::VariableState) -> &str {
        match &after.value {
            VariableValue::Secret { value: Some(v), .. } => v.expose(),
            VariableValue::Plain(Some(v)) => v.as_str(),
            _ => "",
        }
    }
    match &c.edit {
        Edit::Delete { .. } => Some(Ok(Write::DeleteVariable { name })),
        Edit::Adopt { writes: false, .. } => None,
        Edit::Create { after } => Some(value_of(after).map(|()| Write::CreateVariable {
            name,
            value: value(after),
            secret: after.secret,
        })),
        Edit::Update { after, .. } | Edit::Adopt { after, .. } => {
            Some(value_of(after).map(|()| Write::UpdateVariable {
                name,
                value: value(after),
                secret: after.secret,
            }))
        }
        Edit::Rename { from, .. } => match *from {},
    }
}

/// The write a webhook change needs (`None`: none, a matching adoption).
pub(super) fn webhook_write(c: &WebhookChange) -> Option<Result<Write<'_>, String>> {
    let name = c.name.as_str();
    Some(Ok(match &c.edit {
        Edit::Delete { .. } => Write::DeleteWebhook { name },
        Edit::Adopt { writes: false, .. } => return None,
        Edit::Create { after } => Write::CreateWebhook { name, state: after },
        Edit::Update { after, .. } | Edit::Adopt { after, .. } => Write::UpdateWebhook {
            name,
            from: None,
            state: after,
        },
        Edit::Rename { from, after, .. } => Write::UpdateWebhook {
            name,
            from: Some(from),
            state: after,
        },
    }))
}

/// Ownership after a change was made; `created` is the id an object addressed by id
/// got from its create (without one, ownership by id stays as it was, and the next
/// listing finds the object).
pub(super) fn record_ownership(registry: &mut Registry, change: &Change, created: Option<String>) {
    let Some(kind) = change.kind().owned() else {
        return;
    };
    let (name, with) = match change {
        Change::CustomVariable(c) => {
            let fp = match c.edit.after().map(|a| &a.value) {
                Some(VariableValue::Secret { value: Some(v), .. }) => {
                    Some(registry.fingerprint(v.expose()))
                }
                _ => None,
            };
            (&c.name, Ownership::with_fingerprint(fp))
        }
        Change::Webhook(c) => {
            if let Edit::Rename { from, .. } = &c.edit {
                registry.forget(kind, from);
            }
            (&c.name, Ownership::default())
        }
        Change::NotificationRule(RuleChange { name, id, .. })
        | Change::StatusBoard(BoardChange { name, id, .. }) => {
            let id = created.or_else(|| id.clone());
            (
                name,
                Ownership {
                    id,
                    fingerprint: None,
                },
            )
        }
        Change::AuthMethod(c) => {
            // The secret's fingerprint once a write of it succeeded; an adoption without
            // a write leaves what the registry knew.
            let written = match (&c.edit, c.edit.after()) {
                (Edit::Adopt { writes: false, .. }, _) | (_, None) => None,
                (_, Some(after)) => after.client_secret.fingerprint.clone(),
            };
            let known = registry.fingerprint_of(kind, &c.name).map(str::to_string);
            let with = Ownership {
                id: created.or_else(|| c.id.clone()),
                fingerprint: written.or(known),
            };
            (&c.name, with)
        }
        Change::Monitor(_) => return,
    };
    if change.is_removal() {
        registry.forget(kind, name);
    } else {
        registry.record(kind, name, with);
    }
}
