//! The versioned JSON plan (`format_version: 1`): a view of the typed [`Plan`], built here
//! and nowhere else, byte-compatible with the format docs/json-plan.md documents. Saved plans are
//! this view too; apply compares a saved view with the view of a fresh plan.

use super::fields::{self, Field, Side};
use crate::mask::Masker;
use crate::plan::{Change, Edit, Plan, Summary, PLAN_FORMAT_VERSION};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// One block change of a monitor change, as the JSON plan shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BlockView {
    /// `monitor.ID.block.NAME`.
    pub address: String,
    /// The block's name.
    pub block: String,
    /// `create` (appended), `update` (rewritten) or `delete` (removed).
    pub action: String,
}

/// One change, as the JSON plan shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangeView {
    /// `webhook.NAME`, `custom_variable.NAME` or `monitor.ID`.
    pub address: String,
    /// `custom_variable`, `webhook` or `monitor`.
    pub kind: String,
    /// `create`, `update`, `adopt`, `rename` or `delete`.
    pub action: String,
    /// For renames, the name the object has now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renamed_from: Option<String>,
    /// The object as read (secrets as `{"sensitive": true, …}`).
    pub before: Option<Value>,
    /// The object as it will be (same masking).
    pub after: Option<Value>,
    /// Fingerprint of the remote object read.
    pub fingerprint: Option<String>,
    /// False only for an adoption of an object that already matches.
    #[serde(default = "yes")]
    pub writes: bool,
    /// For monitors: the id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monitor_id: Option<i64>,
    /// For monitors: the name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monitor_name: Option<String>,
    /// For notification rules: the rule's id in Datadog, when it exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_id: Option<String>,
    /// For status boards: the dashboard's id in Datadog, when it exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dashboard_id: Option<String>,
    /// For webhook auth methods: the auth method's id in Datadog, when it exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_method_id: Option<String>,
    /// For monitors: the block changes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub blocks: Vec<BlockView>,
    /// Things a reviewer should know.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

fn yes() -> bool {
    true
}

/// A held deletion, as the JSON plan shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeldView {
    /// The object not deleted.
    pub address: String,
    /// Why.
    pub reason: String,
}

/// A problem, as the JSON plan shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProblemView {
    /// The object concerned.
    pub address: String,
    /// What is wrong.
    pub message: String,
}

/// The summary counts, as the JSON plan shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SummaryView {
    /// To create.
    pub create: usize,
    /// To update.
    pub update: usize,
    /// To delete.
    pub delete: usize,
}

impl From<Summary> for SummaryView {
    fn from(s: Summary) -> Self {
        SummaryView {
            create: s.create,
            update: s.update,
            delete: s.delete,
        }
    }
}

/// The whole JSON plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanView {
    /// [`PLAN_FORMAT_VERSION`].
    pub format_version: u32,
    /// Ordered changes.
    pub changes: Vec<ChangeView>,
    /// Deletions held back.
    #[serde(default)]
    pub held: Vec<HeldView>,
    /// Errors that stop parts of the plan.
    #[serde(default)]
    pub problems: Vec<ProblemView>,
    /// Things a reviewer should know that are not changes.
    #[serde(default)]
    pub warnings: Vec<String>,
    /// Owned objects that no longer exist.
    #[serde(default)]
    pub forget: Vec<String>,
    /// Fingerprint of every remote object read (`null`: looked up, absent), by address.
    #[serde(default)]
    pub reads: BTreeMap<String, Option<String>>,
    /// Counts.
    pub summary: SummaryView,
    /// Check runs apply submits for newly wired monitors (not configuration).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub seeds: Vec<SeedView>,
    /// Who is notified differently after the plan: per monitor and transition, the
    /// recipients added and removed, each with its sources.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub routing_changes: Vec<super::routing::RoutingChangeView>,
}

/// One seeded check run, as the JSON plan shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeedView {
    /// The pair.
    pub pair: String,
    /// The monitor.
    pub monitor_id: i64,
    /// The check.
    pub check: String,
    /// The status submitted.
    pub status: u8,
    /// The tags.
    pub tags: Vec<String>,
}

impl PlanView {
    /// The view of a typed plan.
    pub fn of(plan: &Plan) -> PlanView {
        let masker = Masker::new(&plan.salt);
        PlanView {
            format_version: PLAN_FORMAT_VERSION,
            changes: plan
                .changes
                .iter()
                .map(|c| change_view(c, &masker))
                .collect(),
            held: held_views(plan),
            problems: problem_views(plan),
            warnings: plan.warnings.clone(),
            forget: plan
                .forget
                .iter()
                .map(|f| f.address().to_string())
                .collect(),
            reads: plan
                .reads
                .iter()
                .map(|(a, fp)| (a.to_string(), fp.as_ref().map(|f| f.0.clone())))
                .collect(),
            summary: plan.summary.into(),
            seeds: plan
                .seeds
                .iter()
                .map(|s| SeedView {
                    pair: s.pair.clone(),
                    monitor_id: s.monitor,
                    check: s.check.clone(),
                    status: s.status,
                    tags: s.tags.clone(),
                })
                .collect(),
            routing_changes: plan
                .routing
                .iter()
                .map(super::routing::routing_change_view)
                .collect(),
        }
    }
}

/// The plan's held deletions, as the JSON plan shows them.
pub(super) fn held_views(plan: &Plan) -> Vec<HeldView> {
    plan.held
        .iter()
        .map(|h| HeldView {
            address: h.address.to_string(),
            reason: h.reason.clone(),
        })
        .collect()
}

/// The plan's problems, as the JSON plan shows them.
pub(super) fn problem_views(plan: &Plan) -> Vec<ProblemView> {
    plan.problems
        .iter()
        .map(|p| ProblemView {
            address: p.address.to_string(),
            message: p.message.clone(),
        })
        .collect()
}

/// Fields into a JSON object: a sensitive field as `{"sensitive": true, "fingerprint": …}`.
fn object(fields: Vec<(&'static str, Field)>) -> Value {
    let mut map = Map::with_capacity(fields.len());
    for (key, field) in fields {
        map.insert(key.to_string(), field.into_json());
    }
    Value::Object(map)
}

fn edit_view<T, R>(
    edit: &Edit<T, R>,
    view: impl Fn(&T, Side) -> Value,
) -> (Option<Value>, Option<Value>, Option<String>, bool) {
    (
        edit.before().map(|b| view(b, Side::Before)),
        edit.after().map(|a| view(a, Side::After)),
        edit.read().map(|f| f.0.clone()),
        edit.writes(),
    )
}

fn change_view(change: &Change, m: &Masker) -> ChangeView {
    let address = change.address().to_string();
    let kind = change.kind().word().to_string();
    let action = change.action().word().to_string();
    let notes = change.notes().to_vec();
    let object_view = |renamed_from, (before, after, fingerprint, writes)| ChangeView {
        address: address.clone(),
        kind: kind.clone(),
        action: action.clone(),
        renamed_from,
        before,
        after,
        fingerprint,
        writes,
        monitor_id: None,
        monitor_name: None,
        rule_id: None,
        dashboard_id: None,
        auth_method_id: None,
        blocks: Vec::new(),
        notes: notes.clone(),
    };
    match change {
        Change::CustomVariable(c) => object_view(
            None,
            edit_view(&c.edit, |v, _| object(fields::variable(&c.name, v, m))),
        ),
        Change::Webhook(c) => {
            let renamed_from = match &c.edit {
                Edit::Rename { from, .. } => Some(from.clone()),
                _ => None,
            };
            object_view(
                renamed_from,
                edit_view(&c.edit, |w, side| object(fields::webhook(w, side, m))),
            )
        }
        Change::NotificationRule(c) => {
            let mut view = object_view(None, edit_view(&c.edit, |r, _| object(fields::rule(r))));
            view.rule_id = c.id.clone();
            view
        }
        Change::StatusBoard(c) => {
            let mut view = object_view(None, edit_view(&c.edit, |b, _| object(fields::board(b))));
            view.dashboard_id = c.id.clone();
            view
        }
        Change::AuthMethod(c) => {
            let mut view = object_view(
                None,
                edit_view(&c.edit, |a, _| object(fields::auth_method(a, m))),
            );
            view.auth_method_id = c.id.clone();
            view
        }
        Change::Monitor(mon) => ChangeView {
            address,
            kind,
            action,
            renamed_from: None,
            before: Some(object(fields::message(&mon.before, m))),
            after: Some(object(fields::message(&mon.after, m))),
            fingerprint: Some(mon.read.0.clone()),
            writes: true,
            monitor_id: Some(mon.id),
            monitor_name: Some(mon.name.clone()),
            rule_id: None,
            dashboard_id: None,
            auth_method_id: None,
            blocks: mon
                .blocks
                .iter()
                .map(|b| BlockView {
                    address: crate::plan::Address::MonitorBlock {
                        monitor: mon.id,
                        block: b.block.clone(),
                    }
                    .to_string(),
                    block: b.block.clone(),
                    action: b.action.action().word().to_string(),
                })
                .collect(),
            notes,
        },
    }
}

/// The JSON plan, pretty-printed, with a trailing newline. Serialising the view (strings,
/// numbers, JSON values, string-keyed maps) cannot fail; a failure would be a bug, reported
/// as an error rather than printed as a plan.
pub fn render_json(plan: &Plan) -> Result<String, serde_json::Error> {
    PlanView::of(plan).to_json()
}

impl PlanView {
    /// The view as the JSON plan prints it: pretty, with a trailing newline (also what
    /// `ddhooks show --format json` prints of a saved plan).
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        let mut out = serde_json::to_string_pretty(self)?;
        out.push('\n');
        Ok(out)
    }
}
