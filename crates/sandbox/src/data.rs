//! The sandbox's state as plain data ([`Data`]: what the data file holds), below the store
//! that locks and persists it and the endpoints that read and write it.

use ddhooks_datadog::wire::{Dashboard, RuleAttributes, ServiceCheck, Webhook};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};

mod monitor_table;
pub use monitor_table::{listing_array, MonitorTable};

/// Replaces `field` with `given` when there is one and keeps it otherwise: what a partial
/// write (a PUT or PATCH body, a journal record) leaves out keeps its stored value.
pub fn replace_given<T>(field: &mut T, given: Option<T>) {
    if let Some(value) = given {
        *field = value;
    }
}

/// What a secret variable's value becomes in the data file and its journal: a value read
/// from `${env:…}` stays in memory only.
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

/// A stored OAuth2 client-credentials auth method of the Webhooks integration, secret
/// included (the sandbox is the server: Datadog keeps it to fetch tokens, and never answers
/// it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredAuthMethod {
    /// Its name, unique in the org.
    pub name: String,
    /// Where the credentials are exchanged for a token.
    pub access_token_url: String,
    /// The OAuth2 client id.
    pub client_id: String,
    /// The OAuth2 client secret: never answered, and [`REDACTED_SECRET`] in the data file.
    pub client_secret: String,
    /// The token's audience, if any.
    pub audience: Option<String>,
    /// The token's scope, if any.
    pub scope: Option<String>,
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
    /// Format version of the whole-store file that [`write_atomically`] writes (1); the
    /// store's own snapshots carry their own version.
    pub version: u32,
    /// Webhooks and custom variables.
    #[serde(flatten)]
    pub integration: Integration,
    /// Monitors by id, each the full JSON object the API returns (and its listing answer).
    pub monitors: MonitorTable,
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
    /// Monitor notification rules (API v2) by id, each as the attributes Datadog returns.
    #[serde(default)]
    pub notification_rules: BTreeMap<String, RuleAttributes>,
    /// Dashboards (API v1) by id, each as `GET /api/v1/dashboard/{id}` returns it.
    #[serde(default)]
    pub dashboards: BTreeMap<String, Dashboard>,
    /// Webhook auth methods (API v2) by id.
    #[serde(default)]
    pub auth_methods: BTreeMap<String, StoredAuthMethod>,
    /// What notification handles can name: Slack channels, PagerDuty and Opsgenie services,
    /// Microsoft Teams handles, teams and users.
    #[serde(default)]
    pub directory: Directory,
}

impl Default for Data {
    fn default() -> Self {
        Self {
            version: 1,
            integration: Integration::default(),
            monitors: MonitorTable::default(),
            next_monitor_id: 1,
            check_runs: Vec::new(),
            monitor_states: BTreeMap::new(),
            next_event_id: 0,
            deliveries: Vec::new(),
            notification_rules: BTreeMap::new(),
            dashboards: BTreeMap::new(),
            auth_methods: BTreeMap::new(),
            directory: Directory::default(),
        }
    }
}

/// Everything the handles can name; this is what the data file holds of them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Directory {
    /// Slack accounts (set up through `POST /api/v1/integration/slack`), each with its
    /// channels by `#name` and their `display` settings.
    #[serde(default)]
    pub slack_accounts: BTreeMap<String, BTreeMap<String, Value>>,
    /// PagerDuty service names (the key is never stored).
    #[serde(default)]
    pub pagerduty_services: BTreeSet<String>,
    /// Opsgenie services by id: `name`, `region`, `custom_url` (the API key never stored).
    #[serde(default)]
    pub opsgenie_services: BTreeMap<String, Map<String, Value>>,
    /// Microsoft Teams tenant-based handles by id: `name`, `tenant_id`, `team_id`,
    /// `channel_id`.
    #[serde(default)]
    pub tenant_handles: BTreeMap<String, Map<String, Value>>,
    /// Microsoft Teams Workflows webhook handles by id: their names (the URL never stored).
    #[serde(default)]
    pub workflow_handles: BTreeMap<String, String>,
    /// Teams by id, each as `GET /api/v2/team/{id}` answers its attributes.
    #[serde(default)]
    pub teams: BTreeMap<String, Map<String, Value>>,
    /// Users by id, each as `GET /api/v2/users/{id}` answers its attributes.
    #[serde(default)]
    pub users: BTreeMap<String, Map<String, Value>>,
    /// The creation order of the named objects ([`crate::handles`]) (ids to a rising number): their listings
    /// answer in that order, as the recorded Microsoft Teams listings do.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub created: BTreeMap<String, u64>,
    /// The Microsoft Teams channels the org's tenants hold, by channel id, each with
    /// `tenant_id`, `tenant_name`, `team_id`, `team_name`, `channel_name` and `is_primary`:
    /// what Datadog reads from Microsoft, given to the sandbox through
    /// `POST /sandbox/v1/ms-teams/channels`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub ms_teams_channels: BTreeMap<String, Map<String, Value>>,
}
