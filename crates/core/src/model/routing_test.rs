//! The routing tests manifests declare (`routing_tests:`), as typed data: which monitor a
//! case is about, on which transition, and what must hold of its recipients. Checked by
//! [`crate::routing`].

use super::{MonitorSelector, SampleTransition};

/// One checked-in statement about routing: `ddhooks test` and every plan check it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoutingTest {
    /// The case's name (its key under `routing_tests:`).
    pub name: String,
    /// The monitors it is about.
    pub subject: TestSubject,
    /// The transition whose recipients are checked.
    pub transition: SampleTransition,
    /// What must hold.
    pub expect: Expectations,
}

/// What a case is about: monitors of the org, or one monitor it describes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TestSubject {
    /// The org's monitors this selects, after the plan (needs Datadog).
    Monitors(TestSelector),
    /// A monitor described in the manifest: the managed blocks and rules of the manifests
    /// that would select it are applied to it (needs no Datadog).
    Given(GivenMonitor),
}

/// How an org case selects monitors: as blocks do (`ids`, `tags`, `name`: the union) or as a
/// rule's `scope` does; a monitor is selected when any of them selects it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TestSelector {
    /// `ids`, `tags`, `name`.
    pub monitors: MonitorSelector,
    /// An event-search scope over the monitors' tags (already checked to parse).
    pub scope: Option<String>,
}

impl TestSelector {
    /// Whether a monitor with this id, name and tags is selected, the scope parsed once:
    /// a case reads every monitor of the org.
    pub fn matcher(&self) -> impl Fn(i64, &str, &[String]) -> bool + '_ {
        let scope = self
            .scope
            .as_deref()
            .and_then(|s| crate::scope::Scope::parse(s).ok());
        move |id, name, tags| {
            self.monitors.matches(id, name, tags) || scope.as_ref().is_some_and(|s| s.matches(tags))
        }
    }
}

/// A monitor described by a case (`given:`), to test blocks and rules without Datadog.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GivenMonitor {
    /// Its name (blocks selecting by `name` see it).
    pub name: String,
    /// Its tags (blocks and rules select by them).
    pub tags: Vec<String>,
    /// Its priority 1–5, if any.
    pub priority: Option<u8>,
    /// People's text of its message (in Datadog's `{{…}}` spelling), before the blocks.
    pub message: String,
}

/// What a case expects of the recipients of its transition. Handles are kept without `@`.
///
/// A recipient that depends on the firing group (a rule condition on a tag the monitor
/// lacks, an `is_match` section) is *possibly* notified: it never satisfies `includes`,
/// `exactly` or `somebody`, and it breaks `excludes`, `exactly` and `nobody`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Expectations {
    /// Each is notified whatever the firing group.
    pub includes: Vec<String>,
    /// None is notified, for any firing group.
    pub excludes: Vec<String>,
    /// Exactly these are notified, whatever the group, and nobody else can be.
    pub exactly: Option<Vec<String>>,
    /// Nobody can be notified.
    pub nobody: bool,
    /// Someone is notified whatever the firing group.
    pub somebody: bool,
}

impl Expectations {
    /// Whether it expects nothing at all (the loader refuses such a case).
    pub fn is_empty(&self) -> bool {
        self.includes.is_empty()
            && self.excludes.is_empty()
            && self.exactly.is_none()
            && !self.nobody
            && !self.somebody
    }

    /// Every handle it names (`includes`, `excludes`, `exactly`), as written.
    pub fn handles(&self) -> impl Iterator<Item = &str> {
        self.includes
            .iter()
            .chain(&self.excludes)
            .chain(self.exactly.iter().flatten())
            .map(String::as_str)
    }
}
