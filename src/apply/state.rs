//! Writing the registry where it lives: `DDHOOKS_STATE*` custom variables in Datadog, or a
//! local file written atomically.

use crate::datadog::fetch::StateBackend;
use crate::datadog::{wire, ApiError, Client};
use crate::registry::{self, Registry};

/// The registry's storage, remembering how many parts are stored so that leftovers of a
/// once-larger registry are deleted.
#[derive(Debug, Clone)]
pub struct StateStore {
    /// Where.
    pub backend: StateBackend,
    /// Parts currently stored in Datadog (0 when none).
    pub stored_parts: usize,
}

/// A registry write failed.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// Writing to Datadog failed.
    #[error("writing the registry to Datadog failed: {0}; the objects written so far exist and a re-run adopts them")]
    Api(#[from] ApiError),
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
    /// Writes `registry`. Parts 2… go first and the first part (which says how many parts
    /// there are) last, then leftover parts are deleted.
    pub async fn save(&mut self, client: &Client, registry: &Registry) -> Result<(), StateError> {
        match &self.backend {
            StateBackend::File(path) => {
                let text = serde_json::to_string_pretty(registry).unwrap_or_default();
                crate::fs::write_atomic(path, text.as_bytes()).map_err(|e| StateError::File {
                    path: path.display().to_string(),
                    detail: e.to_string(),
                })?;
                Ok(())
            }
            StateBackend::Datadog => {
                let parts = registry.encode();
                let order = parts.iter().skip(1).chain(parts.iter().take(1));
                for (index, (name, value)) in order.enumerate() {
                    let number = if index + 1 == parts.len() {
                        1
                    } else {
                        index + 2
                    };
                    if number <= self.stored_parts {
                        let body = wire::CustomVariableUpdateRequest {
                            is_secret: Some(false),
                            name: None,
                            value: Some(value.clone()),
                        };
                        client.update_variable(name, &body).await?;
                    } else {
                        let body = wire::CustomVariableCreateRequest {
                            is_secret: false,
                            name: name.clone(),
                            value: value.clone(),
                        };
                        match client.create_variable(&body).await {
                            // Left behind by an interrupted run: overwrite it.
                            Err(e) if e.status() == Some(400) => {
                                let body = wire::CustomVariableUpdateRequest {
                                    is_secret: Some(false),
                                    name: None,
                                    value: Some(value.clone()),
                                };
                                client.update_variable(name, &body).await?;
                            }
                            other => {
                                other?;
                            }
                        }
                    }
                }
                for n in parts.len() + 1..=self.stored_parts {
                    client.delete_variable(&registry::part_name(n)).await?;
                }
                self.stored_parts = parts.len();
                Ok(())
            }
        }
    }
}
