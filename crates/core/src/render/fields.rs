//! The fields of typed plan values, as every renderer shows them: the one place that decides
//! which field is sensitive (a secret variable, from its type) and where every other value
//! passes through the one masking function ([`Masker`]) for credentials read back from
//! Datadog or written from manifests.

use crate::mask::{is_credential_name, Masker};
use crate::model::{canonical, default_webhook_payload, NotificationRule, StatusBoard};
use crate::plan::{AuthMethodState, VariableState, VariableValue, WebhookState};
use serde_json::{json, Value};

/// Which side of a change a value is on: a webhook without a payload shows Datadog's
/// default payload when desired, and `null` when read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The object as read.
    Before,
    /// The object as it will be.
    After,
}

/// One field's value.
#[derive(Debug, Clone, PartialEq)]
pub enum Field {
    /// Shown as it is.
    Value(Value),
    /// Never shown: `(sensitive)`, with the salted fingerprint when known.
    Sensitive {
        /// Salted fingerprint of the value.
        fingerprint: Option<String>,
    },
}

impl Field {
    /// The JSON plan's form: a sensitive field is `{"sensitive": true, "fingerprint": …}`.
    pub fn into_json(self) -> Value {
        match self {
            Field::Value(v) => v,
            Field::Sensitive {
                fingerprint: Some(fp),
            } => json!({"sensitive": true, "fingerprint": fp}),
            Field::Sensitive { fingerprint: None } => json!({"sensitive": true}),
        }
    }
}

/// A custom variable's fields: `secret`, `value`. A non-secret variable named like a
/// credential (`API_KEY`, `TOKEN`, …) is shown masked too.
pub fn variable(name: &str, v: &VariableState, m: &Masker) -> Vec<(&'static str, Field)> {
    let value = match &v.value {
        VariableValue::Plain(Some(value)) if is_credential_name(name) => {
            Field::Value(Value::String(m.header(name, value).into_owned()))
        }
        VariableValue::Plain(value) => Field::Value(json!(value)),
        VariableValue::Secret { fingerprint, .. } => Field::Sensitive {
            fingerprint: fingerprint.clone(),
        },
    };
    vec![
        ("secret", Field::Value(Value::Bool(v.secret))),
        ("value", value),
    ]
}

/// A webhook's fields: `url`, `encode_as`, `custom_headers`, `payload`.
pub fn webhook(w: &WebhookState, side: Side, m: &Masker) -> Vec<(&'static str, Field)> {
    let headers = match &w.custom_headers {
        Some(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), Value::String(m.header(k, v).into_owned())))
                .collect(),
        ),
        None => Value::Null,
    };
    let payload = match (&w.payload, side) {
        (Some(p), _) => m.json(p),
        (None, Side::After) => default_webhook_payload(),
        (None, Side::Before) => Value::Null,
    };
    vec![
        (
            "url",
            Field::Value(Value::String(m.url(&w.url).into_owned())),
        ),
        (
            "encode_as",
            Field::Value(Value::String(w.encode_as.as_str().into())),
        ),
        ("custom_headers", Field::Value(headers)),
        ("payload", Field::Value(payload)),
    ]
}

/// A monitor's fields: `message` (any credential in a URL of it masked).
pub fn message(text: &str, m: &Masker) -> Vec<(&'static str, Field)> {
    vec![(
        "message",
        Field::Value(Value::String(m.text(text).into_owned())),
    )]
}

/// A webhook auth method's fields, in Datadog's JSON shape: `name`, `access_token_url`
/// (credentials in it masked), `client_id`, `client_secret` (always sensitive: the type
/// says so, whatever the value), `audience`, `scope`.
pub fn auth_method(a: &AuthMethodState, m: &Masker) -> Vec<(&'static str, Field)> {
    vec![
        ("name", Field::Value(Value::String(a.name.clone()))),
        (
            "access_token_url",
            Field::Value(Value::String(m.url(&a.access_token_url).into_owned())),
        ),
        (
            "client_id",
            Field::Value(Value::String(a.client_id.clone())),
        ),
        (
            "client_secret",
            Field::Sensitive {
                fingerprint: a.client_secret.fingerprint.clone(),
            },
        ),
        ("audience", Field::Value(json!(a.audience))),
        ("scope", Field::Value(json!(a.scope))),
    ]
}

/// A notification rule's fields, in Datadog's JSON shape so that a reviewer who knows the
/// API reads them as they are stored: the model's canonical JSON ([`canonical::rule`]:
/// `name`, `filter`, and the one recipient form used — a switch shows as one removed, one
/// added).
pub fn rule(r: &NotificationRule) -> Vec<(&'static str, Field)> {
    shown(canonical::rule(r))
}

/// A status board's fields, the model's canonical JSON ([`canonical::board`]): `title`,
/// `description`, `widgets` (each as Datadog's definition with its layout; a widget of
/// another type shows its type and title).
pub fn board(b: &StatusBoard) -> Vec<(&'static str, Field)> {
    shown(canonical::board(b))
}

/// Canonical fields, none of them sensitive.
fn shown(fields: Vec<(&'static str, Value)>) -> Vec<(&'static str, Field)> {
    fields
        .into_iter()
        .map(|(name, value)| (name, Field::Value(value)))
        .collect()
}
