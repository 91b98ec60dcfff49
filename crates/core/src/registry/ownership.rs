//! What the registry owns, by kind: the one API every caller records and reads ownership
//! through ([`OwnedKind`] and the methods below), the tables behind it, and the wire
//! struct that keeps the state file's JSON what it always was.
//!
//! Each method matches on the kind exhaustively, so a new kind is one variant of
//! [`OwnedKind`] and a table, and the compiler names every place that must handle it.

use super::Registry;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// A kind of object the registry records ownership of: what every ownership method of
/// [`Registry`] takes, so that no caller reaches a kind's table by hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OwnedKind {
    /// A webhook, owned by name.
    Webhook,
    /// A custom variable, owned by name with the fingerprint of the secret value ddhooks
    /// last wrote (none for a plain variable, whose value Datadog returns).
    CustomVariable,
    /// A notification rule: block name → the rule's id (names are not unique in Datadog).
    NotificationRule,
    /// A status board: board name → the dashboard's id.
    StatusBoard,
    /// A webhook auth method: name → its id, with the fingerprint of the client secret
    /// ddhooks last wrote (Datadog never returns it).
    AuthMethod,
}

impl OwnedKind {
    /// Every kind, for what must look at them all ([`Registry::has_pending`], checks of a
    /// whole registry). The registry's test `every_kind_is_listed_and_released_by_kind`
    /// names every table, so it fails until a new kind is listed here.
    pub const ALL: [OwnedKind; 5] = [
        OwnedKind::Webhook,
        OwnedKind::CustomVariable,
        OwnedKind::NotificationRule,
        OwnedKind::StatusBoard,
        OwnedKind::AuthMethod,
    ];
}

/// What [`Registry::record`] keeps with an owned name. Each kind takes what it stores (see
/// [`OwnedKind`]) and ignores the rest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ownership {
    /// The object's id, for the kinds Datadog addresses by id; `None` (a create whose
    /// answer held none) leaves their ownership as it was, for the next listing to settle.
    pub id: Option<String>,
    /// The salted fingerprint of the secret ddhooks wrote (custom variables, auth methods);
    /// `None`: none is known, or the variable is not secret.
    pub fingerprint: Option<String>,
}

impl Ownership {
    /// An object addressed by id, owned with `id`.
    pub fn with_id(id: impl Into<String>) -> Ownership {
        Ownership {
            id: Some(id.into()),
            fingerprint: None,
        }
    }

    /// A name owned with the fingerprint of the secret written to it (`None`: none).
    pub fn with_fingerprint(fingerprint: Option<String>) -> Ownership {
        Ownership {
            id: None,
            fingerprint,
        }
    }
}

/// A kind Datadog addresses by name (webhooks, custom variables): the owned names, each
/// with the fingerprint of the secret value last written (always `None` for webhooks), and
/// the pending names, each with the fingerprint to own it with if it turns out to exist.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct ByName {
    pub(super) owned: BTreeMap<String, Option<String>>,
    pub(super) pending: BTreeMap<String, Option<String>>,
}

/// A kind Datadog addresses by id and can list (rules, boards, auth methods): the owned
/// names with their ids, and the names a write in flight may have created or deleted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct ById {
    pub(super) owned: BTreeMap<String, String>,
    pub(super) pending: BTreeSet<String>,
}

/// One kind's table, for the methods that treat every kind of a shape alike; an auth
/// method's also the fingerprints of its secrets.
enum Table<'a> {
    ByName(&'a ByName),
    ById(&'a ById, Option<&'a BTreeMap<String, String>>),
}

/// One kind's table, to change it.
enum TableMut<'a> {
    ByName(&'a mut ByName),
    ById(&'a mut ById, Option<&'a mut BTreeMap<String, String>>),
}

impl Registry {
    fn table(&self, kind: OwnedKind) -> Table<'_> {
        match kind {
            OwnedKind::Webhook => Table::ByName(&self.webhooks),
            OwnedKind::CustomVariable => Table::ByName(&self.variables),
            OwnedKind::NotificationRule => Table::ById(&self.rules, None),
            OwnedKind::StatusBoard => Table::ById(&self.boards, None),
            OwnedKind::AuthMethod => {
                Table::ById(&self.auth_methods, Some(&self.auth_method_secrets))
            }
        }
    }

    fn table_mut(&mut self, kind: OwnedKind) -> TableMut<'_> {
        match kind {
            OwnedKind::Webhook => TableMut::ByName(&mut self.webhooks),
            OwnedKind::CustomVariable => TableMut::ByName(&mut self.variables),
            OwnedKind::NotificationRule => TableMut::ById(&mut self.rules, None),
            OwnedKind::StatusBoard => TableMut::ById(&mut self.boards, None),
            OwnedKind::AuthMethod => {
                TableMut::ById(&mut self.auth_methods, Some(&mut self.auth_method_secrets))
            }
        }
    }

    /// Records `name` as pending before a write that may create, delete or rename it:
    /// `fingerprint` is what a custom variable is owned with if it turns out to exist (the
    /// other kinds keep none while pending).
    pub fn mark_pending(&mut self, kind: OwnedKind, name: &str, fingerprint: Option<String>) {
        let name = name.to_string();
        match kind {
            OwnedKind::Webhook => {
                self.webhooks.pending.insert(name, None);
            }
            OwnedKind::CustomVariable => {
                self.variables.pending.insert(name, fingerprint);
            }
            OwnedKind::NotificationRule => {
                self.rules.pending.insert(name);
            }
            OwnedKind::StatusBoard => {
                self.boards.pending.insert(name);
            }
            OwnedKind::AuthMethod => {
                self.auth_methods.pending.insert(name);
            }
        }
    }

    /// Records that ddhooks owns `name` after a write (or an adoption) succeeded, with what
    /// its kind keeps: a custom variable's fingerprint replaces the one known; an object
    /// addressed by id is owned with `with.id` (without one its ownership stays as it was),
    /// and an auth method it owns keeps `with.fingerprint` as its secret's.
    pub fn record(&mut self, kind: OwnedKind, name: &str, with: Ownership) {
        let name = name.to_string();
        match kind {
            OwnedKind::Webhook => {
                self.webhooks.owned.insert(name, None);
            }
            OwnedKind::CustomVariable => {
                self.variables.owned.insert(name, with.fingerprint);
            }
            OwnedKind::NotificationRule => self.rules.own(name, with.id),
            OwnedKind::StatusBoard => self.boards.own(name, with.id),
            OwnedKind::AuthMethod => {
                self.auth_methods.own(name.clone(), with.id);
                match with.fingerprint {
                    Some(fp) if self.auth_methods.owned.contains_key(&name) => {
                        self.auth_method_secrets.insert(name, fp);
                    }
                    _ => {
                        self.auth_method_secrets.remove(&name);
                    }
                }
            }
        }
    }

    /// Drops `name` from the pending names once its write's outcome is known (done, refused
    /// or not attempted); what it owns stays as it was.
    pub fn release(&mut self, kind: OwnedKind, name: &str) {
        match self.table_mut(kind) {
            TableMut::ByName(t) => _ = t.pending.remove(name),
            TableMut::ById(t, _) => _ = t.pending.remove(name),
        }
    }

    /// Drops the ownership of `name` (deleted, or no longer existing), with what was kept
    /// beside it; whether it is pending stays as it was.
    pub fn forget(&mut self, kind: OwnedKind, name: &str) {
        match self.table_mut(kind) {
            TableMut::ByName(t) => {
                t.owned.remove(name);
            }
            TableMut::ById(t, secrets) => {
                t.owned.remove(name);
                if let Some(secrets) = secrets {
                    secrets.remove(name);
                }
            }
        }
    }

    /// Whether ddhooks owns `name`.
    pub fn owns(&self, kind: OwnedKind, name: &str) -> bool {
        match self.table(kind) {
            Table::ByName(t) => t.owned.contains_key(name),
            Table::ById(t, _) => t.owned.contains_key(name),
        }
    }

    /// Whether `name` is pending.
    pub fn is_pending(&self, kind: OwnedKind, name: &str) -> bool {
        match self.table(kind) {
            Table::ByName(t) => t.pending.contains_key(name),
            Table::ById(t, _) => t.pending.contains(name),
        }
    }

    /// The id of an owned object addressed by id (`None` for the kinds owned by name).
    pub fn id_of(&self, kind: OwnedKind, name: &str) -> Option<&str> {
        match self.table(kind) {
            Table::ByName(_) => None,
            Table::ById(t, _) => t.owned.get(name).map(String::as_str),
        }
    }

    /// The fingerprint of the secret ddhooks last wrote to an owned object, when its kind
    /// keeps one and it is known.
    pub fn fingerprint_of(&self, kind: OwnedKind, name: &str) -> Option<&str> {
        match self.table(kind) {
            Table::ByName(t) => t.owned.get(name)?.as_deref(),
            Table::ById(_, secrets) => secrets?.get(name).map(String::as_str),
        }
    }

    /// The owned names of a kind, in order.
    pub fn owned(&self, kind: OwnedKind) -> Box<dyn Iterator<Item = &str> + '_> {
        match self.table(kind) {
            Table::ByName(t) => Box::new(t.owned.keys().map(String::as_str)),
            Table::ById(t, _) => Box::new(t.owned.keys().map(String::as_str)),
        }
    }

    /// The owned names of a kind addressed by id, each with its id, in name order (none for
    /// the kinds owned by name).
    pub fn owned_ids(&self, kind: OwnedKind) -> impl Iterator<Item = (&str, &str)> + '_ {
        let table = match self.table(kind) {
            Table::ByName(_) => None,
            Table::ById(t, _) => Some(t),
        };
        table
            .into_iter()
            .flat_map(|t| t.owned.iter())
            .map(|(name, id)| (name.as_str(), id.as_str()))
    }

    /// The pending names of a kind, in order.
    pub fn pending(&self, kind: OwnedKind) -> Box<dyn Iterator<Item = &str> + '_> {
        match self.table(kind) {
            Table::ByName(t) => Box::new(t.pending.keys().map(String::as_str)),
            Table::ById(t, _) => Box::new(t.pending.iter().map(String::as_str)),
        }
    }

    /// Whether the registry holds some name of a kind, owned or pending (then a read must
    /// look for those objects).
    pub fn holds(&self, kind: OwnedKind) -> bool {
        self.owned(kind).next().is_some() || self.pending(kind).next().is_some()
    }

    /// Whether some name of any kind is pending.
    pub fn has_pending(&self) -> bool {
        OwnedKind::ALL
            .into_iter()
            .any(|kind| self.pending(kind).next().is_some())
    }
}

impl ByName {
    /// Resolves every pending name by existence: an existing object is owned (with the
    /// pending fingerprint, else the one owned), an absent one dropped.
    pub(super) fn resolve(&mut self, exists: impl Fn(&str) -> bool) {
        for (name, fp) in std::mem::take(&mut self.pending) {
            if exists(&name) {
                let owned = self.owned.get(&name).cloned().flatten();
                self.owned.insert(name, fp.or(owned));
            } else {
                self.owned.remove(&name);
            }
        }
    }
}

impl ById {
    /// Owns `name` with `id`; without an id, ownership stays as it was.
    fn own(&mut self, name: String, id: Option<String>) {
        if let Some(id) = id {
            self.owned.insert(name, id);
        }
    }

    /// Resolves pending names: a name whose owned id still exists keeps it; otherwise it
    /// owns the one object `listed` under its name (`(id, name)`) that no other name owns,
    /// or nothing when there are none or several. Returns whether anything was pending.
    pub(super) fn resolve<'a>(
        &mut self,
        exists: impl Fn(&str) -> bool,
        listed: impl Iterator<Item = (&'a str, &'a str)> + Clone,
    ) -> bool {
        let changed = !self.pending.is_empty();
        for name in std::mem::take(&mut self.pending) {
            let kept = self.owned.get(&name).is_some_and(|id| exists(id));
            if kept {
                continue;
            }
            self.owned.remove(&name);
            let taken: BTreeSet<&str> = self.owned.values().map(String::as_str).collect();
            let mut found = listed
                .clone()
                .filter(|(id, n)| *n == name && !taken.contains(id));
            if let (Some((id, _)), None) = (found.next(), found.next()) {
                self.owned.insert(name, id.to_string());
            }
        }
        changed
    }
}

/// The registry as the state file (and formats 1 and 2) hold it: the same keys, in the same
/// order, skipped when empty by the same rules, so the JSON is byte for byte what every
/// version wrote and reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Wire {
    #[serde(rename = "s")]
    pub(super) salt: String,
    #[serde(rename = "w", default)]
    pub(super) webhooks: BTreeSet<String>,
    #[serde(rename = "c", default)]
    pub(super) custom_variables: BTreeMap<String, Option<String>>,
    #[serde(rename = "pw", default, skip_serializing_if = "BTreeSet::is_empty")]
    pub(super) pending_webhooks: BTreeSet<String>,
    #[serde(rename = "pc", default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(super) pending_variables: BTreeMap<String, Option<String>>,
    #[serde(rename = "r", default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(super) notification_rules: BTreeMap<String, String>,
    #[serde(rename = "pr", default, skip_serializing_if = "BTreeSet::is_empty")]
    pub(super) pending_rules: BTreeSet<String>,
    #[serde(rename = "b", default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(super) status_boards: BTreeMap<String, String>,
    #[serde(rename = "pb", default, skip_serializing_if = "BTreeSet::is_empty")]
    pub(super) pending_boards: BTreeSet<String>,
    #[serde(rename = "a", default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(super) auth_methods: BTreeMap<String, String>,
    #[serde(rename = "as", default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(super) auth_method_secrets: BTreeMap<String, String>,
    #[serde(rename = "pa", default, skip_serializing_if = "BTreeSet::is_empty")]
    pub(super) pending_auth_methods: BTreeSet<String>,
    #[serde(rename = "n", default, skip_serializing_if = "Option::is_none")]
    pub(super) monitor_count: Option<usize>,
}

/// Names without values, as a webhook table keeps them.
fn unvalued(names: BTreeSet<String>) -> BTreeMap<String, Option<String>> {
    names.into_iter().map(|name| (name, None)).collect()
}

impl From<Wire> for Registry {
    fn from(w: Wire) -> Registry {
        Registry {
            salt: w.salt,
            webhooks: ByName {
                owned: unvalued(w.webhooks),
                pending: unvalued(w.pending_webhooks),
            },
            variables: ByName {
                owned: w.custom_variables,
                pending: w.pending_variables,
            },
            rules: ById {
                owned: w.notification_rules,
                pending: w.pending_rules,
            },
            boards: ById {
                owned: w.status_boards,
                pending: w.pending_boards,
            },
            auth_methods: ById {
                owned: w.auth_methods,
                pending: w.pending_auth_methods,
            },
            auth_method_secrets: w.auth_method_secrets,
            monitor_count: w.monitor_count,
        }
    }
}

impl From<Registry> for Wire {
    fn from(r: Registry) -> Wire {
        let Registry {
            salt,
            webhooks,
            variables,
            rules,
            boards,
            auth_methods,
            auth_method_secrets,
            monitor_count,
        } = r;
        Wire {
            salt,
            webhooks: webhooks.owned.into_keys().collect(),
            custom_variables: variables.owned,
            pending_webhooks: webhooks.pending.into_keys().collect(),
            pending_variables: variables.pending,
            notification_rules: rules.owned,
            pending_rules: rules.pending,
            status_boards: boards.owned,
            pending_boards: boards.pending,
            auth_methods: auth_methods.owned,
            auth_method_secrets,
            pending_auth_methods: auth_methods.pending,
            monitor_count,
        }
    }
}
