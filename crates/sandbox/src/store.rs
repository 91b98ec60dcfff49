//! The sandbox's state and its persistence.
//!
//! All state sits behind one `std::sync::Mutex` that is never held across an `.await`.
//! With a data file, every successful write serialises the whole state and replaces the
//! file atomically (temp file in the same directory, then rename), so a crash leaves either
//! the old or the new file, never half of one.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use ddhooks_datadog::wire::{ErrorBody, ServiceCheck, Webhook};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

/// An API error: a status code and Datadog's `{"errors": ["…"]}` body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status to answer with.
    pub status: StatusCode,
    /// The single message of the errors body.
    pub message: String,
}

impl ApiError {
    /// 400 with a message.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
        }
    }

    /// 404 with a message.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            message: message.into(),
        }
    }

    /// 403 with a message.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::FORBIDDEN,
            message: message.into(),
        }
    }

    /// 500 with a message (the sandbox itself failed, e.g. writing its data file).
    pub fn internal(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message: message.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(ErrorBody::new(self.message))).into_response()
    }
}

/// What a secret variable's value becomes in the data file.
pub const REDACTED_SECRET: &str = "sandbox-secret-not-persisted";

/// A stored custom variable, value included even when secret (the sandbox is the server).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredVariable {
    /// Variable name.
    pub name: String,
    /// The value, never returned by the API when `is_secret`.
    pub value: String,
    /// Whether the value is hidden in responses.
    pub is_secret: bool,
}

/// Webhooks and custom variables: the part of the state that `--lossy-webhook-writes`
/// reads and writes back as one snapshot.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Integration {
    /// Webhooks by name.
    pub webhooks: BTreeMap<String, Webhook>,
    /// Custom variables by name.
    pub custom_variables: BTreeMap<String, StoredVariable>,
}

/// Everything the sandbox knows; this is what the data file holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Data {
    /// Format version of the data file.
    pub version: u32,
    /// Webhooks and custom variables.
    #[serde(flatten)]
    pub integration: Integration,
    /// Monitors by id, each the full JSON object the API returns.
    pub monitors: BTreeMap<i64, Map<String, Value>>,
    /// The id the next created monitor gets.
    pub next_monitor_id: i64,
    /// Service checks received by `POST /api/v1/check_run`, in order.
    pub check_runs: Vec<ServiceCheck>,
    /// The simulated state of each monitor moved by the simulation (absent means `OK`).
    #[serde(default)]
    pub monitor_states: BTreeMap<i64, String>,
    /// The last event id handed to a simulated notification (`$ID`).
    #[serde(default)]
    pub next_event_id: i64,
    /// Every webhook delivery of the simulation, secrets masked.
    #[serde(default)]
    pub deliveries: Vec<Value>,
}

impl Default for Data {
    fn default() -> Self {
        Self {
            version: 1,
            integration: Integration::default(),
            monitors: BTreeMap::new(),
            next_monitor_id: 1,
            check_runs: Vec::new(),
            monitor_states: BTreeMap::new(),
            next_event_id: 0,
            deliveries: Vec::new(),
        }
    }
}

/// The state plus where (if anywhere) it is persisted.
#[derive(Debug)]
pub struct Store {
    data: Mutex<Data>,
    path: Option<PathBuf>,
}

impl Store {
    /// A store in memory only.
    pub fn in_memory() -> Self {
        Self {
            data: Mutex::new(Data::default()),
            path: None,
        }
    }

    /// A store backed by `path`: loads it when it exists, starts empty otherwise.
    pub fn open(path: &Path) -> anyhow::Result<Self> {
        let data = match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|err| {
                anyhow::anyhow!("sandbox data file {} is not valid: {err}", path.display())
            })?,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Data::default(),
            Err(err) => {
                return Err(anyhow::anyhow!(
                    "cannot read sandbox data file {}: {err}",
                    path.display()
                ))
            }
        };
        Ok(Self {
            data: Mutex::new(data),
            path: Some(path.to_path_buf()),
        })
    }

    /// Locks the state for reading (or for a write that is not persisted).
    pub fn lock(&self) -> MutexGuard<'_, Data> {
        // A panic while holding the lock cannot leave `Data` half-updated in a way that
        // matters more than refusing to serve, so recover the guard.
        self.data
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `change` on the state; when it succeeds, persists the new state before
    /// returning, so an answered write is on disk. A failed change must not have modified
    /// the state (every operation validates before it mutates).
    pub fn write<R>(
        &self,
        change: impl FnOnce(&mut Data) -> Result<R, ApiError>,
    ) -> Result<R, ApiError> {
        let mut data = self.lock();
        let result = change(&mut data)?;
        self.persist(&data)?;
        Ok(result)
    }

    /// A copy of the webhooks and custom variables (the read of a read-modify-write).
    pub fn integration_snapshot(&self) -> Integration {
        self.lock().integration.clone()
    }

    /// Replaces webhooks and custom variables whole (the write of a read-modify-write).
    pub fn replace_integration(&self, integration: Integration) -> Result<(), ApiError> {
        self.write(|data| {
            data.integration = integration;
            Ok(())
        })
    }

    fn persist(&self, data: &Data) -> Result<(), ApiError> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        write_atomically(path, data)
            .map_err(|err| ApiError::internal(format!("sandbox could not save its data: {err}")))
    }
}

/// Serialises `data` into a temp file beside `path` and renames it over `path`: a killed
/// sandbox leaves the old or the new file, never half of one. The text is built in memory
/// and written at once (not one syscall per token), and the file is synced.
///
/// Secret variable values are not written: a data file on a laptop (`--sandbox` keeps one
/// under `.ddhooks/`) must not hold a real key read from `${env:…}`. After a restart a
/// secret variable holds [`REDACTED_SECRET`] (non-empty, so check runs that send it as a
/// key are still accepted unless keys are restricted).
pub fn write_atomically(path: &Path, data: &Data) -> std::io::Result<()> {
    let mut data = data.clone();
    for variable in data.integration.custom_variables.values_mut() {
        if variable.is_secret {
            variable.value = REDACTED_SECRET.to_string();
        }
    }
    let mut text = serde_json::to_vec_pretty(&data).map_err(std::io::Error::other)?;
    text.push(b'\n');
    ddhooks_core::fs::write_atomic(path, &text)
}
