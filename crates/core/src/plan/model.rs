//! The plan's data: what the renderers print, what `--out` saves and what apply executes.
//! Serialised as the versioned JSON format documented in the README.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// Version of the JSON plan format; bumped on any incompatible change.
pub const PLAN_FORMAT_VERSION: u32 = 1;

/// What a change does. The symbol a reviewer sees is part of the model, as in Terraform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// The object does not exist and will be created.
    Create,
    /// The object exists, is owned, and will be changed.
    Update,
    /// The object exists but ddhooks has no record of it: it becomes owned (and is updated
    /// when it differs).
    Adopt,
    /// The object exists under its old name and will be renamed (and updated).
    Rename,
    /// The object is owned, no longer wanted, and will be deleted.
    Delete,
}

impl Action {
    /// The one-character marker of text plans.
    pub fn symbol(self) -> &'static str {
        match self {
            Action::Create => "+",
            Action::Update | Action::Adopt | Action::Rename => "~",
            Action::Delete => "-",
        }
    }

    /// The word shown next to an address.
    pub fn word(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Adopt => "adopt",
            Action::Rename => "rename",
            Action::Delete => "delete",
        }
    }
}

/// The kind of remote object a change is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectKind {
    /// A custom variable of the Webhooks integration.
    CustomVariable,
    /// A webhook of the Webhooks integration.
    Webhook,
    /// A monitor (only its message's managed blocks).
    Monitor,
}

/// One change to one monitor block.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BlockChange {
    /// `monitor.ID.block.NAME`.
    pub address: String,
    /// The block's name.
    pub block: String,
    /// Created (appended), updated (rewritten in place) or deleted (removed).
    pub action: Action,
}

/// One change to one remote object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// `webhook.NAME`, `custom_variable.NAME` or `monitor.ID`.
    pub address: String,
    /// The object's kind.
    pub kind: ObjectKind,
    /// What happens.
    pub action: Action,
    /// For renames, the name the object has now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renamed_from: Option<String>,
    /// The object as read (secret values never appear: `{"sensitive": true, …}`).
    pub before: Option<Value>,
    /// The object as it will be (same masking).
    pub after: Option<Value>,
    /// Fingerprint of the remote object this change was computed against; apply refuses
    /// the change if the object no longer has it.
    pub fingerprint: Option<String>,
    /// Whether apply writes the object (false only for an adoption of an object that
    /// already matches: only the registry changes).
    #[serde(default = "yes")]
    pub writes: bool,
    /// For monitors: the id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monitor_id: Option<i64>,
    /// For monitors: the name, for reviewers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monitor_name: Option<String>,
    /// For monitors: the block changes this message change is made of.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub blocks: Vec<BlockChange>,
    /// Things a reviewer should know about this change.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

fn yes() -> bool {
    true
}

impl Change {
    /// A change with no notes and no monitor details.
    pub fn new(
        address: String,
        kind: ObjectKind,
        action: Action,
        before: Option<Value>,
        after: Option<Value>,
        fingerprint: Option<String>,
    ) -> Change {
        Change {
            address,
            kind,
            action,
            renamed_from: None,
            before,
            after,
            fingerprint,
            writes: true,
            monitor_id: None,
            monitor_name: None,
            blocks: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// Order of a plan: dependencies first (variables, webhooks, monitors), then by address
    /// (monitors by id).
    pub fn sort_key(&self) -> (ObjectKind, i64, &str) {
        (self.kind, self.monitor_id.unwrap_or(0), &self.address)
    }
}

/// A deletion ddhooks would make but holds back, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Held {
    /// The object not deleted.
    pub address: String,
    /// Why, and how to proceed.
    pub reason: String,
}

/// Something that stops part of the plan (a damaged block): shown as an error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Problem {
    /// The object concerned.
    pub address: String,
    /// What is wrong and how to fix it.
    pub message: String,
}

/// Counts for the summary line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Summary {
    /// Objects and blocks to create.
    pub create: usize,
    /// Objects and blocks to update (adoptions and renames included).
    pub update: usize,
    /// Objects and blocks to delete.
    pub delete: usize,
}

/// Everything ddhooks would change, and on what it based that.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// [`PLAN_FORMAT_VERSION`].
    pub format_version: u32,
    /// Ordered changes.
    pub changes: Vec<Change>,
    /// Deletions held back.
    #[serde(default)]
    pub held: Vec<Held>,
    /// Errors that stop parts of the plan.
    #[serde(default)]
    pub problems: Vec<Problem>,
    /// Things a reviewer should know that are not changes (e.g. a block naming a monitor id
    /// that does not exist).
    #[serde(default)]
    pub warnings: Vec<String>,
    /// Owned objects that no longer exist: apply drops them from the registry.
    #[serde(default)]
    pub forget: Vec<String>,
    /// Fingerprint of every remote object read (`null`: looked up, absent).
    #[serde(default)]
    pub reads: BTreeMap<String, Option<String>>,
    /// Counts.
    pub summary: Summary,
}

impl Plan {
    /// An empty plan.
    pub fn new() -> Plan {
        Plan {
            format_version: PLAN_FORMAT_VERSION,
            changes: Vec::new(),
            held: Vec::new(),
            problems: Vec::new(),
            warnings: Vec::new(),
            forget: Vec::new(),
            reads: BTreeMap::new(),
            summary: Summary::default(),
        }
    }

    /// Recomputes [`Plan::summary`] from the changes: monitor changes count their blocks.
    pub fn summarize(&mut self) {
        let mut s = Summary::default();
        let mut count = |a: Action| match a {
            Action::Create => s.create += 1,
            Action::Delete => s.delete += 1,
            Action::Update | Action::Rename => s.update += 1,
            Action::Adopt => s.update += 1,
        };
        for c in &self.changes {
            if c.blocks.is_empty() {
                count(c.action);
            } else {
                c.blocks.iter().for_each(|b| count(b.action));
            }
        }
        self.summary = s;
    }

    /// Whether applying would change anything (registry-only changes included).
    pub fn has_changes(&self) -> bool {
        !self.changes.is_empty() || !self.forget.is_empty()
    }
}

impl Default for Plan {
    fn default() -> Self {
        Plan::new()
    }
}
