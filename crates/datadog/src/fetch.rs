//! Reading remote state: the webhooks and custom variables the plan needs (by name, since
//! Datadog cannot list them), every monitor, and the registry — concurrently, with a bound.
//! Also the conversions from wire types into the domain's `Remote*` types.

use super::{wire, ApiError, Client};
use ddhooks_core::model::{EncodeAs, Remote, RemoteMonitor, RemoteVariable, RemoteWebhook};
use ddhooks_core::registry::{self, Layout, Registry, RegistryError};
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

/// Decodes a listed monitor (monitors without an id are skipped by the caller).
pub fn remote_monitor(m: wire::MonitorSummary) -> Option<RemoteMonitor> {
    Some(RemoteMonitor {
        id: m.id?,
        name: m.name.unwrap_or_default(),
        tags: m.tags,
        message: m.message.unwrap_or_default(),
    })
}

/// Reads the registry (`None` when there is none yet) and how it is stored in Datadog
/// (`None` for a file or when nothing is stored).
///
/// A registry being rewritten by another run can be read half-way (its header switched,
/// the old parts deleted); such a read is retried a few times before it is an error.
pub async fn read_registry(
    client: &Client,
    backend: &StateBackend,
) -> Result<(Option<Registry>, Option<Layout>), FetchError> {
    match backend {
        StateBackend::File(path) => match std::fs::read_to_string(path) {
            Ok(text) => serde_json::from_str(&text).map(|r| (Some(r), None)).map_err(|e| FetchError::File {
                path: path.display().to_string(),
                detail: format!("not a ddhooks registry ({e}); restore it or delete it (objects will be adopted again)"),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok((None, None)),
            Err(e) => Err(FetchError::File { path: path.display().to_string(), detail: e.to_string() }),
        },
        StateBackend::Datadog => {
            let mut attempt = 0;
            loop {
                match read_datadog_registry(client).await {
                    Err(FetchError::Registry(
                        e @ (RegistryError::MissingPart(_) | RegistryError::Corrupt(_)),
                    )) if attempt < 3 => {
                        attempt += 1;
                        tracing::warn!(error = %e, attempt, "registry read while being rewritten; reading again");
                        tokio::time::sleep(std::time::Duration::from_millis(300 * attempt)).await;
                    }
                    other => return other,
                }
            }
        }
    }
}

async fn read_datadog_registry(
    client: &Client,
) -> Result<(Option<Registry>, Option<Layout>), FetchError> {
    let Some(first) = client.get_variable(registry::STATE_VARIABLE).await? else {
        return Ok((None, None));
    };
    let first = first.value.unwrap_or_default();
    let layout = Registry::layout(&first)?;
    let mut parts = BTreeMap::from([(registry::STATE_VARIABLE.to_string(), first)]);
    // The header names the parts: read them all at once.
    let names: Vec<String> = (2..=layout.parts)
        .map(|i| registry::part_name(layout.slot, i))
        .collect();
    let values =
        futures::future::try_join_all(names.iter().map(|name| client.get_variable(name))).await?;
    for (name, v) in names.into_iter().zip(values) {
        if let Some(v) = v {
            parts.insert(name, v.value.unwrap_or_default());
        }
    }
    let registry = Registry::decode(|name| parts.get(name).cloned())?;
    Ok((registry, Some(layout)))
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

/// Reads the registry, every named webhook and variable, and all monitors, at the same
/// time; then the webhooks and variables the registry owns that the manifests no longer
/// name (usually none). Each object is read once; the client bounds the requests in flight.
pub async fn fetch(
    client: &Client,
    backend: &StateBackend,
    webhook_names: BTreeSet<String>,
    variable_names: BTreeSet<String>,
    concurrency: usize,
) -> Result<Fetched, FetchError> {
    let variable_names: BTreeSet<String> = variable_names
        .into_iter()
        .filter(|n| !registry::is_registry_variable(n))
        .collect();
    let concurrency = concurrency.max(1);
    let (registry, named, monitors) = futures::try_join!(
        read_registry(client, backend),
        read_named(client, &webhook_names, &variable_names, concurrency),
        async { client.list_monitors().await.map_err(FetchError::from) },
    )?;
    let (mut registry, registry_layout) = registry;
    let mut remote = Remote::default();
    absorb(&mut remote, named);
    if let Some(r) = &registry {
        let owned_webhooks: BTreeSet<String> = r
            .webhooks
            .iter()
            .chain(&r.pending_webhooks)
            .filter(|n| !webhook_names.contains(*n))
            .cloned()
            .collect();
        let owned_variables: BTreeSet<String> = r
            .custom_variables
            .keys()
            .chain(r.pending_variables.keys())
            .filter(|n| !variable_names.contains(*n) && !registry::is_registry_variable(n))
            .cloned()
            .collect();
        if !owned_webhooks.is_empty() || !owned_variables.is_empty() {
            let owned = read_named(client, &owned_webhooks, &owned_variables, concurrency).await?;
            absorb(&mut remote, owned);
        }
    }
    for m in monitors.into_iter().filter_map(remote_monitor) {
        remote.monitors.insert(m.id, m);
    }
    let registry_resolved = registry.as_mut().is_some_and(|r| {
        r.resolve_pending(
            |n| remote.webhooks.contains_key(n),
            |n| remote.custom_variables.contains_key(n),
        )
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
