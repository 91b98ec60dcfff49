//! What an org holds, read back through the sandbox's API: webhooks and custom variables
//! by name (Datadog cannot list them, so the tests name every one their manifests could
//! ever create), the stored registry decoded exactly as ddhooks decodes it, and every
//! monitor's message. Reads outlast injected faults (see [`Sandbox::get_retrying`]).

use super::sandbox::{Sandbox, MONITORS};
use ddhooks::registry::{self, OwnedKind, Registry, RegistryError, LOCK_VARIABLE, STATE_VARIABLE};
use reqwest::StatusCode;
use std::collections::{BTreeMap, BTreeSet};

/// What the org holds.
#[derive(Debug)]
pub struct Snapshot {
    /// The names looked up that exist.
    pub webhooks: BTreeSet<String>,
    /// The user variables looked up that exist (the registry's and the lock's excluded),
    /// with their values (`None` for secrets).
    pub variables: BTreeMap<String, Option<String>>,
    /// The registry's own variables as stored, by name.
    pub registry_parts: BTreeMap<String, String>,
    /// Whether `DDHOOKS_LOCK` exists.
    pub locked: bool,
    /// Every monitor's message, by id.
    pub messages: BTreeMap<i64, String>,
    /// Every notification rule's name, by id (rules can be listed).
    pub rules: BTreeMap<String, String>,
    /// Every dashboard's title, by id.
    pub dashboards: BTreeMap<String, String>,
}

impl Snapshot {
    /// The stored registry, decoded exactly as ddhooks decodes it.
    pub fn registry(&self) -> Result<Option<Registry>, RegistryError> {
        Registry::decode(|name| self.registry_parts.get(name).cloned())
    }

    /// Names of the user variables that exist.
    pub fn user_variables(&self) -> BTreeSet<String> {
        self.variables.keys().cloned().collect()
    }
}

impl Sandbox {
    /// Reads the org: the webhooks and user variables among `webhooks` and `variables`
    /// that exist, the registry and the lock, every monitor.
    pub async fn snapshot(
        &self,
        webhooks: &BTreeSet<String>,
        variables: &BTreeSet<String>,
    ) -> Snapshot {
        let mut found = BTreeSet::new();
        for name in webhooks {
            if self.webhook(name).await.is_some() {
                found.insert(name.clone());
            }
        }
        let mut values = BTreeMap::new();
        for name in variables {
            assert!(
                !registry::is_registry_variable(name),
                "{name} is the registry's"
            );
            if let Some(v) = self.variable(name).await {
                values.insert(name.clone(), v["value"].as_str().map(str::to_string));
            }
        }
        Snapshot {
            webhooks: found,
            variables: values,
            registry_parts: self.registry_parts().await,
            locked: self.variable(LOCK_VARIABLE).await.is_some(),
            messages: self.messages().await,
            rules: self
                .rules()
                .await
                .iter()
                .filter_map(|r| {
                    let id = r["id"].as_str()?.to_string();
                    Some((id, r["attributes"]["name"].as_str()?.to_string()))
                })
                .collect(),
            dashboards: self.dashboard_titles().await,
        }
    }

    /// Every dashboard's title, by id.
    pub async fn dashboard_titles(&self) -> BTreeMap<String, String> {
        let (status, body) = self.get_retrying("/api/v1/dashboard?count=1000").await;
        assert_eq!(status, StatusCode::OK, "dashboards listed: {body}");
        body["dashboards"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|d| {
                Some((
                    d["id"].as_str()?.to_string(),
                    d["title"].as_str()?.to_string(),
                ))
            })
            .collect()
    }

    /// The registry's variables as stored: the header, then every part it names.
    pub async fn registry_parts(&self) -> BTreeMap<String, String> {
        let mut parts = BTreeMap::new();
        let Some(header) = self.variable(STATE_VARIABLE).await else {
            return parts;
        };
        let value = header["value"].as_str().unwrap_or_default().to_string();
        if let Ok(layout) = Registry::layout(&value) {
            for n in 2..=layout.parts {
                let name = registry::part_name(layout.slot, n);
                if let Some(part) = self.variable(&name).await {
                    parts.insert(name, part["value"].as_str().unwrap_or_default().into());
                }
            }
        }
        parts.insert(STATE_VARIABLE.to_string(), value);
        parts
    }

    /// Every monitor's message, by id (one listing without paging: the whole org).
    pub async fn messages(&self) -> BTreeMap<i64, String> {
        let (status, list) = self.get_retrying(MONITORS).await;
        assert_eq!(status, StatusCode::OK, "monitor listing: {list}");
        list.as_array()
            .expect("a list of monitors")
            .iter()
            .map(|m| {
                (
                    m["id"].as_i64().expect("id"),
                    m["message"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect()
    }

    /// The values of every registry variable that exists, in either slot (a stale part
    /// included), then the registry they hold decoded (as the JSON of a state file: the
    /// stored text is deflated, where no text can be found), for checks that look for text
    /// in them.
    pub async fn registry_values(&self) -> Vec<(String, String)> {
        let names = (1..=8)
            .map(|n| registry::part_name(registry::Slot::A, n))
            .chain((2..=8).map(|n| registry::part_name(registry::Slot::B, n)));
        let mut out = Vec::new();
        for name in names {
            if let Some(v) = self.variable(&name).await {
                out.push((name, v["value"].as_str().unwrap_or_default().to_string()));
            }
        }
        let parts = self.registry_parts().await;
        let decoded =
            Registry::decode(|name| parts.get(name).cloned()).expect("the stored registry decodes");
        if let Some(registry) = decoded {
            let text = registry.to_file_text().expect("the registry encodes");
            out.push(("the registry, decoded".to_string(), text));
        }
        out
    }
}

/// The registry invariant, on the registry as stored (before any resolution):
/// 1. it decodes (never corrupt, never half-written);
/// 2. every confirmed entry (owned and not pending) exists;
/// 3. every webhook and custom variable that exists among the names looked up (ddhooks
///    created all of them in these tests) is owned or pending;
/// 4. every owned rule id whose block is not pending exists, and every rule that exists (ddhooks made them all) is
///    owned by id or has its name pending.
/// 5. likewise every owned dashboard id exists, and every dashboard is owned (or some
///    board is pending).
///
/// Returns the registry (an empty one when none is stored).
pub fn assert_registry_invariant(snapshot: &Snapshot, context: &str) -> Registry {
    let registry = snapshot
        .registry()
        .unwrap_or_else(|e| panic!("{context}: registry unreadable: {e}"))
        .unwrap_or_else(|| Registry::new("none"));
    let (webhook, variable) = (OwnedKind::Webhook, OwnedKind::CustomVariable);
    let (rule, board) = (OwnedKind::NotificationRule, OwnedKind::StatusBoard);
    for name in registry
        .owned(webhook)
        .filter(|n| !registry.is_pending(webhook, n))
    {
        assert!(
            snapshot.webhooks.contains(name),
            "{context}: registry lists webhook {name}, which does not exist"
        );
    }
    for name in registry.owned(variable) {
        if !registry.is_pending(variable, name) {
            assert!(
                snapshot.variables.contains_key(name),
                "{context}: registry lists variable {name}, which does not exist"
            );
        }
    }
    for name in &snapshot.webhooks {
        assert!(
            registry.owns(webhook, name) || registry.is_pending(webhook, name),
            "{context}: webhook {name} exists but the registry misses it"
        );
    }
    for name in snapshot.variables.keys() {
        assert!(
            registry.owns(variable, name) || registry.is_pending(variable, name),
            "{context}: variable {name} exists but the registry misses it"
        );
    }
    assert_confirmed_ids_exist(&registry, rule, &snapshot.rules, ("rule", "block"), context);
    let owned: BTreeSet<&str> = registry.owned_ids(rule).map(|(_, id)| id).collect();
    for (id, name) in &snapshot.rules {
        assert!(
            owned.contains(id.as_str()) || registry.is_pending(rule, name),
            "{context}: rule {id} ({name}) exists but the registry misses it"
        );
    }
    let dashboards = &snapshot.dashboards;
    assert_confirmed_ids_exist(
        &registry,
        board,
        dashboards,
        ("dashboard", "board"),
        context,
    );
    let owned: BTreeSet<&str> = registry.owned_ids(board).map(|(_, id)| id).collect();
    for id in snapshot.dashboards.keys() {
        assert!(
            owned.contains(id.as_str()) || registry.pending(board).next().is_some(),
            "{context}: dashboard {id} exists but the registry misses it"
        );
    }
    registry
}

/// Invariant 2 for a kind owned by id (rules, boards): every id the registry confirms
/// (its owner's name not pending) is among the `existing` ones. `nouns` name the remote
/// object and its owner in the message (`("rule", "block")`).
fn assert_confirmed_ids_exist(
    registry: &Registry,
    kind: OwnedKind,
    existing: &BTreeMap<String, String>,
    nouns: (&str, &str),
    context: &str,
) {
    let (object, owner) = nouns;
    for (name, id) in registry
        .owned_ids(kind)
        .filter(|(name, _)| !registry.is_pending(kind, name))
    {
        assert!(
            existing.contains_key(id),
            "{context}: registry lists {object} {id} ({owner} {name}), which does not exist"
        );
    }
}
