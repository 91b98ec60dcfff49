//! What can go wrong with a call, as one typed [`ApiError`]: a missing key, Datadog's error
//! status with the object and a fix, a failed network request classified by
//! [`super::network`], an undecodable or oversized body. The client's retry loop asks it
//! whether to retry (`retry_class`) and whether the write may have happened anyway
//! (`outcome_unknown`).

use super::network::{Attempts, NetworkCause, NetworkFailure};
use super::pacing::RetryClass;
use ddhooks_core::registry::RegistryError;

/// A failed API call, with what it was about and how to fix it.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A key is missing from the environment.
    #[error("{0} is not set; export it (keys are read only from the environment), or use --sandbox to try ddhooks without an account")]
    MissingKey(String),
    /// Datadog answered with an error status.
    #[error("{method} {object}: Datadog answered {status}: {message}{hint}{tried}")]
    Status {
        /// What the call was about, e.g. `webhook g-alert-check`.
        object: String,
        /// HTTP method.
        method: String,
        /// HTTP status.
        status: u16,
        /// Datadog's own messages.
        message: String,
        /// How to fix it (starts with `; ` when present).
        hint: String,
        /// The failed attempts, when there were several.
        tried: Box<Attempts>,
    },
    /// The request never got an answer.
    #[error("{method} {object}: {failure}{tried}")]
    Network {
        /// What the call was about.
        object: String,
        /// HTTP method.
        method: String,
        /// Where it was going and why it got no answer.
        failure: Box<NetworkFailure>,
        /// Whether the request may have been processed (sent, then the connection dropped).
        ambiguous: bool,
        /// The failed attempts, when there were several.
        tried: Box<Attempts>,
    },
    /// The HTTP client could not be built; nothing was sent.
    #[error("cannot set up the HTTP client: {0}")]
    Setup(String),
    /// The request body could not be encoded; nothing was sent.
    #[error("{object}: the request could not be encoded ({detail}); nothing was sent; this is a bug in ddhooks, please report it")]
    Encode {
        /// What the call was about.
        object: String,
        /// Why.
        detail: String,
    },
    /// The answer could not be understood.
    #[error("{object}: Datadog's answer could not be read ({detail}); this is a bug or an API change, please report it")]
    Decode {
        /// What the call was about.
        object: String,
        /// Why.
        detail: String,
    },
}

impl ApiError {
    /// The HTTP status, when Datadog answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// How a failure is retried; `None`: it is not.
    pub(super) fn retry_class(&self) -> Option<RetryClass> {
        match self {
            ApiError::Status { status, .. } => {
                matches!(status, 429 | 500 | 502 | 503 | 504).then_some(RetryClass::Backoff)
            }
            ApiError::Network { failure, .. } => Some(failure.cause.retry_class()),
            _ => None,
        }
    }

    /// Why the request got no answer, when it got none.
    pub fn network_cause(&self) -> Option<NetworkCause> {
        match self {
            ApiError::Network { failure, .. } => Some(failure.cause),
            _ => None,
        }
    }

    /// A few words for the summary of a request's attempts: the status, or the cause.
    pub(super) fn attempt_label(&self) -> String {
        match self {
            ApiError::Status { status, .. } => status.to_string(),
            ApiError::Network { failure, .. } => failure.cause.label().to_string(),
            _ => "error".to_string(),
        }
    }

    /// The same error, ending with how many attempts were made and how each failed.
    pub(super) fn after(self, attempts: Attempts) -> ApiError {
        match self {
            ApiError::Status {
                object,
                method,
                status,
                message,
                hint,
                ..
            } => ApiError::Status {
                object,
                method,
                status,
                message,
                hint,
                tried: Box::new(attempts),
            },
            ApiError::Network {
                object,
                method,
                failure,
                ambiguous,
                ..
            } => ApiError::Network {
                object,
                method,
                failure,
                ambiguous,
                tried: Box::new(attempts),
            },
            other => other,
        }
    }

    /// Whether a create may have happened although it failed (so read before retrying).
    pub fn outcome_unknown(&self) -> bool {
        match self {
            ApiError::Network { ambiguous, .. } => *ambiguous,
            ApiError::Status { status, .. } => *status >= 500,
            _ => false,
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
