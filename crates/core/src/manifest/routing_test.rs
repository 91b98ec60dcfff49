//! `routing_tests:`: each case decoded with its positions, then lowered into
//! [`crate::model::RoutingTest`], every problem at its file, line and column.
//!
//! ```yaml
//! routing_tests:
//!   checkout-pages-oncall:
//!     monitors: {tags: ["team:checkout"]}     # or given: {name, tags, priority, message}
//!     transition: alert
//!     includes: ["@pagerduty-checkout"]       # excludes, exactly, nobody: true, somebody: true
//! ```

use super::decode::{suggestion, Decoder};
use super::raw::{RawGiven, RawRoutingTest, RawSelector, Str};
use super::reporter::{datadog_spelling, pos_in, Reporter};
use super::schema::{GIVEN_KEYS, ROUTING_TEST_KEYS, TEST_SELECTOR_KEYS};
use super::yaml::{Node, Value};
use super::DeclaredKind;
use crate::model::MonitorSelector;
use crate::model::SampleTransition;
use crate::model::{Expectations, GivenMonitor, RoutingTest, TestSelector, TestSubject};
use std::collections::{BTreeMap, HashMap};

impl Decoder<'_> {
    /// One entry of `routing_tests:`.
    pub(super) fn routing_test(&mut self, name: Str, body: &Node) -> RawRoutingTest {
        let errors_before = self.errors;
        let what = format!("routing test `{}`", name.raw);
        let mut case = RawRoutingTest {
            name,
            monitors: None,
            given: None,
            transition: None,
            lists: Vec::new(),
            nobody: None,
            somebody: None,
            broken: false,
        };
        for (key, k, v) in self.fields(body, &what, &ROUTING_TEST_KEYS) {
            let at = self.loc(k.pos);
            match key.as_str() {
                "monitors" => case.monitors = Some(self.selector(v, &TEST_SELECTOR_KEYS)),
                "given" => case.given = Some((at, self.given(v))),
                "transition" => case.transition = self.string(v, "`transition`"),
                "includes" | "excludes" | "exactly" => {
                    let list = match key.as_str() {
                        "includes" => "includes",
                        "excludes" => "excludes",
                        _ => "exactly",
                    };
                    let handles = self.handles(v, &format!("`{list}`"));
                    case.lists.push((list, at, handles));
                }
                "nobody" => case.nobody = self.boolean(v, "`nobody`").map(|b| (at, b)),
                "somebody" => case.somebody = self.boolean(v, "`somebody`").map(|b| (at, b)),
                _ => {}
            }
        }
        case.broken = self.errors > errors_before;
        case
    }

    fn given(&mut self, node: &Node) -> RawGiven {
        let mut given = RawGiven {
            name: None,
            tags: Vec::new(),
            priority: None,
            message: None,
        };
        for (key, _, v) in self.fields(node, "`given`", &GIVEN_KEYS) {
            match key.as_str() {
                "name" => given.name = self.string(v, "`name`"),
                "tags" => given.tags = self.strings(v, "`tags`").unwrap_or_default(),
                "message" => given.message = self.string(v, "`message`"),
                "priority" => given.priority = self.priority(v),
                _ => {}
            }
        }
        given
    }

    /// `priority: 1`…`5`, or `P1`…`P5`.
    fn priority(&mut self, node: &Node) -> Option<u8> {
        let n = match &node.value {
            Value::Int(n) => Some(*n),
            Value::Str(s) => s
                .strip_prefix(['P', 'p'])
                .and_then(|d| d.parse::<i64>().ok()),
            _ => None,
        };
        match n {
            Some(n @ 1..=5) => u8::try_from(n).ok(),
            _ => {
                self.error(
                    node.pos,
                    "`priority` must be 1 to 5 (or P1 to P5)",
                    Some("Datadog's priorities are P1 (highest) to P5".into()),
                );
                None
            }
        }
    }
}

/// Every case, by name; names are unique across files.
pub(crate) fn lower(r: &mut Reporter<'_>, raw: &[RawRoutingTest]) -> BTreeMap<String, RoutingTest> {
    let mut seen = HashMap::new();
    let mut out = BTreeMap::new();
    for case in raw {
        if !r.define(&mut seen, DeclaredKind::RoutingTest, &case.name) {
            continue;
        }
        if let Some(test) = lower_case(r, case) {
            out.insert(test.name.clone(), test);
        }
    }
    out
}

fn lower_case(r: &mut Reporter<'_>, case: &RawRoutingTest) -> Option<RoutingTest> {
    let mut ok = !case.broken;
    let name = &case.name;
    let subject = match (&case.monitors, &case.given) {
        (Some(_), Some((at, _))) => {
            r.error(
                *at,
                format!(
                    "routing test `{}` has both `monitors` and `given`",
                    name.raw
                ),
                Some(
                    "a case is about the org's monitors or about one it describes: keep one".into(),
                ),
            );
            None
        }
        (None, None) => {
            if !case.broken {
                r.error(
                    name.loc,
                    format!("routing test `{}` has no `monitors` or `given`", name.raw),
                    Some("select monitors with `monitors: {tags: [...]}`, or describe one with `given: {tags: [...]}`".into()),
                );
            }
            None
        }
        (Some(sel), None) => selector(r, name, sel).map(TestSubject::Monitors),
        (None, Some((_, given))) => Some(TestSubject::Given(GivenMonitor {
            name: given
                .name
                .as_ref()
                .map(|n| n.value.clone())
                .unwrap_or_default(),
            tags: given.tags.iter().map(|t| t.value.clone()).collect(),
            priority: given.priority,
            message: given
                .message
                .as_ref()
                .map(|m| datadog_spelling(&m.value))
                .unwrap_or_default(),
        })),
    };
    let names = SampleTransition::ALL.map(SampleTransition::name);
    let transition = match &case.transition {
        Some(t) => {
            let parsed = SampleTransition::parse(&t.value);
            if parsed.is_none() {
                r.error(
                    t.loc,
                    format!("unknown transition `{}`", t.raw),
                    Some(suggestion(&t.value, &names, "transitions")),
                );
            }
            parsed
        }
        None => {
            let hint = format!("add `transition: alert` (one of {})", names.join(", "));
            r.missing(
                case.broken,
                ("routing test", name),
                "transition",
                Some(hint),
            );
            None
        }
    };
    let mut expect = Expectations::default();
    for (list, at, handles) in &case.lists {
        let mut values = Vec::new();
        for h in handles {
            match h.value.strip_prefix('@') {
                Some(v) if !v.is_empty() => values.push(v.to_string()),
                _ => {
                    r.error(
                        h.loc,
                        format!("`{}` in `{list}` is not a handle", h.raw),
                        Some(format!("write handles with their `@`: `@{}`", h.value)),
                    );
                    ok = false;
                }
            }
        }
        if values.is_empty() && *list != "exactly" && ok {
            r.error(
                *at,
                format!("`{list}` lists no handle"),
                Some("list handles such as `@pagerduty-x`, or remove the key".into()),
            );
            ok = false;
        }
        match *list {
            "includes" => expect.includes = values,
            "excludes" => expect.excludes = values,
            _ => expect.exactly = Some(values),
        }
    }
    for (key, flag, slot) in [
        ("nobody", case.nobody, &mut expect.nobody),
        ("somebody", case.somebody, &mut expect.somebody),
    ] {
        match flag {
            Some((_, true)) => *slot = true,
            Some((at, false)) => {
                r.error(
                    at,
                    format!("`{key}: false` expects nothing"),
                    Some(format!("write `{key}: true`, or remove the key")),
                );
                ok = false;
            }
            None => {}
        }
    }
    if let Some((at, true)) = case.nobody {
        let also = [
            (!expect.includes.is_empty(), "includes"),
            (
                expect.exactly.as_ref().is_some_and(|e| !e.is_empty()),
                "exactly",
            ),
            (expect.somebody, "somebody"),
        ];
        if let Some((_, other)) = also.iter().find(|(on, _)| *on) {
            r.error(
                at,
                format!("`nobody: true` contradicts `{other}`"),
                Some("a case that expects nobody can expect no recipient".into()),
            );
            ok = false;
        }
    }
    if expect.is_empty() && ok {
        r.error(
            name.loc,
            format!("routing test `{}` expects nothing", name.raw),
            Some(
                "add `includes`, `excludes`, `exactly`, `nobody: true` or `somebody: true`".into(),
            ),
        );
        ok = false;
    }
    let (Some(subject), Some(transition), true) = (subject, transition, ok) else {
        return None;
    };
    Some(RoutingTest {
        name: name.value.clone(),
        subject,
        transition,
        expect,
    })
}

/// An org case's `monitors:`: as a block's (`ids`, `tags`, `name`), or a rule's `scope`.
fn selector(r: &mut Reporter<'_>, name: &Str, sel: &RawSelector) -> Option<TestSelector> {
    let mut out = TestSelector {
        monitors: MonitorSelector {
            ids: sel.ids.iter().copied().collect(),
            tags: sel.tags.iter().map(|t| t.value.clone()).collect(),
            name: None,
        },
        scope: None,
    };
    let mut ok = true;
    if let Some(n) = &sel.name {
        if n.value.is_empty() {
            r.error(
                n.loc,
                "an empty `name` would select every monitor".into(),
                Some("give part of the monitors' name, or select by tags".into()),
            );
            ok = false;
        }
        out.monitors.name = Some(n.value.clone());
    }
    if let Some(scope) = &sel.scope {
        if let Err(e) = crate::scope::Scope::parse(&scope.value) {
            let before = scope.value.get(..e.offset()).unwrap_or("");
            let line = before.matches('\n').count() + 1;
            let col = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
            r.error(
                pos_in(scope, line, col),
                format!("`scope` is not a valid scope: {e}"),
                None,
            );
            ok = false;
        }
        out.scope = Some(scope.value.clone());
    }
    if ok && out.monitors.is_empty() && out.scope.is_none() {
        r.error(
            sel.loc,
            format!("routing test `{}` selects no monitor", name.raw),
            Some("give at least one of `ids`, `tags`, `name` or `scope`".into()),
        );
        ok = false;
    }
    ok.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::decode::did_you_mean;
    use crate::manifest::{load_sources, LoadOptions, Source};

    fn load(yaml: &str) -> Result<crate::model::Desired, Vec<String>> {
        let source = Source {
            path: "t.yaml".into(),
            text: yaml.to_string(),
        };
        load_sources(&[source], &LoadOptions::default())
            .map(|l| l.desired)
            .map_err(|d| d.into_vec().iter().map(ToString::to_string).collect())
    }

    #[test]
    fn a_case_lowers_into_the_model() {
        let d = load(
            "routing_tests:\n  a:\n    monitors: {tags: [\"team:x\"], scope: \"env:prod\"}\n    transition: no-data\n    includes: \"@slack-a @pagerduty-b\"\n    excludes: [\"@c\"]\n  b:\n    given: {name: cpu, tags: [\"team:x\"], priority: P2, message: \"<<#is_alert>> @x <</is_alert>>\"}\n    transition: alert\n    nobody: true\n",
        )
        .expect("valid");
        let a = &d.routing_tests["a"];
        assert_eq!(a.transition, SampleTransition::NoData);
        assert_eq!(a.expect.includes, ["slack-a", "pagerduty-b"]);
        assert_eq!(a.expect.excludes, ["c"]);
        let TestSubject::Monitors(sel) = &a.subject else {
            panic!("an org case");
        };
        assert_eq!(sel.scope.as_deref(), Some("env:prod"));
        let TestSubject::Given(g) = &d.routing_tests["b"].subject else {
            panic!("a given case");
        };
        assert_eq!(g.priority, Some(2));
        assert_eq!(g.message, "{{#is_alert}} @x {{/is_alert}}");
    }

    #[test]
    fn mistakes_are_located_errors_with_a_fix() {
        let errors = load(
            "routing_tests:\n  a:\n    monitors: {tags: [\"t:x\"]}\n    transition: alrt\n    include: [\"@x\"]\n",
        )
        .expect_err("invalid");
        let text = errors.join("\n");
        for expected in [
            "t.yaml:4:17: error: unknown transition `alrt`",
            "did you mean `alert`?",
            "t.yaml:5:5: error: unknown key `include`",
            "did you mean `includes`?",
        ] {
            assert!(text.contains(expected), "{text}");
        }
        let names = SampleTransition::ALL.map(SampleTransition::name);
        assert_eq!(did_you_mean("nodata", &names), Some("no-data"));
        for (yaml, wanted) in [
            (
                "  a: {transition: alert, nobody: true}\n",
                "has no `monitors` or `given`",
            ),
            (
                "  a: {given: {}, monitors: {ids: [1]}, transition: alert, nobody: true}\n",
                "both",
            ),
            ("  a: {given: {}, transition: alert}\n", "expects nothing"),
            (
                "  a: {given: {}, transition: alert, includes: [x]}\n",
                "is not a handle",
            ),
            (
                "  a: {given: {}, transition: alert, nobody: true, includes: [\"@x\"]}\n",
                "contradicts",
            ),
            (
                "  a: {given: {priority: 9}, transition: alert, nobody: true}\n",
                "1 to 5",
            ),
            (
                "  a: {monitors: {}, transition: alert, nobody: true}\n",
                "selects no monitor",
            ),
            (
                "  a: {monitors: {scope: \"a:(\"}, transition: alert, nobody: true}\n",
                "not a valid scope",
            ),
        ] {
            let errors = load(&format!("routing_tests:\n{yaml}")).expect_err(yaml);
            assert!(errors.join("\n").contains(wanted), "{yaml}: {errors:?}");
        }
    }
}
