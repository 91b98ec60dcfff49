//! Reading and writing the registry where it lives (the one module that does either): `DDHOOKS_STATE*` custom variables in Datadog, or a
//! local file written atomically.
//!
//! In Datadog a write is never seen half-done: a registry that fits in one part is one PUT;
//! a larger one is written completely into the slot the header does not point to (A or B),
//! then the header switches to it (one PUT), then the old slot's parts are deleted. A kill at
//! any point leaves the header pointing at a complete set of parts, and a checksum in the
//! header turns any mix of versions into a clear error instead of a wrong registry.

use crate::client::FetchError;
use crate::{wire, ApiError, Client};
use ddhooks_core::registry::{self, Layout, Registry, Slot};
use std::collections::BTreeMap;
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
                    Err(FetchError::Registry(e)) if e.may_be_transient() && attempt < 3 => {
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

/// The registry's storage, remembering how the stored registry is laid out so that the
/// next write goes to the other slot and the old parts are cleaned up.
#[derive(Debug, Clone)]
pub struct StateStore {
    /// Where.
    pub backend: StateBackend,
    /// Parts currently stored in Datadog (0 when none).
    pub stored_parts: usize,
    /// Layout of the stored registry in Datadog (`None` when none or a file).
    pub layout: Option<Layout>,
    /// Whether the registry in memory differs from the stored one before any write (pending
    /// entries resolved on reading), so that it must be saved even without changes.
    pub dirty: bool,
}

/// A registry write failed.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// Writing to Datadog failed.
    #[error("writing the registry to Datadog failed: {0}; the objects written so far exist and the next plan finds them")]
    Api(#[from] ApiError),
    /// The registry could not be encoded.
    #[error("{0}")]
    Registry(#[from] registry::RegistryError),
    /// Writing the file failed.
    #[error("writing the registry file {path} failed: {detail}")]
    File {
        /// The file.
        path: String,
        /// Why.
        detail: String,
    },
}

impl StateStore {
    /// The store for a registry just read from `backend`: `stored_parts` and `layout` as
    /// the read found them, `dirty` when what was read differs from what is stored (pending
    /// entries resolved on reading), so it must be saved.
    pub fn after_read(
        backend: StateBackend,
        stored_parts: usize,
        layout: Option<Layout>,
        dirty: bool,
    ) -> StateStore {
        StateStore {
            backend,
            stored_parts,
            layout,
            dirty,
        }
    }

    /// Writes `registry` so that a reader, or a run killed at any point, sees either the old
    /// or the new version, never a mix.
    pub async fn save(&mut self, client: &Client, registry: &Registry) -> Result<(), StateError> {
        match &self.backend {
            StateBackend::File(path) => {
                let text = registry.to_file_text()?;
                ddhooks_core::fs::write_atomic(path, text.as_bytes()).map_err(|e| {
                    StateError::File {
                        path: path.display().to_string(),
                        detail: e.to_string(),
                    }
                })?;
                self.dirty = false;
                Ok(())
            }
            StateBackend::Datadog => {
                let old = self.layout;
                let slot = old.map_or(Slot::A, |l| l.slot.other());
                let parts = registry.encode(slot)?;
                // 1. The new version's parts, into the slot nobody reads.
                for (name, value) in parts.iter().skip(1) {
                    upsert(client, name, value, false).await?;
                }
                // 2. The switch: one write of the header.
                if let Some((name, value)) = parts.first() {
                    upsert(client, name, value, old.is_some()).await?;
                }
                self.layout = Registry::layout(parts.first().map_or("", |p| p.1.as_str())).ok();
                self.stored_parts = parts.len();
                self.dirty = false;
                // 3. The old version's parts (unless they are the ones just written).
                if let Some(old) = old {
                    if old.parts > 1 && (old.slot != slot || parts.len() == 1) {
                        remove_parts(client, old.slot, old.parts).await?;
                    }
                }
                Ok(())
            }
        }
    }
}

/// Creates or overwrites one non-secret variable: PUT first when it is expected to exist,
/// POST first otherwise (an "already exists" answer turns into a PUT, a 404 into a POST).
async fn upsert(client: &Client, name: &str, value: &str, exists: bool) -> Result<(), ApiError> {
    let update = wire::CustomVariableUpdateRequest::overwrite(value, false);
    if exists {
        match client.update_variable(name, &update).await {
            Err(e) if e.status() == Some(404) => {}
            other => return other.map(|_| ()),
        }
    }
    let create = wire::CustomVariableCreateRequest {
        is_secret: false,
        name: name.to_string(),
        value: value.to_string(),
    };
    match client.create_variable(&create).await {
        // Left behind by an interrupted run: overwrite it.
        Err(e) if e.status() == Some(400) => {
            client.update_variable(name, &update).await.map(|_| ())
        }
        other => other.map(|_| ()),
    }
}

/// Deletes parts `count`…2 of `slot` (top down, so an interrupted cleanup leaves a
/// contiguous prefix), then any higher leftovers of an older, larger version until one is
/// absent.
async fn remove_parts(client: &Client, slot: Slot, count: usize) -> Result<(), ApiError> {
    for n in (2..=count).rev() {
        client
            .delete_variable(&registry::part_name(slot, n))
            .await?;
    }
    let mut n = count + 1;
    while client
        .delete_variable(&registry::part_name(slot, n))
        .await?
    {
        n += 1;
    }
    Ok(())
}
