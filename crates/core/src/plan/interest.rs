//! Which monitors the planner needs to see. An org may hold 100,000 monitors while the
//! manifests concern a few thousand: the fetch keeps only the monitors a block or a rule
//! selects, and those whose message mentions a webhook or carries a ddhooks marker (their
//! blocks may need removing, their mentions hold deletes back), and those a routing test
//! selects (the plan checks them). For every other monitor the
//! plan would be the same without it, so it need not be kept in memory.

use crate::model::{Desired, MonitorSelector, RuleFilter};
use crate::scope::Scope;
use std::collections::BTreeSet;

/// The selectors of the desired state, prepared once to test every listed monitor.
#[derive(Debug, Clone)]
pub struct MonitorInterest {
    selectors: Vec<MonitorSelector>,
    tag_filters: Vec<RuleFilter>,
    scopes: Vec<Scope>,
    /// Keep every monitor (a scope that does not parse: the planner reports it).
    everything: bool,
    /// Keep exactly these monitors, whatever they hold (apply's freshness check).
    only: Option<BTreeSet<i64>>,
}

/// Text whose presence in a message makes the monitor matter to the planner whatever
/// selects it: a webhook mention, or a ddhooks marker (also a damaged one).
const MARKS: [&str; 2] = ["@webhook-", "ddhooks:"];

impl MonitorInterest {
    /// The interest of `desired`.
    pub fn new(desired: &Desired) -> MonitorInterest {
        let mut interest = MonitorInterest {
            selectors: desired
                .blocks
                .values()
                .map(|b| b.monitors.clone())
                .collect(),
            tag_filters: Vec::new(),
            scopes: Vec::new(),
            everything: false,
            only: None,
        };
        // The monitors routing tests select: a plan checks them.
        for test in desired.routing_tests.values() {
            if let crate::model::TestSubject::Monitors(sel) = &test.subject {
                interest.selectors.push(sel.monitors.clone());
                if let Some(text) = &sel.scope {
                    match Scope::parse(text) {
                        Ok(scope) => interest.scopes.push(scope),
                        Err(_) => interest.everything = true,
                    }
                }
            }
        }
        for rule in desired.notification_rules.values() {
            match &rule.filter {
                RuleFilter::Tags(_) => interest.tag_filters.push(rule.filter.clone()),
                RuleFilter::Scope(text) => match Scope::parse(text) {
                    Ok(scope) => interest.scopes.push(scope),
                    Err(_) => interest.everything = true,
                },
            }
        }
        interest
    }

    /// Keeps every monitor (import, preview, tests).
    pub fn everything() -> MonitorInterest {
        MonitorInterest {
            selectors: Vec::new(),
            tag_filters: Vec::new(),
            scopes: Vec::new(),
            everything: true,
            only: None,
        }
    }

    /// Keeps exactly the monitors `ids` (apply reads again only the monitors it writes, so
    /// that a new listing of 100,000 monitors holds a few thousand).
    pub fn only(ids: BTreeSet<i64>) -> MonitorInterest {
        MonitorInterest {
            only: Some(ids),
            ..MonitorInterest::everything()
        }
    }

    /// Whether the planner needs this monitor.
    pub fn wants(&self, id: i64, name: &str, tags: &[String], message: &str) -> bool {
        if let Some(ids) = &self.only {
            return ids.contains(&id);
        }
        self.everything
            || MARKS.iter().any(|mark| message.contains(mark))
            || self.selectors.iter().any(|s| s.matches(id, name, tags))
            || self
                .tag_filters
                .iter()
                .any(|f| crate::template::rules::filter_matches(f, tags))
            || self.scopes.iter().any(|s| s.matches(tags))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::{self, LoadOptions, Source};

    fn desired(yaml: &str) -> Desired {
        let options =
            LoadOptions::default().with_env_map([("K".to_string(), "v".to_string())].into());
        let source = Source {
            path: "m.yaml".into(),
            text: yaml.to_string(),
        };
        manifest::load_sources(&[source], &options)
            .expect("valid")
            .desired
    }

    #[test]
    fn keeps_what_a_block_or_a_rule_selects_and_what_mentions_a_webhook() {
        let d = desired(
            "webhook_pairs:\n  g: {check: g.status}\n  r: {check: r.status}\ncustom_variables:\n  DD_API_KEY: {value: \"${env:K}\", secret: true}\nmonitor_notifications:\n  g: {monitors: {tags: [\"team:a\"]}, pair: g}\n  byid: {monitors: {ids: [42]}, pair: g}\n  r: {monitors: {tags: [\"team:r\"]}, pair: r, delivery: rule}\n",
        );
        let interest = MonitorInterest::new(&d);
        let tags = |t: &[&str]| t.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(interest.wants(1, "x", &tags(&["team:a", "env:prod"]), "text"));
        assert!(interest.wants(42, "x", &[], "text"));
        assert!(interest.wants(2, "x", &tags(&["team:r"]), "text"));
        assert!(interest.wants(3, "x", &[], "ping @webhook-old-alert-check"));
        assert!(interest.wants(4, "x", &[], "{{!-- ddhooks:begin gone --}}"));
        assert!(!interest.wants(5, "x", &tags(&["team:b"]), "@slack-ops only"));
        assert!(MonitorInterest::everything().wants(5, "x", &[], ""));
    }

    /// Apply's freshness check keeps exactly the monitors it writes, whatever they hold.
    #[test]
    fn only_keeps_exactly_the_ids_given() {
        let interest = MonitorInterest::only(BTreeSet::from([7, 9]));
        assert!(interest.wants(7, "x", &[], "plain"));
        assert!(interest.wants(9, "x", &[], ""));
        assert!(!interest.wants(8, "x", &[], "@webhook-a {{!-- ddhooks:begin g --}}"));
    }
}
