//! Serde types for the JSON that travels between ddhooks and Datadog's API (v1, and v2's
//! monitor notification rules).
//!
//! The client and the sandbox share these so that both sides agree on field names,
//! optionality and defaults. Quirks worth knowing:
//! - `payload` and `custom_headers` of a webhook are JSON *text* inside a JSON string.
//! - A secret custom variable's `value` is absent from every response.
//! - Monitors carry many fields ddhooks does not model; [`Monitor::extra`] keeps them so a
//!   read-modify-write never drops anything.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The payload Datadog stores when a webhook is created or updated with a `null` or absent
/// `payload` (byte for byte as recorded).
pub const DEFAULT_WEBHOOK_PAYLOAD: &str = "{\"body\": \"$EVENT_MSG\", \"last_updated\": \"$LAST_UPDATED\", \"event_type\": \"$EVENT_TYPE\", \"title\": \"$EVENT_TITLE\", \"date\": \"$DATE\", \"org\": {\"id\": \"$ORG_ID\", \"name\": \"$ORG_NAME\"}, \"id\": \"$ID\"}";

/// A webhook as Datadog returns it (and as the sandbox stores it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Webhook {
    /// `json` or `form`; Datadog fills `json` when not given.
    pub encode_as: String,
    /// Where the webhook posts to; may contain `$VARIABLES`.
    pub url: String,
    /// JSON object text of extra headers, or `null` for none.
    pub custom_headers: Option<String>,
    /// The webhook's name, used as `@webhook-NAME` in monitor messages.
    pub name: String,
    /// JSON text of the body; Datadog fills [`DEFAULT_WEBHOOK_PAYLOAD`] when not given.
    pub payload: Option<String>,
    /// The auth method the webhook authenticates with (`null`: none). Every answer since
    /// 2025 carries it; the v1 spec does not document it, so ddhooks never writes it, and
    /// since a webhook `PUT` is partial it survives every ddhooks update.
    #[serde(default)]
    pub auth_method_id: Option<String>,
}

/// Body of `POST …/webhooks`: `name` and `url` are required.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookCreateRequest {
    /// The webhook's name.
    pub name: String,
    /// Target URL.
    pub url: String,
    /// JSON text of the body; `None` (absent or null) means the default payload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<String>,
    /// JSON object text of headers; `None` means no headers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_headers: Option<String>,
    /// `json` (default) or `form`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encode_as: Option<String>,
    /// The auth method to authenticate with: what Datadog's own UI sends (the v1 spec does
    /// not document it, so ddhooks never sends it; the sandbox takes it as a person's
    /// setting).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_method_id: Option<String>,
}

/// Body of `PUT …/webhooks/{name}`: every field optional; present fields replace stored
/// ones, a `name` renames. `payload: null` resets the payload to the default, so the
/// field distinguishes absent (outer `None`) from null (`Some(None)`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookUpdateRequest {
    /// New name (renames the webhook).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// New URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// New payload; `Some(None)` is an explicit `null` (back to the default payload).
    #[serde(
        default,
        deserialize_with = "double_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub payload: Option<Option<String>>,
    /// New headers; `Some(None)` is an explicit `null` (no headers).
    #[serde(
        default,
        deserialize_with = "double_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub custom_headers: Option<Option<String>>,
    /// New encoding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encode_as: Option<String>,
    /// New auth method; `Some(None)` is an explicit `null` (none). Never sent by ddhooks
    /// (see [`WebhookCreateRequest::auth_method_id`]), so a person's link is kept.
    #[serde(
        default,
        deserialize_with = "double_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub auth_method_id: Option<Option<String>>,
}

/// A custom variable of the Webhooks integration as returned: `value` is absent when secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomVariable {
    /// Whether the value is hidden in responses.
    pub is_secret: bool,
    /// The variable's name (`^[A-Z0-9_]+$`), used as `$NAME` in webhooks.
    pub name: String,
    /// The value; never present for a secret variable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// Body of `POST …/custom-variables`: all three fields are required.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomVariableCreateRequest {
    /// Whether the value is hidden in responses.
    pub is_secret: bool,
    /// The variable's name.
    pub name: String,
    /// The value.
    pub value: String,
}

/// Body of `PUT …/custom-variables/{name}`: every field optional, a `name` renames.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomVariableUpdateRequest {
    /// New secrecy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_secret: Option<bool>,
    /// New name (renames the variable).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// New value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

impl CustomVariableUpdateRequest {
    /// An update that overwrites the value and its secrecy and keeps the name: how ddhooks
    /// writes a variable that exists.
    pub fn overwrite(value: impl Into<String>, secret: bool) -> Self {
        Self {
            is_secret: Some(secret),
            name: None,
            value: Some(value.into()),
        }
    }
}

/// A monitor as returned by `GET /api/v1/monitor[/{id}]`. Only the fields ddhooks reads
/// are typed; everything else is kept verbatim in `extra` so it survives a round trip.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Monitor {
    /// Monitor id (absent in create requests).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    /// Monitor type, e.g. `query alert`.
    #[serde(rename = "type")]
    pub monitor_type: String,
    /// The monitor's query.
    pub query: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The notification message (where ddhooks' blocks live).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The monitor's own tags.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Monitor options; replaced whole by a PUT that carries them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<Map<String, Value>>,
    /// Every other field, kept as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

mod listing;
pub use listing::{JsonStr, MonitorListed, MonitorMessage, MonitorSummary};

/// Body of `PUT /api/v1/monitor/{id}`: any subset of top-level fields. ddhooks sends only
/// `message`, because `options` in the body replaces the stored options whole.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MonitorUpdateRequest {
    /// New message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Any other field to set.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Answer of `DELETE /api/v1/monitor/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonitorDeleted {
    /// The id that was deleted.
    pub deleted_monitor_id: i64,
}

/// One service check of `POST /api/v1/check_run` (the body is an array of these).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceCheck {
    /// Check name, e.g. `mymonitorgroup.status`.
    pub check: String,
    /// Host the check is about.
    pub host_name: String,
    /// 0 OK, 1 warning, 2 critical, 3 unknown.
    pub status: u8,
    /// Tags; must be an array (a string is rejected).
    pub tags: Vec<String>,
    /// Optional message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Optional POSIX timestamp.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<i64>,
}

/// Answer of `POST /api/v1/check_run` (202).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntakeAccepted {
    /// Always `ok`.
    pub status: String,
}

/// Answer of `GET /api/v1/validate` (200).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyValidation {
    /// Always `true` when answered 200.
    pub valid: bool,
}

/// Datadog's error body: `{"errors": ["…"]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Human-readable messages.
    pub errors: Vec<String>,
}

impl ErrorBody {
    /// An error body with one message.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            errors: vec![message.into()],
        }
    }
}

/// Distinguishes an absent field (`None`) from an explicit `null` (`Some(None)`).
fn double_option<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// The `type` of every notification-rule object of API v2.
pub const NOTIFICATION_RULE_TYPE: &str = "monitor-notification-rule";

/// A rule's `filter`: exactly one of `tags` (all must match) and `scope` (an event-search
/// expression) is set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleFilter {
    /// 1–20 tags, all of which a monitor must have.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    /// An expression over the monitor's tags, 1–3000 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

/// One entry of `conditional_recipients.conditions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleCondition {
    /// `transition_type:<type>` or one `key:value` tag.
    pub scope: String,
    /// Handles without `@`, 1–20.
    pub recipients: Vec<String>,
}

/// A rule's `conditional_recipients`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleConditionalRecipients {
    /// 1–10 conditions.
    pub conditions: Vec<RuleCondition>,
    /// Notified when no condition applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback_recipients: Option<Vec<String>>,
}

/// A rule's `attributes`, in requests and responses; `recipients` and
/// `conditional_recipients` exclude each other.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleAttributes {
    /// 1–1000 characters.
    pub name: String,
    /// Which monitors the rule applies to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<RuleFilter>,
    /// Notified on every notification.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipients: Option<Vec<String>>,
    /// Notified per condition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditional_recipients: Option<RuleConditionalRecipients>,
    /// Set by Datadog.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// Set by Datadog (`1970-01-01T00:00:00+00:00` in a create's answer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified_at: Option<String>,
    /// Fields ddhooks does not model (`bundle_config`, a preview feature), kept so that they
    /// round-trip.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A rule as `data`: requests carry no id on create and the rule's id on PATCH.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleData {
    /// Always [`NOTIFICATION_RULE_TYPE`].
    #[serde(rename = "type")]
    pub kind: String,
    /// A UUID assigned by Datadog.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The rule itself.
    pub attributes: RuleAttributes,
    /// `created_by`, in the answers of create and PATCH.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relationships: Option<Value>,
}

/// Body of a create or PATCH, and the answer of create, get and PATCH.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleDocument {
    /// The rule.
    pub data: RuleData,
    /// The users `relationships` names (create and PATCH answers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub included: Option<Vec<Value>>,
}

/// The answer of `GET /api/v2/monitor/notification_rule`: one page, no total count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleList {
    /// The page's rules.
    pub data: Vec<RuleData>,
    /// The users the rules' `relationships` name, with `include=created_by`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub included: Option<Vec<Value>>,
}

/// The `filters` query parameter of the rule listing, sent as JSON text: every key given
/// narrows the listing (a key absent or empty does not).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleListFilters {
    /// Free text matched against the rules' names, tags and recipients.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Rules whose filter names any of these tags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    /// Rules that notify any of these recipients.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipients: Option<Vec<String>>,
}

/// Where a widget sits on a dashboard (grid units).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WidgetLayout {
    /// Left edge.
    pub x: i64,
    /// Top edge.
    pub y: i64,
    /// Width.
    pub width: i64,
    /// Height.
    pub height: i64,
}

/// One widget of a dashboard: its `definition` (a `type` and that type's fields, kept as
/// JSON since dashboards hold dozens of widget types), its layout and the id Datadog gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DashboardWidget {
    /// `{"type": "check_status", "check": …, "grouping": …, …}`.
    pub definition: Map<String, Value>,
    /// Required on free layouts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layout: Option<WidgetLayout>,
    /// Assigned by Datadog.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
}

/// A dashboard as created, read and updated (`PUT` replaces it whole).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dashboard {
    /// Assigned by Datadog (`abc-def-ghi`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Title.
    pub title: String,
    /// Description (`null` or text).
    #[serde(default)]
    pub description: Option<String>,
    /// `free` or `ordered`.
    pub layout_type: String,
    /// The widgets.
    #[serde(default)]
    pub widgets: Vec<DashboardWidget>,
    /// Every other field (`notify_list`, `template_variables`, `url`, `author_handle`, …),
    /// kept so a read-modify-write drops nothing.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The fields of a [`Dashboard`] that Datadog sets and a write cannot (the spec marks them
/// read-only), besides `id`.
pub const DASHBOARD_SERVER_FIELDS: &[&str] = &[
    "url",
    "author_handle",
    "author_name",
    "created_at",
    "modified_at",
];

/// One entry of `GET /api/v1/dashboard`: a dashboard without its widgets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DashboardSummary {
    /// Id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Every other field.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The answer of `GET /api/v1/dashboard` (`count`/`start` paging).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DashboardList {
    /// One page of summaries.
    pub dashboards: Vec<DashboardSummary>,
}

/// The answer of `DELETE /api/v1/dashboard/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DashboardDeleted {
    /// The id deleted.
    pub deleted_dashboard_id: String,
}

/// The `type` of an OAuth2 client-credentials auth method of the Webhooks integration
/// (API v2, since 2026).
pub const OAUTH2_AUTH_METHOD_TYPE: &str = "webhooks-auth-method-oauth2-client-credentials";
/// The `type` of an entry of the auth-method listing.
pub const AUTH_METHOD_TYPE: &str = "webhooks-auth-method";
/// The `protocol` of an OAuth2 client-credentials auth method, and the listing's `include`
/// value and relationship name for it.
pub const OAUTH2_PROTOCOL: &str = "oauth2-client-credentials";

/// The attributes of a create or PATCH of an OAuth2 client-credentials auth method. A
/// create needs `name`, `access_token_url`, `client_id` and `client_secret`; a PATCH sends
/// what changes. `audience` and `scope` are nullable: `Some(None)` clears them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OAuth2AuthMethodWrite {
    /// The auth method's name (what ddhooks' manifests call it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Where the client credentials are exchanged for a token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token_url: Option<String>,
    /// The OAuth2 client id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// The OAuth2 client secret: write-only, never in an answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    /// The token's audience; `Some(None)` is an explicit `null` (none).
    #[serde(
        default,
        deserialize_with = "double_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub audience: Option<Option<String>>,
    /// The token's scope; `Some(None)` is an explicit `null` (none).
    #[serde(
        default,
        deserialize_with = "double_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub scope: Option<Option<String>>,
}

/// `data` of a create or PATCH body (no id: the PATCH names it in the path).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuth2AuthMethodWriteData {
    /// Always [`OAUTH2_AUTH_METHOD_TYPE`].
    #[serde(rename = "type")]
    pub kind: String,
    /// What to write.
    pub attributes: OAuth2AuthMethodWrite,
}

/// Body of `POST …/auth-method/oauth2-client-credentials` and of its PATCH.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuth2AuthMethodWriteRequest {
    /// The auth method.
    pub data: OAuth2AuthMethodWriteData,
}

/// An OAuth2 client-credentials auth method as Datadog answers it: every attribute but
/// the secret, `audience` and `scope` as `null` when unset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuth2AuthMethodAttributes {
    /// Its name.
    pub name: String,
    /// Always [`OAUTH2_PROTOCOL`].
    pub protocol: String,
    /// Where the credentials are exchanged for a token.
    pub access_token_url: String,
    /// The OAuth2 client id.
    pub client_id: String,
    /// The scope (`null`: none).
    #[serde(default)]
    pub scope: Option<String>,
    /// The audience (`null`: none).
    #[serde(default)]
    pub audience: Option<String>,
}

/// An OAuth2 client-credentials auth method as `data` of an answer, or as an entry of the
/// listing's `included`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuth2AuthMethodData {
    /// Always [`OAUTH2_AUTH_METHOD_TYPE`].
    #[serde(rename = "type")]
    pub kind: String,
    /// A UUID Datadog assigns.
    pub id: String,
    /// The auth method.
    pub attributes: OAuth2AuthMethodAttributes,
}

/// The answer of a create (201), get and PATCH (200).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuth2AuthMethodDocument {
    /// The auth method.
    pub data: OAuth2AuthMethodData,
}

/// The protocol of an entry of the listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthMethodSummaryAttributes {
    /// `oauth2-client-credentials`.
    pub protocol: String,
}

/// One entry of `GET …/auth-method`: the auth method's id and protocol, and a relationship
/// to its protocol's object (whose attributes `included` holds with
/// `include=oauth2-client-credentials`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthMethodSummary {
    /// Always [`AUTH_METHOD_TYPE`].
    #[serde(rename = "type")]
    pub kind: String,
    /// The auth method's id.
    pub id: String,
    /// Its protocol.
    pub attributes: AuthMethodSummaryAttributes,
    /// `{"oauth2-client-credentials": {"data": {"id", "type"}}}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relationships: Option<Value>,
}

/// The answer of `GET /api/v2/integration/webhooks/configuration/auth-method`: every auth
/// method of the org (the API does not page it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthMethodList {
    /// The auth methods.
    pub data: Vec<AuthMethodSummary>,
    /// Their protocol objects, with `include=oauth2-client-credentials`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub included: Option<Vec<OAuth2AuthMethodData>>,
}

#[cfg(test)]
mod tests;

// ---- Notification handles' destinations (issue 23): what the handle check reads. ----

/// A channel of a Slack account (v1 Slack integration), as
/// `GET …/slack/configuration/accounts/{account}/channels[/{channel}]` answers it: the
/// name keeps Slack's `#`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlackChannel {
    /// `#name`.
    pub name: String,
    /// What notifications show (`message`, `snapshot`, `tags`, `notified`, `mute_buttons`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display: Option<Value>,
}

/// A PagerDuty service of the v1 PagerDuty integration, as `GET …/services/{name}` answers
/// it (the service key is never answered).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PagerDutyService {
    /// The name `@pagerduty-NAME` uses.
    pub service_name: String,
}

/// A v2 listing whose items are named by `attributes.name`: the Opsgenie services, the
/// Microsoft Teams tenant-based and Workflows webhook handles.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct NamedList {
    /// The items.
    pub data: Vec<NamedItem>,
}

/// One item of a [`NamedList`]: only what the handle check reads.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct NamedItem {
    /// Its id.
    pub id: String,
    /// Its attributes.
    pub attributes: NameAttribute,
}

/// The `name` attribute of a [`NamedItem`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct NameAttribute {
    /// The name the handle uses.
    pub name: String,
}

/// One page of `GET /api/v2/team`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TeamList {
    /// The teams of the page.
    pub data: Vec<TeamItem>,
}

/// A team of a [`TeamList`]: only what the handle check reads.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TeamItem {
    /// Its id.
    pub id: String,
    /// Its attributes.
    pub attributes: TeamHandle,
}

/// The `handle` attribute of a team (`@team-HANDLE`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TeamHandle {
    /// The handle.
    pub handle: String,
}

/// One page of `GET /api/v2/users`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct UserList {
    /// The users of the page.
    pub data: Vec<UserItem>,
}

/// A user of a [`UserList`]: only what the handle check reads.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct UserItem {
    /// Its id.
    pub id: String,
    /// Its attributes.
    pub attributes: UserAttributes,
}

/// The attributes of a user the handle check reads.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct UserAttributes {
    /// The email (`@user@example.com` notifies it); service accounts may have none.
    #[serde(default)]
    pub email: Option<String>,
    /// `Active`, `Pending` or `Disabled`.
    #[serde(default)]
    pub status: Option<String>,
}
