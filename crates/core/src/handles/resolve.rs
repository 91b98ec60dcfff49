//! From handles to lookups, and from the org's answers to a verdict on each handle.

use super::kind::{slack_splits, HandleKind};
use super::{HandleDirectory, HandleQuery, Listing, Presence};
use std::collections::BTreeSet;

/// Slack accounts tried per handle at most (a handle with more dashes is checked against
/// its first readings only).
const MAX_SLACK_SPLITS: usize = 8;

/// What the org says of one handle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// It names something the org has.
    Known,
    /// It names nothing the org has.
    Unknown {
        /// Why, as a reader says it (`Slack account main has no channel #x`).
        why: String,
        /// The closest handle the org has, when one is close.
        did_you_mean: Option<String>,
    },
    /// Its kind is not checked (`@workflow-…`), or what it names cannot be told.
    NotChecked {
        /// Why.
        why: String,
    },
    /// The key may not read that integration: its handles are not checked.
    Forbidden {
        /// The integration.
        integration: &'static str,
        /// The permission the key lacks.
        permission: String,
    },
}

/// What must still be asked of the org to check `handles` (without `@`), given what it
/// answered already (`known`): each webhook, PagerDuty service and user once, each list
/// once; for Slack, the next account reading of each handle not yet settled (shortest
/// account first). Empty when every handle can be judged.
pub fn lookups<'h>(
    handles: impl IntoIterator<Item = &'h str>,
    webhooks: &BTreeSet<String>,
    known: &HandleDirectory,
) -> HandleQuery {
    let mut query = HandleQuery::default();
    for handle in handles {
        match HandleKind::of(handle) {
            HandleKind::Webhook(name) => {
                if !webhooks.contains(name) && !known.webhooks.contains_key(name) {
                    query.webhooks.insert(name.to_string());
                }
            }
            HandleKind::Slack(rest) => {
                if let Some(account) = next_slack_account(rest, known) {
                    query.slack_accounts.insert(account.to_string());
                }
            }
            HandleKind::PagerDuty(name) => {
                if !known.pagerduty_services.contains_key(name) {
                    query.pagerduty_services.insert(name.to_string());
                }
            }
            HandleKind::Opsgenie(_) => query.opsgenie |= known.opsgenie.is_none(),
            HandleKind::MsTeams(_) => query.ms_teams |= known.ms_teams.is_none(),
            HandleKind::Team(_) => query.teams |= known.teams.is_none(),
            HandleKind::Email(email) => {
                let email = email.to_ascii_lowercase();
                if !known.users.contains_key(&email) {
                    query.users.insert(email);
                }
            }
            HandleKind::Unchecked(_) => {}
        }
    }
    query
}

/// The next Slack account to ask about for `@slack-REST`: the shortest reading not yet
/// asked, unless an account already asked has the channel, or forbids reading.
fn next_slack_account<'r>(rest: &'r str, known: &HandleDirectory) -> Option<&'r str> {
    for (account, channel) in slack_splits(rest).take(MAX_SLACK_SPLITS) {
        match known.slack_accounts.get(account) {
            None => return Some(account),
            Some(Listing::Names(channels)) if has(channels, channel) => return None,
            Some(Listing::Forbidden { .. }) => return None,
            Some(_) => {}
        }
    }
    None
}

/// Whether `names` holds `name`, ASCII case-insensitively (Slack, Teams and Opsgenie
/// names are matched so).
fn has(names: &BTreeSet<String>, name: &str) -> bool {
    names.contains(name) || names.iter().any(|n| n.eq_ignore_ascii_case(name))
}

/// The verdict on `handle` (without `@`) from what the org answered; a handle whose lookup
/// was not asked is [`Resolution::NotChecked`].
pub fn resolve(handle: &str, webhooks: &BTreeSet<String>, dir: &HandleDirectory) -> Resolution {
    let kind = HandleKind::of(handle);
    let not_asked = || Resolution::NotChecked {
        why: format!("{} handles were not looked up", kind.integration()),
    };
    match &kind {
        HandleKind::Webhook(name) => {
            if webhooks.contains(*name) {
                return Resolution::Known;
            }
            match dir.webhooks.get(*name) {
                Some(p) => presence(p, &kind, || {
                    format!("the org has no webhook named `{name}`")
                }),
                None => not_asked(),
            }
        }
        HandleKind::Slack(rest) => resolve_slack(rest, dir),
        HandleKind::PagerDuty(name) => match dir.pagerduty_services.get(*name) {
            Some(p) => presence(p, &kind, || {
                format!("the PagerDuty integration has no service named `{name}`")
            }),
            None => not_asked(),
        },
        HandleKind::Opsgenie(name) => {
            listed(dir.opsgenie.as_ref(), &kind, name, "opsgenie-").unwrap_or_else(not_asked)
        }
        HandleKind::MsTeams(name) => {
            listed(dir.ms_teams.as_ref(), &kind, name, "teams-").unwrap_or_else(not_asked)
        }
        HandleKind::Team(name) => {
            listed(dir.teams.as_ref(), &kind, name, "team-").unwrap_or_else(not_asked)
        }
        HandleKind::Email(email) => match dir.users.get(&email.to_ascii_lowercase()) {
            Some(p) => presence(p, &kind, || {
                format!("the org has no active user with email `{email}`")
            }),
            None => not_asked(),
        },
        HandleKind::Unchecked(prefix) => Resolution::NotChecked {
            why: format!("`@{prefix}-` handles are not checked"),
        },
    }
}

/// The verdict from a name's presence.
fn presence(p: &Presence, kind: &HandleKind<'_>, why: impl FnOnce() -> String) -> Resolution {
    match p {
        Presence::Found => Resolution::Known,
        Presence::Missing => Resolution::Unknown {
            why: why(),
            did_you_mean: None,
        },
        Presence::Forbidden { permission } => Resolution::Forbidden {
            integration: kind.integration(),
            permission: permission.clone(),
        },
    }
}

/// The verdict from a list of names (`prefix` spells a name as a handle, without `@`).
fn listed(
    listing: Option<&Listing>,
    kind: &HandleKind<'_>,
    name: &str,
    prefix: &str,
) -> Option<Resolution> {
    Some(match listing? {
        Listing::Names(names) if has(names, name) => Resolution::Known,
        Listing::Names(names) => Resolution::Unknown {
            why: match kind {
                HandleKind::Team(_) => format!("the org has no team with handle `{name}`"),
                HandleKind::Opsgenie(_) => {
                    format!("the Opsgenie integration has no service named `{name}`")
                }
                _ => format!(
                    "the {} integration has no handle `{name}`",
                    kind.integration()
                ),
            },
            did_you_mean: closest(name, names.iter().map(String::as_str))
                .map(|n| format!("{prefix}{n}")),
        },
        Listing::Missing => Resolution::Unknown {
            why: format!("the {} integration is not set up", kind.integration()),
            did_you_mean: None,
        },
        Listing::Forbidden { permission } => Resolution::Forbidden {
            integration: kind.integration(),
            permission: permission.clone(),
        },
    })
}

/// The verdict on `@slack-REST`: known when an account the org has holds the channel
/// (`@slack-ACCOUNT-CHANNEL`); otherwise unknown, with the closest channel of the accounts
/// it may mean.
fn resolve_slack(rest: &str, dir: &HandleDirectory) -> Resolution {
    let mut found_accounts: Vec<(&str, &BTreeSet<String>)> = Vec::new();
    let mut missing_accounts: Vec<&str> = Vec::new();
    let mut asked_all = true;
    for (account, channel) in slack_splits(rest).take(MAX_SLACK_SPLITS) {
        match dir.slack_accounts.get(account) {
            Some(Listing::Names(channels)) if has(channels, channel) => return Resolution::Known,
            Some(Listing::Names(channels)) => found_accounts.push((account, channels)),
            Some(Listing::Missing) => missing_accounts.push(account),
            Some(Listing::Forbidden { permission }) => {
                return Resolution::Forbidden {
                    integration: "Slack",
                    permission: permission.clone(),
                }
            }
            None => asked_all = false,
        }
    }
    if !found_accounts.is_empty() {
        let candidates = found_accounts
            .iter()
            .flat_map(|(account, channels)| channels.iter().map(move |c| format!("{account}-{c}")));
        let candidates: Vec<String> = candidates.collect();
        let (account, channel) = slack_splits(rest)
            .find(|(a, _)| found_accounts.iter().any(|(f, _)| f == a))
            .unwrap_or((rest, ""));
        return Resolution::Unknown {
            why: format!("Slack account `{account}` has no channel `#{channel}`"),
            did_you_mean: closest(rest, candidates.iter().map(String::as_str))
                .map(|c| format!("slack-{c}")),
        };
    }
    // `@slack-CHANNEL` names a channel of the org's only account: look for it among the
    // accounts other handles named.
    let listed: Vec<(&str, &BTreeSet<String>)> = dir
        .slack_accounts
        .iter()
        .filter_map(|(account, listing)| match listing {
            Listing::Names(channels) => Some((account.as_str(), channels)),
            _ => None,
        })
        .collect();
    if listed.iter().any(|(_, channels)| has(channels, rest)) {
        return Resolution::Known;
    }
    if listed.is_empty() || !asked_all {
        return Resolution::NotChecked {
            why: format!(
                "the Slack account of `@slack-{rest}` cannot be told (write `@slack-ACCOUNT-CHANNEL`)"
            ),
        };
    }
    let accounts: Vec<String> = missing_accounts.iter().map(|a| format!("`{a}`")).collect();
    let why = if accounts.is_empty() {
        format!("no Slack account has a channel `#{rest}`")
    } else {
        format!(
            "the Slack integration has no account {}, and no account has a channel `#{rest}`",
            accounts.join(" or ")
        )
    };
    let candidates: Vec<String> = listed
        .iter()
        .flat_map(|(account, channels)| channels.iter().map(move |c| format!("{account}-{c}")))
        .collect();
    Resolution::Unknown {
        why,
        did_you_mean: closest(rest, candidates.iter().map(String::as_str))
            .map(|c| format!("slack-{c}")),
    }
}

/// The candidate closest to `word`, when one is close enough to suggest.
fn closest<'c>(word: &str, candidates: impl Iterator<Item = &'c str>) -> Option<&'c str> {
    let word = word.to_ascii_lowercase();
    candidates
        .map(|c| (strsim::jaro_winkler(&word, &c.to_ascii_lowercase()), c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn names(list: &[&str]) -> Listing {
        Listing::Names(list.iter().map(|s| s.to_string()).collect())
    }

    fn no_webhooks() -> BTreeSet<String> {
        BTreeSet::new()
    }

    #[test]
    fn each_name_and_list_is_asked_once_however_often_it_is_mentioned() {
        let handles = [
            "slack-main-checkout-alerts",
            "slack-main-payments",
            "pagerduty-checkout",
            "pagerduty-checkout",
            "opsgenie-db",
            "opsgenie-web",
            "team-sre",
            "teams-ops",
            "Alice@Example.com",
            "alice@example.com",
            "webhook-declared",
            "webhook-elsewhere",
            "workflow-restart",
        ];
        let declared: BTreeSet<String> = ["declared".to_string()].into();
        let query = lookups(handles, &declared, &HandleDirectory::default());
        assert_eq!(query.slack_accounts, BTreeSet::from(["main".to_string()]));
        assert_eq!(query.pagerduty_services.len(), 1);
        assert!(query.opsgenie && query.teams && query.ms_teams);
        assert_eq!(
            query.users,
            BTreeSet::from(["alice@example.com".to_string()])
        );
        assert_eq!(query.webhooks, BTreeSet::from(["elsewhere".to_string()]));
    }

    #[test]
    fn a_slack_channel_missing_from_its_account_asks_the_next_reading_then_suggests() {
        let handle = "slack-main-checkout-alerst";
        let mut dir = HandleDirectory::default();
        let first = lookups([handle], &no_webhooks(), &dir);
        assert_eq!(first.slack_accounts, BTreeSet::from(["main".to_string()]));
        dir.slack_accounts
            .insert("main".into(), names(&["checkout-alerts", "general"]));
        let second = lookups([handle], &no_webhooks(), &dir);
        assert_eq!(
            second.slack_accounts,
            BTreeSet::from(["main-checkout".to_string()])
        );
        dir.slack_accounts
            .insert("main-checkout".into(), Listing::Missing);
        assert!(lookups([handle], &no_webhooks(), &dir).is_empty());
        match resolve(handle, &no_webhooks(), &dir) {
            Resolution::Unknown { why, did_you_mean } => {
                assert_eq!(did_you_mean.as_deref(), Some("slack-main-checkout-alerts"));
                assert!(why.contains("`main`"), "{why}");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            resolve("slack-main-checkout-alerts", &no_webhooks(), &dir),
            Resolution::Known
        );
        // A settled handle asks nothing more.
        assert!(lookups(["slack-main-general"], &no_webhooks(), &dir).is_empty());
    }

    #[test]
    fn an_account_with_a_dash_is_found_at_a_longer_reading() {
        let dir = HandleDirectory {
            slack_accounts: BTreeMap::from([
                ("eu".to_string(), Listing::Missing),
                ("eu-main".to_string(), names(&["alerts"])),
            ]),
            ..HandleDirectory::default()
        };
        assert_eq!(
            resolve("slack-eu-main-alerts", &no_webhooks(), &dir),
            Resolution::Known
        );
    }

    #[test]
    fn a_channel_without_its_account_is_looked_for_in_the_known_accounts() {
        let mut dir = HandleDirectory::default();
        assert!(matches!(
            resolve("slack-oncall", &no_webhooks(), &dir),
            Resolution::NotChecked { .. }
        ));
        dir.slack_accounts.insert("main".into(), names(&["oncall"]));
        assert_eq!(
            resolve("slack-oncall", &no_webhooks(), &dir),
            Resolution::Known
        );
        dir.slack_accounts
            .insert("checkout".into(), Listing::Missing);
        assert!(matches!(
            resolve("slack-checkout-alerts", &no_webhooks(), &dir),
            Resolution::Unknown { .. }
        ));
    }

    #[test]
    fn forbidden_lists_skip_the_check_and_missing_names_are_unknown() {
        let dir = HandleDirectory {
            pagerduty_services: BTreeMap::from([
                ("checkout".to_string(), Presence::Found),
                ("nosuch".to_string(), Presence::Missing),
            ]),
            opsgenie: Some(Listing::Forbidden {
                permission: "integrations_read".into(),
            }),
            teams: Some(names(&["sre", "payments"])),
            users: BTreeMap::from([("alice@example.com".to_string(), Presence::Found)]),
            ..HandleDirectory::default()
        };
        let w = no_webhooks();
        assert_eq!(resolve("pagerduty-checkout", &w, &dir), Resolution::Known);
        assert!(matches!(
            resolve("pagerduty-nosuch", &w, &dir),
            Resolution::Unknown { .. }
        ));
        assert_eq!(
            resolve("opsgenie-db", &w, &dir),
            Resolution::Forbidden {
                integration: "Opsgenie",
                permission: "integrations_read".into()
            }
        );
        assert_eq!(resolve("team-SRE", &w, &dir), Resolution::Known);
        assert_eq!(
            resolve("team-paymens", &w, &dir),
            Resolution::Unknown {
                why: "the org has no team with handle `paymens`".into(),
                did_you_mean: Some("team-payments".into())
            }
        );
        assert_eq!(resolve("ALICE@example.com", &w, &dir), Resolution::Known);
        assert!(matches!(
            resolve("workflow-x", &w, &dir),
            Resolution::NotChecked { .. }
        ));
        assert!(matches!(
            resolve("teams-ops", &w, &dir),
            Resolution::NotChecked { .. }
        ));
    }
}
