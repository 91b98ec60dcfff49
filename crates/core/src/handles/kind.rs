//! What a handle names, read from its prefix as Datadog reads it.

use std::fmt;

/// A notification handle (the text after `@`), by the integration that delivers it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HandleKind<'a> {
    /// `@webhook-NAME`: a webhook of the Webhooks integration.
    Webhook(&'a str),
    /// `@slack-[ACCOUNT-]CHANNEL`: the rest after `slack-` (which dash ends the account
    /// cannot be told without asking the org).
    Slack(&'a str),
    /// `@pagerduty-SERVICE`.
    PagerDuty(&'a str),
    /// `@opsgenie-SERVICE`.
    Opsgenie(&'a str),
    /// `@teams-HANDLE`: a Microsoft Teams handle.
    MsTeams(&'a str),
    /// `@team-HANDLE`: a Datadog team.
    Team(&'a str),
    /// `@user@domain`: a Datadog user, by email.
    Email(&'a str),
    /// Any other kind (`@workflow-`, `@case-`, `@jira-`, `@oncall-`, …): not checked.
    Unchecked(&'a str),
}

impl<'a> HandleKind<'a> {
    /// The kind of `handle` (with or without its `@`).
    pub fn of(handle: &'a str) -> HandleKind<'a> {
        let handle = handle.strip_prefix('@').unwrap_or(handle);
        let prefixed = |prefix: &str| {
            handle
                .get(..prefix.len())
                .filter(|p| p.eq_ignore_ascii_case(prefix))
                .map(|_| &handle[prefix.len()..])
                .filter(|rest| !rest.is_empty())
        };
        if handle.contains('@') {
            return HandleKind::Email(handle);
        }
        if let Some(rest) = prefixed("webhook-") {
            HandleKind::Webhook(rest)
        } else if let Some(rest) = prefixed("slack-") {
            HandleKind::Slack(rest)
        } else if let Some(rest) = prefixed("pagerduty-") {
            HandleKind::PagerDuty(rest)
        } else if let Some(rest) = prefixed("opsgenie-") {
            HandleKind::Opsgenie(rest)
        } else if let Some(rest) = prefixed("teams-") {
            HandleKind::MsTeams(rest)
        } else if let Some(rest) = prefixed("team-") {
            HandleKind::Team(rest)
        } else {
            HandleKind::Unchecked(handle.split('-').next().unwrap_or(handle))
        }
    }

    /// The integration's name as a reader knows it.
    pub fn integration(&self) -> &'static str {
        match self {
            HandleKind::Webhook(_) => "Webhooks",
            HandleKind::Slack(_) => "Slack",
            HandleKind::PagerDuty(_) => "PagerDuty",
            HandleKind::Opsgenie(_) => "Opsgenie",
            HandleKind::MsTeams(_) => "Microsoft Teams",
            HandleKind::Team(_) => "Datadog Teams",
            HandleKind::Email(_) => "Users",
            HandleKind::Unchecked(_) => "other",
        }
    }
}

impl fmt::Display for HandleKind<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.integration())
    }
}

/// The Slack (account, channel) readings of `rest` (what follows `@slack-`): each dash may
/// end the account, shortest account first.
pub fn slack_splits(rest: &str) -> impl Iterator<Item = (&str, &str)> {
    rest.match_indices('-')
        .map(move |(i, _)| (&rest[..i], &rest[i + 1..]))
        .filter(|(account, channel)| !account.is_empty() && !channel.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_read_from_the_prefix() {
        for (text, kind) in [
            (
                "@webhook-g-alert-check",
                HandleKind::Webhook("g-alert-check"),
            ),
            ("slack-main-checkout", HandleKind::Slack("main-checkout")),
            ("@pagerduty-Checkout", HandleKind::PagerDuty("Checkout")),
            ("@opsgenie-db", HandleKind::Opsgenie("db")),
            ("@teams-sre", HandleKind::MsTeams("sre")),
            ("@team-sre", HandleKind::Team("sre")),
            ("@alice@example.com", HandleKind::Email("alice@example.com")),
            ("@workflow-restart", HandleKind::Unchecked("workflow")),
            ("@case-ops", HandleKind::Unchecked("case")),
            // A prefix alone names nothing in its integration.
            ("@slack-", HandleKind::Unchecked("slack")),
        ] {
            assert_eq!(HandleKind::of(text), kind, "{text}");
        }
    }

    #[test]
    fn slack_handles_split_at_each_dash() {
        let splits: Vec<_> = slack_splits("main-checkout-alerts").collect();
        assert_eq!(
            splits,
            [("main", "checkout-alerts"), ("main-checkout", "alerts")]
        );
        assert_eq!(slack_splits("oncall").count(), 0);
        assert_eq!(slack_splits("-x").count(), 0);
    }
}
