//! Reading remote state: the webhooks and custom variables the plan needs (by name, since
//! Datadog cannot list them), every monitor, and the registry — concurrently, with a bound.
//! Also the conversions from wire types into the domain's `Remote*` types.

use super::{wire, ApiError, Client};
use crate::model::{EncodeAs, Remote, RemoteMonitor, RemoteVariable, RemoteWebhook};
use crate::registry::{self, Registry, RegistryError};
use futures::stream::{self, StreamExt, TryStreamExt};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

/// Where the registry lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StateBackend {
    /// In Datadog, as `DDHOOKS_STATE*` custom variables (the default).
    Datadog,
    /// In a local JSON file (`--state file:PATH`).
    File(PathBuf),
}

impl std::str::FromStr for StateBackend {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "datadog" => Ok(StateBackend::Datadog),
            _ => match s.strip_prefix("file:") {
                Some(path) if !path.is_empty() => Ok(StateBackend::File(PathBuf::from(path))),
                _ => Err(format!(
                    "`{s}` is not a state location; use `datadog` or `file:PATH`"
                )),
            },
        }
    }
}

/// A failure while fetching.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// An API call failed.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// The registry could not be read.
    #[error("registry: {0}")]
    Registry(#[from] RegistryError),
    /// The registry file could not be read.
    #[error("registry file {path}: {detail}")]
    File {
        /// The file.
        path: String,
        /// Why.
        detail: String,
    },
}

/// Decodes a wire webhook: payload and headers are JSON text inside JSON strings.
pub fn remote_webhook(w: &wire::Webhook) -> RemoteWebhook {
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
    }
}

/// Decodes a wire custom variable.
pub fn remote_variable(v: &wire::CustomVariable) -> RemoteVariable {
    RemoteVariable {
        name: v.name.clone(),
        value: v.value.clone(),
        secret: v.is_secret,
    }
}

/// Decodes a wire monitor (monitors without an id are skipped by the caller).
pub fn remote_monitor(m: &wire::Monitor) -> Option<RemoteMonitor> {
    Some(RemoteMonitor {
        id: m.id?,
        name: m.name.clone().unwrap_or_default(),
        tags: m.tags.clone(),
        message: m.message.clone().unwrap_or_default(),
    })
}

/// Reads the registry (`None` when there is none yet) and how many `DDHOOKS_STATE*` parts
/// hold it in Datadog (0 for a file).
pub async fn read_registry(
    client: &Client,
    backend: &StateBackend,
) -> Result<(Option<Registry>, usize), FetchError> {
    match backend {
        StateBackend::File(path) => match std::fs::read_to_string(path) {
            Ok(text) => serde_json::from_str(&text).map(|r| (Some(r), 0)).map_err(|e| FetchError::File {
                path: path.display().to_string(),
                detail: format!("not a ddhooks registry ({e}); restore it or delete it (objects will be adopted again)"),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok((None, 0)),
            Err(e) => Err(FetchError::File { path: path.display().to_string(), detail: e.to_string() }),
        },
        StateBackend::Datadog => {
            let Some(first) = client.get_variable(registry::STATE_VARIABLE).await? else {
                return Ok((None, 0));
            };
            let first = first.value.unwrap_or_default();
            let count = Registry::part_count(&first)?;
            let mut parts = BTreeMap::from([(registry::STATE_VARIABLE.to_string(), first)]);
            for i in 2..=count {
                let name = registry::part_name(i);
                if let Some(v) = client.get_variable(&name).await? {
                    parts.insert(name, v.value.unwrap_or_default());
                }
            }
            Ok((Registry::decode(|name| parts.get(name).cloned())?, count))
        }
    }
}

/// Everything the planner needs from Datadog.
pub struct Fetched {
    /// Remote objects.
    pub remote: Remote,
    /// The registry, if one exists.
    pub registry: Option<Registry>,
    /// How many `DDHOOKS_STATE*` parts hold it (0 for a file or none).
    pub registry_parts: usize,
}

/// Reads the registry, then every named webhook and variable (plus those the registry
/// owns) and all monitors, with at most `concurrency` requests in flight.
pub async fn fetch(
    client: &Client,
    backend: &StateBackend,
    webhook_names: BTreeSet<String>,
    variable_names: BTreeSet<String>,
    concurrency: usize,
) -> Result<Fetched, FetchError> {
    let (registry, registry_parts) = read_registry(client, backend).await?;
    let mut webhook_names = webhook_names;
    let mut variable_names = variable_names;
    if let Some(r) = &registry {
        webhook_names.extend(r.webhooks.iter().cloned());
        variable_names.extend(r.custom_variables.keys().cloned());
    }
    let concurrency = concurrency.max(1);
    let monitors = client.list_monitors();
    let webhooks = stream::iter(webhook_names)
        .map(|name| async move { client.get_webhook(&name).await })
        .buffer_unordered(concurrency)
        .try_collect::<Vec<_>>();
    let variables = stream::iter(
        variable_names
            .into_iter()
            .filter(|n| !registry::is_registry_variable(n)),
    )
    .map(|name| async move { client.get_variable(&name).await })
    .buffer_unordered(concurrency)
    .try_collect::<Vec<_>>();
    let (monitors, webhooks, variables) = futures::try_join!(monitors, webhooks, variables)?;
    let mut remote = Remote::default();
    for w in webhooks.into_iter().flatten() {
        remote.webhooks.insert(w.name.clone(), remote_webhook(&w));
    }
    for v in variables.into_iter().flatten() {
        remote
            .custom_variables
            .insert(v.name.clone(), remote_variable(&v));
    }
    for m in monitors.iter().filter_map(remote_monitor) {
        remote.monitors.insert(m.id, m);
    }
    Ok(Fetched {
        remote,
        registry,
        registry_parts,
    })
}
