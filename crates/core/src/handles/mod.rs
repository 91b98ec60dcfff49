//! Notification handles checked against the org: which kind each `@…` handle is, what must
//! be looked up to know whether it names something ([`HandleQuery`]: one entry per distinct
//! name or list, never one per mention), and what the org answered ([`HandleDirectory`]).
//!
//! Pure: the lookups themselves are the Datadog client's (`ddhooks_datadog::handles`).

use std::collections::{BTreeMap, BTreeSet};

/// What must be asked of the org to check a set of handles: each distinct name or list once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HandleQuery {
    /// Webhooks no manifest declares, by name (`GET …/webhooks/{name}`).
    pub webhooks: BTreeSet<String>,
    /// Slack accounts whose channels to list: every prefix of a `@slack-…` handle that may
    /// be its account (no endpoint lists the accounts; a 404 says there is no such one).
    pub slack_accounts: BTreeSet<String>,
    /// PagerDuty services, by name (v1 has no list: one `GET` per name).
    pub pagerduty_services: BTreeSet<String>,
    /// Whether to list the Opsgenie services (`GET /api/v2/integration/opsgenie/services`).
    pub opsgenie: bool,
    /// Whether to list the Microsoft Teams handles (tenant-based and workflow webhooks).
    pub ms_teams: bool,
    /// Whether to list the Datadog teams (`GET /api/v2/team`, paged).
    pub teams: bool,
    /// Email addresses to look up among the active users, one `GET /api/v2/users` each.
    pub users: BTreeSet<String>,
}

impl HandleQuery {
    /// Whether nothing is to be asked.
    pub fn is_empty(&self) -> bool {
        *self == HandleQuery::default()
    }
}

/// The org's answer to one name: it exists, it does not, or the key may not read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Presence {
    /// The org has it.
    Found,
    /// The org does not have it (404, or absent from the answer).
    Missing,
    /// The key may not read it (403): the check of this kind is skipped.
    Forbidden {
        /// The permission the key lacks, as Datadog names it (e.g. `integrations_read`).
        permission: String,
    },
}

/// The org's answer to one list: its names, no such list (a Slack account the org does not
/// have), or the key may not read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listing {
    /// The names it holds, as handles spell them (Slack channels without `#`).
    Names(BTreeSet<String>),
    /// There is no such list (404).
    Missing,
    /// The key may not read it (403): the check of this kind is skipped.
    Forbidden {
        /// The permission the key lacks.
        permission: String,
    },
}

/// What the org answered to a [`HandleQuery`]. A name or list not asked is absent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HandleDirectory {
    /// Webhooks by name.
    pub webhooks: BTreeMap<String, Presence>,
    /// Slack channels by account.
    pub slack_accounts: BTreeMap<String, Listing>,
    /// PagerDuty services by name.
    pub pagerduty_services: BTreeMap<String, Presence>,
    /// The Opsgenie services' names, if asked.
    pub opsgenie: Option<Listing>,
    /// The Microsoft Teams handles' names, if asked.
    pub ms_teams: Option<Listing>,
    /// The Datadog teams' handles, if asked.
    pub teams: Option<Listing>,
    /// Active users by email (lowercase).
    pub users: BTreeMap<String, Presence>,
}

impl HandleDirectory {
    /// Adds what a second round of lookups answered.
    pub fn merge(&mut self, other: HandleDirectory) {
        self.webhooks.extend(other.webhooks);
        self.slack_accounts.extend(other.slack_accounts);
        self.pagerduty_services.extend(other.pagerduty_services);
        self.users.extend(other.users);
        if other.opsgenie.is_some() {
            self.opsgenie = other.opsgenie;
        }
        if other.ms_teams.is_some() {
            self.ms_teams = other.ms_teams;
        }
        if other.teams.is_some() {
            self.teams = other.teams;
        }
    }
}

mod check;
mod kind;
mod resolve;

pub use check::{
    check, hold_blocks, judge, known_webhooks, HandleFindings, HandlesToCheck, TextMention,
    Verdicts,
};
pub use kind::{slack_splits, HandleKind};
pub use resolve::{lookups, resolve, Resolution};
