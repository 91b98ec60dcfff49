//! The fields of typed plan values, as every renderer shows them: the one place that decides
//! which field is sensitive (a secret variable, from its type) and where every other value
//! passes through the one masking function ([`Masker`]) for credentials read back from
//! Datadog or written from manifests.

use crate::mask::{is_credential_name, Masker};
use crate::model::{
    default_webhook_payload, BoardWidget, NotificationRule, RuleFilter, RuleRecipients, StatusBoard,
};
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
/// API reads them as they are stored: `name`, `filter`, and the one recipient form used
/// (`recipients` or `conditional_recipients`; a switch shows as one removed, one added).
pub fn rule(r: &NotificationRule) -> Vec<(&'static str, Field)> {
    let filter = match &r.filter {
        RuleFilter::Tags(tags) => json!({"tags": tags}),
        RuleFilter::Scope(scope) => json!({"scope": scope}),
    };
    let recipients = match &r.recipients {
        RuleRecipients::Always(list) => ("recipients", json!(list)),
        RuleRecipients::Conditional {
            conditions,
            fallback,
        } => {
            let conditions: Vec<Value> = conditions
                .iter()
                .map(|c| json!({"scope": c.scope.to_string(), "recipients": c.recipients}))
                .collect();
            let mut object = json!({"conditions": conditions});
            if !fallback.is_empty() {
                object["fallback_recipients"] = json!(fallback);
            }
            ("conditional_recipients", object)
        }
    };
    vec![
        ("name", Field::Value(Value::String(r.name.clone()))),
        ("filter", Field::Value(filter)),
        (recipients.0, Field::Value(recipients.1)),
    ]
}

/// A status board's fields: `title`, `description`, `widgets` (each as Datadog's
/// definition with its layout; a widget of another type shows its type and title).
pub fn board(b: &StatusBoard) -> Vec<(&'static str, Field)> {
    let widgets: Vec<Value> = b
        .widgets
        .iter()
        .map(|w| match w {
            BoardWidget::CheckStatus {
                title,
                check,
                grouping,
                tags,
                layout,
            } => json!({
                "type": "check_status",
                "title": title,
                "check": check,
                "grouping": grouping,
                "tags": tags,
                "layout": {"x": layout.x, "y": layout.y, "width": layout.width, "height": layout.height},
            }),
            BoardWidget::Other { kind, title } => json!({"type": kind, "title": title}),
        })
        .collect();
    vec![
        ("title", Field::Value(Value::String(b.title.clone()))),
        ("description", Field::Value(json!(b.description))),
        ("widgets", Field::Value(Value::Array(widgets))),
    ]
}
