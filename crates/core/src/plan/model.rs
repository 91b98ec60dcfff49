//! The plan's data: what the renderers print and what apply executes. Typed: one address
//! enum with one parser, one change variant per kind of object, typed before/after values.
//! The versioned JSON form is a view built by `render::json`.

use crate::model::{EncodeAs, NotificationRule, Secret, StatusBoard, Unmodelled};
use crate::registry::OwnedKind;
use serde_json::Value;
use std::collections::BTreeMap;
use std::convert::Infallible;
use std::fmt;

mod address;

pub use address::{Address, AddressError};

/// Version of the JSON plan format; bumped on any incompatible change.
pub const PLAN_FORMAT_VERSION: u32 = 1;

/// A short digest of a remote object as read; apply refuses a change whose object no longer
/// has it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Fingerprint(pub String);

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a change does. The symbol a reviewer sees is part of the model, as in Terraform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
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

    /// The word shown next to an address (and the JSON plan's `action`).
    pub fn word(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Adopt => "adopt",
            Action::Rename => "rename",
            Action::Delete => "delete",
        }
    }

    /// The action a word names (the JSON plan's `action`).
    pub fn from_word(word: &str) -> Option<Action> {
        [
            Action::Create,
            Action::Update,
            Action::Adopt,
            Action::Rename,
            Action::Delete,
        ]
        .into_iter()
        .find(|a| a.word() == word)
    }
}

/// The kind of remote object a change is about; orders a plan (dependencies first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ObjectKind {
    /// A custom variable of the Webhooks integration.
    CustomVariable,
    /// An OAuth2 auth method of the Webhooks integration: no other object depends on it
    /// (the link from a webhook is read-only), listed beside the variables.
    AuthMethod,
    /// A webhook of the Webhooks integration.
    Webhook,
    /// A monitor notification rule: after the webhooks it names, before the monitors whose
    /// blocks it replaces (so a switch to a rule never leaves a moment without delivery).
    NotificationRule,
    /// A monitor (only its message's managed blocks).
    Monitor,
    /// A status board (a dashboard): depends on nothing, written last.
    StatusBoard,
}

impl ObjectKind {
    /// The JSON plan's `kind`.
    pub fn word(self) -> &'static str {
        match self {
            ObjectKind::CustomVariable => "custom_variable",
            ObjectKind::AuthMethod => "webhook_auth_method",
            ObjectKind::Webhook => "webhook",
            ObjectKind::NotificationRule => "notification_rule",
            ObjectKind::Monitor => "monitor",
            ObjectKind::StatusBoard => "status_board",
        }
    }

    /// The registry's kind of these objects (`None` for monitors, which ddhooks never
    /// owns: it writes only its blocks in their messages).
    pub fn owned(self) -> Option<OwnedKind> {
        match self {
            ObjectKind::CustomVariable => Some(OwnedKind::CustomVariable),
            ObjectKind::AuthMethod => Some(OwnedKind::AuthMethod),
            ObjectKind::Webhook => Some(OwnedKind::Webhook),
            ObjectKind::NotificationRule => Some(OwnedKind::NotificationRule),
            ObjectKind::Monitor => None,
            ObjectKind::StatusBoard => Some(OwnedKind::StatusBoard),
        }
    }
}

/// What happens to one object whose value is a `T`: the action is the variant, and each
/// variant holds exactly the values it needs. `R` is what a rename needs (the old name);
/// kinds that cannot be renamed use [`Infallible`], so no such change can be built.
#[derive(Debug, Clone, PartialEq)]
pub enum Edit<T, R = Infallible> {
    /// The object does not exist: create it as `after`.
    Create {
        /// The object as it will be.
        after: T,
    },
    /// The object is owned and differs: write `after`.
    Update {
        /// The object as read.
        before: T,
        /// The object as it will be.
        after: T,
        /// The read this is based on.
        read: Fingerprint,
    },
    /// The object exists but is not owned: it becomes owned, and is written only when it
    /// differs (`writes`).
    Adopt {
        /// The object as read.
        before: T,
        /// The object as it will be.
        after: T,
        /// The read this is based on.
        read: Fingerprint,
        /// Whether the object is written (false: it already matches, only the registry
        /// changes).
        writes: bool,
    },
    /// The object exists under another name: rename it and write `after`.
    Rename {
        /// The name it has now.
        from: R,
        /// The object as read under its old name.
        before: T,
        /// The object as it will be.
        after: T,
        /// The read of the old name this is based on.
        read: Fingerprint,
    },
    /// The object is owned and no longer wanted: delete it.
    Delete {
        /// The object as read.
        before: T,
        /// The read this is based on.
        read: Fingerprint,
    },
}

impl<T, R> Edit<T, R> {
    /// The action this edit is.
    pub fn action(&self) -> Action {
        match self {
            Edit::Create { .. } => Action::Create,
            Edit::Update { .. } => Action::Update,
            Edit::Adopt { .. } => Action::Adopt,
            Edit::Rename { .. } => Action::Rename,
            Edit::Delete { .. } => Action::Delete,
        }
    }

    /// The object as read, when it exists.
    pub fn before(&self) -> Option<&T> {
        match self {
            Edit::Create { .. } => None,
            Edit::Update { before, .. }
            | Edit::Adopt { before, .. }
            | Edit::Rename { before, .. }
            | Edit::Delete { before, .. } => Some(before),
        }
    }

    /// The object as it will be, unless deleted.
    pub fn after(&self) -> Option<&T> {
        match self {
            Edit::Delete { .. } => None,
            Edit::Create { after }
            | Edit::Update { after, .. }
            | Edit::Adopt { after, .. }
            | Edit::Rename { after, .. } => Some(after),
        }
    }

    /// The fingerprint of the read this edit is based on (none for a create).
    pub fn read(&self) -> Option<&Fingerprint> {
        match self {
            Edit::Create { .. } => None,
            Edit::Update { read, .. }
            | Edit::Adopt { read, .. }
            | Edit::Rename { read, .. }
            | Edit::Delete { read, .. } => Some(read),
        }
    }

    /// Whether apply writes the object (only a matching adoption does not).
    pub fn writes(&self) -> bool {
        !matches!(self, Edit::Adopt { writes: false, .. })
    }

    /// Whether the edit makes or removes an object under a name (create, delete, rename):
    /// those names are recorded as pending before apply writes anything.
    pub fn changes_names(&self) -> bool {
        matches!(
            self,
            Edit::Create { .. } | Edit::Delete { .. } | Edit::Rename { .. }
        )
    }
}

/// A custom variable's value as plans show it.
#[derive(Debug, Clone, PartialEq)]
pub enum VariableValue {
    /// A plain value, shown (`None`: Datadog returned none).
    Plain(Option<String>),
    /// A secret: never shown, only the salted fingerprint of the value ddhooks wrote (when
    /// known). `value` is the value to write, present only on the desired side; renderers
    /// never read it.
    Secret {
        /// Salted fingerprint of the value, when known.
        fingerprint: Option<String>,
        /// The value apply writes (desired side only).
        value: Option<Secret>,
    },
}

/// A custom variable as plans show it.
#[derive(Debug, Clone, PartialEq)]
pub struct VariableState {
    /// Whether Datadog treats it as a secret.
    pub secret: bool,
    /// Its value.
    pub value: VariableValue,
}

/// A webhook as plans show it and apply writes it.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookState {
    /// The URL called.
    pub url: String,
    /// JSON or form encoding.
    pub encode_as: EncodeAs,
    /// Custom headers (`None`: none set).
    pub custom_headers: Option<BTreeMap<String, String>>,
    /// The payload (`None`: Datadog's default payload on the desired side, none returned on
    /// the remote side).
    pub payload: Option<Value>,
}

/// A change to a custom variable.
#[derive(Debug, Clone, PartialEq)]
pub struct VariableChange {
    /// The variable's name.
    pub name: String,
    /// What happens to it.
    pub edit: Edit<VariableState>,
    /// Things a reviewer should know.
    pub notes: Vec<String>,
}

/// A change to a webhook (the only kind that can be renamed).
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookChange {
    /// The webhook's (new) name.
    pub name: String,
    /// What happens to it; a rename holds the old name.
    pub edit: Edit<WebhookState, String>,
    /// Things a reviewer should know.
    pub notes: Vec<String>,
}

/// A change to an object Datadog addresses by id and replaces whole on every write: a
/// notification rule (a PATCH replaces it) or a status board (a PUT does).
#[derive(Debug, Clone, PartialEq)]
pub struct WholeChange<T> {
    /// Its name in manifests (a rule's is also its name in Datadog).
    pub name: String,
    /// Its id in Datadog, when it exists (everything but a create).
    pub id: Option<String>,
    /// What happens to it (never a rename: a new name is a new object).
    pub edit: Edit<T>,
    /// Things a reviewer should know.
    pub notes: Vec<String>,
    /// Its fields ddhooks does not model, as read: an update or adoption writes them back
    /// unchanged, as the write replaces the object whole. Empty for a create.
    pub carried: Unmodelled,
}

/// A change to a notification rule, the delivery of a block declared `delivery: rule`.
pub type RuleChange = WholeChange<NotificationRule>;

/// A change to a status board, a dashboard ddhooks owns whole.
pub type BoardChange = WholeChange<StatusBoard>;

/// An auth method's client secret on one side of a change: Datadog never returns it, so
/// the remote side holds the salted fingerprint of what ddhooks last wrote (`None`: not
/// known, e.g. an auth method made by hand), and the desired side the value too. Two sides
/// are equal only when both fingerprints are known and the same.
#[derive(Debug, Clone)]
pub struct SecretState {
    /// The salted fingerprint of the value (see [`crate::registry::Registry::fingerprint`]).
    pub fingerprint: Option<String>,
    /// The value to write (desired side only; never rendered).
    pub value: Option<Secret>,
}

impl PartialEq for SecretState {
    fn eq(&self, other: &Self) -> bool {
        self.fingerprint.is_some() && self.fingerprint == other.fingerprint
    }
}

/// A webhook auth method as plans show it and apply writes it.
#[derive(Debug, Clone, PartialEq)]
pub struct AuthMethodState {
    /// Its name in Datadog (the manifest name).
    pub name: String,
    /// Where the credentials are exchanged for a token.
    pub access_token_url: String,
    /// The OAuth2 client id.
    pub client_id: String,
    /// The client secret (a fingerprint; the value on the desired side).
    pub client_secret: SecretState,
    /// The audience (`None`: none).
    pub audience: Option<String>,
    /// The scope (`None`: none).
    pub scope: Option<String>,
}

/// A change to a webhook auth method.
#[derive(Debug, Clone, PartialEq)]
pub struct AuthMethodChange {
    /// Its manifest name (also its name in Datadog).
    pub name: String,
    /// Its id in Datadog, when it exists (everything but a create).
    pub id: Option<String>,
    /// What happens to it (a new name is a new auth method).
    pub edit: Edit<AuthMethodState>,
    /// Things a reviewer should know.
    pub notes: Vec<String>,
}

/// One check run apply submits for a monitor a pair's block or rule wires for the first
/// time, with the status of the monitor's current state, so the pair's board counts it at
/// once instead of after its first transition. Not configuration: nothing to converge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedRun {
    /// The pair.
    pub pair: String,
    /// The monitor.
    pub monitor: i64,
    /// The check, as the pair's webhooks send it.
    pub check: String,
    /// The host, as the pair's webhooks send it.
    pub host_name: String,
    /// The status for the monitor's state.
    pub status: u8,
    /// The tags, as the pair's webhooks send them for this monitor.
    pub tags: Vec<String>,
}

/// What happens to one managed block inside a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockAction {
    /// Appended to the message.
    Add,
    /// Rewritten in place.
    Update,
    /// Removed (with the blank line ddhooks added before it).
    Remove,
    /// Put in place of lines people pasted by hand that say the same.
    Adopt {
        /// How many hand-written lines it replaces.
        replaced: usize,
    },
}

impl BlockAction {
    /// How a block change reads: blocks are added to, updated in and removed from a message.
    pub fn verb(self) -> &'static str {
        match self {
            BlockAction::Add => "add",
            BlockAction::Update => "update",
            BlockAction::Remove => "remove",
            BlockAction::Adopt { .. } => "adopt",
        }
    }

    /// What a reviewer should know beyond the verb: ` (replaces N hand-written lines)` for an
    /// adoption, nothing otherwise.
    pub fn note(self) -> String {
        match self {
            BlockAction::Adopt { replaced: 1 } => " (replaces 1 hand-written line)".into(),
            BlockAction::Adopt { replaced } => format!(" (replaces {replaced} hand-written lines)"),
            _ => String::new(),
        }
    }

    /// The plan-level action this counts as.
    pub fn action(self) -> Action {
        match self {
            BlockAction::Add => Action::Create,
            BlockAction::Update => Action::Update,
            BlockAction::Remove => Action::Delete,
            BlockAction::Adopt { .. } => Action::Adopt,
        }
    }
}

impl std::fmt::Display for BlockChange {
    /// How a reviewer reads it: `add block g`, `adopt block g (replaces 2 hand-written lines)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} block {}{}",
            self.action.verb(),
            self.block,
            self.action.note()
        )
    }
}

/// One change to one managed block.
#[derive(Debug, Clone, PartialEq)]
pub struct BlockChange {
    /// The block's name.
    pub block: String,
    /// What happens to it.
    pub action: BlockAction,
}

/// A rewrite of one monitor's message: only its managed blocks change.
#[derive(Debug, Clone, PartialEq)]
pub struct MonitorChange {
    /// The monitor's id.
    pub id: i64,
    /// Its name, for reviewers.
    pub name: String,
    /// The message as read.
    pub before: String,
    /// The message apply writes.
    pub after: String,
    /// The read this is based on (of the message).
    pub read: Fingerprint,
    /// The block changes this message change is made of.
    pub blocks: Vec<BlockChange>,
    /// Things a reviewer should know.
    pub notes: Vec<String>,
}

impl MonitorChange {
    /// What happens to it: its message is always updated; its blocks say how.
    pub const ACTION: Action = Action::Update;

    /// Its address (what [`Change::address`] gives for it).
    pub fn address(&self) -> Address {
        Address::Monitor(self.id)
    }

    /// The actions it counts as in summaries: one per block change.
    pub fn counted_actions(&self) -> impl Iterator<Item = Action> + '_ {
        self.blocks.iter().map(|b| b.action.action())
    }
}

/// One change to one remote object: one variant per kind, so that apply and every renderer
/// handle every kind or fail to compile.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// A custom variable.
    CustomVariable(VariableChange),
    /// A webhook.
    Webhook(WebhookChange),
    /// A notification rule.
    NotificationRule(RuleChange),
    /// A monitor's message.
    Monitor(MonitorChange),
    /// A status board.
    StatusBoard(BoardChange),
    /// A webhook auth method.
    AuthMethod(AuthMethodChange),
}

impl Change {
    /// Where the change applies.
    pub fn address(&self) -> Address {
        match self {
            Change::CustomVariable(c) => Address::CustomVariable(c.name.clone()),
            Change::Webhook(c) => Address::Webhook(c.name.clone()),
            Change::NotificationRule(c) => Address::NotificationRule(c.name.clone()),
            Change::StatusBoard(c) => Address::StatusBoard(c.name.clone()),
            Change::AuthMethod(c) => Address::AuthMethod(c.name.clone()),
            Change::Monitor(c) => c.address(),
        }
    }

    /// The kind of object.
    pub fn kind(&self) -> ObjectKind {
        match self {
            Change::CustomVariable(_) => ObjectKind::CustomVariable,
            Change::Webhook(_) => ObjectKind::Webhook,
            Change::NotificationRule(_) => ObjectKind::NotificationRule,
            Change::StatusBoard(_) => ObjectKind::StatusBoard,
            Change::AuthMethod(_) => ObjectKind::AuthMethod,
            Change::Monitor(_) => ObjectKind::Monitor,
        }
    }

    /// What happens (a monitor's message is always updated; its blocks say how).
    pub fn action(&self) -> Action {
        match self {
            Change::CustomVariable(c) => c.edit.action(),
            Change::Webhook(c) => c.edit.action(),
            Change::NotificationRule(c) => c.edit.action(),
            Change::StatusBoard(c) => c.edit.action(),
            Change::AuthMethod(c) => c.edit.action(),
            Change::Monitor(_) => MonitorChange::ACTION,
        }
    }

    /// Whether this is a removal (applied after every other change, in reverse order).
    pub fn is_removal(&self) -> bool {
        self.action() == Action::Delete
    }

    /// The fingerprint of the read the change is based on.
    pub fn read(&self) -> Option<&Fingerprint> {
        match self {
            Change::CustomVariable(c) => c.edit.read(),
            Change::Webhook(c) => c.edit.read(),
            Change::NotificationRule(c) => c.edit.read(),
            Change::StatusBoard(c) => c.edit.read(),
            Change::AuthMethod(c) => c.edit.read(),
            Change::Monitor(c) => Some(&c.read),
        }
    }

    /// Things a reviewer should know about this change.
    pub fn notes(&self) -> &[String] {
        match self {
            Change::CustomVariable(c) => &c.notes,
            Change::Webhook(c) => &c.notes,
            Change::NotificationRule(c) => &c.notes,
            Change::StatusBoard(c) => &c.notes,
            Change::AuthMethod(c) => &c.notes,
            Change::Monitor(c) => &c.notes,
        }
    }

    /// The actions this change counts as in summaries: a monitor counts its blocks.
    pub fn counted_actions(&self) -> Vec<Action> {
        match self {
            Change::Monitor(m) => m.counted_actions().collect(),
            other => vec![other.action()],
        }
    }

    /// Order of a plan: dependencies first (variables, webhooks, rules, monitors), then by name
    /// (monitors by id).
    pub fn sort_key(&self) -> (ObjectKind, i64, &str) {
        match self {
            Change::CustomVariable(c) => (ObjectKind::CustomVariable, 0, &c.name),
            Change::Webhook(c) => (ObjectKind::Webhook, 0, &c.name),
            Change::NotificationRule(c) => (ObjectKind::NotificationRule, 0, &c.name),
            Change::StatusBoard(c) => (ObjectKind::StatusBoard, 0, &c.name),
            Change::AuthMethod(c) => (ObjectKind::AuthMethod, 0, &c.name),
            Change::Monitor(c) => (ObjectKind::Monitor, c.id, ""),
        }
    }
}

/// A name in the registry: what `forget` drops when the object no longer exists.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct OwnedName {
    /// The registry's kind of the object.
    pub kind: OwnedKind,
    /// Its name (a block's, for a notification rule; a board's, for a status board).
    pub name: String,
}

impl OwnedName {
    /// The owned `name` of `kind`.
    pub fn new(kind: OwnedKind, name: impl Into<String>) -> OwnedName {
        OwnedName {
            kind,
            name: name.into(),
        }
    }

    /// The plan address of the object.
    pub fn address(&self) -> Address {
        let name = self.name.clone();
        match self.kind {
            OwnedKind::Webhook => Address::Webhook(name),
            OwnedKind::CustomVariable => Address::CustomVariable(name),
            OwnedKind::NotificationRule => Address::NotificationRule(name),
            OwnedKind::StatusBoard => Address::StatusBoard(name),
            OwnedKind::AuthMethod => Address::AuthMethod(name),
        }
    }
}

/// A deletion ddhooks would make but holds back, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Held {
    /// The object not deleted.
    pub address: Address,
    /// Why, and how to proceed.
    pub reason: String,
}

/// Something that stops part of the plan (a damaged block): shown as an error.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// The object concerned.
    pub address: Address,
    /// What is wrong and how to fix it.
    pub message: String,
    /// Where in the manifests, when more precise than the object's declaration (a handle
    /// inside a block).
    pub at: Option<crate::model::SourcePos>,
}

/// Counts for the summary line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Summary {
    /// Objects and blocks to create.
    pub create: usize,
    /// Objects and blocks to update (adoptions and renames included).
    pub update: usize,
    /// Objects and blocks to delete.
    pub delete: usize,
}

impl Summary {
    /// Counts one action.
    pub fn count(&mut self, action: Action) {
        match action {
            Action::Create => self.create += 1,
            Action::Delete => self.delete += 1,
            Action::Update | Action::Rename | Action::Adopt => self.update += 1,
        }
    }
}

/// Everything ddhooks would change, and on what it based that.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Plan {
    /// Ordered changes.
    pub changes: Vec<Change>,
    /// Deletions held back.
    pub held: Vec<Held>,
    /// Errors that stop parts of the plan.
    pub problems: Vec<Problem>,
    /// Things a reviewer should know that are not changes (e.g. a block naming a monitor id
    /// that does not exist).
    pub warnings: Vec<String>,
    /// Owned objects that no longer exist: apply drops them from the registry.
    pub forget: Vec<OwnedName>,
    /// Fingerprint of every remote object read (`None`: looked up, absent).
    pub reads: BTreeMap<Address, Option<Fingerprint>>,
    /// Counts.
    pub summary: Summary,
    /// Check runs apply submits for monitors wired for the first time (see [`SeedRun`]).
    pub seeds: Vec<SeedRun>,
    /// The registry's salt: credentials are shown as fingerprints salted with it, stable
    /// between a plan and its apply.
    pub salt: String,
    /// Who is notified differently after the plan, per monitor and transition (see
    /// [`crate::routing`]): what a reviewer of a notification change wants to know.
    pub routing: Vec<crate::routing::RoutingChange>,
}

impl Plan {
    /// An empty plan.
    pub fn new() -> Plan {
        Plan::default()
    }

    /// Recomputes [`Plan::summary`] from the changes: monitor changes count their blocks.
    pub fn summarize(&mut self) {
        let mut s = Summary::default();
        for c in &self.changes {
            c.counted_actions().into_iter().for_each(|a| s.count(a));
        }
        self.summary = s;
    }

    /// How many seeded check runs apply submits, per pair, in pair order.
    pub fn seeds_per_pair(&self) -> Vec<(&str, usize)> {
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for seed in &self.seeds {
            *counts.entry(seed.pair.as_str()).or_default() += 1;
        }
        counts.into_iter().collect()
    }

    /// Whether applying would change anything (registry-only changes included).
    pub fn has_changes(&self) -> bool {
        !self.changes.is_empty() || !self.forget.is_empty()
    }
}

#[cfg(test)]
mod tests;
