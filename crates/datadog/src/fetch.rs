//! Reading remote state: the webhooks and custom variables the plan needs (by name, since
//! Datadog cannot list them), every monitor, and the registry — concurrently, with a bound.
//! Also the conversions from wire types into the domain's `Remote*` types.

use crate::client::remote_monitor;
pub use crate::client::FetchError;
use crate::registry_store::StateStore;
pub use crate::registry_store::{read_registry, StateBackend};
use crate::{wire, Client};
use ddhooks_core::model::{
    BoardWidget, EncodeAs, NotificationRule, Remote, RemoteAuthMethod, RemoteBoard, RemoteRule,
    RemoteVariable, RemoteWebhook, RuleCondition, RuleConditionScope, RuleFilter, RuleRecipients,
    StatusBoard, Unmodelled, WidgetLayout,
};
use ddhooks_core::plan::MonitorInterest;
use ddhooks_core::registry::{self, Layout, OwnedKind, Registry};
use ddhooks_core::template::MonitorState;
use futures::stream::{self, StreamExt, TryStreamExt};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// Decodes a wire webhook: payload and headers are JSON text inside JSON strings.
pub(crate) fn remote_webhook(w: &wire::Webhook) -> RemoteWebhook {
    let payload = w.payload.as_ref().map(|text| {
        serde_json::from_str(text).unwrap_or_else(|_| serde_json::Value::String(text.clone()))
    });
    let custom_headers = w.custom_headers.as_ref().map(|text| {
        serde_json::from_str::<BTreeMap<String, String>>(text)
            .unwrap_or_else(|_| BTreeMap::from([(String::new(), text.clone())]))
    });
    let encode_as = if w.encode_as == "form" {
        EncodeAs::Form
    } else {
        EncodeAs::Json
    };
    RemoteWebhook {
        name: w.name.clone(),
        url: w.url.clone(),
        payload,
        custom_headers,
        encode_as,
        auth_method_id: w.auth_method_id.clone(),
    }
}

/// Decodes a wire custom variable.
pub(crate) fn remote_variable(v: &wire::CustomVariable) -> RemoteVariable {
    RemoteVariable {
        name: v.name.clone(),
        value: v.value.clone(),
        secret: v.is_secret,
    }
}

/// Decodes a notification rule's attributes into the model; `None` when they break
/// Datadog's rules (a filter with both or neither of tags and scope, both or neither of
/// `recipients` and `conditional_recipients`). The client's reads and the sandbox's
/// simulation both decode rules with it, so they agree on what a rule says.
pub fn notification_rule(attributes: &wire::RuleAttributes) -> Option<NotificationRule> {
    let filter = match attributes.filter.as_ref()? {
        wire::RuleFilter {
            tags: Some(tags),
            scope: None,
        } => RuleFilter::Tags(tags.clone()),
        wire::RuleFilter {
            tags: None,
            scope: Some(scope),
        } => RuleFilter::Scope(scope.clone()),
        _ => return None,
    };
    let recipients = match (&attributes.recipients, &attributes.conditional_recipients) {
        (Some(recipients), None) => RuleRecipients::Always(recipients.clone()),
        (None, Some(conditional)) => RuleRecipients::Conditional {
            conditions: conditional
                .conditions
                .iter()
                .map(|c| RuleCondition {
                    scope: RuleConditionScope::parse(&c.scope),
                    recipients: c.recipients.clone(),
                })
                .collect(),
            fallback: conditional.fallback_recipients.clone().unwrap_or_default(),
        },
        _ => return None,
    };
    Some(NotificationRule {
        name: attributes.name.clone(),
        filter,
        recipients,
    })
}

/// Decodes the auth-method listing: each OAuth2 client-credentials auth method with its
/// attributes from `included`. Auth methods of another protocol (none exist yet) are left
/// out: ddhooks can neither own nor adopt them.
pub(crate) fn remote_auth_methods(list: wire::AuthMethodList) -> Vec<RemoteAuthMethod> {
    let included = list.included.unwrap_or_default();
    list.data
        .into_iter()
        .filter(|m| m.attributes.protocol == wire::OAUTH2_PROTOCOL)
        .filter_map(|m| {
            let found = included
                .iter()
                .find(|i| i.id == m.id && i.kind == wire::OAUTH2_AUTH_METHOD_TYPE)?;
            Some(remote_auth_method(found))
        })
        .collect()
}

/// Decodes one OAuth2 client-credentials auth method as read.
pub(crate) fn remote_auth_method(d: &wire::OAuth2AuthMethodData) -> RemoteAuthMethod {
    let a = &d.attributes;
    RemoteAuthMethod {
        id: d.id.clone(),
        name: a.name.clone(),
        access_token_url: a.access_token_url.clone(),
        client_id: a.client_id.clone(),
        audience: a.audience.clone(),
        scope: a.scope.clone(),
    }
}

/// Decodes a listed or read rule; a rule without an id, or one that breaks Datadog's own
/// rules (see [`notification_rule`]), is skipped.
pub(crate) fn remote_rule(r: wire::RuleData) -> Option<RemoteRule> {
    Some(RemoteRule {
        rule: notification_rule(&r.attributes)?,
        id: r.id?,
        unmodelled: Unmodelled::new(r.attributes.extra),
    })
}

/// Decodes a dashboard as a status board: its title, description and widgets (a
/// `check_status` widget typed, any other kept as its type and title, so it shows as drift
/// on a board ddhooks owns whole). A dashboard without an id is skipped.
pub(crate) fn remote_board(mut d: wire::Dashboard) -> Option<RemoteBoard> {
    let text = |def: &serde_json::Map<String, serde_json::Value>, key: &str| {
        def.get(key).and_then(|v| v.as_str()).map(str::to_string)
    };
    let widgets = d
        .widgets
        .iter()
        .map(|w| {
            let def = &w.definition;
            let kind = text(def, "type").unwrap_or_default();
            let title = text(def, "title");
            if kind != "check_status" {
                return BoardWidget::Other { kind, title };
            }
            let layout = w.layout.unwrap_or_default();
            let unsigned = |n: i64| u32::try_from(n).unwrap_or(0);
            BoardWidget::CheckStatus {
                title: title.unwrap_or_default(),
                check: text(def, "check").unwrap_or_default(),
                grouping: text(def, "grouping").unwrap_or_default(),
                tags: def
                    .get("tags")
                    .and_then(|t| t.as_array())
                    .map(|t| {
                        t.iter()
                            .filter_map(|v| v.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default(),
                layout: WidgetLayout {
                    x: unsigned(layout.x),
                    y: unsigned(layout.y),
                    width: unsigned(layout.width),
                    height: unsigned(layout.height),
                },
            }
        })
        .collect();
    // What the server owns is not carried: a write cannot set it.
    for owned in wire::DASHBOARD_SERVER_FIELDS {
        d.extra.remove(*owned);
    }
    Some(RemoteBoard {
        id: d.id?,
        board: StatusBoard {
            title: d.title,
            description: d.description.filter(|t| !t.is_empty()),
            widgets,
        },
        unmodelled: Unmodelled::new(d.extra),
    })
}

/// Everything the planner needs from Datadog.
pub struct Fetched {
    /// Remote objects.
    pub remote: Remote,
    /// The registry, if one exists.
    pub registry: Option<Registry>,
    /// How many `DDHOOKS_STATE*` parts hold it (0 for a file or none).
    pub registry_parts: usize,
    /// How it is stored in Datadog (`None` for a file or none).
    pub registry_layout: Option<Layout>,
    /// Whether pending entries were resolved on reading, so the stored registry differs
    /// from the one returned and should be saved.
    pub registry_resolved: bool,
}

impl Fetched {
    /// The store of the registry just fetched from `backend`: where it is, how many parts
    /// hold it, and whether it must be saved again.
    pub fn state_store(&self, backend: StateBackend) -> StateStore {
        StateStore::after_read(
            backend,
            self.registry_parts,
            self.registry_layout,
            self.registry_resolved,
        )
    }
}

/// What a fetch reads: the names the plan needs, and what to keep of the monitors.
#[derive(Debug, Clone)]
pub struct FetchRequest {
    /// Webhooks to read by name (declared, and the old names of renames).
    pub webhook_names: BTreeSet<String>,
    /// Custom variables to read by name.
    pub variable_names: BTreeSet<String>,
    /// Whether to list notification rules (the manifests declare some).
    pub read_rules: bool,
    /// Whether to list webhook auth methods (the manifests declare some).
    pub read_auth_methods: bool,
    /// Each declared board's title, by board name (dashboards are listed when any).
    pub board_titles: BTreeMap<String, String>,
    /// Which monitors to keep (the planner's needs, or everything).
    pub monitors: Arc<MonitorInterest>,
    /// Requests in flight at once for the named reads.
    pub concurrency: usize,
    /// Whether to also read what the registry owns that the manifests no longer name
    /// (webhooks, variables, auth methods, boards: their deletes need them). A read for
    /// routing alone leaves them out.
    pub owned_too: bool,
}

/// Reads the registry, every named webhook and variable, all monitors and (when
/// `read_rules`) all notification rules, at the same time; then the webhooks and variables
/// the registry owns that the manifests no longer name (usually none). Each object is read
/// once; the client bounds the requests in flight. The registry's monitor count (from the
/// last apply) sizes a concurrent read of the monitor pages, which starts with page 0
/// while the registry is read.
pub async fn fetch(
    client: &Client,
    backend: &StateBackend,
    request: &FetchRequest,
) -> Result<Fetched, FetchError> {
    let FetchRequest {
        webhook_names,
        variable_names,
        read_rules,
        read_auth_methods,
        board_titles,
        monitors: interest,
        concurrency,
        owned_too,
    } = request;
    let read_rules = *read_rules;
    let read_auth_methods = *read_auth_methods;
    let variable_names: BTreeSet<String> = variable_names
        .iter()
        .filter(|n| !registry::is_registry_variable(n))
        .cloned()
        .collect();
    let concurrency = (*concurrency).max(1);
    let read_boards = !board_titles.is_empty();
    let (count_tx, count_rx) = futures::channel::oneshot::channel::<usize>();
    let registry = async {
        let read = read_registry(client, backend).await;
        let count = read
            .as_ref()
            .ok()
            .and_then(|(r, _)| r.as_ref())
            .and_then(|r| r.monitor_count())
            .unwrap_or(0);
        let _ = count_tx.send(count);
        read
    };
    let expected = async { count_rx.await.unwrap_or(0) };
    let (registry, named, listing, rules, dashboards, auth_methods) = futures::try_join!(
        registry,
        read_named(client, webhook_names, &variable_names, concurrency),
        async {
            client
                .list_monitors_kept(
                    expected,
                    Some(interest.clone()),
                    webhook_names.len() + variable_names.len(),
                )
                .await
                .map_err(FetchError::from)
        },
        async {
            if read_rules {
                client.list_rules().await.map_err(FetchError::from)
            } else {
                Ok(Vec::new())
            }
        },
        async {
            if read_boards {
                client
                    .read_dashboard_titles()
                    .await
                    .map_err(FetchError::from)
            } else {
                Ok(Vec::new())
            }
        },
        async {
            if read_auth_methods {
                client.read_auth_methods().await.map_err(FetchError::from)
            } else {
                Ok(Vec::new())
            }
        },
    )?;
    let (mut registry, registry_layout) = registry;
    let mut remote = Remote::default();
    absorb(&mut remote, named);
    if let Some(r) = registry.as_ref().filter(|_| *owned_too) {
        let known = |kind: OwnedKind| r.owned(kind).chain(r.pending(kind));
        let owned_webhooks: BTreeSet<String> = known(OwnedKind::Webhook)
            .filter(|n| !webhook_names.contains(*n))
            .map(str::to_string)
            .collect();
        let owned_variables: BTreeSet<String> = known(OwnedKind::CustomVariable)
            .filter(|n| !variable_names.contains(*n) && !registry::is_registry_variable(n))
            .map(str::to_string)
            .collect();
        if !owned_webhooks.is_empty() || !owned_variables.is_empty() {
            let owned = read_named(client, &owned_webhooks, &owned_variables, concurrency).await?;
            absorb(&mut remote, owned);
        }
    }
    remote.monitors_listed = listing.listed;
    remote.monitor_pages = listing.pages;
    remote.monitors_listed_bytes = listing.bytes;
    for m in listing.monitors {
        let state = m.overall_state.as_deref().and_then(MonitorState::parse);
        if let Some(m) = remote_monitor(m) {
            if let Some(state) = state {
                remote.monitor_states.insert(m.id, state);
            }
            remote.monitors.insert(m.id, m);
        }
    }
    // Rules are listed with the rest when the manifests want some; otherwise only when the
    // registry owns some (their deletion needs them), after it was read.
    let rules = match &registry {
        Some(r) if !read_rules && r.holds(OwnedKind::NotificationRule) => {
            client.list_rules().await?
        }
        _ => rules,
    };
    for r in rules.into_iter().filter_map(remote_rule) {
        remote.notification_rules.insert(r.id.clone(), r);
    }
    // Auth methods likewise.
    let auth_methods = match &registry {
        Some(r) if *owned_too && !read_auth_methods && r.has_auth_methods() => {
            client.read_auth_methods().await?
        }
        _ => auth_methods,
    };
    for a in auth_methods {
        remote.auth_methods.insert(a.id.clone(), a);
    }
    // Dashboards likewise; then the ones owned or adoptable by title are read in full.
    let dashboards = match &registry {
        Some(r) if *owned_too && !read_boards && r.holds(OwnedKind::StatusBoard) => {
            client.read_dashboard_titles().await?
        }
        _ => dashboards,
    };
    remote.dashboards = dashboards.into_iter().collect();
    if !remote.dashboards.is_empty() {
        let wanted_titles: BTreeSet<&String> = board_titles.values().collect();
        let owned: BTreeSet<&str> = registry
            .iter()
            .flat_map(|r| r.owned_ids(OwnedKind::StatusBoard).map(|(_, id)| id))
            .collect();
        let ids: Vec<&String> = remote
            .dashboards
            .iter()
            .filter(|(id, title)| owned.contains(id.as_str()) || wanted_titles.contains(title))
            .map(|(id, _)| id)
            .collect();
        let boards: Vec<Option<RemoteBoard>> = stream::iter(ids)
            .map(|id| client.read_board(id))
            .buffer_unordered(concurrency)
            .try_collect()
            .await?;
        for b in boards.into_iter().flatten() {
            remote.status_boards.insert(b.id.clone(), b);
        }
    }
    let registry_resolved = registry.as_mut().is_some_and(|r| {
        let rules = r.resolve_pending_rules(
            remote
                .notification_rules
                .values()
                .map(|rule| (rule.id.as_str(), rule.rule.name.as_str())),
        );
        // A read without the owned objects cannot tell whether a pending one exists.
        if !*owned_too {
            return rules;
        }
        let webhooks_and_variables = r.resolve_pending(
            |n| remote.webhooks.contains_key(n),
            |n| remote.custom_variables.contains_key(n),
        );
        let boards = r.resolve_pending_boards(
            remote
                .dashboards
                .iter()
                .map(|(id, title)| (id.as_str(), title.as_str())),
            board_titles,
        );
        let auth_methods = r.resolve_pending_auth_methods(
            remote
                .auth_methods
                .values()
                .map(|a| (a.id.as_str(), a.name.as_str())),
        );
        webhooks_and_variables || rules || boards || auth_methods
    });
    Ok(Fetched {
        remote,
        registry,
        registry_parts: registry_layout.map_or(0, |l| l.parts),
        registry_layout,
        registry_resolved,
    })
}

/// One webhook or custom variable read by name (`None` inside: it does not exist).
enum Named {
    Webhook(Option<wire::Webhook>),
    Variable(Option<wire::CustomVariable>),
}

/// Reads webhooks and variables by name, one stream of at most `concurrency` requests.
async fn read_named(
    client: &Client,
    webhooks: &BTreeSet<String>,
    variables: &BTreeSet<String>,
    concurrency: usize,
) -> Result<Vec<Named>, FetchError> {
    let webhooks = webhooks.iter().map(|name| {
        futures::future::Either::Left(
            async move { client.get_webhook(name).await.map(Named::Webhook) },
        )
    });
    let variables = variables.iter().map(|name| {
        futures::future::Either::Right(async move {
            client.get_variable(name).await.map(Named::Variable)
        })
    });
    Ok(stream::iter(webhooks.chain(variables))
        .buffer_unordered(concurrency)
        .try_collect()
        .await?)
}

/// Adds what was read by name to `remote` (absent objects add nothing).
fn absorb(remote: &mut Remote, named: Vec<Named>) {
    for n in named {
        match n {
            Named::Webhook(Some(w)) => {
                remote.webhooks.insert(w.name.clone(), remote_webhook(&w));
            }
            Named::Variable(Some(v)) => {
                remote
                    .custom_variables
                    .insert(v.name.clone(), remote_variable(&v));
            }
            Named::Webhook(None) | Named::Variable(None) => {}
        }
    }
}
