//! Which monitors the planner needs to see. An org may hold 100,000 monitors while the
//! manifests concern a few thousand: the fetch keeps only the monitors a block or a rule
//! selects, and those whose message mentions a webhook or carries a ddhooks marker (their
//! blocks may need removing, their mentions hold deletes back), and those a routing test
//! selects (the plan checks them). For every other monitor the
//! plan would be the same without it, so it need not be kept in memory.

use crate::model::{Desired, MonitorSelector, RuleFilter};
use crate::scope::Scope;
use rustc_hash::FxHashMap as HashMap;
use std::collections::BTreeSet;

/// The selectors of the desired state, prepared once to test every listed monitor.
#[derive(Debug, Clone)]
pub struct MonitorInterest {
    selectors: SelectorIndex,
    tag_filters: TagFilterIndex,
    scopes: Vec<Scope>,
    /// Keep every monitor (a scope that does not parse: the planner reports it).
    everything: bool,
    /// Keep exactly these monitors, whatever they hold (apply's freshness check).
    only: Option<BTreeSet<i64>>,
    /// Keep the message only of the monitors whose message holds one of the [`MARKS`]
    /// (import): the others keep their id, name and tags.
    marked_messages_only: bool,
}

/// Text whose presence in a message makes the monitor matter to the planner whatever
/// selects it: a webhook mention, or a ddhooks marker (also a damaged one). None of their
/// characters is one JSON escapes, so a listing can look for them in a message's raw JSON
/// text without decoding it (see [`MonitorInterest::wants_by`]).
pub const MARKS: [&str; 2] = ["@webhook-", "ddhooks:"];

/// Whether `message` holds one of the [`MARKS`].
pub fn mentions_mark(message: &str) -> bool {
    MARKS.iter().any(|mark| message.contains(mark))
}

impl MonitorInterest {
    /// The interest of `desired`.
    pub fn new(desired: &Desired) -> MonitorInterest {
        let mut interest = MonitorInterest {
            everything: false,
            ..MonitorInterest::everything()
        };
        for block in desired.blocks.values() {
            interest.selectors.add(&block.monitors);
        }
        // The monitors routing tests select: a plan checks them.
        for test in desired.routing_tests.values() {
            if let crate::model::TestSubject::Monitors(sel) = &test.subject {
                interest.selectors.add(&sel.monitors);
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
                RuleFilter::Tags(tags) => interest.tag_filters.add(tags),
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
            selectors: SelectorIndex::default(),
            tag_filters: TagFilterIndex::default(),
            scopes: Vec::new(),
            everything: true,
            only: None,
            marked_messages_only: false,
        }
    }

    /// Keeps every monitor, but the message only of those that mention a webhook or hold a
    /// ddhooks marker: import reads nothing else from a message, and needs every monitor's
    /// tags only to choose selectors that select no other monitor. 100,000 monitors then
    /// hold a few megabytes, not 200.
    pub fn marked_messages() -> MonitorInterest {
        MonitorInterest {
            marked_messages_only: true,
            ..MonitorInterest::everything()
        }
    }

    /// Whether it keeps every monitor whole (a listing can then decode each page straight
    /// into owned monitors: nothing to filter).
    pub fn keeps_everything(&self) -> bool {
        self.everything && self.only.is_none() && !self.marked_messages_only
    }

    /// Whether a kept monitor keeps its message when it holds none of the [`MARKS`].
    pub fn keeps_unmarked_messages(&self) -> bool {
        !self.marked_messages_only
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
    pub fn wants<T: AsRef<str>>(&self, id: i64, name: &str, tags: &[T], message: &str) -> bool {
        self.wants_by(id, name, tags, || mentions_mark(message))
    }

    /// Whether the planner needs this monitor, its message looked at last and only through
    /// `mentions_mark` (whether it holds one of the [`MARKS`]): a listing of 100,000
    /// monitors answers it from each message's raw JSON, and decodes only the messages of
    /// the monitors it keeps.
    pub fn wants_by<T: AsRef<str>>(
        &self,
        id: i64,
        name: &str,
        tags: &[T],
        mentions_mark: impl FnOnce() -> bool,
    ) -> bool {
        if let Some(ids) = &self.only {
            return ids.contains(&id);
        }
        self.everything
            || self.selectors.matches(id, name, tags)
            || self.tag_filters.matches(tags)
            || self.scopes.iter().any(|s| s.matches(tags))
            || mentions_mark()
    }
}

/// The monitor selectors of the blocks and routing tests, indexed so that a listed monitor is
/// checked against the few that could select it, not against every one: 500 blocks checked
/// one by one against 100,000 monitors were 50 million checks per plan. Selects exactly
/// what [`MonitorSelector::matches`] selects.
#[derive(Debug, Clone, Default)]
struct SelectorIndex {
    /// Monitors selected by id.
    ids: BTreeSet<i64>,
    /// The tag sets of the selectors by tags (every tag must be present), under their
    /// first tag.
    by_first_tag: HashMap<String, Vec<Vec<String>>>,
    /// The name parts of the selectors by name.
    names: Vec<String>,
}

impl SelectorIndex {
    fn add(&mut self, selector: &MonitorSelector) {
        self.ids.extend(selector.ids.iter().copied());
        if let Some(first) = selector.tags.first() {
            self.by_first_tag
                .entry(first.clone())
                .or_default()
                .push(selector.tags.clone());
        }
        self.names.extend(selector.name.iter().cloned());
    }

    fn matches<T: AsRef<str>>(&self, id: i64, name: &str, tags: &[T]) -> bool {
        let has = |wanted: &String| tags.iter().any(|t| t.as_ref() == wanted);
        self.ids.contains(&id)
            || tags.iter().any(|tag| {
                self.by_first_tag
                    .get(tag.as_ref())
                    .is_some_and(|sets| sets.iter().any(|set| set.iter().all(has)))
            })
            || self.names.iter().any(|part| name.contains(part.as_str()))
    }
}

/// The tag filters of the notification rules, indexed like [`SelectorIndex`]: under their
/// first tag, lower-cased (a rule's tags match whatever their case, as
/// [`crate::template::filter_matches`] says).
#[derive(Debug, Clone, Default)]
struct TagFilterIndex {
    /// A filter of no tag matches every monitor.
    any: bool,
    by_first_tag: HashMap<String, Vec<Vec<String>>>,
}

impl TagFilterIndex {
    fn add(&mut self, tags: &[String]) {
        match tags.first() {
            None => self.any = true,
            Some(first) => self
                .by_first_tag
                .entry(first.to_ascii_lowercase())
                .or_default()
                .push(tags.to_vec()),
        }
    }

    fn matches<T: AsRef<str>>(&self, tags: &[T]) -> bool {
        if self.any {
            return true;
        }
        if self.by_first_tag.is_empty() {
            return false;
        }
        let has = |wanted: &String| tags.iter().any(|t| t.as_ref().eq_ignore_ascii_case(wanted));
        tags.iter().any(|tag| {
            let tag = tag.as_ref();
            // Tags are lower case as Datadog stores them: no copy unless one is not.
            let key = if tag.bytes().any(|b| b.is_ascii_uppercase()) {
                std::borrow::Cow::Owned(tag.to_ascii_lowercase())
            } else {
                std::borrow::Cow::Borrowed(tag)
            };
            self.by_first_tag
                .get(key.as_ref())
                .is_some_and(|sets| sets.iter().any(|set| set.iter().all(has)))
        })
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    /// A monitor without tags.
    const NO_TAGS: &[&str] = &[];
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
        assert!(interest.wants(42, "x", NO_TAGS, "text"));
        assert!(interest.wants(2, "x", &tags(&["team:r"]), "text"));
        assert!(interest.wants(3, "x", NO_TAGS, "ping @webhook-old-alert-check"));
        assert!(interest.wants(4, "x", NO_TAGS, "{{!-- ddhooks:begin gone --}}"));
        assert!(!interest.wants(5, "x", &tags(&["team:b"]), "@slack-ops only"));
        assert!(MonitorInterest::everything().wants(5, "x", NO_TAGS, ""));
    }

    /// Apply's freshness check keeps exactly the monitors it writes, whatever they hold.
    #[test]
    fn only_keeps_exactly_the_ids_given() {
        let interest = MonitorInterest::only(BTreeSet::from([7, 9]));
        assert!(interest.wants(7, "x", NO_TAGS, "plain"));
        assert!(interest.wants(9, "x", NO_TAGS, ""));
        assert!(!interest.wants(8, "x", NO_TAGS, "@webhook-a {{!-- ddhooks:begin g --}}"));
    }

    fn tag() -> impl Strategy<Value = String> {
        prop::sample::select(vec!["team:a", "team:b", "env:prod", "Team:A", "svc"])
            .prop_map(str::to_string)
    }

    fn selector() -> impl Strategy<Value = MonitorSelector> {
        (
            prop::collection::btree_set(0i64..6, 0..2),
            prop::collection::vec(tag(), 0..3),
            prop::option::of(
                prop::sample::select(vec!["disk", "cpu", ""]).prop_map(str::to_string),
            ),
        )
            .prop_map(|(ids, tags, name)| MonitorSelector { ids, tags, name })
    }

    proptest! {
        /// The indexes select exactly what checking every selector and rule filter one by
        /// one selects.
        #[test]
        fn the_indexes_select_what_every_selector_and_filter_selects(
            selectors in prop::collection::vec(selector(), 0..6),
            filters in prop::collection::vec(prop::collection::vec(tag(), 0..3), 0..4),
            id in 0i64..6,
            name in prop::sample::select(vec!["disk full", "cpu", "x"]),
            tags in prop::collection::vec(tag(), 0..4),
        ) {
            let mut by_selector = SelectorIndex::default();
            for s in &selectors {
                by_selector.add(s);
            }
            let mut by_filter = TagFilterIndex::default();
            for f in &filters {
                by_filter.add(f);
            }
            prop_assert_eq!(
                by_selector.matches(id, name, &tags),
                selectors.iter().any(|s| s.matches(id, name, &tags))
            );
            prop_assert_eq!(
                by_filter.matches(&tags),
                filters.iter().any(|f| {
                    crate::template::filter_matches(&RuleFilter::Tags(f.clone()), &tags)
                })
            );
        }
    }
}
