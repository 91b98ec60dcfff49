//! The manifest format as types: one struct per mapping a manifest file holds, each key a
//! field with its doc comment. They are the one description of the format: the JSON Schema
//! (`ddhooks schema`) is derived from them with schemars, the decoder's key lists are read
//! off that schema ([`super::schema::keys`]), and the reference in `docs/manifests.md` is
//! generated from it ([`super::reference`]).
//!
//! The decoder still reads the spanned YAML tree by hand (positions in every message, values
//! checked across files); these types say which keys exist, their types and the constraints
//! JSON Schema can express. An optional key is an `Option` that may be absent but never
//! null (`#[schemars(transform = never_null)]`), except the file's sections, where a key
//! with no value is an empty section. Doc comments are wrapped as Rust source is; the schema
//! joins their lines.

use super::raw::Delivery;
use crate::model::SampleTransition;
use schemars::JsonSchema;
use std::collections::BTreeMap;
use transforms::{delivery_rules, never_null, not_null, nullable};

pub(crate) mod transforms;

// Datadog's limits on a notification rule (`../shared/datadog-api/notification-rules.md`):
// the schema states them, `rule` reports each at the key that breaks it.

/// Most tags a rule's `filter.tags` may hold.
pub(crate) const MAX_FILTER_TAGS: usize = 20;
/// Most characters a rule's `filter.scope` may hold.
pub(crate) const MAX_SCOPE_CHARS: usize = 3000;
/// Most conditions a rule's `conditional_recipients` may hold.
pub(crate) const MAX_CONDITIONS: usize = 10;
/// Most recipients one list of a rule may hold.
pub(crate) const MAX_RECIPIENTS: usize = 20;

/// A custom variable's name: what `$NAME` refers to.
pub const VARIABLE_NAME: &str = "^[A-Z0-9_]+$";
/// The name of a webhook, pair, notification block or status board.
pub const OBJECT_NAME: &str = r"^[A-Za-z0-9_-]+$";
/// A webhook's `url`: `http(s)://` and a host, or read from the environment.
const URL: &str = r"^(\$\{env:|[Hh][Tt][Tt][Pp][Ss]?://[^/])";
/// One handle in a notification block's list.
const HANDLE: &str = r"^@[^\s()]+$";
/// One handle in a routing test's list.
const TEST_HANDLE: &str = r"^@\S+$";
/// Handles written as one string, separated by spaces.
const HANDLE_WORDS: &str = r"^\s*@";
/// Something other than blanks.
const NOT_BLANK: &str = r"\S";
/// A `${env:NAME}` reference somewhere in the text.
const ENV_REFERENCE: &str = r"\$\{env:";
/// An OAuth2 token endpoint.
const TOKEN_URL: &str = r"^https://[^/?#\s]+";
/// A priority by its name.
const PRIORITY_NAME: &str = "^[Pp][1-5]$";

/// One manifest file. Every key is optional; a file may also be empty.
#[derive(Debug, Clone, JsonSchema)]
#[schemars(
    deny_unknown_fields,
    title = "ddhooks manifest (version 1)",
    extend("$id" = "https://github.com/ddhooks/ddhooks/manifest-v1.json"),
    transform = nullable
)]
pub struct Manifest {
    /// The manifest format; 1, the only one there is.
    #[schemars(extend("const" = 1), transform = not_null)]
    pub version: Option<i64>,
    /// Custom variables of the Webhooks integration, by name: webhooks use them as `$NAME`.
    #[schemars(extend("propertyNames" = {"pattern": VARIABLE_NAME}))]
    pub custom_variables: Option<BTreeMap<String, Variable>>,
    /// Webhook pairs by name: each makes `NAME-alert-check` and `NAME-ok-check` (and the
    /// warning and no-data ones its `statuses` ask for), which report a monitor's state as a
    /// check run.
    #[schemars(extend("propertyNames" = {"pattern": OBJECT_NAME}))]
    pub webhook_pairs: Option<BTreeMap<String, Pair>>,
    /// Webhooks written out in full, by name.
    #[schemars(extend("propertyNames" = {"pattern": OBJECT_NAME}))]
    pub webhooks: Option<BTreeMap<String, Webhook>>,
    /// Notification blocks by name: who the selected monitors notify, as a managed block in
    /// their messages or as a notification rule.
    #[schemars(extend("propertyNames" = {"pattern": OBJECT_NAME}))]
    pub monitor_notifications: Option<BTreeMap<String, Block>>,
    /// Status boards by name: dashboards ddhooks owns whole, one widget per pair.
    #[schemars(extend("propertyNames" = {"pattern": OBJECT_NAME}))]
    pub status_boards: Option<BTreeMap<String, Board>>,
    /// Webhooks made elsewhere that blocks may notify (`@webhook-NAME`) without ddhooks
    /// managing them.
    #[schemars(inner(regex(pattern = OBJECT_NAME)))]
    pub external_webhooks: Option<Vec<String>>,
    /// OAuth2 auth methods of the Webhooks integration, by the name they have in Datadog.
    pub webhook_auth_methods: Option<BTreeMap<String, AuthMethod>>,
    /// Routing tests by name: who must (or must not) be notified, checked by `ddhooks test`
    /// and by every plan.
    pub routing_tests: Option<BTreeMap<String, RoutingTest>>,
}

/// A custom variable of the Webhooks integration, sent as `$NAME`.
#[derive(Debug, Clone, JsonSchema)]
#[schemars(deny_unknown_fields, transform = never_null)]
pub struct Variable {
    /// The value; use `${env:NAME}` for secrets.
    pub value: String,
    /// Secret values are never shown or returned.
    #[schemars(extend("default" = false))]
    pub secret: Option<bool>,
}

/// Makes `NAME-alert-check` and `NAME-ok-check` (and `-warning-check`, `-no-data-check`)
/// calling `/api/v1/check_run`.
#[derive(Debug, Clone, JsonSchema)]
#[schemars(deny_unknown_fields, transform = never_null)]
pub struct Pair {
    /// The check run's name, e.g. `mygroup.status`.
    pub check: String,
    /// The check run's host.
    #[schemars(extend("default" = "$HOSTNAME"))]
    pub host_name: Option<String>,
    /// The check run's tags.
    #[schemars(extend("default" = ["monitor_id:$ALERT_ID"]))]
    pub tags: Option<Vec<String>>,
    /// The custom variable holding the API key the check runs are sent with.
    #[schemars(regex(pattern = VARIABLE_NAME), extend("default" = "DD_API_KEY"))]
    pub api_key_variable: Option<String>,
    /// The check run status each transition sends; only the transitions listed get a
    /// webhook (without `statuses`: alert 2, recovery 0).
    pub statuses: Option<Statuses>,
    /// Whether the group's monitors get one check run of their current state when first
    /// wired, so a board counts them at once.
    #[schemars(extend("default" = true))]
    pub seed_status: Option<bool>,
}

/// A pair's check run statuses: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
#[derive(Debug, Clone, JsonSchema)]
#[schemars(
    deny_unknown_fields,
    transform = never_null,
    extend("minProperties" = 1)
)]
pub struct Statuses {
    /// Sent when the monitor alerts.
    #[schemars(range(min = 0, max = 3))]
    pub alert: Option<u8>,
    /// Sent when the monitor recovers.
    #[schemars(range(min = 0, max = 3))]
    pub recovery: Option<u8>,
    /// Sent when the monitor warns (makes `NAME-warning-check`).
    #[schemars(range(min = 0, max = 3))]
    pub warning: Option<u8>,
    /// Sent when the monitor has no data (makes `NAME-no-data-check`).
    #[schemars(range(min = 0, max = 3))]
    pub no_data: Option<u8>,
}

/// A webhook written out in full.
#[derive(Debug, Clone, JsonSchema)]
#[schemars(deny_unknown_fields, transform = never_null)]
pub struct Webhook {
    /// Where Datadog sends the call: `http(s)://…`, or `${env:NAME}`.
    #[schemars(regex(pattern = URL))]
    pub url: String,
    /// Any YAML value, sent as JSON; omit for Datadog's default.
    pub payload: Option<serde_json::Value>,
    /// HTTP headers sent with the call, by name.
    pub custom_headers: Option<BTreeMap<String, String>>,
    /// How the payload is encoded: `json` or `form`.
    #[schemars(extend("enum" = ["json", "form"], "default" = "json"))]
    pub encode_as: Option<String>,
    /// The name this webhook had, so that the plan renames it instead of replacing it.
    #[schemars(regex(pattern = OBJECT_NAME))]
    pub renamed_from: Option<String>,
}

/// A managed block in the messages of the selected monitors, or (`delivery: rule`) a
/// monitor notification rule.
#[derive(Debug, Clone, JsonSchema)]
#[schemars(deny_unknown_fields, transform = never_null, transform = delivery_rules)]
pub struct Block {
    /// Which monitors the block applies to.
    pub monitors: Selector,
    /// A webhook pair: its alert webhook on `is_alert`, its recovery webhook on
    /// `is_recovery` (and warning, no data when the pair has them).
    pub pair: Option<String>,
    /// Handles notified on each condition (`is_alert`, `^is_warning`, `is_priority 'P1'`,
    /// …).
    #[schemars(extend("propertyNames" = {"pattern": transforms::CONDITION_PATTERN}))]
    pub notify: Option<BTreeMap<String, Handles>>,
    /// `delivery: rule` only: the rule's plain recipients, notified on every notification
    /// (instead of conditions).
    pub always: Option<Handles>,
    /// `delivery: rule` only: the rule's fallback recipients, notified when none of its
    /// conditions applied.
    pub otherwise: Option<Handles>,
    /// Free text written into the block (`delivery: message` only).
    pub text: Option<String>,
    /// `message`: a managed block in each monitor's message; `rule`: a monitor notification
    /// rule (selects by tags or scope; `is_alert`, `is_recovery`, `is_warning`,
    /// `is_no_data`, `is_priority` only).
    #[schemars(extend("enum" = Delivery::NAMES, "default" = Delivery::NAMES[0]))]
    pub delivery: Option<String>,
}

/// A block's monitors: with `delivery: message` those with any of the `ids`, all the `tags`
/// or the `name` (the union); with `delivery: rule` those with all the `tags`, or the
/// `scope`.
#[derive(Debug, Clone, JsonSchema)]
#[schemars(
    deny_unknown_fields,
    transform = never_null,
    extend("minProperties" = 1)
)]
pub struct Selector {
    /// Monitor ids.
    pub ids: Option<Vec<i64>>,
    /// Monitor tags, all of which a monitor must have.
    pub tags: Option<Vec<String>>,
    /// A monitor name pattern.
    #[schemars(length(min = 1))]
    pub name: Option<String>,
    /// An event-search expression over the monitors' tags (`delivery: rule` only), e.g.
    /// `team:checkout AND NOT env:dev`.
    #[schemars(length(min = 1, max = MAX_SCOPE_CHARS))]
    pub scope: Option<String>,
}

/// Handles to notify: a list, or one string of handles separated by spaces.
#[derive(Debug, Clone, JsonSchema)]
#[schemars(untagged)]
pub enum Handles {
    /// A list of handles, e.g. `["@slack-ops", "@webhook-deploys"]`.
    List(#[schemars(length(min = 1), inner(regex(pattern = HANDLE)))] Vec<String>),
    /// Handles in one string, separated by spaces: `"@slack-ops @webhook-deploys"`.
    Words(#[schemars(regex(pattern = HANDLE_WORDS))] String),
}

/// A free-layout dashboard ddhooks owns whole: one Check status widget per pair, counting
/// its monitors by status.
#[derive(Debug, Clone, JsonSchema)]
#[schemars(deny_unknown_fields, transform = never_null)]
pub struct Board {
    /// The dashboard's title, unique among boards (adoption goes by it).
    #[schemars(regex(pattern = NOT_BLANK))]
    pub title: String,
    /// The dashboard's description.
    pub description: Option<String>,
    /// The pairs, one widget each, in order, two to a row.
    #[schemars(
        length(min = 1),
        inner(regex(pattern = OBJECT_NAME)),
        extend("uniqueItems" = true)
    )]
    pub pairs: Vec<String>,
    /// The check runs every widget counts: those with all these tags.
    #[schemars(extend("default" = ["*"]))]
    pub tags: Option<Vec<String>>,
}

/// An OAuth2 client-credentials auth method of the Webhooks integration, named in Datadog
/// by its key.
#[derive(Debug, Clone, JsonSchema)]
#[schemars(deny_unknown_fields, transform = never_null)]
pub struct AuthMethod {
    /// The token endpoint the client credentials are sent to.
    #[schemars(regex(pattern = TOKEN_URL))]
    pub access_token_url: String,
    /// The OAuth2 client id.
    #[schemars(regex(pattern = NOT_BLANK))]
    pub client_id: String,
    /// A `${env:NAME}` reference: Datadog never returns it, ddhooks keeps a salted
    /// fingerprint and shows it as (sensitive).
    #[schemars(regex(pattern = ENV_REFERENCE))]
    pub client_secret: String,
    /// The token's audience, when the endpoint wants one.
    pub audience: Option<String>,
    /// The scope asked for, when the endpoint wants one.
    pub scope: Option<String>,
}

/// What must hold of routing: checked by `ddhooks test` and by every plan. Names `monitors`
/// or `given`, a transition, and at least one expectation; `nobody: true` with nothing that
/// expects a recipient.
#[derive(Debug, Clone, JsonSchema)]
#[schemars(
    deny_unknown_fields,
    transform = never_null,
    extend(
        "oneOf" = [{"required": ["monitors"]}, {"required": ["given"]}],
        "anyOf" = [
            {"required": ["includes"]}, {"required": ["excludes"]}, {"required": ["exactly"]},
            {"required": ["nobody"]}, {"required": ["somebody"]}
        ],
        "if" = {"required": ["nobody"]},
        "then" = {"not": {"anyOf": [{"required": ["includes"]}, {"required": ["somebody"]}]}}
    )
)]
pub struct RoutingTest {
    /// Monitors of the org, selected as a notification block selects them.
    pub monitors: Option<TestSelector>,
    /// A monitor described here: the blocks and rules that would select it apply to it,
    /// without Datadog.
    pub given: Option<Given>,
    /// The transition the monitors go through.
    #[schemars(extend("enum" = SampleTransition::ALL.map(SampleTransition::name)))]
    pub transition: String,
    /// Handles that must be notified.
    pub includes: Option<TestHandles>,
    /// Handles that must not be notified.
    pub excludes: Option<TestHandles>,
    /// The handles notified, no more and no less.
    pub exactly: Option<TestHandles>,
    /// Nobody is notified.
    #[schemars(extend("const" = true))]
    pub nobody: Option<bool>,
    /// Somebody is notified.
    #[schemars(extend("const" = true))]
    pub somebody: Option<bool>,
}

/// A routing test's monitors of the org: those with any of the `ids`, all the `tags`, the
/// `name` or the `scope`.
#[derive(Debug, Clone, JsonSchema)]
#[schemars(
    deny_unknown_fields,
    transform = never_null,
    extend("minProperties" = 1)
)]
pub struct TestSelector {
    /// Monitor ids, or one id.
    pub ids: Option<MonitorIds>,
    /// Monitor tags, all of which a monitor must have.
    pub tags: Option<Vec<String>>,
    /// A monitor name pattern.
    #[schemars(length(min = 1))]
    pub name: Option<String>,
    /// An event-search expression over the monitors' tags, as a rule's filter.
    pub scope: Option<String>,
}

/// Monitor ids: a list, or one id.
#[derive(Debug, Clone, JsonSchema)]
#[schemars(untagged)]
pub enum MonitorIds {
    /// Several monitors.
    List(Vec<i64>),
    /// One monitor.
    One(i64),
}

/// A monitor described in a routing test.
#[derive(Debug, Clone, JsonSchema)]
#[schemars(deny_unknown_fields, transform = never_null)]
pub struct Given {
    /// The monitor's name.
    pub name: Option<String>,
    /// The monitor's tags.
    pub tags: Option<Vec<String>>,
    /// The monitor's priority.
    pub priority: Option<Priority>,
    /// The monitor's message.
    pub message: Option<String>,
}

/// A monitor priority: 1 to 5, or `P1` to `P5`.
#[derive(Debug, Clone, JsonSchema)]
#[schemars(untagged)]
pub enum Priority {
    /// 1 (highest) to 5.
    Number(#[schemars(range(min = 1, max = 5))] u8),
    /// `P1` (highest) to `P5`.
    Name(#[schemars(regex(pattern = PRIORITY_NAME))] String),
}

/// The handles a routing test expects: a list, or one string of handles separated by
/// spaces.
#[derive(Debug, Clone, JsonSchema)]
#[schemars(untagged)]
pub enum TestHandles {
    /// A list of handles.
    List(#[schemars(inner(regex(pattern = TEST_HANDLE)))] Vec<String>),
    /// Handles in one string, separated by spaces.
    Words(#[schemars(regex(pattern = HANDLE_WORDS))] String),
}
