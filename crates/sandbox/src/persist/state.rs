//! What of the state goes to disk: the record of one write (the keys it touched, as they now
//! are) and the whole-state snapshot, secrets redacted on the way out.

use super::{PersistError, SNAPSHOT_VERSION};
use crate::data::{
    replace_given, Data, Directory, Integration, MonitorTable, StoredAuthMethod, StoredVariable,
    REDACTED_SECRET,
};
use ddhooks_datadog::wire::{Dashboard, RuleAttributes, ServiceCheck, Webhook};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// What a write changed: the keys of the maps it wrote, so that only their new values go to
/// the journal. The counters and the appended check runs and deliveries are found by the
/// store itself.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Touched {
    webhooks: BTreeSet<String>,
    custom_variables: BTreeSet<String>,
    monitors: BTreeSet<i64>,
    monitor_states: BTreeSet<i64>,
    notification_rules: BTreeSet<String>,
    dashboards: BTreeSet<String>,
    auth_methods: BTreeSet<String>,
    directory: bool,
}

impl Touched {
    /// The handles' destinations changed (they are journalled whole: a small map).
    pub fn directory(&mut self) {
        self.directory = true;
    }

    /// The webhook named `name` was created, changed or deleted.
    pub fn webhook(&mut self, name: &str) {
        self.webhooks.insert(name.to_string());
    }

    /// The custom variable named `name` was created, changed or deleted.
    pub fn variable(&mut self, name: &str) {
        self.custom_variables.insert(name.to_string());
    }

    /// The monitor `id` was created, changed or deleted.
    pub fn monitor(&mut self, id: i64) {
        self.monitors.insert(id);
    }

    /// The simulated state of monitor `id` changed.
    pub fn monitor_state(&mut self, id: i64) {
        self.monitor_states.insert(id);
    }

    /// The notification rule `id` was created, changed or deleted.
    pub fn rule(&mut self, id: &str) {
        self.notification_rules.insert(id.to_string());
    }

    /// The dashboard `id` was created, changed or deleted.
    pub fn dashboard(&mut self, id: &str) {
        self.dashboards.insert(id.to_string());
    }

    /// The webhook auth method `id` was created, changed or deleted.
    pub fn auth_method(&mut self, id: &str) {
        self.auth_methods.insert(id.to_string());
    }

    /// Webhooks and variables go from `old` to `new` as a whole (the lossy read-modify-write):
    /// every name whose value differs is touched.
    pub fn integration(&mut self, old: &Integration, new: &Integration) {
        fn differing<V: PartialEq>(
            old: &BTreeMap<String, V>,
            new: &BTreeMap<String, V>,
        ) -> Vec<String> {
            let names: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
            names
                .into_iter()
                .filter(|name| old.get(*name) != new.get(*name))
                .cloned()
                .collect()
        }
        self.webhooks
            .extend(differing(&old.webhooks, &new.webhooks));
        self.custom_variables
            .extend(differing(&old.custom_variables, &new.custom_variables));
    }
}

/// The counters and the lengths of the append-only lists before a write.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Marks {
    next_monitor_id: i64,
    next_event_id: i64,
    check_runs: usize,
    deliveries: usize,
}

impl Marks {
    pub(crate) fn of(data: &Data) -> Self {
        Self {
            next_monitor_id: data.next_monitor_id,
            next_event_id: data.next_event_id,
            check_runs: data.check_runs.len(),
            deliveries: data.deliveries.len(),
        }
    }
}

/// One journal line: what one write left behind.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Record {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    webhooks: BTreeMap<String, Option<Webhook>>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    custom_variables: BTreeMap<String, Option<StoredVariable>>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    monitors: BTreeMap<i64, Option<Map<String, Value>>>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    monitor_states: BTreeMap<i64, Option<String>>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    notification_rules: BTreeMap<String, Option<RuleAttributes>>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    dashboards: BTreeMap<String, Option<Dashboard>>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    auth_methods: BTreeMap<String, Option<StoredAuthMethod>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    directory: Option<Directory>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    next_monitor_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    next_event_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    check_runs: Vec<ServiceCheck>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    deliveries: Vec<Value>,
}

/// A variable as it may be written to disk: a secret's value replaced by [`REDACTED_SECRET`].
fn redacted(variable: &StoredVariable) -> StoredVariable {
    let mut variable = variable.clone();
    if variable.is_secret {
        variable.value = REDACTED_SECRET.to_string();
    }
    variable
}

/// An auth method as it may be written to disk: its client secret replaced by
/// [`REDACTED_SECRET`] (it would come from `${env:…}` like a secret variable's value).
fn redacted_auth_method(method: &StoredAuthMethod) -> StoredAuthMethod {
    StoredAuthMethod {
        client_secret: REDACTED_SECRET.to_string(),
        ..method.clone()
    }
}

impl Record {
    /// The record of a write that touched `touched`, from the state after it; `None` when
    /// the write cannot be expressed as one (an append-only list got shorter).
    pub(crate) fn of(data: &Data, touched: &Touched, before: &Marks) -> Option<Self> {
        if data.check_runs.len() < before.check_runs || data.deliveries.len() < before.deliveries {
            return None;
        }
        Some(Self {
            webhooks: touched
                .webhooks
                .iter()
                .map(|name| (name.clone(), data.integration.webhooks.get(name).cloned()))
                .collect(),
            custom_variables: touched
                .custom_variables
                .iter()
                .map(|name| {
                    let variable = data.integration.custom_variables.get(name);
                    (name.clone(), variable.map(redacted))
                })
                .collect(),
            monitors: touched
                .monitors
                .iter()
                .map(|id| (*id, data.monitors.get(id).cloned()))
                .collect(),
            monitor_states: touched
                .monitor_states
                .iter()
                .map(|id| (*id, data.monitor_states.get(id).cloned()))
                .collect(),
            notification_rules: touched
                .notification_rules
                .iter()
                .map(|id| (id.clone(), data.notification_rules.get(id).cloned()))
                .collect(),
            dashboards: touched
                .dashboards
                .iter()
                .map(|id| (id.clone(), data.dashboards.get(id).cloned()))
                .collect(),
            auth_methods: touched
                .auth_methods
                .iter()
                .map(|id| {
                    (
                        id.clone(),
                        data.auth_methods.get(id).map(redacted_auth_method),
                    )
                })
                .collect(),
            directory: touched.directory.then(|| data.directory.clone()),
            next_monitor_id: (data.next_monitor_id != before.next_monitor_id)
                .then_some(data.next_monitor_id),
            next_event_id: (data.next_event_id != before.next_event_id)
                .then_some(data.next_event_id),
            check_runs: data.check_runs[before.check_runs..].to_vec(),
            deliveries: data.deliveries[before.deliveries..].to_vec(),
        })
    }

    pub(super) fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// Replays the record onto `data`.
    pub(super) fn apply(self, data: &mut Data) {
        fn merge<K: Ord, V>(map: &mut BTreeMap<K, V>, changes: BTreeMap<K, Option<V>>) {
            for (key, value) in changes {
                match value {
                    Some(value) => map.insert(key, value),
                    None => map.remove(&key),
                };
            }
        }
        merge(&mut data.integration.webhooks, self.webhooks);
        merge(
            &mut data.integration.custom_variables,
            self.custom_variables,
        );
        for (id, monitor) in self.monitors {
            match monitor {
                Some(monitor) => data.monitors.insert(id, monitor),
                None => data.monitors.remove(&id),
            };
        }
        merge(&mut data.monitor_states, self.monitor_states);
        merge(&mut data.notification_rules, self.notification_rules);
        merge(&mut data.dashboards, self.dashboards);
        merge(&mut data.auth_methods, self.auth_methods);
        replace_given(&mut data.directory, self.directory);
        replace_given(&mut data.next_monitor_id, self.next_monitor_id);
        replace_given(&mut data.next_event_id, self.next_event_id);
        data.check_runs.extend(self.check_runs);
        data.deliveries.extend(self.deliveries);
    }
}

/// What a snapshot holds, borrowed from the state, secrets redacted on the way out.
#[derive(Serialize)]
struct SnapshotOut<'a> {
    version: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    journal: Option<u64>,
    webhooks: &'a BTreeMap<String, Webhook>,
    custom_variables: RedactedVariables<'a>,
    monitors: &'a MonitorTable,
    next_monitor_id: i64,
    check_runs: &'a [ServiceCheck],
    monitor_states: &'a BTreeMap<i64, String>,
    next_event_id: i64,
    deliveries: &'a [Value],
    notification_rules: &'a BTreeMap<String, RuleAttributes>,
    dashboards: &'a BTreeMap<String, Dashboard>,
    auth_methods: RedactedAuthMethods<'a>,
    directory: &'a Directory,
}

struct RedactedVariables<'a>(&'a BTreeMap<String, StoredVariable>);

impl Serialize for RedactedVariables<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(name, v)| (name, redacted(v))))
    }
}

struct RedactedAuthMethods<'a>(&'a BTreeMap<String, StoredAuthMethod>);

impl Serialize for RedactedAuthMethods<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(id, m)| (id, redacted_auth_method(m))))
    }
}

/// What a snapshot file holds (either version).
#[derive(Deserialize)]
struct SnapshotIn {
    version: u32,
    #[serde(default)]
    journal: Option<u64>,
    webhooks: BTreeMap<String, Webhook>,
    custom_variables: BTreeMap<String, StoredVariable>,
    monitors: MonitorTable,
    next_monitor_id: i64,
    check_runs: Vec<ServiceCheck>,
    #[serde(default)]
    monitor_states: BTreeMap<i64, String>,
    #[serde(default)]
    next_event_id: i64,
    #[serde(default)]
    deliveries: Vec<Value>,
    #[serde(default)]
    notification_rules: BTreeMap<String, RuleAttributes>,
    #[serde(default)]
    dashboards: BTreeMap<String, Dashboard>,
    #[serde(default)]
    auth_methods: BTreeMap<String, StoredAuthMethod>,
    #[serde(default)]
    directory: Directory,
}

/// The whole state as snapshot text: version 2 naming `journal`, or version 1 (no journal,
/// the old whole-store format) when `journal` is `None`.
pub(crate) fn encode_snapshot(data: &Data, journal: Option<u64>) -> Result<Vec<u8>, PersistError> {
    let out = SnapshotOut {
        version: if journal.is_some() {
            SNAPSHOT_VERSION
        } else {
            1
        },
        journal,
        webhooks: &data.integration.webhooks,
        custom_variables: RedactedVariables(&data.integration.custom_variables),
        monitors: &data.monitors,
        next_monitor_id: data.next_monitor_id,
        check_runs: &data.check_runs,
        monitor_states: &data.monitor_states,
        next_event_id: data.next_event_id,
        deliveries: &data.deliveries,
        notification_rules: &data.notification_rules,
        dashboards: &data.dashboards,
        auth_methods: RedactedAuthMethods(&data.auth_methods),
        directory: &data.directory,
    };
    let mut text = serde_json::to_vec_pretty(&out)?;
    text.push(b'\n');
    Ok(text)
}

/// Parses a snapshot: the state and the journal generation it names (`None` for version 1).
pub(super) fn decode_snapshot(
    path: &Path,
    bytes: &[u8],
) -> Result<(Data, Option<u64>), PersistError> {
    let snapshot: SnapshotIn =
        serde_json::from_slice(bytes).map_err(|source| PersistError::Snapshot {
            path: path.to_path_buf(),
            source,
        })?;
    let version_error = |reason: String| PersistError::Version {
        path: path.to_path_buf(),
        reason,
    };
    let journal = match (snapshot.version, snapshot.journal) {
        (1, _) => None,
        (SNAPSHOT_VERSION, Some(generation)) => Some(generation),
        (SNAPSHOT_VERSION, None) => {
            return Err(version_error(
                "version 2 names no journal (\"journal\" is missing)".to_string(),
            ))
        }
        (other, _) => {
            return Err(version_error(format!(
                "version {other} is newer than this ddhooks reads (1 and {SNAPSHOT_VERSION})"
            )))
        }
    };
    let data = Data {
        integration: Integration {
            webhooks: snapshot.webhooks,
            custom_variables: snapshot.custom_variables,
        },
        monitors: snapshot.monitors,
        next_monitor_id: snapshot.next_monitor_id,
        check_runs: snapshot.check_runs,
        monitor_states: snapshot.monitor_states,
        next_event_id: snapshot.next_event_id,
        deliveries: snapshot.deliveries,
        notification_rules: snapshot.notification_rules,
        dashboards: snapshot.dashboards,
        auth_methods: snapshot.auth_methods,
        directory: snapshot.directory,
        ..Data::default()
    };
    Ok((data, journal))
}
