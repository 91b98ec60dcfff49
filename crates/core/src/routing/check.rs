//! Routing tests evaluated: each case of `routing_tests:` against the org's routing after
//! the plan (org cases) or against the manifests' own blocks and rules (`given:` cases),
//! into a pass, a failure with what was expected, what was got and where each recipient
//! comes from, or a skip. Pure: `ddhooks test` and the planner both call it.

use super::{route, MonitorRouting, OrgRouting, Recipient};
use crate::model::Desired;
use crate::model::{Expectations, GivenMonitor, RoutingTest, TestSubject};
use crate::template::{self, BlockError, TemplateError};
use rayon::prelude::*;
use serde::Serialize;
use std::fmt::Write as _;

/// Why a monitor's routing could not be computed for a case.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckError {
    /// Its message does not parse as a template.
    #[error("its message does not parse: {0}")]
    Template(#[from] TemplateError),
    /// Its message holds a damaged managed block (the blocks cannot be placed).
    #[error("its message has a damaged managed block: {0}")]
    Block(#[from] BlockError),
}

/// How a case ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    /// Every expectation held for every monitor.
    Passed,
    /// Some did not, or it selected no monitor.
    Failed,
    /// Not run (an org case without Datadog: `--offline`).
    Skipped,
}

/// One monitor a case checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MonitorCheck {
    /// The monitor's id (`None` for a `given:` monitor).
    pub id: Option<i64>,
    /// Its name.
    pub name: String,
    /// Each expectation that did not hold, as a reader says it; empty: passed.
    pub failures: Vec<String>,
    /// Whom it notifies on the case's transition, with their sources.
    pub got: Vec<Recipient>,
}

impl MonitorCheck {
    /// `monitor 12 "cpu"` or `given monitor "cpu"`.
    pub fn label(&self) -> String {
        match self.id {
            Some(id) => format!("monitor {id} \"{}\"", self.name),
            None => format!("given monitor \"{}\"", self.name),
        }
    }
}

/// A case's outcome: what `ddhooks test` reports and a failing plan shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseReport {
    /// The case's name.
    pub name: String,
    /// The transition checked.
    pub transition: &'static str,
    /// How it ended.
    pub status: CaseStatus,
    /// Why it failed or was skipped when no monitor says it (selects no monitor, offline).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Each monitor checked.
    pub monitors: Vec<MonitorCheck>,
}

impl CaseReport {
    /// The failure on one line (for a plan problem, an annotation, a JUnit message):
    /// `on alert: monitor 12 "cpu": expected @x to be notified; got @y (block g)`.
    pub fn summary(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        if let Some(reason) = &self.reason {
            parts.push(reason.clone());
        }
        for m in self.monitors.iter().filter(|m| !m.failures.is_empty()) {
            parts.push(format!(
                "{}: {}; got {}",
                m.label(),
                m.failures.join("; "),
                got_text(&m.got)
            ));
        }
        format!("on {}: {}", self.transition, parts.join(" | "))
    }

    /// The failure over several lines: a line per failing monitor, then its recipients,
    /// one a line with their sources.
    pub fn details(&self) -> String {
        let mut out = String::new();
        if let Some(reason) = &self.reason {
            let _ = writeln!(out, "{reason}");
        }
        for m in self.monitors.iter().filter(|m| !m.failures.is_empty()) {
            let _ = writeln!(out, "{} on {}:", m.label(), self.transition);
            for f in &m.failures {
                let _ = writeln!(out, "  {f}");
            }
            if m.got.is_empty() {
                let _ = writeln!(out, "  got: nobody");
            } else {
                let _ = writeln!(out, "  got:");
                for r in &m.got {
                    let _ = writeln!(out, "    {}", recipient_text(r));
                }
            }
        }
        out
    }
}

/// `@h (block g, rule r)`: a recipient with where it comes from.
pub fn recipient_text(r: &Recipient) -> String {
    let sources: Vec<String> = r.sources.iter().map(ToString::to_string).collect();
    format!("{} ({})", r.label(), sources.join(", "))
}

/// The recipients on one line, `nobody` when there are none.
fn got_text(got: &[Recipient]) -> String {
    if got.is_empty() {
        return "nobody".into();
    }
    got.iter()
        .map(recipient_text)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Every case of `desired`, by name: org cases against `org` (skipped when it is `None`),
/// `given:` cases against `desired`'s blocks and rules.
pub fn run(desired: &Desired, org: Option<&OrgRouting<'_>>) -> Vec<CaseReport> {
    // Each case reads every monitor of the org: on every core, reports in name order.
    let tests: Vec<&RoutingTest> = desired.routing_tests.values().collect();
    tests
        .into_par_iter()
        .map(|test| check(test, desired, org))
        .collect()
}

/// One case (see [`run`]).
pub fn check(test: &RoutingTest, desired: &Desired, org: Option<&OrgRouting<'_>>) -> CaseReport {
    let mut report = CaseReport {
        name: test.name.clone(),
        transition: test.transition.name(),
        status: CaseStatus::Passed,
        reason: None,
        monitors: Vec::new(),
    };
    match &test.subject {
        TestSubject::Given(given) => {
            let got = given_recipients(given, desired, test);
            report
                .monitors
                .push(monitor_check(None, &given.name, got, &test.expect));
        }
        TestSubject::Monitors(selector) => {
            let Some(org) = org else {
                report.status = CaseStatus::Skipped;
                report.reason = Some("selects monitors of the org: needs Datadog".into());
                return report;
            };
            let selects = selector.matcher();
            for (m, routing) in org.monitors() {
                if !selects(m.id, &m.name, &m.tags) {
                    continue;
                }
                let got = org
                    .route(&routing, test.transition)
                    .map_err(CheckError::from);
                report
                    .monitors
                    .push(monitor_check(Some(m.id), &m.name, got, &test.expect));
            }
            if report.monitors.is_empty() {
                report.reason = Some("selects no monitor of the org".into());
            }
        }
    }
    if report.reason.is_some() || report.monitors.iter().any(|m| !m.failures.is_empty()) {
        report.status = CaseStatus::Failed;
    }
    report
}

/// The recipients of a `given:` monitor: its message with every managed block whose
/// selector selects it (as the plan would write them; `ids` never select it, it has no
/// id), and the manifests' rules whose filter matches its tags.
fn given_recipients(
    given: &GivenMonitor,
    desired: &Desired,
    test: &RoutingTest,
) -> Result<Vec<Recipient>, CheckError> {
    let message = given_message(given, desired)?;
    let routing = MonitorRouting {
        message: &message,
        tags: &given.tags,
        priority: given.priority,
        draft: false,
    };
    Ok(route(
        &routing,
        desired.notification_rules.values(),
        test.transition,
    )?)
}

/// The message a `given:` monitor would have after apply.
pub fn given_message(given: &GivenMonitor, desired: &Desired) -> Result<String, BlockError> {
    let mut message = given.message.clone();
    for block in desired.blocks.values() {
        if block.monitors.matches(-1, &given.name, &given.tags) {
            message = template::set_block(&message, &block.name, Some(&block.body()))?;
        }
    }
    Ok(message)
}

/// One monitor's recipients against the expectations.
fn monitor_check(
    id: Option<i64>,
    name: &str,
    got: Result<Vec<Recipient>, CheckError>,
    expect: &Expectations,
) -> MonitorCheck {
    match got {
        Ok(got) => MonitorCheck {
            id,
            name: name.to_string(),
            failures: unmet(expect, &got),
            got,
        },
        Err(e) => MonitorCheck {
            id,
            name: name.to_string(),
            failures: vec![format!("its routing cannot be told: {e}")],
            got: Vec::new(),
        },
    }
}

/// Each expectation `got` does not meet. A recipient depending on the firing group is
/// possibly notified (see [`Expectations`]).
pub fn unmet(expect: &Expectations, got: &[Recipient]) -> Vec<String> {
    let sure: Vec<&str> = got
        .iter()
        .filter(|r| r.when.is_empty())
        .map(|r| r.handle.as_str())
        .collect();
    let maybe: Vec<&str> = got
        .iter()
        .filter(|r| !r.when.is_empty())
        .map(|r| r.handle.as_str())
        .collect();
    let mut out = Vec::new();
    for h in &expect.includes {
        if !sure.contains(&h.as_str()) {
            let why = if maybe.contains(&h.as_str()) {
                "only for some firing groups"
            } else {
                "not notified"
            };
            out.push(format!("expected @{h} to be notified: {why}"));
        }
    }
    for h in &expect.excludes {
        if sure.contains(&h.as_str()) {
            out.push(format!("expected @{h} not to be notified: it is"));
        } else if maybe.contains(&h.as_str()) {
            out.push(format!(
                "expected @{h} not to be notified: it is for some firing groups"
            ));
        }
    }
    if let Some(exactly) = &expect.exactly {
        let mut want: Vec<&str> = exactly.iter().map(String::as_str).collect();
        want.sort_unstable();
        want.dedup();
        let mut have: Vec<&str> = sure.iter().chain(&maybe).copied().collect();
        have.sort_unstable();
        have.dedup();
        if want != have || want.iter().any(|h| !sure.contains(h)) {
            let list = |l: &[&str]| {
                if l.is_empty() {
                    "nobody".to_string()
                } else {
                    l.iter()
                        .map(|h| format!("@{h}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            };
            out.push(format!(
                "expected exactly {}, whatever the firing group",
                list(&want)
            ));
        }
    }
    if expect.nobody && !got.is_empty() {
        out.push("expected nobody to be notified".into());
    }
    if expect.somebody && sure.is_empty() {
        out.push("expected somebody to be notified whatever the firing group".into());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::{load_sources, LoadOptions, Source};
    use crate::model::{Remote, RemoteMonitor};
    use crate::registry::Registry;

    const BLOCKS: &str = "monitor_notifications:\n  pages:\n    monitors: {tags: [\"team:x\"]}\n    notify: {is_alert: [\"@pagerduty-x\"]}\n  ops:\n    monitors: {tags: [\"team:x\"]}\n    notify: {is_alert: [\"@slack-ops\"]}\n    delivery: rule\n";

    fn desired(tests: &str) -> Desired {
        let source = Source {
            path: "m.yaml".into(),
            text: format!("{BLOCKS}routing_tests:\n{tests}"),
        };
        load_sources(&[source], &LoadOptions::default())
            .expect("valid")
            .desired
    }

    fn remote() -> Remote {
        let mut r = Remote::default();
        for (id, tags, message) in [
            (1, vec!["team:x".to_string()], "CPU high."),
            (2, vec!["team:y".to_string()], "Disk full. @slack-disk"),
        ] {
            r.monitors.insert(
                id,
                RemoteMonitor {
                    id,
                    name: format!("m{id}"),
                    tags,
                    message: message.into(),
                    priority: None,
                    draft: false,
                },
            );
        }
        r
    }

    /// Plans `d` against [`remote`] and runs its cases against the org it leaves.
    fn run_org(d: &Desired) -> Vec<CaseReport> {
        let remote = remote();
        let plan = crate::plan::plan(d, &remote, &Registry::new("s"), &Default::default());
        let planned = crate::plan::planned_routing(&plan);
        let org = OrgRouting::after(&remote, &planned);
        run(d, Some(&org))
    }

    #[test]
    fn a_given_monitor_gets_the_blocks_and_rules_that_would_select_it() {
        let d = desired("  pages:\n    given: {tags: [\"team:x\"], message: \"Runbook @slack-people\"}\n    transition: alert\n    exactly: [\"@pagerduty-x\", \"@slack-ops\", \"@slack-people\"]\n  quiet-recovery:\n    given: {tags: [\"team:x\"]}\n    transition: recovery\n    nobody: true\n  other-team:\n    given: {tags: [\"team:y\"]}\n    transition: alert\n    includes: [\"@pagerduty-x\"]\n");
        let reports = run(&d, None);
        let status: Vec<(&str, CaseStatus)> = reports
            .iter()
            .map(|r| (r.name.as_str(), r.status))
            .collect();
        assert_eq!(
            status,
            [
                ("other-team", CaseStatus::Failed),
                ("pages", CaseStatus::Passed),
                ("quiet-recovery", CaseStatus::Passed),
            ]
        );
        let failed = &reports[0];
        assert_eq!(
            failed.monitors[0].failures,
            ["expected @pagerduty-x to be notified: not notified"]
        );
        assert_eq!(
            failed.summary(),
            "on alert: given monitor \"\": expected @pagerduty-x to be notified: not notified; got nobody"
        );
        let pages = &reports[1].monitors[0].got;
        let text: Vec<String> = pages.iter().map(recipient_text).collect();
        assert_eq!(
            text,
            [
                "@slack-people (text line 1)",
                "@pagerduty-x (block pages)",
                "@slack-ops (rule ops (transition_type:is_alert))"
            ]
        );
    }

    #[test]
    fn org_cases_check_every_selected_monitor_after_the_plan_and_skip_offline() {
        let d = desired("  team-x-pages:\n    monitors: {tags: [\"team:x\"]}\n    transition: alert\n    includes: [\"@pagerduty-x\"]\n    excludes: [\"@slack-disk\"]\n  everyone-pages:\n    monitors: {ids: [1, 2]}\n    transition: alert\n    includes: [\"@pagerduty-x\"]\n  nothing:\n    monitors: {name: nope}\n    transition: alert\n    somebody: true\n");
        let reports = run_org(&d);
        let by_name = |n: &str| reports.iter().find(|r| r.name == n).expect(n);
        assert_eq!(by_name("team-x-pages").status, CaseStatus::Passed);
        let everyone = by_name("everyone-pages");
        assert_eq!(everyone.status, CaseStatus::Failed);
        let failing: Vec<String> = everyone
            .monitors
            .iter()
            .filter(|m| !m.failures.is_empty())
            .map(MonitorCheck::label)
            .collect();
        assert_eq!(
            failing,
            ["monitor 2 \"m2\""],
            "the failing monitor is named"
        );
        assert!(everyone.summary().contains("got @slack-disk (text line 1)"));
        let nothing = by_name("nothing");
        assert_eq!(nothing.status, CaseStatus::Failed);
        assert_eq!(
            nothing.reason.as_deref(),
            Some("selects no monitor of the org")
        );
        let offline = run(&d, None);
        assert!(offline.iter().all(|r| r.status == CaseStatus::Skipped));
    }

    #[test]
    fn a_recipient_depending_on_the_firing_group_is_only_possibly_notified() {
        let maybe = Recipient {
            handle: "a".into(),
            when: vec![super::super::GroupCondition(
                "the group has env:prod".into(),
            )],
            sources: Vec::new(),
        };
        let sure = Recipient {
            handle: "b".into(),
            when: Vec::new(),
            sources: Vec::new(),
        };
        let got = [maybe, sure];
        let expect = |f: fn(&mut Expectations)| {
            let mut e = Expectations::default();
            f(&mut e);
            unmet(&e, &got)
        };
        assert_eq!(
            expect(|e| e.includes = vec!["b".into()]),
            Vec::<String>::new()
        );
        assert_eq!(
            expect(|e| e.includes = vec!["a".into()]),
            ["expected @a to be notified: only for some firing groups"]
        );
        assert_eq!(
            expect(|e| e.excludes = vec!["a".into()]),
            ["expected @a not to be notified: it is for some firing groups"]
        );
        assert_eq!(
            expect(|e| e.exactly = Some(vec!["a".into(), "b".into()])),
            ["expected exactly @a, @b, whatever the firing group"]
        );
        assert_eq!(
            expect(|e| e.nobody = true),
            ["expected nobody to be notified"]
        );
        assert!(expect(|e| e.somebody = true).is_empty());
    }

    #[test]
    fn a_failing_case_is_a_plan_problem_at_its_address() {
        let d = desired("  broken:\n    monitors: {ids: [2]}\n    transition: alert\n    includes: [\"@pagerduty-x\"]\n");
        let plan = crate::plan::plan(&d, &remote(), &Registry::new("s"), &Default::default());
        let problems: Vec<String> = plan
            .problems
            .iter()
            .map(|p| p.address.to_string())
            .collect();
        assert_eq!(problems, ["routing_test.broken"]);
        assert!(plan.problems[0]
            .message
            .starts_with("routing test failed on alert: monitor 2"));
    }
}
